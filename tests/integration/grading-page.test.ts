/**
 * The grading page for a whole class, over real HTTP against the real database: handed-in work
 * first, answers and files at hand, "Lưu tất cả" saving several rows in one go (valid rows saved,
 * a bad row kept with its error beside it), one grade.posted per grade actually changed, and the
 * Đạt / Chưa đạt scale wherever a grade is shown.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachments, events, submissions } from "../../db/schema/index.ts";
import { toLocalDateTimeInput } from "../../app/lib/vn.ts";
import { demoLookup } from "../support/demo.ts";
import { fieldError, htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
const ids: Record<string, string> = {};
let lan: Client, minh: Client, hoa: Client, an: Client, binh: Client, giang: Client, hung: Client;

const inDays = (d: number) => toLocalDateTimeInput(new Date(Date.now() + d * 24 * 3600 * 1000));

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89]);
const HEIC = (() => {
  const b = new Uint8Array(32);
  b.set([0, 0, 0, 24], 0);
  b.set([...Buffer.from("ftypheic")], 4);
  b.set([...Buffer.from("mif1heic")], 16);
  return b;
})();

async function newAssignment(title: string, scale: string): Promise<string> {
  const res = await lan.post(`/classes/${ids.toan6}/assignments/new`, { title, instructionsMd: "", dueAt: inDays(3), scale });
  expect(res.status).toBe(302);
  return /\/assignments\/([0-9a-f-]{36})\//.exec(res.headers.get("location")!)![1];
}

async function workOf(assignmentId: string, studentId: string) {
  const [row] = await hub.database.db
    .select({ status: submissions.status, score: submissions.score, level: submissions.level, comment: submissions.comment })
    .from(submissions)
    .where(and(eq(submissions.assignmentId, assignmentId), eq(submissions.studentId, studentId)));
  return row ?? null;
}

/** grade.posted events of an assignment, per student id. */
async function postedFor(assignmentId: string): Promise<Record<string, number>> {
  const rows = await hub.database.db.select({ studentId: events.studentId, payload: events.payload }).from(events).where(eq(events.type, "grade.posted"));
  const out: Record<string, number> = {};
  for (const r of rows) if ((r.payload as { assignmentId?: string }).assignmentId === assignmentId) out[r.studentId!] = (out[r.studentId!] ?? 0) + 1;
  return out;
}

/** The students' names as the page lists their rows, top to bottom. */
function rowOrder(html: string) {
  return [...html.matchAll(/data-testid="grade-row" data-student="([^"]+)"/g)].map((m) => m[1]);
}

beforeAll(async () => {
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  ids.toan6 = await find.class("6A1", "toan");
  ids.an = await find.user("an.nv@nguyendu.lopso.demo");
  ids.binh = await find.user("binh.tt@nguyendu.lopso.demo");
  ids.cuong = await find.user("cuong.lh@nguyendu.lopso.demo");
  ids.giang = await find.user("giang.ht@nguyendu.lopso.demo");
  ids.dung = await find.user("dung.pm@nguyendu.lopso.demo");
  [lan, minh, hoa, an, binh, giang, hung] = await Promise.all([
    hub.as("lan.nt@nguyendu.lopso.demo"),
    hub.as("minh.tv@nguyendu.lopso.demo"),
    hub.as("hoa.lt@kimdong.lopso.demo"),
    hub.as("an.nv@nguyendu.lopso.demo"),
    hub.as("binh.tt@nguyendu.lopso.demo"),
    hub.as("giang.ht@nguyendu.lopso.demo"),
    hub.as("0912345678"),
  ]);
});

afterAll(async () => {
  await hub?.close();
});

