/**
 * Teaching with the library in real Chromium: a teacher saves a draft lesson, searches the library
 * from the editor without diacritics ("phan so lop 6"), attaches the resource found and publishes;
 * the student opens the lesson, sees the resource with its sources and licence, and opens its link
 * (a local page standing in for the repository's). The menu's search box goes to /library?q=.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHub, type Hub } from "../support/hub.ts";
import { demoLookup } from "../support/demo.ts";
import { insertLibrary } from "../support/library.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { chromiumAvailable, hydrated, launchBrowser, newContext, signIn, watchPage } from "./browser.ts";

const skip = !chromiumAvailable && process.env.REQUIRE_ALL !== "1";

describe.skipIf(skip)("a lesson with a library resource (Chromium)", () => {
  let hub: Hub;
  let browser: Browser;
  let teacher: Page;
  let student: Page;
  let repository: http.Server;
  let lessonId = "";
  const problems: string[] = [];

  beforeAll(async () => {
    // The repository's own page for a resource: where the library's link leads.
    repository = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html lang="vi"><title>Học liệu</title><h1>Học liệu ${req.url}</h1></html>`);
    });
    await new Promise<void>((resolve) => repository.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(repository.address() as AddressInfo).port}/r/`;
    browser = await launchBrowser();
    hub = await startHub();
    const school = await demoLookup(hub.database.db).school("79001");
    await insertLibrary(hub.database.db, school, school, base);
    teacher = await (await newContext(browser, hub.url)).newPage();
    student = await (await newContext(browser, hub.url)).newPage();
    watchPage(teacher, problems);
    watchPage(student, problems);
    await signIn(teacher, "lan.nt@nguyendu.lopso.demo", DEMO_PASSWORD);
    await signIn(student, "an.nv@nguyendu.lopso.demo", DEMO_PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await new Promise((resolve) => repository?.close(resolve));
  });

  it("the teacher finds a resource without diacritics, attaches it and publishes the lesson", async () => {
    await teacher.getByRole("link", { name: "Toán 6A1", exact: true }).click();
    await teacher.getByRole("link", { name: "Soạn bài học mới" }).click();
    await teacher.waitForURL(/\/lessons\/new$/);
    await hydrated(teacher);
    await expect.poll(() => teacher.getByText("Lưu bài (bản nháp) trước, rồi gắn học liệu từ thư viện.").isVisible()).toBe(true);
    await teacher.getByLabel("Tiêu đề", { exact: true }).fill("Bài 8. Phân số");
    await teacher.getByLabel("Nội dung", { exact: true }).fill("Đọc học liệu bên dưới rồi làm bài tập 1–3.");
    await teacher.getByRole("button", { name: "Lưu nháp", exact: true }).click();
    await teacher.waitForURL(/\/lessons\/[^/]+\/edit\?saved=draft$/);
    lessonId = /\/lessons\/([^/]+)\/edit/.exec(teacher.url())![1];

    await teacher.getByLabel("Tìm học liệu để gắn", { exact: true }).fill("phan so lop 6");
    await teacher.getByLabel("Tìm học liệu để gắn", { exact: true }).press("Enter");
    const hit = teacher.getByTestId("lesson-library-hit").filter({ hasText: "Toán lớp 6: Phân số và các phép tính" });
    await expect.poll(() => hit.isVisible()).toBe(true);
    await hit.getByRole("button", { name: "Gắn “Toán lớp 6: Phân số và các phép tính” vào bài" }).click();
    await expect.poll(() => teacher.getByRole("status").filter({ hasText: "Đã gắn học liệu vào bài." }).isVisible()).toBe(true);
    const attached = teacher.getByTestId("lesson-resources");
    await expect.poll(() => attached.textContent()).toContain("Toán lớp 6: Phân số và các phép tính");
    await expect.poll(() => attached.textContent()).toContain("Kho học liệu số ngành Giáo dục; Thư viện Học liệu mở");
    // What the teacher typed is still there, and publishing keeps the resource.
    expect(await teacher.getByLabel("Tiêu đề", { exact: true }).inputValue()).toBe("Bài 8. Phân số");
    await teacher.getByRole("button", { name: "Đăng bài", exact: true }).click();
    await teacher.waitForURL(/\/lessons\/[^/]+\/edit\?saved=published$/);
    await expect.poll(() => teacher.getByTestId("lesson-resources").textContent()).toContain("Toán lớp 6: Phân số");
  });

  it("the student opens the lesson, sees the resource with source and licence, and opens its link", async () => {
    await student.goto(`/lessons/${lessonId}`);
    const section = student.getByTestId("lesson-resources");
    await expect.poll(() => section.textContent()).toContain("Toán lớp 6: Phân số và các phép tính");
    expect(await section.textContent()).toContain("Giấy phép: CC BY 4.0");
    expect(await section.textContent()).toContain("Nguồn: Kho học liệu số ngành Giáo dục; Thư viện Học liệu mở");
    const opened = student.context().waitForEvent("page");
    await section.getByRole("link", { name: "Toán lớp 6: Phân số và các phép tính" }).click();
    const tab = await opened;
    await tab.waitForLoadState();
    expect(await tab.getByRole("heading", { level: 1 }).textContent()).toBe("Học liệu /r/toan6-phanso");
  });

  it("the student searches the library from the menu without diacritics", async () => {
    await student.getByRole("searchbox", { name: "Tìm trong thư viện học liệu" }).fill("hoa hoc 10");
    await student.getByRole("searchbox", { name: "Tìm trong thư viện học liệu" }).press("Enter");
    await student.waitForURL(/\/library\?q=hoa\+hoc\+10$/);
    await expect.poll(() => student.getByTestId("library-hit").first().textContent()).toContain("Hóa học 10");
    await student.getByRole("checkbox", { name: /Lớp 10/ }).check();
    await student.getByRole("button", { name: "Lọc", exact: true }).click();
    await student.waitForURL(/grade=10/);
    expect(await student.getByTestId("library-total").textContent()).toMatch(/^\d+ kết quả cho “hoa hoc 10”$/);
    expect(problems).toEqual([]);
  });
});
