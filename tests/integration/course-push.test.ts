/**
 * Push-out of hub lessons and assignments to the Classroom and Teams courses their class is
 * linked to, through the real hub (its editors), the real course-push job, the real providers and
 * the local Google and Graph fakes: a published lesson becomes a Classroom material and a Teams
 * module with a link back; an edit patches both; unpublishing or deleting removes them; an
 * assignment becomes course work / an assignment with its due time and points; a retry after a
 * lost reply posts nothing twice; a platform's refusal is shown in plain words; a teacher of
 * another class or school cannot push; a class linked to no course offers no checkbox.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coursePushes, externalLinks } from "../../db/schema/index.ts";
import { upsertMicrosoftConnection } from "../../app/services/connections/microsoft.server.ts";
import { runCoursePushes } from "../../app/services/sync/push.server.ts";
import { JOBS } from "../../app/jobs/queue.server.ts";
import { connectedGoogleSchool, connectedMicrosoftTeacher } from "../support/connections.ts";
import { demoLookup } from "../support/demo.ts";
import { htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google/server.ts";
import { startFakeMicrosoft, type FakeMicrosoft } from "../fakes/microsoft/server.ts";

const DOMAIN = "nguyendu.lopso.demo";
const LAN = `lan.nt@${DOMAIN}`;
const ADMIN = `hieutruong@${DOMAIN}`;
const CLIENT = { clientId: "school-client.apps.googleusercontent.com", clientSecret: "school-secret" };
const TENANT = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
const MS_APP = { clientId: "5a6b7c8d-1111-2222-3333-444455556666", clientSecret: "ms-app-secret" };
const CLASSROOM_SCOPES = "openid https://www.googleapis.com/auth/classroom.courseworkmaterials https://www.googleapis.com/auth/classroom.coursework.students";
const GRAPH_SCOPES = "openid profile email offline_access User.Read EduAssignments.ReadWriteBasic";
const APP_URL = "https://lopso.example.vn";
const COURSE = "604221357913";
const TEAMS_CLASS = "72a7baec-c3e9-4213-a850-f62de0adad5f";

let hub: Hub;
let google: FakeGoogle;
let microsoft: FakeMicrosoft;
let lan: Client, minh: Client, hoa: Client;
let toan6: string, van6: string;
let googleSource: string, msSource: string;

const db = () => hub.database.db;
const idFrom = (res: Response, re: RegExp) => re.exec(res.headers.get("location") ?? "")![1];
/** The course-push job as the worker runs it (at `now`, for a retry that is due later). */
const runJob = async (now?: Date) => (now ? runCoursePushes(db(), { now }) : JOBS.find((j) => j.name === "course-push")!.run(hub.database, {}));
const later = () => new Date(Date.now() + 3 * 3600_000);
const pushesOf = (itemId: string) => db().select().from(coursePushes).where(eq(coursePushes.itemId, itemId));
const editorText = async (c: Client, path: string) => htmlText(await (await c.get(path)).text());

beforeAll(async () => {
  google = await startFakeGoogle({ clients: [CLIENT], accounts: [{ sub: "g-admin", email: ADMIN, name: "Vũ Thị Hạnh", hd: DOMAIN }], courses: [{ id: COURSE, name: "Toán 6A1", ownerId: "g-admin" }] });
  microsoft = await startFakeMicrosoft([{ tenantId: TENANT, ...MS_APP, displayName: "THCS Nguyễn Du", domain: DOMAIN, accounts: [{ sub: "m-lan", email: LAN, name: "Nguyễn Thị Lan" }] }]);
  microsoft.education.classes.push({ id: TEAMS_CLASS, displayName: "Toán 6A1" });
  Object.assign(process.env, {
    GOOGLE_ISSUER: google.url,
    GOOGLE_API_URL: `${google.url}/`,
    MICROSOFT_LOGIN_URL: microsoft.url,
    MICROSOFT_GRAPH_URL: `${microsoft.url}/v1.0`,
    APP_URL,
  });
  hub = await startHub();
  const find = demoLookup(db());
  const schoolId = await find.school("79001");
  toan6 = await find.class("6A1", "toan");
  van6 = await find.class("6A1", "ngu-van");
  // The school's Google (an admin's grant) and Microsoft app; Lan's own delegated Teams sign-in.
  const g = await connectedGoogleSchool(db(), google, { schoolId, client: CLIENT, admin: ADMIN, domain: DOMAIN, scope: CLASSROOM_SCOPES });
  const app = await upsertMicrosoftConnection(db(), { schoolCode: "79001", tenantId: TENANT, ...MS_APP }, { actorId: null, address: "cli" });
  await connectedMicrosoftTeacher(db(), microsoft, { schoolId, teacherId: await find.user(LAN), appConnectionId: app.id, tenantId: TENANT, clientId: MS_APP.clientId, email: LAN, scope: GRAPH_SCOPES });
  // Toán 6A1 is linked to a Classroom course (synced through the school's Google) and to a Teams
  // class (synced through the school's Microsoft app); Ngữ văn 6A1 to none.
  googleSource = `google:${g}`;
  msSource = `microsoft:${app.id}`;
  await db().insert(externalLinks).values([
    { source: googleSource, kind: "course", externalId: COURSE, localId: toan6, schoolId, webUrl: `https://classroom.google.com/c/${COURSE}` },
    { source: msSource, kind: "course", externalId: TEAMS_CLASS, localId: toan6, schoolId },
  ]);
  [lan, minh, hoa] = await Promise.all([hub.as(LAN), hub.as(`minh.tv@${DOMAIN}`), hub.as("hoa.lt@kimdong.lopso.demo")]);
});