describe("grading a class on the 10-point scale", () => {
  let id: string;
  const path = () => `/assignments/${id}/submissions`;

  beforeAll(async () => {
    id = await newAssignment("Kiểm tra nhanh: phân số", "ten_point");
    // Giang hands in an answer, a photo, a HEIC photo and a PDF; Bình an answer; An and Cường nothing.
    const form = new FormData();
    form.append("body", "Câu 1: 3/4\nCâu 2: 5/6");
    form.append("files", new File([PNG], "anh-bai-lam.png", { type: "image/png" }));
    form.append("files", new File([HEIC], "anh-iphone.heic", { type: "image/heic" }));
    form.append("files", new File([Buffer.from("%PDF-1.4\n%%EOF\n")], "bai-lam.pdf", { type: "application/pdf" }));
    expect((await giang.post(`/assignments/${id}`, form)).status).toBe(200);
    expect((await binh.post(`/assignments/${id}`, { body: "Bài của Bình" })).status).toBe(200);
  });

  it("lists the work handed in first, then who has not handed in, each in class-list order", async () => {
    const { status, text } = await lan.html(path());
    expect(status).toBe(200);
    expect(rowOrder(text)).toEqual(["Trần Thị Bình", "Hoàng Thu Giang", "Nguyễn Văn An", "Lê Hoàng Cường"]);
    expect(htmlText(text)).toContain("Đã nộp (2)");
    expect(htmlText(text)).toContain("Chưa nộp (2)");
  });

  it("labels each row's fields with the student's name and uses the words of the scale", async () => {
    const { text } = await lan.html(path());
    const label = new RegExp(`<label for="score-${ids.an}">([^<]*(?:<!-- -->[^<]*)*)</label>`).exec(text);
    expect(htmlText(label![1].replace(/<!-- -->/g, ""))).toBe("Điểm của Nguyễn Văn An (0–10)");
    expect(text).toContain(`name="score.${ids.an}"`);
    expect(htmlText(text)).toContain("Nhận xét cho Nguyễn Văn An");
    expect(text).toContain(">Lưu điểm</button>");
    expect(text).not.toContain("Lưu đánh giá");
    expect(text.match(/>Lưu tất cả</g)?.length).toBeGreaterThanOrEqual(1);
  });

  it("without JavaScript, Enter in a field submits “Lưu tất cả”: it is the form's first submit button", async () => {
    const { text } = await lan.html(path());
    const form = /<form\b[^>]*aria-label="Bài nộp"[^>]*>([\s\S]*?)<\/form>/.exec(text)![1];
    const first = /<button type="submit"[^>]*>/.exec(form)![0];
    expect(first).toContain('name="intent"');
    expect(first).toContain('value="saveAll"');
    // Every row is inside that one form.
    expect(form.match(/data-testid="grade-row"/g)).toHaveLength(4);
  });

  it("folds the answer into a <details>, shows a photo inline, keeps HEIC a download and opens a PDF in a new tab", async () => {
    const { text } = await lan.html(path());
    expect(text).toMatch(/<details><summary>Xem câu trả lời<\/summary><p class="answer">Câu 1: 3\/4\r?\nCâu 2: 5\/6<\/p><\/details>/);
    const files = await hub.database.db
      .select({ id: attachments.id, filename: attachments.filename })
      .from(attachments)
      .innerJoin(submissions, eq(submissions.id, attachments.submissionId))
      .where(eq(submissions.assignmentId, id));
    const byName = Object.fromEntries(files.map((f) => [f.filename, f.id]));
    expect(text).toContain(`<img src="/files/${byName["anh-bai-lam.png"]}" alt="Ảnh bài nộp của Hoàng Thu Giang: anh-bai-lam.png"`);
    expect(text).not.toContain(`<img src="/files/${byName["anh-iphone.heic"]}"`);
    expect(text).toContain(`<a href="/files/${byName["anh-iphone.heic"]}" download="">anh-iphone.heic</a>`);
    expect(text).toMatch(new RegExp(`<a href="/files/${byName["bai-lam.pdf"]}" target="_blank" rel="noopener">bai-lam.pdf \\(mở ở thẻ mới\\)</a>`));
    // The photo is served to the teacher as an image the <img> can show.
    const img = await lan.get(`/files/${byName["anh-bai-lam.png"]}`);
    expect(img.status).toBe(200);
    expect(img.headers.get("content-type")).toContain("image/png");
  });

  it("“Lưu tất cả” saves the valid rows, keeps the bad row with its error beside it, and skips blank rows", async () => {
    const res = await lan.post(path(), {
      intent: "saveAll",
      [`score.${ids.binh}`]: "8,5",
      [`comment.${ids.binh}`]: "Trình bày gọn.",
      [`score.${ids.giang}`]: "11",
      [`comment.${ids.giang}`]: "Xem lại câu 2",
      [`score.${ids.an}`]: "7",
      [`comment.${ids.an}`]: "",
      [`score.${ids.cuong}`]: "",
      [`comment.${ids.cuong}`]: "",
    });
    const html = await res.text();
    expect(res.status).toBe(400);
    expect(fieldError(html, `score.${ids.giang}`)).toBe("Điểm phải từ 0 đến 10.");
    expect(html.match(/aria-invalid="true"/g)).toHaveLength(1);
    // What Giang's row said is still there to correct.
    expect(html).toMatch(new RegExp(`name="score.${ids.giang}"[^>]*value="11"`));
    expect(html).toContain("Xem lại câu 2");
    expect(htmlText(html)).toContain("Đã lưu 2 kết quả; 1 dòng có lỗi chưa được lưu");
    expect(await workOf(id, ids.binh)).toEqual({ status: "graded", score: "8.50", level: null, comment: "Trình bày gọn." });
    expect(await workOf(id, ids.an)).toEqual({ status: "graded", score: "7.00", level: null, comment: null });
    expect(await workOf(id, ids.giang)).toEqual({ status: "submitted", score: null, level: null, comment: null });
    expect(await workOf(id, ids.cuong)).toBeNull();
    expect(await postedFor(id)).toEqual({ [ids.binh]: 1, [ids.an]: 1 });
  });

  it("records grade.posted once per grade actually changed", async () => {
    // The same two grades again (7,0 is 7), and Giang's corrected: only Giang's is new.
    const res = await lan.post(path(), {
      intent: "saveAll",
      [`score.${ids.binh}`]: "8.5",
      [`comment.${ids.binh}`]: "Trình bày gọn.",
      [`score.${ids.an}`]: "7,0",
      [`score.${ids.giang}`]: "9",
      [`comment.${ids.giang}`]: "Đúng cả hai câu",
    });
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain("Đã lưu 1 kết quả.");
    expect(await postedFor(id)).toEqual({ [ids.binh]: 1, [ids.an]: 1, [ids.giang]: 1 });
    // A changed comment alone is a change.
    await lan.post(path(), { intent: "saveAll", [`score.${ids.an}`]: "7", [`comment.${ids.an}`]: "Cần cẩn thận hơn" });
    expect(await postedFor(id)).toEqual({ [ids.binh]: 1, [ids.an]: 2, [ids.giang]: 1 });
    // Nothing changed: nothing written.
    const same = await lan.post(path(), { intent: "saveAll", [`score.${ids.an}`]: "7", [`comment.${ids.an}`]: "Cần cẩn thận hơn" });
    expect(same.status).toBe(200);
    expect(htmlText(await same.text())).toContain("Không có gì thay đổi.");
    expect(await postedFor(id)).toEqual({ [ids.binh]: 1, [ids.an]: 2, [ids.giang]: 1 });
    // The per-row save of the same grade posts nothing new either.
    expect((await lan.post(path(), { studentId: ids.binh, [`score.${ids.binh}`]: "8,5", [`comment.${ids.binh}`]: "Trình bày gọn." })).status).toBe(200);
    expect(await postedFor(id)).toEqual({ [ids.binh]: 1, [ids.an]: 2, [ids.giang]: 1 });
  });

  it("a row's own button saves that row only, whatever else the form carries", async () => {
    const res = await lan.post(path(), { studentId: ids.cuong, [`score.${ids.cuong}`]: "6", [`score.${ids.an}`]: "1", [`score.${ids.binh}`]: "abc" });
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain("Đã lưu điểm: 6/10");
    expect(await workOf(id, ids.cuong)).toMatchObject({ status: "graded", score: "6.00" });
    expect(await workOf(id, ids.an)).toMatchObject({ score: "7.00" });
    expect(await workOf(id, ids.binh)).toMatchObject({ score: "8.50" });
  });

  it("a row for a student who is not in the class is refused and said so, and gets no grade", async () => {
    const res = await lan.post(path(), { intent: "saveAll", [`score.${ids.dung}`]: "9" });
    expect(res.status).toBe(400);
    expect(htmlText(await res.text())).toContain("Học sinh này không thuộc lớp");
    expect(await workOf(id, ids.dung)).toBeNull();
    expect(await postedFor(id)).not.toHaveProperty(ids.dung);
  });

  it("refuses more rows than a save takes, writing none of them", async () => {
    const before = await postedFor(id);
    const fields: Record<string, string> = { intent: "saveAll", [`score.${ids.an}`]: "3" };
    for (let i = 0; i < 200; i++) fields[`score.00000000-0000-4000-8000-${String(i).padStart(12, "0")}`] = "5";
    const res = await lan.post(path(), fields);
    expect(res.status).toBe(400);
    expect(htmlText(await res.text())).toContain("Giá trị không hợp lệ");
    expect(await workOf(id, ids.an)).toMatchObject({ score: "7.00" });
    expect(await postedFor(id)).toEqual(before);
  });

  it("a teacher of another class, or of another school, gets 404 and changes nothing", async () => {
    const before = { events: await postedFor(id), an: await workOf(id, ids.an) };
    for (const other of [minh, hoa]) {
      expect((await other.get(path())).status).toBe(404);
      const res = await other.post(path(), { intent: "saveAll", [`score.${ids.an}`]: "10" });
      expect(res.status).toBe(404);
      expect((await other.post(path(), { studentId: ids.an, [`score.${ids.an}`]: "10" })).status).toBe(404);
    }
    expect({ events: await postedFor(id), an: await workOf(id, ids.an) }).toEqual(before);
  });
});

