/**
 * Teachers correcting their mistakes: editing an assignment (its due date re-evaluates missing
 * work, its scale changes only while nothing is graded), files on an assignment, deleting a lesson,
 * deleting or archiving an assignment, and the list of who has not handed in — through the real
 * hub over HTTP, on PGlite and on PostgreSQL.
 */
import fs from "node:fs";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments, attachments, events, lessons, submissions } from "../../db/schema/index.ts";
import { sweepMissing } from "../../app/services/assignments.server.ts";
import { studentToday } from "../../app/services/timeline.server.ts";
import { childOverview } from "../../app/services/families.server.ts";
import { toLocalDateTimeInput } from "../../app/lib/vn.ts";
import { demoLookup } from "../support/demo.ts";
import { fieldError, htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
const ids: Record<string, string> = {};
const c: Record<string, Client> = {};
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

const LOGINS = {
  lan: "lan.nt@nguyendu.lopso.demo", // teaches Toán 6A1
  minh: "minh.tv@nguyendu.lopso.demo", // teaches Ngữ văn 6A1 only
  an: "an.nv@nguyendu.lopso.demo", // Toán 6A1
  cuong: "cuong.lh@nguyendu.lopso.demo", // Toán 6A1
  khoa: "khoa.bd@nguyendu.lopso.demo", // KHTN 7A2 only
  hung: "0912345678", // An's father
};

const PDF = new TextEncoder().encode("%PDF-1.4\n% Lớp Số test file\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
const pdf = (name: string) => new File([PDF], name, { type: "application/pdf" });

/** A due date as the form's datetime-local value, whole minutes from now. */
const inMinutes = (m: number) => toLocalDateTimeInput(new Date(Math.ceil((Date.now() + m * MIN) / MIN) * MIN));
const at = (input: string) => new Date(`${input}:00+07:00`);

function uploadsKeys(): string[] {
  const dir = path.join(hub.dataDir, "uploads");
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && !d.name.endsWith(".part")).map((d) => d.name);
}

async function assignment(id: string) {
  const [row] = await hub.database.db.select().from(assignments).where(eq(assignments.id, id));
  return row;
}

async function submissionOf(assignmentId: string, studentId: string) {
  const [row] = await hub.database.db.select().from(submissions).where(and(eq(submissions.assignmentId, assignmentId), eq(submissions.studentId, studentId)));
  return row ?? null;
}

/** The assignment form's fields as they are stored now, with `changes` on top. */
async function formOf(id: string, changes: Record<string, string> = {}) {
  const a = await assignment(id);
  return {
    title: a.title,
    instructionsMd: a.instructionsMd,
    dueAt: toLocalDateTimeInput(a.dueAt),
    scale: a.scale,
    maxPoints: a.maxPoints ?? "",
    ...changes,
  };
}

async function newAssignment(title: string, dueAt: string, files: File[] = []) {
  const form = new FormData();
  for (const [k, v] of Object.entries({ title, instructionsMd: "Làm bài trong SGK.", dueAt, scale: "ten_point" })) form.append(k, v);
  for (const f of files) form.append("files", f);
  const res = await c.lan.post(`/classes/${ids.toan6}/assignments/new`, form);
  expect(res.status).toBe(302);
  return /\/assignments\/([0-9a-f-]{36})\/submissions/.exec(res.headers.get("location")!)![1];
}

/** `submission.missing` events of one student and assignment, by the due date they were about. */
async function missingEventsByDue(assignmentId: string, studentId: string) {
  const rows = await hub.database.query<{ due: string; n: number }>(
    `select payload->>'dueAt' as due, count(*)::int as n from events
     where type = 'submission.missing' and student_id = $1 and payload->>'assignmentId' = $2 group by 1`,
    [studentId, assignmentId],
  );
  return rows.map((r) => ({ due: new Date(r.due).getTime(), n: Number(r.n) })).sort((x, y) => x.due - y.due);
}

beforeAll(async () => {
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  ids.toan6 = await find.class("6A1", "toan");
  ids.sets = await find.assignment("Bài tập về tập hợp"); // due 2 days ago: An graded, Bình submitted
  ids.roman = await find.assignment("Luyện tập: Số La Mã"); // due in 3 days: An submitted
  ids.lesson = await find.lesson("Bài 1. Tập hợp");
  for (const [k, login] of Object.entries(LOGINS)) {
    c[k] = await hub.as(login);
    if (login.includes("@")) ids[k] = await find.user(login);
  }
  ids.giang = await find.user("giang.ht@nguyendu.lopso.demo");
  ids.binh = await find.user("binh.tt@nguyendu.lopso.demo");
});

afterAll(async () => {
  await hub?.close();
});

describe("editing an assignment", () => {
  it("changes title, instructions and due date and keeps the work already handed in", async () => {
    const before = await submissionOf(ids.roman, ids.an);
    const dueAt = inMinutes(5 * 24 * 60);
    const res = await c.lan.post(
      `/classes/${ids.toan6}/assignments/${ids.roman}/edit`,
      await formOf(ids.roman, { title: "Luyện tập: Số La Mã (sửa)", instructionsMd: "Viết các số từ **1 đến 30** bằng số La Mã.", dueAt }),
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/assignments/${ids.roman}/submissions?saved=1`);
    const a = await assignment(ids.roman);
    expect(a).toMatchObject({ title: "Luyện tập: Số La Mã (sửa)", dueAt: at(dueAt) });
    expect(a.instructionsHtml).toContain("<strong>1 đến 30</strong>");
    const after = await submissionOf(ids.roman, ids.an);
    expect(after).toEqual({ ...before!, late: false });
    // The student sees the corrected assignment and their own work.
    const page = await (await c.an.get(`/assignments/${ids.roman}`)).text();
    expect(page).toContain("Luyện tập: Số La Mã (sửa)");
    expect(page).toContain("I, II, III");
  });

  it("refuses a bad form beside its fields, in Vietnamese and in English, and changes nothing", async () => {
    const before = await assignment(ids.roman);
    const path_ = `/classes/${ids.toan6}/assignments/${ids.roman}/edit`;
    const bad = await formOf(ids.roman, { title: "x", dueAt: inMinutes(-3 * 24 * 60), scale: "points", maxPoints: "0.001" });
    const res = await c.lan.post(path_, bad);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(fieldError(html, "title")).toBe("Tiêu đề cần ít nhất 3 ký tự.");
    expect(fieldError(html, "maxPoints")).not.toBeNull();
    // The due date is checked once the form parses: a past date alone.
    const past = await c.lan.post(path_, await formOf(ids.roman, { dueAt: inMinutes(-3 * 24 * 60) }));
    expect(past.status).toBe(400);
    expect(fieldError(await past.text(), "dueAt")).toBe("Hạn nộp phải ở tương lai.");
    c.lan.cookies.set("lang", "en");
    try {
      const en = await c.lan.post(path_, bad);
      const text = await en.text();
      expect(text).toContain('<html lang="en"');
      expect(fieldError(text, "title")).toMatch(/at least 3/);
    } finally {
      c.lan.cookies.delete("lang");
    }
    expect(await assignment(ids.roman)).toEqual(before);
  });

  it("keeps an unchanged past due date (fixing only the title of overdue work)", async () => {
    const before = await assignment(ids.sets);
    const res = await c.lan.post(`/classes/${ids.toan6}/assignments/${ids.sets}/edit`, await formOf(ids.sets, { title: "Bài tập về tập hợp (1.1–1.5)" }));
    expect(res.status).toBe(302);
    expect(await assignment(ids.sets)).toEqual({ ...before, title: "Bài tập về tập hợp (1.1–1.5)" });
  });

  it("changes the scale only while nothing is graded", async () => {
    // An's work on "Bài tập về tập hợp" is graded: the scale stays.
    const res = await c.lan.post(`/classes/${ids.toan6}/assignments/${ids.sets}/edit`, await formOf(ids.sets, { scale: "points", maxPoints: "20" }));
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "scale")).toBe("Đã có bài được chấm nên không đổi được thang đánh giá hay điểm tối đa.");
    expect(await assignment(ids.sets)).toMatchObject({ scale: "ten_point", maxPoints: null });

    // Nothing graded yet on the Roman numerals: points out of 20, then the maximum alone.
    const ok = await c.lan.post(`/classes/${ids.toan6}/assignments/${ids.roman}/edit`, await formOf(ids.roman, { scale: "points", maxPoints: "20" }));
    expect(ok.status).toBe(302);
    expect(await assignment(ids.roman)).toMatchObject({ scale: "points", maxPoints: "20.00" });
    const graded = await c.lan.post(`/assignments/${ids.roman}/submissions`, { studentId: ids.an, score: "18" });
    expect(graded.status).toBe(200);
    const locked = await c.lan.post(`/classes/${ids.toan6}/assignments/${ids.roman}/edit`, await formOf(ids.roman, { maxPoints: "30" }));
    expect(locked.status).toBe(400);
    expect(fieldError(await locked.text(), "maxPoints")).toBe("Đã có bài được chấm nên không đổi được thang đánh giá hay điểm tối đa.");
    expect(await assignment(ids.roman)).toMatchObject({ scale: "points", maxPoints: "20.00" });
  });
});

describe("a changed due date re-evaluates missing work", () => {
  let id: string;
  let firstDue: Date;

  it("moving the due date later takes back a recorded 'missing'", async () => {
    await sweepMissing(hub.database.db); // settle the seed's past-due work first
    // Due in an hour; the sweep as it runs an hour and a half from now marks four students missing.
    const due = inMinutes(60);
    id = await newAssignment("Bài đổi hạn", due);
    firstDue = at(due);
    expect(await sweepMissing(hub.database.db, new Date(firstDue.getTime() + 30 * MIN))).toBe(4);
    expect((await submissionOf(id, ids.cuong))?.status).toBe("missing");
    expect(await missingEventsByDue(id, ids.cuong)).toEqual([{ due: firstDue.getTime(), n: 1 }]);

    const later = inMinutes(3 * 24 * 60);
    const res = await c.lan.post(`/classes/${ids.toan6}/assignments/${id}/edit`, await formOf(id, { dueAt: later }));
    expect(res.status).toBe(302);
    expect(await submissionOf(id, ids.cuong)).toBeNull();
    expect((await assignment(id)).sweptAt).toBeNull();
    // No longer overdue for the student, nor missing for the parent.
    const today = await studentToday(hub.database.db, { id: ids.cuong } as never);
    expect(today.overdue.map((w) => w.id)).not.toContain(id);
    expect(today.dueSoon.map((w) => w.id)).toContain(id);
    const grading = await (await c.lan.get(`/assignments/${id}/submissions`)).text();
    expect(grading).not.toContain("Thiếu bài");
  });

  it("the sweep records it again after the new date, once", async () => {
    const due = (await assignment(id)).dueAt;
    expect(await sweepMissing(hub.database.db)).toBe(0);
    expect(await sweepMissing(hub.database.db, new Date(due.getTime() + MIN))).toBe(4);
    expect(await sweepMissing(hub.database.db, new Date(due.getTime() + 2 * MIN))).toBe(0);
    expect((await submissionOf(id, ids.cuong))?.status).toBe("missing");
    expect(await missingEventsByDue(id, ids.cuong)).toEqual([
      { due: firstDue.getTime(), n: 1 },
      { due: due.getTime(), n: 1 },
    ]);
  });

  it("never writes the event twice for the same student, assignment and due date", async () => {
    // Moved to a later date, then back to the first one: swept again, but nothing new to tell.
    const evenLater = inMinutes(5 * 24 * 60);
    expect((await c.lan.post(`/classes/${ids.toan6}/assignments/${id}/edit`, await formOf(id, { dueAt: evenLater }))).status).toBe(302);
    const back = toLocalDateTimeInput(firstDue);
    expect((await c.lan.post(`/classes/${ids.toan6}/assignments/${id}/edit`, await formOf(id, { dueAt: back }))).status).toBe(302);
    expect((await assignment(id)).sweptAt).toBeNull();
    const before = await hub.database.db.select().from(events).where(eq(events.type, "submission.missing"));
    expect(await sweepMissing(hub.database.db, new Date(firstDue.getTime() + 30 * MIN))).toBe(0);
    expect((await submissionOf(id, ids.cuong))?.status).toBe("missing");
    expect((await assignment(id)).sweptAt).toBeInstanceOf(Date);
    const after = await hub.database.db.select().from(events).where(eq(events.type, "submission.missing"));
    expect(after.length).toBe(before.length);
    for (const student of [ids.cuong, ids.giang, ids.an, ids.binh]) {
      expect((await missingEventsByDue(id, student)).every((r) => r.n === 1)).toBe(true);
    }
    // The database itself refuses a second event for the same key.
    const [one] = after.filter((e) => e.studentId === ids.cuong && (e.payload as { dueAt: string }).dueAt && new Date((e.payload as { dueAt: string }).dueAt).getTime() === firstDue.getTime());
    await expect(
      hub.database.db.insert(events).values({ type: "submission.missing", schoolId: one.schoolId, subjectId: one.subjectId, studentId: one.studentId, payload: {} }),
    ).rejects.toThrow();
  });

  it("a hand-in that arrives while the teacher moves the due date is never lost", async () => {
    const trials = 6;
    for (let i = 0; i < trials; i++) {
      // Overdue and recorded missing, as the sweep leaves it.
      await hub.database.db.update(assignments).set({ dueAt: new Date(Date.now() - DAY), sweptAt: new Date() }).where(eq(assignments.id, id));
      await hub.database.db
        .update(submissions)
        .set({ status: "missing", body: "", submittedAt: null, late: false, missingAt: new Date() })
        .where(and(eq(submissions.assignmentId, id), eq(submissions.studentId, ids.cuong)));
      const body = `Bài của Cường, lần ${i + 1}`;
      const [submitted, edited] = await Promise.all([
        c.cuong.post(`/assignments/${id}`, { body }),
        c.lan.post(`/classes/${ids.toan6}/assignments/${id}/edit`, await formOf(id, { dueAt: inMinutes(2 * 24 * 60 + i) })),
      ]);
      expect(submitted.status).toBe(200);
      expect(edited.status).toBe(302);
      const row = await submissionOf(id, ids.cuong);
      expect(row).toMatchObject({ status: "submitted", body });
      const received = await hub.database.db.select().from(events).where(and(eq(events.type, "submission.received"), eq(events.subjectId, row!.id)));
      expect(received.length).toBeGreaterThan(0);
    }
  });
});

describe("files on an assignment", () => {
  let id: string;
  let fileId: string;

  it("are attached when the assignment is set and when it is edited, within the lesson limits", async () => {
    id = await newAssignment("Bài có phiếu", inMinutes(2 * 24 * 60), [pdf("phieu-1.pdf")]);
    const form = new FormData();
    for (const [k, v] of Object.entries(await formOf(id))) form.append(k, v);
    form.append("files", pdf("phieu-2.pdf"));
    expect((await c.lan.post(`/classes/${ids.toan6}/assignments/${id}/edit`, form)).status).toBe(302);
    const rows = await hub.database.db.select().from(attachments).where(eq(attachments.assignmentId, id));
    expect(rows.map((r) => r.filename).sort()).toEqual(["phieu-1.pdf", "phieu-2.pdf"]);
    fileId = rows.find((r) => r.filename === "phieu-1.pdf")!.id;

    // Four more would make six: refused beside the file field, nothing stored.
    const keys = uploadsKeys().length;
    const tooMany = new FormData();
    for (const [k, v] of Object.entries(await formOf(id))) tooMany.append(k, v);
    for (let i = 0; i < 4; i++) tooMany.append("files", pdf(`them-${i}.pdf`));
    const res = await c.lan.post(`/classes/${ids.toan6}/assignments/${id}/edit`, tooMany);
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "files")).not.toBeNull();
    expect(await hub.database.db.select().from(attachments).where(eq(attachments.assignmentId, id))).toHaveLength(2);
    expect(uploadsKeys().length).toBe(keys);

    // A file that is not what it says is refused as for lessons.
    const fake = new FormData();
    for (const [k, v] of Object.entries(await formOf(id))) fake.append(k, v);
    fake.append("files", new File(["<html>"], "bai.pdf", { type: "application/pdf" }));
    const mismatch = await c.lan.post(`/classes/${ids.toan6}/assignments/${id}/edit`, fake);
    expect(mismatch.status).toBe(400);
    expect(fieldError(await mismatch.text(), "files")).not.toBeNull();
  });

  it("are shown to the class's students and downloadable only by those who may see the assignment", async () => {
    const page = await (await c.an.get(`/assignments/${id}`)).text();
    expect(page).toContain(`href="/files/${fileId}"`);
    const got: Record<string, number> = {};
    for (const who of ["lan", "an", "minh", "khoa", "hung"]) got[who] = (await c[who].get(`/files/${fileId}`)).status;
    expect(got).toEqual({ lan: 200, an: 200, minh: 404, khoa: 404, hung: 404 });
    const res = await c.an.get(`/files/${fileId}`);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(PDF);
  });

  it("a file can be removed by the teacher, with its stored copy", async () => {
    const [row] = await hub.database.db.select().from(attachments).where(eq(attachments.id, fileId));
    expect((await c.minh.post(`/classes/${ids.toan6}/assignments/${id}/edit`, { intent: "remove-file", attachmentId: fileId })).status).toBe(404);
    expect(uploadsKeys()).toContain(row.storageKey);
    expect((await c.lan.post(`/classes/${ids.toan6}/assignments/${id}/edit`, { intent: "remove-file", attachmentId: fileId })).status).toBe(200);
    expect(await hub.database.db.select().from(attachments).where(eq(attachments.id, fileId))).toEqual([]);
    expect(uploadsKeys()).not.toContain(row.storageKey);
  });
});

describe("deleting a lesson", () => {
  it("asks first on a page of its own, then deletes the lesson with its files", async () => {
    const form = new FormData();
    form.append("title", "Bài sẽ xóa");
    form.append("bodyMd", "Nội dung");
    form.append("intent", "publish");
    form.append("files", pdf("bai-xoa.pdf"));
    const created = await c.lan.post(`/classes/${ids.toan6}/lessons/new`, form);
    expect(created.status).toBe(302);
    const lessonId = /\/lessons\/([0-9a-f-]{36})\/edit/.exec(created.headers.get("location")!)![1];
    const [file] = await hub.database.db.select().from(attachments).where(eq(attachments.lessonId, lessonId));
    expect(uploadsKeys()).toContain(file.storageKey);

    const confirm = await c.lan.get(`/classes/${ids.toan6}/lessons/${lessonId}/delete`);
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(htmlText(html)).toContain("Xóa bài học “Bài sẽ xóa”?");
    expect(html).toMatch(/<form\b[^>]*method="post"[^>]*>\s*<button type="submit" class="danger">Xóa hẳn bài học<\/button>/);
    expect((await c.an.get(`/lessons/${lessonId}`)).status).toBe(200);

    const res = await c.lan.post(`/classes/${ids.toan6}/lessons/${lessonId}/delete`, {});
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/classes/${ids.toan6}?removed=lesson`);
    expect(await hub.database.db.select().from(lessons).where(eq(lessons.id, lessonId))).toEqual([]);
    expect(await hub.database.db.select().from(attachments).where(eq(attachments.id, file.id))).toEqual([]);
    expect(uploadsKeys()).not.toContain(file.storageKey);
    expect((await c.an.get(`/lessons/${lessonId}`)).status).toBe(404);
    expect((await c.an.get(`/files/${file.id}`)).status).toBe(404);
  });

  it("another class's lesson id under this class is not found", async () => {
    const other = await demoLookup(hub.database.db).class("6A1", "ngu-van");
    expect((await c.minh.post(`/classes/${other}/lessons/${ids.lesson}/delete`, {})).status).toBe(404);
    expect(await hub.database.db.select({ id: lessons.id }).from(lessons).where(eq(lessons.id, ids.lesson))).toHaveLength(1);
  });
});

describe("deleting an assignment", () => {
  it("without submissions: deleted for good, with its files", async () => {
    const id = await newAssignment("Bài giao nhầm", inMinutes(24 * 60), [pdf("nham.pdf")]);
    const [file] = await hub.database.db.select().from(attachments).where(eq(attachments.assignmentId, id));
    const confirm = await (await c.lan.get(`/classes/${ids.toan6}/assignments/${id}/delete`)).text();
    expect(htmlText(confirm)).toContain("chưa có bài nộp nào");
    const res = await c.lan.post(`/classes/${ids.toan6}/assignments/${id}/delete`, {});
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/classes/${ids.toan6}?removed=assignment-deleted`);
    expect(await hub.database.db.select().from(assignments).where(eq(assignments.id, id))).toEqual([]);
    expect(uploadsKeys()).not.toContain(file.storageKey);
    expect((await c.an.get(`/assignments/${id}`)).status).toBe(404);
  });

  it("with submissions: archived, hidden from students, parents and 'Hôm nay', kept for the teacher", async () => {
    const id = await newAssignment("Bài sẽ lưu trữ", inMinutes(2 * 24 * 60), [pdf("luu-tru.pdf")]);
    const [file] = await hub.database.db.select().from(attachments).where(eq(attachments.assignmentId, id));
    expect((await c.an.post(`/assignments/${id}`, { body: "Bài của An" })).status).toBe(200);
    expect((await c.lan.post(`/assignments/${id}/submissions`, { studentId: ids.an, score: "7" })).status).toBe(200);
    // Visible before.
    expect((await studentToday(hub.database.db, { id: ids.cuong } as never)).dueSoon.map((w) => w.id)).toContain(id);
    expect((await studentToday(hub.database.db, { id: ids.an } as never)).recentGrades.map((g) => g.assignmentId)).toContain(id);
    const [{ parent_id: hungId }] = await hub.database.query<{ parent_id: string }>("select parent_id from parent_links where student_id = $1 limit 1", [ids.an]);
    expect((await childOverview(hub.database.db, { id: hungId } as never, ids.an)).graded.map((w) => w.assignmentId)).toContain(id);

    const confirm = await (await c.lan.get(`/classes/${ids.toan6}/assignments/${id}/delete`)).text();
    expect(htmlText(confirm)).toContain("sẽ được lưu trữ");
    const res = await c.lan.post(`/classes/${ids.toan6}/assignments/${id}/delete`, {});
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/classes/${ids.toan6}?removed=assignment-archived`);
    expect((await assignment(id)).archivedAt).toBeInstanceOf(Date);
    expect(await submissionOf(id, ids.an)).toMatchObject({ status: "graded", score: "7.00", body: "Bài của An" });

    // Students: not on the page, not on "Hôm nay" (due soon or recent grades), not its files.
    expect((await c.an.get(`/assignments/${id}`)).status).toBe(404);
    expect((await c.an.get(`/files/${file.id}`)).status).toBe(404);
    expect((await c.cuong.post(`/assignments/${id}`, { body: "Nộp vào bài đã lưu trữ" })).status).toBe(404);
    expect(await submissionOf(id, ids.cuong)).toBeNull();
    const todayHtml = await (await c.cuong.get("/today")).text();
    expect(todayHtml).not.toContain("Bài sẽ lưu trữ");
    expect((await studentToday(hub.database.db, { id: ids.an } as never)).recentGrades.map((g) => g.assignmentId)).not.toContain(id);
    expect(await (await c.an.get("/today")).text()).not.toContain("Bài sẽ lưu trữ");
    // Not on the class page either, the student's or the parent's.
    const myClass = await c.an.get(`/my/classes/${ids.toan6}`);
    expect(myClass.status).toBe(200);
    expect(await myClass.text()).not.toContain("Bài sẽ lưu trữ");
    // Parents: not among the child's grades, missing or upcoming work.
    const child = await (await c.hung.get(`/children/${ids.an}`)).text();
    expect(child).toContain("Nguyễn Văn An");
    expect(child).not.toContain("Bài sẽ lưu trữ");
    const childClass = await c.hung.get(`/children/${ids.an}/classes/${ids.toan6}`);
    expect(childClass.status).toBe(200);
    expect(await childClass.text()).not.toContain("Bài sẽ lưu trữ");
    // The sweep leaves it alone, even past its due date.
    const due = (await assignment(id)).dueAt;
    await sweepMissing(hub.database.db, new Date(due.getTime() + MIN));
    expect(await submissionOf(id, ids.cuong)).toBeNull();

    // The teacher keeps it under "Đã lưu trữ", with its work and grades, and its file.
    const classHtml = await (await c.lan.get(`/classes/${ids.toan6}`)).text();
    const archived = classHtml.slice(classHtml.indexOf('id="archived"'));
    expect(classHtml).toContain('id="archived"');
    expect(archived).toContain("Bài sẽ lưu trữ");
    const grading = await c.lan.get(`/assignments/${id}/submissions`);
    expect(grading.status).toBe(200);
    const gradingText = htmlText(await grading.text());
    expect(gradingText).toContain("Đã lưu trữ");
    expect(gradingText).toContain("Bài của An");
    expect((await c.lan.get(`/files/${file.id}`)).status).toBe(200);
    // Archived work is not edited or removed again.
    expect((await c.lan.get(`/classes/${ids.toan6}/assignments/${id}/edit`)).status).toBe(404);
    expect((await c.lan.post(`/classes/${ids.toan6}/assignments/${id}/delete`, {})).status).toBe(404);
  });
});

describe("who has not handed in", () => {
  it("the grading page names the class's students without work, with a count", async () => {
    // "Bài tập về tập hợp": An graded, Bình submitted; Cường and Giang have nothing.
    const html = await (await c.lan.get(`/assignments/${ids.sets}/submissions`)).text();
    const section = /<section[^>]*aria-labelledby="not-handed-in"[^>]*>([\s\S]*?)<\/section>/.exec(html)![1];
    expect(htmlText(section)).toMatch(/^Chưa nộp bài \(2\/4\)/);
    const names = [...section.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
    expect(names).toEqual(["Lê Hoàng Cường", "Hoàng Thu Giang"]); // class-list order, by given name
  });
});
