import { and, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.server.ts";
import { classMembers, memberships, organizations, parentLinks, type Role } from "../../db/schema/index.ts";
import type { SessionUser } from "./session.server.ts";

export type ActorMembership = { orgId: string; role: Role; orgName: string; orgKind: "province" | "school"; parentId: string | null };

/** A signed-in person with every role they hold, in which organization. */
export type Actor = SessionUser & {
  sessionId: string;
  memberships: ActorMembership[];
  /** Unread inbox items when the request began, capped at UNREAD_CAP + 1 (the menu's badge). */
  unread?: number;
};

export async function loadMemberships(db: DbOrTx, userId: string): Promise<ActorMembership[]> {
  return db
    .select({
      orgId: memberships.orgId,
      role: memberships.role,
      orgName: organizations.name,
      orgKind: organizations.kind,
      parentId: organizations.parentId,
    })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(eq(memberships.userId, userId));
}

export function hasRole(actor: Pick<Actor, "memberships">, ...roles: Role[]): boolean {
  return actor.memberships.some((m) => roles.includes(m.role));
}

export function orgIdsWithRole(actor: Actor, role: Role): string[] {
  return actor.memberships.filter((m) => m.role === role).map((m) => m.orgId);
}

/** Schools the actor administers directly (school admin) or through their province (province admin). */
export async function administeredSchoolIds(db: DbOrTx, actor: Actor): Promise<string[]> {
  const direct = orgIdsWithRole(actor, "school_admin");
  const provinces = orgIdsWithRole(actor, "province_admin");
  if (provinces.length === 0) return direct;
  const rows = await db
    .select({ id: organizations.id })
    .from(organizations)
    .where(and(eq(organizations.kind, "school"), inArray(organizations.parentId, provinces)));
  return [...new Set([...direct, ...rows.map((r) => r.id)])];
}

export async function canAdministerSchool(db: DbOrTx, actor: Actor, schoolId: string): Promise<boolean> {
  if (orgIdsWithRole(actor, "school_admin").includes(schoolId)) return true;
  return (await administeredSchoolIds(db, actor)).includes(schoolId);
}

export async function isClassTeacher(db: DbOrTx, actor: Pick<Actor, "id">, classId: string): Promise<boolean> {
  const [row] = await db
    .select({ classId: classMembers.classId })
    .from(classMembers)
    .where(and(eq(classMembers.classId, classId), eq(classMembers.userId, actor.id), eq(classMembers.role, "teacher")))
    .limit(1);
  return Boolean(row);
}

export async function isClassStudent(db: DbOrTx, userId: string, classId: string): Promise<boolean> {
  const [row] = await db
    .select({ classId: classMembers.classId })
    .from(classMembers)
    .where(and(eq(classMembers.classId, classId), eq(classMembers.userId, userId), eq(classMembers.role, "student")))
    .limit(1);
  return Boolean(row);
}

export async function isParentOf(db: DbOrTx, parentId: string, studentId: string): Promise<boolean> {
  const [row] = await db
    .select({ studentId: parentLinks.studentId })
    .from(parentLinks)
    .where(and(eq(parentLinks.parentId, parentId), eq(parentLinks.studentId, studentId)))
    .limit(1);
  return Boolean(row);
}

/** Where each role lands after signing in. */
export function homePath(actor: Pick<Actor, "memberships">): string {
  if (hasRole(actor, "province_admin", "school_admin")) return "/admin";
  if (hasRole(actor, "teacher")) return "/classes";
  if (hasRole(actor, "student")) return "/today";
  if (hasRole(actor, "parent")) return "/children";
  return "/account";
}
