import { useEffect, useState } from "react";
import { Form, redirect, useActionData, useFetcher, useLoaderData, useNavigation, useSearchParams } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/lesson-edit";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { getClassForTeacher } from "../services/classes.server.ts";
import { deleteAttachment, getLessonForEditing, saveLesson } from "../services/lessons.server.ts";
import { filesFrom } from "../services/files.server.ts";
import { subjectName } from "../lib/curriculum.ts";
import { FormError, Notice, TextArea, Field } from "../components/forms.tsx";
import { useLocale, useT, type MessageKey } from "../i18n/index.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";
import { BODY_LIMITS } from "../server/limits.ts";
import { pageTitle } from "../lib/meta.ts";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const cls = await getClassForTeacher(db, actor, params.classId);
  const lesson = params.lessonId ? await getLessonForEditing(db, actor, params.classId, params.lessonId) : null;
  return { class: cls, lesson };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const form = await readForm(request, context, BODY_LIMITS.upload);
  const fields = formObject(form);
  if (fields.intent === "remove-file" && params.lessonId) {
    await deleteAttachment(db, actor, params.classId, params.lessonId, fields.attachmentId ?? "");
    return { errors: {} as Record<string, string>, values: null };
  }
  const result = await saveLesson(db, actor, params.classId, params.lessonId ?? null, fields, filesFrom(form, "files"));
  if (!result.ok) return badRequest({ errors: result.errors, values: { title: fields.title ?? "", bodyMd: fields.bodyMd ?? "" } });
  throw redirect(`/classes/${params.classId}/lessons/${result.value.id}/edit?saved=${result.value.saved}`);
}

const SAVED_MESSAGES: Record<string, MessageKey | undefined> = {
  draft: "lesson.savedDraft",
  published: "lesson.savedPublished",
  updated: "lesson.savedUpdated",
};

export default function LessonEditor() {
  const { class: cls, lesson } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const t = useT();
  const locale = useLocale();
  const [body, setBody] = useState(result?.values?.bodyMd ?? lesson?.bodyMd ?? "");
  const preview = useFetcher<{ html: string }>();

  // Live preview, rendered and sanitized by the server exactly as it will be stored.
  useEffect(() => {
    const timer = setTimeout(() => {
      preview.submit({ markdown: body }, { method: "post", action: "/api/preview" });
    }, 300);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [body]);

  const saved = SAVED_MESSAGES[params.get("saved") ?? ""];
  const html = preview.data?.html ?? lesson?.bodyHtml ?? "";
  return (
    <>
      <p>
        <Link to={`/classes/${cls.id}`}>
          ← {subjectName(cls.subject, locale)} {cls.name}
        </Link>
      </p>
      <h1>{t(lesson ? "lesson.editTitle" : "lesson.newTitle")}</h1>
      {saved ? <Notice>{t(saved)}</Notice> : null}
      {result?.errors && Object.keys(result.errors).length > 0 ? <FormError message="common.errorSummary" /> : null}
      <Form method="post" encType="multipart/form-data" noValidate className="card">
        <Field label={t("lesson.title")} name="title" required defaultValue={result?.values?.title ?? lesson?.title} error={result?.errors?.title} />
        <div className="editor">
          <TextArea
            label={t("lesson.body")}
            hint={t("lesson.bodyHint")}
            name="bodyMd"
            value={body}
            onChange={(e) => setBody(e.target.value)}
            rows={14}
            error={result?.errors?.bodyMd}
          />
          <div>
            <h2 id="preview-title">{t("lesson.preview")}</h2>
            <div className="preview prose" aria-labelledby="preview-title" aria-live="polite" data-testid="preview">
              {html ? <div dangerouslySetInnerHTML={{ __html: html }} /> : <p className="muted">{t("lesson.previewEmpty")}</p>}
            </div>
          </div>
        </div>
        <Field
          // A new input after each save (the lesson's updatedAt changes): a file already attached
          // does not stay chosen in the form, to be sent again with the next save.
          key={String(lesson?.updatedAt ?? "new")}
          label={t("lesson.attachments")}
          hint={t("lesson.attachHint")}
          name="files"
          type="file"
          multiple
          error={result?.errors?.files}
        />
        <div className="actions">
          <button type="submit" name="intent" value="draft" disabled={navigation.state === "submitting"}>
            {t("lesson.saveDraft")}
          </button>
          <button type="submit" name="intent" value="publish" className="primary" disabled={navigation.state === "submitting"}>
            {t("lesson.publish")}
          </button>
          {lesson ? <Link to={`/lessons/${lesson.id}`}>{t("lesson.read")}</Link> : null}
          {lesson ? <Link to={`/classes/${cls.id}/lessons/${lesson.id}/delete`}>{t("lesson.delete")}</Link> : null}
        </div>
      </Form>
      {lesson && lesson.attachments.length > 0 ? (
        <section className="card">
          <h2>{t("lesson.attachments")}</h2>
          <ul className="list">
            {lesson.attachments.map((a) => (
              <li key={a.id} className="row">
                <a href={`/files/${a.id}`} download>{a.filename}</a>
                <Form method="post">
                  <input type="hidden" name="intent" value="remove-file" />
                  <input type="hidden" name="attachmentId" value={a.id} />
                  <button type="submit" aria-label={`${t("lesson.remove")}: ${a.filename}`}>
                    {t("lesson.remove")}
                  </button>
                </Form>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "lesson.newTitle");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
