/**
 * Google Classroom sync against the fake Classroom: a full sync brings courses, people, coursework,
 * submissions, grades and guardians into the hub with the same outbox events native work writes;
 * a re-sync with nothing changed makes only the listing calls and writes nothing; a grade posted
 * on Classroom is one grade.posted; archived and removed courses archive their classes; a sync
 * stopped mid-way resumes to the same rows as an uninterrupted one; a 429 is waited out; odd
 * records are skipped with their reasons; another school's email is refused; the scope chosen
 * limits what is read.
 */
import crypto from "node:crypto";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments, classes, classMembers, connections, events, externalLinks, organizations, parentLinks, submissions, syncRuns, syncScopes, syncSkips, users } from "../../db/schema/index.ts";
import type { Db } from "../../db/client.server.ts";
import { syncConnection } from "../../app/services/sync/course-sync.server.ts";
import { SyncAborted } from "../../app/services/sync/engine.server.ts";
import { demoLookup } from "../support/demo.ts";
import { connectedGoogleSchool } from "../support/connections.ts";
import { freshDatabase } from "../support/db.ts";
import { startHub, type Hub } from "../support/hub.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google/server.ts";
import { seedClassroomDomain } from "../fakes/google/classroom-domain.ts";

const DOMAIN = "nguyendu.lopso.demo";
const GOOGLE = { clientId: "lopso-79001.apps.googleusercontent.com", clientSecret: "GOCSPX-classroom" };
const A = "https://www.googleapis.com/auth/";
export const CLASSROOM_SCOPES = `openid ${A}classroom.courses.readonly ${A}classroom.rosters.readonly ${A}classroom.profile.emails ${A}classroom.guardianlinks.students.readonly`;

let hub: Hub;
let google: FakeGoogle;
let connectionId: string;
let db: Db;
const past = new Date(Date.now() - 3 * 86_400_000);
const future = new Date(Date.now() + 5 * 86_400_000);
const ymd = (d: Date) => ({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });

function seed(g: FakeGoogle) {
  const c = g.classroom;
  const u = (id: string, fullName: string | undefined, email?: string) => c.users.set(id, { id, fullName, email });
  u("g-lan", "Nguyễn Thị Lan", `lan.nt@${DOMAIN}`);
  u("g-minh", "Trần Văn Minh", `minh.tv@${DOMAIN}`);
  u("g-an", "Nguyễn Văn An", `an.nv@${DOMAIN}`);
  u("g-khoa", "Phạm Minh Khoa", `khoa.pm@${DOMAIN}`);
  u("g-hoa", "Lê Thị Hoa", "hoa.lt@kimdong.lopso.demo"); // a teacher of another school
  u("g-noname", undefined, `noname@${DOMAIN}`);
  c.courses.push(
    { id: "111", name: "Toán 6A1 (Classroom)", section: "6A1", ownerId: "g-lan", teachers: ["g-lan"], students: ["g-an", "g-khoa", "g-hoa", "g-noname"], updateTime: "2026-09-01T00:00:00.000Z" },
    { id: "222", name: "Ngữ văn 7A2", ownerId: "g-minh", teachers: ["g-minh"], students: [], updateTime: "2026-09-01T00:00:00.000Z" },
    { id: "333", name: "Lịch sử cũ", ownerId: "g-minh", courseState: "ARCHIVED", teachers: ["g-minh"], students: [] },
    { id: "444", name: "Khóa lạ", ownerId: "g-minh", courseState: "LOCKED", teachers: [], students: [] },
  );
  c.courseWork.push(
    { id: "w1", courseId: "111", title: "Phân số", maxPoints: 20, dueDate: ymd(past), dueTime: { hours: 10 }, updateTime: "2026-09-02T00:00:00.000Z" },
    { id: "w2", courseId: "111", title: "Đọc sách", updateTime: "2026-09-03T00:00:00.000Z" },
    { id: "w3", courseId: "111", title: "Trò chơi", workType: "FANCY_QUIZ", updateTime: "2026-09-04T00:00:00.000Z" },
    { id: "w4", courseId: "111", updateTime: "2026-09-05T00:00:00.000Z" }, // no title
    { id: "w5", courseId: "111", title: "Nháp", state: "DRAFT" },
  );
  c.submissions.push(
    { id: "s1", courseId: "111", courseWorkId: "w1", userId: "g-an", state: "RETURNED", assignedGrade: 15, updateTime: "2026-09-06T00:00:00.000Z" },
    { id: "s2", courseId: "111", courseWorkId: "w1", userId: "g-khoa", state: "CREATED", updateTime: "2026-09-02T00:00:00.000Z" },
    { id: "s3", courseId: "111", courseWorkId: "w2", userId: "g-an", state: "TURNED_IN", late: true, updateTime: "2026-09-07T00:00:00.000Z" },
    { id: "s4", courseId: "111", courseWorkId: "w2", userId: "g-khoa", state: "PENDING_REVIEW", updateTime: "2026-09-07T00:00:00.000Z" },
  );
  c.guardians.push({ studentId: "g-khoa", guardianId: "gd-1", fullName: "Phạm Văn Hùng", email: "hung.pv@gmail.com" });
}

