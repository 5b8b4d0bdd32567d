import { and, asc, count, eq, inArray, isNull, ne, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { selectRows, type Db } from "../../db/client.server.ts";
import { assignments, attachments, classes, classMembers, submissions, users, ASSESSMENT_KINDS, GRADING_SCALES } from "../../db/schema/index.ts";
import { isClassStudent, isClassTeacher, isParentOf, type Actor } from "../auth/actor.server.ts";
import { notFound } from "../auth/guards.server.ts";
import { nfc, parseLocalDateTime } from "../lib/vn.ts";
import { termOf } from "../lib/curriculum.ts";
import { getClassForTeacher } from "./classes.server.ts";
import { recordEvents } from "./events.server.ts";
import { AttachmentLimitError, attachStaged, checkFiles, removeStored, stageFiles, transactionWithFiles } from "./files.server.ts";
import { displayGrade, hasAtMostTwoDecimals, isLevelScale, parseGrade, type Level } from "./grades.ts";
import { renderMarkdown } from "./markdown.server.ts";
import { fail, ok, zodErrors, type Result } from "./result.ts";

export const AssignmentSchema = z
  .object({
    title: z.string().transform(nfc).pipe(z.string().min(3, "errors.title_short").max(200, "errors.title_long")),
    instructionsMd: z.string().max(50_000, "errors.body_long").default(""),
    dueAt: z
      .string()
      .transform((v, ctx) => {
        const d = parseLocalDateTime(v);
        if (!d) ctx.addIssue({ code: "custom", message: "errors.due_invalid" });
        return d ?? new Date(0);
      }),
    scale: z.enum(GRADING_SCALES, { message: "errors.scale_invalid" }).default("ten_point"),
    // Stored as numeric(7, 2): two decimals at most, so at least 0,01 (0,001 would be stored as 0).
    maxPoints: z
      .union([
        z.literal("").transform(() => undefined),
        z.coerce
          .number({ message: "errors.max_points_invalid" })
          .positive("errors.max_points_invalid")
          .max(1000, "errors.max_points_invalid")
          .refine(hasAtMostTwoDecimals, "errors.max_points_decimals"),
      ])
      .optional(),
    /** Thường xuyên, giữa kỳ or cuối kỳ: where the grade goes in the gradebook. */
    assessment: z.enum(ASSESSMENT_KINDS, { message: "errors.assessment_invalid" }).default("regular"),
    /** Học kỳ I or II; left out (or empty), the term of the due date. */
    term: z
      .union([z.literal("").transform(() => undefined), z.enum(["1", "2"], { message: "errors.term_invalid" }).transform((v) => Number(v) as 1 | 2)])
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (v.scale === "points" && !v.maxPoints) ctx.addIssue({ code: "custom", path: ["maxPoints"], message: "errors.max_points_required" });
  })
  .transform((v) => ({ ...v, term: v.term ?? termOf(v.dueAt) }));

export async function createAssignment(db: Db, actor: Actor, classId: string, raw: unknown, files: File[] = []): Promise<Result<{ id: string }>> {
  const cls = await getClassForTeacher(db, actor, classId);
  const parsed = AssignmentSchema.safeParse(raw);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const input = parsed.data;
  if (input.dueAt.getTime() < Date.now() - 60_000) return fail({ dueAt: "errors.due_past" });
  const problem = await checkFiles(files);
  if (problem) return fail({ files: `errors.file_${problem.reason}` });
  const staged = await stageFiles(files);
  const id = await transactionWithFiles(db, staged, async (tx) => {
    const [row] = await tx
      .insert(assignments)
      .values({
        classId,
        authorId: actor.id,
        title: input.title,
        instructionsMd: input.instructionsMd,
        instructionsHtml: renderMarkdown(input.instructionsMd),
        dueAt: input.dueAt,
        scale: input.scale,
        maxPoints: input.scale === "points" ? String(input.maxPoints) : null,
        assessment: input.assessment,
        term: input.term,
      })
      .returning({ id: assignments.id });
    await recordEvents(tx, [
      {
        type: "assignment.created",
        schoolId: cls.schoolId,
        classId,
        actorId: actor.id,
        subjectId: row.id,
        payload: { title: input.title, className: cls.name, dueAt: input.dueAt.toISOString() },
      },
    ]);
    await attachStaged(tx, { assignmentId: row.id }, actor.id, staged);
    return row.id;
  });
  return ok({ id });
}

/** An assignment of a class the actor teaches; anything else (another class's id too) is "not found". */
async function assignmentOfClass(db: Db, actor: Actor, classId: string, assignmentId: string) {
  const cls = await getClassForTeacher(db, actor, classId);
  const a = await assignmentRow(db, assignmentId);
  if (!a || a.classId !== cls.id) throw notFound();
  return a;
}

/** For the assignment editor: the teacher's own class only, and not archived work. */
export async function getAssignmentForEditing(db: Db, actor: Actor, classId: string, assignmentId: string) {
  const a = await assignmentOfClass(db, actor, classId, assignmentId);
  if (a.archivedAt) throw notFound();
  const [graded] = await db
    .select({ n: count() })
    .from(submissions)
    .where(and(eq(submissions.assignmentId, a.id), eq(submissions.status, "graded")));
  return { ...a, attachments: await assignmentAttachments(db, a.id), gradedCount: Number(graded.n) };
}

/** What an edit was refused for, found under the assignment's row lock. */
class EditRefused extends Error {
  constructor(readonly errors: Record<string, string>) {
    super("edit refused");
  }
}

/**
 * Correct an assignment: title, instructions, due date, more files, and the scale while nothing is
 * graded. Work already handed in is kept. A new due date is re-evaluated: the sweep runs again
 * after it (`swept_at` cleared), a later date that is still ahead takes back the "missing" marks,
 * and each hand-in's "late" follows the new date.
 *
 * The assignment's row is locked (for no key update) for the whole edit: grading takes a shared
 * lock on it, so a scale change and a grade take turns; a student's hand-in only needs the key
 * share lock of its foreign key, so it goes on alongside, and the "missing" marks are taken back
 * by a conditional delete that leaves alone a row a hand-in has turned into work.
 */
export async function updateAssignment(
  db: Db,
  actor: Actor,
  classId: string,
  assignmentId: string,
  raw: unknown,
  files: File[] = [],
): Promise<Result<{ id: string; dueChanged: boolean }>> {
  const before = await getAssignmentForEditing(db, actor, classId, assignmentId);
  const parsed = AssignmentSchema.safeParse(raw);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const input = parsed.data;
  const problem = await checkFiles(files);
  if (problem) return fail({ files: `errors.file_${problem.reason}` });
  const maxPoints = input.scale === "points" ? Number(input.maxPoints).toFixed(2) : null;
  const staged = await stageFiles(files);
  try {
    const result = await transactionWithFiles(db, staged, async (tx) => {
      const [current] = await tx
        .select({ dueAt: assignments.dueAt, scale: assignments.scale, maxPoints: assignments.maxPoints, archivedAt: assignments.archivedAt })
        .from(assignments)
        .where(eq(assignments.id, before.id))
        .for("no key update");
      if (!current || current.archivedAt) throw notFound();
      const errors: Record<string, string> = {};
      const now = new Date();
      const dueChanged = input.dueAt.getTime() !== current.dueAt.getTime();
      if (dueChanged && input.dueAt.getTime() < now.getTime() - 60_000) errors.dueAt = "errors.due_past";
      const scaleChanged = input.scale !== current.scale || maxPoints !== current.maxPoints;
      if (scaleChanged) {
        const [graded] = await tx
          .select({ n: count() })
          .from(submissions)
          .where(and(eq(submissions.assignmentId, before.id), eq(submissions.status, "graded")));
        if (Number(graded.n) > 0) errors[maxPoints !== current.maxPoints && input.scale === current.scale ? "maxPoints" : "scale"] = "errors.scale_locked";
      }
      if (Object.keys(errors).length > 0) throw new EditRefused(errors);
      await tx
        .update(assignments)
        .set({
          title: input.title,
          instructionsMd: input.instructionsMd,
          instructionsHtml: renderMarkdown(input.instructionsMd),
          dueAt: input.dueAt,
          scale: input.scale,
          maxPoints,
          assessment: input.assessment,
          term: input.term,
          ...(dueChanged ? { sweptAt: null } : {}),
        })
        .where(eq(assignments.id, before.id));
      if (dueChanged) {
        // No longer overdue: the recorded "missing" marks go (the sweep marks again after the new date).
        if (input.dueAt > now) await tx.delete(submissions).where(and(eq(submissions.assignmentId, before.id), eq(submissions.status, "missing")));
        await tx
          .update(submissions)
          .set({ late: sql`${submissions.submittedAt} > ${input.dueAt.toISOString()}::timestamptz` })
          .where(and(eq(submissions.assignmentId, before.id), sql`${submissions.submittedAt} is not null`));
      }
      await attachStaged(tx, { assignmentId: before.id }, actor.id, staged);
      return { id: before.id, dueChanged };
    });
    return ok(result);
  } catch (e) {
    if (e instanceof EditRefused) return fail(e.errors);
    if (e instanceof AttachmentLimitError) return fail({ files: `errors.file_${e.reason}` });
    throw e;
  }
}

export async function removeAssignmentFile(db: Db, actor: Actor, classId: string, assignmentId: string, attachmentId: string) {
  const a = await getAssignmentForEditing(db, actor, classId, assignmentId);
  if (!z.uuid().safeParse(attachmentId).success) throw notFound();
  const [row] = await db
    .delete(attachments)
    .where(and(eq(attachments.id, attachmentId), eq(attachments.assignmentId, a.id)))
    .returning({ key: attachments.storageKey });
  if (row) await removeStored([row.key]);
}

/** For the confirmation page: what removing the assignment will do. */
export async function getAssignmentForRemoval(db: Db, actor: Actor, classId: string, assignmentId: string) {
  const a = await assignmentOfClass(db, actor, classId, assignmentId);
  if (a.archivedAt) throw notFound();
  const [n] = await db.select({ n: count() }).from(submissions).where(eq(submissions.assignmentId, a.id));
  return { id: a.id, title: a.title, classId: a.classId, submissions: Number(n.n) };
}

/**
 * Remove an assignment. One that has submissions (handed in, graded or recorded missing) is
 * archived: hidden from its students, their parents and "Hôm nay", kept for the teacher with its
 * work and grades. One without is deleted with its files. The row is locked first, so a hand-in
 * arriving meanwhile either commits first (and the assignment is archived) or waits.
 */
export async function removeAssignment(db: Db, actor: Actor, classId: string, assignmentId: string): Promise<{ archived: boolean }> {
  const a = await assignmentOfClass(db, actor, classId, assignmentId);
  if (a.archivedAt) throw notFound();
  const outcome = await db.transaction(async (tx) => {
    await tx.select({ id: assignments.id }).from(assignments).where(eq(assignments.id, a.id)).for("update");
    const [n] = await tx.select({ n: count() }).from(submissions).where(eq(submissions.assignmentId, a.id));
    if (Number(n.n) > 0) {
      await tx.update(assignments).set({ archivedAt: new Date() }).where(eq(assignments.id, a.id));
      return { archived: true, keys: [] as string[] };
    }
    const files = await tx.select({ key: attachments.storageKey }).from(attachments).where(eq(attachments.assignmentId, a.id));
    await tx.delete(assignments).where(eq(assignments.id, a.id));
    return { archived: false, keys: files.map((f) => f.key) };
  });
  // Files whose removal fails here are left to sweepUploads: no row names them any more.
  await removeStored(outcome.keys).catch(() => {});
  return { archived: outcome.archived };
}

export async function assignmentRow(db: Db, assignmentId: string) {
  if (!z.uuid().safeParse(assignmentId).success) return undefined;
  const [a] = await db
    .select({
      id: assignments.id,
      classId: assignments.classId,
      title: assignments.title,
      instructionsMd: assignments.instructionsMd,
      instructionsHtml: assignments.instructionsHtml,
      dueAt: assignments.dueAt,
      scale: assignments.scale,
      maxPoints: assignments.maxPoints,
      assessment: assignments.assessment,
      term: assignments.term,
      archivedAt: assignments.archivedAt,
      formUrl: assignments.formUrl,
      formTitle: assignments.formTitle,
      className: classes.name,
      subject: classes.subject,
      schoolId: classes.schoolId,
    })
    .from(assignments)
    .innerJoin(classes, eq(classes.id, assignments.classId))
    .where(eq(assignments.id, assignmentId));
  return a;
}

/** Teacher's view: the assignment and one row per student in the class (submitted or not). */
export async function assignmentForTeacher(db: Db, actor: Actor, assignmentId: string) {
  const a = await assignmentRow(db, assignmentId);
  if (!a || !(await isClassTeacher(db, actor, a.classId))) throw notFound();
  const rows = await db
    .select({
      studentId: users.id,
      fullName: users.fullName,
      submissionId: submissions.id,
      status: submissions.status,
      body: submissions.body,
      submittedAt: submissions.submittedAt,
      late: submissions.late,
      score: submissions.score,
      level: submissions.level,
      comment: submissions.comment,
      deactivated: sql<boolean>`${users.deactivatedAt} is not null`,
    })
    .from(classMembers)
    .innerJoin(users, eq(users.id, classMembers.userId))
    .leftJoin(submissions, and(eq(submissions.assignmentId, a.id), eq(submissions.studentId, users.id)))
    .where(and(eq(classMembers.classId, a.classId), eq(classMembers.role, "student")))
    .orderBy(asc(users.sortKey));
  const files = await db
    .select({ id: attachments.id, submissionId: attachments.submissionId, filename: attachments.filename, size: attachments.size, contentType: attachments.contentType })
    .from(attachments)
    .innerJoin(submissions, eq(submissions.id, attachments.submissionId))
    .where(eq(submissions.assignmentId, a.id))
    .orderBy(asc(attachments.createdAt));
  const all = rows.map((r) => ({ ...r, handedIn: r.status !== null && r.status !== "missing", files: files.filter((f) => f.submissionId === r.submissionId) }));
  // Work handed in (or graded) first, then the students with nothing handed in (no submission
  // yet, or recorded missing); each part in class-list order, by given name.
  // A deactivated student stays with the work they handed in, but is not one who "has not handed in".
  const students = [...all.filter((s) => s.handedIn), ...all.filter((s) => !s.handedIn && !s.deactivated)];
  return {
    assignment: a,
    attachments: await assignmentAttachments(db, a.id),
    students,
    notHandedIn: students.filter((s) => !s.handedIn).map((s) => ({ studentId: s.studentId, fullName: s.fullName })),
  };
}

/** The files of an assignment's instructions. */
export async function assignmentAttachments(db: Db, assignmentId: string) {
  return db
    .select({ id: attachments.id, filename: attachments.filename, size: attachments.size, contentType: attachments.contentType })
    .from(attachments)
    .where(eq(attachments.assignmentId, assignmentId))
    .orderBy(asc(attachments.createdAt));
}

/**
 * Who may see an assignment (and download its files): the class's teachers, archived or not, and
 * the class's students while it is not archived. Everyone else gets "not found".
 */
export async function requireAssignmentReader(db: Db, actor: Actor, assignmentId: string) {
  const a = await assignmentRow(db, assignmentId);
  if (!a) throw notFound();
  if (await isClassTeacher(db, actor, a.classId)) return a;
  if (!a.archivedAt && (await isClassStudent(db, actor.id, a.classId))) return a;
  throw notFound();
}

/** Student's view of an assignment: instructions, their own work and grade. */
export async function assignmentForStudent(db: Db, actor: Actor, assignmentId: string) {
  const a = await assignmentRow(db, assignmentId);
  if (!a || a.archivedAt || !(await isClassStudent(db, actor.id, a.classId))) throw notFound();
  const [mine] = await db
    .select({
      id: submissions.id,
      status: submissions.status,
      body: submissions.body,
      submittedAt: submissions.submittedAt,
      late: submissions.late,
      score: submissions.score,
      level: submissions.level,
      comment: submissions.comment,
      gradedAt: submissions.gradedAt,
    })
    .from(submissions)
    .where(and(eq(submissions.assignmentId, a.id), eq(submissions.studentId, actor.id)));
  const files = mine
    ? await db.select({ id: attachments.id, filename: attachments.filename, size: attachments.size }).from(attachments).where(eq(attachments.submissionId, mine.id))
    : [];
  return { assignment: a, attachments: await assignmentAttachments(db, a.id), submission: mine ?? null, files };
}

export const SubmitSchema = z.object({ body: z.string().max(20_000, "errors.body_long").transform((v) => v.normalize("NFC").trim()) });

export async function submitAssignment(db: Db, actor: Actor, assignmentId: string, raw: unknown, files: File[]): Promise<Result<{ id: string; late: boolean }>> {
  const { assignment: a, submission } = await assignmentForStudent(db, actor, assignmentId);
  const parsed = SubmitSchema.safeParse(raw);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  if (!parsed.data.body && files.length === 0) return fail({ body: "errors.submission_empty" });
  if (submission?.status === "graded") return fail({ body: "errors.already_graded" });
  const problem = await checkFiles(files);
  if (problem) return fail({ files: `errors.file_${problem.reason}` });
  const staged = await stageFiles(files);
  try {
    const result = await transactionWithFiles(db, staged, async (tx) => {
      // The teacher may remove the assignment meanwhile: its row is shared-locked first, so a
      // removal that began earlier is waited for and then seen (deleted or archived: refused).
      const [open] = await tx
        .select({ id: assignments.id })
        .from(assignments)
        .where(and(eq(assignments.id, a.id), isNull(assignments.archivedAt)))
        .for("share");
      if (!open) throw new AssignmentRemoved();
      const now = new Date();
      const late = now > a.dueAt;
      // The check above is only a shortcut: the teacher may grade while the files are stored. The
      // write itself refuses graded work, in the same statement that takes the row's lock (a grade
      // committed first makes the update match nothing; a grade after this waits, then wins).
      const [row] = await tx
        .insert(submissions)
        .values({ assignmentId: a.id, studentId: actor.id, status: "submitted", body: parsed.data.body, submittedAt: now, late })
        .onConflictDoUpdate({
          target: [submissions.assignmentId, submissions.studentId],
          set: { status: "submitted", body: parsed.data.body, submittedAt: now, late },
          setWhere: ne(submissions.status, "graded"),
        })
        .returning({ id: submissions.id });
      // Graded in the meantime: nothing of this resubmission is kept (its files are discarded).
      if (!row) throw new AlreadyGraded();
      // The upsert has locked the submission; attachStaged counts what it carries already.
      await attachStaged(tx, { submissionId: row.id }, actor.id, staged);
      await recordEvents(tx, [
        {
          type: "submission.received",
          schoolId: a.schoolId,
          classId: a.classId,
          studentId: actor.id,
          actorId: actor.id,
          subjectId: row.id,
          payload: { assignmentId: a.id, title: a.title, className: a.className, late },
        },
      ]);
      return { id: row.id, late };
    });
    return ok(result);
  } catch (e) {
    if (e instanceof AlreadyGraded) return fail({ body: "errors.already_graded" });
    if (e instanceof AssignmentRemoved) return fail({ body: "errors.assignment_removed" });
    if (e instanceof AttachmentLimitError) return fail({ files: `errors.file_${e.reason}` });
    throw e;
  }
}

/** The work was graded while this resubmission was on its way: its transaction rolls back. */
class AlreadyGraded extends Error {}
/** The teacher removed the assignment while this hand-in was on its way. */
class AssignmentRemoved extends Error {}

export const GradeSchema = z.object({
  studentId: z.uuid({ message: "errors.invalid" }),
  score: z.string().optional(),
  level: z.string().optional(),
  comment: z.string().max(2000, "errors.comment_long").transform((v) => v.normalize("NFC").trim()).optional(),
});

/** What became of one student's row when grades were saved. */
export type GradeRowOutcome = {
  errors: Record<string, string>;
  /** The grade as it reads (Vietnamese), for a row saved or left as it was. */
  display?: string;
  /** Whether the row was written (false: the same grade and comment were there already). */
  changed?: boolean;
  /** What was typed in a refused row, shown again so it can be corrected. */
  values?: { score?: string; level?: string; comment?: string };
};

export type GradeBatchResult = {
  rows: Record<string, GradeRowOutcome>;
  /** Errors that belong to no row of the class (a student id that is not one of its students). */
  formErrors: Record<string, string>;
  saved: number;
  unchanged: number;
  failed: number;
};

/** At most this many rows in one save (a class list, with room to spare). */
export const MAX_GRADE_ROWS = 200;

/**
 * Read the grading page's "save all" form: fields `score.<studentId>`, `level.<studentId>` and
 * `comment.<studentId>`, one group per row. Each row is validated by GradeSchema afterwards.
 */
export function gradeRowsFromForm(fields: Record<string, string>): Record<string, string>[] {
  const rows = new Map<string, Record<string, string>>();
  for (const [key, value] of Object.entries(fields)) {
    const m = /^(score|level|comment)\.(.+)$/.exec(key);
    if (!m) continue;
    const row = rows.get(m[2]) ?? { studentId: m[2] };
    row[m[1]] = value;
    rows.set(m[2], row);
  }
  return [...rows.values()];
}

const BatchSchema = z.array(z.record(z.string(), z.unknown())).max(MAX_GRADE_ROWS, "errors.invalid");

/**
 * Save several grades of one assignment at once, in one transaction. Each row is checked on its
 * own: a row with an error is not saved and keeps its error (and what was typed) beside it; the
 * valid rows are saved. A row left blank (no score or level, no comment) is skipped when
 * `skipBlank` is set. A row whose grade and comment are what is stored already is not written
 * again, so `grade.posted` is recorded once per grade actually changed.
 */
export async function gradeSubmissions(
  db: Db,
  actor: Pick<Actor, "id">,
  assignmentId: string,
  raw: unknown,
  opts: { skipBlank?: boolean } = {},
): Promise<GradeBatchResult> {
  const a = await assignmentRow(db, assignmentId);
  if (!a || !(await isClassTeacher(db, actor, a.classId))) throw notFound();
  const out: GradeBatchResult = { rows: {}, formErrors: {}, saved: 0, unchanged: 0, failed: 0 };
  const list = BatchSchema.safeParse(raw);
  if (!list.success) {
    out.formErrors.studentId = "errors.invalid";
    return out;
  }
  const field = isLevelScale(a.scale) ? "level" : "score";
  const enrolled = new Set(
    (
      await db
        .select({ id: classMembers.userId })
        .from(classMembers)
        .where(and(eq(classMembers.classId, a.classId), eq(classMembers.role, "student")))
    ).map((r) => r.id),
  );
  // A row without a comment field (the gradebook's cells) keeps the comment already stored.
  const valid: { studentId: string; score: number | null; level: Level | null; comment: string | null | undefined; display: string }[] = [];
  for (const rawRow of list.data) {
    const parsed = GradeSchema.safeParse(rawRow);
    if (!parsed.success) {
      const sid = typeof rawRow.studentId === "string" ? rawRow.studentId : "";
      const errors = zodErrors(parsed.error.issues);
      if (errors.studentId || !enrolled.has(sid)) out.formErrors.studentId = errors.studentId ?? "errors.not_in_class";
      else {
        out.rows[sid] = { errors, values: rowValues(rawRow) };
        out.failed++;
      }
      continue;
    }
    const input = parsed.data;
    if (!enrolled.has(input.studentId)) {
      out.formErrors.studentId = "errors.not_in_class";
      continue;
    }
    if (opts.skipBlank && !input.score?.trim() && !input.level && !input.comment) continue;
    const grade = parseGrade(a.scale, { score: input.score, level: input.level }, a.maxPoints === null ? null : Number(a.maxPoints));
    if ("error" in grade) {
      out.rows[input.studentId] = { errors: { [field]: grade.error }, values: rowValues(rawRow) };
      out.failed++;
      continue;
    }
    valid.push({
      studentId: input.studentId,
      ...grade,
      comment: input.comment === undefined ? undefined : input.comment || null,
      display: displayGrade(a.scale, grade, a.maxPoints, "vi"),
    });
  }
  // A student named twice is graded once, as the last row says.
  const byStudent = new Map(valid.map((v) => [v.studentId, v]));
  const rows = [...byStudent.values()].sort((x, y) => (x.studentId < y.studentId ? -1 : 1));
  if (rows.length === 0) return out;
  const written = await db.transaction(async (tx) => {
    // A shared lock on the assignment: an edit of its scale waits for these grades (and then
    // counts them), or commits first and these grades, parsed on the old scale, are refused.
    const [current] = await tx.select({ scale: assignments.scale, maxPoints: assignments.maxPoints }).from(assignments).where(eq(assignments.id, a.id)).for("share");
    if (current.scale !== a.scale || current.maxPoints !== a.maxPoints) return null;
    // The existing work, locked (in a fixed order) so that what is compared is what is replaced.
    const existing = await tx
      .select({ studentId: submissions.studentId, status: submissions.status, score: submissions.score, level: submissions.level, comment: submissions.comment })
      .from(submissions)
      .where(and(eq(submissions.assignmentId, a.id), inArray(submissions.studentId, rows.map((r) => r.studentId))))
      .orderBy(asc(submissions.studentId))
      .for("update");
    const before = new Map(existing.map((e) => [e.studentId, e]));
    const now = new Date();
    const changed: string[] = [];
    for (const r of rows) {
      const old = before.get(r.studentId);
      const comment = r.comment === undefined ? (old?.comment ?? null) : r.comment;
      const same =
        old?.status === "graded" &&
        (old.score === null ? r.score === null : r.score !== null && Number(old.score) === r.score) &&
        (old.level ?? null) === r.level &&
        (old.comment ?? null) === comment;
      if (same) continue;
      // The upsert takes the submission's row lock (or waits for a resubmission still being
      // inserted), so a grade lands on the latest work, and a resubmission that comes after it is
      // refused by submitAssignment's own conditional write.
      // A student with nothing handed in (a test on paper) gets a graded row with no work in it.
      const values = { status: "graded" as const, score: r.score === null ? null : String(r.score), level: r.level, comment, gradedAt: now, gradedBy: actor.id };
      const [row] = await tx
        .insert(submissions)
        .values({ assignmentId: a.id, studentId: r.studentId, ...values })
        .onConflictDoUpdate({ target: [submissions.assignmentId, submissions.studentId], set: values })
        .returning({ id: submissions.id });
      await recordEvents(tx, [
        {
          type: "grade.posted",
          schoolId: a.schoolId,
          classId: a.classId,
          studentId: r.studentId,
          actorId: actor.id,
          subjectId: row.id,
          payload: { assignmentId: a.id, title: a.title, className: a.className, scale: a.scale, score: r.score, level: r.level, maxPoints: a.maxPoints, display: r.display, comment },
        },
      ]);
      changed.push(r.studentId);
    }
    return new Set(changed);
  });
  for (const r of rows) {
    if (written === null) {
      out.rows[r.studentId] = { errors: { [field]: "errors.scale_changed" } };
      out.failed++;
    } else {
      const changed = written.has(r.studentId);
      out.rows[r.studentId] = { errors: {}, display: r.display, changed };
      if (changed) out.saved++;
      else out.unchanged++;
    }
  }
  return out;
}

function rowValues(row: Record<string, unknown>) {
  const str = (v: unknown) => (typeof v === "string" ? v.slice(0, 2000) : undefined);
  return { score: str(row.score), level: str(row.level), comment: str(row.comment) };
}

/** Grade one student's work (the per-row save). Saving the same grade again records nothing new. */
export async function gradeSubmission(db: Db, actor: Actor, assignmentId: string, raw: unknown): Promise<Result<{ display: string }>> {
  const a = await assignmentRow(db, assignmentId);
  if (!a || !(await isClassTeacher(db, actor, a.classId))) throw notFound();
  const parsed = GradeSchema.safeParse(raw);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const result = await gradeSubmissions(db, actor, assignmentId, [parsed.data]);
  if (result.formErrors.studentId) return fail({ studentId: result.formErrors.studentId });
  const row = result.rows[parsed.data.studentId];
  if (!row || Object.keys(row.errors).length > 0) return fail(row?.errors ?? { studentId: "errors.invalid" });
  return ok({ display: row.display ?? "" });
}

/** A submission may be seen by its student, the class's teachers and the student's parents. */
export async function getSubmissionForViewer(db: Db, actor: Actor, submissionId: string) {
  if (!z.uuid().safeParse(submissionId).success) throw notFound();
  const [s] = await db
    .select({ id: submissions.id, studentId: submissions.studentId, classId: assignments.classId })
    .from(submissions)
    .innerJoin(assignments, eq(assignments.id, submissions.assignmentId))
    .where(eq(submissions.id, submissionId));
  if (!s) throw notFound();
  if (s.studentId === actor.id || (await isClassTeacher(db, actor, s.classId)) || (await isParentOf(db, actor.id, s.studentId))) return s;
  throw notFound();
}

/**
 * The missing-work sweep. Each assignment is handled once, soon after its due date: every student
 * then enrolled who has no submission gets a `missing` row and one `submission.missing` event,
 * and the assignment is stamped `swept_at` — all in one statement per batch, inside a
 * transaction. Concurrent sweepers take different assignments (SKIP LOCKED), and the unique
 * indexes make any overlap a no-op, so a fact is recorded exactly once. Work due more than 60 days
 * ago, and archived work, is left alone. Returns the number of missing submissions recorded.
 *
 * A changed due date clears `swept_at` (updateAssignment), so the assignment is swept again after
 * its new date. The event's key (`subject_id`) is derived from the assignment, the student and
 * the due date, so the same student's work missing for the same due date is told once, however
 * often the date moves away and back.
 */
export async function sweepMissing(db: Db, now = new Date(), batch = 200): Promise<number> {
  const at = now.toISOString();
  let total = 0;
  for (;;) {
    const [row] = await db.transaction((tx) =>
      selectRows<{ assignments: number; marked: number }>(
        tx,
        sql`
        with picked as (
          select a.id, a.title, a.class_id, a.due_at
          from ${assignments} a
          where a.swept_at is null
            and a.archived_at is null
            and a.due_at < ${at}::timestamptz
            and a.due_at >= ${at}::timestamptz - interval '60 days'
          order by a.due_at
          limit ${batch}
          for update skip locked
        ), due as (
          select p.id as assignment_id, p.title, p.class_id, p.due_at, c.school_id, c.name as class_name, cm.user_id as student_id
          from picked p
          join ${classes} c on c.id = p.class_id
          join ${classMembers} cm on cm.class_id = p.class_id and cm.role = 'student'
          -- A deactivated student's work is not chased: no missing mark, no event for the parents.
          join ${users} su on su.id = cm.user_id and su.deactivated_at is null
          where not exists (select 1 from ${submissions} s where s.assignment_id = p.id and s.student_id = cm.user_id)
        ), marked as (
          insert into ${submissions} (assignment_id, student_id, status, missing_at)
          select assignment_id, student_id, 'missing', ${at}::timestamptz from due
          on conflict (assignment_id, student_id) do nothing
          returning id, assignment_id, student_id
        ), stamped as (
          update ${assignments} set swept_at = ${at}::timestamptz where id in (select id from picked)
          returning id
        ), recorded as (
          insert into events (type, school_id, class_id, student_id, subject_id, payload)
          select 'submission.missing', due.school_id, due.class_id, marked.student_id,
                 ${missingEventKeySql(sql`due.assignment_id`, sql`marked.student_id`, sql`due.due_at`)},
                 jsonb_build_object('assignmentId', due.assignment_id, 'title', due.title, 'className', due.class_name,
                                    'submissionId', marked.id, 'dueAt', due.due_at)
          from marked join due on due.assignment_id = marked.assignment_id and due.student_id = marked.student_id
          on conflict do nothing
          returning id
        )
        select (select count(*)::int from stamped) as assignments, (select count(*)::int from recorded) as marked
      `,
      ),
    );
    total += Number(row.marked);
    if (Number(row.assignments) < batch) return total;
  }
}


/** The `submission.missing` event's key: one per assignment, student and due date. */
export function missingEventKeySql(assignmentId: SQL, studentId: SQL, dueAt: SQL): SQL {
  return sql`md5('submission.missing:' || ${assignmentId}::text || ':' || ${studentId}::text || ':' || (extract(epoch from ${dueAt}) * 1000)::bigint::text)::uuid`;
}
