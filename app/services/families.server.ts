/** Parents and their children: link codes, the children list and a child's overview. */
import crypto from "node:crypto";
import { and, asc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { z } from "zod";
import { json, selectRows, type Db } from "../../db/client.server.ts";
import { classMembers, linkCodes, memberships, organizations, parentLinks, submissions, users } from "../../db/schema/index.ts";
import type { GradingScale } from "../../db/schema/index.ts";
import { canAdministerSchool, type Actor } from "../auth/actor.server.ts";
import { notFound } from "../auth/guards.server.ts";
import { fail, ok, zodErrors, type Result } from "./result.ts";
import { codeAttemptHeld, codeFailed } from "./sign-in.server.ts";

const DAY_MS = 24 * 3600 * 1000;

/**
 * "PH-" and 10 characters from 32 (50 bits): with a million codes outstanding across a province, a
 * guess finds one with a chance of one in a billion, and guesses are throttled (codeAttemptHeld).
 */
function newLinkCode() {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  return "PH-" + Array.from(crypto.randomBytes(10), (b) => alphabet[b % alphabet.length]).join("");
}

/** What the issuer chooses: how many parents may use the code, and for how many days. */
export const IssueSchema = z.object({
  uses: z.coerce.number().int().min(1).max(4).catch(2),
  days: z.coerce.number().int().min(1).max(90).catch(30),
});

/**
 * A school admin of the student's school, one of the student's teachers, or the homeroom teacher
 * of a class group the student is in may issue a code.
 */
async function mayIssueFor(db: Db, actor: Actor, studentId: string) {
  const schools = await db
    .select({ orgId: memberships.orgId })
    .from(memberships)
    .where(and(eq(memberships.userId, studentId), eq(memberships.role, "student")));
  for (const s of schools) if (await canAdministerSchool(db, actor, s.orgId)) return true;
  const mine = alias(classMembers, "mine");
  const [taught] = await db
    .select({ c: classMembers.classId })
    .from(classMembers)
    .innerJoin(mine, and(eq(mine.classId, classMembers.classId), eq(mine.userId, actor.id), eq(mine.role, "teacher")))
    .where(and(eq(classMembers.userId, studentId), eq(classMembers.role, "student")))
    .limit(1);
  if (taught) return true;
  const homeroom = await selectRows<{ n: number }>(
    db,
    sql`select 1 as n from class_groups g join class_group_members m on m.group_id = g.id
        where g.homeroom_teacher_id = ${actor.id} and m.student_id = ${studentId} limit 1`,
  );
  return homeroom.length > 0;
}

export async function issueLinkCode(db: Db, actor: Actor, studentId: string, raw: unknown = {}) {
  if (!z.uuid().safeParse(studentId).success || !(await mayIssueFor(db, actor, studentId))) throw notFound();
  const { uses, days } = IssueSchema.parse(raw ?? {});
  const code = newLinkCode();
  const expiresAt = new Date(Date.now() + days * DAY_MS);
  await db.insert(linkCodes).values({ code, studentId, createdBy: actor.id, expiresAt, maxUses: uses });
  return { code, expiresAt, uses };
}

export const LinkSchema = z.object({
  code: z
    .string()
    // Accept "PH-ABCDE23456", "ph abcde 23456" or the body alone (10 characters; 8 for older codes).
    .transform((v) => v.replace(/[\s-]/g, "").toUpperCase())
    .transform((v) => `PH-${(v.length === 12 || v.length === 10) && v.startsWith("PH") ? v.slice(2) : v}`)
    .pipe(z.string().regex(/^PH-([A-Z0-9]{8}|[A-Z0-9]{10})$/, "errors.link_code_invalid")),
});

/**
 * A parent links to a child with a code. A code serves as many parents as its issuer chose, until
 * it expires. Every code that cannot be used — unknown, expired, used up, the parent's own — gets
 * the same answer, counts as a wrong guess, and guessing is throttled per account and address.
 */
export async function linkChild(
  db: Db,
  actor: Actor,
  raw: unknown,
  address: string,
): Promise<Result<{ studentId: string; fullName: string; already: boolean }>> {
  const parsed = LinkSchema.safeParse(raw);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const held = await codeAttemptHeld(db, actor.id, address);
  if (held) return fail({ code: "errors.code_throttled" }, held);
  const code = parsed.data.code;
  const outcome = await db.transaction(async (tx) => {
    const [row] = await tx
      .select({ studentId: linkCodes.studentId, fullName: users.fullName })
      .from(linkCodes)
      .innerJoin(users, eq(users.id, linkCodes.studentId))
      .where(and(eq(linkCodes.code, code), gt(linkCodes.expiresAt, sql`now()`)));
    if (!row || row.studentId === actor.id) return null;
    const [linked] = await tx
      .select({ s: parentLinks.studentId })
      .from(parentLinks)
      .where(and(eq(parentLinks.parentId, actor.id), eq(parentLinks.studentId, row.studentId)));
    if (linked) {
      // The family confirms a link a roster made: no later roster ends it.
      await tx.update(parentLinks).set({ source: null }).where(and(eq(parentLinks.parentId, actor.id), eq(parentLinks.studentId, row.studentId)));
      return { ...row, already: true };
    }
    // Take one use, if one is left: concurrent parents cannot both take the last.
    const [taken] = await tx
      .update(linkCodes)
      .set({ uses: sql`${linkCodes.uses} + 1` })
      .where(and(eq(linkCodes.code, code), lt(linkCodes.uses, linkCodes.maxUses)))
      .returning({ code: linkCodes.code });
    if (!taken) return null;
    // The parent becomes a parent member of the child's school(s), so the school can reach them.
    const schools = await tx
      .select({ orgId: memberships.orgId })
      .from(memberships)
      .where(and(eq(memberships.userId, row.studentId), eq(memberships.role, "student")));
    if (schools.length) {
      await tx.insert(memberships).values(schools.map((s) => ({ userId: actor.id, orgId: s.orgId, role: "parent" as const }))).onConflictDoNothing();
    }
    const inserted = await tx.insert(parentLinks).values({ parentId: actor.id, studentId: row.studentId }).onConflictDoNothing().returning({ s: parentLinks.studentId });
    return { ...row, already: inserted.length === 0 };
  });
  if (!outcome) {
    await codeFailed(db, actor.id, address);
    return fail({ code: "errors.link_code_unknown" });
  }
  return ok({ studentId: outcome.studentId, fullName: outcome.fullName, already: outcome.already });
}

/** A parent's children with a one-line summary each. */
export async function listChildren(db: Db, actor: Actor) {
  const kids = await db
    .select({
      id: users.id,
      fullName: users.fullName,
      schoolName: sql<string | null>`(select o.name from ${memberships} m join ${organizations} o on o.id = m.org_id where m.user_id = ${users.id} and m.role = 'student' limit 1)`,
    })
    .from(parentLinks)
    .innerJoin(users, eq(users.id, parentLinks.studentId))
    .where(eq(parentLinks.parentId, actor.id))
    .orderBy(asc(users.sortKey));
  if (kids.length === 0) return [];
  const ids = kids.map((k) => k.id);
  const counts = await db
    .select({
      studentId: submissions.studentId,
      missing: sql<number>`count(*) filter (where ${submissions.status} = 'missing')::int`,
      graded: sql<number>`count(*) filter (where ${submissions.status} = 'graded' and ${submissions.gradedAt} > now() - interval '14 days')::int`,
    })
    .from(submissions)
    .where(inArray(submissions.studentId, ids))
    .groupBy(submissions.studentId);
  return kids.map((k) => {
    const c = counts.find((x) => x.studentId === k.id);
    return { ...k, missing: Number(c?.missing ?? 0), recentGrades: Number(c?.graded ?? 0) };
  });
}

type ChildWork = {
  assignmentId: string;
  title: string;
  dueAt: string;
  scale: GradingScale;
  maxPoints: string | number | null;
  className: string;
  subject: string;
  status: "submitted" | "missing" | "graded" | null;
  submittedAt: string | null;
  late: boolean | null;
  score: string | number | null;
  level: "HTT" | "HT" | "CHT" | null;
  comment: string | null;
  gradedAt: string | null;
};

/**
 * One child's classes, upcoming and missing work, and grades — only for that child's parents.
 * One round trip: the parent link is checked inside the same statement.
 */
export async function childOverview(db: Db, actor: Actor, studentId: string) {
  if (!z.uuid().safeParse(studentId).success) throw notFound();
  const [row] = await selectRows<{ child: unknown; classes: unknown; work: unknown }>(
    db,
    sql`
    with child as (
      select u.id, u.full_name as "fullName"
      from parent_links pl join users u on u.id = pl.student_id
      where pl.parent_id = ${actor.id} and pl.student_id = ${studentId}
    ), my as (
      select c.id, c.name, c.grade, c.subject, c.school_year as "schoolYear"
      from class_members cm join classes c on c.id = cm.class_id
      where cm.user_id = (select id from child) and cm.role = 'student'
    )
    select
      (select row_to_json(child) from child) as child,
      (select coalesce(json_agg(my order by my.name, my.subject), '[]') from my) as classes,
      (select coalesce(json_agg(x), '[]') from (
        select a.id as "assignmentId", a.title, a.due_at as "dueAt", a.scale, a.max_points as "maxPoints",
               my.name as "className", my.subject, s.status, s.submitted_at as "submittedAt", s.late,
               s.score, s.level, s.comment, s.graded_at as "gradedAt"
        from assignments a
        join my on my.id = a.class_id
        left join submissions s on s.assignment_id = a.id and s.student_id = (select id from child)
        where a.archived_at is null and a.due_at > now() - interval '120 days'
        order by a.due_at desc limit 200) x) as work
  `,
  );
  const child = json<{ id: string; fullName: string } | null>(row?.child);
  if (!child) throw notFound();
  const work = json<ChildWork[]>(row.work);
  const now = Date.now();
  const past = (w: ChildWork) => new Date(w.dueAt).getTime() < now;
  return {
    child,
    classes: json<{ id: string; name: string; grade: number; subject: string; schoolYear: string }[]>(row.classes),
    graded: work.filter((w) => w.status === "graded"),
    missing: work.filter((w) => w.status === "missing" || (!w.status && past(w))),
    submitted: work.filter((w) => w.status === "submitted"),
    upcoming: work.filter((w) => !w.status && !past(w)).reverse(),
  };
}

/** Students of a class with their link codes, for a teacher handing codes to families. */
export async function studentsWithParents(db: Db, classId: string) {
  return db
    .select({
      id: users.id,
      fullName: users.fullName,
      parents: sql<number>`(select count(*)::int from ${parentLinks} pl where pl.student_id = ${users.id})`,
    })
    .from(classMembers)
    .innerJoin(users, eq(users.id, classMembers.userId))
    .where(and(eq(classMembers.classId, classId), eq(classMembers.role, "student")))
    .orderBy(asc(users.sortKey));
}