afterAll(async () => {
  await hub?.close();
  await google?.close();
  await microsoft?.close();
});

describe("posting a lesson to the class's Classroom and Teams", () => {
  let lessonId: string;

  it("offers the checkbox only in a class linked to a course", async () => {
    expect(await editorText(lan, `/classes/${toan6}/lessons/new`)).toContain("Đăng lên Google Classroom / Teams");
    expect(await editorText(lan, `/classes/${toan6}/assignments/new`)).toContain("Đăng lên Google Classroom / Teams");
    expect(await editorText(minh, `/classes/${van6}/lessons/new`)).not.toContain("Đăng lên Google Classroom / Teams");
    expect(await editorText(minh, `/classes/${van6}/assignments/new`)).not.toContain("Đăng lên Google Classroom / Teams");
  });

  it("posts a published lesson as a material and a module, each with a link back, and shows it posted", async () => {
    const res = await lan.post(`/classes/${toan6}/lessons/new`, { title: "Bài 10. Hỗn số", bodyMd: "Đọc kĩ phần lí thuyết.", intent: "publish", pushToPlatforms: "on" });
    expect(res.status).toBe(302);
    lessonId = idFrom(res, /\/lessons\/([0-9a-f-]{36})\/edit/);
    expect((await pushesOf(lessonId)).map((p) => p.status)).toEqual(["pending", "pending"]);
    expect(await editorText(lan, `/classes/${toan6}/lessons/${lessonId}/edit`)).toContain("Đang chờ đăng lên Google Classroom");
    expect(await runJob()).toMatchObject({ posted: 2 });

    const link = `${APP_URL}/lessons/${lessonId}`;
    const [material] = [...google.classroomPublish.materials.values()];
    expect(material).toMatchObject({ courseId: COURSE, title: "Bài 10. Hỗn số", state: "PUBLISHED", description: `Đọc kĩ phần lí thuyết.\n\n${link}`, materials: [{ link: { url: link } }] });
    const [module] = [...microsoft.education.modules.values()];
    expect(module).toMatchObject({ classId: TEAMS_CLASS, displayName: "Bài 10. Hỗn số", status: "published" });
    expect(module.resources[0]).toMatchObject({ resource: { link } });
    const links = await db().select().from(externalLinks).where(and(eq(externalLinks.kind, "material"), eq(externalLinks.localId, lessonId)));
    expect(links.map((l) => [l.source, l.externalId]).sort()).toEqual([[googleSource, material.id], [msSource, module.id]].sort());
    expect(links.find((l) => l.source === googleSource)?.webUrl).toBe(material.alternateLink);
    const page = await (await lan.get(`/classes/${toan6}/lessons/${lessonId}/edit`)).text();
    expect(htmlText(page)).toContain("Đã đăng lên Google Classroom");
    expect(htmlText(page)).toContain("Đã đăng lên Microsoft Teams");
    expect(page).toContain(`href="${material.alternateLink}"`);
  });

  it("patches both copies when the lesson is edited (nothing posted twice)", async () => {
    const res = await lan.post(`/classes/${toan6}/lessons/${lessonId}/edit`, { title: "Bài 10. Hỗn số (bổ sung)", bodyMd: "Thêm ví dụ.", intent: "publish", pushToPlatforms: "on" });
    expect(res.status).toBe(302);
    expect(await runJob()).toMatchObject({ posted: 2 });
    expect(google.classroomPublish.materials.size).toBe(1);
    expect(microsoft.education.modules.size).toBe(1);
    expect([...google.classroomPublish.materials.values()][0]).toMatchObject({ title: "Bài 10. Hỗn số (bổ sung)", description: `Thêm ví dụ.\n\n${APP_URL}/lessons/${lessonId}` });
    expect([...microsoft.education.modules.values()][0]).toMatchObject({ displayName: "Bài 10. Hỗn số (bổ sung)" });
    expect(google.classroomPublish.calls["courseWorkMaterials.PATCH"]).toBe(1);
  });

  it("removes both copies when the lesson is taken back to draft, and says so", async () => {
    const res = await lan.post(`/classes/${toan6}`, { intent: "unpublish", lessonId });
    expect(res.status).toBeLessThan(400);
    expect(await runJob()).toMatchObject({ removed: 2 });
    expect(google.classroomPublish.materials.size).toBe(0);
    expect(microsoft.education.modules.size).toBe(0);
    const links = await db().select().from(externalLinks).where(and(eq(externalLinks.kind, "material"), eq(externalLinks.localId, lessonId)));
    expect(links.every((l) => l.archivedAt !== null)).toBe(true);
    expect(await editorText(lan, `/classes/${toan6}/lessons/${lessonId}/edit`)).toContain("Đã gỡ khỏi Google Classroom");
  });

  it("posts again once only after a lost reply (the retry finds the item made), and removes it when the lesson is deleted", async () => {
    google.classroomPublish.loseRepliesNext(1);
    microsoft.education.loseRepliesNext(1);
    await lan.post(`/classes/${toan6}/lessons/${lessonId}/edit`, { title: "Bài 10. Hỗn số", bodyMd: "Đăng lại.", intent: "publish", pushToPlatforms: "on" });
    expect(await runJob()).toMatchObject({ retry: 2 });
    expect(await editorText(lan, `/classes/${toan6}/lessons/${lessonId}/edit`)).toContain("sẽ thử lại");
    expect(await runJob(later())).toMatchObject({ posted: 2 });
    expect(google.classroomPublish.materials.size).toBe(1);
    expect(google.classroomPublish.calls["courseWorkMaterials.created"]).toBe(2);
    expect(microsoft.education.modules.size).toBe(1);
    // The job run once more has nothing to do.
    expect(await runJob(later())).toMatchObject({ posted: 0, retry: 0 });

    const del = await lan.post(`/classes/${toan6}/lessons/${lessonId}/delete`, {});
    expect(del.status).toBe(302);
    expect(await runJob()).toMatchObject({ removed: 2 });
    expect(google.classroomPublish.materials.size).toBe(0);
    expect(microsoft.education.modules.size).toBe(0);
  });
});

