/**
 * Assignments tagged for the gradebook: "Loại đánh giá" and "Học kỳ" on the new and edit forms,
 * checked by the schema with the error beside the field, the term of the due date by default,
 * and the tag shown on the assignment's pages.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments } from "../../db/schema/index.ts";
import { termOf } from "../../app/lib/curriculum.ts";
import { toLocalDateTimeInput } from "../../app/lib/vn.ts";
import { htmlText } from "../support/html.ts";
import { demoLookup } from "../support/demo.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
let lan: Client;
let toan6 = "";
const DAY = 24 * 3600 * 1000;
const due = (days: number) => toLocalDateTimeInput(new Date(Date.now() + days * DAY));

beforeAll(async () => {
  hub = await startHub();
  toan6 = await demoLookup(hub.database.db).class("6A1", "toan");
  lan = await hub.as("lan.nt@nguyendu.lopso.demo");
});

afterAll(async () => {
  await hub?.close();
});

const stored = async (title: string) =>
  (await hub.database.db.select({ id: assignments.id, assessment: assignments.assessment, term: assignments.term }).from(assignments).where(eq(assignments.title, title)))[0];

describe("tagging an assignment for the gradebook", () => {
  it("the new-assignment form has both selects, the term of the default due date chosen, and the toolbar over the instructions", async () => {
    const html = await (await lan.get(`/classes/${toan6}/assignments/new`)).text();
    expect(html).toMatch(/<label for="[^"]+">Loại đánh giá<\/label>/);
    expect(html).toMatch(/<label for="[^"]+">Học kỳ<\/label>/);
    expect(html).toMatch(/<label for="[^"]+">Hướng dẫn<\/label>/);
    expect(html).toContain('role="toolbar"');
    const week = termOf(new Date(Date.now() + 7 * DAY));
    expect(html).toMatch(new RegExp(`<option value="${week}" selected="">Học kỳ ${week === 1 ? "I" : "II"}</option>`));
  });

  it("stores the kind and term chosen, and shows them on the grading and student pages", async () => {
    const res = await lan.post(`/classes/${toan6}/assignments/new`, { title: "Kiểm tra giữa kỳ II", instructionsMd: "", dueAt: due(2), scale: "ten_point", assessment: "midterm", term: "2" });
    expect(res.status).toBe(302);
    const a = await stored("Kiểm tra giữa kỳ II");
    expect(a).toMatchObject({ assessment: "midterm", term: 2 });
    expect(htmlText(await (await lan.get(`/assignments/${a.id}/submissions`)).text())).toContain("Giữa kỳ · Học kỳ II");
    const an = await hub.as("an.nv@nguyendu.lopso.demo");
    expect(htmlText(await (await an.get(`/assignments/${a.id}`)).text())).toContain("Giữa kỳ · Học kỳ II");
  });

  it("without a term takes the term of the due date", async () => {
    const res = await lan.post(`/classes/${toan6}/assignments/new`, { title: "Bài không chọn học kỳ", instructionsMd: "", dueAt: due(3), scale: "ten_point" });
    expect(res.status).toBe(302);
    expect(await stored("Bài không chọn học kỳ")).toMatchObject({ assessment: "regular", term: termOf(new Date(Date.now() + 3 * DAY)) });
  });

  it("refuses an unknown kind or term with the error beside the field, and stores nothing", async () => {
    const res = await lan.post(`/classes/${toan6}/assignments/new`, { title: "Bài sai loại", instructionsMd: "", dueAt: due(2), scale: "ten_point", assessment: "quiz", term: "3" });
    expect(res.status).toBe(400);
    const text = htmlText(await res.text());
    expect(text).toContain("Chọn loại đánh giá: thường xuyên, giữa kỳ hoặc cuối kỳ.");
    expect(text).toContain("Chọn học kỳ I hoặc học kỳ II.");
    expect(await stored("Bài sai loại")).toBeUndefined();
  });

  it("the edit form changes the tags", async () => {
    const a = await stored("Bài không chọn học kỳ");
    const res = await lan.post(`/classes/${toan6}/assignments/${a.id}/edit`, { title: "Bài không chọn học kỳ", instructionsMd: "", dueAt: due(3), scale: "ten_point", assessment: "final", term: "2" });
    expect(res.status).toBe(302);
    expect(await stored("Bài không chọn học kỳ")).toMatchObject({ assessment: "final", term: 2 });
    const html = await (await lan.get(`/classes/${toan6}/assignments/${a.id}/edit`)).text();
    expect(html).toContain('<option value="final" selected="">Cuối kỳ</option>');
    expect(html).toContain('<option value="2" selected="">Học kỳ II</option>');
  });
});
