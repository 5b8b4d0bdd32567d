import { and, asc, eq, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { selectRows, type Db } from "../../db/client.server.ts";
import { assignments, attachments, classes, classMembers, submissions, users, GRADING_SCALES } from "../../db/schema/index.ts";
import { isClassStudent, isClassTeacher, isParentOf, type Actor } from "../auth/actor.server.ts";
import { notFound } from "../auth/guards.server.ts";
import { nfc, parseLocalDateTime } from "../lib/vn.ts";
import { getClassForTeacher } from "./classes.server.ts";
import { recordEvents } from "./events.server.ts";
import { AttachmentLimitError, attachStaged, checkFiles, stageFiles, transactionWithFiles } from "./files.server.ts";
import { displayGrade, hasAtMostTwoDecimals, parseGrade } from "./grades.ts";
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
  })
  .superRefine((v, ctx) => {
    if (v.scale === "points" && !v.maxPoints) ctx.addIssue({ code: "custom", path: ["maxPoints"], message: "errors.max_points_required" });
  });

export async function createAssignment(db: Db, actor: Actor, classId: string, raw: unknown): Promise<Result<{ id: string }>> {
  const cls = await getClassForTeacher(db, actor, classId);
  const parsed = AssignmentSchema.safeParse(raw);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const input = parsed.data;
  if (input.dueAt.getTime() < Date.now() - 60_000) return fail({ dueAt: "errors.due_past" });
  const id = await db.transaction(async (tx) => {
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
    return row.id;
  });
  return ok({ id });
}

async function assignmentRow(db: Db, assignmentId: string) {
  if (!z.uuid().safeParse(assignmentId).success) return undefined;
  const [a] = await db
    .select({
      id: assignments.id,
      classId: assignments.classId,
      title: assignments.title,
      instructionsHtml: assignments.instructionsHtml,
      dueAt: assignments.dueAt,
      scale: assignments.scale,
      maxPoints: assignments.maxPoints,
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
    })
    .from(classMembers)
    .innerJoin(users, eq(users.id, classMembers.userId))
    .leftJoin(submissions, and(eq(submissions.assignmentId, a.id), eq(submissions.studentId, users.id)))
    .where(and(eq(classMembers.classId, a.classId), eq(classMembers.role, "student")))
    .orderBy(asc(users.sortKey));
  const files = await db
    .select({ id: attachments.id, submissionId: attachments.submissionId, filename: attachments.filename, size: attachments.size })
    .from(attachments)
    .innerJoin(submissions, eq(submissions.id, attachments.submissionId))
    .where(eq(submissions.assignmentId, a.id));
  return {
    assignment: a,
    students: rows.map((r) => ({ ...r, files: files.filter((f) => f.submissionId === r.submissionId) })),
  };
}

/** Student's view of an assignment: instructions, their own work and grade. */
export async function assignmentForStudent(db: Db, actor: Actor, assignmentId: string) {
  const a = await assignmentRow(db, assignmentId);
  if (!a || !(await isClassStudent(db, actor.id, a.classId))) throw notFound();
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
  return { assignment: a, submission: mine ?? null, files };
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
    if (e instanceof AttachmentLimitError) return fail({ files: `errors.file_${e.reason}` });
    throw e;
  }
}

/** The work was graded while this resubmission was on its way: its transaction rolls back. */
class AlreadyGraded extends Error {}

export const GradeSchema = z.object({
  studentId: z.uuid({ message: "errors.invalid" }),
  score: z.string().optional(),
  level: z.string().optional(),
  comment: z.string().max(2000, "errors.comment_long").transform((v) => v.normalize("NFC").trim()).optional(),
});

export async function gradeSubmission(db: Db, actor: Actor, assignmentId: string, raw: unknown): Promise<Result<{ display: string }>> {
  const a = await assignmentRow(db, assignmentId);
  if (!a || !(await isClassTeacher(db, actor, a.classId))) throw notFound();
  const parsed = GradeSchema.safeParse(raw);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const input = parsed.data;
  if (!(await isClassStudent(db, input.studentId, a.classId))) return fail({ studentId: "errors.not_in_class" });
  const grade = parseGrade(a.scale, { score: input.score, level: input.level }, a.maxPoints === null ? null : Number(a.maxPoints));
  if ("error" in grade) return fail({ [a.scale === "primary_levels" ? "level" : "score"]: grade.error });
  const display = displayGrade(a.scale, grade, a.maxPoints, "vi");
  // One statement checks and writes: the upsert takes the submission's row lock (or waits for a
  // resubmission still being inserted), so a grade lands on the latest work, and a resubmission
  // that comes after it is refused by submitAssignment's own conditional write.
  await db.transaction(async (tx) => {
    const now = new Date();
    const values = { status: "graded" as const, score: grade.score === null ? null : String(grade.score), level: grade.level, comment: input.comment || null, gradedAt: now, gradedBy: actor.id };
    const [row] = await tx
      .insert(submissions)
      .values({ assignmentId: a.id, studentId: input.studentId, ...values })
      .onConflictDoUpdate({ target: [submissions.assignmentId, submissions.studentId], set: values })
      .returning({ id: submissions.id });
    await recordEvents(tx, [
      {
        type: "grade.posted",
        schoolId: a.schoolId,
        classId: a.classId,
        studentId: input.studentId,
        actorId: actor.id,
        subjectId: row.id,
        payload: { assignmentId: a.id, title: a.title, className: a.className, scale: a.scale, score: grade.score, level: grade.level, maxPoints: a.maxPoints, display, comment: input.comment || null },
      },
    ]);
  });
  return ok({ display });
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
 * ago is left alone. Returns the number of missing submissions recorded.
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
          select a.id, a.title, a.class_id
          from ${assignments} a
          where a.swept_at is null
            and a.due_at < ${at}::timestamptz
            and a.due_at >= ${at}::timestamptz - interval '60 days'
          order by a.due_at
          limit ${batch}
          for update skip locked
        ), due as (
          select p.id as assignment_id, p.title, p.class_id, c.school_id, c.name as class_name, cm.user_id as student_id
          from picked p
          join ${classes} c on c.id = p.class_id
          join ${classMembers} cm on cm.class_id = p.class_id and cm.role = 'student'
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
          select 'submission.missing', due.school_id, due.class_id, marked.student_id, marked.id,
                 jsonb_build_object('assignmentId', due.assignment_id, 'title', due.title, 'className', due.class_name)
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

