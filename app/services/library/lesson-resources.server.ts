/**
 * Library resources attached to a lesson (lesson_resources): the class's teachers attach and
 * remove them in the lesson editor; whoever may read the lesson sees them with their sources,
 * licence and link.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client.server.ts";
import { lessonResources, resources } from "../../../db/schema/index.ts";
import type { Actor } from "../../auth/actor.server.ts";
import { notFound } from "../../auth/guards.server.ts";
import { getLessonForEditing } from "../lessons.server.ts";
import { sourcesOf, type ResultSource } from "./search.server.ts";

export type LessonResource = {
  id: string;
  title: string;
  url: string | null;
  licence: string | null;
  subject: string | null;
  grades: number[];
  resourceType: string | null;
  sources: ResultSource[];
};

/** A lesson's resources in the order they were attached. The caller has checked who may read the lesson. */
export async function resourcesOfLesson(db: Db, lessonId: string): Promise<LessonResource[]> {
  const rows = await db
    .select({
      id: resources.id,
      title: resources.title,
      url: resources.url,
      licence: resources.licence,
      subject: resources.subject,
      grades: resources.grades,
      resourceType: resources.resourceType,
      schoolId: resources.schoolId,
    })
    .from(lessonResources)
    .innerJoin(resources, eq(resources.id, lessonResources.resourceId))
    .where(eq(lessonResources.lessonId, lessonId))
    .orderBy(asc(lessonResources.position), asc(lessonResources.addedAt));
  const sources = await sourcesOf(db, rows.map((r) => ({ id: r.id, school_id: r.schoolId })));
  return rows.map(({ schoolId: _school, ...r }) => ({ ...r, sources: sources.get(r.id) ?? [] }));
}

const ResourceId = z.uuid();

/** Attach a resource to the lesson (again: nothing changes). Only the class's teachers (getLessonForEditing). */
export async function attachResource(db: Db, actor: Actor, classId: string, lessonId: string, resourceId: string): Promise<void> {
  await getLessonForEditing(db, actor, classId, lessonId);
  if (!ResourceId.safeParse(resourceId).success) throw notFound();
  await db.transaction(async (tx) => {
    const [resource] = await tx.select({ id: resources.id }).from(resources).where(eq(resources.id, resourceId));
    if (!resource) throw notFound();
    const [{ next }] = await tx
      .select({ next: sql<number>`coalesce(max(${lessonResources.position}) + 1, 0)::int` })
      .from(lessonResources)
      .where(eq(lessonResources.lessonId, lessonId));
    await tx.insert(lessonResources).values({ lessonId, resourceId, position: Number(next), addedBy: actor.id }).onConflictDoNothing();
  });
}

/** Remove a resource from the lesson. Only the class's teachers. */
export async function detachResource(db: Db, actor: Actor, classId: string, lessonId: string, resourceId: string): Promise<void> {
  await getLessonForEditing(db, actor, classId, lessonId);
  if (!ResourceId.safeParse(resourceId).success) throw notFound();
  await db.delete(lessonResources).where(and(eq(lessonResources.lessonId, lessonId), eq(lessonResources.resourceId, resourceId)));
}
