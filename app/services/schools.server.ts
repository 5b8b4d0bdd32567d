import { inArray, sql } from "drizzle-orm";
import type { Db } from "../../db/client.server.ts";
import { classes, memberships } from "../../db/schema/index.ts";
import type { Actor } from "../auth/actor.server.ts";
import { listAdministeredSchools } from "./users.server.ts";

/** The admin dashboard: each school the actor administers with its head counts. */
export async function schoolsOverview(db: Db, actor: Actor) {
  const schools = await listAdministeredSchools(db, actor);
  if (schools.length === 0) return [];
  const ids = schools.map((s) => s.id);
  const [people, classCounts] = await Promise.all([
    db
      .select({ orgId: memberships.orgId, role: memberships.role, n: sql<number>`count(*)::int` })
      .from(memberships)
      .where(inArray(memberships.orgId, ids))
      .groupBy(memberships.orgId, memberships.role),
    db
      .select({ schoolId: classes.schoolId, n: sql<number>`count(*)::int` })
      .from(classes)
      .where(inArray(classes.schoolId, ids))
      .groupBy(classes.schoolId),
  ]);
  const count = (id: string, role: string) => Number(people.find((p) => p.orgId === id && p.role === role)?.n ?? 0);
  return schools.map((s) => ({
    ...s,
    teachers: count(s.id, "teacher"),
    students: count(s.id, "student"),
    parents: count(s.id, "parent"),
    classes: Number(classCounts.find((c) => c.schoolId === s.id)?.n ?? 0),
  }));
}
