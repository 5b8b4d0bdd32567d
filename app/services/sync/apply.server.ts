/**
 * Course-sync records (the CourseProvider port's shapes) → hub rows, in the caller's transaction:
 * courses → classes, members → users, school memberships and class members, coursework →
 * assignments, submissions and grades → submissions, guardians → parent links. Each record is
 * found again by its external link (source, kind, external id); a record whose version is the one
 * stored is not written again. People are matched by email within the connection's school only:
 * an email that belongs to someone outside the school is refused, never linked. Facts parents are
 * told (a new assignment, work handed in, missing work, a grade) are written to the outbox as
 * native work writes them, once.
 */
import { randomUUID } from "node:crypto";
import { and, eq, inArray, or, sql } from "drizzle-orm";
import { selectRows, type Tx } from "../../../db/client.server.ts";
import { assignments, classes, classMembers, externalLinks, memberships, organizations, parentLinks, submissions, users } from "../../../db/schema/index.ts";
import type { ExternalCourse, ExternalCoursework, ExternalGuardian, ExternalMember, ExternalSubmission, SkippedRecord } from "../../../integrations/ports.ts";
import { currentSchoolYear, SUBJECTS, termOf } from "../../lib/curriculum.ts";
import { nameSortKey, nfc, searchFold } from "../../lib/vn.ts";
import { freshJoinCode } from "../classes.server.ts";
import { missingEventKeySql } from "../assignments.server.ts";
import { recordEvents, type NewEvent } from "../events.server.ts";
import { displayGrade } from "../grades.ts";

export type SyncCounts = Record<string, number>;

/** What one page's work needs: its transaction, the run and where counts and skips go. */
export type ApplyContext = {
  tx: Tx;
  runId: string;
  source: string;
  schoolId: string;
  now: Date;
  counts: SyncCounts;
  skips: SkippedRecord[];
};

type Kind = "course" | "user" | "coursework" | "submission" | "guardian";
const bump = (ctx: ApplyContext, kind: Kind, what: "created" | "updated" | "archived" | "unchanged") => {
  const key = `${kind}.${what}`;
  ctx.counts[key] = (ctx.counts[key] ?? 0) + 1;
};
export const skip = (ctx: ApplyContext, kind: Kind, externalId: string, reason: string) => {
  ctx.skips.push({ kind, externalId, reason });
  ctx.counts.skipped = (ctx.counts.skipped ?? 0) + 1;
};

type Link = { id: number; externalId: string; localId: string; version: string | null; archivedAt: Date | null };

export async function linksOf(ctx: ApplyContext, kind: Kind, externalIds: string[]): Promise<Map<string, Link>> {
  if (externalIds.length === 0) return new Map();
  const rows = await ctx.tx
    .select({ id: externalLinks.id, externalId: externalLinks.externalId, localId: externalLinks.localId, version: externalLinks.version, archivedAt: externalLinks.archivedAt })
    .from(externalLinks)
    .where(and(eq(externalLinks.source, ctx.source), eq(externalLinks.kind, kind), inArray(externalLinks.externalId, [...new Set(externalIds)])));
  return new Map(rows.map((r) => [r.externalId, r]));
}

/** `linksOf` for several kinds in one statement. */
async function linksOfKinds<K extends Kind>(ctx: ApplyContext, wanted: [K, string[]][]): Promise<Record<K, Map<string, Link>>> {
  const out = Object.fromEntries(wanted.map(([k]) => [k, new Map<string, Link>()])) as Record<K, Map<string, Link>>;
  // Each kind's ids as one JSON parameter (a page has hundreds); `= any(array(…))` keeps the
  // lookup on the (source, kind, external_id) index.
  const parts = wanted
    .filter(([, ids]) => ids.length)
    .map(([k, ids]) => sql`(${externalLinks.kind} = ${k} and ${externalLinks.externalId} = any(array(select jsonb_array_elements_text(${JSON.stringify([...new Set(ids)])}::jsonb))))`);
  if (!parts.length) return out;
  const rows = await ctx.tx
    .select({ kind: externalLinks.kind, id: externalLinks.id, externalId: externalLinks.externalId, localId: externalLinks.localId, version: externalLinks.version, archivedAt: externalLinks.archivedAt })
    .from(externalLinks)
    .where(and(eq(externalLinks.source, ctx.source), or(...parts)));
  for (const { kind, ...r } of rows) out[kind as K]?.set(r.externalId, r);
  return out;
}

