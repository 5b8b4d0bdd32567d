import { Form, useActionData, useLoaderData, useNavigation } from "react-router";
import { AttachedFiles } from "../components/attached-files.tsx";
import { useRef } from "react";
import { mathLinks } from "../lib/math-styles.ts";
import { useHideBrokenImages } from "../components/broken-images.tsx";
import type { Route } from "./+types/assignment";
import { platformLinks } from "../services/sync/teacher-links.server.ts";
import { PlatformLinks } from "../components/platform-links.tsx";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { assignmentForStudent, submitAssignment } from "../services/assignments.server.ts";
import { filesFrom } from "../services/files.server.ts";
import { displayGrade } from "../services/grades.ts";
import { subjectName } from "../lib/curriculum.ts";
import { formatDateTime } from "../lib/vn.ts";
import { Field, FormError, Notice, TextArea } from "../components/forms.tsx";
import { useLocale, useT } from "../i18n/index.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";
import { BODY_LIMITS } from "../server/limits.ts";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "student");
  const db = getDb();
  const page = await assignmentForStudent(db, actor, params.assignmentId);
  // Synced from Classroom or Teams: the platform's own page, where its attachments (a Forms quiz…) live.
  const platforms = (await platformLinks(db, "coursework", [params.assignmentId]))[params.assignmentId] ?? [];
  return { ...page, platforms };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "student");
  const form = await readForm(request, context, BODY_LIMITS.upload);
  const result = await submitAssignment(getDb(), actor, params.assignmentId, formObject(form), filesFrom(form, "files"));
  if (!result.ok) return badRequest({ errors: result.errors, late: null as boolean | null });
  return { errors: {} as Record<string, string>, late: result.value.late };
}

export default function AssignmentPage() {
  const { assignment: a, attachments, submission, files, platforms } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const t = useT();
  const locale = useLocale();
  const prose = useRef<HTMLDivElement>(null);
  useHideBrokenImages(prose, a.instructionsHtml);
  const overdue = new Date(a.dueAt) < new Date();
  return (
    <>
      <article className="card">
        <p className="muted">
          {subjectName(a.subject, locale)} {a.className} ·{" "}
          {t("assignment.tag", { kind: t(`gradebook.kinds.${a.assessment}`), term: t(a.term === 2 ? "gradebook.term2" : "gradebook.term1") })}
        </p>
        <h1>{a.title}</h1>
        <p>
          {t("assignment.dueIn", { date: formatDateTime(a.dueAt) })}{" "}
          {overdue && (!submission || submission.status === "missing") ? <span className="badge badge-err">{t("assignment.overdue")}</span> : null}
        </p>
        <div className="prose" ref={prose} dangerouslySetInnerHTML={{ __html: a.instructionsHtml }} />
        <PlatformLinks links={platforms} />
        {a.formUrl ? (
          <p>
            <a href={a.formUrl} target="_blank" rel="noopener noreferrer" className="button primary" data-testid="form-link">
              {t("quiz.open")}
            </a>
            {a.formTitle ? <span className="muted"> · {a.formTitle}</span> : null}
          </p>
        ) : null}
        {attachments.length > 0 ? (
          <>
            <h2>{t("assignment.attachments")}</h2>
            <AttachedFiles files={attachments} />
          </>
        ) : null}
      </article>
      {submission?.status === "graded" ? (
        <section className="card" aria-labelledby="result">
          <h2 id="result">{t("assignment.yourGrade")}</h2>
          <p className="grade" data-testid="grade">
            {displayGrade(a.scale, submission, a.maxPoints, locale)}
          </p>
          {submission.comment ? (
            <>
              <h3>{t("assignment.teacherComment")}</h3>
              <p>{submission.comment}</p>
            </>
          ) : null}
        </section>
      ) : null}
      <section className="card" aria-labelledby="work">
        <h2 id="work">{t("assignment.yourWork")}</h2>
        {result && result.late !== null ? <Notice>{t(result.late ? "assignment.submittedLate" : "assignment.submittedOk")}</Notice> : null}
        {submission?.submittedAt ? (
          <p className="muted">
            {t("assignment.submittedAt", { date: formatDateTime(submission.submittedAt) })}
            {submission.late ? ` · ${t("common.late")}` : ""}
          </p>
        ) : null}
        {files.length > 0 ? (
          <AttachedFiles files={files} />
        ) : null}
        {submission?.status !== "graded" ? (
          <Form method="post" encType="multipart/form-data" noValidate key={String(submission?.submittedAt ?? "new")}>
            <TextArea label={t("assignment.answer")} name="body" rows={6} defaultValue={submission?.body ?? ""} error={result?.errors?.body} />
            <Field label={t("assignment.attach")} hint={t("lesson.attachHint")} name="files" type="file" multiple error={result?.errors?.files} />
            <button type="submit" className="primary" disabled={navigation.state === "submitting"}>
              {t(submission?.submittedAt ? "assignment.resubmit" : "assignment.submit")}
            </button>
          </Form>
        ) : (
          <>
            {submission.body ? <p style={{ whiteSpace: "pre-wrap" }}>{submission.body}</p> : null}
            {/* Why there is no form: graded work is not handed in again (a refused attempt says so aloud). */}
            {result?.errors?.body === "errors.already_graded" ? (
              <FormError message="errors.already_graded" />
            ) : (
              <p className="muted" data-testid="graded-locked">
                {t("errors.already_graded")}
              </p>
            )}
          </>
        )}
      </section>
    </>
  );
}

export const links: Route.LinksFunction = mathLinks;

export const meta: Route.MetaFunction = ({ data }) => [{ title: data ? `${data.assignment.title} · Lớp Số` : "Lớp Số" }];

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
