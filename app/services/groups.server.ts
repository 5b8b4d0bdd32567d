/**
 * Class groups (lớp chủ nhiệm, e.g. 6A1 of 2026-2027) and their homeroom teachers (giáo viên chủ
 * nhiệm, GVCN). A school admin creates a group and names its homeroom teacher; subject classes of
 * the same name and year belong to it (createClass); students join the group once, with its code,
 * and are enrolled in every subject class of it (joinClassByCode). The homeroom teacher sees every
 * subject of the group's students, with their families, issues parent codes and resets students'
 * passwords for them.
 */
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { json, selectRows, type Db, type DbOrTx } from "../../db/client.server.ts";
import { classGroups, memberships, users } from "../../db/schema/index.ts";
import { canAdministerSchool, type Actor } from "../auth/actor.server.ts";
import { forbidden, isId, notFound } from "../auth/guards.server.ts";
import { currentSchoolYear } from "../lib/curriculum.ts";
import { freshJoinCode, GroupSchema } from "./classes.server.ts";
import { workInClasses, type ClassWork } from "./class-work.server.ts";
import { isUniqueViolation } from "./users.server.ts";
import { fail, ok, zodErrors, type Result } from "./result.ts";

// ---------------------------------------------------------------------------------------------
// The school admin's side

export async function createGroup(db: Db, actor: Actor, schoolId: string, raw: unknown): Promise<Result<{ id: string; name: string }>> {
  if (!(await canAdministerSchool(db, actor, schoolId))) throw forbidden();
  const parsed = GroupSchema.safeParse(raw);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const input = parsed.data;
  try {
    const [g] = await db
      .insert(classGroups)
      .values({ schoolId, name: input.name, grade: input.grade, schoolYear: input.schoolYear, joinCode: await freshJoinCode(db) })
      .returning({ id: classGroups.id, name: classGroups.name });
    return ok(g);
  } catch (e) {
    if (isUniqueViolation(e)) return fail({ name: "errors.group_exists" });
    throw e;
  }
}

/** A school's class groups with their homeroom teacher, subject classes, students and code. */
export async function listSchoolGroups(db: Db, actor: Actor, schoolId: string) {
  if (!(await canAdministerSchool(db, actor, schoolId))) throw forbidden();
  const rows = await selectRows<{
    id: string;
    name: string;
    grade: number;
    schoolYear: string;
    joinCode: string;
    homeroomTeacherId: string | null;
    homeroomTeacher: string | null;
    students: number;
    subjects: unknown;
  }>(
    db,
    sql`
    select g.id, g.name, g.grade, g.school_year as "schoolYear", g.join_code as "joinCode",
      g.homeroom_teacher_id as "homeroomTeacherId", ht.full_name as "homeroomTeacher",
      (select count(*)::int from class_group_members m where m.group_id = g.id) as students,
      (select coalesce(json_agg(c.subject order by c.subject), '[]') from classes c where c.group_id = g.id) as subjects
    from class_groups g
    left join users ht on ht.id = g.homeroom_teacher_id
    where g.school_id = ${schoolId}
    order by g.school_year desc, g.grade, g.name`,
  );
  return rows.map((r) => ({ ...r, students: Number(r.students), subjects: json<string[]>(r.subjects) }));
}

async function groupOfSchool(db: DbOrTx, schoolId: string, groupId: unknown) {
  if (!isId(groupId)) return undefined;
  const [g] = await db
    .select({ id: classGroups.id, name: classGroups.name, joinCode: classGroups.joinCode })
    .from(classGroups)
    .where(and(eq(classGroups.id, groupId), eq(classGroups.schoolId, schoolId)));
  return g;
}

/**
 * Name (or change, or clear with "") the homeroom teacher of a group: a teacher of the group's
 * school only. A group of another school is "not found".
 */
export async function setHomeroomTeacher(
  db: Db,
  actor: Actor,
  schoolId: string,
  raw: { groupId?: unknown; teacherId?: unknown },
): Promise<Result<{ groupId: string; name: string }>> {
  if (!(await canAdministerSchool(db, actor, schoolId))) throw forbidden();
  const g = await groupOfSchool(db, schoolId, raw.groupId);
  if (!g) throw notFound();
  const teacherId = raw.teacherId === "" || raw.teacherId === undefined ? null : raw.teacherId;
  if (teacherId !== null) {
    if (!isId(teacherId)) return fail({ teacherId: "errors.teacher_not_in_school" });
    const [t] = await db
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.userId, teacherId), eq(memberships.orgId, schoolId), eq(memberships.role, "teacher")));
    if (!t) return fail({ teacherId: "errors.teacher_not_in_school" });
  }
  await db.update(classGroups).set({ homeroomTeacherId: teacherId }).where(eq(classGroups.id, g.id));
  return ok({ groupId: g.id, name: g.name });
}

