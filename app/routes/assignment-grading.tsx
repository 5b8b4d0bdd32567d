import type React from "react";
import { Form, useActionData, useLoaderData, useSearchParams } from "react-router";
import { useRef } from "react";
import { mathLinks } from "../lib/math-styles.ts";
import { useHideBrokenImages } from "../components/broken-images.tsx";
import { Link } from "../components/link.tsx";
import { AttachedFiles } from "../components/attached-files.tsx";
import type { Route } from "./+types/assignment-grading";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { assignmentForTeacher, gradeRowsFromForm, gradeSubmissions, MAX_GRADE_ROWS, type GradeRowOutcome } from "../services/assignments.server.ts";
import { displayGrade, isLevelScale, LEVEL_NAMES, levelsOf } from "../services/grades.ts";
import { subjectName } from "../lib/curriculum.ts";
import { formatDateTime, formatNumber } from "../lib/vn.ts";
import { FormError, Notice } from "../components/forms.tsx";
import { useLocale, useT, type MessageKey } from "../i18n/index.ts";
import type { BodyLimit } from "../server/limits.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";

/** The whole class's grades and comments in one form: three fields a row, comments of up to 2000 characters. */
const GRADING_FORM: BodyLimit = { maxBytes: 4 * 1024 * 1024, maxFields: 3 * MAX_GRADE_ROWS + 10 };

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  return assignmentForTeacher(getDb(), actor, params.assignmentId);
}

/**
 * "Lưu tất cả" (intent=saveAll) saves every row filled in; a row's own button (name studentId)
 * saves that row only. Rows are sent as `score.<id>`, `level.<id>`, `comment.<id>`; a single
 * grade may also come as plain `studentId`, `score`, `level`, `comment`.
 */
export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const fields = formObject(await readForm(request, context, GRADING_FORM));
  const all = fields.intent === "saveAll";
  const sid = fields.studentId ?? "";
  const rows = all
    ? gradeRowsFromForm(fields)
    : [
        {
          studentId: sid,
          score: fields[`score.${sid}`] ?? fields.score,
          level: fields[`level.${sid}`] ?? fields.level,
          comment: fields[`comment.${sid}`] ?? fields.comment,
        },
      ];
  const result = { mode: all ? ("all" as const) : ("one" as const), studentId: sid, ...(await gradeSubmissions(getDb(), actor, params.assignmentId, rows, { skipBlank: all })) };
  return result.failed > 0 || Object.keys(result.formErrors).length > 0 ? badRequest(result) : result;
}

type Row = Awaited<ReturnType<typeof assignmentForTeacher>>["students"][number];

/** Enter in a grade field goes to the next student's grade field (the last one to "save all"). */
function nextGradeField(e: React.KeyboardEvent<HTMLFormElement>) {
  const el = e.target as HTMLElement;
  if (e.key !== "Enter" || !el.dataset.gradeRow) return;
  e.preventDefault();
  const form = e.currentTarget;
  const next = Number(el.dataset.gradeRow) + 1;
  const target =
    form.querySelector<HTMLInputElement>(`[data-grade-row="${next}"]:checked`) ??
    form.querySelector<HTMLInputElement>(`[data-grade-row="${next}"]`) ??
    form.querySelector<HTMLButtonElement>("[data-save-all-last]");
  target?.focus();
  if (target instanceof HTMLInputElement && target.type !== "radio") target.select();
}

/** The images /files/… serves inline; HEIC/HEIF photos, which most browsers cannot show, stay a download. */
const INLINE_IMAGES = new Set(["image/png", "image/jpeg", "image/webp"]);
function isImage(contentType: string) {
  return INLINE_IMAGES.has(contentType);
}

