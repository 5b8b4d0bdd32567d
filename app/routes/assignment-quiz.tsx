import { Form, useActionData, useLoaderData } from "react-router";
import type { Route } from "./+types/assignment-quiz";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { assignmentForTeacher } from "../services/assignments.server.ts";
import { assignQuizResponse, attachQuiz, detachQuiz, quizForTeacher, readQuizForTeacher } from "../services/quizzes.server.ts";
import { Link } from "../components/link.tsx";
import { Field, FormError, Notice } from "../components/forms.tsx";
import { useLocale, useT, type MessageKey } from "../i18n/index.ts";
import { formatDateTime, formatNumber } from "../lib/vn.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";

/** The quiz of an assignment: the class's teachers only (anyone else: "not found"). */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const { assignment: a, students } = await assignmentForTeacher(db, actor, params.assignmentId);
  const quiz = await quizForTeacher(db, actor, a.id);
  const names = new Map(students.map((s) => [s.studentId, s.fullName]));
  return {
    assignment: { id: a.id, title: a.title, classId: a.classId, archived: Boolean(a.archivedAt), dueAt: a.dueAt.toISOString() },
    ...quiz,
    unmatched: quiz.unmatched.map((r) => ({ ...r, studentName: r.studentId ? (names.get(r.studentId) ?? null) : null })),
    students: students.map((s) => ({ id: s.studentId, fullName: s.fullName })),
  };
}

/**
 * attach (formUrl), detach, read ("Đọc điểm từ Google Forms"), assign (responseId, studentId):
 * each for the class's teachers only; a refused input comes back with its reason beside the field.
 */
export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const fields = formObject(await readForm(request, context));
  switch (fields.intent) {
    case "attach": {
      const r = await attachQuiz(db, actor, params.assignmentId, fields);
      return r.ok ? { done: r.value.checked ? ("attached" as const) : ("attachedUnchecked" as const) } : badRequest({ errors: r.errors, values: { formUrl: fields.formUrl ?? "" } });
    }
    case "detach":
      await detachQuiz(db, actor, params.assignmentId);
      return { done: "detached" as const };
    case "read": {
      const summary = await readQuizForTeacher(db, actor, params.assignmentId);
      return { read: { ...summary, retryAt: summary.retryAt?.toISOString() } };
    }
    case "assign": {
      const r = await assignQuizResponse(db, actor, params.assignmentId, fields);
      return r.ok ? { done: "assigned" as const } : badRequest({ errors: r.errors, responseId: fields.responseId ?? "" });
    }
    default:
      throw badRequest({ message: "bad_request" });
  }
}