/** The group's code, for the confirmation question; "not found" for a group of another school. */
export async function groupForCodeQuestion(db: Db, actor: Actor, schoolId: string, groupId: unknown) {
  if (!(await canAdministerSchool(db, actor, schoolId))) throw forbidden();
  const g = await groupOfSchool(db, schoolId, groupId);
  if (!g) throw notFound();
  return g;
}

/** A new join code for the group: the old one stops working at once (students in it stay). */
export async function regenerateGroupCode(db: Db, actor: Actor, schoolId: string, groupId: unknown) {
  const g = await groupForCodeQuestion(db, actor, schoolId, groupId);
  const code = await freshJoinCode(db);
  await db.update(classGroups).set({ joinCode: code }).where(eq(classGroups.id, g.id));
  return { groupId: g.id, name: g.name, code };
}

// ---------------------------------------------------------------------------------------------
// The homeroom teacher's side

/**
 * The group, if the actor may see it: its homeroom teacher, an admin of its school, or a province
 * admin of the school's province. Anyone else — a subject teacher of the group included — gets
 * "not found", as for a class one does not teach.
 */
export async function requireGroupAccess(db: Db, actor: Actor, groupId: string) {
  if (!isId(groupId)) throw notFound();
  const [g] = await db
    .select({
      id: classGroups.id,
      schoolId: classGroups.schoolId,
      name: classGroups.name,
      grade: classGroups.grade,
      schoolYear: classGroups.schoolYear,
      joinCode: classGroups.joinCode,
      homeroomTeacherId: classGroups.homeroomTeacherId,
    })
    .from(classGroups)
    .where(eq(classGroups.id, groupId));
  if (!g) throw notFound();
  if (g.homeroomTeacherId === actor.id || (await canAdministerSchool(db, actor, g.schoolId))) return g;
  throw notFound();
}

/** The groups a teacher is the homeroom teacher of ("Lớp chủ nhiệm"), newest year first. */
export async function listHomeroomGroups(db: Db, actor: Actor) {
  return db
    .select({
      id: classGroups.id,
      name: classGroups.name,
      schoolYear: classGroups.schoolYear,
      students: sql<number>`(select count(*)::int from class_group_members m where m.group_id = "class_groups"."id")`,
    })
    .from(classGroups)
    .where(eq(classGroups.homeroomTeacherId, actor.id))
    .orderBy(desc(classGroups.schoolYear), asc(classGroups.name));
}

/** A student's counts in one subject class: handed in, missing (past due, nothing handed in), late, graded. */
export type SubjectCounts = { classId: string; subject: string; assignments: number; handedIn: number; missing: number; late: number; graded: number };

/**
 * The homeroom teacher's page of a group: the group, its subject classes with their teachers, and
 * its students in class-list order (by given name), each with their counts per subject class they
 * are enrolled in. One round trip after the access check.
 */
export async function groupPage(db: Db, actor: Actor, groupId: string, now = new Date()) {
  const g = await requireGroupAccess(db, actor, groupId);
  const at = now.toISOString();
  const [row] = await selectRows<{ homeroom: string | null; school: string; subjects: unknown; students: unknown }>(
    db,
    sql`
    with subj as (
      select c.id, c.subject from classes c where c.group_id = ${g.id}
    ), st as (
      select u.id, u.full_name, u.sort_key from class_group_members m join users u on u.id = m.student_id where m.group_id = ${g.id}
    ), counts as (
      select cm.user_id as student_id, subj.id as class_id, subj.subject,
        count(a.id)::int as assignments,
        count(s.student_id) filter (where s.status in ('submitted', 'graded'))::int as handed_in,
        count(a.id) filter (where (s.status is null or s.status = 'missing') and a.due_at <= ${at}::timestamptz)::int as missing,
        count(s.student_id) filter (where s.late)::int as late,
        count(s.student_id) filter (where s.status = 'graded')::int as graded
      from subj
      join class_members cm on cm.class_id = subj.id and cm.role = 'student'
      join st on st.id = cm.user_id
      left join assignments a on a.class_id = subj.id and a.archived_at is null
      left join submissions s on s.assignment_id = a.id and s.student_id = cm.user_id
      group by cm.user_id, subj.id, subj.subject
    )
    select
      (select u.full_name from users u where u.id = ${g.homeroomTeacherId}) as homeroom,
      (select o.name from organizations o where o.id = ${g.schoolId}) as school,
      (select coalesce(json_agg(x), '[]') from (
        select subj.id, subj.subject,
          (select string_agg(u.full_name, ', ' order by u.sort_key) from class_members t join users u on u.id = t.user_id
           where t.class_id = subj.id and t.role = 'teacher') as teachers
        from subj order by subj.subject) x) as subjects,
      (select coalesce(json_agg(x), '[]') from (
        select st.id, st.full_name as "fullName",
          (select coalesce(json_agg(json_build_object('classId', k.class_id, 'subject', k.subject, 'assignments', k.assignments,
             'handedIn', k.handed_in, 'missing', k.missing, 'late', k.late, 'graded', k.graded) order by k.subject), '[]')
           from counts k where k.student_id = st.id) as subjects
        from st order by st.sort_key, st.id) x) as students
  `,
  );
  return {
    group: { id: g.id, name: g.name, grade: g.grade, schoolYear: g.schoolYear, joinCode: g.joinCode, homeroomTeacher: row.homeroom, school: row.school },
    /** Where the page leads back to: the homeroom teacher's classes, or the admin's class list. */
    back: g.homeroomTeacherId === actor.id ? "/classes" : `/admin/schools/${g.schoolId}/classes`,
    subjects: json<{ id: string; subject: string; teachers: string | null }[]>(row.subjects),
    students: json<{ id: string; fullName: string; subjects: SubjectCounts[] }[]>(row.students),
  };
}

