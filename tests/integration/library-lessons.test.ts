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
import { attachments, lessonResources, lessons, resources } from "../../db/schema/index.ts";
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

describe("open lessons for visitors who are not signed in (the links /oai gives out)", () => {
  it("reads a published open lesson and downloads its file; anything else asks them to sign in", async () => {
    const db = hub.database.db;
    const find = demoLookup(db);
    const visitor = hub.client();
    const open = await find.lesson("Bài 1. Nguyên tử");
    const page = await visitor.get(`/lessons/${open}`);
    expect(page.status).toBe(200);
    const text = htmlText(await page.text());
    expect(text).toContain("Bài 1. Nguyên tử");
    expect(await (await visitor.get(`/lessons/${open}`)).text()).toContain("creativecommons.org/licenses/by/4.0/");

    // A file of the open lesson, put there by its teacher.
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 9, 8, 7]);
    const form = new FormData();
    form.append("title", "Bài 1. Nguyên tử");
    form.append("bodyMd", "Nguyên tử gồm hạt nhân và lớp vỏ.");
    form.append("intent", "publish");
    form.append("files", new File([png], "mo-hinh.png", { type: "image/png" }));
    const classId = (await db.select({ c: lessons.classId }).from(lessons).where(eq(lessons.id, open)))[0].c;
    expect((await lan.post(`/classes/${classId}/lessons/${open}/edit`, form)).status).toBe(302);
    const [file] = await db.select().from(attachments).where(eq(attachments.lessonId, open));
    const download = await visitor.get(`/files/${file.id}`);
    expect(download.status).toBe(200);
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(png);

    // Not open, a draft shared as open, an unknown id, a file of a lesson that is not open: sign in.
    const closed = await find.lesson("Bài 1. Tập hợp");
    const draft = await find.lesson("Bài 3. Thứ tự trong tập hợp số tự nhiên");
    await db.update(lessons).set({ licence: "CC-BY-4.0" }).where(eq(lessons.id, draft));
    try {
      for (const p of [`/lessons/${closed}`, `/lessons/${draft}`, "/lessons/00000000-0000-4000-8000-000000000000"]) {
        const res = await visitor.get(p);
        expect(res.status, p).toBe(302);
        expect(res.headers.get("location"), p).toBe(`/login?next=${encodeURIComponent(p)}`);
      }
      await db.update(lessons).set({ licence: null }).where(eq(lessons.id, open));
      const shut = await visitor.get(`/files/${file.id}`);
      expect(shut.status).toBe(302);
      expect((await visitor.get(`/lessons/${open}`)).status).toBe(302);
    } finally {
      await db.update(lessons).set({ licence: null }).where(eq(lessons.id, draft));
      await db.update(lessons).set({ licence: "CC-BY-4.0" }).where(eq(lessons.id, open));
    }
  });
});
