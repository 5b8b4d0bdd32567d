import crypto from "node:crypto";
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { json, selectRows, type Db, type DbOrTx, type Tx } from "../../db/client.server.ts";
import { assignments, classes, classGroupMembers, classGroups, classMembers, memberships, organizations, users } from "../../db/schema/index.ts";
import { canAdministerSchool, isClassTeacher, orgIdsWithRole, type Actor } from "../auth/actor.server.ts";
import { forbidden, notFound } from "../auth/guards.server.ts";
import { isSubjectForGrade } from "../lib/curriculum.ts";
import { nfc } from "../lib/vn.ts";
import { isUniqueViolation } from "./users.server.ts";
import { fail, ok, zodErrors, type Result } from "./result.ts";
import { codeAttemptHeld, codeFailed } from "./sign-in.server.ts";

/** Join codes: 7 characters without look-alikes, shown in capitals. */
export function generateJoinCode(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  return Array.from(crypto.randomBytes(7), (b) => alphabet[b % alphabet.length]).join("");
}

/**
 * A join code that is neither a subject class's nor a class group's: /join takes both kinds, so a
 * code must name one thing only.
 */
export async function freshJoinCode(db: DbOrTx): Promise<string> {
  for (;;) {
    const code = generateJoinCode();
    const [taken] = await selectRows<{ n: number }>(
      db,
      sql`select 1 as n from classes where join_code = ${code} union all select 1 from class_groups where join_code = ${code} limit 1`,
    );
    if (!taken) return code;
  }
}

/** Name, grade and school year: what a subject class and a class group (6A1, 2026-2027) share. */
const classIdentity = {
  name: z
    .string()
    .transform((v) => nfc(v).toUpperCase())
    .pipe(z.string().regex(/^(1[0-2]|[1-9])[A-Z0-9.\-]{1,8}$/, "errors.class_name_invalid")),
  grade: z.coerce.number({ message: "errors.grade_invalid" }).int("errors.grade_invalid").min(1, "errors.grade_invalid").max(12, "errors.grade_invalid"),
  schoolYear: z.string().regex(/^(\d{4})-(\d{4})$/, "errors.school_year_invalid"),
};

function checkIdentity(v: { name: string; grade: number; schoolYear: string }, ctx: z.RefinementCtx) {
  const [a, b] = v.schoolYear.split("-").map(Number);
  if (b !== a + 1) ctx.addIssue({ code: "custom", path: ["schoolYear"], message: "errors.school_year_invalid" });
  // "10A1" starts with "1" but is not a grade-1 class: the grade is all the leading digits.
  if (/^\d+/.exec(v.name)?.[0] !== String(v.grade)) ctx.addIssue({ code: "custom", path: ["name"], message: "errors.class_name_grade" });
}

export const ClassSchema = z
  .object({
    ...classIdentity,
    subject: z.string().min(1, "errors.subject_required"),
    teacherId: z.union([z.literal("").transform(() => undefined), z.uuid({ message: "errors.invalid" })]).optional(),
  })
  .superRefine((v, ctx) => {
    if (!isSubjectForGrade(v.subject, v.grade)) ctx.addIssue({ code: "custom", path: ["subject"], message: "errors.subject_not_for_grade" });
    checkIdentity(v, ctx);
  });

/** A class group (lớp chủ nhiệm): 6A1 of a school year. */
export const GroupSchema = z.object(classIdentity).superRefine(checkIdentity);

/**
 * The class group a subject class belongs to: the school's group of the same name and year, made
 * when there is none yet. The group's row is locked until the caller's transaction ends, so that
 * a student joining the group at the same moment is enrolled in the new class either way (see
 * enrollInGroup, which takes the same lock in share mode).
 */
