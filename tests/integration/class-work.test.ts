/**
 * The class pages of a student (/my/classes/:id) and of a parent for one child
 * (/children/:studentId/classes/:id): every published lesson and assignment of the class, newest
 * first, each assignment with the child's status as text and the grade as the class's scale reads;
 * drafts and other classes never shown. And "Hôm nay": its short windows, the "Sắp tới" list of
 * work due later than 7 days, and links to the class pages.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments, lessons, submissions } from "../../db/schema/index.ts";
import { renderMarkdown } from "../../app/services/markdown.server.ts";
import { demoLookup } from "../support/demo.ts";
import { htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

const DAY = 24 * 3600 * 1000;
let hub: Hub;
const ids: Record<string, string> = {};
let an: Client, hung: Client, linh: Client, lan: Client;

/** The text of each list item of the section labelled by `headingId`, in page order. */
function items(html: string, headingId: string): string[] {
  const section = new RegExp(`<section[^>]*aria-labelledby="${headingId}"[^>]*>([\\s\\S]*?)</section>`).exec(html);
  if (!section) throw new Error(`no section labelled by #${headingId}`);
  return [...section[1].matchAll(/<li\b[^>]*>([\s\S]*?)<\/li>/g)].map((m) => htmlText(m[1]).replace(/\s+/g, " "));
}

/** The one item naming `title`. */
function item(list: string[], title: string): string {
  const found = list.filter((t) => t.includes(title));
  if (found.length !== 1) throw new Error(`expected one item "${title}", found ${found.length} in:\n${list.join("\n")}`);
  return found[0];
}

beforeAll(async () => {
  hub = await startHub();
  const db = hub.database.db;
  const find = demoLookup(db);
  ids.toan6 = await find.class("6A1", "toan");
  ids.van6 = await find.class("6A1", "ngu-van");
  ids.tv3 = await find.class("3A1");
  ids.lan = await find.user("lan.nt@nguyendu.lopso.demo");
  ids.an = await find.user("an.nv@nguyendu.lopso.demo");
  ids.mai = await find.user("mai.dn@kimdong.lopso.demo");
  const now = Date.now();

  // Toán 6A1 already holds, for An: "Bài tập về tập hợp" graded 8,5 (due 2 days ago),
  // "Luyện tập: Số La Mã" handed in (due in 3 days) and three tests on paper, graded (due 21, 28
  // and 35 days ago). Add an overdue one with nothing handed in,
  // one marked missing by the sweep, one handed in late, one due in 10 days and one in 3 weeks,
  // and an old published lesson.
  const work = (title: string, dueInDays: number) => ({
    classId: ids.toan6,
    authorId: ids.lan,
    title,
    instructionsMd: `Hướng dẫn riêng của ${title}`,
    instructionsHtml: renderMarkdown(`Hướng dẫn riêng của ${title}`),
    dueAt: new Date(now + dueInDays * DAY),
    scale: "ten_point" as const,
    createdAt: new Date(now - 20 * DAY),
  });
  const [overdue, missing, late] = await db
    .insert(assignments)
    .values([
      work("Bài tập quá hạn: Phần tử của tập hợp", -1),
      work("Bài tập bị đánh dấu thiếu: Ước và bội", -40),
      work("Bài tập nộp muộn: Phép nhân", -5),
      work("Bài tập sắp tới: Lũy thừa", 10),
      work("Bài tập xa: Số nguyên tố", 21),
    ])
    .returning({ id: assignments.id });
  ids.overdue = overdue.id;
  await db.insert(submissions).values([
    { assignmentId: missing.id, studentId: ids.an, status: "missing", missingAt: new Date(now - 39 * DAY) },
    { assignmentId: late.id, studentId: ids.an, status: "submitted", late: true, body: "Bài làm nộp muộn của An", submittedAt: new Date(now - 4 * DAY) },
  ]);
  await db.insert(lessons).values({
    classId: ids.toan6,
    authorId: ids.lan,
    title: "Bài 0. Ôn tập đầu năm",
    bodyMd: "Ôn tập",
    bodyHtml: renderMarkdown("Ôn tập"),
    status: "published",
    publishedAt: new Date(now - 30 * DAY),
  });

  [an, hung, linh, lan] = await Promise.all([
    hub.as("an.nv@nguyendu.lopso.demo"),
    hub.as("0912345678"),
    hub.as("0356789012"),
    hub.as("lan.nt@nguyendu.lopso.demo"),
  ]);
});

