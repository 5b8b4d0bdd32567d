import { redirect } from "react-router";
import type { Route } from "./+types/lesson-licence";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { formObject, readForm } from "./_form.server.ts";

/**
 * Share a lesson (or one of its files) as open under a Creative Commons licence, or stop: the
 * form of the lesson editor's "Học liệu mở" card. Only the lesson's class teachers.
 */
export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const fields = formObject(await readForm(request, context));
  const { setAttachmentLicence, setLessonLicence } = await import("../services/library/open.server.ts");
  const { lessons } = await import("../../db/schema/index.ts");
  const { eq } = await import("drizzle-orm");
  const result = fields.attachmentId
    ? await setAttachmentLicence(db, actor, params.lessonId, fields.attachmentId, fields.licence ?? "")
    : await setLessonLicence(db, actor, params.lessonId, fields.licence ?? "");
  const [lesson] = await db.select({ classId: lessons.classId }).from(lessons).where(eq(lessons.id, params.lessonId));
  const back = `/classes/${lesson.classId}/lessons/${params.lessonId}/edit`;
  if (!result.ok) throw redirect(`${back}?licence=${encodeURIComponent(result.errors.licence ?? "error")}`);
  throw redirect(`${back}?licence=${result.value.licence ? "opened" : "closed"}`);
}

export async function loader() {
  throw redirect("/");
}

/** Never shown (the loader redirects); a refusal's error page is shown inside the frame. */
export default function LessonLicence() {
  return null;
}

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
