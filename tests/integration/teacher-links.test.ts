/**
 * A teacher links their own hub class to their own course on Google Classroom or Microsoft Teams
 * (the school's connection lists the courses they teach, by email): the school's next sync fills
 * that class instead of making a new one, and the class, its students and its synced assignments
 * show "Mở trên Google Classroom". Teams classes go through the same sync engine as Classroom.
 * Refusals: a course the teacher does not teach, a course another class holds, a second course for
 * one class, and everyone who is not a teacher of the class.
 */
import crypto from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments, classes, classMembers, connections, externalLinks, submissions, syncRuns } from "../../db/schema/index.ts";
import type { Db } from "../../db/client.server.ts";
import { upsertMicrosoftConnection } from "../../app/services/connections/microsoft.server.ts";
import { connectionById, testConnection } from "../../app/services/connections/check.server.ts";
import { syncConnection } from "../../app/services/sync/course-sync.server.ts";
import { demoLookup } from "../support/demo.ts";
import { connectedGoogleSchool } from "../support/connections.ts";
import { startHub, type Hub } from "../support/hub.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google/server.ts";
import { startFakeMicrosoft, type FakeMicrosoft } from "../fakes/microsoft/server.ts";

const DOMAIN = "nguyendu.lopso.demo";
const A = "https://www.googleapis.com/auth/";
const CLASSROOM_SCOPES = `openid ${A}classroom.courses.readonly ${A}classroom.rosters.readonly ${A}classroom.profile.emails ${A}classroom.coursework.students`;
const GOOGLE = { clientId: "lopso-79001.apps.googleusercontent.com", clientSecret: "GOCSPX-links" };
const TENANT = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const MS_APP = { clientId: "6b7c8d9e-1111-2222-3333-444455556666", clientSecret: "ms-links-secret" };

let hub: Hub;
let google: FakeGoogle;
let microsoft: FakeMicrosoft;
let db: Db;
let googleId: string;
let microsoftId: string;
let toan6: string;
let khtn7: string;
let van6: string;

const future = new Date(Date.now() + 5 * 86_400_000);

