/**
 * Teams classes (Graph education) through the real CourseProvider, the real token source and the
 * Graph client, against the local Graph fake fed with the Graph docs' own sample records: lists
 * read to the end by `@odata.nextLink` (and resumed from a kept cursor), `$select` and `$top` on
 * the first request only, a 429's decimal Retry-After waited out (a long one returned as
 * `rate_limited`), odd records skipped with their reason, submissions with outcomes mapped to
 * state, lateness and points; and the push-out writes (module and assignment with a link back,
 * published; a lost reply retried without a second post; update; removal, twice).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../db/seed.server.ts";
import { pgRateBudgets } from "../../app/services/connections/budgets.server.ts";
import { upsertMicrosoftConnection } from "../../app/services/connections/microsoft.server.ts";
import { tokenSource } from "../../app/services/connections/token-source.server.ts";
import { createTeamsClasses } from "../../integrations/microsoft/education.server.ts";
import { isIntegrationError } from "../../integrations/errors.ts";
import type { ConnectionRef, CourseProvider, Page, Pages } from "../../integrations/ports.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";
import { startFakeMicrosoft, type FakeMicrosoft } from "../fakes/microsoft/server.ts";

const TENANT = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
const MS_APP = { clientId: "5a6b7c8d-1111-2222-3333-444455556666", clientSecret: "ms-app-secret" };
const CLASS = "72a7baec-c3e9-4213-a850-f62de0adad5f";

/** The Graph docs' samples; the `.jsonc` ones have trailing commas. */
function sample(name: string): Record<string, unknown> & { value: Record<string, unknown>[] } {
  const text = fs.readFileSync(new URL(`../fakes/microsoft/samples/${name}`, import.meta.url), "utf8");
  return JSON.parse(name.endsWith(".jsonc") ? text.replace(/,(\s*[}\]])/g, "$1") : text);
}

let microsoft: FakeMicrosoft;
let database: TestDatabase;
let teams: CourseProvider;
let school: ConnectionRef;