const linkOf = async (kind: string, externalId: string) =>
  (await db.select().from(externalLinks).where(and(eq(externalLinks.source, `google:${connectionId}`), eq(externalLinks.kind, kind), eq(externalLinks.externalId, externalId))))[0];
const eventCount = async (type: string) => (await db.select({ n: sql<number>`count(*)::int` }).from(events).where(eq(events.type, type as "grade.posted")))[0].n;
const lastRun = async () => (await db.select().from(syncRuns).where(eq(syncRuns.connectionId, connectionId)).orderBy(sql`${syncRuns.startedAt} desc`).limit(1))[0];

beforeAll(async () => {
  google = await startFakeGoogle({ clients: [GOOGLE], accounts: [{ sub: "g-admin", email: `hieutruong@${DOMAIN}`, name: "Vũ Thị Hạnh", hd: DOMAIN }] });
  seed(google);
  Object.assign(process.env, { GOOGLE_ISSUER: google.url, GOOGLE_API_URL: `${google.url}/` });
  hub = await startHub();
  db = hub.database.db;
  const school = await demoLookup(db).school("79001");
  connectionId = await connectedGoogleSchool(db, google, { schoolId: school, client: GOOGLE, admin: `hieutruong@${DOMAIN}`, domain: DOMAIN, scope: CLASSROOM_SCOPES });
});

afterAll(async () => {
  await hub?.close();
  await google?.close();
});