beforeAll(async () => {
  google = await startFakeGoogle({ clients: [GOOGLE], accounts: [{ sub: "g-admin", email: `hieutruong@${DOMAIN}`, name: "Vũ Thị Hạnh", hd: DOMAIN }] });
  const c = google.classroom;
  const u = (id: string, fullName: string, email: string) => c.users.set(id, { id, fullName, email });
  u("g-lan", "Nguyễn Thị Lan", `lan.nt@${DOMAIN}`);
  u("g-minh", "Trần Văn Minh", `minh.tv@${DOMAIN}`);
  u("g-an", "Nguyễn Văn An", `an.nv@${DOMAIN}`);
  u("g-new", "Đỗ Thị Ngân", `ngan.dt@${DOMAIN}`);
  c.courses.push(
    // Named unlike the hub class: without the teacher's link a sync would make a class of its own.
    { id: "c-lan", name: "Toán lớp 6 — cô Lan", section: "Sáng thứ 2", ownerId: "g-lan", teachers: ["g-lan"], students: ["g-an", "g-new"], updateTime: "2026-09-01T00:00:00.000Z" },
    { id: "c-lan-2", name: "Câu lạc bộ Toán", ownerId: "g-lan", teachers: ["g-lan"], students: [], updateTime: "2026-09-01T00:00:00.000Z" },
    { id: "c-minh", name: "Ngữ văn 6A1", ownerId: "g-minh", teachers: ["g-minh"], students: ["g-an"], updateTime: "2026-09-01T00:00:00.000Z" },
  );
  c.courseWork.push({ id: "w-lan", courseId: "c-lan", title: "Bài tập phân số (Classroom)", maxPoints: 10, dueDate: { year: future.getUTCFullYear(), month: future.getUTCMonth() + 1, day: future.getUTCDate() }, dueTime: { hours: 10 }, updateTime: "2026-09-02T00:00:00.000Z" });

  microsoft = await startFakeMicrosoft([{ tenantId: TENANT, ...MS_APP, displayName: "THCS Nguyễn Du", domain: DOMAIN }]);
  const edu = microsoft.education;
  const member = (id: string, displayName: string, mail: string, primaryRole: string) => ({ id, displayName, mail, userPrincipalName: mail, primaryRole });
  edu.classes.push({ id: "t-khtn", displayName: "KHTN 7 (Teams)", classCode: "KHTN7T" }, { id: "t-other", displayName: "Tin học 8", classCode: "TIN8" });
  edu.members.set("t-khtn", [member("m-lan", "Nguyễn Thị Lan", `lan.nt@${DOMAIN}`, "teacher"), member("m-khoa", "Bùi Đăng Khoa", `khoa.bd@${DOMAIN}`, "student"), member("m-tuan", "Lý Văn Tuấn", `tuan.lv@${DOMAIN}`, "student")]);
  edu.teachers.set("t-khtn", ["m-lan"]);
  edu.members.set("t-other", [member("m-minh", "Trần Văn Minh", `minh.tv@${DOMAIN}`, "teacher")]);
  edu.teachers.set("t-other", ["m-minh"]);
  edu.assignments.set("t-a1", { id: "t-a1", classId: "t-khtn", displayName: "Thí nghiệm nam châm", status: "assigned", dueDateTime: future.toISOString(), grading: { "@odata.type": "#microsoft.graph.educationAssignmentPointsGradeType", maxPoints: 20 }, webUrl: "https://teams.microsoft.com/l/entity/assignments/t-a1", resources: [] });
  edu.submissions.set("t-a1", [
    { id: "t-s1", status: "returned", recipient: { userId: "m-khoa" }, submittedDateTime: new Date().toISOString(), outcomes: [{ "@odata.type": "#microsoft.graph.educationPointsOutcome", id: "p1", points: { points: 16 }, publishedPoints: { points: 16 } }] },
  ]);

  Object.assign(process.env, { GOOGLE_ISSUER: google.url, GOOGLE_API_URL: `${google.url}/`, MICROSOFT_LOGIN_URL: microsoft.url, MICROSOFT_GRAPH_URL: `${microsoft.url}/v1.0` });
  hub = await startHub();
  db = hub.database.db;
  const find = demoLookup(db);
  const school = await find.school("79001");
  toan6 = await find.class("6A1", "toan");
  van6 = await find.class("6A1", "ngu-van");
  khtn7 = await find.class("7A2", "khtn");
  googleId = await connectedGoogleSchool(db, google, { schoolId: school, client: GOOGLE, admin: `hieutruong@${DOMAIN}`, domain: DOMAIN, scope: CLASSROOM_SCOPES });
  const app = await upsertMicrosoftConnection(db, { schoolCode: "79001", tenantId: TENANT, ...MS_APP }, { actorId: null, address: "cli" });
  microsoftId = app.id;
  const row = (await connectionById(db, microsoftId))!;
  if (row.status !== "connected") expect((await testConnection(db, row, { actorId: null, address: "cli" })).ok).toBe(true);
});

afterAll(async () => {
  await hub?.close();
  await Promise.all([google?.close(), microsoft?.close()]);
});

const courseLink = async (source: string, externalId: string) =>
  (await db.select().from(externalLinks).where(and(eq(externalLinks.source, source), eq(externalLinks.kind, "course"), eq(externalLinks.externalId, externalId))))[0];

