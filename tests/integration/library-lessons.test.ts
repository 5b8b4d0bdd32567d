/**
 * Teaching with the library, through the real hub over HTTP: /library answers every signed-in
 * person with results, facets with counts and Vietnamese empty states; the menu's search box goes
 * to /library?q=; in the lesson editor the class's teacher searches the library, attaches a
 * resource (twice: once) and removes it; the lesson page shows attached resources with their
 * source, licence and link to the class's student and parent; another school's teacher, a
 * student and a parent cannot attach.
 */
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lessonResources, resources } from "../../db/schema/index.ts";
import { demoLookup } from "../support/demo.ts";
import { htmlText } from "../support/html.ts";
import { insertLibrary, type LibraryFixture } from "../support/library.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
let lib: LibraryFixture;
let lan: Client; // teaches Toán 6A1
let hoa: Client; // another school's teacher
let an: Client; // student of Toán 6A1
let hung: Client; // An's parent
const ids: Record<string, string> = {};

beforeAll(async () => {
  hub = await startHub();
  const db = hub.database.db;
  const find = demoLookup(db);
  ids.thcs = await find.school("79001");
  ids.toan6 = await find.class("6A1", "toan");
  ids.lesson = await find.lesson("Bài 1. Tập hợp");
  lib = await insertLibrary(db, ids.thcs, ids.thcs);
  lan = await hub.as("lan.nt@nguyendu.lopso.demo");
  hoa = await hub.as("hoa.lt@kimdong.lopso.demo");
  an = await hub.as("an.nv@nguyendu.lopso.demo");
  hung = await hub.as("0912345678");
});

afterAll(async () => {
  await hub?.close();
});

const editPath = () => `/classes/${ids.toan6}/lessons/${ids.lesson}/edit`;
const attached = async () =>
  (await hub.database.db.select({ id: lessonResources.resourceId }).from(lessonResources).where(eq(lessonResources.lessonId, ids.lesson))).map((r) => r.id);