describe("Classroom sync", () => {
  it("a full sync brings courses, people, coursework, submissions, grades and guardians, with the native events", async () => {
    const eventsBefore = { created: await eventCount("assignment.created"), graded: await eventCount("grade.posted") };
    const out = await syncConnection(db, connectionId);
    expect(out).toMatchObject({ status: "succeeded" });
    // Classes: two active courses; the archived one is not brought in, the unknown state is skipped.
    const c1 = await linkOf("course", "111");
    const c2 = await linkOf("course", "222");
    expect(await linkOf("course", "333")).toBeUndefined();
    const [cls] = await db.select().from(classes).where(eq(classes.id, c1.localId));
    expect(cls).toMatchObject({ grade: 6, subject: "toan", archivedAt: null });
    expect(c1.webUrl).toMatch(/^https:\/\/classroom\.google\.com\/c\//);
    // People: the existing teacher and student matched by email, a new student created, nobody duplicated.
    const an = await demoLookup(db).user(`an.nv@${DOMAIN}`);
    const lan = await demoLookup(db).user(`lan.nt@${DOMAIN}`);
    expect((await linkOf("user", "g-an")).localId).toBe(an);
    expect((await linkOf("user", "g-lan")).localId).toBe(lan);
    const khoa = await demoLookup(db).user(`khoa.pm@${DOMAIN}`);
    const members = await db.select({ userId: classMembers.userId, role: classMembers.role }).from(classMembers).where(eq(classMembers.classId, c1.localId));
    expect(members.map((m) => `${m.role}:${m.userId}`).sort()).toEqual([`student:${an}`, `student:${khoa}`, `teacher:${lan}`].sort());
    // Another school's email is refused, never linked.
    expect(await linkOf("user", "g-hoa")).toBeUndefined();
    // Coursework: w1 due in the past (10:00 UTC = 17:00 Vietnam), 20 points → 10-point scale; w2 undated.
    const w1 = await linkOf("coursework", "111/w1");
    const [a1] = await db.select().from(assignments).where(eq(assignments.id, w1.localId));
    expect(a1).toMatchObject({ title: "Phân số", scale: "ten_point", maxPoints: "20.00", classId: c1.localId, authorId: lan });
    expect(a1.dueAt.toISOString().slice(11, 16)).toBe("10:00");
    expect(await linkOf("coursework", "111/w5")).toBeUndefined();
    // Submissions: 15/20 → 7,5; khoa's missing work after the due date; an's late hand-in.
    const [s1] = await db.select().from(submissions).where(and(eq(submissions.assignmentId, a1.id), eq(submissions.studentId, an)));
    expect(s1).toMatchObject({ status: "graded", score: "7.50" });
    const [s2] = await db.select().from(submissions).where(and(eq(submissions.assignmentId, a1.id), eq(submissions.studentId, khoa)));
    expect(s2.status).toBe("missing");
    const w2 = await linkOf("coursework", "111/w2");
    const [s3] = await db.select().from(submissions).where(and(eq(submissions.assignmentId, w2.localId), eq(submissions.studentId, an)));
    expect(s3).toMatchObject({ status: "submitted", late: true });
    // Events as native work writes them.
    expect((await eventCount("assignment.created")) - eventsBefore.created).toBe(2);
    expect((await eventCount("grade.posted")) - eventsBefore.graded).toBe(1);
    const [graded] = await db.select().from(events).where(and(eq(events.type, "grade.posted"), eq(events.subjectId, s1.id)));
    expect(graded.payload).toMatchObject({ display: "7,5/10", title: "Phân số" });
    expect((await db.select().from(events).where(and(eq(events.type, "submission.missing"), eq(events.studentId, khoa)))).length).toBe(1);
    // Guardian → parent of khoa in the school.
    const hung = await demoLookup(db).user("hung.pv@gmail.com");
    const guardianLinks = await db.select().from(parentLinks).where(and(eq(parentLinks.parentId, hung), eq(parentLinks.studentId, khoa)));
    expect(guardianLinks).toHaveLength(1);
    expect(guardianLinks[0]!.source).toBe(`google:${connectionId}`);
    // Odd records skipped with their reasons.
    const run = await lastRun();
    const skips = await db.select({ kind: syncSkips.kind, externalId: syncSkips.externalId, reason: syncSkips.reason }).from(syncSkips).where(eq(syncSkips.runId, run.id));
    expect(skips.map((s) => `${s.kind}:${s.externalId}:${s.reason}`).sort()).toEqual(
      [
        "course:444:unknown_value:courseState=LOCKED",
        "coursework:w3:unknown_value:workType=FANCY_QUIZ",
        "coursework:w4:missing_field:title",
        "submission:s4:unknown_value:state=PENDING_REVIEW",
        "user:g-hoa:email_other_school:hoa.lt@kimdong.lopso.demo",
        "user:g-noname:missing_field:profile.name",
      ].sort(),
    );
    expect(run.apiCalls).toBeGreaterThan(0);
    expect(c2).toBeDefined();
  });

  it("a re-sync with nothing changed makes only the listing calls and writes nothing", async () => {
    google.classroom.resetCalls();
    const before = await db.select({ n: sql<number>`count(*)::int` }).from(events);
    const out = await syncConnection(db, connectionId);
    expect(out?.status).toBe("succeeded");
    // courses 1; per active course: teachers 1, students 1, courseWork 1, submissions ("-") 1; guardians 1.
    expect(google.classroom.calls).toEqual({
      "courses.list": 1,
      "courses.teachers.list": 2,
      "courses.students.list": 2,
      "courses.courseWork.list": 2,
      "courses.courseWork.studentSubmissions.list": 2,
      "userProfiles.guardians.list": 1,
    });
    const counts = (await lastRun()).counts as Record<string, number>;
    expect(Object.entries(counts).filter(([k, v]) => /\.(created|updated|archived)$/.test(k) && v > 0)).toEqual([]);
    expect(await db.select({ n: sql<number>`count(*)::int` }).from(events)).toEqual(before);
  });

  it("a grade posted on Classroom is one grade.posted, once", async () => {
    const s2 = google.classroom.submissions.find((s) => s.id === "s2")!;
    Object.assign(s2, { state: "RETURNED", assignedGrade: 18, updateTime: "2026-09-20T00:00:00.000Z" });
    const before = await eventCount("grade.posted");
    await syncConnection(db, connectionId);
    expect((await eventCount("grade.posted")) - before).toBe(1);
    const khoa = await demoLookup(db).user(`khoa.pm@${DOMAIN}`);
    const [row] = await db.select().from(submissions).where(eq(submissions.id, (await linkOf("submission", "s2")).localId));
    expect(row).toMatchObject({ studentId: khoa, status: "graded", score: "9.00" });
    await syncConnection(db, connectionId);
    expect((await eventCount("grade.posted")) - before).toBe(1);
  });

  it("a 429 with Retry-After is waited out and the sync finishes", async () => {
    google.classroom.resetCalls();
    google.throttleNext(2);
    const out = await syncConnection(db, connectionId);
    expect(out?.status).toBe("succeeded");
    expect(google.calls.courses).toBeGreaterThan(0);
  });

  it("the scope chosen limits what is read: one chosen course", async () => {
    await db.insert(syncScopes).values({ connectionId, mode: "courses", selection: ["222"], schedule: "manual" });
    google.classroom.resetCalls();
    await syncConnection(db, connectionId);
    expect(google.classroom.calls["courses.teachers.list"]).toBe(1);
    expect(google.classroom.calls["courses.courseWork.list"]).toBe(1);
    await db.update(syncScopes).set({ mode: "teachers", selection: [`minh.tv@${DOMAIN}`] }).where(eq(syncScopes.connectionId, connectionId));
    google.classroom.resetCalls();
    await syncConnection(db, connectionId);
    expect(google.classroom.calls["courses.students.list"]).toBe(1);
    await db.delete(syncScopes).where(eq(syncScopes.connectionId, connectionId));
  });

  it("archived and removed courses archive their classes (nothing deleted)", async () => {
    google.classroom.courses.find((c) => c.id === "111")!.courseState = "ARCHIVED";
    google.classroom.courses.find((c) => c.id === "111")!.updateTime = "2026-10-01T00:00:00.000Z";
    const i = google.classroom.courses.findIndex((c) => c.id === "222");
    google.classroom.courses.splice(i, 1);
    const out = await syncConnection(db, connectionId);
    expect(out?.status).toBe("succeeded");
    for (const id of ["111", "222"]) {
      const link = await linkOf("course", id);
      const [cls] = await db.select().from(classes).where(eq(classes.id, link.localId));
      expect(cls.archivedAt).not.toBeNull();
    }
    expect((await db.select().from(assignments).where(eq(assignments.id, (await linkOf("coursework", "111/w1")).localId))).length).toBe(1);
  });
});

describe("the sync page and the jobs", () => {
  const path = () => `/admin/connections/${connectionId}/sync`;
  const who = {
    schoolAdmin: `hieutruong@${DOMAIN}`,
    province: "so@lopso.demo",
    lan: `lan.nt@${DOMAIN}`,
    hoa: "hoa.lt@kimdong.lopso.demo",
    an: `an.nv@${DOMAIN}`,
    hung: "0912345678",
  } as const;
  const status = (res: Response) => (res.status === 302 && (res.headers.get("location") ?? "").startsWith("/login") ? "login" : res.status);

  it("authorization: the school's admins and the province's, nobody else", async () => {
    const expected: Record<string, number | string> = { anon: "login", schoolAdmin: 200, province: 200, lan: 403, hoa: 403, an: 403, hung: 403 };
    const got: Record<string, number | string> = {};
    const runsBefore = (await db.select().from(syncRuns)).length;
    const refused: Record<string, number | string> = {};
    for (const k of Object.keys(expected)) {
      const c = k === "anon" ? hub.client() : await hub.as(who[k as keyof typeof who]);
      got[k] = status(await c.get(path()));
      if (expected[k] !== 200) refused[k] = status(await c.post(path(), { intent: "sync" }));
    }
    expect(got).toEqual(expected);
    expect(refused).toEqual(Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== 200)));
    expect((await db.select().from(syncRuns)).length).toBe(runsBefore);
    // A connection id that is no course platform's: not found for an admin.
    const admin = await hub.as(who.schoolAdmin);
    expect(status(await admin.get("/admin/connections/00000000-0000-4000-8000-000000000000/sync"))).toBe(404);
    expect(status(await admin.get("/admin/connections/nope/sync"))).toBe(404);
  });

  it("shows the health of the last run with skipped records in plain words, saves the scope, and Sync now is picked up by the due job", async () => {
    const admin = await hub.as(who.schoolAdmin);
    const page = await admin.get(path());
    const html = await page.text();
    expect(html).toContain("Tình trạng đồng bộ");
    expect(html).toContain("Thành công");
    expect(html).toContain("Lượt gọi API");
    const save = await admin.post(path(), { intent: "scope", mode: "teachers", selection: "", schedule: "hourly" });
    expect(save.status).toBe(400);
    expect(await save.text()).toContain("Hãy nhập ít nhất một email");
    expect((await admin.post(path(), { intent: "scope", mode: "all", selection: "", schedule: "manual" })).status).toBe(200);
    expect((await db.select().from(syncScopes).where(eq(syncScopes.connectionId, connectionId)))[0]).toMatchObject({ mode: "all", schedule: "manual" });
    const { dueConnections } = await import("../../app/services/sync/course-sync.server.ts");
    expect(await dueConnections(db)).not.toContain(connectionId);
    expect((await admin.post(path(), { intent: "sync" })).status).toBe(200);
    expect(await dueConnections(db)).toContain(connectionId);
    expect((await syncConnection(db, connectionId))?.status).toBe("succeeded");
    expect(await dueConnections(db)).not.toContain(connectionId);
  });
});

