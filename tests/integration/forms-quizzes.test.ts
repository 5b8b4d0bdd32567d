/**
 * Google Forms quizzes on hub assignments, through the real hub, the real @googleapis/forms client
 * and the real token source against the fake Google's Forms API: attaching by address (the
 * editor's and the …/viewform one; anything else, or a class without a Google connection, gets a
 * clear message and nothing is written); reading after the due date over several pages of
 * responses records matched students' grades on the assignment's scale with one grade.posted each;
 * a re-read changes nothing; a later submission updates the grade, never duplicates it; responses
 * with an unknown or no email are listed for the teacher, who gives one to a student; a connection
 * without the Forms scopes shows its admin "Cấp thêm quyền" and the read records why; 403, 404 and
 * 429 from Forms are recorded with their reason; and a Classroom coursework that carries a form
 * shows its link after the sync, its grade coming with the sync.
 */
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignmentQuizzes, assignments, connections, events, externalLinks, quizResponses, submissions } from "../../db/schema/index.ts";
import type { Db } from "../../db/client.server.ts";
import { dueQuizzes, quizReader, readDueQuizzes, readQuizScores } from "../../app/services/quizzes.server.ts";
import { refOf } from "../../app/services/live-session-platforms.server.ts";
import type { QuizResponseRecord } from "../../integrations/ports.ts";
import { syncConnection } from "../../app/services/sync/course-sync.server.ts";
import { demoLookup } from "../support/demo.ts";
import { connectedGoogleSchool, connectedGoogleTeacher, FORMS_SCOPES, MEET_SCOPES } from "../support/connections.ts";
import { fieldError, htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { startFakeGoogle, type FakeForm, type FakeGoogle } from "../fakes/google/server.ts";

const DOMAIN = "nguyendu.lopso.demo";
const GOOGLE = { clientId: "lopso-79001.apps.googleusercontent.com", clientSecret: "GOCSPX-forms" };
/** The hub's own app, through which teachers connect their own accounts. */
const HUB_APP = { clientId: "lopso-hub.apps.googleusercontent.com", clientSecret: "GOCSPX-hub" };
const A = "https://www.googleapis.com/auth/";
const CLASSROOM = `${A}classroom.courses.readonly ${A}classroom.rosters.readonly ${A}classroom.profile.emails ${A}classroom.coursework.students`;
const ALL_SCOPES = `${MEET_SCOPES} ${CLASSROOM} ${FORMS_SCOPES}`;

let hub: Hub;
let google: FakeGoogle;
let db: Db;
let lan: Client;
let an: Client;
let connectionId: string;
let quiz: FakeForm;
const ids: Record<string, string> = {};
const quizPage = () => `/assignments/${ids.assignment}/quiz`;
const editUrl = (id: string) => `https://docs.google.com/forms/d/${id}/edit`;

const grade = async (studentId: string, assignmentId = ids.assignment) =>
  (await db.select({ status: submissions.status, score: submissions.score, level: submissions.level }).from(submissions).where(and(eq(submissions.assignmentId, assignmentId), eq(submissions.studentId, studentId))))[0];
const postedFor = async (studentId: string) =>
  (
    await db
      .select({ n: sql<number>`count(*)::int` })
      .from(events)
      .where(and(eq(events.type, "grade.posted"), eq(events.studentId, studentId), sql`${events.payload}->>'assignmentId' = ${ids.assignment}`))
  )[0].n;
const quizRow = async () => (await db.select().from(assignmentQuizzes).where(eq(assignmentQuizzes.assignmentId, ids.assignment)))[0];
const responseRows = async () => db.select().from(quizResponses).where(eq(quizResponses.assignmentId, ids.assignment));
const page = async (c: Client, path = quizPage()) => {
  const r = await c.html(path);
  expect(r.status).toBe(200);
  return r.text;
};

beforeAll(async () => {
  google = await startFakeGoogle({
    clients: [GOOGLE, HUB_APP],
    accounts: [
      { sub: "g-admin", email: `hieutruong@${DOMAIN}`, name: "Vũ Thị Hạnh", hd: DOMAIN },
      { sub: "g-hoa", email: "hoa.lt@kimdong.lopso.demo", name: "Lê Thị Hoa" },
    ],
  });
  Object.assign(process.env, { GOOGLE_ISSUER: google.url, GOOGLE_API_URL: `${google.url}/` });
  hub = await startHub();
  db = hub.database.db;
  const find = demoLookup(db);
  ids.school = await find.school("79001");
  ids.toan6 = await find.class("6A1", "toan");
  ids.lan = await find.user(`lan.nt@${DOMAIN}`);
  for (const k of ["an.nv", "binh.tt", "cuong.lh", "giang.ht", "dung.pm"]) ids[k] = await find.user(`${k}@${DOMAIN}`);
  const [a] = await db
    .insert(assignments)
    .values({ classId: ids.toan6, authorId: ids.lan, title: "Kiểm tra 15 phút: phân số", dueAt: new Date(Date.now() + 2 * 86_400_000), scale: "ten_point" })
    .returning({ id: assignments.id });
  ids.assignment = a.id;
  quiz = google.forms.addQuiz({
    title: "Kiểm tra 15 phút — Phân số",
    questions: [1, 2, 3, 4].map((n) => ({ questionId: `q${n}`, title: `Câu ${n}`, points: 5 })),
  });
  google.forms.maxPageSize = 2;
  lan = await hub.as(`lan.nt@${DOMAIN}`);
  an = await hub.as(`an.nv@${DOMAIN}`);
});

afterAll(async () => {
  await hub?.close();
  await google?.close();
});

describe("Google Forms quizzes", () => {
  it("a class with no Google connection: the page and the attach form say so and how to connect; nothing is written", async () => {
    const html = await page(lan);
    expect(html).toContain('data-state="none"');
    expect(htmlText(html)).toContain("Lớp này chưa kết nối Google");
    expect(htmlText(html)).toContain("Tài khoản → Kết nối của tôi");
    const res = await lan.post(quizPage(), { intent: "attach", formUrl: editUrl(quiz.formId) });
    expect(res.status).toBe(400);
    const error = fieldError(await res.text(), "formUrl");
    expect(error).toContain("chưa kết nối Google");
    expect(error).toContain("Quản trị → Kết nối");
    expect(await quizRow()).toBeUndefined();
    expect(google.forms.calls["forms.get"]).toBe(0);
  });

  it("an address that is not a Google Form, the students' link, an unknown form and a form that is no quiz are refused with their reason", async () => {
    connectionId = await connectedGoogleSchool(db, google, { schoolId: ids.school, client: GOOGLE, admin: `hieutruong@${DOMAIN}`, domain: DOMAIN, scope: ALL_SCOPES });
    const survey = google.forms.addQuiz({ title: "Khảo sát ý kiến", isQuiz: false, questions: [{ questionId: "s1", title: "Ý kiến", points: 0 }] });
    const cases: [string, string][] = [
      ["https://example.com/bai-kiem-tra", "không phải đường dẫn của một biểu mẫu Google Forms"],
      ["not a url", "không phải đường dẫn của một biểu mẫu Google Forms"],
      [`https://docs.google.com/forms/d/e/1FAIpQLSc${quiz.formId.slice(0, 30)}/viewform`, "đường dẫn dành cho học sinh"],
      [editUrl("1FAIpQLSdoesNotExistAnywhere0123456789"), "Google không tìm thấy biểu mẫu này"],
      [editUrl(survey.formId), "không phải bài kiểm tra"],
    ];
    for (const [formUrl, message] of cases) {
      const res = await lan.post(quizPage(), { intent: "attach", formUrl });
      expect(res.status, formUrl).toBe(400);
      const html = await res.text();
      expect(fieldError(html, "formUrl"), formUrl).toContain(message);
      // What was typed stays in the field, to be corrected.
      expect(html).toContain(`value="${formUrl.replace(/&/g, "&amp;")}"`);
    }
    expect(await quizRow()).toBeUndefined();
    const [a] = await db.select({ formUrl: assignments.formUrl }).from(assignments).where(eq(assignments.id, ids.assignment));
    expect(a.formUrl).toBeNull();
  });

  it("attaches the quiz by its …/viewform address, again by its editor's address; students see the link to open it", async () => {
    let res = await lan.post(quizPage(), { intent: "attach", formUrl: `https://docs.google.com/forms/d/${quiz.formId}/viewform?usp=sharing` });
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain("Đã gắn bài kiểm tra.");
    res = await lan.post(quizPage(), { intent: "attach", formUrl: editUrl(quiz.formId) });
    expect(res.status).toBe(200);
    const row = await quizRow();
    expect(row).toMatchObject({ formId: quiz.formId, title: "Kiểm tra 15 phút — Phân số", maxScore: "20.00", attachedBy: ids.lan, lastReadAt: null });
    expect(row.responderUrl).toMatch(/^https:\/\/docs\.google\.com\/forms\/d\/e\/.+\/viewform$/);
    const html = await page(an, `/assignments/${ids.assignment}`);
    const link = /<a [^>]*data-testid="form-link"[^>]*>([^<]*)<\/a>/.exec(html);
    expect(link?.[1]).toBe("Mở bài kiểm tra Google Forms");
    expect(link?.[0]).toContain(`href="${row.responderUrl}"`);
    expect(htmlText(await page(lan, `/assignments/${ids.assignment}/submissions`))).toContain("Mở bài kiểm tra Google Forms");
  });

  it("before the due date the job leaves the quiz alone", async () => {
    google.forms.respond(quiz.formId, { email: `an.nv@${DOMAIN}`, scores: { q1: 5, q2: 5, q3: 5, q4: 2 }, submittedAt: new Date(Date.now() - 60_000) });
    expect(await readDueQuizzes(db)).toEqual({});
    expect(google.forms.calls["forms.responses.list"]).toBe(0);
    expect(await responseRows()).toHaveLength(0);
  });

  it("after the due date the job reads every page of responses and records the matched students' grades on the 10-point scale, one grade.posted each", async () => {
    const t = (m: number) => new Date(Date.now() - m * 60_000);
    google.forms.respond(quiz.formId, { email: `BINH.TT@${DOMAIN}`, scores: { q1: 5, q2: 5, q3: 5, q4: 5 }, submittedAt: t(50) });
    google.forms.respond(quiz.formId, { email: "cuong.lehoang@gmail.com", scores: { q1: 5, q2: 5, q3: 2, q4: 0 }, submittedAt: t(40) });
    google.forms.respond(quiz.formId, { scores: { q1: 5, q2: 3, q3: 0, q4: 0 }, submittedAt: t(30) });
    google.forms.respond(quiz.formId, { email: `giang.ht@${DOMAIN}`, scores: { q1: 0, q2: 0, q3: 0, q4: 0 }, submittedAt: t(20) });
    await db.update(assignments).set({ dueAt: t(10) }).where(eq(assignments.id, ids.assignment));
    expect(await dueQuizzes(db)).toEqual([ids.assignment]);
    const lists = google.forms.calls["forms.responses.list"];
    expect(await readDueQuizzes(db)).toEqual({ ok: 1 });
    // Five responses, two a page: three pages.
    expect(google.forms.calls["forms.responses.list"] - lists).toBe(3);
    expect(await grade(ids["an.nv"])).toEqual({ status: "graded", score: "8.50", level: null });
    expect(await grade(ids["binh.tt"])).toEqual({ status: "graded", score: "10.00", level: null });
    expect(await grade(ids["giang.ht"])).toEqual({ status: "graded", score: "0.00", level: null });
    expect(await grade(ids["cuong.lh"])).toBeUndefined();
    for (const s of ["an.nv", "binh.tt", "giang.ht"]) expect(await postedFor(ids[s]), s).toBe(1);
    const [ev] = await db.select().from(events).where(and(eq(events.type, "grade.posted"), eq(events.studentId, ids["an.nv"])));
    expect(ev).toMatchObject({ actorId: ids.lan, classId: ids.toan6 });
    expect(ev.payload).toMatchObject({ assignmentId: ids.assignment, scale: "ten_point", score: 8.5, display: "8,5/10" });
    const rows = await responseRows();
    expect(rows).toHaveLength(5);
    expect(rows.filter((r) => r.matchedBy === "email")).toHaveLength(3);
    expect(rows.filter((r) => r.studentId === null).map((r) => r.respondentEmail).sort()).toEqual(["cuong.lehoang@gmail.com", null]);
    expect((await quizRow()).lastOutcome).toBe("ok");
  });

  it("the reader asks for the largest page (5,000), follows nextPageToken, and resumes from a page token", async () => {
    const [conn] = await db.select().from(connections).where(eq(connections.id, connectionId));
    const reader = quizReader(db);
    const from = google.forms.listRequests.length;
    const pages: { items: QuizResponseRecord[]; nextCursor: string | null }[] = [];
    for await (const p of reader.listResponses(refOf(conn), quiz.formId)) pages.push(p);
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
    const asked = google.forms.listRequests.slice(from);
    expect(asked.map((r) => r.pageSize)).toEqual(["5000", "5000", "5000"]);
    expect(asked.map((r) => r.pageToken)).toEqual([null, pages[0].nextCursor, pages[1].nextCursor]);
    expect(pages[2].nextCursor).toBeNull();
    const resumed: QuizResponseRecord[] = [];
    for await (const p of reader.listResponses(refOf(conn), quiz.formId, pages[1].nextCursor!)) resumed.push(...p.items);
    expect(resumed).toEqual(pages[2].items);
    // Another form's page token is not this form's.
    const other = google.forms.addQuiz({ title: "Khác", questions: [{ questionId: "x", title: "x", points: 1 }] });
    await expect(reader.listResponses(refOf(conn), other.formId, pages[0].nextCursor!)[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: "rejected", status: 400 });
    const info = await reader.readQuiz(refOf(conn), quiz.formId);
    expect(info).toMatchObject({ formId: quiz.formId, isQuiz: true, maxScore: 20, title: "Kiểm tra 15 phút — Phân số" });
  });

  it("reading again changes nothing (a token Google stopped taking is refreshed once); the job comes back an hour later for later submissions", async () => {
    const before = await db.select().from(events).where(eq(events.type, "grade.posted"));
    google.oidc.expireAccessTokens();
    const tokens = google.calls.token;
    const s = await readQuizScores(db, ids.assignment);
    expect(google.calls.token - tokens).toBe(1);
    expect(s).toMatchObject({ outcome: "ok", responses: 5, graded: 0, unmatched: 2 });
    expect(await db.select().from(events).where(eq(events.type, "grade.posted"))).toHaveLength(before.length);
    expect(await dueQuizzes(db)).toEqual([]);
    expect(await dueQuizzes(db, new Date(Date.now() + 61 * 60_000))).toEqual([ids.assignment]);
  });

  it("a student's later submission updates their grade, never a second one: an edited response and a new response alike", async () => {
    const [anResponse] = (await responseRows()).filter((r) => r.studentId === ids["an.nv"]);
    google.forms.respond(quiz.formId, { responseId: anResponse.responseId, email: `an.nv@${DOMAIN}`, scores: { q1: 5, q2: 5, q3: 2, q4: 0 }, submittedAt: new Date() });
    google.forms.respond(quiz.formId, { email: `binh.tt@${DOMAIN}`, scores: { q1: 5, q2: 5, q3: 5, q4: 1 }, submittedAt: new Date() });
    const res = await lan.post(quizPage(), { intent: "read" });
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain("Đã đọc 6 câu trả lời: 2 điểm mới được ghi, 2 câu trả lời chưa nhận ra học sinh.");
    expect(await grade(ids["an.nv"])).toMatchObject({ score: "6.00" });
    expect(await grade(ids["binh.tt"])).toMatchObject({ score: "8.00" });
    expect(await postedFor(ids["an.nv"])).toBe(2);
    expect(await postedFor(ids["binh.tt"])).toBe(2);
    expect(await postedFor(ids["giang.ht"])).toBe(1);
    const rows = await responseRows();
    expect(rows).toHaveLength(6);
    expect(rows.filter((r) => r.responseId === anResponse.responseId)).toHaveLength(1);
    const gradedRows = await db.select().from(submissions).where(eq(submissions.assignmentId, ids.assignment));
    expect(gradedRows).toHaveLength(3);
  });

  it("a grade the teacher changes by hand stays until the student submits again", async () => {
    const res = await lan.post(`/assignments/${ids.assignment}/submissions`, { studentId: ids["giang.ht"], score: "3", comment: "Làm lại trên giấy" });
    expect(res.status).toBe(200);
    await readQuizScores(db, ids.assignment);
    expect(await grade(ids["giang.ht"])).toMatchObject({ score: "3.00" });
  });

  it("responses with an unknown email or none are listed for the teacher, who gives one to a student; nothing is guessed", async () => {
    const html = await page(lan);
    const list = /<section[^>]*data-testid="quiz-unmatched"[\s\S]*?<\/section>/.exec(html)?.[0] ?? "";
    expect(list.match(/data-testid="quiz-response"/g)).toHaveLength(2);
    expect(htmlText(list)).toContain("cuong.lehoang@gmail.com");
    expect(htmlText(list)).toContain("(không có email)");
    expect(htmlText(list)).toContain("Lớp Số không đoán");
    expect(await grade(ids["cuong.lh"])).toBeUndefined();
    const rows = await responseRows();
    const gmail = rows.find((r) => r.respondentEmail === "cuong.lehoang@gmail.com")!;
    const byEmail = rows.find((r) => r.studentId === ids["an.nv"])!;
    // Someone who is not in the class, no one, and a response matched by its email: refused.
    let res = await lan.post(quizPage(), { intent: "assign", responseId: gmail.responseId, studentId: ids["dung.pm"] });
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "studentId")).toBeTruthy();
    res = await lan.post(quizPage(), { intent: "assign", responseId: gmail.responseId, studentId: "" });
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "studentId")).toBe("Chọn một học sinh.");
    res = await lan.post(quizPage(), { intent: "assign", responseId: byEmail.responseId, studentId: ids["cuong.lh"] });
    expect(res.status).toBe(400);
    expect(await grade(ids["cuong.lh"])).toBeUndefined();
    res = await lan.post(quizPage(), { intent: "assign", responseId: gmail.responseId, studentId: ids["cuong.lh"] });
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain("Đã gán câu trả lời cho học sinh và ghi điểm.");
    // 12 of 20 points.
    expect(await grade(ids["cuong.lh"])).toMatchObject({ status: "graded", score: "6.00" });
    expect(await postedFor(ids["cuong.lh"])).toBe(1);
    // A later read keeps the teacher's choice and posts nothing new.
    await readQuizScores(db, ids.assignment);
    expect((await responseRows()).find((r) => r.responseId === gmail.responseId)).toMatchObject({ studentId: ids["cuong.lh"], matchedBy: "teacher" });
    expect(await postedFor(ids["cuong.lh"])).toBe(1);
  });

  it("a connection without the Forms scopes: its admin is asked to grant more, the teacher told, and the read records the reason without failing", async () => {
    await db.update(connections).set({ scopes: `${MEET_SCOPES} ${CLASSROOM}`.split(" ") }).where(eq(connections.id, connectionId));
    const admin = await hub.as(`hieutruong@${DOMAIN}`);
    const html = await page(admin, `/admin/schools/${ids.school}/connections`);
    const prompt = /<div[^>]*data-testid="google-more-scopes"[\s\S]*?<\/form><\/div>/.exec(html)?.[0] ?? "";
    expect(htmlText(prompt)).toContain("Cấp thêm quyền");
    expect(prompt).toContain('data-scope="formsBody"');
    expect(prompt).toContain('data-scope="formsResponses"');
    expect(prompt).not.toContain('data-scope="meetSpaces"');
    // The button starts the same grant flow, asking Google for the Forms scopes too.
    const res = await admin.post(`/admin/schools/${ids.school}/connections`, { intent: "google_consent" });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get("location")!);
    expect(to.origin).toBe(google.url);
    expect(to.searchParams.get("scope")).toContain(`${A}forms.responses.readonly`);
    expect(to.searchParams.get("scope")).toContain(`${A}forms.body.readonly`);

    expect(htmlText(await page(lan))).toContain("chưa được cấp quyền đọc Google Forms");
    const calls = google.forms.calls["forms.get"] + google.forms.calls["forms.responses.list"];
    await db.update(assignmentQuizzes).set({ lastAttemptAt: new Date(Date.now() - 2 * 3600_000) }).where(eq(assignmentQuizzes.assignmentId, ids.assignment));
    expect(await readDueQuizzes(db)).toEqual({ scope_missing: 1 });
    expect(google.forms.calls["forms.get"] + google.forms.calls["forms.responses.list"]).toBe(calls);
    expect((await quizRow()).lastOutcome).toBe("scope_missing");
    expect(htmlText(await page(lan))).toContain("kết nối Google chưa có quyền đọc Google Forms");
    await db.update(connections).set({ scopes: ALL_SCOPES.split(" ") }).where(eq(connections.id, connectionId));
  });

  it("403, 404 and 429 from Forms are recorded with their reason; a rate limit holds the quiz until its Retry-After", async () => {
    const grades = await db.select().from(submissions).where(eq(submissions.assignmentId, ids.assignment));
    quiz.owners = ["someone.else@gmail.com"];
    expect(await readQuizScores(db, ids.assignment)).toMatchObject({ outcome: "forbidden", message: "The caller does not have permission" });
    expect(htmlText(await page(lan))).toContain("không có quyền xem biểu mẫu này");
    quiz.owners = [];

    google.forms.forms.delete(quiz.formId);
    const res = await lan.post(quizPage(), { intent: "read" });
    expect(res.status).toBe(200);
    const text = htmlText(await res.text());
    expect(text).toContain("Google không tìm thấy biểu mẫu này");
    expect(text).toContain("Requested entity was not found.");
    expect((await quizRow()).lastOutcome).toBe("not_found");
    google.forms.forms.set(quiz.formId, quiz);

    google.forms.throttleNext(1, 120);
    const limited = await readQuizScores(db, ids.assignment);
    expect(limited.outcome).toBe("rate_limited");
    const row = await quizRow();
    expect(row.lastOutcome).toBe("rate_limited");
    expect(row.retryAt!.getTime()).toBeGreaterThan(Date.now() + 100_000);
    expect(htmlText(await page(lan))).toContain("Google đang giới hạn số lần đọc");
    await db.update(assignmentQuizzes).set({ lastAttemptAt: new Date(Date.now() - 2 * 3600_000) }).where(eq(assignmentQuizzes.assignmentId, ids.assignment));
    expect(await dueQuizzes(db)).toEqual([]);
    expect(await dueQuizzes(db, new Date(Date.now() + 130_000))).toEqual([ids.assignment]);
    // A read before then is held back by the shared budget, without a call to Google.
    const calls = google.forms.calls["forms.get"];
    expect(await readQuizScores(db, ids.assignment)).toMatchObject({ outcome: "rate_limited" });
    expect(google.forms.calls["forms.get"]).toBe(calls);
    // Nothing of the grades moved meanwhile.
    expect(await db.select().from(submissions).where(eq(submissions.assignmentId, ids.assignment))).toEqual(grades);
  });

  it("removing the quiz keeps the grades it recorded; the job no longer reads it", async () => {
    const grades = await db.select().from(submissions).where(eq(submissions.assignmentId, ids.assignment));
    const res = await lan.post(quizPage(), { intent: "detach" });
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain("Đã gỡ bài kiểm tra khỏi bài tập");
    expect(await quizRow()).toBeUndefined();
    expect(await responseRows()).toHaveLength(0);
    expect(await db.select().from(submissions).where(eq(submissions.assignmentId, ids.assignment))).toEqual(grades);
    const [a] = await db.select({ formUrl: assignments.formUrl }).from(assignments).where(eq(assignments.id, ids.assignment));
    expect(a.formUrl).toBeNull();
    expect(await dueQuizzes(db, new Date(Date.now() + 86_400_000))).toEqual([]);
    expect(await page(an, `/assignments/${ids.assignment}`)).not.toContain('data-testid="form-link"');
  });

  it("a teacher's own Google account without the Forms scopes: their page asks to grant more; a grant Google narrowed says so from Google's 403", async () => {
    const find = demoLookup(db);
    const kimDong = await find.school("79002");
    const hoaId = await find.user("hoa.lt@kimdong.lopso.demo");
    const cls = await find.class("3A1");
    const own = await connectedGoogleTeacher(db, google, { schoolId: kimDong, teacherId: hoaId, clientId: HUB_APP.clientId, email: "hoa.lt@kimdong.lopso.demo", scope: MEET_SCOPES });
    const [a] = await db.insert(assignments).values({ classId: cls, authorId: hoaId, title: "Kiểm tra Tiếng Việt", dueAt: new Date(Date.now() - 3600_000), scale: "primary_levels" }).returning({ id: assignments.id });
    const hoa = await hub.as("hoa.lt@kimdong.lopso.demo");
    const account = await page(hoa, "/account/connections");
    const prompt = /<div[^>]*data-testid="google-more-scopes"[\s\S]*?<\/ul>/.exec(account)?.[0] ?? "";
    expect(prompt).toContain('data-scope="formsResponses"');
    expect(prompt).not.toContain('data-scope="guardians"');
    expect(htmlText(await page(hoa, `/assignments/${a.id}/quiz`))).toContain("chưa được cấp quyền đọc Google Forms");

    // The row says the scopes were granted, but the token Google holds has not got them.
    await db.update(connections).set({ scopes: `${MEET_SCOPES} ${FORMS_SCOPES}`.split(" ") }).where(eq(connections.id, own));
    const res = await hoa.post(`/assignments/${a.id}/quiz`, { intent: "attach", formUrl: editUrl(quiz.formId) });
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "formUrl")).toContain("chưa được cấp quyền đọc Google Forms");
    expect(await db.select().from(assignmentQuizzes).where(eq(assignmentQuizzes.assignmentId, a.id))).toHaveLength(0);
    await db.insert(assignmentQuizzes).values({ assignmentId: a.id, formId: quiz.formId, responderUrl: "https://docs.google.com/forms/d/e/x/viewform", attachedBy: hoaId });
    expect(await readQuizScores(db, a.id)).toMatchObject({ outcome: "scope_missing", message: "Request had insufficient authentication scopes." });
    expect(await db.select().from(submissions).where(eq(submissions.assignmentId, a.id))).toHaveLength(0);
  });

  it("a synced Classroom coursework that carries a form shows its link; its grade comes with the sync", async () => {
    const c = google.classroom;
    c.users.set("g-lan", { id: "g-lan", fullName: "Nguyễn Thị Lan", email: `lan.nt@${DOMAIN}` });
    c.users.set("g-an", { id: "g-an", fullName: "Nguyễn Văn An", email: `an.nv@${DOMAIN}` });
    c.courses.push({ id: "555", name: "Toán 6A1 (Classroom)", section: "6A1", ownerId: "g-lan", teachers: ["g-lan"], students: ["g-an"], updateTime: "2026-09-01T00:00:00.000Z" });
    const formUrl = `https://docs.google.com/forms/d/e/1FAIpQLSclassroomQuiz0123456789/viewform`;
    c.courseWork.push({
      id: "wq",
      courseId: "555",
      title: "Kiểm tra nhanh trên Forms",
      maxPoints: 10,
      updateTime: "2026-09-02T00:00:00.000Z",
      materials: [{ form: { formUrl, responseUrl: "https://docs.google.com/spreadsheets/d/x", title: "Kiểm tra nhanh", thumbnailUrl: "https://x" } }],
    });
    c.submissions.push({ id: "sq", courseId: "555", courseWorkId: "wq", userId: "g-an", state: "RETURNED", assignedGrade: 9, updateTime: "2026-09-03T00:00:00.000Z" });
    expect(await syncConnection(db, connectionId)).toMatchObject({ status: "succeeded" });
    const [link] = await db.select().from(externalLinks).where(and(eq(externalLinks.source, `google:${connectionId}`), eq(externalLinks.kind, "coursework"), eq(externalLinks.externalId, "555/wq")));
    const [a] = await db.select().from(assignments).where(eq(assignments.id, link.localId));
    expect(a).toMatchObject({ formUrl, formTitle: "Kiểm tra nhanh" });
    expect(await grade(ids["an.nv"], a.id)).toMatchObject({ status: "graded", score: "9.00" });
    const html = await page(an, `/assignments/${a.id}`);
    expect(/<a [^>]*data-testid="form-link"[^>]*>/.exec(html)?.[0]).toContain(`href="${formUrl}"`);
    // The sync's grade is the grade: the hub does not read this form itself.
    expect(await db.select().from(assignmentQuizzes).where(eq(assignmentQuizzes.assignmentId, a.id))).toHaveLength(0);
  });
});