async function saveLink(ctx: ApplyContext, kind: Kind, externalId: string, localId: string, p: { webUrl?: string | null; version?: string | null; archivedAt?: Date | null }) {
  await ctx.tx
    .insert(externalLinks)
    .values({ source: ctx.source, kind, externalId, localId, schoolId: ctx.schoolId, webUrl: p.webUrl ?? null, version: p.version ?? null, archivedAt: p.archivedAt ?? null, lastSeenRunId: ctx.runId })
    .onConflictDoUpdate({
      target: [externalLinks.source, externalLinks.kind, externalLinks.externalId],
      set: {
        localId,
        webUrl: p.webUrl ?? null,
        version: p.version ?? null,
        archivedAt: p.archivedAt ?? null,
        lastSeenRunId: ctx.runId,
        updatedAt: ctx.now,
      },
    });
}

type LinkRow = { externalId: string; localId: string; webUrl?: string | null; version?: string | null; archivedAt?: Date | null };

/** Many links in one statement, as `saveLink` one by one (a repeated external id: the last wins). */
async function saveLinks(ctx: ApplyContext, kind: Kind, list: LinkRow[]) {
  if (!list.length) return;
  const rows = [...new Map(list.map((l) => [l.externalId, l])).values()].map((l) => ({
    e: l.externalId,
    l: l.localId,
    w: l.webUrl ?? null,
    v: l.version ?? null,
    x: l.archivedAt ? l.archivedAt.toISOString() : null,
  }));
  await ctx.tx.execute(sql`
    insert into external_links (source, kind, external_id, local_id, school_id, web_url, version, archived_at, last_seen_run_id)
    select ${ctx.source}, ${kind}, x.e, x.l, ${ctx.schoolId}::uuid, x.w, x.v, x.x, ${ctx.runId}::uuid
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(e text, l uuid, w text, v text, x timestamptz)
    on conflict (source, kind, external_id) do update
       set local_id = excluded.local_id, web_url = excluded.web_url, version = excluded.version, archived_at = excluded.archived_at,
           last_seen_run_id = excluded.last_seen_run_id, updated_at = ${ctx.now.toISOString()}::timestamptz`);
}

async function touchLinks(ctx: ApplyContext, ids: number[]) {
  if (ids.length) await ctx.tx.update(externalLinks).set({ lastSeenRunId: ctx.runId }).where(inArray(externalLinks.id, ids));
}

// ---------------------------------------------------------------------------------------------
// Courses → classes

/** "Toán 6A1", "6A1 - Toán": the grade (6) and the subject (toan) when the name says them. */
export function guessClass(name: string, section: string | undefined, schoolLevel: string | null): { grade: number; subject: string } {
  const text = `${name} ${section ?? ""}`;
  const g = /(?:^|[^0-9])(1[0-2]|[1-9])[A-Za-z]/.exec(text) ?? /(?:lớp|lop|grade|khối|khoi)\s*(1[0-2]|[1-9])\b/i.exec(text);
  const fallback = schoolLevel === "thpt" ? 10 : schoolLevel === "tieu_hoc" ? 1 : 6;
  const grade = g ? Number(g[1]) : fallback;
  const folded = searchFold(text);
  const subject = SUBJECTS.filter((s) => grade >= s.grades[0] && grade <= s.grades[1]).find((s) => folded.includes(searchFold(s.vi.replace(/\s*\(.*\)$/, ""))))?.code ?? "khac";
  return { grade, subject };
}

