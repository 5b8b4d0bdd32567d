/**
 * Managing the people of a school: the admin's list (search without tones, filters, pages), a
 * person's page (name, email, phone, date of birth and classes), deactivation and reactivation.
 *
 * Every function takes the school from the URL and checks that the actor administers it; a person
 * who is not a member of that school is "not found" there, whatever their id. A person who holds a
 * province admin role is out of a school admin's reach, as for password resets.
 */
import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { selectRows, type Db, type DbOrTx } from "../../db/client.server.ts";
import { classes, classMembers, memberships, passwordResets, sessions, users, type Role } from "../../db/schema/index.ts";
import { canAdministerSchool, hasRole, type Actor } from "../auth/actor.server.ts";
import { forbidden, isId, notFound } from "../auth/guards.server.ts";
import { currentSchoolYear } from "../lib/curriculum.ts";
import { nameSortKey, nfc, normalizePhone, searchFold } from "../lib/vn.ts";
import { logger } from "../server/log.ts";
import { fail, ok, zodErrors, type Result } from "./result.ts";
import { isUniqueViolation } from "./users.server.ts";

export const PAGE_SIZE = 50;
export const STATUSES = ["active", "deactivated"] as const;
export type PersonStatus = (typeof STATUSES)[number];

/** The list's query string: every part optional, anything unexpected ignored. */
export const PeopleQuerySchema = z.object({
  q: z
    .string()
    .optional()
    .transform((v) => nfc(v ?? "").slice(0, 100)),
  role: z.enum(["school_admin", "teacher", "student", "parent"]).optional().catch(undefined),
  classId: z.uuid().optional().catch(undefined),
  status: z.enum(STATUSES).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).optional().catch(undefined),
});
export type PeopleQuery = z.infer<typeof PeopleQuerySchema>;

/** `%`, `_` and the escape character itself, taken literally in a LIKE pattern. */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export type ClassOption = { id: string; name: string; subject: string; schoolYear: string; grade: number };

/**
 * The school's classes a person can be put in or filtered by: this school year's, plus (for a
 * person's page) any older class they are still in.
 */
export async function schoolClassOptions(db: DbOrTx, schoolId: string, alsoIds: string[] = []): Promise<ClassOption[]> {
  const year = currentSchoolYear();
  const cond = alsoIds.length
    ? and(eq(classes.schoolId, schoolId), sql`(${classes.schoolYear} = ${year} or ${inArray(classes.id, alsoIds)})`)
    : and(eq(classes.schoolId, schoolId), eq(classes.schoolYear, year));
  return db
    .select({ id: classes.id, name: classes.name, subject: classes.subject, schoolYear: classes.schoolYear, grade: classes.grade })
    .from(classes)
    .where(cond)
    .orderBy(asc(classes.grade), asc(classes.name), asc(classes.subject), asc(classes.schoolYear));
}

export type PersonClass = { id: string; name: string; subject: string; schoolYear: string; role: "teacher" | "student" };
export type PersonRow = {
  id: string;
  fullName: string;
  email: string | null;
  phone: string | null;
  deactivated: boolean;
  roles: Role[];
  classes: PersonClass[];
};

/**
 * One page of the school's people, sorted Vietnamese-style by given name: one query for the page
 * (with the total), one for the classes of the people on it.
 */
