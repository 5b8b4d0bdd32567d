import { and, asc, eq, isNotNull, or } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client.server.ts";
import { attachments, classes, classMembers, lessons, parentLinks } from "../../db/schema/index.ts";
import { isClassStudent, isClassTeacher, type Actor } from "../auth/actor.server.ts";
import { notFound, requireId } from "../auth/guards.server.ts";
import { nfc } from "../lib/vn.ts";
import { recordEvents } from "./events.server.ts";
import { AttachmentLimitError, attachStaged, checkFiles, removeStored, stageFiles, transactionWithFiles } from "./files.server.ts";
import { renderMarkdown } from "./markdown.server.ts";
import { fail, ok, zodErrors, type Result } from "./result.ts";
import { getClassForTeacher } from "./classes.server.ts";
import { refreshOpenLesson, withdrawAttachment, withdrawLesson } from "./library/open.server.ts";

export const LessonSchema = z.object({
  title: z.string().transform(nfc).pipe(z.string().min(3, "errors.title_short").max(200, "errors.title_long")),
  bodyMd: z.string().max(100_000, "errors.body_long").transform((v) => v.normalize("NFC")),
  intent: z.enum(["draft", "publish"]).default("draft"),
});

/**
 * What a save did, for the teacher's banner: kept as a draft, published, or changed a lesson
 * that stays published (saving a published lesson does not take it back from its readers).
 */
export type LessonSaved = "draft" | "published" | "updated";

/** Create or update a lesson; `intent: "publish"` also publishes it (and tells parents once). */
export async function saveLesson(
  db: Db,
  actor: Actor,
  classId: string,
  lessonId: string | null,
  raw: unknown,
  files: File[] = [],
): Promise<Result<{ id: string; status: "draft" | "published"; saved: LessonSaved }>> {
  const cls = await getClassForTeacher(db, actor, classId);
  const parsed = LessonSchema.safeParse(raw);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const problem = await checkFiles(files);
  if (problem) return fail({ files: `errors.file_${problem.reason}` });
  const input = parsed.data;
  if (lessonId) await getLessonOfClass(db, classId, lessonId);

  // Files are written to temporary names first and moved to their keys as the transaction's last
  // step; if it fails they are removed, so nothing is half-stored (files.server.ts).
  const staged = await stageFiles(files);
  try {
    const result = await transactionWithFiles(db, staged, async (tx) => {
      const now = new Date();
      // The HTML is rendered once the attachments are known (renderLessonHtml, below).
      const values = { title: input.title, bodyMd: input.bodyMd, bodyHtml: "", updatedAt: now };
      let id = lessonId;
      if (id) {
        await tx.update(lessons).set(values).where(eq(lessons.id, id));
      } else {
        const [row] = await tx.insert(lessons).values({ ...values, classId, authorId: actor.id }).returning({ id: lessons.id });
        id = row.id;
      }
      await attachStaged(tx, { lessonId: id }, actor.id, staged);
      await tx.update(lessons).set({ bodyHtml: await renderLessonHtml(tx, id!, input.bodyMd) }).where(eq(lessons.id, id!));
      let status: "draft" | "published" = "draft";
      if (input.intent === "publish") {
        status = "published";
        const [before] = await tx.select({ publishedAt: lessons.publishedAt }).from(lessons).where(eq(lessons.id, id!));
        await tx.update(lessons).set({ status, publishedAt: before?.publishedAt ?? now }).where(eq(lessons.id, id!));
        await recordEvents(tx, [
          { type: "lesson.published", schoolId: cls.schoolId, classId, actorId: actor.id, subjectId: id!, payload: { title: input.title, className: cls.name } },
        ]);
      } else if (lessonId) {
        const [row] = await tx.select({ status: lessons.status }).from(lessons).where(eq(lessons.id, id!));
        status = row.status;
      }
      // An open lesson's library entry and OAI record follow its edits (a new datestamp).
      if (lessonId) await refreshOpenLesson(tx, id!);
      const saved: LessonSaved = input.intent === "publish" ? "published" : status === "published" ? "updated" : "draft";
      return { id: id!, status, saved };
    });
    return ok(result);
  } catch (e) {
    if (e instanceof AttachmentLimitError) return fail({ files: `errors.file_${e.reason}` });
    throw e;
  }
}