/** Creates or updates the hub class of a course; returns its id (null: not synced). */
export async function applyCourse(ctx: ApplyContext, c: ExternalCourse, link: Link | undefined, schoolLevel: string | null): Promise<string | null> {
  const archived = c.state === "archived" || c.state === "suspended";
  if (!link) {
    if (c.state !== "active") return null; // nothing of an archived, provisioned or declined course is brought in
    const { grade, subject } = guessClass(c.name, c.section, schoolLevel);
    const schoolYear = currentSchoolYear(ctx.now);
    let name = nfc(c.section && !c.name.includes(c.section) ? `${c.name} · ${c.section}` : c.name).slice(0, 120);
    const [taken] = await ctx.tx
      .select({ id: classes.id })
      .from(classes)
      .where(and(eq(classes.schoolId, ctx.schoolId), eq(classes.name, name), eq(classes.subject, subject), eq(classes.schoolYear, schoolYear)));
    if (taken) name = `${name} (${c.externalId.slice(-6)})`;
    const [row] = await ctx.tx
      .insert(classes)
      .values({ schoolId: ctx.schoolId, name, grade, subject, schoolYear, joinCode: await freshJoinCode(ctx.tx) })
      .returning({ id: classes.id });
    await saveLink(ctx, "course", c.externalId, row.id, { webUrl: c.link, version: c.version });
    bump(ctx, "course", "created");
    return row.id;
  }
  if (link.version === (c.version ?? null) && Boolean(link.archivedAt) === archived) {
    await touchLinks(ctx, [link.id]);
    bump(ctx, "course", "unchanged");
    return archived ? null : link.localId;
  }
  await ctx.tx.update(classes).set({ archivedAt: archived ? ctx.now : null }).where(eq(classes.id, link.localId));
  await saveLink(ctx, "course", c.externalId, link.localId, { webUrl: c.link, version: c.version, archivedAt: archived ? (link.archivedAt ?? ctx.now) : null });
  bump(ctx, "course", archived && !link.archivedAt ? "archived" : "updated");
  return archived ? null : link.localId;
}

/** Courses of the source not seen by this run (removed from the platform): their classes are archived, never deleted. */
export async function archiveUnseenCourses(ctx: ApplyContext): Promise<number> {
  const gone = await ctx.tx
    .update(externalLinks)
    .set({ archivedAt: ctx.now, updatedAt: ctx.now })
    .where(
      and(
        eq(externalLinks.source, ctx.source),
        eq(externalLinks.kind, "course"),
        sql`${externalLinks.archivedAt} is null`,
        sql`${externalLinks.lastSeenRunId} is distinct from ${ctx.runId}::uuid`,
      ),
    )
    .returning({ localId: externalLinks.localId });
  if (gone.length) await ctx.tx.update(classes).set({ archivedAt: ctx.now }).where(inArray(classes.id, gone.map((g) => g.localId)));
  for (let i = 0; i < gone.length; i++) bump(ctx, "course", "archived");
  return gone.length;
}

// ---------------------------------------------------------------------------------------------
// People

type Person = { externalId: string; fullName: string; email?: string };

/**
 * The hub user for each person: by their link, else by email among the school's people, else
 * created. An email that is someone's outside this school is refused (skipped with the reason).
 */
