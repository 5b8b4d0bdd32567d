/**
 * What ties a hub class to its course on Google Classroom or Microsoft Teams, as teachers and
 * students see it: the platform's page for a class or an assignment ("Mở trên Google
 * Classroom"), and a teacher linking their own hub class to one of their own courses so that the
 * school's next sync fills that class instead of making a new one.
 */
import { and, eq, inArray, isNotNull, isNull } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { classes, connections, externalLinks, type Connection } from "../../../db/schema/index.ts";
import type { Actor } from "../../auth/actor.server.ts";
import { isIntegrationError } from "../../../integrations/errors.ts";
import type { ExternalCourse } from "../../../integrations/ports.ts";
import { getClassForTeacher } from "../classes.server.ts";
import { logger } from "../../server/log.ts";
import { refOf } from "../live-session-platforms.server.ts";
import { COURSE_PROVIDERS, requestSync, sourceOf } from "./course-sync.server.ts";

export type PlatformLink = { provider: "google" | "microsoft"; webUrl: string };

/** The platform pages of hub rows (classes: kind "course"; assignments: "coursework"), live links only. */
export async function platformLinks(db: Db, kind: "course" | "coursework", localIds: string[]): Promise<Record<string, PlatformLink[]>> {
  if (localIds.length === 0) return {};
  const rows = await db
    .select({ localId: externalLinks.localId, source: externalLinks.source, webUrl: externalLinks.webUrl })
    .from(externalLinks)
    .where(and(eq(externalLinks.kind, kind), inArray(externalLinks.localId, localIds), isNull(externalLinks.archivedAt), isNotNull(externalLinks.webUrl)));
  const out: Record<string, PlatformLink[]> = {};
  for (const r of rows) {
    const provider = r.source.split(":")[0];
    if ((provider !== "google" && provider !== "microsoft") || !r.webUrl) continue;
    (out[r.localId] ??= []).push({ provider, webUrl: r.webUrl });
  }
  return out;
}

export type LinkableCourse = { externalId: string; name: string; section: string | null; webUrl: string | null; linkedTo: { classId: string; name: string } | null };
export type LinkableSource = {
  connectionId: string;
  provider: "google" | "microsoft";
  accountName: string | null;
  courses: LinkableCourse[];
  /** Why the platform could not list this teacher's courses (the IntegrationError code). */
  problem: string | null;
};

/** At most this many of a teacher's courses are listed to choose from (teachers have a handful). */
const MAX_LISTED = 200;

async function courseConnections(db: Db, schoolId: string): Promise<Connection[]> {
  const providers = Object.keys(COURSE_PROVIDERS) as Connection["provider"][];
  return db
    .select()
    .from(connections)
    .where(and(eq(connections.schoolId, schoolId), isNull(connections.teacherId), eq(connections.status, "connected"), inArray(connections.provider, providers)));
}

async function teacherCourses(db: Db, c: Connection, email: string): Promise<ExternalCourse[]> {
  const provider = COURSE_PROVIDERS[c.provider]!(db, () => {});
  const out: ExternalCourse[] = [];
  for await (const page of provider.listCourses(refOf(c), undefined, { teacher: email })) {
    out.push(...page.items.filter((x) => x.state === "active"));
    if (out.length >= MAX_LISTED || !page.nextCursor) break;
  }
  return out.slice(0, MAX_LISTED);
}

/**
 * The linking page: for each course platform the class's school has connected, the courses this
 * teacher teaches there (by their email), each with the hub class it is linked to, if any.
 */
export async function linkableCourses(db: Db, actor: Actor, classId: string) {
  const cls = await getClassForTeacher(db, actor, classId);
  const sources: LinkableSource[] = [];
  for (const c of await courseConnections(db, cls.schoolId)) {
    const provider = c.provider as "google" | "microsoft";
    const source: LinkableSource = { connectionId: c.id, provider, accountName: c.accountName, courses: [], problem: null };
    sources.push(source);
    if (!actor.email) {
      source.problem = "no_email";
      continue;
    }
    let courses: ExternalCourse[];
    try {
      courses = await teacherCourses(db, c, actor.email);
    } catch (e) {
      if (!isIntegrationError(e)) throw e;
      logger.warn("teacher's courses not listed", { connectionId: c.id, code: e.code, message: e.message });
      source.problem = e.code === "not_found" ? "not_a_teacher" : e.code;
      continue;
    }
    const linked = courses.length
      ? await db
          .select({ externalId: externalLinks.externalId, classId: classes.id, name: classes.name })
          .from(externalLinks)
          .innerJoin(classes, eq(classes.id, externalLinks.localId))
          .where(and(eq(externalLinks.source, sourceOf(c)), eq(externalLinks.kind, "course"), inArray(externalLinks.externalId, courses.map((x) => x.externalId))))
      : [];
    source.courses = courses.map((x) => {
      const l = linked.find((r) => r.externalId === x.externalId);
      return { externalId: x.externalId, name: x.name, section: x.section ?? null, webUrl: x.link ?? null, linkedTo: l ? { classId: l.classId, name: l.name } : null };
    });
  }
  return { class: cls, sources };
}

export type LinkError = "not_connected" | "not_your_course" | "course_taken" | "class_linked" | "platform";

/**
 * Links the teacher's hub class to one of their courses on the connection's platform: checked
 * against the platform (the teacher must teach it), one course per class and one class per
 * course, then a sync of that connection is asked for so roster and coursework arrive.
 */
export async function linkCourse(db: Db, actor: Actor, classId: string, connectionId: string, courseId: string): Promise<{ ok: true; name: string } | { ok: false; error: LinkError; code?: string }> {
  const cls = await getClassForTeacher(db, actor, classId);
  const [c] = (await courseConnections(db, cls.schoolId)).filter((x) => x.id === connectionId);
  if (!c) return { ok: false, error: "not_connected" };
  if (!actor.email) return { ok: false, error: "not_your_course" };
  let course: ExternalCourse | undefined;
  try {
    course = (await teacherCourses(db, c, actor.email)).find((x) => x.externalId === courseId);
  } catch (e) {
    if (!isIntegrationError(e)) throw e;
    if (e.code !== "not_found") return { ok: false, error: "platform", code: e.code };
  }
  if (!course) return { ok: false, error: "not_your_course" };
  const source = sourceOf(c);
  const outcome = await db.transaction(async (tx) => {
    // The class row is locked so two links made at once for one class cannot both pass the check.
    await tx.select({ id: classes.id }).from(classes).where(eq(classes.id, cls.id)).for("update");
    const [mine] = await tx
      .select({ externalId: externalLinks.externalId })
      .from(externalLinks)
      .where(and(eq(externalLinks.source, source), eq(externalLinks.kind, "course"), eq(externalLinks.localId, cls.id)));
    if (mine) return mine.externalId === courseId ? "same" : "class_linked";
    const [row] = await tx
      .insert(externalLinks)
      .values({ source, kind: "course", externalId: courseId, localId: cls.id, schoolId: cls.schoolId, webUrl: course.link ?? null })
      .onConflictDoNothing()
      .returning({ id: externalLinks.id });
    return row ? "linked" : "course_taken";
  });
  if (outcome === "class_linked" || outcome === "course_taken") return { ok: false, error: outcome };
  if (outcome === "linked") await requestSync(db, c);
  return { ok: true, name: course.name };
}