export async function lockGroupFor(tx: Tx, schoolId: string, c: { name: string; grade: number; schoolYear: string }): Promise<string> {
  await tx
    .insert(classGroups)
    .values({ schoolId, name: c.name, grade: c.grade, schoolYear: c.schoolYear, joinCode: await freshJoinCode(tx) })
    .onConflictDoNothing({ target: [classGroups.schoolId, classGroups.name, classGroups.schoolYear] });
  const [g] = await tx
    .select({ id: classGroups.id })
    .from(classGroups)
    .where(and(eq(classGroups.schoolId, schoolId), eq(classGroups.name, c.name), eq(classGroups.schoolYear, c.schoolYear)))
    .for("update");
  return g.id;
}

/**
 * Enrol a student in a class group and in every subject class of it, in the caller's transaction.
 * Idempotent: what is already there stays. The group's row is read in share mode first: two
 * students joining at once do not wait for each other, but a subject class being added to the
 * group (lockGroupFor) waits for the join, or the join for it, so neither misses the other.
 * Returns whether the student was new to the group and the subject classes newly joined.
 */
export async function enrollInGroup(tx: Tx, groupId: string, studentId: string): Promise<{ joinedGroup: boolean; classIds: string[] }> {
  await tx.select({ id: classGroups.id }).from(classGroups).where(eq(classGroups.id, groupId)).for("share");
  const member = await tx
    .insert(classGroupMembers)
    .values({ groupId, studentId })
    .onConflictDoNothing()
    .returning({ groupId: classGroupMembers.groupId });
  const subjectClasses = await tx.select({ id: classes.id }).from(classes).where(eq(classes.groupId, groupId));
  const enrolled = subjectClasses.length
    ? await tx
        .insert(classMembers)
        .values(subjectClasses.map((c) => ({ classId: c.id, userId: studentId, role: "student" as const })))
        .onConflictDoNothing()
        .returning({ classId: classMembers.classId })
    : [];
  return { joinedGroup: member.length > 0, classIds: enrolled.map((e) => e.classId) };
}

export async function createClass(db: Db, actor: Actor, schoolId: string, raw: unknown): Promise<Result<{ id: string }>> {
  if (!(await canAdministerSchool(db, actor, schoolId))) throw forbidden();
  const parsed = ClassSchema.safeParse(raw);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const input = parsed.data;
  if (input.teacherId) {
    const [t] = await db
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.userId, input.teacherId), eq(memberships.orgId, schoolId), eq(memberships.role, "teacher")));
    if (!t) return fail({ teacherId: "errors.teacher_not_in_school" });
  }
  try {
    const id = await db.transaction(async (tx) => {
      // The subject class belongs to the group of its name and year; the group's students are
      // enrolled in it at once.
      const groupId = await lockGroupFor(tx, schoolId, input);
      const [c] = await tx
        .insert(classes)
        .values({ schoolId, groupId, name: input.name, grade: input.grade, subject: input.subject, schoolYear: input.schoolYear, joinCode: await freshJoinCode(tx) })
        .returning({ id: classes.id });
      if (input.teacherId) await tx.insert(classMembers).values({ classId: c.id, userId: input.teacherId, role: "teacher" });
      await tx.execute(sql`
        insert into class_members (class_id, user_id, role)
        select ${c.id}, m.student_id, 'student' from class_group_members m where m.group_id = ${groupId}
        on conflict do nothing`);
      return c.id;
    });
    return ok({ id });
  } catch (e) {
    if (isUniqueViolation(e)) return fail({ name: "errors.class_exists" });
    throw e;
  }
}

export async function listSchoolClasses(db: Db, actor: Actor, schoolId: string) {
  if (!(await canAdministerSchool(db, actor, schoolId))) throw forbidden();
  return db
    .select({
      id: classes.id,
      name: classes.name,
      grade: classes.grade,
      subject: classes.subject,
      schoolYear: classes.schoolYear,
      joinCode: classes.joinCode,
      // Outer columns are written out qualified: in a single-table select Drizzle renders
      // ${classes.id} as a bare "id", which inside the subquery means u.id / cm.id instead.
      students: sql<number>`(select count(*)::int from ${classMembers} cm where cm.class_id = "classes"."id" and cm.role = 'student')`,
      teachers: sql<string>`(select string_agg(u.full_name, ', ' order by u.sort_key) from ${classMembers} cm join ${users} u on u.id = cm.user_id where cm.class_id = "classes"."id" and cm.role = 'teacher')`,
    })
    .from(classes)
    .where(eq(classes.schoolId, schoolId))
    .orderBy(desc(classes.schoolYear), asc(classes.grade), asc(classes.name), asc(classes.subject));
}

