import { Form, useActionData, useLoaderData, useSearchParams } from "react-router";
import { useRef } from "react";
import { mathLinks } from "../lib/math-styles.ts";
import { useHideBrokenImages } from "../components/broken-images.tsx";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/assignment-grading";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { assignmentForTeacher, gradeSubmission } from "../services/assignments.server.ts";
import { displayGrade, LEVEL_NAMES } from "../services/grades.ts";
import { subjectName } from "../lib/curriculum.ts";
import { formatDateTime, formatNumber } from "../lib/vn.ts";
import { FormError, Notice } from "../components/forms.tsx";
import { useLocale, useT, type MessageKey } from "../i18n/index.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  return assignmentForTeacher(getDb(), actor, params.assignmentId);
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const fields = formObject(await readForm(request, context));
  const result = await gradeSubmission(getDb(), actor, params.assignmentId, fields);
  if (!result.ok) return badRequest({ studentId: fields.studentId, errors: result.errors, display: null });
  return { studentId: fields.studentId, errors: {} as Record<string, string>, display: result.value.display };
}

export default function Grading() {
  const { assignment: a, attachments, students, notHandedIn } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const t = useT();
  const locale = useLocale();
  const prose = useRef<HTMLDivElement>(null);
  useHideBrokenImages(prose, a.instructionsHtml ?? "");
  return (
    <>
      <p>
        <Link to={`/classes/${a.classId}`}>
          ← {subjectName(a.subject, locale)} {a.className}
        </Link>
      </p>
      <h1>{a.title}</h1>
      {params.get("created") ? <Notice>{t("assignment.created")}</Notice> : null}
      {params.get("saved") ? <Notice>{t("assignment.saved")}</Notice> : null}
      {a.archivedAt ? (
        <p className="banner">
          <span className="badge">{t("assignment.archived")}</span> {t("assignment.archivedNotice")}
        </p>
      ) : (
        <p className="actions">
          <Link to={`/classes/${a.classId}/assignments/${a.id}/edit`}>{t("assignment.edit")}</Link>
          <Link to={`/classes/${a.classId}/assignments/${a.id}/delete`}>{t("assignment.remove")}</Link>
        </p>
      )}
      {/* A grade for someone who is not a student of this class has no form of its own to show its error in. */}
      {result?.errors?.studentId && !students.some((s) => s.studentId === result.studentId) ? <FormError message={result.errors.studentId} /> : null}
      <p className="muted">
        {t("assignment.dueIn", { date: formatDateTime(a.dueAt) })} · {t(`assignment.scales.${a.scale}`)}
      </p>
      {a.instructionsHtml ? <div className="card prose" ref={prose} dangerouslySetInnerHTML={{ __html: a.instructionsHtml }} /> : null}
      {attachments.length > 0 ? (
        <ul aria-label={t("assignment.attachments")}>
          {attachments.map((f) => (
            <li key={f.id}>
              <a href={`/files/${f.id}`} download>
                {f.filename}
              </a>
            </li>
          ))}
        </ul>
      ) : null}
      <section className="card" aria-labelledby="not-handed-in">
        <h2 id="not-handed-in">{t("assignment.notHandedIn", { n: notHandedIn.length, total: students.length })}</h2>
        {notHandedIn.length === 0 ? (
          <p className="muted">{t("assignment.allHandedIn")}</p>
        ) : (
          <ul data-testid="not-handed-in">
            {notHandedIn.map((s) => (
              <li key={s.studentId}>{s.fullName}</li>
            ))}
          </ul>
        )}
      </section>
      <h2>{t("assignment.submissions")}</h2>
      <ul className="list">
        {students.map((s) => {
          const mine = result?.studentId === s.studentId ? result : null;
          const statusKey: MessageKey =
            s.status === "graded" ? "assignment.graded" : s.status === "submitted" ? "assignment.submitted" : s.status === "missing" ? "assignment.missing" : "assignment.notSubmitted";
          return (
            <li key={s.studentId} className="card">
              <div className="row">
                <h3>{s.fullName}</h3>
                <span className={s.status === "graded" ? "badge badge-ok" : s.status === "missing" ? "badge badge-err" : s.status === "submitted" ? "badge badge-warn" : "badge"}>
                  {t(statusKey)}
                </span>
              </div>
              {s.submittedAt ? (
                <p className="muted">
                  {t("assignment.submittedAt", { date: formatDateTime(s.submittedAt) })}
                  {s.late ? ` · ${t("common.late")}` : ""}
                </p>
              ) : null}
              {s.body ? <p style={{ whiteSpace: "pre-wrap" }}>{s.body}</p> : null}
              {s.files.length > 0 ? (
                <ul>
                  {s.files.map((f) => (
                    <li key={f.id}>
                      <a href={`/files/${f.id}`} download>{f.filename}</a>
                    </li>
                  ))}
                </ul>
              ) : null}
              {s.status === "graded" ? (
                <p>
                  <span className="grade">{displayGrade(a.scale, s, a.maxPoints, locale)}</span>
                  {s.comment ? ` — ${s.comment}` : ""}
                </p>
              ) : null}
              {mine?.display ? <Notice>{t("assignment.gradeSaved", { display: mine.display })}</Notice> : null}
              <Form method="post" className="grid" noValidate aria-label={`${t("assignment.gradeAction")}: ${s.fullName}`}>
                <input type="hidden" name="studentId" value={s.studentId} />
                {a.scale === "primary_levels" ? (
                  <fieldset>
                    <legend>{t("assignment.level")}</legend>
                    {(["HTT", "HT", "CHT"] as const).map((lv) => (
                      <label key={lv} style={{ fontWeight: 400, display: "block" }}>
                        <input
                          type="radio"
                          name="level"
                          value={lv}
                          defaultChecked={s.level === lv}
                          aria-invalid={mine?.errors?.level ? true : undefined}
                          aria-describedby={mine?.errors?.level ? `level-err-${s.studentId}` : undefined}
                        />{" "}
                        {LEVEL_NAMES[lv][locale]}
                      </label>
                    ))}
                    {mine?.errors?.level ? (
                      <p className="error" id={`level-err-${s.studentId}`} role="alert">
                        {t(mine.errors.level as MessageKey)}
                      </p>
                    ) : null}
                  </fieldset>
                ) : (
                  <div className="field">
                    <label htmlFor={`score-${s.studentId}`}>
                      {t("assignment.score")} ({a.scale === "ten_point" ? "0–10" : `0–${formatNumber(Number(a.maxPoints), locale)}`})
                    </label>
                    <input
                      id={`score-${s.studentId}`}
                      name="score"
                      inputMode="decimal"
                      defaultValue={s.score !== null ? formatNumber(Number(s.score), locale, 2) : ""}
                      aria-invalid={mine?.errors?.score ? true : undefined}
                      aria-describedby={mine?.errors?.score ? `score-err-${s.studentId}` : undefined}
                    />
                    {mine?.errors?.score ? (
                      <p className="error" id={`score-err-${s.studentId}`} role="alert">
                        {t(mine.errors.score as MessageKey)}
                      </p>
                    ) : null}
                  </div>
                )}
                <div className="field">
                  <label htmlFor={`comment-${s.studentId}`}>{t("common.comment")}</label>
                  <textarea
                    id={`comment-${s.studentId}`}
                    name="comment"
                    rows={2}
                    defaultValue={s.comment ?? ""}
                    style={{ minHeight: "3rem" }}
                    aria-invalid={mine?.errors?.comment ? true : undefined}
                    aria-describedby={mine?.errors?.comment ? `comment-err-${s.studentId}` : undefined}
                  />
                  {mine?.errors?.comment ? (
                    <p className="error" id={`comment-err-${s.studentId}`} role="alert">
                      {t(mine.errors.comment as MessageKey)}
                    </p>
                  ) : null}
                </div>
                <div>
                  <button type="submit" className="primary">
                    {t("assignment.gradeAction")}
                  </button>
                </div>
              </Form>
            </li>
          );
        })}
      </ul>
    </>
  );
}

export const links: Route.LinksFunction = mathLinks;

export const meta: Route.MetaFunction = ({ data }) => [{ title: data ? `${data.assignment.title} · Lớp Số` : "Lớp Số" }];

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
