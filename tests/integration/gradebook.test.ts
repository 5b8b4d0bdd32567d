/**
 * The gradebook (sổ điểm) over HTTP on the real build: the TT22 averages of the demo's Toán 6A1 as
 * computed by hand, grades filled in from the gradebook through the grading service (one
 * grade.posted per changed grade, nothing for an unchanged one, a paper test graded without a
 * submission), a bad cell refused beside itself, the .xlsx read back with exceljs, and a parent
 * and a student who see only the child's own row.
 */
import ExcelJS from "exceljs";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events, submissions } from "../../db/schema/index.ts";
import { termOf } from "../../app/lib/curriculum.ts";
import { htmlText } from "../support/html.ts";
import { demoLookup } from "../support/demo.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
let lan: Client;
let ids: Record<string, string> = {};
const term = termOf(new Date());
const otherTerm = term === 1 ? 2 : 1;

beforeAll(async () => {
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  ids = {
    toan6: await find.class("6A1", "toan"),
    khtn7: await find.class("7A2", "khtn"),
    set: await find.assignment("Bài tập về tập hợp"),
    roman: await find.assignment("Luyện tập: Số La Mã"),
    quiz: await find.assignment("Kiểm tra 15 phút: Tập hợp"),
    midterm: await find.assignment("Kiểm tra giữa kỳ"),
    final: await find.assignment("Kiểm tra cuối kỳ"),
    an: await find.user("an.nv@nguyendu.lopso.demo"),
    binh: await find.user("binh.tt@nguyendu.lopso.demo"),
    cuong: await find.user("cuong.lh@nguyendu.lopso.demo"),
    giang: await find.user("giang.ht@nguyendu.lopso.demo"),
  };
  lan = await hub.as("lan.nt@nguyendu.lopso.demo");
});

afterAll(async () => {
  await hub?.close();
});

/** The text of one student's row, cell by cell (data-column), from the gradebook's HTML. */
function rowOf(html: string, name: string): Record<string, string> {
  const row = new RegExp(`<tr data-student="${name}">([\\s\\S]*?)</tr>`).exec(html)?.[1];
  if (!row) throw new Error(`no row for ${name}`);
  const out: Record<string, string> = {};
  for (const m of row.matchAll(/<td data-column="([^"]+)">([\s\S]*?)<\/td>/g)) out[m[1]] = htmlText(m[2]).trim();
  return out;
}

const gradePosted = async (assignmentId: string, studentId: string) =>
  (await hub.database.db.select({ payload: events.payload }).from(events).where(and(eq(events.type, "grade.posted"), eq(events.studentId, studentId)))).filter(
    (e) => (e.payload as { assignmentId?: string }).assignmentId === assignmentId,
  ).length;

async function submission(assignmentId: string, studentId: string) {
  const [s] = await hub.database.db
    .select({ status: submissions.status, score: submissions.score, body: submissions.body, submittedAt: submissions.submittedAt, comment: submissions.comment })
    .from(submissions)
    .where(and(eq(submissions.assignmentId, assignmentId), eq(submissions.studentId, studentId)));
  return s;
}