/** "Lớp của tôi": the classes a teacher teaches. */
export async function listTeacherClasses(db: Db, actor: Actor) {
  return db
    .select({
      id: classes.id,
      name: classes.name,
      grade: classes.grade,
      subject: classes.subject,
      schoolYear: classes.schoolYear,
      schoolName: organizations.name,
      archived: sql<boolean>`${classes.archivedAt} is not null`,
      students: sql<number>`(select count(*)::int from ${classMembers} s where s.class_id = ${classes.id} and s.role = 'student')`,
      toGrade: sql<number>`(select count(*)::int from ${assignments} a join submissions sub on sub.assignment_id = a.id where a.class_id = ${classes.id} and sub.status = 'submitted')`,
    })
    .from(classMembers)
    .innerJoin(classes, eq(classes.id, classMembers.classId))
    .innerJoin(organizations, eq(organizations.id, classes.schoolId))
    .where(and(eq(classMembers.userId, actor.id), eq(classMembers.role, "teacher")))
    .orderBy(desc(classes.schoolYear), asc(classes.grade), asc(classes.name));
}

async function classRow(db: DbOrTx, classId: string) {
  if (!z.uuid().safeParse(classId).success) return undefined;
  const [c] = await db
    .select({
      id: classes.id,
      schoolId: classes.schoolId,
      name: classes.name,
      grade: classes.grade,
      subject: classes.subject,
      schoolYear: classes.schoolYear,
      joinCode: classes.joinCode,
      archivedAt: classes.archivedAt,
    })
    .from(classes)
    .where(eq(classes.id, classId));
  return c;
}

/** A class the actor teaches (or administers); anything else is "not found". */
export async function getClassForTeacher(db: Db, actor: Actor, classId: string) {
  const c = await classRow(db, classId);
  if (!c) throw notFound();
  if (await isClassTeacher(db, actor, classId)) return c;
  throw notFound();
}

/**
 * Everything on a teacher's class page in one round trip: the class (only if the actor teaches
 * it), its lessons, its assignments with hand-in counts, and its students in class-list order.
 * Only the fields the page shows: the result also travels to the browser as hydration data.
 */
export async function classPage(db: Db, actor: Actor, classId: string) {
  if (!z.uuid().safeParse(classId).success) throw notFound();
  const [row] = await selectRows<{ class: unknown; lessons: unknown; assignments: unknown; students: unknown }>(
    db,
    sql`
    with c as (
      select c.id, c.name, c.grade, c.subject, c.school_year as "schoolYear", c.join_code as "joinCode", c.archived_at is not null as archived
      from classes c
      where c.id = ${classId}
        and exists (select 1 from class_members t where t.class_id = c.id and t.user_id = ${actor.id} and t.role = 'teacher')
    )
    select
      (select row_to_json(c) from c) as class,
      (select coalesce(json_agg(x), '[]') from (
        select l.id, l.title, l.status, l.published_at as "publishedAt"
        from lessons l join c on c.id = l.class_id
        order by l.updated_at desc limit 100) x) as lessons,
      (select coalesce(json_agg(x), '[]') from (
        select a.id, a.title, a.due_at as "dueAt", a.archived_at as "archivedAt",
          (select count(*)::int from submissions s where s.assignment_id = a.id and s.status in ('submitted', 'graded')) as submitted,
          (select count(*)::int from submissions s where s.assignment_id = a.id and s.status = 'graded') as graded
        from assignments a join c on c.id = a.class_id
        order by a.due_at desc limit 100) x) as assignments,
      (select coalesce(json_agg(x), '[]') from (
        select u.id, u.full_name as "fullName"
        from class_members cm join c on c.id = cm.class_id join users u on u.id = cm.user_id
        where cm.role = 'student'
        order by u.sort_key) x) as students
  `,
  );
  const cls = json<ClassRow | null>(row?.class);
  if (!cls) throw notFound();
  return {
    class: cls,
    lessons: json<{ id: string; title: string; status: "draft" | "published"; publishedAt: string | null }[]>(row.lessons),
    assignments: json<{ id: string; title: string; dueAt: string; archivedAt: string | null; submitted: number; graded: number }[]>(row.assignments),
    students: json<{ id: string; fullName: string }[]>(row.students),
  };
}

