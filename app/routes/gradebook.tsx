import { Form, useActionData, useLoaderData, useNavigation } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/gradebook";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { gradebookForClass, MAX_GRADEBOOK_CELLS, onlyTerm, saveGradebook, termParam, type GradebookColumn } from "../services/gradebook.server.ts";
import { isLevelScale, LEVEL_NAMES, levelsOf } from "../services/grades.ts";
import { formatSchoolYear, subjectName } from "../lib/curriculum.ts";
import { formatNumber } from "../lib/vn.ts";
import { FormError } from "../components/forms.tsx";
import { CellText, TermResultText, YearText } from "../components/gradebook.tsx";
import { useLocale, useT, type MessageKey } from "../i18n/index.ts";
import type { BodyLimit } from "../server/limits.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";

/** A whole class's gradebook in one form: one field a cell. */
const GRADEBOOK_FORM: BodyLimit = { maxBytes: 512 * 1024, maxFields: MAX_GRADEBOOK_CELLS + 10 };

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher", "school_admin", "province_admin");
  const term = termParam(url.searchParams.get("term"));
  return { term, gradebook: onlyTerm(await gradebookForClass(getDb(), actor, params.classId), term) };
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
  const columns = g.columns.filter((col) => col.term === term);
  const groups = KINDS.map((kind) => ({ kind, columns: columns.filter((col) => col.kind === kind) })).filter((gr) => gr.columns.length > 0);
  const ordered = groups.flatMap((gr) => gr.columns);
  const showAverage = !g.primary;
  const showYear = showAverage && term === 2;
  const duplicates = g.students.some((s) => (g.results[s.id]?.terms[term] as { duplicates?: string[] } | undefined)?.duplicates?.length);
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

  const cellInput = (col: GradebookColumn, studentId: string, fullName: string) => {
    const key = `${col.id}.${studentId}`;
    const refused = result?.cells?.[key];
    const cell = g.cells[studentId]?.[col.id];
    const label = t("gradebook.cellLabel", { column: col.label, title: col.title, name: fullName });
    const errId = `err-${col.id}-${studentId}`;
    const common = {
      name: `g.${key}`,
      "aria-label": label,
      "aria-invalid": refused ? (true as const) : undefined,
      "aria-describedby": refused ? errId : undefined,
    };
    const graded = cell?.status === "graded";
    return (
      <>
        {isLevelScale(col.scale) ? (
          <select {...common} defaultValue={refused ? refused.value : graded ? (cell.level ?? "") : ""}>
            <option value="">—</option>
            {levelsOf(col.scale).map((lv) => (
              <option key={lv} value={lv}>
                {LEVEL_NAMES[lv][locale]}
              </option>
            ))}
          </select>
        ) : (
          <input
            {...common}
            inputMode="decimal"
            autoComplete="off"
            size={4}
            defaultValue={refused ? refused.value : graded && cell.score !== null ? formatNumber(Number(cell.score), locale, 2) : ""}
          />
        )}
        {!graded && cell ? (
          <span className="gb-note">
            <CellText cell={cell} scale={col.scale} maxPoints={col.maxPoints} />
          </span>
        ) : null}
        {refused ? (
          <span className="error gb-error" id={errId} role="alert">
            {t(refused.error as MessageKey)}
          </span>
        ) : null}
      </>
    );
  };

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
      <Form method="post" noValidate aria-label={t("gradebook.title")}>
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
                  <th key={col.id} scope="col">
                    <span className="gb-label">{col.label}</span>{" "}
                    <span className="gb-title">
                      {g.canEdit ? <Link to={`/assignments/${col.id}/submissions`}>{col.title}</Link> : col.title}
                    </span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {g.students.map((s, i) => {
                const r = g.results[s.id];
                return (
                  <tr key={s.id} data-student={s.fullName}>
                    <td>{i + 1}</td>
                    <th scope="row" className="gb-name">
                      {s.fullName}
                    </th>
                    {ordered.map((col) => (
                      <td key={col.id} data-column={col.label}>
                        {g.canEdit ? cellInput(col, s.id, s.fullName) : <CellText cell={g.cells[s.id]?.[col.id]} scale={col.scale} maxPoints={col.maxPoints} />}
                      </td>
                    ))}
                    {showAverage ? (
                      <td data-column="average">
                        <TermResultText result={r?.terms[term]} />
                      </td>
                    ) : null}
                    {showYear ? (
                      <td data-column="year">
                        <YearText tenths={r?.year} />
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
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
