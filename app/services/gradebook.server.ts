/**
 * The gradebook (sổ điểm) of a class: its students in class-list order × its assessments, each
 * student's term results (app/lib/gradebook.ts), filled in by the class's teacher through the
 * grading service, and exported to Excel.
 */
import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client.server.ts";
import { assignments, classes, classMembers, submissions, users } from "../../db/schema/index.ts";
import { canAdministerSchool, isClassTeacher, type Actor } from "../auth/actor.server.ts";
import { isId, notFound } from "../auth/guards.server.ts";
import { columnLabels, gradebookResults, type GradebookAssessment, type GradebookGrade, type StudentResults, type Term } from "../lib/gradebook.ts";
import { levelOfGrade, termOf } from "../lib/curriculum.ts";
import { gradeSubmissions, MAX_GRADE_ROWS } from "./assignments.server.ts";
import { isLevelScale, type Level, type Scale } from "./grades.ts";

export type GradebookColumn = GradebookAssessment & { title: string; dueAt: string; label: string };
export type GradebookCell = { status: "submitted" | "missing" | "graded"; score: string | null; level: Level | null };

export type Gradebook = {
  class: { id: string; schoolId: string; name: string; grade: number; subject: string; schoolYear: string };
  /** The class's teacher fills it in; a school's admin reads it. */
  canEdit: boolean;
  /** Primary classes (Thông tư 27): levels only, no averages. */
  primary: boolean;
  /** Every assessment of the class, both terms, in order (labels TX1, GK… count within a term). */
  columns: GradebookColumn[];
  students: { id: string; fullName: string; birthDate: string | null }[];
  /** cells[studentId][assignmentId], only where there is work or a grade. */
  cells: Record<string, Record<string, GradebookCell>>;
  results: Record<string, StudentResults>;
};

type ClassRow = Gradebook["class"];

/** The term a page opens on: `?term=` when it says 1 or 2, else the term of today. */
export function termParam(value: string | null, now = new Date()): Term {
  return value === "1" || value === "2" ? (Number(value) as Term) : termOf(now);
}

async function classRow(db: Db, classId: string): Promise<ClassRow | undefined> {
  if (!isId(classId)) return undefined;
  const [c] = await db
    .select({ id: classes.id, schoolId: classes.schoolId, name: classes.name, grade: classes.grade, subject: classes.subject, schoolYear: classes.schoolYear })
    .from(classes)
    .where(eq(classes.id, classId));
  return c;
}

/**
 * The gradebook page's statements, built once per database handle (a teacher opens it often, and
 * building a statement costs about what running it does): the class with whether the actor
 * teaches it, its students, its assessments, and their work.
 */
function prepareGradebookQueries(db: Db) {
  return {
    classForActor: db
      .select({
        id: classes.id,
        schoolId: classes.schoolId,
        name: classes.name,
        grade: classes.grade,
        subject: classes.subject,
        schoolYear: classes.schoolYear,
        teaches: sql<boolean>`exists (select 1 from ${classMembers} cm where cm.class_id = ${classes.id} and cm.user_id = ${sql.placeholder("userId")} and cm.role = 'teacher')`,
      })
      .from(classes)
      .where(eq(classes.id, sql.placeholder("classId")))
      .prepare("gradebook_class"),
    students: db
      .select({ id: users.id, fullName: users.fullName, birthDate: users.birthDate })
      .from(classMembers)
      .innerJoin(users, eq(users.id, classMembers.userId))
      .where(and(eq(classMembers.classId, sql.placeholder("classId")), eq(classMembers.role, "student")))
      .orderBy(asc(users.sortKey), asc(users.id))
      .prepare("gradebook_students"),
    assessments: db
      .select({
        id: assignments.id,
        title: assignments.title,
        kind: assignments.assessment,
        term: assignments.term,
        scale: assignments.scale,
        maxPoints: assignments.maxPoints,
        dueAt: assignments.dueAt,
      })
      .from(assignments)
      // Archived work is out of the gradebook, as it is out of the students' and parents' pages.
      .where(and(eq(assignments.classId, sql.placeholder("classId")), isNull(assignments.archivedAt)))
      .orderBy(asc(assignments.dueAt), asc(assignments.createdAt), asc(assignments.id))
      .prepare("gradebook_assessments"),
    work: db
      .select({ assignmentId: submissions.assignmentId, studentId: submissions.studentId, status: submissions.status, score: submissions.score, level: submissions.level })
      .from(submissions)
      .innerJoin(assignments, eq(assignments.id, submissions.assignmentId))
      .where(and(eq(assignments.classId, sql.placeholder("classId")), isNull(assignments.archivedAt)))
      .prepare("gradebook_work"),
  };
}