describe("crash and resume", () => {
  /** A school with a fresh connection to a generated domain, in a database of its own. */
  async function world() {
    // The same fake (the hub's settings point at it), emptied and given a generated domain.
    const g = google;
    const c = g.classroom;
    c.users.clear();
    c.courses.length = c.courseWork.length = c.submissions.length = c.guardians.length = 0;
    c.resetCalls();
    seedClassroomDomain(c, { domain: "resume.demo", courses: 3, students: 35, coursework: 3, now: new Date("2026-10-01T00:00:00Z") });
    const database = await freshDatabase();
    const d = database.db;
    const [school] = await d.insert(organizations).values({ kind: "school", name: "Trường THCS Thử", code: `R${crypto.randomInt(1e6)}`, level: "thcs" }).returning();
    const conn = await connectedGoogleSchool(d, g, { schoolId: school.id, client: GOOGLE, admin: `hieutruong@${DOMAIN}`, domain: "resume.demo", scope: CLASSROOM_SCOPES });
    return { g, database, d, conn };
  }

  /** Every synced row by its external id, without the hub's own ids. */
  async function snapshot(d: Db, conn: string) {
    const links = await d.select().from(externalLinks).where(eq(externalLinks.source, `google:${conn}`)).orderBy(asc(externalLinks.kind), asc(externalLinks.externalId));
    const byLocal = new Map(links.map((l) => [l.localId, `${l.kind}:${l.externalId}`]));
    const cls = await d.select({ id: classes.id, name: classes.name, grade: classes.grade, archivedAt: classes.archivedAt }).from(classes);
    const ppl = await d.select({ id: users.id, fullName: users.fullName, email: users.email }).from(users);
    const asg = await d.select({ id: assignments.id, title: assignments.title, dueAt: assignments.dueAt, maxPoints: assignments.maxPoints, classId: assignments.classId }).from(assignments);
    const subs = await d.select({ id: submissions.id, assignmentId: submissions.assignmentId, studentId: submissions.studentId, status: submissions.status, score: submissions.score, late: submissions.late }).from(submissions);
    const ev = await d.select({ type: events.type, subjectId: events.subjectId, studentId: events.studentId }).from(events);
    const members = await d.select().from(classMembers);
    const name = (id: string | null) => (id ? (byLocal.get(id) ?? id) : null);
    return {
      links: links.map((l) => [l.kind, l.externalId, l.version, l.webUrl, Boolean(l.archivedAt)]),
      classes: cls.map((c) => [name(c.id), c.name, c.grade, Boolean(c.archivedAt)]).sort(),
      users: ppl.map((u) => [name(u.id), u.fullName, u.email]).sort(),
      assignments: asg.map((a) => [name(a.id), a.title, a.dueAt.toISOString(), a.maxPoints, name(a.classId)]).sort(),
      submissions: subs.map((s) => [name(s.assignmentId), name(s.studentId), s.status, s.score, s.late]).sort(),
      members: members.map((m) => [name(m.classId), name(m.userId), m.role]).sort(),
      events: ev.map((e) => [e.type, name(e.studentId), e.type === "submission.missing" ? "" : name(e.subjectId)]).sort(),
    };
  }

  it("a sync stopped mid-way and restarted ends with the same rows as an uninterrupted one", async () => {
    const now = () => new Date("2026-10-01T00:00:00Z");
    const straight = await world();
    expect((await syncConnection(straight.d, straight.conn, { now }))?.status).toBe("succeeded");
    const expected = await snapshot(straight.d, straight.conn);
    const straightCalls = straight.g.classroom.totalCalls();
    await straight.database.drop();

    const crashed = await world();
    const stop = new AbortController();
    let seen = 0;
    crashed.g.classroom.onCall = () => {
      if (++seen === 9) stop.abort();
    };
    await expect(syncConnection(crashed.d, crashed.conn, { now, signal: stop.signal })).rejects.toBeInstanceOf(SyncAborted);
    const [open] = await crashed.d.select().from(syncRuns).where(eq(syncRuns.connectionId, crashed.conn));
    expect(open.finishedAt).toBeNull();
    expect((open.cursor as { phase: string }).phase).toBe("course");
    crashed.g.classroom.onCall = undefined;
    expect((await syncConnection(crashed.d, crashed.conn, { now }))?.status).toBe("succeeded");
    expect(await snapshot(crashed.d, crashed.conn)).toEqual(expected);
    // The resumed run re-read at most the page it was stopped on.
    expect(crashed.g.classroom.totalCalls()).toBeLessThanOrEqual(straightCalls + 1);
    const runs = await crashed.d.select().from(syncRuns).where(eq(syncRuns.connectionId, crashed.conn));
    expect(runs).toHaveLength(1);
    await crashed.database.drop();
  }, 240_000);
});

void inArray;
void connections;