export default function AssignmentQuiz() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const errors = result && "errors" in result ? result.errors : undefined;
  const attachError = result && "values" in result ? errors?.formUrl : undefined;
  const q = d.quiz;
  const done = result && "done" in result ? result.done : undefined;
  const read = result && "read" in result ? result.read : undefined;
  return (
    <div className="narrow">
      <p>
        <Link to={`/assignments/${d.assignment.id}/submissions`}>← {d.assignment.title}</Link>
      </p>
      <h1>{t("quiz.title")}</h1>
      <p>{t("quiz.intro")}</p>
      {done ? <Notice>{t(`quiz.${done}`)}</Notice> : null}
      {read ? (
        read.outcome === "ok" ? (
          <Notice>
            <span data-testid="read-summary">{t("quiz.readDone", { responses: read.responses, graded: read.graded, unmatched: read.unmatched })}</span>
          </Notice>
        ) : (
          <p className="banner banner-error" role="alert" data-testid="read-summary" data-outcome={read.outcome}>
            {t(`quiz.outcome.${read.outcome}`, { date: read.retryAt ? formatDateTime(read.retryAt) : "" })}
            {read.message ? <> {t("quiz.providerSaid", { message: read.message })}</> : null}
          </p>
        )
      ) : null}
      {d.connection === "none" ? (
        <p className="notice warning" role="status" data-testid="quiz-connection" data-state="none">
          {t("quiz.notConnected")}
        </p>
      ) : d.connection === "scope_missing" ? (
        <p className="notice warning" role="status" data-testid="quiz-connection" data-state="scope_missing">
          {t("quiz.scopeMissing")}
        </p>
      ) : null}

      {q ? (
        <section className="card" aria-labelledby="quiz-now" data-testid="quiz">
          <h2 id="quiz-now">{q.title ?? t("quiz.title")}</h2>
          <ul>
            <li>
              <a href={q.responderUrl} target="_blank" rel="noopener noreferrer" data-testid="quiz-link">
                {t("quiz.open")}
              </a>
            </li>
            <li>
              <a href={q.editUrl} target="_blank" rel="noopener noreferrer">
                {t("quiz.openEdit")}
              </a>
            </li>
          </ul>
          {q.maxScore !== null ? <p>{t("quiz.outOf", { points: formatNumber(q.maxScore, locale, 2) })}</p> : null}
          <p className="muted">{q.lastReadAt ? t("quiz.lastRead", { date: formatDateTime(q.lastReadAt) }) : t("quiz.neverRead")}</p>
          {q.lastOutcome && q.lastOutcome !== "ok" ? (
            <p className="notice warning" role="status" data-testid="quiz-outcome" data-outcome={q.lastOutcome}>
              {t(`quiz.outcome.${q.lastOutcome}`, { date: q.retryAt ? formatDateTime(q.retryAt) : "" })}
              {q.lastMessage ? <> {t("quiz.providerSaid", { message: q.lastMessage })}</> : null}
            </p>
          ) : null}
          <div className="actions">
            <Form method="post">
              <input type="hidden" name="intent" value="read" />
              <button type="submit" className="primary" data-testid="quiz-read">
                {t("quiz.read")}
              </button>
            </Form>
            {!d.assignment.archived ? (
              <Form method="post">
                <input type="hidden" name="intent" value="detach" />
                <button type="submit" className="danger">
                  {t("quiz.detach")}
                </button>
              </Form>
            ) : null}
          </div>
        </section>
      ) : null}

      {q && d.unmatched.length > 0 ? (
        <section className="card" aria-labelledby="quiz-unmatched" data-testid="quiz-unmatched">
          <h2 id="quiz-unmatched">{t("quiz.unmatchedTitle")}</h2>
          <p>{t("quiz.unmatchedIntro")}</p>
          <ul className="list">
            {d.unmatched.map((r) => {
              const err = result && "responseId" in result && result.responseId === r.responseId ? errors?.studentId : undefined;
              const selectId = `student-${r.responseId}`;
              return (
                <li key={r.responseId} className="card" data-testid="quiz-response" data-response={r.responseId}>
                  <dl className="facts">
                    <dt>{t("quiz.respondent")}</dt>
                    <dd>{r.email ?? t("quiz.noEmail")}</dd>
                    <dt>{t("quiz.score")}</dt>
                    <dd>{r.totalScore === null ? "—" : `${formatNumber(r.totalScore, locale, 2)}/${formatNumber(q.maxScore ?? 0, locale, 2)}`}</dd>
                    <dt>{t("quiz.submitted")}</dt>
                    <dd>{formatDateTime(r.submittedAt)}</dd>
                  </dl>
                  {r.studentName ? <p className="muted">{t("quiz.assignedByTeacher", { name: r.studentName })}</p> : null}
                  <Form method="post">
                    <input type="hidden" name="intent" value="assign" />
                    <input type="hidden" name="responseId" value={r.responseId} />
                    <div className="field">
                      <label htmlFor={selectId}>{t("quiz.student")}</label>
                      <select id={selectId} name="studentId" defaultValue={r.studentId ?? ""} aria-invalid={err ? true : undefined} aria-describedby={err ? `${selectId}-err` : undefined}>
                        <option value="">{t("quiz.chooseStudent")}</option>
                        {d.students.map((s) => (
                          <option key={s.id} value={s.id}>
                            {s.fullName}
                          </option>
                        ))}
                      </select>
                      {err ? (
                        <p className="error" id={`${selectId}-err`} role="alert">
                          {t(err as MessageKey)}
                        </p>
                      ) : null}
                    </div>
                    <button type="submit">{t("quiz.assign")}</button>
                  </Form>
                </li>
              );
            })}
          </ul>
        </section>
      ) : null}

      {!d.assignment.archived ? (
        <section className="card" aria-labelledby="quiz-attach">
          <h2 id="quiz-attach">{q ? t("quiz.replace") : t("quiz.attach")}</h2>
          <p className="muted">{t("quiz.emailHint")}</p>
          {attachError ? <FormError message="common.errorSummary" /> : null}
          <Form method="post" noValidate>
            <input type="hidden" name="intent" value="attach" />
            <Field
              label={t("quiz.formUrl")}
              hint={t("quiz.formUrlHint")}
              name="formUrl"
              type="url"
              inputMode="url"
              autoComplete="off"
              spellCheck={false}
              required
              defaultValue={result && "values" in result ? result.values.formUrl : ""}
              error={attachError as MessageKey | undefined}
            />
            <button type="submit" className={q ? undefined : "primary"} data-testid="quiz-attach">
              {q ? t("quiz.replace") : t("quiz.attach")}
            </button>
          </Form>
        </section>
      ) : null}
    </div>
  );
}

export const meta: Route.MetaFunction = ({ data }) => [{ title: data ? `${data.assignment.title} · Google Forms · Lớp Số` : "Lớp Số" }];

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