describe("Đạt / Chưa đạt (subjects assessed by comment)", () => {
  let id: string;
  const path = () => `/assignments/${id}/submissions`;
  const title = "Hoạt động trải nghiệm: kể về buổi dã ngoại";

  beforeAll(async () => {
    id = await newAssignment(title, "pass_fail");
    expect((await an.post(`/assignments/${id}`, { body: "Em kể về buổi dã ngoại." })).status).toBe(200);
  });

  it("is offered on the new and the edit forms", async () => {
    for (const p of [`/classes/${ids.toan6}/assignments/new`, `/classes/${ids.toan6}/assignments/${id}/edit`]) {
      const { text } = await lan.html(p);
      expect(text).toMatch(/<option value="pass_fail"[^>]*>Đạt \/ Chưa đạt \(môn đánh giá bằng nhận xét\)<\/option>/);
    }
  });

  it("offers Đạt and Chưa đạt per student, and “Lưu đánh giá”", async () => {
    const { text } = await lan.html(path());
    expect(htmlText(text)).toContain("Đánh giá của Nguyễn Văn An");
    expect(text).toContain(`name="level.${ids.an}" value="D"`);
    expect(text).toContain(`name="level.${ids.an}" value="CD"`);
    expect(text).toContain(">Lưu đánh giá</button>");
    expect(text).not.toContain(">Lưu điểm</button>");
    expect(text).not.toContain(`name="score.${ids.an}"`);
  });

  it("saves several at once; a level of another scale is refused beside its row", async () => {
    const res = await lan.post(path(), {
      intent: "saveAll",
      [`level.${ids.an}`]: "D",
      [`comment.${ids.an}`]: "Kể sinh động",
      [`level.${ids.binh}`]: "CD",
      [`level.${ids.giang}`]: "HTT",
    });
    const html = await res.text();
    expect(res.status).toBe(400);
    expect(fieldError(html, `level.${ids.giang}`)).toBe("Chọn Đạt hoặc Chưa đạt.");
    expect(await workOf(id, ids.an)).toEqual({ status: "graded", score: null, level: "D", comment: "Kể sinh động" });
    expect(await workOf(id, ids.binh)).toEqual({ status: "graded", score: null, level: "CD", comment: null });
    expect(await workOf(id, ids.giang)).toBeNull();
    const [posted] = (await hub.database.db.select({ payload: events.payload }).from(events).where(and(eq(events.type, "grade.posted"), eq(events.studentId, ids.an)))).filter(
      (e) => (e.payload as { assignmentId: string }).assignmentId === id,
    );
    expect(posted.payload).toMatchObject({ scale: "pass_fail", level: "D", display: "Đạt" });
  });

  it("reads Đạt on the grading page, the student's pages and the parent's, and Pass in English", async () => {
    const grading = await lan.html(path());
    expect(grading.text).toContain('<span class="grade">Đạt</span>');
    expect(grading.text).toContain('<span class="grade">Chưa đạt</span>');
    const shown = async (c: Client, p: string) => (await c.html(p)).text;
    expect(await shown(an, `/assignments/${id}`)).toMatch(/>Đạt</);
    expect(await shown(an, "/today")).toContain('<span class="grade">Đạt</span>');
    expect(htmlText(await shown(an, `/my/classes/${ids.toan6}`))).toMatch(/Đạt/);
    expect(await shown(hung, `/children/${ids.an}`)).toContain('<span class="grade">Đạt</span>');
    expect(htmlText(await shown(hung, `/children/${ids.an}/classes/${ids.toan6}`))).toMatch(/Đạt/);
    hung.cookies.set("lang", "en");
    try {
      expect(await shown(hung, `/children/${ids.an}`)).toContain('<span class="grade">Pass</span>');
    } finally {
      hung.cookies.delete("lang");
    }
  });
});