export async function searchSchoolPeople(db: Db, actor: Actor, schoolId: string, query: PeopleQuery) {
  if (!(await canAdministerSchool(db, actor, schoolId))) throw forbidden();
  const page = query.page ?? 1;
  // The school's members first (an index range of memberships), then their users: a province's
  // million users are never scanned for one school's two thousand.
  const members = query.role
    ? sql`select distinct m.user_id from memberships m where m.org_id = ${schoolId} and m.role = ${query.role}`
    : sql`select distinct m.user_id from memberships m where m.org_id = ${schoolId}`;
  const conds = [sql`true`];
  const q = query.q ?? "";
  if (q) {
    const either = [sql`u.search_name like ${`%${likeEscape(searchFold(q))}%`} escape '\\'`];
    if (q.includes("@") || /[a-z]/i.test(q)) either.push(sql`u.email like ${`%${likeEscape(q.toLowerCase())}%`} escape '\\'`);
    const phone = normalizePhone(q);
    if (phone) either.push(sql`u.phone = ${phone}`);
    else {
      // Part of a number: "345 678", "0912 34" (the stored form has +84 instead of the trunk 0).
      const digits = q.replace(/[\s.\-()+]/g, "");
      if (/^\d{3,}$/.test(digits)) either.push(sql`u.phone like ${`%${digits.replace(/^0/, "")}%`}`);
    }
    conds.push(sql`(${sql.join(either, sql` or `)})`);
  }
  if (query.classId) conds.push(sql`exists (select 1 from class_members cm join classes c on c.id = cm.class_id where cm.user_id = u.id and cm.class_id = ${query.classId} and c.school_id = ${schoolId})`);
  if (query.status === "active") conds.push(sql`u.deactivated_at is null`);
  if (query.status === "deactivated") conds.push(sql`u.deactivated_at is not null`);
  const from = sql`with members as materialized (${members}) select u.* from members join users u on u.id = members.user_id where ${sql.join(conds, sql` and `)}`;
  const rows = await selectRows<{ id: string; full_name: string; email: string | null; phone: string | null; deactivated: boolean; roles: string; total: number | string }>(
    db,
    sql`
      with members as materialized (${members})
      select u.id, u.full_name, u.email, u.phone, (u.deactivated_at is not null) as deactivated,
        (select string_agg(m.role, ',' order by m.role) from memberships m where m.user_id = u.id and m.org_id = ${schoolId}) as roles,
        count(*) over () as total
      from members join users u on u.id = members.user_id
      where ${sql.join(conds, sql` and `)}
      order by u.sort_key, u.id
      limit ${PAGE_SIZE} offset ${(page - 1) * PAGE_SIZE}`,
  );
  let total = Number(rows[0]?.total ?? 0);
  if (rows.length === 0 && page > 1) {
    // Past the last page: the count comes from a query without the offset.
    const [c] = await selectRows<{ n: number | string }>(db, sql`select count(*) as n from (${from}) people`);
    total = Number(c.n);
  }
  const ids = rows.map((r) => r.id);
  const taught = ids.length ? await classesOf(db, schoolId, ids) : [];
  const people: PersonRow[] = rows.map((r) => ({
    id: r.id,
    fullName: r.full_name,
    email: r.email,
    phone: r.phone,
    deactivated: Boolean(r.deactivated),
    roles: (r.roles ?? "").split(",").filter(Boolean) as Role[],
    classes: taught.filter((c) => c.userId === r.id).map(({ userId: _, ...c }) => c),
  }));
  return { people, total, page, pageSize: PAGE_SIZE, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)) };
}

/** The classes of this school that each of `userIds` is in (as a student) or teaches. */
async function classesOf(db: DbOrTx, schoolId: string, userIds: string[]) {
  return db
    .select({ userId: classMembers.userId, role: classMembers.role, id: classes.id, name: classes.name, subject: classes.subject, schoolYear: classes.schoolYear })
    .from(classMembers)
    .innerJoin(classes, eq(classes.id, classMembers.classId))
    .where(and(inArray(classMembers.userId, userIds), eq(classes.schoolId, schoolId)))
    .orderBy(asc(classes.grade), asc(classes.name), asc(classes.subject));
}

/**
 * A person of the school as the admin may manage them, or 404: not a member of this school, or
 * (for a school admin) a province admin.
 */
export async function requirePerson(db: DbOrTx, actor: Actor, schoolId: string, userId: unknown) {
  if (!(await canAdministerSchool(db, actor, schoolId))) throw forbidden();
  if (!isId(userId)) throw notFound();
  const roles = await db.select({ orgId: memberships.orgId, role: memberships.role }).from(memberships).where(eq(memberships.userId, userId));
  const here = roles.filter((r) => r.orgId === schoolId).map((r) => r.role);
  if (here.length === 0) throw notFound();
  if (roles.some((r) => r.role === "province_admin") && !hasRole(actor, "province_admin")) throw notFound();
  const [u] = await db
    .select({
      id: users.id,
      fullName: users.fullName,
      email: users.email,
      phone: users.phone,
      birthDate: users.birthDate,
      deactivatedAt: users.deactivatedAt,
      mustChangePassword: users.mustChangePassword,
    })
    .from(users)
    .where(eq(users.id, userId));
  if (!u) throw notFound();
  return { ...u, roles: here };
}