/** A parent linked to a student, with what the school needs to reach them. */
export type Family = { id: string; fullName: string; phone: string | null; email: string | null };

/**
 * One student of the group across every subject class of the group they are in: each class's
 * assignments with the student's status, grade and the teacher's comment (as the parent reads
 * them), and the student's families. "Not found" unless the student is in the group.
 */
export async function groupStudent(db: Db, actor: Actor, groupId: string, studentId: string, now = new Date()) {
  const g = await requireGroupAccess(db, actor, groupId);
  if (!isId(studentId)) throw notFound();
  const [row] = await selectRows<{ student: unknown; classIds: unknown; families: unknown }>(
    db,
    sql`
    with st as (
      select u.id, u.full_name as "fullName", u.email, u.phone
      from class_group_members m join users u on u.id = m.student_id
      where m.group_id = ${g.id} and m.student_id = ${studentId}
    )
    select
      (select row_to_json(st) from st) as student,
      (select coalesce(json_agg(c.id order by c.subject), '[]') from classes c
       where c.group_id = ${g.id} and exists (select 1 from st)
         and exists (select 1 from class_members cm where cm.class_id = c.id and cm.user_id = ${studentId} and cm.role = 'student')) as "classIds",
      (select coalesce(json_agg(x), '[]') from (
        select u.id, u.full_name as "fullName", u.phone, u.email
        from parent_links pl join users u on u.id = pl.parent_id
        where pl.student_id = ${studentId} and exists (select 1 from st)
        order by u.sort_key) x) as families
  `,
  );
  const student = json<{ id: string; fullName: string; email: string | null; phone: string | null } | null>(row?.student);
  if (!student) throw notFound();
  const work: ClassWork[] = await workInClasses(db, studentId, json<string[]>(row.classIds), now);
  return {
    group: { id: g.id, name: g.name, schoolYear: g.schoolYear },
    student,
    work,
    families: json<Family[]>(row.families),
  };
}

/**
 * The homeroom teacher of a student this school year (the group of the current year the student
 * is in), or null when the group has none or the student is in no group. This is the default
 * teacher of the parents' conversations: the person a family writes to about the child as a whole.
 */
export async function homeroomTeacherOf(db: DbOrTx, studentId: string, now = new Date()): Promise<{ id: string; fullName: string; groupId: string; groupName: string } | null> {
  if (!isId(studentId)) return null;
  const [row] = await db
    .select({ id: users.id, fullName: users.fullName, groupId: classGroups.id, groupName: classGroups.name })
    .from(classGroups)
    .innerJoin(users, eq(users.id, classGroups.homeroomTeacherId))
    .where(
      and(
        eq(classGroups.schoolYear, currentSchoolYear(now)),
        sql`exists (select 1 from class_group_members m where m.group_id = ${classGroups.id} and m.student_id = ${studentId})`,
      ),
    )
    .orderBy(asc(classGroups.createdAt))
    .limit(1);
  return row ?? null;
}

/** Whether `actor` is the homeroom teacher of a group `studentId` is in (any year). */
export async function isHomeroomTeacherOf(db: DbOrTx, actorId: string, studentId: string): Promise<boolean> {
  const rows = await selectRows<{ n: number }>(
    db,
    sql`select 1 as n from class_groups g join class_group_members m on m.group_id = g.id
        where g.homeroom_teacher_id = ${actorId} and m.student_id = ${studentId} limit 1`,
  );
  return rows.length > 0;
}