type ClassRow = { id: string; name: string; grade: number; subject: string; schoolYear: string; joinCode: string; archived: boolean };

export async function regenerateJoinCode(db: Db, actor: Actor, classId: string) {
  await getClassForTeacher(db, actor, classId);
  const code = await freshJoinCode(db);
  await db.update(classes).set({ joinCode: code }).where(eq(classes.id, classId));
  return code;
}

export const JoinSchema = z.object({
  code: z
    .string()
    .transform((v) => v.replace(/[\s-]/g, "").toUpperCase())
    .pipe(z.string().regex(/^[A-Z0-9]{5,10}$/, "errors.join_code_invalid")),
});

/** What a join code led to: one subject class, or a class group and the subject classes joined with it. */
export type Joined =
  | { kind: "class"; classId: string; name: string; subject: string; already: boolean }
  | { kind: "group"; groupId: string; name: string; classes: number; already: boolean };

/**
 * A student joins, by its code, a subject class or a class group of their own school; joining a
 * group enrols them in the group and in every subject class of it, in one transaction (again is
 * harmless: nothing is added twice). A code of nothing and a code of another school's class or
 * group get the same answer (the hub does not confirm that a code exists elsewhere), both count
 * as a wrong guess, and guessing is throttled per account and address.
 */
export async function joinClassByCode(db: Db, actor: Actor, raw: unknown, address: string): Promise<Result<Joined>> {
  const parsed = JoinSchema.safeParse(raw);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const held = await codeAttemptHeld(db, actor.id, address);
  if (held) return fail({ code: "errors.code_throttled" }, held);
  const schools = orgIdsWithRole(actor, "student");
  const code = parsed.data.code;
  const [c] = await db
    .select({ id: classes.id, name: classes.name, subject: classes.subject })
    .from(classes)
    .where(and(eq(classes.joinCode, code), inArray(classes.schoolId, schools)));
  if (c) {
    const inserted = await db
      .insert(classMembers)
      .values({ classId: c.id, userId: actor.id, role: "student" })
      .onConflictDoNothing()
      .returning({ classId: classMembers.classId });
    return ok({ kind: "class", classId: c.id, name: c.name, subject: c.subject, already: inserted.length === 0 });
  }
  const [g] = await db
    .select({ id: classGroups.id, name: classGroups.name })
    .from(classGroups)
    .where(and(eq(classGroups.joinCode, code), inArray(classGroups.schoolId, schools)));
  if (!g) {
    await codeFailed(db, actor.id, address);
    return fail({ code: "errors.join_code_unknown" });
  }
  const done = await db.transaction((tx) => enrollInGroup(tx, g.id, actor.id));
  const [{ n }] = await db.select({ n: sql<number>`count(*)::int` }).from(classes).where(eq(classes.groupId, g.id));
  return ok({ kind: "group", groupId: g.id, name: g.name, classes: Number(n), already: !done.joinedGroup && done.classIds.length === 0 });
}

/** Teachers of a school, for the class form. */
export async function listSchoolTeachers(db: Db, actor: Actor, schoolId: string) {
  if (!(await canAdministerSchool(db, actor, schoolId))) throw forbidden();
  return db
    .select({ id: users.id, fullName: users.fullName })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, schoolId), eq(memberships.role, "teacher")))
    .orderBy(asc(users.sortKey));
}