async function matchPeople(ctx: ApplyContext, kind: "user" | "guardian", people: Person[], role: "teacher" | "student" | "parent"): Promise<Map<string, string>> {
  const links = await linksOf(ctx, kind, people.map((p) => p.externalId));
  const out = new Map<string, string>();
  const emails = [...new Set(people.filter((p) => !links.has(p.externalId) && p.email).map((p) => p.email!))];
  const byEmail = new Map<string, { id: string; inSchool: boolean }>();
  if (emails.length) {
    const rows = await ctx.tx
      .select({
        id: users.id,
        email: users.email,
        inSchool: sql<boolean>`exists (select 1 from ${memberships} m where m.user_id = ${users.id} and m.org_id = ${ctx.schoolId}::uuid)`,
      })
      .from(users)
      .where(inArray(users.email, emails));
    for (const r of rows) byEmail.set(r.email!, { id: r.id, inSchool: Boolean(r.inSchool) });
  }
  const touched: number[] = [];
  // First pass, in page order: who is linked, found in the school, refused, or new (a repeated
  // email is the person created for its first occurrence).
  type Plan = { p: Person; userId: string | null; isNew: boolean };
  const plans: Plan[] = [];
  const created = new Map<string, Plan>(); // email → the plan that creates its user
  for (const p of people) {
    const link = links.get(p.externalId);
    if (link) {
      out.set(p.externalId, link.localId);
      touched.push(link.id);
      bump(ctx, kind, "unchanged");
      continue;
    }
    const found = p.email ? byEmail.get(p.email) : undefined;
    if (found && !found.inSchool) {
      skip(ctx, kind, p.externalId, `email_other_school:${p.email}`);
      continue;
    }
    if (found) {
      plans.push({ p, userId: found.id, isNew: false });
      bump(ctx, kind, "updated");
    } else if (p.email && created.has(p.email)) {
      plans.push({ p, userId: null, isNew: false });
      bump(ctx, kind, "updated");
    } else {
      const plan = { p, userId: randomUUID(), isNew: true };
      if (p.email) created.set(p.email, plan);
      plans.push(plan);
      bump(ctx, kind, "created");
    }
  }
  const fresh = plans.filter((x) => x.isNew);
  if (fresh.length) {
    const rows = fresh.map((x) => {
      const fullName = nfc(x.p.fullName).slice(0, 200);
      return { id: x.userId!, fullName, sortKey: nameSortKey(fullName), email: x.p.email ?? null };
    });
    const inserted = new Set((await ctx.tx.insert(users).values(rows).onConflictDoNothing().returning({ id: users.id })).map((r) => r.id));
    // An email taken meanwhile (by a concurrent write): the user who has it.
    const lost = fresh.filter((x) => !inserted.has(x.userId!));
    if (lost.length) {
      const again = new Map((await ctx.tx.select({ id: users.id, email: users.email }).from(users).where(inArray(users.email, lost.map((x) => x.p.email!)))).map((r) => [r.email!, r.id]));
      for (const x of lost) x.userId = again.get(x.p.email!)!;
    }
  }
  for (const x of plans) if (x.userId === null) x.userId = created.get(x.p.email!)!.userId;
  if (plans.length) {
    await ctx.tx
      .insert(memberships)
      .values([...new Set(plans.map((x) => x.userId!))].map((userId) => ({ userId, orgId: ctx.schoolId, role })))
      .onConflictDoNothing();
    await saveLinks(ctx, kind, plans.map((x) => ({ externalId: x.p.externalId, localId: x.userId! })));
    for (const x of plans) out.set(x.p.externalId, x.userId!);
  }
  await touchLinks(ctx, touched);
  return out;
}

/** One roster page of a course: people matched or created, in the school with their role and in the class. */
export async function applyMembers(ctx: ApplyContext, classId: string, members: ExternalMember[]) {
  for (const role of ["teacher", "student"] as const) {
    const list = members.filter((m) => m.role === role);
    if (!list.length) continue;
    const ids = await matchPeople(ctx, "user", list, role);
    const rows = [...new Set(ids.values())].map((userId) => ({ classId, userId, role }));
    if (rows.length) await ctx.tx.insert(classMembers).values(rows).onConflictDoNothing();
  }
}

/** Guardians → parents of the school linked to their child (a child not synced: skipped). */
export async function applyGuardians(ctx: ApplyContext, list: ExternalGuardian[]) {
  const students = await linksOf(ctx, "user", list.map((g) => g.studentExternalId));
  const known = list.filter((g) => {
    if (students.has(g.studentExternalId)) return true;
    skip(ctx, "guardian", g.externalId, `student_not_synced:${g.studentExternalId}`);
    return false;
  });
  const parents = await matchPeople(ctx, "guardian", known, "parent");
  // Tagged with the sync's source (db/schema/users.ts, parentLinks.source).
  const rows = known.filter((g) => parents.has(g.externalId)).map((g) => ({ parentId: parents.get(g.externalId)!, studentId: students.get(g.studentExternalId)!.localId, source: ctx.source }));
  if (rows.length) await ctx.tx.insert(parentLinks).values(rows).onConflictDoNothing();
}