async function drain<T>(pages: Pages<T>) {
  const out: Page<T>[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

beforeAll(async () => {
  microsoft = await startFakeMicrosoft([{ tenantId: TENANT, ...MS_APP, displayName: "THCS Nguyễn Du", domain: "nguyendu.lopso.demo" }]);
  Object.assign(process.env, { DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "lopso-teams-classes-")), DEMO: "1", MICROSOFT_LOGIN_URL: microsoft.url, MICROSOFT_GRAPH_URL: `${microsoft.url}/v1.0` });
  process.env.SECRET_KEY ??= "test-secret-key-test-secret-key-0123456789";
  database = await freshDatabase();
  await seedDemo(database.db);
  const app = await upsertMicrosoftConnection(database.db, { schoolCode: "79001", tenantId: TENANT, ...MS_APP }, { actorId: null, address: "cli" });
  school = { id: app.id, provider: "microsoft", externalAccount: TENANT, clientId: MS_APP.clientId };
  teams = createTeamsClasses({ config: { loginUrl: microsoft.url, graphUrl: `${microsoft.url}/v1.0` }, tokens: tokenSource(database.db), budgets: pgRateBudgets(database.db) });

  const edu = microsoft.education;
  // The docs' class sample, 44 more classes (three pages of 20), and one with no name.
  edu.classes.push({ ...sample("education.classes.list.response.json").value[0], id: CLASS, displayName: "Toán 7A" });
  for (let i = 1; i <= 44; i++) edu.classes.push({ "@odata.type": "#microsoft.graph.educationClass", id: `class-${i}`, displayName: `Lớp ${i}`, classCode: `L${i}`, mailNickname: `lop${i}` });
  edu.classes.push({ id: "class-nameless", description: "no name" });
  // Members: the docs' teacher and student, the teacher listed again under /teachers, 25 students, and odd ones.
  const members = sample("education.classes.members.list.response.jsonc").value;
  const students = Array.from({ length: 25 }, (_, i) => ({ id: `s-${i}`, displayName: `Học sinh ${i}`, givenName: "HS", surname: String(i), mail: `hs${i}@nguyendu.lopso.demo`, primaryRole: "student" }));
  edu.members.set(CLASS, [...members, ...students, { id: "g-1", displayName: "Phụ huynh", primaryRole: "guardian" }, { id: "x-1", primaryRole: "student" }]);
  edu.teachers.set(CLASS, ["13013"]);
  // Assignments: the docs' list sample, and one with a status this code does not know.
  const a = sample("education.classes.assignments.list.response.json").value[0];
  edu.assignments.set("19002", { ...a, id: "19002", classId: CLASS, status: String(a.status), resources: [] });
  edu.assignments.set("odd-1", { id: "odd-1", classId: CLASS, displayName: "Bài lạ", status: "inactive", resources: [] });
  // Submissions of 19002 (due 2014-02-01): the docs' sample, then turned in late, returned with points, reassigned, unsubmitted, unknown.
  const s = sample("education.assignments.submissions.list.response.jsonc").value[0];
  edu.submissions.set("19002", [
    s,
    { id: "sub-late", status: "submitted", recipient: { userId: "13005" }, submittedDateTime: "2014-02-02T08:00:00Z", outcomes: [] },
    {
      id: "sub-graded",
      status: "returned",
      recipient: { userId: "s-1" },
      submittedDateTime: "2014-01-30T08:00:00Z",
      returnedDateTime: "2014-02-03T08:00:00Z",
      outcomes: [
        { "@odata.type": "#microsoft.graph.educationFeedbackOutcome", id: "f1", feedback: { text: { content: "Tốt" } } },
        { "@odata.type": "#microsoft.graph.educationPointsOutcome", id: "p1", points: { "@odata.type": "#microsoft.graph.educationAssignmentPointsGrade", points: 80 }, publishedPoints: { "@odata.type": "#microsoft.graph.educationAssignmentPointsGrade", points: 85 } },
      ],
    },
    { id: "sub-draft-points", status: "reassigned", recipient: { userId: "s-2" }, reassignedDateTime: "2014-02-04T08:00:00Z", outcomes: [{ "@odata.type": "#microsoft.graph.educationPointsOutcome", points: { points: 40 }, publishedPoints: null }] },
    { id: "sub-reclaimed", status: "working", recipient: { userId: "s-3" }, submittedDateTime: "2014-01-20T08:00:00Z", unsubmittedDateTime: "2014-01-21T08:00:00Z" },
    { id: "sub-odd", status: "excused", recipient: { userId: "s-4" } },
    { id: "sub-nobody", status: "submitted" },
  ]);
});

afterAll(async () => {
  await database?.drop();
  await microsoft?.close();
});

