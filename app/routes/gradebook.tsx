import { Form, useActionData, useLoaderData, useNavigation } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/gradebook";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { gradebookForClass, MAX_GRADEBOOK_CELLS, saveGradebook, termPage, termParam, } from "../services/gradebook.server.ts";
import { formatSchoolYear, subjectName } from "../lib/curriculum.ts";
import { FormError } from "../components/forms.tsx";
import { gradebookRowsHtml } from "../components/gradebook-rows.ts";
import { useLocale, useT } from "../i18n/index.ts";
import type { BodyLimit } from "../server/limits.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";

/** A whole class's gradebook in one form: one field a cell. */
const GRADEBOOK_FORM: BodyLimit = { maxBytes: 512 * 1024, maxFields: MAX_GRADEBOOK_CELLS + 10 };

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher", "school_admin", "province_admin");
  const term = termParam(url.searchParams.get("term"));
  return { term, gradebook: termPage(await gradebookForClass(getDb(), actor, params.classId), term) };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const fields = formObject(await readForm(request, context, GRADEBOOK_FORM));
  const result = await saveGradebook(getDb(), actor, params.classId, fields);
  return result.failed > 0 || Object.keys(result.formErrors).length > 0 ? badRequest(result) : result;
}

const KINDS = ["regular", "midterm", "final"] as const;

