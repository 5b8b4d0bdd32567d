/**
 * Open lessons: a class's teacher shares a published lesson, or one of its files, under a Creative
 * Commons licence. In one transaction the licence is set, the library gets (or refreshes) the
 * resource — the lesson, with its school as source, for the whole province — and the OAI-PMH
 * record that /oai serves gets a new datestamp. Un-opening, unpublishing and deleting keep the OAI
 * record, marked deleted (deletedRecord = persistent), and take the resource out of the library.
 */
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx, Tx } from "../../../db/client.server.ts";
import { attachments, classes, lessons, oaiRecords, organizations, resources, users } from "../../../db/schema/index.ts";
import { isClassTeacher, type Actor } from "../../auth/actor.server.ts";
import { notFound } from "../../auth/guards.server.ts";
import { subjectName } from "../../lib/curriculum.ts";
import { LICENCE_IDS } from "../../lib/licences.ts";
import { searchFold } from "../../lib/vn.ts";
import { fail, ok, type Result } from "../result.ts";

/** The OAI local identifiers ("lesson/<uuid>", "attachment/<uuid>"). */
export const lessonLocalId = (id: string) => `lesson/${id}`;
export const attachmentLocalId = (id: string) => `attachment/${id}`;

/** Now, to the second (OAI-PMH datestamps have no fractions). */
export function datestampNow(now = new Date()) {
  return new Date(Math.floor(now.getTime() / 1000) * 1000);
}

const LicenceInput = z.union([z.enum(LICENCE_IDS), z.literal("").transform(() => null), z.null()]);