describe("Teams classes as a course provider", () => {
  it("reads every class to the end by @odata.nextLink, asking $select and $top on the first page only", async () => {
    microsoft.education.requests.length = 0;
    const pages = await drain(teams.listCourses(school));
    expect(pages.map((p) => p.items.length + (p.skipped?.length ?? 0))).toEqual([20, 20, 6]);
    const all = pages.flatMap((p) => p.items);
    expect(all).toHaveLength(45);
    expect(all[0]).toEqual({ externalId: CLASS, name: "Toán 7A", section: "String", state: "active" });
    expect(all[1]).toEqual({ externalId: "class-1", name: "Lớp 1", section: "L1", state: "active" });
    expect(pages[2].skipped).toEqual([{ kind: "course", externalId: "class-nameless", reason: "the class has no name (displayName)" }]);
    expect(pages.at(-1)!.nextCursor).toBeNull();
    const [first, second] = microsoft.education.requests;
    const q = new URLSearchParams(first.split("?")[1]);
    expect(q.get("$select")).toBe("id,displayName,externalName,classCode,term");
    expect(q.get("$top")).toBe("100");
    // The next page is Graph's own link, as given (its $skiptoken; the server's page size).
    expect(second).toMatch(/\$skiptoken=/);
    expect(new URLSearchParams(second.split("?")[1]).get("$top")).toBe("20");
    // Masks trim the records: a field not asked is not sent.
    expect(pages[0].items.some((c) => "mailNickname" in c)).toBe(false);
  });

  it("resumes from a kept cursor", async () => {
    const [firstPage] = await drain(teams.listCourses(school));
    const rest = await drain(teams.listCourses(school, firstPage.nextCursor!));
    expect(rest.flatMap((p) => p.items).map((c) => c.externalId)).toEqual(Array.from({ length: 25 }, (_, i) => `class-${i + 20}`));
  });

  it("reads the roster: teachers, then the students who are not teachers; odd people are skipped with their reason", async () => {
    const pages = await drain(teams.listRoster(school, CLASS));
    const people = pages.flatMap((p) => p.items);
    expect(people.filter((p) => p.role === "teacher")).toEqual([{ externalId: "13013", role: "teacher", fullName: "Ora Klein", email: "OraK@contoso.com" }]);
    expect(people.filter((p) => p.externalId === "13013")).toHaveLength(1);
    expect(people).toContainEqual({ externalId: "13005", role: "student", fullName: "Erna Parker", email: "ernap@contoso.com" });
    expect(people.filter((p) => p.role === "student")).toHaveLength(26);
    expect(pages.flatMap((p) => p.skipped ?? [])).toEqual([
      { kind: "user", externalId: "g-1", reason: 'unknown role "guardian" (neither student nor teacher)' },
      { kind: "user", externalId: "x-1", reason: "the person has no name" },
    ]);
    // Resumed in the members: the teacher stays out.
    const resumed = await drain(teams.listRoster(school, CLASS, pages[1].nextCursor!));
    expect(resumed.flatMap((p) => p.items).some((p) => p.externalId === "13013")).toBe(false);
    expect(pages.at(-1)!.nextCursor).toBeNull();
  });

  it("reads assignments: points and due date from the sample; an unknown status is skipped", async () => {
    const [page] = await drain(teams.listCoursework(school, CLASS));
    expect(page.items).toEqual([{ externalId: "19002", title: "published", dueAt: new Date("2014-02-01T00:00:00Z"), maxPoints: 100, state: "published" }]);
    expect(page.skipped).toEqual([{ kind: "coursework", externalId: "odd-1", reason: 'unknown assignment status "inactive"' }]);
  });

  it("reads submissions with their outcomes: state, lateness against the due time, points", async () => {
    microsoft.education.requests.length = 0;
    const [page] = await drain(teams.listSubmissions(school, CLASS, "19002"));
    const by = Object.fromEntries(page.items.map((s) => [s.externalId, s]));
    expect(by["33223"]).toEqual({ externalId: "33223", courseworkId: "19002", studentExternalId: "13015", state: "new", late: false, grade: null, updatedAt: new Date("2014-01-01T00:00:00Z") });
    expect(by["sub-late"]).toMatchObject({ state: "turned_in", late: true, grade: null });
    expect(by["sub-graded"]).toMatchObject({ state: "returned", late: false, grade: 85, updatedAt: new Date("2014-02-03T08:00:00Z") });
    expect(by["sub-draft-points"]).toMatchObject({ state: "returned", grade: 40 });
    expect(by["sub-reclaimed"]).toMatchObject({ state: "reclaimed", late: false });
    expect(page.skipped).toEqual([
      { kind: "submission", externalId: "sub-odd", reason: 'unknown submission status "excused"' },
      { kind: "submission", externalId: "sub-nobody", reason: "the submission names no student (recipient.userId)" },
    ]);
    expect(microsoft.education.requests.find((r) => r.includes("/submissions"))).toMatch(/\$expand=outcomes/);
  });

  it("waits out a 429 with a decimal Retry-After, and returns a long one as rate_limited with its time", async () => {
    // The throttling sample's own answer: Retry-After 2.128 seconds.
    const sampleHeaders = fs.readFileSync(new URL("../fakes/microsoft/samples/throttling.429.response.http", import.meta.url), "utf8");
    const retryAfter = /Retry-After: ([\d.]+)/.exec(sampleHeaders)![1];
    expect(retryAfter).toBe("2.128");
    microsoft.education.throttleNext(1, retryAfter);
    const started = Date.now();
    const [page] = await drain(teams.listCoursework(school, CLASS));
    expect(Date.now() - started).toBeGreaterThanOrEqual(2100);
    expect(page.items).toHaveLength(1);

    // A long wait is not slept through in the process (no shared budget here, so others are not held).
    const unbudgeted = createTeamsClasses({ config: { loginUrl: microsoft.url, graphUrl: `${microsoft.url}/v1.0` }, tokens: tokenSource(database.db) });
    microsoft.education.throttleNext(1, "30.5");
    const err = await drain(unbudgeted.listCourses(school)).catch((e: unknown) => e);
    expect(isIntegrationError(err) && err.code).toBe("rate_limited");
    const wait = (err as { retryAt: Date }).retryAt.getTime() - Date.now();
    expect(wait).toBeGreaterThan(28_000);
    expect(wait).toBeLessThanOrEqual(31_000);
  });

  it("publishes a module with a link back, published; a retry after a lost reply posts nothing twice", async () => {
    const input = { title: "Bài 3: Phân số", description: "Đọc trước bài.", links: ["https://hub.example/lessons/l-1"] };
    microsoft.education.loseRepliesNext(1);
    const lost = await teams.publishMaterial(school, CLASS, input, "k-1").catch((e: unknown) => e);
    expect(isIntegrationError(lost) && lost.code).toBe("transient");
    const made = await teams.publishMaterial(school, CLASS, input, "k-1");
    const modules = [...microsoft.education.modules.values()];
    expect(modules).toHaveLength(1);
    expect(modules[0]).toMatchObject({ id: made.externalId, displayName: "Bài 3: Phân số", description: "Đọc trước bài.\n\nhttps://hub.example/lessons/l-1", status: "published" });
    expect(modules[0].resources).toEqual([expect.objectContaining({ resource: expect.objectContaining({ "@odata.type": "#microsoft.graph.educationLinkResource", link: "https://hub.example/lessons/l-1" }) })]);
    expect(await teams.publishMaterial(school, CLASS, input, "k-1")).toEqual(made);
    expect(microsoft.education.modules.size).toBe(1);

    await teams.updateMaterial(school, CLASS, made.externalId, { ...input, title: "Bài 3: Phân số (sửa)" });
    expect(microsoft.education.modules.get(made.externalId)?.displayName).toBe("Bài 3: Phân số (sửa)");
    await teams.unpublish(school, CLASS, "material", made.externalId);
    await teams.unpublish(school, CLASS, "material", made.externalId);
    expect(microsoft.education.modules.size).toBe(0);
  });

  it("publishes an assignment as the create sample does (draft, points, class recipient), then publishes it", async () => {
    const input = { title: "Midterm 1", description: "Read chapters 1 through 3", links: ["https://hub.example/assignments/a-1"], dueAt: new Date("2026-12-20T10:00:00Z"), maxPoints: 10 };
    microsoft.education.loseRepliesNext(1);
    await expect(teams.publishAssignment(school, CLASS, input, "k-2")).rejects.toMatchObject({ code: "transient" });
    const made = await teams.publishAssignment(school, CLASS, input, "k-2");
    const posted = [...microsoft.education.assignments.values()].filter((a) => a.displayName === "Midterm 1");
    expect(posted).toHaveLength(1);
    const a = posted[0];
    const req = sample("education.classes.assignments.create.request.json") as Record<string, unknown>;
    expect(a).toMatchObject({
      status: "published",
      dueDateTime: "2026-12-20T10:00:00.000Z",
      grading: { "@odata.type": "#microsoft.graph.educationAssignmentPointsGradeType", maxPoints: 10 },
      instructions: { contentType: (req.instructions as { contentType: string }).contentType, content: "Read chapters 1 through 3\n\nhttps://hub.example/assignments/a-1" },
    });
    expect(a.resources).toHaveLength(1);
    expect(made.link).toMatch(/^https:\/\/teams\.microsoft\.com\/l\/entity\//);

    await teams.updateAssignment(school, CLASS, made.externalId, { ...input, dueAt: new Date("2026-12-21T10:00:00Z"), maxPoints: 20 });
    expect(microsoft.education.assignments.get(made.externalId)).toMatchObject({ dueDateTime: "2026-12-21T10:00:00.000Z", grading: { maxPoints: 20 } });
    await teams.unpublish(school, CLASS, "coursework", made.externalId);
    expect(microsoft.education.assignments.has(made.externalId)).toBe(false);
  });

  it("answers the connection check with one class at most", async () => {
    microsoft.education.requests.length = 0;
    expect(await teams.check(school)).toMatchObject({ accountName: TENANT });
    expect(microsoft.education.requests).toHaveLength(1);
  });
});