const preparedQueries = new WeakMap<Db, ReturnType<typeof prepareGradebookQueries>>();

function gradebookQueries(db: Db) {
  let q = preparedQueries.get(db);
  if (!q) preparedQueries.set(db, (q = prepareGradebookQueries(db)));
  return q;
}

/** Who may open a class's gradebook: its teachers (to fill it in) and its school's admins (to read it). */
async function gradebookAccess(db: Db, actor: Actor, classId: string): Promise<{ cls: ClassRow; canEdit: boolean }> {
  if (!isId(classId)) throw notFound();
  const [row] = await gradebookQueries(db).classForActor.execute({ classId, userId: actor.id });
  if (!row) throw notFound();
  const { teaches, ...cls } = row;
  if (teaches) return { cls, canEdit: true };
  if (await canAdministerSchool(db, actor, cls.schoolId)) return { cls, canEdit: false };
  throw notFound();
}

/** The whole gradebook of a class the actor teaches or administers. */
export async function gradebookForClass(db: Db, actor: Actor, classId: string): Promise<Gradebook> {
  const { cls, canEdit } = await gradebookAccess(db, actor, classId);
  return { ...(await loadGradebook(db, cls)), canEdit };
}

/** A gradebook cell as its page sends it: [status, score, level]; 0 where there is nothing. */
export type CompactCell = ["submitted" | "missing" | "graded", string | null, Level | null] | 0;

/**
 * A gradebook cut to one term for its page, in the compact shape the page renders from: the
 * term's columns, and per student (in class-list order) one cell a column, the term result and the
 * year's average. Arrays rather than objects keyed by ids: the page's data is a sixth the size.
 */
export function termPage(g: Gradebook, term: Term) {
  const columns = g.columns
    .filter((col) => col.term === term)
    .map(({ id, label, title, kind, scale, maxPoints }) => ({ id, label, title, kind, scale, maxPoints }));
  const cells: CompactCell[][] = g.students.map((s) => {
    const row = g.cells[s.id];
    return columns.map((col) => {
      const c = row?.[col.id];
      return c ? [c.status, c.score, c.level] : 0;
    });
  });
  const results = g.students.map((s) => g.results[s.id]?.terms[term] ?? null);
  const year = g.students.map((s) => g.results[s.id]?.year ?? null);
  return {
    class: g.class,
    canEdit: g.canEdit,
    primary: g.primary,
    columns,
    students: g.students.map(({ id, fullName }) => ({ id, fullName })),
    cells,
    results,
    year,
  };
}

export type GradebookTermPage = ReturnType<typeof termPage>;

/** The gradebooks of every class the actor teaches, in the order of "Lớp của tôi". */
export async function gradebooksOfTeacher(db: Db, actor: Actor): Promise<Gradebook[]> {
  const taught = await db
    .select({ id: classes.id, schoolId: classes.schoolId, name: classes.name, grade: classes.grade, subject: classes.subject, schoolYear: classes.schoolYear })
    .from(classMembers)
    .innerJoin(classes, eq(classes.id, classMembers.classId))
    .where(and(eq(classMembers.userId, actor.id), eq(classMembers.role, "teacher")))
    .orderBy(asc(classes.schoolYear), asc(classes.grade), asc(classes.name), asc(classes.subject));
  const out: Gradebook[] = [];
  for (const cls of taught) out.push({ ...(await loadGradebook(db, cls)), canEdit: true });
  return out;
}

