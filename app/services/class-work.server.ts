/**
 * A class as its students see it, and as their parents see it for one child: every published
 * lesson and every assignment of the class, with the child's own status on each assignment.
 */
import { sql } from "drizzle-orm";
import { redirect } from "react-router";
import { json, selectRows, type Db } from "../../db/client.server.ts";
import { hasRole, type Actor } from "../auth/actor.server.ts";
import { forbidden, isId, notFound } from "../auth/guards.server.ts";
import type { Level, Scale } from "./grades.ts";
import type { AssessmentKind } from "../lib/gradebook.ts";

/**
 * One student's standing on an assignment: `graded` (đã chấm), `submitted` (nộp rồi, waiting to
 * be graded), `overdue` (quá hạn: past the due date with nothing handed in) or `open` (chưa nộp).
 */
export type WorkStatus = "graded" | "submitted" | "overdue" | "open";

export type ClassWork = {
  class: { id: string; name: string; grade: number; subject: string; schoolYear: string; teachers: string | null };
  lessons: { id: string; title: string; publishedAt: string }[];
  assignments: {
    id: string;
    title: string;
    dueAt: string;
    status: WorkStatus;
    late: boolean;
    scale: Scale;
    maxPoints: string | number | null;
    /** Where it goes in the gradebook: thường xuyên, giữa kỳ or cuối kỳ, of học kỳ I or II. */
    assessment: AssessmentKind;
    term: 1 | 2;
    score: string | number | null;
    level: Level | null;
    comment: string | null;
  }[];
};

type Row = { class: unknown; lessons: unknown; assignments: unknown; child: unknown; teaches: boolean | null };

/**
 * The whole page in one round trip. The class is returned only when `studentId` is a student of
 * it and, for a parent (`parentId`), when that student is the parent's child; otherwise `class`
 * is null and the lists are empty. `teacherId` asks whether that person teaches the class.
 */
async function classWork(db: Db, q: { classId: string; studentId: string; parentId?: string; teacherId?: string }, now: Date) {
  const at = now.toISOString();
  const parentCheck = q.parentId
    ? sql`and exists (select 1 from parent_links pl where pl.parent_id = ${q.parentId} and pl.student_id = ${q.studentId})`
    : sql``;
  const [row] = await selectRows<Row>(
    db,
    sql`
    with c as (
      select c.id, c.name, c.grade, c.subject, c.school_year as "schoolYear",
        (select string_agg(u.full_name, ', ' order by u.sort_key)
         from class_members t join users u on u.id = t.user_id
         where t.class_id = c.id and t.role = 'teacher') as teachers
      from classes c
      where c.id = ${q.classId}
        and exists (select 1 from class_members m where m.class_id = c.id and m.user_id = ${q.studentId} and m.role = 'student')
        ${parentCheck}
    )
    select
      (select row_to_json(c) from c) as class,
      (select json_build_object('id', u.id, 'fullName', u.full_name) from users u where u.id = ${q.studentId} and exists (select 1 from c)) as child,
      (select coalesce(json_agg(x), '[]') from (
        select l.id, l.title, l.published_at as "publishedAt"
        from lessons l join c on c.id = l.class_id
        where l.status = 'published'
        order by l.published_at desc, l.id) x) as lessons,
      (select coalesce(json_agg(x), '[]') from (
        select a.id, a.title, a.due_at as "dueAt", a.scale, a.max_points as "maxPoints", a.assessment, a.term,
          case
            when s.status = 'graded' then 'graded'
            when s.status = 'submitted' then 'submitted'
            when s.status = 'missing' or a.due_at <= ${at}::timestamptz then 'overdue'
            else 'open'
          end as status,
          coalesce(s.late, false) as late,
          case when s.status = 'graded' then s.score end as score,
          case when s.status = 'graded' then s.level end as level,
          case when s.status = 'graded' then s.comment end as comment
        from assignments a
        join c on c.id = a.class_id
        left join submissions s on s.assignment_id = a.id and s.student_id = ${q.studentId}
        -- Archived work stays with the teacher; students and parents no longer see it.
        where a.archived_at is null
        order by a.due_at desc, a.created_at desc, a.id) x) as assignments,
      ${q.teacherId ? sql`exists (select 1 from class_members t where t.class_id = ${q.classId} and t.user_id = ${q.teacherId} and t.role = 'teacher')` : sql`false`} as teaches
  `,
  );
  const cls = json<ClassWork["class"] | null>(row?.class);
  return {
    work: cls
      ? { class: cls, lessons: json<ClassWork["lessons"]>(row.lessons), assignments: json<ClassWork["assignments"]>(row.assignments) }
      : null,
    child: json<{ id: string; fullName: string } | null>(row?.child),
    teaches: Boolean(row?.teaches),
  };
}

/**
 * A student's page of one of their classes. A teacher of the class is sent to the teacher's page
 * of it; anyone else who is a student gets "not found", and someone who is not a student "forbidden".
 */
export async function classForStudent(db: Db, actor: Actor, classId: string, now = new Date()): Promise<ClassWork> {
  if (!isId(classId)) throw notFound();
  const isTeacher = hasRole(actor, "teacher");
  const { work, teaches } = await classWork(db, { classId, studentId: actor.id, teacherId: isTeacher ? actor.id : undefined }, now);
  if (work) return { ...work, assignments: work.assignments.map((a) => ({ ...a, comment: null })) };
  if (teaches) throw redirect(`/classes/${classId}`);
  if (!hasRole(actor, "student")) throw forbidden();
  throw notFound();
}

/**
 * A parent's read-only page of one child's class, with the teacher's comments (the parent cannot
 * open the assignment itself). "Not found" unless the child is theirs and in the class.
 */
export async function classForParent(db: Db, actor: Actor, studentId: string, classId: string, now = new Date()) {
  if (!isId(studentId) || !isId(classId)) throw notFound();
  const { work, child } = await classWork(db, { classId, studentId, parentId: actor.id }, now);
  if (!work || !child) throw notFound();
  return { ...work, child };
}

/**
 * One student's work in several classes, as a parent reads it (statuses, grades and the teachers'
 * comments), for someone the caller has already allowed to see the student (the homeroom
 * teacher). Classes the student is not in are left out.
 */
export async function workInClasses(db: Db, studentId: string, classIds: string[], now = new Date()): Promise<ClassWork[]> {
  if (!isId(studentId)) throw notFound();
  const all = await Promise.all(classIds.filter(isId).map((classId) => classWork(db, { classId, studentId }, now)));
  return all.flatMap((r) => (r.work ? [r.work] : []));
}