afterAll(async () => {
  await hub?.close();
});

describe("the student's class page", () => {
  let html = "";
  beforeAll(async () => {
    const res = await an.get(`/my/classes/${ids.toan6}`);
    expect(res.status).toBe(200);
    html = await res.text();
  });

  it("names the class, its year and its teacher", () => {
    expect(html).toMatch(/<h1>Toán(<!-- -->)? (<!-- -->)?6A1<\/h1>/);
    expect(htmlText(html)).toContain("Giáo viên: Nguyễn Thị Lan");
  });

  it("lists every assignment, newest due date first, each with its status as text", () => {
    const list = items(html, "class-assignments");
    expect(list).toHaveLength(10);
    expect(item(list, "Bài tập về tập hợp")).toContain("Đã chấm");
    expect(item(list, "Bài tập về tập hợp")).toContain("Điểm: 8,5/10");
    expect(item(list, "Luyện tập: Số La Mã")).toContain("Đã nộp");
    expect(item(list, "Luyện tập: Số La Mã")).not.toContain("Nộp muộn");
    expect(item(list, "Bài tập nộp muộn: Phép nhân")).toMatch(/Đã nộp.*Nộp muộn/);
    expect(item(list, "Bài tập quá hạn: Phần tử của tập hợp")).toContain("Quá hạn");
    expect(item(list, "Bài tập bị đánh dấu thiếu: Ước và bội")).toContain("Quá hạn");
    expect(item(list, "Bài tập sắp tới: Lũy thừa")).toContain("Chưa nộp");
    expect(item(list, "Bài tập xa: Số nguyên tố")).toContain("Chưa nộp");
    // A grade appears only on graded work.
    expect(list.filter((t) => t.includes("Điểm:"))).toHaveLength(4);
    expect(item(list, "Kiểm tra giữa kỳ")).toContain("Điểm: 8/10");
    const order = ["Số nguyên tố", "Lũy thừa", "Số La Mã", "quá hạn: Phần tử", "về tập hợp", "Phép nhân", "cuối kỳ", "giữa kỳ", "15 phút", "Ước và bội"];
    expect(order.map((t) => list.findIndex((x) => x.includes(t)))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("links each assignment to the student's assignment page", () => {
    expect(html).toContain(`href="/assignments/${ids.overdue}"`);
  });

  it("lists every published lesson, newest first, and never a draft or another class's lesson", () => {
    const list = items(html, "class-lessons");
    expect(list.map((t) => t.split("Đăng lúc")[0].trim())).toEqual(["Bài 2. Cách ghi số tự nhiên", "Bài 1. Tập hợp", "Bài 0. Ôn tập đầu năm"]);
    expect(html).not.toContain("Bài 3. Thứ tự trong tập hợp số tự nhiên");
    expect(html).not.toContain("Lượm");
  });

  it("sends only what the page shows: no join code, instructions, answers or comments", () => {
    expect(html).not.toContain("TOAN6A1");
    expect(html).not.toContain("Hướng dẫn riêng");
    expect(html).not.toContain("Bài làm nộp muộn của An");
    expect(html).not.toContain("Trình bày sạch đẹp");
    expect(html).not.toContain("Trần Thị Bình"); // a classmate
  });

  it("reads in English with the English number format", async () => {
    const client = await hub.as("an.nv@nguyendu.lopso.demo");
    client.cookies.set("lang", "en");
    const en = await (await client.get(`/my/classes/${ids.toan6}`)).text();
    const list = items(en, "class-assignments");
    expect(item(list, "Bài tập về tập hợp")).toContain("Graded");
    expect(item(list, "Bài tập về tập hợp")).toContain("Grade: 8.5/10");
    expect(item(list, "Bài tập quá hạn: Phần tử của tập hợp")).toContain("Overdue");
    expect(item(list, "Bài tập sắp tới: Lũy thừa")).toContain("Not handed in");
  });

  it("sends the class's teacher to the teacher's page of it", async () => {
    const res = await lan.get(`/my/classes/${ids.toan6}`);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/classes/${ids.toan6}`);
  });
});

describe("the parent's class page of one child", () => {
  it("shows the child's statuses, grades and the teacher's comment, read-only", async () => {
    const res = await hung.get(`/children/${ids.an}/classes/${ids.toan6}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(htmlText(html)).toContain("Lớp của Nguyễn Văn An");
    const list = items(html, "class-assignments");
    expect(list).toHaveLength(10);
    expect(item(list, "Bài tập về tập hợp")).toContain("Điểm: 8,5/10");
    expect(item(list, "Bài tập về tập hợp")).toContain("Trình bày sạch đẹp. Bài 1.4 cần ghi rõ kí hiệu.");
    expect(item(list, "Bài tập quá hạn: Phần tử của tập hợp")).toContain("Quá hạn");
    expect(item(list, "Bài tập nộp muộn: Phép nhân")).toMatch(/Đã nộp.*Nộp muộn/);
    expect(item(list, "Bài tập sắp tới: Lũy thừa")).toContain("Chưa nộp");
    // Assignments are not links for a parent (the assignment page is the student's); lessons are.
    expect(html).not.toContain(`href="/assignments/`);
    expect(items(html, "class-lessons")).toHaveLength(3);
    expect(html).not.toContain("Bài 3. Thứ tự trong tập hợp số tự nhiên");
    expect(html).not.toContain("Bài làm nộp muộn của An");
  });

  it("shows a primary-school level as the class's scale names it", async () => {
    const html = await (await linh.get(`/children/${ids.mai}/classes/${ids.tv3}`)).text();
    const list = items(html, "class-assignments");
    expect(item(list, "Viết 3–4 câu về ngày khai trường")).toContain("Điểm: Hoàn thành tốt");
    expect(item(list, "Viết 3–4 câu về ngày khai trường")).toContain("Đã chấm");
  });

  it("the child page links each class to the child's class page", async () => {
    const html = await (await hung.get(`/children/${ids.an}`)).text();
    expect(html).toContain(`href="/children/${ids.an}/classes/${ids.toan6}"`);
    expect(html).toContain(`href="/children/${ids.an}/classes/${ids.van6}"`);
  });

  it("another child's class, or a class the child is not in, is not found", async () => {
    expect((await hung.get(`/children/${ids.mai}/classes/${ids.tv3}`)).status).toBe(404);
    expect((await linh.get(`/children/${ids.mai}/classes/${ids.toan6}`)).status).toBe(404);
  });
});

describe("Hôm nay", () => {
  let html = "";
  beforeAll(async () => {
    html = await (await an.get("/today")).text();
  });

  it("keeps its 7-day windows and lists work due later under Sắp tới, soonest first", () => {
    const soon = items(html, "due-soon");
    expect(soon.some((t) => t.includes("Lũy thừa"))).toBe(false);
    const upcoming = items(html, "upcoming");
    expect(upcoming.map((t) => t.split("Toán")[0].trim())).toEqual(["Bài tập sắp tới: Lũy thừa", "Bài tập xa: Số nguyên tố"]);
    expect(htmlText(html)).toContain("Sắp tới");
    // Handed-in work is not listed as to do.
    expect(html).not.toContain("Phép nhân");
    // The 30-day-old lesson is on the class page only.
    expect(items(html, "new-lessons").some((t) => t.includes("Ôn tập đầu năm"))).toBe(false);
  });

  it("links each of the student's classes to its page and says where older items are", () => {
    const classes = items(html, "my-classes");
    expect(classes.map((t) => t.trim())).toEqual(["Ngữ văn 6A1", "Toán 6A1"]);
    expect(html).toContain(`href="/my/classes/${ids.toan6}"`);
    expect(html).toContain(`href="/my/classes/${ids.van6}"`);
    expect(htmlText(html)).toContain("Mọi bài học và bài tập có ở trang của từng lớp");
    expect(html).toContain('href="#my-classes"');
  });

  it("a submitted upcoming assignment leaves Sắp tới", async () => {
    const [far] = await hub.database.db.select({ id: assignments.id }).from(assignments).where(eq(assignments.title, "Bài tập xa: Số nguyên tố"));
    await hub.database.db.insert(submissions).values({ assignmentId: far.id, studentId: ids.an, status: "submitted", body: "Xong", submittedAt: new Date() });
    try {
      const again = await (await an.get("/today")).text();
      expect(items(again, "upcoming").map((t) => t.split("Toán")[0].trim())).toEqual(["Bài tập sắp tới: Lũy thừa"]);
    } finally {
      await hub.database.db.delete(submissions).where(and(eq(submissions.assignmentId, far.id), eq(submissions.studentId, ids.an)));
    }
  });
});
