/**
 * Google Forms quizzes attached to hub assignments. A teacher attaches a quiz by its address in a
 * class whose school (or the teacher) has a Google connection; after the due date the job reads
 * the quiz and its responses (and reads again, hourly for two weeks, for later submissions), as
 * does the teacher's "Đọc điểm từ Google Forms". Each response is matched to a student of the
 * class by the verified email the quiz collected — exactly, never by name — or by the teacher
 * from the list of responses nobody was matched to. A matched student's latest response is
 * written as a grade on the assignment's scale through the grading service, so it posts
 * `grade.posted` as a grade typed by the teacher does, and only when the grade changes.
 */
import { and, asc, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client.server.ts";
import { assignmentQuizzes, assignments, classMembers, quizResponses, users, type Connection } from "../../db/schema/index.ts";
import { GOOGLE_FORMS_SCOPES } from "../../integrations/google/config.ts";
import { createFormsQuizReader } from "../../integrations/google/forms.server.ts";
import { formRefOf } from "../../integrations/google/forms-mapping.ts";
import { isIntegrationError } from "../../integrations/errors.ts";
import type { QuizInfo, QuizReader, QuizResponseRecord } from "../../integrations/ports.ts";
import { isClassTeacher, type Actor } from "../auth/actor.server.ts";
import { notFound } from "../auth/guards.server.ts";
import { assignmentRow, gradeSubmissions } from "./assignments.server.ts";
import { pgRateBudgets } from "./connections/budgets.server.ts";
import { googleConfig } from "./connections/google.server.ts";
import { connectionFor } from "./connections/teacher.server.ts";
import { tokenSource } from "./connections/token-source.server.ts";
import { refOf } from "./live-session-platforms.server.ts";
import type { Scale } from "./grades.ts";
import { quizGrade } from "./quiz-grade.ts";
import { fail, ok, type Result } from "./result.ts";

/** Why a read did not record scores (or `ok`), each explained on the quiz page under `quiz.outcome.<code>`. */
export type QuizOutcome =
  | "ok"
  | "not_connected"
  | "scope_missing"
  | "reauth_required"
  | "not_found"
  | "forbidden"
  | "rate_limited"
  | "transient"
  | "rejected"
  | "contract"
  | "not_quiz"
  | "no_points";

export type ReadSummary = { outcome: QuizOutcome; responses: number; graded: number; unchanged: number; unmatched: number; retryAt?: Date; message?: string };

/** How often the job reads a quiz again after its due date, and for how long. */
export const REREAD_EVERY_MS = 3600_000;
export const REREAD_FOR_MS = 14 * 24 * 3600_000;

export const quizReader = (db: Db): QuizReader => createFormsQuizReader({ config: googleConfig(), tokens: tokenSource(db), budgets: pgRateBudgets(db) });

export function hasFormsScopes(c: Pick<Connection, "scopes">): boolean {
  return GOOGLE_FORMS_SCOPES.every((s) => c.scopes.includes(s));
}

/** The assignment of a class the actor teaches (archived work too), else "not found". */
async function teachersAssignment(db: Db, actor: Pick<Actor, "id">, assignmentId: string) {
  const a = await assignmentRow(db, assignmentId);
  if (!a || !(await isClassTeacher(db, actor, a.classId))) throw notFound();
  return a;
}

/**
 * Attach (or replace) the quiz of an assignment by its address. Refused, with nothing written:
 * an address that is not a Google Form, the students' link of a published form (the API needs
 * the form's own id, which that link does not carry), a class without a Google connection, and —
 * when the connection may read forms already — a form Google does not find, one the account may
 * not open, or a form that is not a quiz.
 */
export async function attachQuiz(db: Db, actor: Actor, assignmentId: string, raw: unknown): Promise<Result<{ title: string | null; checked: boolean }>> {
  const a = await teachersAssignment(db, actor, assignmentId);
  if (a.archivedAt) throw notFound();
  const text = typeof (raw as { formUrl?: unknown })?.formUrl === "string" ? (raw as { formUrl: string }).formUrl.trim() : "";
  if (!text) return fail({ formUrl: "errors.required" });
  if (text.length > 2000) return fail({ formUrl: "quiz.errors.notForm" });
  const ref = formRefOf(text);
  if (!ref) return fail({ formUrl: "quiz.errors.notForm" });
  if (ref.kind === "responder") return fail({ formUrl: "quiz.errors.responderLink" });
  const conn = await connectionFor(db, { schoolId: a.schoolId, teacherId: actor.id, provider: "google" });
  if (!conn) return fail({ formUrl: "quiz.errors.notConnected" });
  let info: QuizInfo | null = null;
  if (hasFormsScopes(conn)) {
    try {
      info = await quizReader(db).readQuiz(refOf(conn), ref.formId);
    } catch (e) {
      if (!isIntegrationError(e)) throw e;
      if (e.code === "not_found") return fail({ formUrl: "quiz.errors.formNotFound" });
      if (e.code === "rejected" && e.status === 403) return fail({ formUrl: /scope/i.test(e.providerMessage ?? "") ? "quiz.errors.scopeMissing" : "quiz.errors.formForbidden" });
      // A rate limit or an outage: attached now, checked by the first read.
    }
    if (info && !info.isQuiz) return fail({ formUrl: "quiz.errors.notQuiz" });
  }
  const link = info?.responderUri ?? ref.url.replace(/\/edit$/, "/viewform");
  await db.transaction(async (tx) => {
    const values = {
      formId: ref.formId,
      responderUrl: link,
      title: info?.title ?? null,
      maxScore: info ? String(info.maxScore) : null,
      attachedBy: actor.id,
      attachedAt: new Date(),
      lastReadAt: null,
      latestSubmittedAt: null,
      lastOutcome: info ? null : hasFormsScopes(conn) ? null : "scope_missing",
      lastMessage: null,
      lastAttemptAt: null,
      retryAt: null,
    };
    const [old] = await tx.select({ formId: assignmentQuizzes.formId }).from(assignmentQuizzes).where(eq(assignmentQuizzes.assignmentId, a.id)).for("update");
    // Another form's responses are not this one's: they go with the old form (grades stay).
    if (old && old.formId !== ref.formId) await tx.delete(quizResponses).where(eq(quizResponses.assignmentId, a.id));
    await tx.insert(assignmentQuizzes).values({ assignmentId: a.id, ...values }).onConflictDoUpdate({ target: assignmentQuizzes.assignmentId, set: values });
    await tx.update(assignments).set({ formUrl: link, formTitle: info?.title ?? null }).where(eq(assignments.id, a.id));
  });
  return ok({ title: info?.title ?? null, checked: info !== null });
}

/** Takes the quiz off the assignment; grades already recorded stay. */
export async function detachQuiz(db: Db, actor: Actor, assignmentId: string): Promise<void> {
  const a = await teachersAssignment(db, actor, assignmentId);
  await db.transaction(async (tx) => {
    await tx.delete(assignmentQuizzes).where(eq(assignmentQuizzes.assignmentId, a.id));
    await tx.update(assignments).set({ formUrl: null, formTitle: null }).where(eq(assignments.id, a.id));
  });
}

/** The teacher who reads (and grades) for a quiz: who attached it while they teach the class, else the class's first teacher. */
async function readingTeacher(db: Db, classId: string, attachedBy: string | null): Promise<string | null> {
  const teachers = await db
    .select({ id: classMembers.userId })
    .from(classMembers)
    .where(and(eq(classMembers.classId, classId), eq(classMembers.role, "teacher")))
    .orderBy(asc(classMembers.joinedAt));
  return teachers.find((t) => t.id === attachedBy)?.id ?? teachers[0]?.id ?? null;
}

function outcomeOf(e: unknown): { outcome: QuizOutcome; retryAt?: Date; message?: string } {
  if (!isIntegrationError(e)) throw e;
  const message = e.providerMessage;
  switch (e.code) {
    case "not_connected":
      return { outcome: "not_connected", message };
    case "reauth_required":
      return { outcome: "reauth_required", message };
    case "not_found":
      return { outcome: "not_found", message };
    case "rate_limited":
      return { outcome: "rate_limited", retryAt: e.retryAt, message };
    case "transient":
    case "ambiguous_write":
      return { outcome: "transient", message };
    case "contract":
      return { outcome: "contract", message };
    case "rejected":
      if (e.status === 403 && /scope/i.test(message ?? "")) return { outcome: "scope_missing", message };
      return { outcome: e.status === 403 ? "forbidden" : "rejected", message };
  }
}

const versionOf = (r: { responseId: string; submittedAt: Date; totalScore: string | number | null }) =>
  `${r.responseId}|${r.submittedAt.toISOString()}|${r.totalScore === null ? "" : Number(r.totalScore)}`;

/**
 * Reads an assignment's quiz and its responses and records the matched students' scores. Never
 * throws for the platform's refusals: the outcome is recorded on the quiz (and returned).
 */
export async function readQuizScores(db: Db, assignmentId: string, now = new Date()): Promise<ReadSummary> {
  const [q] = await db.select().from(assignmentQuizzes).where(eq(assignmentQuizzes.assignmentId, assignmentId));
  const a = q ? await assignmentRow(db, assignmentId) : undefined;
  if (!q || !a) return { outcome: "not_found", responses: 0, graded: 0, unchanged: 0, unmatched: 0 };
  const record = async (s: ReadSummary) => {
    await db
      .update(assignmentQuizzes)
      .set({ lastOutcome: s.outcome, lastMessage: s.message?.slice(0, 500) ?? null, lastAttemptAt: now, retryAt: s.retryAt ?? null })
      .where(eq(assignmentQuizzes.assignmentId, assignmentId));
    return s;
  };
  const empty = { responses: 0, graded: 0, unchanged: 0, unmatched: 0 };
  const teacherId = await readingTeacher(db, a.classId, q.attachedBy);
  const conn = teacherId ? await connectionFor(db, { schoolId: a.schoolId, teacherId, provider: "google" }) : null;
  if (!teacherId || !conn) return record({ outcome: "not_connected", ...empty });
  if (!hasFormsScopes(conn)) return record({ outcome: "scope_missing", ...empty });
  const reader = quizReader(db);
  let info: QuizInfo;
  const all: QuizResponseRecord[] = [];
  try {
    info = await reader.readQuiz(refOf(conn), q.formId);
    if (info.isQuiz && info.maxScore > 0) for await (const page of reader.listResponses(refOf(conn), q.formId)) all.push(...page.items);
  } catch (e) {
    return record({ ...outcomeOf(e), ...empty });
  }
  if (!info.isQuiz) return record({ outcome: "not_quiz", ...empty });
  if (!(info.maxScore > 0)) return record({ outcome: "no_points", ...empty });

  // The class's students by email (exact, lower-cased): the only automatic match.
  const students = await db
    .select({ id: users.id, email: users.email })
    .from(classMembers)
    .innerJoin(users, eq(users.id, classMembers.userId))
    .where(and(eq(classMembers.classId, a.classId), eq(classMembers.role, "student")));
  const byEmail = new Map(students.filter((s) => s.email).map((s) => [s.email!.toLowerCase(), s.id]));
  const enrolled = new Set(students.map((s) => s.id));

  const stored = await db.transaction(async (tx) => {
    for (let i = 0; i < all.length; i += 500) {
      const chunk = all.slice(i, i + 500);
      await tx
        .insert(quizResponses)
        .values(
          chunk.map((r) => {
            const match = r.respondentEmail ? byEmail.get(r.respondentEmail) : undefined;
            return {
              assignmentId,
              responseId: r.responseId,
              respondentEmail: r.respondentEmail,
              totalScore: r.totalScore === null ? null : String(r.totalScore),
              submittedAt: r.submittedAt,
              gradedQuestions: r.gradedQuestions,
              studentId: match ?? null,
              matchedBy: match ? ("email" as const) : null,
            };
          }),
        )
        .onConflictDoUpdate({
          target: [quizResponses.assignmentId, quizResponses.responseId],
          set: {
            respondentEmail: sql`excluded.respondent_email`,
            totalScore: sql`excluded.total_score`,
            submittedAt: sql`excluded.submitted_at`,
            gradedQuestions: sql`excluded.graded_questions`,
            // A match already made (by email or by the teacher) stays.
            studentId: sql`coalesce(${quizResponses.studentId}, excluded.student_id)`,
            matchedBy: sql`coalesce(${quizResponses.matchedBy}, excluded.matched_by)`,
            updatedAt: now,
          },
        });
    }
    const latest = all.reduce<Date | null>((m, r) => (!m || r.submittedAt > m ? r.submittedAt : m), null);
    await tx
      .update(assignmentQuizzes)
      .set({ title: info.title, maxScore: String(info.maxScore), responderUrl: info.responderUri ?? q.responderUrl, lastReadAt: now, latestSubmittedAt: latest })
      .where(eq(assignmentQuizzes.assignmentId, assignmentId));
    await tx.update(assignments).set({ formUrl: info.responderUri ?? q.responderUrl, formTitle: info.title }).where(eq(assignments.id, assignmentId));
    return tx.select().from(quizResponses).where(eq(quizResponses.assignmentId, assignmentId));
  });
  const applied = await applyScores(db, { id: teacherId }, a, info.maxScore, stored, enrolled);
  const unmatched = stored.filter((r) => !r.studentId).length;
  return record({ outcome: "ok", responses: stored.length, graded: applied.saved, unchanged: applied.unchanged, unmatched });
}

/**
 * Each matched student's latest graded response as their grade, through the grading service
 * (one transaction, `grade.posted` only for a grade that changed). A response already written
 * (its submission time and score) is not sent again, so a grade the teacher changed by hand
 * afterwards stays until the student submits again. The responses are stored before (in their own
 * transaction) and the versions after: a crash in between sends the grades again on the next read,
 * where the grading service finds them unchanged and writes nothing.
 */
async function applyScores(
  db: Db,
  teacher: Pick<Actor, "id">,
  a: { id: string; scale: Scale; maxPoints: string | null },
  max: number,
  rows: (typeof quizResponses.$inferSelect)[],
  enrolled: Set<string>,
): Promise<{ saved: number; unchanged: number }> {
  const latest = new Map<string, (typeof rows)[number]>();
  for (const r of rows) {
    if (!r.studentId || r.totalScore === null || !enrolled.has(r.studentId)) continue;
    const cur = latest.get(r.studentId);
    if (!cur || r.submittedAt > cur.submittedAt) latest.set(r.studentId, r);
  }
  const due = [...latest.values()].filter((r) => r.appliedVersion !== versionOf(r));
  if (due.length === 0) return { saved: 0, unchanged: 0 };
  const grades = due.map((r) => ({ studentId: r.studentId!, ...quizGrade(a.scale, Number(r.totalScore), max, a.maxPoints === null ? null : Number(a.maxPoints)) }));
  const result = await gradeSubmissions(db, teacher, a.id, grades);
  const done = due.filter((r) => result.rows[r.studentId!] && Object.keys(result.rows[r.studentId!].errors).length === 0);
  for (const r of done) await db.update(quizResponses).set({ appliedVersion: versionOf(r) }).where(eq(quizResponses.id, r.id));
  return { saved: result.saved, unchanged: result.unchanged };
}

/** "Đọc điểm từ Google Forms": the class's teacher reads the quiz now. */
export async function readQuizForTeacher(db: Db, actor: Actor, assignmentId: string): Promise<ReadSummary> {
  const a = await teachersAssignment(db, actor, assignmentId);
  const [q] = await db.select({ id: assignmentQuizzes.assignmentId }).from(assignmentQuizzes).where(eq(assignmentQuizzes.assignmentId, a.id));
  if (!q) throw notFound();
  return readQuizScores(db, a.id);
}

/** The teacher gives a response nobody was matched to (or matched wrongly by the teacher) to one of the class's students. */
export async function assignQuizResponse(db: Db, actor: Actor, assignmentId: string, raw: unknown): Promise<Result<{ studentId: string }>> {
  const a = await teachersAssignment(db, actor, assignmentId);
  const responseId = typeof (raw as { responseId?: unknown })?.responseId === "string" ? (raw as { responseId: string }).responseId : "";
  const studentId = typeof (raw as { studentId?: unknown })?.studentId === "string" ? (raw as { studentId: string }).studentId : "";
  if (!/^[0-9a-f-]{36}$/i.test(studentId)) return fail({ studentId: "quiz.errors.chooseStudent" });
  const [r] = await db
    .select()
    .from(quizResponses)
    .where(and(eq(quizResponses.assignmentId, a.id), eq(quizResponses.responseId, responseId)));
  if (!r) throw notFound();
  if (r.matchedBy === "email") return fail({ studentId: "quiz.errors.matchedByEmail" });
  const [member] = await db
    .select({ id: classMembers.userId })
    .from(classMembers)
    .where(and(eq(classMembers.classId, a.classId), eq(classMembers.userId, studentId), eq(classMembers.role, "student")));
  if (!member) return fail({ studentId: "errors.not_in_class" });
  await db.update(quizResponses).set({ studentId, matchedBy: "teacher", appliedVersion: null, updatedAt: new Date() }).where(eq(quizResponses.id, r.id));
  const [q] = await db.select({ maxScore: assignmentQuizzes.maxScore }).from(assignmentQuizzes).where(eq(assignmentQuizzes.assignmentId, a.id));
  const max = q?.maxScore === null || q?.maxScore === undefined ? 0 : Number(q.maxScore);
  if (max > 0) {
    const rows = await db.select().from(quizResponses).where(and(eq(quizResponses.assignmentId, a.id), eq(quizResponses.studentId, studentId)));
    await applyScores(db, actor, a, max, rows, new Set([studentId]));
  }
  return ok({ studentId });
}

/** What the grading page shows of the quiz: its state, its last read and the responses nobody was matched to. */
export async function quizForTeacher(db: Db, actor: Actor, assignmentId: string) {
  const a = await teachersAssignment(db, actor, assignmentId);
  const conn = await connectionFor(db, { schoolId: a.schoolId, teacherId: actor.id, provider: "google" });
  const connection = !conn ? ("none" as const) : hasFormsScopes(conn) ? ("ready" as const) : ("scope_missing" as const);
  const [q] = await db.select().from(assignmentQuizzes).where(eq(assignmentQuizzes.assignmentId, a.id));
  if (!q) return { connection, quiz: null, unmatched: [], matched: 0 };
  const rows = await db
    .select({ responseId: quizResponses.responseId, email: quizResponses.respondentEmail, totalScore: quizResponses.totalScore, submittedAt: quizResponses.submittedAt, studentId: quizResponses.studentId, matchedBy: quizResponses.matchedBy })
    .from(quizResponses)
    .where(eq(quizResponses.assignmentId, a.id))
    .orderBy(asc(quizResponses.submittedAt));
  return {
    connection,
    quiz: {
      formId: q.formId,
      responderUrl: q.responderUrl,
      editUrl: `https://docs.google.com/forms/d/${q.formId}/edit`,
      title: q.title,
      maxScore: q.maxScore === null ? null : Number(q.maxScore),
      lastReadAt: q.lastReadAt?.toISOString() ?? null,
      lastAttemptAt: q.lastAttemptAt?.toISOString() ?? null,
      lastOutcome: (q.lastOutcome ?? null) as QuizOutcome | null,
      lastMessage: q.lastMessage,
      retryAt: q.retryAt?.toISOString() ?? null,
    },
    unmatched: rows.filter((r) => !r.studentId || r.matchedBy === "teacher").map((r) => ({ ...r, totalScore: r.totalScore === null ? null : Number(r.totalScore), submittedAt: r.submittedAt.toISOString() })),
    matched: rows.filter((r) => r.studentId).length,
  };
}

/**
 * Quizzes the job reads now: the assignment's due date has passed, it is not archived, no rate
 * limit holds it, and it has not been tried yet — or was last tried an hour ago or more, within
 * two weeks of the due date (late and edited submissions).
 */
export async function dueQuizzes(db: Db, now = new Date(), limit = 50): Promise<string[]> {
  const rows = await db
    .select({ id: assignmentQuizzes.assignmentId })
    .from(assignmentQuizzes)
    .innerJoin(assignments, eq(assignments.id, assignmentQuizzes.assignmentId))
    .where(
      and(
        lte(assignments.dueAt, now),
        isNull(assignments.archivedAt),
        or(isNull(assignmentQuizzes.retryAt), lte(assignmentQuizzes.retryAt, now)),
        or(
          isNull(assignmentQuizzes.lastAttemptAt),
          and(lte(assignmentQuizzes.lastAttemptAt, new Date(now.getTime() - REREAD_EVERY_MS)), sql`${assignments.dueAt} > ${new Date(now.getTime() - REREAD_FOR_MS).toISOString()}::timestamptz`),
        ),
      ),
    )
    .orderBy(sql`${assignmentQuizzes.lastAttemptAt} nulls first`)
    .limit(limit);
  return rows.map((r) => r.id);
}

/** The job: every due quiz read once, each outcome recorded on its quiz. */
export async function readDueQuizzes(db: Db, now = new Date()): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const id of await dueQuizzes(db, now)) {
    const s = await readQuizScores(db, id, now);
    out[s.outcome] = (out[s.outcome] ?? 0) + 1;
  }
  return out;
}