describe("a teacher links their class to their own course", () => {
  it("lists only the courses the teacher teaches, on each platform the school connected", async () => {
    const lan = await hub.as(`lan.nt@${DOMAIN}`);
    const res = await lan.get(`/classes/${toan6}/platforms`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Liên kết lớp với Google Classroom / Teams");
    expect(html).toContain("Toán lớp 6 — cô Lan");
    expect(html).toContain("Câu lạc bộ Toán");
    expect(html).not.toContain("Ngữ văn 6A1</");
    // Teams: her taughtClasses, not the whole tenant's classes.
    expect(html).toContain("KHTN 7 (Teams)");
    expect(html).not.toContain("Tin học 8");
    expect(microsoft.education.requests.some((r) => r.includes(`/education/users/${encodeURIComponent(`lan.nt@${DOMAIN}`)}/taughtClasses`))).toBe(true);
  });

  it("links a Classroom course to the class; the next sync fills that class instead of making one", async () => {
    const lan = await hub.as(`lan.nt@${DOMAIN}`);
    const classesBefore = (await db.select({ n: sql<number>`count(*)::int` }).from(classes))[0].n;
    const res = await lan.post(`/classes/${toan6}/platforms`, { connectionId: googleId, courseId: "c-lan" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Đã liên kết lớp với “Toán lớp 6 — cô Lan”");
    const link = await courseLink(`google:${googleId}`, "c-lan");
    expect(link).toMatchObject({ localId: toan6, archivedAt: null });
    expect(link.webUrl).toMatch(/^https:\/\/classroom\.google\.com\/c\//);
    // A sync of the school's connection was asked for.
    const [open] = await db.select().from(syncRuns).where(and(eq(syncRuns.connectionId, googleId), sql`${syncRuns.finishedAt} is null`));
    expect(open).toBeDefined();

    expect(await syncConnection(db, googleId)).toMatchObject({ status: "succeeded" });
    // c-lan went into Toán 6A1; c-lan-2 and c-minh became classes of their own: two new, not three.
    expect((await db.select({ n: sql<number>`count(*)::int` }).from(classes))[0].n).toBe(classesBefore + 2);
    expect((await courseLink(`google:${googleId}`, "c-lan")).localId).toBe(toan6);
    const ngan = await demoLookup(db).user(`ngan.dt@${DOMAIN}`);
    const roster = await db.select({ userId: classMembers.userId }).from(classMembers).where(and(eq(classMembers.classId, toan6), eq(classMembers.role, "student")));
    expect(roster.map((r) => r.userId)).toContain(ngan);
    const [work] = await db.select().from(assignments).where(and(eq(assignments.classId, toan6), eq(assignments.title, "Bài tập phân số (Classroom)")));
    expect(work).toBeDefined();

    // The class page, the student's class page and the synced assignment open Classroom.
    const teacherPage = await (await lan.get(`/classes/${toan6}`)).text();
    expect(teacherPage).toContain("Mở trên Google Classroom");
    expect(teacherPage).toContain(link.webUrl!);
    const an = await hub.as(`an.nv@${DOMAIN}`);
    expect(await (await an.get(`/my/classes/${toan6}`)).text()).toContain("Mở trên Google Classroom");
    const workPage = await (await an.get(`/assignments/${work.id}`)).text();
    expect(workPage).toMatch(/href="https:\/\/classroom\.google\.com\/[^"]+"[^>]*>Mở trên Google Classroom/);
    // A native assignment has no such link.
    const native = await demoLookup(db).assignment("Bài tập về tập hợp");
    expect(await (await an.get(`/assignments/${native}`)).text()).not.toContain("Mở trên Google Classroom");
  });

  it("shows a linked course as linked, and refuses what is not the teacher's or is taken", async () => {
    const lan = await hub.as(`lan.nt@${DOMAIN}`);
    const page = await (await lan.get(`/classes/${toan6}/platforms`)).text();
    expect(page).toContain("Đã liên kết với lớp này");
    // A second course for the same class on the same platform.
    let res = await lan.post(`/classes/${toan6}/platforms`, { connectionId: googleId, courseId: "c-lan-2" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Lớp này đã được liên kết với một khoá học khác");
    // A course she does not teach.
    res = await lan.post(`/classes/${khtn7}/platforms`, { connectionId: googleId, courseId: "c-minh" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Thầy cô không dạy khoá học này");
    // A course another class holds (c-lan-2 has its own class since the sync).
    res = await lan.post(`/classes/${khtn7}/platforms`, { connectionId: googleId, courseId: "c-lan-2" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Khoá học này đã được liên kết với một lớp khác");
    // Made-up ids.
    res = await lan.post(`/classes/${khtn7}/platforms`, { connectionId: "not-a-uuid", courseId: "c-lan" });
    expect(res.status).toBe(400);
    res = await lan.post(`/classes/${khtn7}/platforms`, { connectionId: crypto.randomUUID(), courseId: "c-lan" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Kết nối này không thuộc trường của lớp");
    expect((await courseLink(`google:${googleId}`, "c-minh")).localId).not.toBe(khtn7);
  });

  it("refuses everyone who does not teach the class", async () => {
    const anonymous = await hub.client().get(`/classes/${toan6}/platforms`);
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("location")).toMatch(/^\/login/);
    for (const login of [`minh.tv@${DOMAIN}`, `hoa.lt@kimdong.lopso.demo`, `an.nv@${DOMAIN}`, "0912345678", `hieutruong@${DOMAIN}`]) {
      const who = await hub.as(login);
      const get = await who.get(`/classes/${toan6}/platforms`);
      expect([403, 404], login).toContain(get.status);
      const post = await who.post(`/classes/${toan6}/platforms`, { connectionId: googleId, courseId: "c-lan-2" });
      expect([400, 403, 404], login).toContain(post.status);
    }
    expect((await courseLink(`google:${googleId}`, "c-lan-2")).localId).not.toBe(toan6);
  });

  it("links a Teams class the same way, and a Teams sync through the engine brings its members, assignments and grades", async () => {
    const lan = await hub.as(`lan.nt@${DOMAIN}`);
    const res = await lan.post(`/classes/${khtn7}/platforms`, { connectionId: microsoftId, courseId: "t-khtn" });
    expect(res.status).toBe(200);
    expect((await courseLink(`microsoft:${microsoftId}`, "t-khtn")).localId).toBe(khtn7);

    const out = await syncConnection(db, microsoftId);
    expect(out).toMatchObject({ status: "succeeded" });
    // The linked Teams class filled KHTN 7A2; the other class became its own, archived never.
    const other = await courseLink(`microsoft:${microsoftId}`, "t-other");
    expect(other.localId).not.toBe(khtn7);
    const find = demoLookup(db);
    const [khoa, tuan] = [await find.user(`khoa.bd@${DOMAIN}`), await find.user(`tuan.lv@${DOMAIN}`)];
    const roster = await db.select({ userId: classMembers.userId, role: classMembers.role }).from(classMembers).where(eq(classMembers.classId, khtn7));
    expect(roster.filter((r) => r.role === "student").map((r) => r.userId)).toEqual(expect.arrayContaining([khoa, tuan]));
    const [work] = await db.select().from(assignments).where(and(eq(assignments.classId, khtn7), eq(assignments.title, "Thí nghiệm nam châm")));
    expect(work).toBeDefined();
    // 16 of 20 points → 8 on the 10-point scale, graded.
    const [sub] = await db.select().from(submissions).where(and(eq(submissions.assignmentId, work.id), eq(submissions.studentId, khoa)));
    expect(sub).toMatchObject({ status: "graded" });
    expect(Number(sub.score)).toBe(8);
    // The synced assignment opens in Teams.
    const khoaClient = await hub.as(`khoa.bd@${DOMAIN}`);
    expect(await (await khoaClient.get(`/assignments/${work.id}`)).text()).toContain("Mở trên Microsoft Teams");
    // A re-sync with nothing changed writes no new rows.
    const count = async () => (await db.select({ n: sql<number>`count(*)::int` }).from(submissions).where(inArray(submissions.assignmentId, [work.id])))[0].n;
    const before = await count();
    expect(await syncConnection(db, microsoftId)).toMatchObject({ status: "succeeded" });
    expect(await count()).toBe(before);
    const [conn] = await db.select().from(connections).where(eq(connections.id, microsoftId));
    expect(conn.status).toBe("connected");
  });
});