async function loadGradebook(db: Db, cls: ClassRow): Promise<Omit<Gradebook, "canEdit">> {
  const q = gradebookQueries(db);
  const [students, rows] = await Promise.all([q.students.execute({ classId: cls.id }), q.assessments.execute({ classId: cls.id })]);
  const assessments: GradebookAssessment[] = rows.map((r, i) => ({
    id: r.id,
    kind: r.kind,
    term: r.term === 2 ? 2 : 1,
    scale: r.scale as Scale,
    maxPoints: r.maxPoints,
    order: i,
  }));
  const labels = new Map<string, string>();
  for (const term of [1, 2] as const) for (const [id, label] of columnLabels(assessments.filter((a) => a.term === term))) labels.set(id, label);
  const columns = assessments.map((a, i) => ({ ...a, title: rows[i].title, dueAt: rows[i].dueAt.toISOString(), label: labels.get(a.id) ?? "" }));

  const work = rows.length === 0 || students.length === 0 ? [] : await q.work.execute({ classId: cls.id });
  const enrolled = new Set(students.map((s) => s.id));
  const cells: Gradebook["cells"] = {};
  const gradesByStudent = new Map<string, Map<string, GradebookGrade>>();
  for (const w of work) {
    if (!enrolled.has(w.studentId)) continue; // a student who has left the class
    (cells[w.studentId] ??= {})[w.assignmentId] = { status: w.status, score: w.status === "graded" ? w.score : null, level: w.status === "graded" ? w.level : null };
    if (w.status !== "graded") continue;
    let mine = gradesByStudent.get(w.studentId);
    if (!mine) gradesByStudent.set(w.studentId, (mine = new Map()));
    mine.set(w.assignmentId, { score: w.score, level: w.level });
  }
  const primary = levelOfGrade(cls.grade) === "tieu_hoc";
  const results = gradebookResults(assessments, gradesByStudent, students.map((s) => s.id), { noAverage: primary });
  return { class: cls, primary, columns, students, cells, results: Object.fromEntries(results) };
}

/** At most this many cells in one save: a class of 45 with 40 assessments, with room to spare. */
export const MAX_GRADEBOOK_CELLS = 2000;

/** A cell of the gradebook form: `g.<assignmentId>.<studentId>`. */
const CELL = /^g\.([0-9a-f-]{36})\.([0-9a-f-]{36})$/i;
/** The page's short form of it: `g.<column>.<row>`, read against the form's `columns` and `rows` lists of ids. */
const SHORT_CELL = /^g\.(\d{1,4})\.(\d{1,4})$/;
const ID_LIST = z.string().max(40 * (MAX_GRADEBOOK_CELLS + 1)).transform((v) => (v === "" ? [] : v.split(",")));

/**
 * The form's cells by `g.<assignmentId>.<studentId>`: the page names its fields by position
 * (`g.<column>.<row>`) and sends the ids of its columns and rows beside them, so a student who
 * joined after the page was opened cannot shift a grade to the wrong row.
 */
export function cellFields(fields: Record<string, string>): { ok: true; cells: Record<string, string> } | { ok: false; error: string } {
  const out: Record<string, string> = {};
  const columns = ID_LIST.safeParse(fields.columns ?? "");
  const rows = ID_LIST.safeParse(fields.rows ?? "");
  if (!columns.success || !rows.success) return { ok: false, error: "errors.too_many_fields" };
  for (const [key, value] of Object.entries(fields)) {
    if (CELL.test(key)) {
      out[key] = value;
      continue;
    }
    const m = SHORT_CELL.exec(key);
    if (!m) continue;
    const col = columns.data[Number(m[1])];
    const row = rows.data[Number(m[2])];
    if (!col || !row || !isId(col) || !isId(row)) return { ok: false, error: "errors.not_in_class" };
    out[`g.${col}.${row}`] = value;
  }
  return { ok: true, cells: out };
}