// ---------------------------------------------------------------------------------------------
// Coursework → assignments

/** Work without a due date on the platform is due at the end of the school year (31 May, 23:59 in Vietnam). */
export function endOfSchoolYear(now: Date): Date {
  const end = Number(currentSchoolYear(now).slice(5));
  return new Date(Date.UTC(end, 4, 31, 16, 59));
}

export const courseworkKey = (courseId: string, workId: string) => `${courseId}/${workId}`;

export async function applyCoursework(ctx: ApplyContext, courseId: string, classId: string, list: ExternalCoursework[]) {
  const links = await linksOf(ctx, "coursework", list.map((w) => courseworkKey(courseId, w.externalId)));
  const [cls] = await ctx.tx.select({ name: classes.name }).from(classes).where(eq(classes.id, classId));
  let author: string | null | undefined;
  const touched: number[] = [];
  // New assignments, their events and every changed link go out as one statement each.
  const fresh: (typeof assignments.$inferInsert)[] = [];
  const events: NewEvent[] = [];
  const saved: LinkRow[] = [];
  for (const w of list) {
    const key = courseworkKey(courseId, w.externalId);
    const link = links.get(key);
    if (w.state !== "published") continue; // drafts are not the class's yet
    const version = `${w.version ?? ""}|${w.maxPoints ?? ""}${w.form ? `|${w.form.url}` : ""}`;
    if (link && link.version === version) {
      touched.push(link.id);
      bump(ctx, "coursework", "unchanged");
      continue;
    }
    const dueAt = w.dueAt ?? endOfSchoolYear(ctx.now);
    const values = {
      title: nfc(w.title).slice(0, 200),
      dueAt,
      scale: "ten_point" as const,
      maxPoints: w.maxPoints === null ? null : String(w.maxPoints),
      term: termOf(dueAt),
      // A Forms quiz given in Classroom: its link is shown; its grade arrives with the submission's.
      ...(w.form ? { formUrl: w.form.url, formTitle: w.form.title ? nfc(w.form.title).slice(0, 200) : null } : {}),
    };
    if (link) {
      const [old] = await ctx.tx.select({ dueAt: assignments.dueAt }).from(assignments).where(eq(assignments.id, link.localId));
      // A new due date is swept again after it (as an edit by the teacher would be).
      await ctx.tx
        .update(assignments)
        .set({ ...values, ...(old && old.dueAt.getTime() !== dueAt.getTime() ? { sweptAt: null } : {}) })
        .where(eq(assignments.id, link.localId));
      saved.push({ externalId: key, localId: link.localId, webUrl: w.link, version });
      bump(ctx, "coursework", "updated");
      continue;
    }
    if (author === undefined) {
      const [t] = await ctx.tx
        .select({ id: classMembers.userId })
        .from(classMembers)
        .where(and(eq(classMembers.classId, classId), eq(classMembers.role, "teacher")))
        .orderBy(classMembers.joinedAt)
        .limit(1);
      author = t?.id ?? null;
    }
    if (!author) {
      skip(ctx, "coursework", key, "no_teacher");
      continue;
    }
    const id = randomUUID();
    fresh.push({ id, classId, authorId: author, ...values });
    events.push({ type: "assignment.created", schoolId: ctx.schoolId, classId, actorId: null, subjectId: id, payload: { title: values.title, className: cls?.name, dueAt: dueAt.toISOString(), source: ctx.source.split(":")[0] } });
    saved.push({ externalId: key, localId: id, webUrl: w.link, version });
    bump(ctx, "coursework", "created");
  }
  if (fresh.length) await ctx.tx.insert(assignments).values(fresh);
  await recordEvents(ctx.tx, events);
  await saveLinks(ctx, "coursework", saved);
  await touchLinks(ctx, touched);
}

