/**
 * Saving a lesson again in real Chromium: after "Đăng bài" the file input is empty, so correcting
 * the title and pressing "Lưu nháp" attaches nothing more, and the banner says what was done.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHub, type Hub } from "../support/hub.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { chromiumAvailable, hydrated, launchBrowser, newContext, signIn, watchPage } from "./browser.ts";

const skip = !chromiumAvailable && process.env.REQUIRE_ALL !== "1";

describe.skipIf(skip)("the lesson editor, saved twice (Chromium)", () => {
  let hub: Hub;
  let browser: Browser;
  let teacher: Page;
  let tmp: string;
  let sheet: string;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    hub = await startHub();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lopso-e2e-"));
    sheet = path.join(tmp, "phieu-bai-tap-phep-nhan.txt");
    fs.writeFileSync(sheet, "Phiếu bài tập: tính 12 × 5 và 5 × 12.\n");
    const context = await newContext(browser, hub.url);
    teacher = await context.newPage();
    watchPage(teacher, problems);
    await signIn(teacher, "lan.nt@nguyendu.lopso.demo", DEMO_PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const attachmentLinks = () => teacher.getByRole("link", { name: path.basename(sheet) });
  const fileInput = () => teacher.getByLabel("Tệp đính kèm", { exact: true });
  const chosenFiles = () => fileInput().evaluate((el) => (el as HTMLInputElement).files?.length ?? 0);

  it("publishes with a file, then saves a corrected title: one attachment, and the banner says the lesson stays published", async () => {
    await teacher.getByRole("link", { name: "Toán 6A1", exact: true }).click();
    await teacher.getByRole("link", { name: "Soạn bài học mới" }).click();
    await teacher.waitForURL(/\/lessons\/new$/);
    await hydrated(teacher);
    await teacher.getByLabel("Tiêu đề", { exact: true }).fill("Bài 7. Phép nhân (bản đầu)");
    await teacher.getByLabel("Nội dung", { exact: true }).fill("Tính **12 × 5**.");
    await fileInput().setInputFiles(sheet);
    await teacher.getByRole("button", { name: "Đăng bài", exact: true }).click();
    await teacher.waitForURL(/\/lessons\/[^/]+\/edit\?saved=published$/);
    await expect.poll(() => teacher.getByRole("status").filter({ hasText: "Đã đăng bài học." }).isVisible()).toBe(true);
    await expect.poll(() => attachmentLinks().count()).toBe(1);
    // The file went with the save: the input no longer holds it.
    await expect.poll(chosenFiles).toBe(0);

    await hydrated(teacher);
    await teacher.getByLabel("Tiêu đề", { exact: true }).fill("Bài 7. Phép nhân số tự nhiên");
    await teacher.getByRole("button", { name: "Lưu nháp", exact: true }).click();
    await teacher.waitForURL(/\/lessons\/[^/]+\/edit\?saved=updated$/);
    const banner = teacher.getByRole("status").filter({ hasText: "Đã lưu thay đổi." });
    await expect.poll(() => banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toContain("Bài học vẫn đang được đăng");
    expect(await teacher.getByRole("status").filter({ hasText: "Đã đăng bài học." }).count()).toBe(0);
    await expect.poll(() => attachmentLinks().count()).toBe(1);
    expect(await hub.database.query("select 1 from attachments a join lessons l on l.id = a.lesson_id where l.title = $1", ["Bài 7. Phép nhân số tự nhiên"])).toHaveLength(1);
  });

  it("writes a lesson with mathematics and the toolbar; the editor's first load asks for no preview and reloads no data", async () => {
    await teacher.goto(`/classes`);
    await teacher.getByRole("link", { name: "Toán 6A1", exact: true }).click();
    await teacher.getByRole("link", { name: "Soạn bài học mới" }).click();
    await teacher.waitForURL(/\/lessons\/new$/);
    await hydrated(teacher);
    await teacher.getByLabel("Tiêu đề", { exact: true }).fill("Bài 8. Phân số");
    await teacher.getByLabel("Nội dung", { exact: true }).fill("Ta có $\\frac{1}{2} = \\frac{2}{4}$.\n\n$$\n\\sqrt{a^2 + b^2}\n$$");
    // The live preview typesets it (and has answered before the lesson is saved).
    await expect.poll(() => teacher.getByRole("region", { name: "Xem trước" }).locator(".katex-display").count()).toBe(1);
    await teacher.getByRole("button", { name: "Lưu nháp", exact: true }).click();
    await teacher.waitForURL(/\/lessons\/[^/]+\/edit\?saved=draft$/);
    const editUrl = new URL(teacher.url()).pathname;

    // A fresh load of the editor, every request counted.
    const requests: { method: string; path: string }[] = [];
    const onRequest = (r: import("playwright-core").Request) => requests.push({ method: r.method(), path: new URL(r.url()).pathname });
    teacher.on("request", onRequest);
    try {
      await teacher.goto(editUrl);
      await hydrated(teacher);
      const preview = teacher.getByRole("region", { name: "Xem trước" });
      expect(await preview.locator(".katex .mfrac").count()).toBe(2);
      expect(await preview.locator(".katex-display svg path").count()).toBeGreaterThan(0);
      // KaTeX's stylesheet and fonts are the hub's own, and they are in use.
      await teacher.evaluate(() => document.fonts.ready);
      expect(await teacher.evaluate(() => document.fonts.check('1em "KaTeX_Main"'))).toBe(true);
      expect(await preview.locator(".katex").first().evaluate((el) => getComputedStyle(el).fontFamily)).toContain("KaTeX_Main");
      // Long enough for the preview's pause after typing (300 ms) to have passed, had it started.
      await teacher.waitForTimeout(1_000);
      expect(requests.filter((r) => r.path.startsWith("/api/preview")), JSON.stringify(requests)).toEqual([]);
      expect(requests.filter((r) => r.path.endsWith(".data")), JSON.stringify(requests)).toEqual([]);

      // Bold around a selection, from the toolbar: the text stays selected, the preview follows.
      const body = teacher.getByLabel("Nội dung", { exact: true });
      await body.fill("Tính 12 × 5 nhé");
      await body.evaluate((el) => (el as HTMLTextAreaElement).setSelectionRange(5, 11));
      await teacher.getByRole("toolbar", { name: "Định dạng nội dung" }).getByRole("button", { name: "In đậm", exact: true }).click();
      expect(await body.inputValue()).toBe("Tính **12 × 5** nhé");
      await expect.poll(() => body.evaluate((el) => { const a = el as HTMLTextAreaElement; return a.value.slice(a.selectionStart, a.selectionEnd); })).toBe("12 × 5");
      await expect.poll(() => preview.locator("strong", { hasText: "12 × 5" }).count()).toBe(1);
      expect(requests.filter((r) => r.method === "POST" && r.path.startsWith("/api/preview")).length).toBeGreaterThan(0);
      // The preview's requests reload none of the page's data.
      expect(requests.filter((r) => r.method === "GET" && r.path.endsWith(".data")), JSON.stringify(requests)).toEqual([]);
    } finally {
      teacher.off("request", onRequest);
    }
  });

  it("no page error, CSP violation or server error along the way", () => {
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
