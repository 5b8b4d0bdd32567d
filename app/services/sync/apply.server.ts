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
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Tx } from "../../../db/client.server.ts";
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
  for (const p of people) {
    const link = links.get(p.externalId);
    if (link) {
      out.set(p.externalId, link.localId);
      touched.push(link.id);
      bump(ctx, kind, "unchanged");
      continue;
    }
    let userId: string;
    const found = p.email ? byEmail.get(p.email) : undefined;
    if (found && !found.inSchool) {
      skip(ctx, kind, p.externalId, `email_other_school:${p.email}`);
      continue;
    }
    if (found) {
      userId = found.id;
      bump(ctx, kind, "updated");
    } else {
      const fullName = nfc(p.fullName).slice(0, 200);
      const [row] = await ctx.tx
        .insert(users)
        .values({ fullName, sortKey: nameSortKey(fullName), email: p.email ?? null })
        .onConflictDoNothing()
        .returning({ id: users.id });
      if (!row) {
        // The same email arrived twice in one page (a teacher who is also a student somewhere).
        const [again] = await ctx.tx.select({ id: users.id }).from(users).where(eq(users.email, p.email!));
        userId = again.id;
      } else userId = row.id;
      if (p.email) byEmail.set(p.email, { id: userId, inSchool: true });
      bump(ctx, kind, "created");
    }
    await ctx.tx.insert(memberships).values({ userId, orgId: ctx.schoolId, role }).onConflictDoNothing();
    await saveLink(ctx, kind, p.externalId, userId, {});
    out.set(p.externalId, userId);
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
  const rows = known.filter((g) => parents.has(g.externalId)).map((g) => ({ parentId: parents.get(g.externalId)!, studentId: students.get(g.studentExternalId)!.localId }));
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
      await saveLink(ctx, "coursework", key, link.localId, { webUrl: w.link, version });
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
    const [row] = await ctx.tx.insert(assignments).values({ classId, authorId: author, ...values }).returning({ id: assignments.id });
    await recordEvents(ctx.tx, [
      { type: "assignment.created", schoolId: ctx.schoolId, classId, actorId: null, subjectId: row.id, payload: { title: values.title, className: cls?.name, dueAt: dueAt.toISOString(), source: ctx.source.split(":")[0] } },
    ]);
    await saveLink(ctx, "coursework", key, row.id, { webUrl: w.link, version });
    bump(ctx, "coursework", "created");
  }
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

export async function applySubmissions(ctx: ApplyContext, courseId: string, list: ExternalSubmission[]) {
  if (!list.length) return;
  const works = await linksOf(ctx, "coursework", list.map((s) => courseworkKey(courseId, s.courseworkId)));
  const people = await linksOf(ctx, "user", list.map((s) => s.studentExternalId));
  const subLinks = await linksOf(ctx, "submission", list.map((s) => s.externalId));
  const assignmentIds = [...new Set([...works.values()].map((w) => w.localId))];
  const info = new Map(
    (
      await ctx.tx
        .select({ id: assignments.id, title: assignments.title, dueAt: assignments.dueAt, maxPoints: assignments.maxPoints, classId: assignments.classId, className: classes.name })
        .from(assignments)
        .innerJoin(classes, eq(classes.id, assignments.classId))
        .where(inArray(assignments.id, assignmentIds.length ? assignmentIds : ["00000000-0000-0000-0000-000000000000"]))
    ).map((a) => [a.id, a]),
  );
  const touched: number[] = [];
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
    const [old] = await ctx.tx
      .select({ id: submissions.id, status: submissions.status, score: submissions.score, submittedAt: submissions.submittedAt })
      .from(submissions)
      .where(and(eq(submissions.assignmentId, a.id), eq(submissions.studentId, student.localId)))
      .for("update");
    const handedIn = s.state === "turned_in" || s.state === "returned";
    const score = s.grade === null ? null : tenPoint(s.grade, Number(a.maxPoints));
    const events: NewEvent[] = [];
    const base = { schoolId: ctx.schoolId, classId: a.classId, studentId: student.localId, actorId: null };
    let id = old?.id ?? null;
    if (score !== null) {
      const values = { status: "graded" as const, score: String(score), level: null, gradedAt: ctx.now, late: s.late, ...(handedIn && !old?.submittedAt ? { submittedAt: s.updatedAt } : {}) };
      const same = old?.status === "graded" && old.score !== null && Number(old.score) === score;
      if (!same) {
        const [row] = await ctx.tx
          .insert(submissions)
          .values({ assignmentId: a.id, studentId: student.localId, ...values })
          .onConflictDoUpdate({ target: [submissions.assignmentId, submissions.studentId], set: values })
          .returning({ id: submissions.id });
        id = row.id;
        const display = displayGrade("ten_point", { score, level: null }, null, "vi");
        events.push({ ...base, type: "grade.posted", subjectId: row.id, payload: { assignmentId: a.id, title: a.title, className: a.className, scale: "ten_point", score, level: null, maxPoints: a.maxPoints, display, comment: null, platformGrade: s.grade } });
      }
    } else if (handedIn) {
      if (!old || old.status === "missing") {
        const values = { status: "submitted" as const, submittedAt: s.updatedAt, late: s.late };
        const [row] = await ctx.tx
          .insert(submissions)
          .values({ assignmentId: a.id, studentId: student.localId, ...values })
          .onConflictDoUpdate({ target: [submissions.assignmentId, submissions.studentId], set: values })
          .returning({ id: submissions.id });
        id = row.id;
        events.push({ ...base, type: "submission.received", subjectId: row.id, payload: { assignmentId: a.id, title: a.title, className: a.className, late: s.late } });
      }
    } else if (!old && a.dueAt < ctx.now) {
      // Not handed in by the due date: missing, told once (the same key as the hub's own sweep).
      const [row] = await ctx.tx
        .insert(submissions)
        .values({ assignmentId: a.id, studentId: student.localId, status: "missing", missingAt: ctx.now })
        .onConflictDoNothing()
        .returning({ id: submissions.id });
      if (row) {
        id = row.id;
        await ctx.tx.execute(sql`
          insert into events (type, school_id, class_id, student_id, subject_id, payload)
          values ('submission.missing', ${ctx.schoolId}::uuid, ${a.classId}::uuid, ${student.localId}::uuid,
                  ${missingEventKeySql(sql`${a.id}::uuid`, sql`${student.localId}::uuid`, sql`${a.dueAt.toISOString()}::timestamptz`)},
                  ${JSON.stringify({ assignmentId: a.id, title: a.title, className: a.className, submissionId: row.id, dueAt: a.dueAt.toISOString() })}::jsonb)
          on conflict do nothing`);
      }
    }
    await recordEvents(ctx.tx, events);
    if (id) {
      await saveLink(ctx, "submission", s.externalId, id, { version });
      bump(ctx, "submission", link ? "updated" : "created");
    }
  }
  await touchLinks(ctx, touched);
}

export async function schoolLevel(tx: Tx, schoolId: string): Promise<string | null> {
  const [o] = await tx.select({ level: organizations.level }).from(organizations).where(eq(organizations.id, schoolId));
  return o?.level ?? null;
}