/** Which classes a person is managed in: a student's enrolments, a teacher's classes; none for others. */
export function classRoleOf(roles: Role[]): "student" | "teacher" | null {
  if (roles.includes("student")) return "student";
  if (roles.includes("teacher")) return "teacher";
  return null;
}

/** A person's page: who they are, their classes, and the classes they could be put in. */
export async function personForAdmin(db: Db, actor: Actor, schoolId: string, userId: unknown) {
  const person = await requirePerson(db, actor, schoolId, userId);
  const mine = await classesOf(db, schoolId, [person.id]);
  const options = await schoolClassOptions(db, schoolId, mine.map((c) => c.id));
  return { person, classRole: classRoleOf(person.roles), classes: mine.map(({ userId: _, ...c }) => c), options };
}

const optionalEmail = z
  .string()
  .trim()
  .toLowerCase()
  .transform((v) => v || null)
  .pipe(z.email({ message: "errors.email_invalid" }).max(254, "errors.email_invalid").nullable());
const optionalPhone = z
  .string()
  .trim()
  .transform((v, ctx) => {
    if (!v) return null;
    const e164 = normalizePhone(v);
    if (!e164) ctx.addIssue({ code: "custom", message: "errors.phone_invalid" });
    return e164;
  });
const birthDate = z
  .string()
  .trim()
  .transform((v, ctx) => {
    if (!v) return null;
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
    const d = m ? new Date(`${v}T00:00:00Z`) : null;
    const year = m ? Number(m[1]) : 0;
    if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v || year < 1900 || d.getTime() > Date.now()) {
      ctx.addIssue({ code: "custom", message: "errors.birth_date_field" });
    }
    return v;
  });

/**
 * The person form. Only these fields are read: a role, a school or a password in the form is
 * ignored. `classIds` are checked against the school's classes by the caller.
 */
export const PersonSchema = z
  .object({
    fullName: z
      .string()
      .transform((v) => nfc(v).replace(/\s+/g, " ").trim())
      .pipe(z.string().min(2, "errors.name_required").max(120, "errors.name_too_long")),
    email: optionalEmail,
    phone: optionalPhone,
    birthDate,
    classIds: z.array(z.string()).max(500, "errors.invalid"),
  })
  .refine((v) => v.email || v.phone, { message: "errors.email_or_phone", path: ["email"] });

export type PersonFormValues = { fullName: string; email: string; phone: string; birthDate: string; classIds: string[] };

/** What the form posted, as strings, to show again beside the errors. */
export function personFormValues(fields: Record<string, string>, classIds: string[]): PersonFormValues {
  return {
    fullName: fields.fullName ?? "",
    email: fields.email ?? "",
    phone: fields.phone ?? "",
    birthDate: fields.birthDate ?? "",
    classIds,
  };
}

/** Errors that name another account: `vars` fill the message (only a same-school name is shown). */
export type PersonErrors = { errors: Record<string, string>; vars?: Record<string, Record<string, string>> };

async function takenBy(tx: DbOrTx, schoolId: string, userId: string, field: "email" | "phone", value: string) {
  const [other] = await tx
    .select({
      id: users.id,
      fullName: users.fullName,
      inSchool: sql<boolean>`exists (select 1 from memberships m where m.user_id = ${users.id} and m.org_id = ${schoolId})`,
    })
    .from(users)
    .where(and(field === "email" ? eq(users.email, value) : eq(users.phone, value), sql`${users.id} <> ${userId}`))
    .limit(1);
  return other;
}

/** The message for an email or phone that another account has: its name only if it is of this school. */
async function conflictErrors(tx: DbOrTx, schoolId: string, userId: string, input: { email: string | null; phone: string | null }): Promise<PersonErrors | null> {
  const out: PersonErrors = { errors: {}, vars: {} };
  for (const field of ["email", "phone"] as const) {
    const value = input[field];
    if (!value) continue;
    const other = await takenBy(tx, schoolId, userId, field, value);
    if (!other) continue;
    if (other.inSchool) {
      out.errors[field] = field === "email" ? "errors.email_taken_in_school" : "errors.phone_taken_in_school";
      out.vars![field] = { name: other.fullName };
    } else out.errors[field] = field === "email" ? "errors.email_taken" : "errors.phone_taken";
  }
  return Object.keys(out.errors).length ? out : null;
}

