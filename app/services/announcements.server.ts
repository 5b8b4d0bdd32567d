/**
 * Announcements (thông báo chung): a teacher to the parents of one class they teach or of a class
 * of the group they are the homeroom teacher of; a school admin to the whole school. One row and
 * one `announcement.posted` event each (the fan-out finds the parents). Parents read them on the
 * announcements page (the ones for their children's classes and schools); they are not copied
 * into every student's thread.
 */
import { and, desc, eq, inArray, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import { json, selectRows, type Db } from "../../db/client.server.ts";
import { announcements, classes, organizations, users } from "../../db/schema/index.ts";
import { hasRole, orgIdsWithRole, type Actor } from "../auth/actor.server.ts";
import { forbidden, isId, notFound } from "../auth/guards.server.ts";
import { nfc } from "../lib/vn.ts";
import { MAX_ANNOUNCEMENT_CHARS } from "../lib/contact-book.ts";
import { recordEvents } from "./events.server.ts";
import { excerpt } from "./contact-book.server.ts";
import { fail, ok, type Result } from "./result.ts";


export type AnnouncementTarget = { value: string; kind: "school" | "class"; id: string; schoolId: string; label: string; className: string | null; subject: string | null };

/** Where the actor may announce: their classes and homeroom groups' classes, their schools. */
export async function announcementTargets(db: Db, actor: Actor): Promise<AnnouncementTarget[]> {
  const out: AnnouncementTarget[] = [];
  for (const m of actor.memberships) {
    if (m.role === "school_admin" && m.orgKind === "school") out.push({ value: `school:${m.orgId}`, kind: "school", id: m.orgId, schoolId: m.orgId, label: m.orgName, className: null, subject: null });
  }
  if (hasRole(actor, "teacher")) {
    const rows = await selectRows<{ id: string; schoolId: string; name: string; subject: string }>(
      db,
      sql`select c.id, c.school_id as "schoolId", c.name, c.subject from classes c
          where exists (select 1 from class_members t where t.class_id = c.id and t.user_id = ${actor.id} and t.role = 'teacher')
             or exists (select 1 from class_groups g where g.id = c.group_id and g.homeroom_teacher_id = ${actor.id})
          order by c.school_year desc, c.name, c.subject`,
    );
    for (const c of rows) out.push({ value: `class:${c.id}`, kind: "class", id: c.id, schoolId: c.schoolId, label: c.name, className: c.name, subject: c.subject });
  }
  return out;
}

const AnnouncementSchema = z.object({
  target: z.string().default(""),
  title: z
    .string()
    .default("")
    .transform((v) => nfc(v).trim())
    .pipe(z.string().min(3, "announcements.errors.titleShort").max(200, "announcements.errors.titleLong")),
  body: z
    .string()
    .default("")
    .transform((v) => nfc(v).trim())
    .pipe(z.string().min(1, "announcements.errors.bodyRequired").max(MAX_ANNOUNCEMENT_CHARS, "announcements.errors.bodyLong")),
  urgent: z.string().optional(),
});

export async function postAnnouncement(db: Db, actor: Actor, raw: unknown): Promise<Result<{ id: string }>> {
  const parsed = AnnouncementSchema.safeParse(raw);
  const targetValue = typeof (raw as { target?: unknown })?.target === "string" ? (raw as { target: string }).target : "";
  const targets = await announcementTargets(db, actor);
  // A class or school that is not the actor's names nothing they may write to.
  const [kind, id] = targetValue.split(":");
  if (targetValue && (!isId(id) || (kind !== "class" && kind !== "school"))) throw notFound();
  const target = targets.find((t) => t.value === targetValue);
  if (targetValue && !target) throw notFound();
  const errors: Record<string, string> = {};
  if (!parsed.success) {
    for (const i of parsed.error.issues) errors[String(i.path[0])] ??= i.message.startsWith("announcements.") ? i.message : "errors.invalid";
  }
  if (!target) errors.target = "announcements.errors.targetRequired";
  const urgent = parsed.success && parsed.data.urgent !== undefined && parsed.data.urgent !== "";
  if (urgent && target && target.kind !== "school") errors.urgent = "announcements.errors.urgentSchoolOnly";
  if (Object.keys(errors).length > 0 || !parsed.success || !target) return fail(errors);
  const [me] = await db.select({ deactivatedAt: users.deactivatedAt }).from(users).where(eq(users.id, actor.id));
  if (!me || me.deactivatedAt) throw forbidden();

  const { title, body } = parsed.data;
  const id2 = await db.transaction(async (tx) => {
    const [a] = await tx
      .insert(announcements)
      .values({ schoolId: target.schoolId, classId: target.kind === "class" ? target.id : null, authorId: actor.id, title, body, urgent })
      .returning({ id: announcements.id });
    await recordEvents(tx, [
      {
        type: "announcement.posted",
        schoolId: target.schoolId,
        classId: target.kind === "class" ? target.id : null,
        actorId: actor.id,
        subjectId: a.id,
        payload: { announcementId: a.id, title, excerpt: excerpt(body), urgent, className: target.className },
      },
    ]);
    return a.id;
  });
  return ok({ id: id2 });
}

export type AnnouncementView = {
  id: string;
  title: string;
  body: string;
  urgent: boolean;
  createdAt: string;
  authorName: string;
  schoolName: string;
  className: string | null;
  subject: string | null;
};

const view = {
  id: announcements.id,
  title: announcements.title,
  body: announcements.body,
  urgent: announcements.urgent,
  createdAt: announcements.createdAt,
  authorName: users.fullName,
  schoolName: organizations.name,
  className: classes.name,
  subject: classes.subject,
};

/**
 * What the actor sees: what they wrote (and, for a school admin, everything written in their
 * school), and for a parent, the announcements of their children's classes and schools.
 */
export async function listAnnouncements(db: Db, actor: Actor, limit = 50) {
  const base = () =>
    db
      .select(view)
      .from(announcements)
      .innerJoin(users, eq(users.id, announcements.authorId))
      .innerJoin(organizations, eq(organizations.id, announcements.schoolId))
      .leftJoin(classes, eq(classes.id, announcements.classId));
  const adminSchools = orgIdsWithRole(actor, "school_admin");
  const written = await base()
    .where(adminSchools.length ? or(eq(announcements.authorId, actor.id), inArray(announcements.schoolId, adminSchools)) : eq(announcements.authorId, actor.id))
    .orderBy(desc(announcements.createdAt))
    .limit(limit);
  let forChildren: (Omit<AnnouncementView, "createdAt"> & { createdAt: Date })[] = [];
  if (hasRole(actor, "parent")) {
    const [scope] = await selectRows<{ classIds: unknown; schoolIds: unknown }>(
      db,
      sql`select
        (select coalesce(json_agg(distinct cm.class_id), '[]') from parent_links pl join class_members cm on cm.user_id = pl.student_id and cm.role = 'student' where pl.parent_id = ${actor.id}) as "classIds",
        (select coalesce(json_agg(distinct m.org_id), '[]') from parent_links pl join memberships m on m.user_id = pl.student_id and m.role = 'student' where pl.parent_id = ${actor.id}) as "schoolIds"`,
    );
    const classIds = json<string[]>(scope.classIds);
    const schoolIds = json<string[]>(scope.schoolIds);
    const conditions = [
      ...(classIds.length ? [inArray(announcements.classId, classIds)] : []),
      ...(schoolIds.length ? [and(isNull(announcements.classId), inArray(announcements.schoolId, schoolIds))] : []),
    ];
    if (conditions.length) forChildren = await base().where(or(...conditions)).orderBy(desc(announcements.createdAt)).limit(limit);
  }
  const iso = <T extends { createdAt: Date }>(r: T): Omit<T, "createdAt"> & { createdAt: string } => ({ ...r, createdAt: r.createdAt.toISOString() });
  return {
    written: written.map(iso) as AnnouncementView[],
    forChildren: forChildren.map(iso) as AnnouncementView[],
    canWrite: hasRole(actor, "teacher", "school_admin"),
  };
}