/** Coursework of a course not seen in a complete listing (deleted on the platform): archived with its work. */
export async function archiveUnseenCoursework(ctx: ApplyContext, courseId: string) {
  const gone = await ctx.tx
    .update(externalLinks)
    .set({ archivedAt: ctx.now, updatedAt: ctx.now })
    .where(
      and(
        eq(externalLinks.source, ctx.source),
        eq(externalLinks.kind, "coursework"),
        sql`${externalLinks.externalId} like ${`${courseId}/%`}`,
        sql`${externalLinks.archivedAt} is null`,
        sql`${externalLinks.lastSeenRunId} is distinct from ${ctx.runId}::uuid`,
      ),
    )
    .returning({ localId: externalLinks.localId });
  if (gone.length) await ctx.tx.update(assignments).set({ archivedAt: ctx.now }).where(inArray(assignments.id, gone.map((g) => g.localId)));
  for (let i = 0; i < gone.length; i++) bump(ctx, "coursework", "archived");
}

// ---------------------------------------------------------------------------------------------
// Submissions and grades

/** A platform grade out of `maxPoints` on the hub's 10-point scale, one decimal (as teachers grade). */
export function tenPoint(grade: number, maxPoints: number): number {
  return Math.min(10, Math.round((grade / maxPoints) * 100) / 10);
}

/**
 * One page of submissions, set-based: the page's links, assignments and existing rows are read in
 * one statement each, and its writes go out as one multi-row statement per table (graded rows,
 * handed-in rows, missing rows, their events, their links). Unchanged records (the version stored)
 * are only marked seen. The same student's work twice in one page is applied in rounds, in page
 * order, each round seeing the one before, as one record after another would.
 */
export async function applySubmissions(ctx: ApplyContext, courseId: string, list: ExternalSubmission[]) {
  if (!list.length) return;
  const found = await linksOfKinds(ctx, [
    ["coursework", list.map((s) => courseworkKey(courseId, s.courseworkId))],
    ["user", list.map((s) => s.studentExternalId)],
    ["submission", list.map((s) => s.externalId)],
  ]);
  const { coursework: works, user: people, submission: subLinks } = found;
  const assignmentIds = [...new Set([...works.values()].map((w) => w.localId))];
  const info = new Map(
    assignmentIds.length
      ? (
          await ctx.tx
            .select({ id: assignments.id, title: assignments.title, dueAt: assignments.dueAt, maxPoints: assignments.maxPoints, classId: assignments.classId, className: classes.name })
            .from(assignments)
            .innerJoin(classes, eq(classes.id, assignments.classId))
            .where(inArray(assignments.id, assignmentIds))
        ).map((a) => [a.id, a])
      : [],
  );
  type Info = typeof info extends Map<string, infer V> ? V : never;
  type Changed = { s: ExternalSubmission; a: Info; studentId: string; version: string; link: Link | undefined };
  const touched: number[] = [];
  const rounds: Changed[][] = [];
  const lastRound = new Map<string, number>();
  for (const s of list) {
    const work = works.get(courseworkKey(courseId, s.courseworkId));
    const student = people.get(s.studentExternalId);
    // Work or people the sync left out (skipped with their own reason) have nothing to attach to.
    if (!work || !student || work.archivedAt) continue;
    const a = info.get(work.localId);
    if (!a) continue;
    const version = `${s.state}|${s.late}|${s.grade ?? ""}|${s.updatedAt.toISOString()}`;
    const link = subLinks.get(s.externalId);
    if (link && link.version === version) {
      touched.push(link.id);
      bump(ctx, "submission", "unchanged");
      continue;
    }
    if (s.grade !== null && a.maxPoints === null) {
      skip(ctx, "submission", s.externalId, "grade_without_max_points");
      continue;
    }
    const pair = `p:${a.id}:${student.localId}`;
    const ext = `e:${s.externalId}`;
    const r = Math.max(lastRound.get(pair) ?? -1, lastRound.get(ext) ?? -1) + 1;
    lastRound.set(pair, r);
    lastRound.set(ext, r);
    (rounds[r] ??= []).push({ s, a, studentId: student.localId, version, link });
  }
  for (const round of rounds) await applySubmissionRound(ctx, round);
  await touchLinks(ctx, touched);
}