export default function GradebookPage() {
  const { term, gradebook: g } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const t = useT();
  const locale = useLocale();
  const c = g.class;
  const subject = subjectName(c.subject, locale);
  const termName = t(term === 1 ? "gradebook.term1" : "gradebook.term2");
  const groups = KINDS.map((kind) => ({ kind, columns: g.columns.filter((col) => col.kind === kind) })).filter((gr) => gr.columns.length > 0);
  const ordered = groups.flatMap((gr) => gr.columns);
  // Field names are positions (g.<column>.<row>) in the lists of ids sent beside them.
  const position = new Map(g.columns.map((col, i) => [col.id, i]));
  const showAverage = !g.primary;
  const showYear = showAverage && term === 2;
  const duplicates = g.results.some((r) => (r as { duplicates?: string[] } | null)?.duplicates?.length);
  const base = `/classes/${c.id}/gradebook`;

  const summary = result
    ? result.failed > 0
      ? result.saved + result.unchanged > 0
        ? t("gradebook.savedSome", { n: result.saved, failed: result.failed })
        : t("gradebook.savedNone", { failed: result.failed })
      : result.saved > 0
        ? t("gradebook.savedAll", { n: result.saved })
        : t("gradebook.nothingChanged")
    : null;

  const rowsHtml = gradebookRowsHtml({
    page: g,
    ordered: ordered.map((col) => ({ col, index: position.get(col.id)! })),
    showAverage,
    showYear,
    refused: result?.cells,
    t,
    locale,
  });

  return (
    <>
      <p>
        <Link to={g.canEdit ? `/classes/${c.id}` : "/admin"}>
          ← {g.canEdit ? `${subject} ${c.name}` : t("nav.admin")}
        </Link>
      </p>
      <h1>{t("gradebook.pageTitle", { subject, className: c.name })}</h1>
      <nav aria-label={t("gradebook.termSwitch")} className="actions">
        {([1, 2] as const).map((n) => (
          <Link key={n} to={`${base}?term=${n}`} aria-current={n === term ? "page" : undefined} className={n === term ? "button primary" : "button"}>
            {t(n === 1 ? "gradebook.term1" : "gradebook.term2")}
          </Link>
        ))}
        <a href={`${base}.xlsx?term=${term}`} download className="button">
          {t("gradebook.export")}
        </a>
        {g.canEdit ? (
          <Link to={`/classes/${c.id}/assignments/new?assessment=midterm&term=${term}`}>{t("gradebook.addColumn")}</Link>
        ) : null}
      </nav>
      {g.canEdit ? <p className="hint">{t("gradebook.addColumnHint")}</p> : <p className="banner">{t("gradebook.readOnly")}</p>}
      <p className="muted">{g.primary ? t("gradebook.primaryNote") : t("gradebook.formula")}</p>
      {duplicates ? <p className="banner">{t("gradebook.duplicates")}</p> : null}
      {result?.formErrors?.cells ? <FormError message={result.formErrors.cells} /> : null}
      {summary ? (
        <p className={result && result.failed > 0 ? "banner banner-error" : "banner banner-ok"} role={result && result.failed > 0 ? "alert" : "status"} data-testid="gradebook-summary">
          {summary}
        </p>
      ) : null}
      {g.students.length === 0 ? <p className="card muted">{t("gradebook.noStudents")}</p> : null}
      {ordered.length === 0 ? <p className="card muted">{t("gradebook.noAssessments")}</p> : null}
      <Form method="post" noValidate autoComplete="off" aria-label={t("gradebook.title")}>
        <input type="hidden" name="columns" value={g.columns.map((col) => col.id).join(",")} />
        <input type="hidden" name="rows" value={g.students.map((s) => s.id).join(",")} />
        {g.canEdit && ordered.length > 0 ? (
          <div className="actions save-all">
            <button type="submit" className="primary" disabled={navigation.state === "submitting"}>
              {t("gradebook.save")}
            </button>
            <span className="hint">{t("gradebook.saveHint")}</span>
          </div>
        ) : null}
        <div className="table-wrap gradebook-wrap">
          <table className="gradebook" data-testid="gradebook">
            <caption>{t("gradebook.caption", { subject, className: c.name, term: termName, year: formatSchoolYear(c.schoolYear) })}</caption>
            <colgroup>
              <col />
              <col />
            </colgroup>
            {groups.map((gr) => (
              <colgroup key={gr.kind} span={gr.columns.length} />
            ))}
            <thead>
              <tr>
                <th scope="col" rowSpan={2}>
                  {t("gradebook.number")}
                </th>
                <th scope="col" rowSpan={2} className="gb-name">
                  {t("gradebook.student")}
                </th>
                {groups.map((gr) => (
                  <th key={gr.kind} scope="colgroup" colSpan={gr.columns.length}>
                    {t(`gradebook.groups.${gr.kind}`)}
                  </th>
                ))}
                {showAverage ? (
                  <th scope="col" rowSpan={2}>
                    <abbr title={t("gradebook.termAverage")}>{t("gradebook.termAverageShort")}</abbr>
                  </th>
                ) : null}
                {showYear ? (
                  <th scope="col" rowSpan={2}>
                    <abbr title={t("gradebook.yearAverage")}>{t("gradebook.yearAverageShort")}</abbr>
                  </th>
                ) : null}
              </tr>
              <tr>
                {ordered.map((col) => (
                  <th key={col.id} scope="col" id={`gb-c${position.get(col.id)}`}>
                    <span className="gb-label">{col.label}</span>{" "}
                    <span className="gb-title">
                      {g.canEdit ? <Link to={`/assignments/${col.id}/submissions`}>{col.title}</Link> : col.title}
                    </span>
                  </th>
                ))}
              </tr>
            </thead>
            {/* Built as text, the same on the server and in the browser: app/components/gradebook-rows.ts */}
            <tbody dangerouslySetInnerHTML={{ __html: rowsHtml }} />
          </table>
        </div>
        {g.canEdit && ordered.length > 0 ? (
          <div className="actions save-all">
            <button type="submit" className="primary" disabled={navigation.state === "submitting"}>
              {t("gradebook.save")}
            </button>
          </div>
        ) : null}
      </Form>
    </>
  );
}

export const meta: Route.MetaFunction = ({ data }) => [
  { title: data ? `Sổ điểm ${subjectName(data.gradebook.class.subject)} ${data.gradebook.class.name} · Lớp Số` : "Lớp Số" },
];

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