describe("posting an assignment", () => {
  let assignmentId: string;

  it("posts course work and a Teams assignment with the due time and points, updates them, removes them", async () => {
    const res = await lan.post(`/classes/${toan6}/assignments/new`, {
      title: "Bài tập hỗn số",
      instructionsMd: "Làm bài 1 đến 5.",
      dueAt: "2027-01-10T21:00",
      scale: "points",
      maxPoints: "20",
      assessment: "regular",
      term: "2",
      pushToPlatforms: "on",
    });
    expect(res.status).toBe(302);
    assignmentId = idFrom(res, /\/assignments\/([0-9a-f-]{36})\//);
    expect(await runJob()).toMatchObject({ posted: 2 });
    const [work] = [...google.classroomPublish.courseWork.values()];
    // 21:00 in Hà Nội is 14:00 UTC (Classroom's due date and time are UTC).
    expect(work).toMatchObject({ title: "Bài tập hỗn số", workType: "ASSIGNMENT", state: "PUBLISHED", maxPoints: 20, dueDate: { year: 2027, month: 1, day: 10 }, dueTime: { hours: 14, minutes: 0 }, materials: [{ link: { url: `${APP_URL}/assignments/${assignmentId}` } }] });
    const teams = [...microsoft.education.assignments.values()].find((a) => a.displayName === "Bài tập hỗn số")!;
    expect(teams).toMatchObject({ status: "published", dueDateTime: "2027-01-10T14:00:00.000Z", grading: { maxPoints: 20 } });
    expect(await editorText(lan, `/classes/${toan6}/assignments/${assignmentId}/edit`)).toContain("Đã đăng lên Microsoft Teams");

    await lan.post(`/classes/${toan6}/assignments/${assignmentId}/edit`, { title: "Bài tập hỗn số", instructionsMd: "Làm bài 1 đến 6.", dueAt: "2027-01-12T21:00", scale: "points", maxPoints: "20", assessment: "regular", term: "2", pushToPlatforms: "on" });
    expect(await runJob()).toMatchObject({ posted: 2 });
    expect(google.classroomPublish.courseWork.get(work.id)).toMatchObject({ dueDate: { year: 2027, month: 1, day: 12 }, description: `Làm bài 1 đến 6.\n\n${APP_URL}/assignments/${assignmentId}` });
    expect(microsoft.education.assignments.get(teams.id)).toMatchObject({ dueDateTime: "2027-01-12T14:00:00.000Z" });

    const del = await lan.post(`/classes/${toan6}/assignments/${assignmentId}/delete`, {});
    expect(del.status).toBe(302);
    expect(await runJob()).toMatchObject({ removed: 2 });
    expect(google.classroomPublish.courseWork.size).toBe(0);
    expect(microsoft.education.assignments.has(teams.id)).toBe(false);
  });

  it("shows a platform's refusal in plain words, and does not try it again", async () => {
    google.classroomPublish.refuseWritesNext(1, 403, "PERMISSION_DENIED", "The caller does not have permission");
    microsoft.education.refuseWritesNext(1, 400, "BadRequest", "Due date must be later than the assign date.");
    const res = await lan.post(`/classes/${toan6}/assignments/new`, { title: "Bài tập bị từ chối", instructionsMd: "", dueAt: "2027-01-10T21:00", scale: "ten_point", assessment: "regular", term: "2", pushToPlatforms: "on" });
    const id = idFrom(res, /\/assignments\/([0-9a-f-]{36})\//);
    expect(await runJob()).toMatchObject({ failed: 2 });
    const text = await editorText(lan, `/classes/${toan6}/assignments/${id}/edit`);
    expect(text).toContain("Chưa đăng được lên Google Classroom: tài khoản dùng để đăng không có quyền với lớp này trên nền tảng: The caller does not have permission");
    expect(text).toContain("Chưa đăng được lên Microsoft Teams: nền tảng từ chối: Due date must be later than the assign date.");
    expect(await runJob(later())).toMatchObject({ failed: 0, posted: 0 });
    // Saved again with the box ticked, it is tried again (and now goes through).
    await lan.post(`/classes/${toan6}/assignments/${id}/edit`, { title: "Bài tập bị từ chối", instructionsMd: "", dueAt: "2027-01-10T21:00", scale: "ten_point", assessment: "regular", term: "2", pushToPlatforms: "on" });
    expect(await runJob()).toMatchObject({ posted: 2 });
    expect([...google.classroomPublish.courseWork.values()].find((w) => w.title === "Bài tập bị từ chối")).toMatchObject({ maxPoints: 10 });
  });
});

describe("who can push", () => {
  it("a teacher of another class of the school, or of another school, cannot post to Toán 6A1", async () => {
    const res = await lan.post(`/classes/${toan6}/lessons/new`, { title: "Bài 11. Số thập phân", bodyMd: "Nội dung.", intent: "publish" });
    const lessonId = idFrom(res, /\/lessons\/([0-9a-f-]{36})\/edit/);
    expect(await pushesOf(lessonId)).toEqual([]);
    for (const other of [minh, hoa]) {
      const tried = await other.post(`/classes/${toan6}/lessons/${lessonId}/edit`, { title: "Bài 11. Số thập phân", bodyMd: "Sửa.", intent: "publish", pushToPlatforms: "on" });
      expect(tried.status).toBe(404);
      const created = await other.post(`/classes/${toan6}/assignments/new`, { title: "Bài tập lạ", dueAt: "2027-01-10T21:00", scale: "ten_point", pushToPlatforms: "on" });
      expect(created.status).toBe(404);
      expect((await other.get(`/classes/${toan6}/lessons/${lessonId}/edit`)).status).toBe(404);
    }
    expect(await pushesOf(lessonId)).toEqual([]);
  });
});