/** `recordEvents` for a page's many events: one parameter (a JSON array) instead of seven per event. */
async function recordEventRows(ctx: ApplyContext, list: NewEvent[]) {
  if (!list.length) return;
  const rows = list.map((e) => ({ t: e.type, sc: e.schoolId, c: e.classId ?? null, st: e.studentId ?? null, a: e.actorId ?? null, su: e.subjectId, p: e.payload ?? {} }));
  await ctx.tx.execute(sql`
    insert into events (type, school_id, class_id, student_id, actor_id, subject_id, payload)
    select x.t, x.sc, x.c, x.st, x.a, x.su, x.p
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(t text, sc uuid, c uuid, st uuid, a uuid, su uuid, p jsonb)
    on conflict do nothing`);
}

type SubmissionInfo = { id: string; title: string; dueAt: Date; maxPoints: string | null; classId: string; className: string };

async function applySubmissionRound(
  ctx: ApplyContext,
  round: { s: ExternalSubmission; a: SubmissionInfo; studentId: string; version: string; link: Link | undefined }[],
) {
  const pairKey = (assignmentId: string, studentId: string) => `${assignmentId}:${studentId}`;
  const olds = new Map(
    (
      await selectRows<{ id: string; assignment_id: string; student_id: string; status: string; score: string | null; submitted_at: unknown }>(
        ctx.tx,
        sql`select s.id, s.assignment_id, s.student_id, s.status, s.score, s.submitted_at
              from submissions s
             where (s.assignment_id, s.student_id) in (select x.a, x.s from jsonb_to_recordset(${JSON.stringify(round.map((r) => ({ a: r.a.id, s: r.studentId })))}::jsonb) as x(a uuid, s uuid))
             for update of s`,
      )
    ).map((o) => [pairKey(o.assignment_id, o.student_id), o]),
  );
  const graded: { a: string; s: string; score: number; late: boolean; sub: string | null }[] = [];
  const handed: { a: string; s: string; late: boolean; sub: string }[] = [];
  const missing: { a: string; s: string }[] = [];
  // What each record becomes: an existing row kept, or the row a write below returns.
  const plan: { r: (typeof round)[number]; write: "graded" | "submitted" | "missing" | null; score: number | null; oldId: string | null }[] = [];
  for (const r of round) {
    const { s, a } = r;
    const old = olds.get(pairKey(a.id, r.studentId));
    const handedIn = s.state === "turned_in" || s.state === "returned";
    const score = s.grade === null ? null : tenPoint(s.grade, Number(a.maxPoints));
    let write: (typeof plan)[number]["write"] = null;
    if (score !== null) {
      const same = old?.status === "graded" && old.score !== null && Number(old.score) === score;
      if (!same) {
        graded.push({ a: a.id, s: r.studentId, score, late: s.late, sub: handedIn && !old?.submitted_at ? s.updatedAt.toISOString() : null });
        write = "graded";
      }
    } else if (handedIn) {
      if (!old || old.status === "missing") {
        handed.push({ a: a.id, s: r.studentId, late: s.late, sub: s.updatedAt.toISOString() });
        write = "submitted";
      }
    } else if (!old && a.dueAt < ctx.now) {
      // Not handed in by the due date: missing, told once (the same key as the hub's own sweep).
      missing.push({ a: a.id, s: r.studentId });
      write = "missing";
    }
    plan.push({ r, write, score, oldId: old?.id ?? null });
  }
  const written = new Map<string, string>(); // `${write}:${pair}` → submission id
  const keep = (write: string, rows: { id: string; assignment_id: string; student_id: string }[]) => {
    for (const row of rows) written.set(`${write}:${pairKey(row.assignment_id, row.student_id)}`, row.id);
  };
  const now = ctx.now.toISOString();
  if (graded.length)
    keep(
      "graded",
      await selectRows(
        ctx.tx,
        sql`insert into submissions (assignment_id, student_id, status, score, level, graded_at, late, submitted_at)
            select x.a, x.s, 'graded', x.score, null, ${now}::timestamptz, x.late, x.sub
              from jsonb_to_recordset(${JSON.stringify(graded)}::jsonb) as x(a uuid, s uuid, score numeric, late boolean, sub timestamptz)
            on conflict (assignment_id, student_id) do update
               set status = excluded.status, score = excluded.score, level = null, graded_at = excluded.graded_at, late = excluded.late,
                   submitted_at = coalesce(excluded.submitted_at, submissions.submitted_at)
            returning id, assignment_id, student_id`,
      ),
    );
  if (handed.length)
    keep(
      "submitted",
      await selectRows(
        ctx.tx,
        sql`insert into submissions (assignment_id, student_id, status, submitted_at, late)
            select x.a, x.s, 'submitted', x.sub, x.late
              from jsonb_to_recordset(${JSON.stringify(handed)}::jsonb) as x(a uuid, s uuid, late boolean, sub timestamptz)
            on conflict (assignment_id, student_id) do update
               set status = excluded.status, submitted_at = excluded.submitted_at, late = excluded.late
            returning id, assignment_id, student_id`,
      ),
    );
  if (missing.length) {
    const rows = await selectRows<{ id: string; assignment_id: string; student_id: string }>(
      ctx.tx,
      sql`insert into submissions (assignment_id, student_id, status, missing_at)
          select x.a, x.s, 'missing', ${now}::timestamptz
            from jsonb_to_recordset(${JSON.stringify(missing)}::jsonb) as x(a uuid, s uuid)
          on conflict do nothing
          returning id, assignment_id, student_id`,
    );
    keep("missing", rows);
  }
  const events: NewEvent[] = [];
  const missed: { a: string; s: string; c: string; id: string; due: string; p: string }[] = [];
  const links: LinkRow[] = [];
  for (const { r, write, score, oldId } of plan) {
    const { s, a } = r;
    const newId = write ? written.get(`${write}:${pairKey(a.id, r.studentId)}`) : undefined;
    const base = { schoolId: ctx.schoolId, classId: a.classId, studentId: r.studentId, actorId: null };
    if (write === "graded" && newId) {
      const display = displayGrade("ten_point", { score, level: null }, null, "vi");
      events.push({ ...base, type: "grade.posted", subjectId: newId, payload: { assignmentId: a.id, title: a.title, className: a.className, scale: "ten_point", score, level: null, maxPoints: a.maxPoints, display, comment: null, platformGrade: s.grade } });
    } else if (write === "submitted" && newId) {
      events.push({ ...base, type: "submission.received", subjectId: newId, payload: { assignmentId: a.id, title: a.title, className: a.className, late: s.late } });
    } else if (write === "missing" && newId) {
      const due = a.dueAt.toISOString();
      missed.push({ a: a.id, s: r.studentId, c: a.classId, id: newId, due, p: JSON.stringify({ assignmentId: a.id, title: a.title, className: a.className, submissionId: newId, dueAt: due }) });
    }
    const id = newId ?? oldId;
    if (id) {
      links.push({ externalId: s.externalId, localId: id, version: r.version });
      bump(ctx, "submission", r.link ? "updated" : "created");
    }
  }
  await recordEventRows(ctx, events);
  if (missed.length)
    await ctx.tx.execute(sql`
      insert into events (type, school_id, class_id, student_id, subject_id, payload)
      select 'submission.missing', ${ctx.schoolId}::uuid, x.c, x.s, ${missingEventKeySql(sql`x.a`, sql`x.s`, sql`x.due`)}, x.p::jsonb
        from jsonb_to_recordset(${JSON.stringify(missed)}::jsonb) as x(a uuid, s uuid, c uuid, id uuid, due timestamptz, p text)
      on conflict do nothing`);
  await saveLinks(ctx, "submission", links);
}

export async function schoolLevel(tx: Tx, schoolId: string): Promise<string | null> {
  const [o] = await tx.select({ level: organizations.level }).from(organizations).where(eq(organizations.id, schoolId));
  return o?.level ?? null;
}