describe("the teacher's gradebook page", () => {
  it("shows the columns grouped TX / GK / CK and the ĐTBmhk computed as TT22 says", async () => {
    const res = await lan.get(`/classes/${ids.toan6}/gradebook?term=${term}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const text = htmlText(html);
    expect(text).toContain("Thường xuyên (TX)");
    expect(text).toContain("Giữa kỳ (GK)");
    expect(text).toContain("Cuối kỳ (CK)");
    expect(html).toMatch(/<caption>Sổ điểm Toán 6A1, Học kỳ I+, năm học/);
    expect(html).toContain('scope="colgroup"');
    expect(html).toContain('scope="row"');
    // Students in class-list order, by given name: An, Bình, Cường, Giang.
    const order = [...html.matchAll(/<tr data-student="([^"]+)">/g)].map((m) => m[1]);
    expect(order).toEqual(["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Hoàng Thu Giang"]);
    // By hand: An (9 + 8,5 + 2×8 + 3×8,5) / 7 = 59 / 7 = 8,43 → 8,4 (Luyện tập handed in, not graded: not counted).
    expect(rowOf(html, "Nguyễn Văn An").average).toBe("8,4");
    // Bình: only the 15-minute test among the TX is graded: (7,5 + 2×7 + 3×6,5) / 6 = 41 / 6 = 6,83 → 6,8.
    expect(rowOf(html, "Trần Thị Bình").average).toBe("6,8");
    // Cường: (6 + 2×5,5 + 3×7) / 6 = 38 / 6 = 6,33 → 6,3. Giang: (8 + 18 + 25,5) / 6 = 8,58 → 8,6.
    expect(rowOf(html, "Lê Hoàng Cường").average).toBe("6,3");
    expect(rowOf(html, "Hoàng Thu Giang").average).toBe("8,6");
    // Each cell is a field named by its position among the ids the form sends beside it, and
    // labelled by its column's and its row's headers.
    const columns = /<input type="hidden" name="columns" value="([^"]*)"/.exec(html)![1].split(",");
    const rows = /<input type="hidden" name="rows" value="([^"]*)"/.exec(html)![1].split(",");
    const [ci, ri] = [columns.indexOf(ids.quiz), rows.indexOf(ids.an)];
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(ri).toBe(0);
    expect(new RegExp(`<input[^>]*name="g\\.${ci}\\.${ri}"[^>]*>`).exec(html)![0]).toContain(`aria-labelledby="gb-c${ci} gb-r${ri}"`);
    expect(htmlText(new RegExp(`<th scope="col" id="gb-c${ci}">([\\s\\S]*?)</th>`).exec(html)![1]).replace(/\s+/g, " ").trim()).toBe("TX1 Kiểm tra 15 phút: Tập hợp");
    expect(new RegExp(`<th scope="row" class="gb-name" id="gb-r${ri}">Nguyễn Văn An</th>`).test(html)).toBe(true);
    expect(rowOf(html, "Trần Thị Bình").TX2).toContain("đã nộp, chưa chấm");
  });

  it("shows the other term empty, and ĐTBmcn only in học kỳ II", async () => {
    const html = await (await lan.get(`/classes/${ids.toan6}/gradebook?term=${otherTerm}`)).text();
    expect(htmlText(html)).toContain("Học kỳ này chưa có bài đánh giá nào.");
    expect(html.includes("ĐTBmcn")).toBe(otherTerm === 2);
  });

  it("is read-only for the school's admin", async () => {
    const admin = await hub.as("hieutruong@nguyendu.lopso.demo");
    const html = await (await admin.get(`/classes/${ids.toan6}/gradebook?term=${term}`)).text();
    expect(html).not.toContain('name="g.');
    expect(htmlText(html)).toContain("Chỉ xem");
    expect(rowOf(html, "Nguyễn Văn An").average).toBe("8,4");
  });
});

describe("the Excel export", () => {
  async function workbook(res: Response) {
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await res.arrayBuffer());
    return book;
  }

  it("one class: one sheet with Vietnamese headers, numbers with one decimal, a Vietnamese file name", async () => {
    const res = await lan.get(`/classes/${ids.toan6}/gradebook.xlsx?term=${term}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    expect(res.headers.get("cache-control")).toContain("no-store");
    const disposition = res.headers.get("content-disposition") ?? "";
    expect(disposition).toMatch(/^attachment; filename="So diem Toan 6A1 - Hoc ky I+ - \d{4}-\d{4}\.xlsx"; filename\*=UTF-8''/);
    expect(decodeURIComponent(disposition.split("UTF-8''")[1])).toMatch(/^Sổ điểm Toán 6A1 - Học kỳ I+ - \d{4}-\d{4}\.xlsx$/);
    const book = await workbook(res);
    expect(book.worksheets.map((s) => s.name)).toEqual(["Toán 6A1"]);
    const sheet = book.worksheets[0];
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual([
      "STT",
      "Họ và tên",
      "Ngày sinh",
      "TX1: Kiểm tra 15 phút: Tập hợp",
      "TX2: Bài tập về tập hợp",
      "TX3: Luyện tập: Số La Mã",
      "GK: Kiểm tra giữa kỳ",
      "CK: Kiểm tra cuối kỳ",
      "ĐTBmhk",
    ]);
    const an = (sheet.getRow(2).values as unknown[]).slice(1);
    expect(an).toEqual([1, "Nguyễn Văn An", undefined, 9, 8.5, undefined, 8, 8.5, 8.4]);
    expect(sheet.getRow(2).getCell(9).numFmt).toBe("0.0");
    expect(sheet.getRow(2).getCell(9).value).toBe(8.4);
    expect((sheet.getRow(3).values as unknown[]).slice(1)).toEqual([2, "Trần Thị Bình", undefined, 7.5, undefined, undefined, 7, 6.5, 6.8]);
    expect(sheet.rowCount).toBe(5);
  });

  it("all the teacher's classes: one sheet per class", async () => {
    const res = await lan.get(`/classes/gradebook.xlsx?term=${term}`);
    expect(res.status).toBe(200);
    const book = await workbook(res);
    expect(book.worksheets.map((s) => s.name)).toEqual(["Toán 6A1", "Khoa học tự nhiên 7A2"]);
    expect(book.worksheets[1].getRow(2).getCell(2).value).toBe("Bùi Đăng Khoa");
  });

  it("học kỳ II has ĐTBmcn", async () => {
    const book = await workbook(await lan.get(`/classes/${ids.toan6}/gradebook.xlsx?term=2`));
    const headers = (book.worksheets[0].getRow(1).values as unknown[]).slice(1);
    expect(headers.slice(-2)).toEqual(["ĐTBmhk", "ĐTBmcn"]);
  });
});

describe("filling the gradebook", () => {
  it("saves changed cells through the grading service: one grade.posted each, a paper grade without a submission, unchanged cells untouched", async () => {
    expect(await submission(ids.roman, ids.binh)).toBeUndefined();
    const before = { quizAn: await gradePosted(ids.quiz, ids.an), setAn: await gradePosted(ids.set, ids.an) };
    const res = await lan.post(`/classes/${ids.toan6}/gradebook?term=${term}`, {
      [`g.${ids.roman}.${ids.an}`]: "9",
      [`g.${ids.roman}.${ids.binh}`]: "8,5",
      [`g.${ids.roman}.${ids.cuong}`]: "",
      [`g.${ids.quiz}.${ids.an}`]: "9",
      [`g.${ids.set}.${ids.an}`]: "8,5",
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(htmlText(html)).toContain("Đã lưu 2 điểm.");
    expect(await gradePosted(ids.roman, ids.an)).toBe(1);
    expect(await gradePosted(ids.roman, ids.binh)).toBe(1);
    expect(await gradePosted(ids.quiz, ids.an)).toBe(before.quizAn);
    expect(await gradePosted(ids.set, ids.an)).toBe(before.setAn);
    // Bình handed in nothing: a graded row with no work.
    expect(await submission(ids.roman, ids.binh)).toMatchObject({ status: "graded", score: "8.50", body: "", submittedAt: null });
    // An's handed-in work is graded, the work kept.
    expect(await submission(ids.roman, ids.an)).toMatchObject({ status: "graded", score: "9.00" });
    expect((await submission(ids.roman, ids.an)).body).toContain("XIV");
    // Cường's empty cell wrote nothing.
    expect(await submission(ids.roman, ids.cuong)).toBeUndefined();

    // The page now: An (9 + 8,5 + 9 + 16 + 25,5) / 8 = 68 / 8 = 8,5; Bình (7,5 + 8,5 + 14 + 19,5) / 7 = 49,5 / 7 = 7,07 → 7,1.
    const page = await (await lan.get(`/classes/${ids.toan6}/gradebook?term=${term}`)).text();
    expect(rowOf(page, "Nguyễn Văn An").average).toBe("8,5");
    expect(rowOf(page, "Trần Thị Bình").average).toBe("7,1");

    // The same form again changes nothing and posts nothing.
    const again = await lan.post(`/classes/${ids.toan6}/gradebook?term=${term}`, { [`g.${ids.roman}.${ids.an}`]: "9", [`g.${ids.roman}.${ids.binh}`]: "8.5" });
    expect(again.status).toBe(200);
    expect(htmlText(await again.text())).toContain("Không có điểm nào thay đổi.");
    expect(await gradePosted(ids.roman, ids.an)).toBe(1);
    expect(await gradePosted(ids.roman, ids.binh)).toBe(1);
  });

  it("reads the page's positional fields against the ids sent with them, and refuses a position outside them", async () => {
    const html = await (await lan.get(`/classes/${ids.toan6}/gradebook?term=${term}`)).text();
    const columns = /<input type="hidden" name="columns" value="([^"]*)"/.exec(html)![1];
    const rows = /<input type="hidden" name="rows" value="([^"]*)"/.exec(html)![1].split(",");
    const ci = columns.split(",").indexOf(ids.quiz);
    // A form opened before the class list changed: its own row order decides who gets the grade.
    // Row 0 of this form is Giang, whose TX1 is already 8 (An's, row 0 of the page now, is 9).
    const stale = [ids.giang, ...rows.filter((r) => r !== ids.giang)];
    const res = await lan.post(`/classes/${ids.toan6}/gradebook?term=${term}`, { columns, rows: stale.join(","), [`g.${ci}.0`]: "8" });
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain("Không có điểm nào thay đổi.");
    expect(await submission(ids.quiz, ids.an)).toMatchObject({ score: "9.00" });
    const out = await lan.post(`/classes/${ids.toan6}/gradebook?term=${term}`, { columns, rows: stale.join(","), [`g.${ci}.${stale.length}`]: "7" });
    expect(out.status).toBe(400);
    expect(htmlText(await out.text())).toContain("không thuộc lớp");
  });

  it("keeps the comment given on the grading page when the grade changes in the gradebook", async () => {
    const comment = (await submission(ids.set, ids.an)).comment;
    expect(comment).toContain("Trình bày sạch đẹp");
    const res = await lan.post(`/classes/${ids.toan6}/gradebook?term=${term}`, { [`g.${ids.set}.${ids.an}`]: "9" });
    expect(res.status).toBe(200);
    expect(await submission(ids.set, ids.an)).toMatchObject({ score: "9.00", comment });
  });

  it("refuses a bad cell beside it and saves nothing for it; the other cells are saved", async () => {
    const res = await lan.post(`/classes/${ids.toan6}/gradebook?term=${term}`, {
      [`g.${ids.roman}.${ids.cuong}`]: "11",
      [`g.${ids.roman}.${ids.giang}`]: "7",
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(htmlText(html)).toContain("Đã lưu 1 điểm; 1 ô có lỗi chưa được lưu");
    const cell = rowOf(html, "Lê Hoàng Cường").TX3;
    expect(cell).toContain("Điểm phải từ 0 đến 10.");
    // What was typed stays in the field, marked invalid and described by its error.
    const ci = /<input type="hidden" name="columns" value="([^"]*)"/.exec(html)![1].split(",").indexOf(ids.roman);
    const ri = /<input type="hidden" name="rows" value="([^"]*)"/.exec(html)![1].split(",").indexOf(ids.cuong);
    const input = new RegExp(`<input[^>]*name="g\\.${ci}\\.${ri}"[^>]*>`).exec(html)?.[0] ?? "";
    expect(input).toContain('aria-invalid="true"');
    expect(input).toContain(`aria-describedby="gb-err-${ci}-${ri}"`);
    expect(input).toContain('value="11"');
    expect(html).toContain(`id="gb-err-${ci}-${ri}" role="alert">Điểm phải từ 0 đến 10.</span>`);
    expect(await submission(ids.roman, ids.cuong)).toBeUndefined();
    expect(await gradePosted(ids.roman, ids.cuong)).toBe(0);
    expect(await submission(ids.roman, ids.giang)).toMatchObject({ status: "graded", score: "7.00" });
  });

  it("refuses a cell of another class's assignment", async () => {
    const khtn = await demoLookup(hub.database.db).user("khoa.bd@nguyendu.lopso.demo");
    const res = await lan.post(`/classes/${ids.toan6}/gradebook`, { [`g.${ids.roman}.${khtn}`]: "5" });
    expect(res.status).toBe(400);
    expect(htmlText(await res.text())).toContain("Học sinh này không thuộc lớp.");
    expect(await submission(ids.roman, khtn)).toBeUndefined();
  });
});

