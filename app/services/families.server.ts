/** Parents and their children: link codes, the children list and a child's overview. */
import crypto from "node:crypto";
import { and, asc, desc, eq, gt, inArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { Db } from "../../db/client.server.ts";
import { assignments, classes, classMembers, linkCodes, memberships, organizations, parentLinks, submissions, users } from "../../db/schema/index.ts";
import { canAdministerSchool, isParentOf, orgIdsWithRole, type Actor } from "../auth/actor.server.ts";
import { notFound } from "../auth/guards.server.ts";
import { listStudentClasses } from "./classes.server.ts";
import { fail, ok, zodErrors, type Result } from "./result.ts";

const LINK_CODE_TTL_MS = 30 * 24 * 3600 * 1000;

function newLinkCode() {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  return "PH-" + Array.from(crypto.randomBytes(8), (b) => alphabet[b % alphabet.length]).join("");
}

/** A school admin of the student's school, or one of the student's teachers, may issue a code. */
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
  return Boolean(taught);
}

export async function issueLinkCode(db: Db, actor: Actor, studentId: string) {
  if (!z.uuid().safeParse(studentId).success || !(await mayIssueFor(db, actor, studentId))) throw notFound();
  const code = newLinkCode();
  const expiresAt = new Date(Date.now() + LINK_CODE_TTL_MS);
  await db.insert(linkCodes).values({ code, studentId, createdBy: actor.id, expiresAt });
  return { code, expiresAt };
}

export const LinkSchema = z.object({
  code: z
    .string()
    // Accept "PH-ABCD2345", "ph abcd 2345" or the 8-character body alone.
    .transform((v) => v.replace(/[\s-]/g, "").toUpperCase())
    .transform((v) => `PH-${v.length === 10 && v.startsWith("PH") ? v.slice(2) : v}`)
    .pipe(z.string().regex(/^PH-[A-Z0-9]{8}$/, "errors.link_code_invalid")),
});

/** A parent links to a child with a code (codes stay valid for 30 days, so both parents can use one). */
export async function linkChild(db: Db, actor: Actor, raw: unknown): Promise<Result<{ studentId: string; fullName: string; already: boolean }>> {
  const parsed = LinkSchema.safeParse(raw);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const [row] = await db
    .select({ studentId: linkCodes.studentId, expiresAt: linkCodes.expiresAt, fullName: users.fullName })
    .from(linkCodes)
    .innerJoin(users, eq(users.id, linkCodes.studentId))
    .where(eq(linkCodes.code, parsed.data.code));
  if (!row) return fail({ code: "errors.link_code_unknown" });
  if (row.expiresAt.getTime() < Date.now()) return fail({ code: "errors.link_code_expired" });
  if (row.studentId === actor.id) return fail({ code: "errors.link_code_unknown" });
  const inserted = await db.transaction(async (tx) => {
    // The parent becomes a parent member of the child's school(s), so the school can reach them.
    const schools = await tx
      .select({ orgId: memberships.orgId })
      .from(memberships)
      .where(and(eq(memberships.userId, row.studentId), eq(memberships.role, "student")));
    if (schools.length) {
      await tx.insert(memberships).values(schools.map((s) => ({ userId: actor.id, orgId: s.orgId, role: "parent" as const }))).onConflictDoNothing();
    }
    return tx.insert(parentLinks).values({ parentId: actor.id, studentId: row.studentId }).onConflictDoNothing().returning({ s: parentLinks.studentId });
  });
  return ok({ studentId: row.studentId, fullName: row.fullName, already: inserted.length === 0 });
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

/** One child's classes, upcoming and missing work, and grades — only for that child's parents. */
export async function childOverview(db: Db, actor: Actor, studentId: string) {
  if (!z.uuid().safeParse(studentId).success || !(await isParentOf(db, actor.id, studentId))) throw notFound();
  const [child] = await db.select({ id: users.id, fullName: users.fullName }).from(users).where(eq(users.id, studentId));
  const classList = await listStudentClasses(db, studentId);
  const classIds = classList.map((c) => c.id);
  const work = classIds.length
    ? await db
        .select({
          assignmentId: assignments.id,
          title: assignments.title,
          dueAt: assignments.dueAt,
          scale: assignments.scale,
          maxPoints: assignments.maxPoints,
          className: classes.name,
          subject: classes.subject,
          status: submissions.status,
          submittedAt: submissions.submittedAt,
          late: submissions.late,
          score: submissions.score,
          level: submissions.level,
          comment: submissions.comment,
          gradedAt: submissions.gradedAt,
        })
        .from(assignments)
        .innerJoin(classes, eq(classes.id, assignments.classId))
        .leftJoin(submissions, and(eq(submissions.assignmentId, assignments.id), eq(submissions.studentId, studentId)))
        .where(and(inArray(assignments.classId, classIds), gt(assignments.dueAt, sql`now() - interval '120 days'`)))
        .orderBy(desc(assignments.dueAt))
        .limit(200)
    : [];
  return {
    child,
    classes: classList,
    graded: work.filter((w) => w.status === "graded"),
    missing: work.filter((w) => w.status === "missing" || (!w.status && w.dueAt < new Date())),
    submitted: work.filter((w) => w.status === "submitted"),
    upcoming: work.filter((w) => !w.status && w.dueAt >= new Date()).reverse(),
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

export { orgIdsWithRole };