/** Plain text of a lesson's Markdown, for the description (no markup, one line, at most 500 characters). */
export function plainDescription(md: string, max = 500) {
  const text = md
    .replace(/<[^>]*>/g, " ")
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[#>*_`~|]+/g, " ")
    .replace(/\$+/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

type LessonFacts = {
  id: string;
  classId: string;
  title: string;
  bodyMd: string;
  status: "draft" | "published";
  licence: string | null;
  schoolId: string;
  subject: string;
  grade: number;
  author: string;
};

async function lessonFacts(db: DbOrTx, lessonId: string): Promise<LessonFacts | null> {
  const [row] = await db
    .select({
      id: lessons.id,
      classId: lessons.classId,
      title: lessons.title,
      bodyMd: lessons.bodyMd,
      status: lessons.status,
      licence: lessons.licence,
      schoolId: classes.schoolId,
      subject: classes.subject,
      grade: classes.grade,
      author: users.fullName,
    })
    .from(lessons)
    .innerJoin(classes, eq(classes.id, lessons.classId))
    .innerJoin(users, eq(users.id, lessons.authorId))
    .where(eq(lessons.id, lessonId));
  return row ?? null;
}

async function requireLessonTeacher(db: Db, actor: Actor, lessonId: string) {
  if (!z.uuid().safeParse(lessonId).success) throw notFound();
  const facts = await lessonFacts(db, lessonId);
  if (!facts || !(await isClassTeacher(db, actor, facts.classId))) throw notFound();
  return facts;
}

function resourceValues(f: LessonFacts, schoolName: string, item: { kind: "lesson" } | { kind: "attachment"; id: string; filename: string; licence: string }) {
  const subjects = [subjectName(f.subject, "vi")];
  const title = item.kind === "lesson" ? f.title : item.filename;
  const description = item.kind === "lesson" ? plainDescription(f.bodyMd) : `Tệp của bài học “${f.title}” (${schoolName})`;
  const keywords = [`Lớp ${f.grade}`];
  const authors = [f.author];
  return {
    dedupeKey: item.kind === "lesson" ? `lesson:${f.id}` : `attachment:${item.id}`,
    title,
    description,
    subjects,
    keywords,
    authors,
    subject: f.subject,
    grades: [f.grade],
    resourceType: item.kind === "lesson" ? "lesson" : "file",
    language: "vi",
    licence: item.kind === "lesson" ? f.licence : item.licence,
    url: item.kind === "lesson" ? `/lessons/${f.id}` : `/files/${item.id}`,
    lessonId: item.kind === "lesson" ? f.id : null,
    schoolId: f.schoolId,
    searchText: searchFold([title, description, ...subjects, ...keywords, ...authors].join(" ")),
    updatedAt: new Date(),
  };
}

async function upsertRecord(tx: DbOrTx, localId: string, f: LessonFacts, attachmentId: string | null, deleted: boolean, now: Date) {
  await tx
    .insert(oaiRecords)
    .values({ localId, lessonId: f.id, attachmentId, schoolId: f.schoolId, subject: f.subject, deleted, datestamp: datestampNow(now) })
    .onConflictDoUpdate({
      target: oaiRecords.localId,
      set: { lessonId: f.id, attachmentId, schoolId: f.schoolId, subject: f.subject, deleted, datestamp: datestampNow(now) },
    });
}

/** Mark records deleted (kept, with a new datestamp) — only those not deleted already. */
async function markDeleted(tx: DbOrTx, localIds: string[], now: Date) {
  if (localIds.length === 0) return;
  await tx
    .update(oaiRecords)
    .set({ deleted: true, datestamp: datestampNow(now) })
    .where(and(inArray(oaiRecords.localId, localIds), eq(oaiRecords.deleted, false)));
}

/**
 * Bring the library and the OAI records of a lesson (and its open files) in line with the lesson
 * as it now is, inside the caller's transaction: published and open → resource and record
 * refreshed (new datestamp); not published → licences cleared, records deleted, resources removed.
 * Does nothing for a lesson that was never opened.
 */
export async function refreshOpenLesson(tx: DbOrTx, lessonId: string, now = new Date()) {
  const f = await lessonFacts(tx, lessonId);
  if (!f) return;
  const files = await tx
    .select({ id: attachments.id, filename: attachments.filename, licence: attachments.licence })
    .from(attachments)
    .where(and(eq(attachments.lessonId, lessonId), isNotNull(attachments.licence)));
  if (!f.licence && files.length === 0) return;
  if (f.status !== "published") {
    await tx.update(lessons).set({ licence: null }).where(eq(lessons.id, lessonId));
    await tx.update(attachments).set({ licence: null }).where(eq(attachments.lessonId, lessonId));
    await tx.delete(resources).where(inArray(resources.dedupeKey, [`lesson:${lessonId}`, ...files.map((a) => `attachment:${a.id}`)]));
    await markDeleted(tx, [lessonLocalId(lessonId), ...files.map((a) => attachmentLocalId(a.id))], now);
    return;
  }
  const [school] = await tx.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, f.schoolId));
  const items = [
    ...(f.licence ? [{ kind: "lesson" as const }] : []),
    ...files.map((a) => ({ kind: "attachment" as const, id: a.id, filename: a.filename, licence: a.licence! })),
  ];
  for (const item of items) {
    const values = resourceValues(f, school?.name ?? "", item);
    await tx.insert(resources).values(values).onConflictDoUpdate({ target: resources.dedupeKey, set: values });
    await upsertRecord(tx, item.kind === "lesson" ? lessonLocalId(f.id) : attachmentLocalId(item.id), f, item.kind === "lesson" ? null : item.id, false, now);
  }
}

/** Before a lesson is deleted (inside the same transaction): its records stay, deleted. */
export async function withdrawLesson(tx: DbOrTx, lessonId: string, now = new Date()) {
  const files = await tx.select({ id: attachments.id }).from(attachments).where(eq(attachments.lessonId, lessonId));
  await markDeleted(tx, [lessonLocalId(lessonId), ...files.map((a) => attachmentLocalId(a.id))], now);
  await tx.delete(resources).where(inArray(resources.dedupeKey, [`lesson:${lessonId}`, ...files.map((a) => `attachment:${a.id}`)]));
}

/** Before a file is removed from its lesson (inside the same transaction). */
export async function withdrawAttachment(tx: DbOrTx, attachmentId: string, now = new Date()) {
  await markDeleted(tx, [attachmentLocalId(attachmentId)], now);
  await tx.delete(resources).where(eq(resources.dedupeKey, `attachment:${attachmentId}`));
}

/**
 * Share a published lesson as open under `licence` (one of LICENCES), or stop sharing it
 * (`licence` empty/null). Only the lesson's class teachers; others get "not found".
 */
export async function setLessonLicence(db: Db, actor: Actor, lessonId: string, licence: unknown): Promise<Result<{ licence: string | null }>> {
  const lesson = await requireLessonTeacher(db, actor, lessonId);
  return applyLicence(db, lesson, lessonId, licence, async (tx, value) => {
    await tx.update(lessons).set({ licence: value }).where(eq(lessons.id, lessonId));
    if (value) await refreshOpenLesson(tx, lessonId);
    else {
      await markDeleted(tx, [lessonLocalId(lessonId)], new Date());
      await tx.delete(resources).where(eq(resources.dedupeKey, `lesson:${lessonId}`));
    }
  });
}

/** The same for one file of a lesson, shared on its own. */
export async function setAttachmentLicence(db: Db, actor: Actor, lessonId: string, attachmentId: string, licence: unknown): Promise<Result<{ licence: string | null }>> {
  const lesson = await requireLessonTeacher(db, actor, lessonId);
  if (!z.uuid().safeParse(attachmentId).success) throw notFound();
  const [file] = await db.select({ id: attachments.id }).from(attachments).where(and(eq(attachments.id, attachmentId), eq(attachments.lessonId, lessonId)));
  if (!file) throw notFound();
  return applyLicence(db, lesson, lessonId, licence, async (tx, value) => {
    await tx.update(attachments).set({ licence: value }).where(eq(attachments.id, attachmentId));
    if (value) await refreshOpenLesson(tx, lessonId);
    else await withdrawAttachment(tx, attachmentId);
  });
}

/** Checks the licence asked for, then writes it with the lesson locked (an edit or a publish waits). */
async function applyLicence(
  db: Db,
  lesson: { status: string },
  lessonId: string,
  licence: unknown,
  write: (tx: Tx, value: string | null) => Promise<void>,
): Promise<Result<{ licence: string | null }>> {
  const parsed = LicenceInput.safeParse(licence ?? null);
  if (!parsed.success) return fail({ licence: "oai.errors.licence_unknown" });
  const value = parsed.data;
  if (value && lesson.status !== "published") return fail({ licence: "oai.errors.not_published" });
  await db.transaction(async (tx) => {
    await tx.select({ id: lessons.id }).from(lessons).where(eq(lessons.id, lessonId)).for("update");
    await write(tx, value);
  });
  return ok({ licence: value });
}