/**
 * Save a person's name, email, phone, date of birth and classes. Classes are the school's own only
 * (a class of another school, or one not offered, is refused); a student removed from a class keeps
 * their submissions and grades. Everything is one transaction: with any error nothing is stored.
 */
export async function updatePerson(
  db: Db,
  actor: Actor,
  schoolId: string,
  userId: unknown,
  values: PersonFormValues,
): Promise<Result<null> & Partial<PersonErrors>> {
  const person = await requirePerson(db, actor, schoolId, userId);
  const parsed = PersonSchema.safeParse(values);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const input = parsed.data;
  const role = classRoleOf(person.roles);
  const current = (await classesOf(db, schoolId, [person.id])).map((c) => c.id);
  const options = new Set((await schoolClassOptions(db, schoolId, current)).map((c) => c.id));
  const wanted = [...new Set(input.classIds)];
  if (wanted.length && !role) return fail({ classIds: "errors.classes_not_for_role" });
  if (wanted.some((id) => !options.has(id))) return fail({ classIds: "errors.class_not_in_school" });

  const conflict = await conflictErrors(db, schoolId, person.id, input);
  if (conflict) return { ok: false, ...conflict };
  try {
    await db.transaction(async (tx) => {
      await tx
        .update(users)
        .set({ fullName: input.fullName, sortKey: nameSortKey(input.fullName), email: input.email, phone: input.phone, birthDate: input.birthDate })
        .where(eq(users.id, person.id));
      if (role) {
        const add = wanted.filter((id) => !current.includes(id));
        const remove = current.filter((id) => !wanted.includes(id));
        // Only this school's classes are touched (`current` and `options` are both of this school).
        if (remove.length) await tx.delete(classMembers).where(and(eq(classMembers.userId, person.id), inArray(classMembers.classId, remove)));
        if (add.length) await tx.insert(classMembers).values(add.map((classId) => ({ classId, userId: person.id, role }))).onConflictDoNothing();
      }
    });
  } catch (e) {
    // Another account took the email or phone between the check and the write.
    if (isUniqueViolation(e)) {
      const again = await conflictErrors(db, schoolId, person.id, input);
      return { ok: false, ...(again ?? { errors: { email: "errors.email_taken" } }) };
    }
    throw e;
  }
  logger.info("person updated", { by: actor.id, userId: person.id, schoolId });
  return ok(null);
}

/**
 * Deactivate a person: they can no longer sign in, every session of theirs ends at once and every
 * reset link stops working; their work, grades, classes and family links stay. An admin cannot
 * deactivate themselves.
 */
export async function deactivatePerson(db: Db, actor: Actor, schoolId: string, userId: unknown): Promise<Result<{ fullName: string }>> {
  const person = await requirePerson(db, actor, schoolId, userId);
  if (person.id === actor.id) return fail({ form: "errors.deactivate_self" });
  await db.transaction(async (tx) => {
    await tx.update(users).set({ deactivatedAt: new Date() }).where(and(eq(users.id, person.id), isNull(users.deactivatedAt)));
    await tx.delete(sessions).where(eq(sessions.userId, person.id));
    await tx.update(passwordResets).set({ usedAt: new Date() }).where(and(eq(passwordResets.userId, person.id), isNull(passwordResets.usedAt)));
  });
  logger.info("person deactivated", { by: actor.id, userId: person.id, schoolId });
  return ok({ fullName: person.fullName });
}

/** Reactivate a person: they sign in again with their password (a reset gives them a new one). */
export async function reactivatePerson(db: Db, actor: Actor, schoolId: string, userId: unknown): Promise<Result<{ fullName: string }>> {
  const person = await requirePerson(db, actor, schoolId, userId);
  await db.update(users).set({ deactivatedAt: null }).where(eq(users.id, person.id));
  logger.info("person reactivated", { by: actor.id, userId: person.id, schoolId });
  return ok({ fullName: person.fullName });
}