export type GradebookSaveResult = {
  /** Cells refused, by `<assignmentId>.<studentId>`: the error and what was typed. */
  cells: Record<string, { error: string; value: string }>;
  formErrors: Record<string, string>;
  saved: number;
  unchanged: number;
  failed: number;
};

const CellValue = z.string().max(20);

/**
 * Save the grades typed into the gradebook. Each column (assignment) goes through the grading
 * service (gradeSubmissions) exactly as the grading page's "Lưu tất cả" does, in a transaction of
 * its own: a bad cell keeps its error and is not saved, the others are; an empty cell is skipped
 * (it never removes a grade); a grade that is already stored is not written again and posts no
 * new `grade.posted`; a student with nothing handed in gets a graded row with no work. Comments
 * are not in the gradebook and stay as they are.
 */
export async function saveGradebook(db: Db, actor: Actor, classId: string, fields: Record<string, string>): Promise<GradebookSaveResult> {
  const cls = await classRow(db, classId);
  if (!cls || !(await isClassTeacher(db, actor, cls.id))) throw notFound();
  const out: GradebookSaveResult = { cells: {}, formErrors: {}, saved: 0, unchanged: 0, failed: 0 };
  const named = cellFields(fields);
  if (!named.ok) {
    out.formErrors.cells = named.error;
    return out;
  }
  const byAssignment = new Map<string, { studentId: string; value: string }[]>();
  let n = 0;
  for (const [key, raw] of Object.entries(named.cells)) {
    const m = CELL.exec(key);
    if (!m) continue;
    if (++n > MAX_GRADEBOOK_CELLS) {
      out.formErrors.cells = "errors.too_many_fields";
      return out;
    }
    const value = CellValue.safeParse(raw);
    const [, assignmentId, studentId] = [m[0], m[1].toLowerCase(), m[2].toLowerCase()];
    if (!value.success) {
      out.cells[`${assignmentId}.${studentId}`] = { error: "errors.score_invalid", value: raw.slice(0, 20) };
      out.failed++;
      continue;
    }
    const list = byAssignment.get(assignmentId) ?? [];
    list.push({ studentId, value: value.data });
    byAssignment.set(assignmentId, list);
  }
  if (byAssignment.size === 0) return out;
  const own = await db
    .select({ id: assignments.id, scale: assignments.scale })
    .from(assignments)
    .where(and(eq(assignments.classId, cls.id), isNull(assignments.archivedAt), inArray(assignments.id, [...byAssignment.keys()])));
  const scales = new Map(own.map((a) => [a.id, a.scale as Scale]));
  for (const [assignmentId, list] of byAssignment) {
    const scale = scales.get(assignmentId);
    if (!scale) {
      out.formErrors.cells = "errors.not_in_class";
      continue;
    }
    for (let i = 0; i < list.length; i += MAX_GRADE_ROWS) {
      const part = list.slice(i, i + MAX_GRADE_ROWS);
      const rows = part.map((c) => (isLevelScale(scale) ? { studentId: c.studentId, level: c.value } : { studentId: c.studentId, score: c.value }));
      const result = await gradeSubmissions(db, actor, assignmentId, rows, { skipBlank: true });
      if (result.formErrors.studentId) out.formErrors.cells = result.formErrors.studentId;
      for (const [studentId, row] of Object.entries(result.rows)) {
        const error = row.errors.score ?? row.errors.level ?? Object.values(row.errors)[0];
        if (error) out.cells[`${assignmentId}.${studentId}`] = { error, value: part.find((c) => c.studentId === studentId)?.value ?? "" };
      }
      out.saved += result.saved;
      out.unchanged += result.unchanged;
      out.failed += result.failed;
    }
  }
  return out;
}