describe("/library", () => {
  it("sends the signed-out to the login page", async () => {
    const res = await hub.client().get("/library?q=toan");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/login?next=${encodeURIComponent("/library?q=toan")}`);
  });

  it("finds 'toan lop 6' for a student, with facets and counts, sources and licences", async () => {
    const { status, text } = await an.html("/library?q=toan+lop+6");
    expect(status).toBe(200);
    const page = htmlText(text);
    expect(page).toContain("Thư viện học liệu");
    expect(page).toContain("Toán lớp 6: Phân số và các phép tính");
    expect(page).toContain("Nguồn: Kho học liệu số ngành Giáo dục; Thư viện Học liệu mở");
    expect(page).toContain("Giấy phép: CC BY 4.0");
    expect(page).toMatch(/Môn học/);
    expect(page).toMatch(/Toán \(\d+\)/);
    expect(page).toMatch(/Lớp 6 \(\d+\)/);
    expect(text).toContain('href="https://hoclieu.example/r/toan6-phanso"');
  });

  it("filters by a facet from the address and keeps it ticked", async () => {
    const { text } = await hung.html("/library?subject=hoa-hoc&grade=10");
    const page = htmlText(text);
    // The fixture's and the demo library's chemistry for grade 10, however many the demo holds.
    const [{ n }] = await hub.database.db.select({ n: sql<number>`count(*)::int` }).from(resources).where(and(eq(resources.subject, "hoa-hoc"), sql`10 = any(${resources.grades})`));
    expect(n).toBeGreaterThanOrEqual(3);
    expect(page).toContain(`${n} kết quả`);
    expect(text).toMatch(/<input type="checkbox" id="f-subject-hoa-hoc" name="subject" checked="" value="hoa-hoc"\/>/);
    expect(text).toMatch(/<input type="checkbox" id="f-grade-10" name="grade" checked="" value="10"\/>/);
  });

  it("says so in Vietnamese when nothing matches, and survives metacharacters", async () => {
    const none = htmlText((await lan.html("/library?q=xyzqwv")).text);
    expect(none).toContain("Không tìm thấy học liệu nào phù hợp");
    for (const q of ["'", "&", "!", ":*", "\\", "|", "("]) {
      const res = await lan.get(`/library?q=${encodeURIComponent(`toan ${q}`)}`);
      expect(res.status).toBe(200);
    }
  });

  it("says when a misspelt word was corrected", async () => {
    expect(htmlText((await lan.html("/library?q=toam+lop+6")).text)).toContain("Đã tìm “toan” thay cho “toam”.");
  });

  it("puts a library search box in every signed-in menu", async () => {
    const text = (await an.html("/today")).text;
    const menu = /<form role="search" class="menu-search"[^>]*action="\/library" method="get">.*?<\/form>/.exec(text)?.[0] ?? "";
    expect(menu).toContain('name="q"');
  });
});

describe("attaching resources to a lesson", () => {
  it("the class's teacher searches the library in the editor and attaches a resource, once", async () => {
    const editor = htmlText((await lan.html(`${editPath()}?libq=phan+so`)).text);
    expect(editor).toContain("Học liệu từ thư viện");
    expect(editor).toContain("Toán lớp 6: Phân số và các phép tính");
    for (let i = 0; i < 2; i++) {
      const res = await lan.post(`${editPath()}?libq=phan+so`, { intent: "attach-resource", resourceId: lib.ids["toan6-phanso"] });
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe(`${editPath()}?libq=phan+so&library=attached`);
    }
    await lan.post(editPath(), { intent: "attach-resource", resourceId: lib.ids["khtn7-quanghop"] });
    expect((await attached()).sort()).toEqual([lib.ids["toan6-phanso"], lib.ids["khtn7-quanghop"]].sort());
    expect(htmlText((await lan.html(`${editPath()}?library=attached`)).text)).toContain("Đã gắn học liệu vào bài.");
  });

  it("the lesson page shows them with source, licence and link to the student and the parent", async () => {
    for (const reader of [an, hung]) {
      const { status, text } = await reader.html(`/lessons/${ids.lesson}`);
      expect(status).toBe(200);
      const page = htmlText(text);
      expect(page).toContain("Học liệu từ thư viện");
      expect(page).toContain("Toán lớp 6: Phân số và các phép tính");
      expect(page).toContain("Nguồn: Kho học liệu số ngành Giáo dục; Thư viện Học liệu mở");
      expect(page).toContain("Bài học mở của Trường THCS Nguyễn Du");
      expect(page).toContain("Giấy phép: CC BY 4.0");
      expect(text).toContain('href="https://hoclieu.example/r/toan6-phanso"');
    }
  });

  it("another school's teacher, a student and a parent cannot attach or remove", async () => {
    const before = await attached();
    for (const [who, status] of [
      [hoa, 404],
      [an, 403],
      [hung, 403],
    ] as const) {
      expect((await who.post(editPath(), { intent: "attach-resource", resourceId: lib.ids["van6-truyen"] })).status).toBe(status);
      expect((await who.post(editPath(), { intent: "detach-resource", resourceId: lib.ids["toan6-phanso"] })).status).toBe(status);
    }
    expect((await attached()).sort()).toEqual(before.sort());
  });

  it("the teacher removes a resource", async () => {
    const res = await lan.post(editPath(), { intent: "detach-resource", resourceId: lib.ids["khtn7-quanghop"] });
    expect(res.status).toBe(302);
    const rows = await hub.database.db
      .select()
      .from(lessonResources)
      .where(and(eq(lessonResources.lessonId, ids.lesson), eq(lessonResources.resourceId, lib.ids["khtn7-quanghop"])));
    expect(rows).toEqual([]);
    expect(htmlText((await an.html(`/lessons/${ids.lesson}`)).text)).not.toContain("Quang hợp ở thực vật");
  });
});