describe("students and parents", () => {
  it("a parent sees their child's gradebook row on the child's class page, and no other student's", async () => {
    const hung = await hub.as("0912345678");
    const res = await hung.get(`/children/${ids.an}/classes/${ids.toan6}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const section = /<section[^>]*data-testid="student-gradebook"[\s\S]*?<\/section>/.exec(html)?.[0] ?? "";
    const text = htmlText(section);
    expect(text).toContain("Sổ điểm của Nguyễn Văn An");
    expect(text).toContain("GK · Kiểm tra giữa kỳ");
    expect(text).toContain("GK · Kiểm tra giữa kỳ8/10");
    // An, after the grades above: (9 + 9 + 9 + 2×8 + 3×8,5) / 8 = 68,5 / 8 = 8,56 → 8,6.
    expect(htmlText(/data-testid="term-result-\d"[^>]*>([\s\S]*?)<\/td>/.exec(section)?.[1] ?? "")).toBe("8,6");
    for (const other of ["Trần Thị Bình", "Lê Hoàng Cường", "Hoàng Thu Giang"]) expect(html).not.toContain(other);
  });

  it("a student sees their own row on their class page", async () => {
    const giang = await hub.as("giang.ht@nguyendu.lopso.demo");
    const html = await (await giang.get(`/my/classes/${ids.toan6}`)).text();
    const section = /<section[^>]*data-testid="student-gradebook"[\s\S]*?<\/section>/.exec(html)?.[0] ?? "";
    expect(htmlText(section)).toContain("Sổ điểm của em");
    // Giang: (8 + 7 + 2×9 + 3×8,5) / 7 = 58,5 / 7 = 8,36 → 8,4 (Luyện tập graded 7 above).
    expect(htmlText(/data-testid="term-result-\d"[^>]*>([\s\S]*?)<\/td>/.exec(section)?.[1] ?? "")).toBe("8,4");
    for (const other of ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường"]) expect(html).not.toContain(other);
  });
});
