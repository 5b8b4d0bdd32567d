/**
 * The events outbox: every fact a parent may hear about is written as one event, in the same
 * transaction as the write that causes it — both commit or neither does.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events, lessons, submissions } from "../../db/schema/index.ts";
import { toLocalDateTimeInput } from "../../app/lib/vn.ts";
import { expectConsoleErrors } from "../support/fail-on-console-error.ts";
import { demoLookup } from "../support/demo.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
const ids: Record<string, string> = {};
let lan: Client, hoa: Client, an: Client, binh: Client;

async function eventsOf(type: string, subjectId?: string) {
  const rows = await hub.database.db.select().from(events).where(subjectId ? and(eq(events.type, type as never), eq(events.subjectId, subjectId)) : eq(events.type, type as never));
  return rows;
}

async function eventCount() {
  const [r] = await hub.database.query<{ n: number }>("select count(*)::int as n from events");
  return Number(r.n);
}

const inDays = (d: number) => toLocalDateTimeInput(new Date(Date.now() + d * 24 * 3600 * 1000));

beforeAll(async () => {
  hub = await startHub();
  const db = hub.database.db;
  const find = demoLookup(db);
  ids.thcs = await find.school("79001");
  ids.th = await find.school("79002");
  ids.toan6 = await find.class("6A1", "toan");
  ids.tv3 = await find.class("3A1");
  ids.khaiTruong = await find.assignment("Viết 3–4 câu về ngày khai trường");
  const userId = find.user;
  ids.lan = await userId("lan.nt@nguyendu.lopso.demo");
  ids.hoa = await userId("hoa.lt@kimdong.lopso.demo");
  ids.an = await userId("an.nv@nguyendu.lopso.demo");
  ids.binh = await userId("binh.tt@nguyendu.lopso.demo");
  ids.dung = await userId("dung.pm@nguyendu.lopso.demo");
  ids.nam = await userId("nam.vh@kimdong.lopso.demo");
  [lan, hoa, an, binh] = await Promise.all([
    hub.as("lan.nt@nguyendu.lopso.demo"),
    hub.as("hoa.lt@kimdong.lopso.demo"),
    hub.as("an.nv@nguyendu.lopso.demo"),
    hub.as("binh.tt@nguyendu.lopso.demo"),
  ]);
});

afterAll(async () => {
  await hub?.close();
});

describe("lesson.published", () => {
  let lessonId: string;

  it("a draft writes no event", async () => {
    const before = await eventCount();
    const res = await lan.post(`/classes/${ids.toan6}/lessons/new`, { title: "Bài 5. Phép nhân", bodyMd: "Nháp", intent: "draft" });
    expect(res.status).toBe(302);
    lessonId = /\/lessons\/([0-9a-f-]{36})\/edit/.exec(res.headers.get("location")!)![1];
    expect(await eventCount()).toBe(before);
  });

  it("publishing writes exactly one event, with the school and class and no student", async () => {
    const res = await lan.post(`/classes/${ids.toan6}/lessons/${lessonId}/edit`, { title: "Bài 5. Phép nhân", bodyMd: "Nội dung", intent: "publish" });
    expect(res.status).toBe(302);
    const list = await eventsOf("lesson.published", lessonId);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      schoolId: ids.thcs,
      classId: ids.toan6,
      studentId: null,
      actorId: ids.lan,
      subjectId: lessonId,
      processedAt: null,
      payload: { title: "Bài 5. Phép nhân", className: "6A1" },
    });
  });

  it("saving it published again, or unpublishing and re-publishing, writes no second one", async () => {
    const before = await eventCount();
    await lan.post(`/classes/${ids.toan6}/lessons/${lessonId}/edit`, { title: "Bài 5. Phép nhân (sửa)", bodyMd: "Nội dung mới", intent: "publish" });
    expect((await lan.post(`/classes/${ids.toan6}`, { intent: "unpublish", lessonId })).status).toBeLessThan(400);
    const [draft] = await hub.database.db.select({ status: lessons.status }).from(lessons).where(eq(lessons.id, lessonId));
    expect(draft.status).toBe("draft");
    expect((await lan.post(`/classes/${ids.toan6}`, { intent: "publish", lessonId })).status).toBeLessThan(400);
    await lan.post(`/classes/${ids.toan6}/lessons/${lessonId}/edit`, { title: "Bài 5. Phép nhân (sửa)", bodyMd: "Nội dung mới", intent: "publish" });
    const [published] = await hub.database.db.select({ status: lessons.status }).from(lessons).where(eq(lessons.id, lessonId));
    expect(published.status).toBe("published");
    expect(await eventsOf("lesson.published", lessonId)).toHaveLength(1);
    expect(await eventCount()).toBe(before);
  });

  it("a new lesson published straight away writes its event in the same request", async () => {
    const res = await lan.post(`/classes/${ids.toan6}/lessons/new`, { title: "Bài 6. Lũy thừa", bodyMd: "2³ = 8", intent: "publish" });
    const id = /\/lessons\/([0-9a-f-]{36})\/edit/.exec(res.headers.get("location")!)![1];
    expect(await eventsOf("lesson.published", id)).toHaveLength(1);
  });
});

describe("assignment, submission and grade events", () => {
  let assignmentId: string;
  let submissionId: string;

  it("creating an assignment writes assignment.created", async () => {
    const res = await lan.post(`/classes/${ids.toan6}/assignments/new`, { title: "Bài tập lũy thừa", instructionsMd: "Tính 2⁵.", dueAt: inDays(2), scale: "ten_point" });
    expect(res.status).toBe(302);
    assignmentId = /\/assignments\/([0-9a-f-]{36})\//.exec(res.headers.get("location")!)![1];
    const list = await eventsOf("assignment.created", assignmentId);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ schoolId: ids.thcs, classId: ids.toan6, studentId: null, actorId: ids.lan, payload: { title: "Bài tập lũy thừa", className: "6A1" } });
    expect(new Date((list[0].payload as { dueAt: string }).dueAt).getTime()).toBeGreaterThan(Date.now());
  });

  it("a refused assignment writes no event", async () => {
    const before = await eventCount();
    const res = await lan.post(`/classes/${ids.toan6}/assignments/new`, { title: "Bài tập quá hạn", dueAt: inDays(-1), scale: "ten_point" });
    expect(res.status).toBe(400);
    expect(await eventCount()).toBe(before);
  });

  it("a student's submission writes submission.received with the student", async () => {
    const res = await an.post(`/assignments/${assignmentId}`, { body: "2⁵ = 32" });
    expect(res.status).toBe(200);
    const [sub] = await hub.database.db.select().from(submissions).where(and(eq(submissions.assignmentId, assignmentId), eq(submissions.studentId, ids.an)));
    submissionId = sub.id;
    const list = await eventsOf("submission.received", submissionId);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      schoolId: ids.thcs,
      classId: ids.toan6,
      studentId: ids.an,
      actorId: ids.an,
      payload: { assignmentId, title: "Bài tập lũy thừa", className: "6A1", late: false },
    });
  });

  it("grading 8,5 writes grade.posted with display 8,5/10", async () => {
    const res = await lan.post(`/assignments/${assignmentId}/submissions`, { studentId: ids.an, score: "8,5", comment: "Đúng, trình bày gọn." });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Đã lưu điểm: 8,5/10");
    const list = await eventsOf("grade.posted", submissionId);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      schoolId: ids.thcs,
      classId: ids.toan6,
      studentId: ids.an,
      actorId: ids.lan,
      payload: { assignmentId, display: "8,5/10", score: 8.5, scale: "ten_point", comment: "Đúng, trình bày gọn." },
    });
  });

  it("a primary-school level is posted as words, in the primary school's own school", async () => {
    const res = await hoa.post(`/assignments/${ids.khaiTruong}/submissions`, { studentId: ids.nam, level: "HT", comment: "Con viết được 3 câu." });
    expect(res.status).toBe(200);
    const [e] = (await eventsOf("grade.posted")).filter((x) => x.studentId === ids.nam);
    expect(e).toMatchObject({ schoolId: ids.th, classId: ids.tv3, actorId: ids.hoa, payload: { display: "Hoàn thành", level: "HT" } });
  });

  it("a grade for a student not in the class writes no event and no submission", async () => {
    const before = await eventCount();
    const res = await lan.post(`/assignments/${assignmentId}/submissions`, { studentId: ids.dung, score: "7" });
    expect(res.status).toBe(400);
    expect(await eventCount()).toBe(before);
    expect(await hub.database.db.select().from(submissions).where(and(eq(submissions.assignmentId, assignmentId), eq(submissions.studentId, ids.dung)))).toEqual([]);
  });

  it("a refused grade (10,5) writes no event and leaves the grade as it was", async () => {
    const before = await eventCount();
    const res = await lan.post(`/assignments/${assignmentId}/submissions`, { studentId: ids.an, score: "10,5" });
    expect(res.status).toBe(400);
    expect(await eventCount()).toBe(before);
    const [sub] = await hub.database.db.select().from(submissions).where(eq(submissions.id, submissionId));
    expect(sub).toMatchObject({ status: "graded", score: "8.50" });
  });
});

describe("transactionality: the fact and its event commit together or not at all", () => {
  let assignmentId: string;

  beforeAll(async () => {
    const res = await lan.post(`/classes/${ids.toan6}/assignments/new`, { title: "Bài tập giao dịch", dueAt: inDays(2), scale: "ten_point" });
    assignmentId = /\/assignments\/([0-9a-f-]{36})\//.exec(res.headers.get("location")!)![1];
    expect((await binh.post(`/assignments/${assignmentId}`, { body: "Bài của Bình" })).status).toBe(200);
    // Test triggers that refuse one write on demand (by a marker in the data), inside the app's transaction.
    await hub.database.query(`
      create or replace function lopso_test_refuse() returns trigger language plpgsql as $$
      begin
        if tg_table_name = 'events' then
          if new.payload->>'comment' = 'LOI-OUTBOX' or new.payload->>'title' = 'LOI-OUTBOX' then
            raise exception 'outbox write refused by test';
          end if;
        elsif tg_table_name = 'submissions' then
          if new.comment = 'LOI-BANG' then
            raise exception 'submission write refused by test';
          end if;
        end if;
        return new;
      end $$`);
    await hub.database.query("create trigger lopso_test_refuse_events before insert on events for each row execute function lopso_test_refuse()");
    await hub.database.query("create trigger lopso_test_refuse_submissions before insert or update on submissions for each row execute function lopso_test_refuse()");
  });

  afterAll(async () => {
    await hub.database.query("drop trigger if exists lopso_test_refuse_events on events");
    await hub.database.query("drop trigger if exists lopso_test_refuse_submissions on submissions");
  });

  async function binhsWork() {
    const [row] = await hub.database.db.select().from(submissions).where(and(eq(submissions.assignmentId, assignmentId), eq(submissions.studentId, ids.binh)));
    return row;
  }

  it("when the grade cannot be written, no grade.posted event is written", async () => {
    const errors = expectConsoleErrors();
    const before = { events: await eventCount(), work: await binhsWork() };
    const res = await lan.post(`/assignments/${assignmentId}/submissions`, { studentId: ids.binh, score: "7", comment: "LOI-BANG" });
    expect(res.status).toBe(500);
    expect(errors.take().length).toBeGreaterThan(0);
    expect(await eventCount()).toBe(before.events);
    expect(await binhsWork()).toEqual(before.work);
  });

  it("when the event cannot be written, the grade is rolled back with it", async () => {
    const errors = expectConsoleErrors();
    const before = { events: await eventCount(), work: await binhsWork() };
    expect(before.work).toMatchObject({ status: "submitted", score: null });
    const res = await lan.post(`/assignments/${assignmentId}/submissions`, { studentId: ids.binh, score: "7", comment: "LOI-OUTBOX" });
    expect(res.status).toBe(500);
    expect(errors.take().length).toBeGreaterThan(0);
    expect(await eventCount()).toBe(before.events);
    expect(await binhsWork()).toEqual(before.work);
  });

  it("when the event cannot be written, a new published lesson is not created either", async () => {
    const errors = expectConsoleErrors();
    const before = await eventCount();
    const res = await lan.post(`/classes/${ids.toan6}/lessons/new`, { title: "LOI-OUTBOX", bodyMd: "x", intent: "publish" });
    expect(res.status).toBe(500);
    expect(errors.take().length).toBeGreaterThan(0);
    expect(await hub.database.db.select().from(lessons).where(eq(lessons.title, "LOI-OUTBOX"))).toEqual([]);
    expect(await eventCount()).toBe(before);
  });

  it("after the failures, the same grade goes through with exactly one event", async () => {
    const res = await lan.post(`/assignments/${assignmentId}/submissions`, { studentId: ids.binh, score: "7", comment: "Khá" });
    expect(res.status).toBe(200);
    const work = await binhsWork();
    expect(work).toMatchObject({ status: "graded", score: "7.00", comment: "Khá" });
    const list = await eventsOf("grade.posted", work.id);
    expect(list).toHaveLength(1);
    expect(list[0].payload).toMatchObject({ display: "7/10" });
  });
});
