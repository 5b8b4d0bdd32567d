import { useEffect, useRef, useState } from "react";
import { Form, redirect, useActionData, useFetcher, useLoaderData, useNavigation, useSearchParams } from "react-router";
import { Link } from "../components/link.tsx";
import { AttachedFiles } from "../components/attached-files.tsx";
import type { ShouldRevalidateFunctionArgs } from "react-router";
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
import { mathLinks } from "../lib/math-styles.ts";
import { renderMarkdown } from "../services/markdown.server.ts";
import { MarkdownToolbar } from "../components/markdown-toolbar.tsx";
import { useHideBrokenImages } from "../components/broken-images.tsx";
import { OpenLicence } from "../components/open-licence.tsx";
import { LessonLibrary } from "../components/lesson-library.tsx";
import { lessonLibraryAction, lessonLibraryData } from "./_lesson-library.server.ts";
import { pushState, requestPush } from "../services/sync/push.server.ts";
import { CoursePushField } from "../components/course-push.tsx";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const cls = await getClassForTeacher(db, actor, params.classId);
  const lesson = params.lessonId ? await getLessonForEditing(db, actor, params.classId, params.lessonId) : null;
  // Push-out to the class's Classroom / Teams course (offered only when the class is linked to one).
  const push = await pushState(db, params.classId, "lesson", lesson?.id ?? null);
  return { class: cls, lesson, library: lesson ? await lessonLibraryData(db, url, lesson.id) : null, push };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const form = await readForm(request, context, BODY_LIMITS.upload);
  const fields = formObject(form);
  if ((fields.intent === "attach-resource" || fields.intent === "detach-resource") && params.lessonId) {
    return lessonLibraryAction(db, actor, url, params.classId, params.lessonId, fields);
  }
  if (fields.intent === "remove-file" && params.lessonId) {
    await deleteAttachment(db, actor, params.classId, params.lessonId, fields.attachmentId ?? "");
    return { errors: {} as Record<string, string>, values: null };
  }
  const result = await saveLesson(db, actor, params.classId, params.lessonId ?? null, fields, filesFrom(form, "files"));
  if (!result.ok) {
    const bodyMd = fields.bodyMd ?? "";
    // The draft's preview comes with the page, so the editor need not ask for it again.
    return badRequest({ errors: result.errors, values: { title: fields.title ?? "", bodyMd, bodyHtml: renderMarkdown(bodyMd.slice(0, 100_000)) } });
  }
  // Only a published lesson is posted; unticked (or back to draft), a copy posted is removed.
  await requestPush(db, actor, { classId: params.classId, kind: "lesson", itemId: result.value.id, post: fields.pushToPlatforms === "on" && result.value.status === "published" });
  throw redirect(`/classes/${params.classId}/lessons/${result.value.id}/edit?saved=${result.value.saved}`);
}

/** The live preview's requests do not reload the page's data (nothing on the page changed). */
export function shouldRevalidate({ formAction, defaultShouldRevalidate }: ShouldRevalidateFunctionArgs) {
  return formAction === PREVIEW_ACTION ? false : defaultShouldRevalidate;
}

const PREVIEW_ACTION = "/api/preview";

const SAVED_MESSAGES: Record<string, MessageKey | undefined> = {
  draft: "lesson.savedDraft",
  published: "lesson.savedPublished",
  updated: "lesson.savedUpdated",
};

export default function LessonEditor() {
  const { class: cls, lesson, library, push } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const t = useT();
  const locale = useLocale();
  const [body, setBody] = useState(result?.values?.bodyMd ?? lesson?.bodyMd ?? "");
  const preview = useFetcher<{ html: string }>();
  const textarea = useRef<HTMLTextAreaElement>(null);
  const previewBox = useRef<HTMLDivElement>(null);
  // The text whose preview is on the page: the server rendered it with the page.
  const previewed = useRef(body);

  // Live preview after an edit, rendered and sanitized by the server exactly as it will be stored.
  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    if (body === previewed.current) return;
    pending.current = setTimeout(() => {
      previewed.current = body;
      preview.submit({ markdown: body }, { method: "post", action: PREVIEW_ACTION });
    }, 300);
    return () => clearTimeout(pending.current);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [body]);

  const saved = SAVED_MESSAGES[params.get("saved") ?? ""];
  const html = preview.data?.html ?? result?.values?.bodyHtml ?? lesson?.bodyHtml ?? "";
  useHideBrokenImages(previewBox, html);
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
      <Form method="post" encType="multipart/form-data" noValidate className="card" onSubmit={() => clearTimeout(pending.current)}>
        <Field label={t("lesson.title")} name="title" required defaultValue={result?.values?.title ?? lesson?.title} error={result?.errors?.title} />
        <div className="editor">
          <div>
            <MarkdownToolbar target={textarea} onChange={setBody} />
            <TextArea
              ref={textarea}
              label={t("lesson.body")}
              hint={t("lesson.bodyHint")}
              name="bodyMd"
              value={body}
              onChange={(e) => setBody(e.target.value)}
              rows={14}
              error={result?.errors?.bodyMd}
            />
          </div>
          <div>
            <h2 id="preview-title">{t("lesson.preview")}</h2>
            <div className="preview prose" role="region" aria-labelledby="preview-title" aria-live="polite" data-testid="preview" ref={previewBox}>
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
        <CoursePushField view={push} hint={t("coursePush.lessonDraftHint")} />
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
          <AttachedFiles files={lesson.attachments} removeLabel={t("lesson.remove")} />
        </section>
      ) : null}
      {lesson ? <OpenLicence lesson={lesson} /> : null}
      <LessonLibrary data={library} />
    </>
  );
}

export const links: Route.LinksFunction = mathLinks;

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "lesson.newTitle");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