export async function setLessonStatus(db: Db, actor: Actor, classId: string, lessonId: string, publish: boolean) {
  const cls = await getClassForTeacher(db, actor, classId);
  const lesson = await getLessonOfClass(db, classId, lessonId);
  await db.transaction(async (tx) => {
    await tx
      .update(lessons)
      .set({ status: publish ? "published" : "draft", publishedAt: publish ? (lesson.publishedAt ?? new Date()) : lesson.publishedAt, updatedAt: new Date() })
      .where(eq(lessons.id, lessonId));
    // Unpublishing takes an open lesson out of the library; its OAI record stays, deleted.
    await refreshOpenLesson(tx, lessonId);
    if (publish) {
      await recordEvents(tx, [
        { type: "lesson.published", schoolId: cls.schoolId, classId, actorId: actor.id, subjectId: lessonId, payload: { title: lesson.title, className: cls.name } },
      ]);
    }
  });
}

async function getLessonOfClass(db: Db, classId: string, lessonId: string) {
  if (!z.uuid().safeParse(lessonId).success) throw notFound();
  const [row] = await db
    .select({ id: lessons.id, title: lessons.title, bodyMd: lessons.bodyMd, bodyHtml: lessons.bodyHtml, status: lessons.status, publishedAt: lessons.publishedAt, updatedAt: lessons.updatedAt, licence: lessons.licence })
    .from(lessons)
    .where(and(eq(lessons.id, lessonId), eq(lessons.classId, classId)));
  if (!row) throw notFound();
  return row;
}

export async function lessonAttachments(db: Db, lessonId: string) {
  return db
    .select({ id: attachments.id, filename: attachments.filename, size: attachments.size, contentType: attachments.contentType, licence: attachments.licence })
    .from(attachments)
    .where(eq(attachments.lessonId, lessonId))
    .orderBy(asc(attachments.createdAt));
}

/** For the editor: the teacher's own class only. */
export async function getLessonForEditing(db: Db, actor: Actor, classId: string, lessonId: string) {
  await getClassForTeacher(db, actor, classId);
  const lesson = await getLessonOfClass(db, classId, lessonId);
  return { ...lesson, attachments: await lessonAttachments(db, lessonId) };
}

export async function deleteAttachment(db: Db, actor: Actor, classId: string, lessonId: string, attachmentId: string) {
  requireId(attachmentId);
  await getLessonForEditing(db, actor, classId, lessonId);
  const [row] = await db.transaction(async (tx) => {
    await withdrawAttachment(tx, attachmentId);
    return tx.delete(attachments).where(and(eq(attachments.id, attachmentId), eq(attachments.lessonId, lessonId))).returning({ key: attachments.storageKey });
  });
  if (!row) return;
  // An image of the removed file is no longer shown in the lesson, rather than shown broken.
  const [lesson] = await db.select({ bodyMd: lessons.bodyMd }).from(lessons).where(eq(lessons.id, lessonId));
  await db.update(lessons).set({ bodyHtml: await renderLessonHtml(db, lessonId, lesson.bodyMd) }).where(eq(lessons.id, lessonId));
  await removeStored([row.key]);
}

/** The lesson's HTML: its images of the hub's files only those attached to it. */
async function renderLessonHtml(db: Pick<Db, "select">, lessonId: string, bodyMd: string) {
  const files = await db.select({ id: attachments.id }).from(attachments).where(eq(attachments.lessonId, lessonId));
  return renderMarkdown(bodyMd, { files: new Set(files.map((f) => f.id)) });
}

/** For the confirmation page: the teacher's own lesson, with the files that go with it. */
export async function getLessonForRemoval(db: Db, actor: Actor, classId: string, lessonId: string) {
  await getClassForTeacher(db, actor, classId);
  const lesson = await getLessonOfClass(db, classId, lessonId);
  return { id: lesson.id, title: lesson.title, status: lesson.status, attachments: await lessonAttachments(db, lessonId) };
}

/**
 * Delete a lesson with its attachments (their rows go with it); the files are removed after the
 * commit, and any that cannot be are left to sweepUploads, as no row names them any more.
 */
export async function deleteLesson(db: Db, actor: Actor, classId: string, lessonId: string) {
  await getClassForTeacher(db, actor, classId);
  await getLessonOfClass(db, classId, lessonId);
  const keys = await db.transaction(async (tx) => {
    await tx.select({ id: lessons.id }).from(lessons).where(eq(lessons.id, lessonId)).for("update");
    const files = await tx.select({ key: attachments.storageKey }).from(attachments).where(eq(attachments.lessonId, lessonId));
    await withdrawLesson(tx, lessonId);
    await tx.delete(lessons).where(and(eq(lessons.id, lessonId), eq(lessons.classId, classId)));
    return files.map((f) => f.key);
  });
  await removeStored(keys).catch(() => {});
}