export default function Grading() {
  const { assignment: a, attachments, students, notHandedIn } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const t = useT();
  const locale = useLocale();
  const prose = useRef<HTMLDivElement>(null);
  useHideBrokenImages(prose, a.instructionsHtml ?? "");
  const levelScale = isLevelScale(a.scale);
  const saveLabel = levelScale ? t("assignment.assessAction") : t("assignment.gradeAction");
  const handedIn = students.filter((s) => s.handedIn);
  const notIn = students.filter((s) => !s.handedIn);

  const renderRow = (s: Row, index: number) => {
    const mine: GradeRowOutcome | undefined = result?.rows?.[s.studentId];
    const err = mine?.errors ?? {};
    const typed = mine?.values;
    const statusKey: MessageKey =
      s.status === "graded" ? "assignment.graded" : s.status === "submitted" ? "assignment.submitted" : s.status === "missing" ? "assignment.missing" : "assignment.notSubmitted";
    const gradeErr = levelScale ? err.level : err.score;
    const gradeErrId = `grade-err-${s.studentId}`;
    return (
      <li key={s.studentId} className="card grade-row" data-testid="grade-row" data-student={s.fullName}>
        <div className="row">
          <h3>{s.fullName}</h3>
          <span>
            <span className={s.status === "graded" ? "badge badge-ok" : s.status === "missing" ? "badge badge-err" : s.status === "submitted" ? "badge badge-warn" : "badge"}>
              {t(statusKey)}
            </span>
            {s.late ? <span className="badge badge-err"> {t("common.late")}</span> : null}
          </span>
        </div>
        {s.submittedAt ? <p className="muted">{t("assignment.submittedAt", { date: formatDateTime(s.submittedAt) })}</p> : null}
        {s.body ? (
          <details>
            <summary>{t("assignment.answerShow")}</summary>
            <p className="answer">{s.body}</p>
          </details>
        ) : null}
        {s.files.length > 0 ? (
          <ul className="files">
            {s.files.map((f) => (
              <li key={f.id}>
                {isImage(f.contentType) ? (
                  <a href={`/files/${f.id}`} download>
                    <img src={`/files/${f.id}`} alt={t("assignment.imageOf", { name: s.fullName, file: f.filename })} loading="lazy" className="thumb" />
                    <span>{f.filename}</span>
                  </a>
                ) : f.contentType === "application/pdf" ? (
                  <a href={`/files/${f.id}`} target="_blank" rel="noopener">
                    {t("assignment.openPdf", { name: f.filename })}
                  </a>
                ) : (
                  <a href={`/files/${f.id}`} download>
                    {f.filename}
                  </a>
                )}
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
        {mine?.display && mine.changed !== undefined && result?.mode === "one" ? (
          <Notice>{t(levelScale ? "assignment.assessSaved" : "assignment.gradeSaved", { display: mine.display })}</Notice>
        ) : null}
        <div className="grade-fields">
          {levelScale ? (
            <fieldset aria-describedby={gradeErr ? gradeErrId : undefined}>
              <legend>{t("assignment.levelOf", { name: s.fullName })}</legend>
              <div className="inline-choices">
                {levelsOf(a.scale as "primary_levels" | "pass_fail").map((lv) => (
                  <label key={lv} style={{ fontWeight: 400 }}>
                    <input
                      type="radio"
                      name={`level.${s.studentId}`}
                      value={lv}
                      data-grade-row={index}
                      defaultChecked={(typed ? typed.level : s.level) === lv}
                      aria-invalid={gradeErr ? true : undefined}
                      aria-describedby={gradeErr ? gradeErrId : undefined}
                    />{" "}
                    {LEVEL_NAMES[lv][locale]}
                  </label>
                ))}
              </div>
              {gradeErr ? (
                <p className="error" id={gradeErrId} role="alert">
                  {t(gradeErr as MessageKey)}
                </p>
              ) : null}
            </fieldset>
          ) : (
            <div className="field">
              <label htmlFor={`score-${s.studentId}`}>
                {t("assignment.scoreOf", { name: s.fullName })} ({a.scale === "ten_point" ? "0–10" : `0–${formatNumber(Number(a.maxPoints), locale)}`})
              </label>
              <input
                id={`score-${s.studentId}`}
                name={`score.${s.studentId}`}
                inputMode="decimal"
                autoComplete="off"
                enterKeyHint="next"
                data-grade-row={index}
                defaultValue={typed ? (typed.score ?? "") : s.score !== null ? formatNumber(Number(s.score), locale, 2) : ""}
                aria-invalid={gradeErr ? true : undefined}
                aria-describedby={gradeErr ? gradeErrId : undefined}
              />
              {gradeErr ? (
                <p className="error" id={gradeErrId} role="alert">
                  {t(gradeErr as MessageKey)}
                </p>
              ) : null}
            </div>
          )}
          <div className="field">
            <label htmlFor={`comment-${s.studentId}`}>{t("assignment.commentFor", { name: s.fullName })}</label>
            <textarea
              id={`comment-${s.studentId}`}
              name={`comment.${s.studentId}`}
              rows={2}
              defaultValue={typed ? (typed.comment ?? "") : (s.comment ?? "")}
              style={{ minHeight: "3rem" }}
              aria-invalid={err.comment ? true : undefined}
              aria-describedby={err.comment ? `comment-err-${s.studentId}` : undefined}
            />
            {err.comment ? (
              <p className="error" id={`comment-err-${s.studentId}`} role="alert">
                {t(err.comment as MessageKey)}
              </p>
            ) : null}
          </div>
        </div>
        <div>
          <button type="submit" name="studentId" value={s.studentId} aria-label={`${saveLabel}: ${s.fullName}`}>
            {saveLabel}
          </button>
        </div>
      </li>
    );
  };

  const summary =
    result?.mode === "all"
      ? result.failed > 0
        ? result.saved + result.unchanged > 0
          ? t("assignment.savedSome", { n: result.saved, failed: result.failed })
          : t("assignment.savedNone", { failed: result.failed })
        : result.saved > 0
          ? t("assignment.savedAll", { n: result.saved })
          : t("assignment.nothingChanged")
      : null;

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
          <Link to={`/assignments/${a.id}/quiz`} data-testid="quiz-page">
            {t("quiz.title")}
          </Link>
        </p>
      )}
      {a.formUrl ? (
        <p>
          <a href={a.formUrl} target="_blank" rel="noopener noreferrer" data-testid="form-link">
            {t("quiz.open")}
          </a>
          {a.formTitle ? <span className="muted"> · {a.formTitle}</span> : null}
        </p>
      ) : null}
      {/* A grade for someone who is not a student of this class has no row of its own to show its error in. */}
      {result?.formErrors?.studentId ? <FormError message={result.formErrors.studentId} /> : null}
      <p className="muted">
        {t("assignment.dueIn", { date: formatDateTime(a.dueAt) })} · {t(`assignment.scales.${a.scale}`)} ·{" "}
        {t("assignment.tag", { kind: t(`gradebook.kinds.${a.assessment}`), term: t(a.term === 2 ? "gradebook.term2" : "gradebook.term1") })} ·{" "}
        <Link to={`/classes/${a.classId}/gradebook?term=${a.term}`}>{t("classes.gradebook")}</Link>
      </p>
      {a.instructionsHtml ? <div className="card prose" ref={prose} dangerouslySetInnerHTML={{ __html: a.instructionsHtml }} /> : null}
      {attachments.length > 0 ? (
        <AttachedFiles files={attachments} label={t("assignment.attachments")} />
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
      {summary ? (
        <p className={result && result.failed > 0 ? "banner banner-error" : "banner banner-ok"} role={result && result.failed > 0 ? "alert" : "status"} data-testid="save-all-summary">
          {summary}
        </p>
      ) : null}
      {/* One form for the class: "Lưu tất cả" comes first, so Enter without JavaScript saves all. */}
      <Form method="post" noValidate onKeyDown={nextGradeField} aria-label={t("assignment.submissions")}>
        <div className="actions save-all">
          <button type="submit" className="primary" name="intent" value="saveAll">
            {t("assignment.saveAll")}
          </button>
          <span className="hint">{t("assignment.saveAllHint")}</span>
        </div>
        <h2>{t("assignment.handedIn", { n: handedIn.length })}</h2>
        <ul className="list">{handedIn.map((s, i) => renderRow(s, i))}</ul>
        <h2>{t("assignment.notHandedInRows", { n: notIn.length })}</h2>
        <ul className="list">{notIn.map((s, i) => renderRow(s, handedIn.length + i))}</ul>
        <div className="actions save-all">
          <button type="submit" className="primary" name="intent" value="saveAll" data-save-all-last="">
            {t("assignment.saveAll")}
          </button>
        </div>
      </Form>
    </>
  );
}

export const links: Route.LinksFunction = mathLinks;

export const meta: Route.MetaFunction = ({ data }) => [{ title: data ? `${data.assignment.title} · Lớp Số` : "Lớp Số" }];

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