/**
 * Reading a lesson: the class's teachers (drafts too), its students and their parents (published
 * only). Everyone else gets "not found".
 */
/**
 * Whether a visitor who is not signed in may read this: a published lesson shared as open (a
 * Creative Commons licence), or a file of one, or a lesson's file shared as open on its own. The
 * province's /oai links to these, so other repositories' users can open them.
 */
export async function isOpenToVisitors(db: Db, target: { lessonId: string } | { attachmentId: string }): Promise<boolean> {
  if ("lessonId" in target) {
    if (!z.uuid().safeParse(target.lessonId).success) return false;
    const [row] = await db
      .select({ id: lessons.id })
      .from(lessons)
      .where(and(eq(lessons.id, target.lessonId), eq(lessons.status, "published"), isNotNull(lessons.licence)));
    return Boolean(row);
  }
  if (!z.uuid().safeParse(target.attachmentId).success) return false;
  const [row] = await db
    .select({ id: attachments.id })
    .from(attachments)
    .innerJoin(lessons, eq(lessons.id, attachments.lessonId))
    .where(
      and(
        eq(attachments.id, target.attachmentId),
        or(isNotNull(attachments.licence), and(eq(lessons.status, "published"), isNotNull(lessons.licence))),
      ),
    );
  return Boolean(row);
}

/** A lesson for whoever may read it; `actor` null is a visitor, who may read an open lesson only. */
export async function getLessonForReader(db: Db, actor: Actor | null, lessonId: string) {
  if (!z.uuid().safeParse(lessonId).success) throw notFound();
  const [row] = await db
    .select({
      id: lessons.id,
      classId: lessons.classId,
      title: lessons.title,
      bodyHtml: lessons.bodyHtml,
      status: lessons.status,
      publishedAt: lessons.publishedAt,
      licence: lessons.licence,
      className: classes.name,
      subject: classes.subject,
    })
    .from(lessons)
    .innerJoin(classes, eq(classes.id, lessons.classId))
    .where(eq(lessons.id, lessonId));
  if (!row) throw notFound();
  const teacher = actor ? await isClassTeacher(db, actor, row.classId) : false;
  if (!teacher) {
    if (row.status !== "published") throw notFound();
    // An open lesson (shared under a Creative Commons licence) may be read by anyone.
    const allowed =
      Boolean(row.licence) ||
      (actor !== null && ((await isClassStudent(db, actor.id, row.classId)) || (await isParentOfClassStudent(db, actor.id, row.classId))));
    if (!allowed) throw notFound();
  }
  return { ...row, canEdit: teacher, attachments: await lessonAttachments(db, lessonId) };
}

async function isParentOfClassStudent(db: Db, parentId: string, classId: string) {
  const [row] = await db
    .select({ s: parentLinks.studentId })
    .from(parentLinks)
    .innerJoin(classMembers, and(eq(classMembers.userId, parentLinks.studentId), eq(classMembers.classId, classId)))
    .where(eq(parentLinks.parentId, parentId))
    .limit(1);
  return Boolean(row);
}

/** Who may download an attachment: whoever may read its lesson, see its assignment or submission, or read its contact-book thread. */
export async function getAttachmentForDownload(db: Db, actor: Actor | null, attachmentId: string) {
  if (!z.uuid().safeParse(attachmentId).success) throw notFound();
  const [a] = await db
    .select({
      id: attachments.id,
      lessonId: attachments.lessonId,
      submissionId: attachments.submissionId,
      assignmentId: attachments.assignmentId,
      messageId: attachments.messageId,
      filename: attachments.filename,
      contentType: attachments.contentType,
      size: attachments.size,
      storageKey: attachments.storageKey,
      licence: attachments.licence,
    })
    .from(attachments)
    .where(eq(attachments.id, attachmentId));
  if (!a) throw notFound();
  // A lesson's file shared as open on its own may be downloaded by anyone.
  if (a.lessonId && a.licence) return a;
  if (a.lessonId) await getLessonForReader(db, actor, a.lessonId);
  else if (!actor) throw notFound();
  else if (a.assignmentId) {
    const { requireAssignmentReader } = await import("./assignments.server.ts");
    await requireAssignmentReader(db, actor, a.assignmentId);
  } else if (a.submissionId) {
    const { getSubmissionForViewer } = await import("./assignments.server.ts");
    await getSubmissionForViewer(db, actor, a.submissionId);
  } else if (a.messageId) {
    // A file sent in a contact-book thread: whoever may read that thread.
    const { requireMessageReader } = await import("./contact-book.server.ts");
    await requireMessageReader(db, actor, a.messageId);
  } else throw notFound();
  return a;
}

