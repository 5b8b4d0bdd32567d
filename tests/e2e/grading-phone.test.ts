/**
 * Grading on a 360×740 phone in real Chromium: the page does not scroll sideways, Enter in a grade
 * field goes to the next student's, and "Lưu tất cả" saves the valid rows and shows the bad row's
 * error beside its field.
 */
import { and, eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { submissions } from "../../db/schema/index.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { demoLookup } from "../support/demo.ts";
import { startHub, type Hub } from "../support/hub.ts";
import { audit, chromiumAvailable, formatFindings, hydrated, launchBrowser, newContext, signIn, watchPage } from "./browser.ts";

const skip = !chromiumAvailable && process.env.REQUIRE_ALL !== "1";
const SMALL_PHONE = { width: 360, height: 740 };

describe.skipIf(skip)("grading a class on a small phone (Chromium)", () => {
  let hub: Hub;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const ids: Record<string, string> = {};

  async function scoreOf(studentId: string) {
    const [row] = await hub.database.db
      .select({ score: submissions.score, status: submissions.status })
      .from(submissions)
      .where(and(eq(submissions.assignmentId, ids.sets), eq(submissions.studentId, studentId)));
    return row ?? null;
  }

  const focusedName = () => page.evaluate(() => document.activeElement?.getAttribute("name") ?? document.activeElement?.textContent ?? null);

  async function noSidewaysScroll() {
    const m = await page.evaluate(() => ({ scrollWidth: document.scrollingElement!.scrollWidth, innerWidth: window.innerWidth }));
    expect(m.scrollWidth, `page is ${m.scrollWidth}px wide in a ${m.innerWidth}px window`).toBeLessThanOrEqual(m.innerWidth);
  }

  beforeAll(async () => {
    browser = await launchBrowser();
    hub = await startHub();
    const find = demoLookup(hub.database.db);
    ids.sets = await find.assignment("Bài tập về tập hợp");
    ids.an = await find.user("an.nv@nguyendu.lopso.demo");
    ids.binh = await find.user("binh.tt@nguyendu.lopso.demo");
    ids.cuong = await find.user("cuong.lh@nguyendu.lopso.demo");
    ids.giang = await find.user("giang.ht@nguyendu.lopso.demo");
    context = await newContext(browser, hub.url, SMALL_PHONE);
    page = await context.newPage();
    watchPage(page, problems);
    await signIn(page, "lan.nt@nguyendu.lopso.demo", DEMO_PASSWORD);
  });

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await hub?.close();
  });

  it("fits a 360 px screen and passes axe", async () => {
    await page.goto(`/assignments/${ids.sets}/submissions`);
    await hydrated(page);
    expect(page.viewportSize()).toEqual(SMALL_PHONE);
    await noSidewaysScroll();
    // The rows: handed in first (An, Bình), then who has not (Cường, Giang).
    const rows = await page.locator('[data-testid="grade-row"]').evaluateAll((els) => els.map((e) => e.getAttribute("data-student")));
    expect(rows).toEqual(["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Hoàng Thu Giang"]);
    const serious = (await audit(page, "grading (360px)")).filter((f) => f.impact === "serious" || f.impact === "critical");
    expect(serious, formatFindings(serious)).toEqual([]);
  });

  it("Enter in a grade field moves to the next student's grade field", async () => {
    await page.getByLabel("Điểm của Nguyễn Văn An (0–10)").fill("9");
    await page.getByLabel("Điểm của Nguyễn Văn An (0–10)").press("Enter");
    expect(await focusedName()).toBe(`score.${ids.binh}`);
    await page.keyboard.type("12");
    await page.keyboard.press("Enter");
    expect(await focusedName()).toBe(`score.${ids.cuong}`);
    await page.keyboard.type("6,5");
    await page.keyboard.press("Enter");
    expect(await focusedName()).toBe(`score.${ids.giang}`);
    // From the last student, Enter goes to "Lưu tất cả"; nothing has been sent yet.
    await page.keyboard.press("Enter");
    expect(await focusedName()).toBe("intent");
    expect(await scoreOf(ids.an)).toEqual({ status: "graded", score: "8.50" });
    expect(await scoreOf(ids.cuong)).toBeNull();
  });

  it("“Lưu tất cả” saves the valid rows and shows the bad row's error beside its field", async () => {
    await page.getByRole("button", { name: "Lưu tất cả" }).first().click();
    const summary = page.getByTestId("save-all-summary");
    await expect.poll(() => summary.textContent()).toBe("Đã lưu 2 kết quả; 1 dòng có lỗi chưa được lưu, xem bên dưới.");
    const binh = page.getByLabel("Điểm của Trần Thị Bình (0–10)");
    expect(await binh.getAttribute("aria-invalid")).toBe("true");
    const errorId = await binh.getAttribute("aria-describedby");
    expect(await page.locator(`[id="${errorId}"]`).textContent()).toBe("Điểm phải từ 0 đến 10.");
    expect(await binh.inputValue()).toBe("12");
    expect(await scoreOf(ids.an)).toEqual({ status: "graded", score: "9.00" });
    expect(await scoreOf(ids.cuong)).toEqual({ status: "graded", score: "6.50" });
    expect(await scoreOf(ids.binh)).toMatchObject({ status: "submitted", score: null });
    expect(await scoreOf(ids.giang)).toBeNull();
    await noSidewaysScroll();

    await binh.fill("7");
    await page.getByRole("button", { name: "Lưu tất cả" }).last().click();
    await expect.poll(() => summary.textContent()).toBe("Đã lưu 1 kết quả.");
    expect(await scoreOf(ids.binh)).toEqual({ status: "graded", score: "7.00" });
    expect(await page.getByLabel("Điểm của Trần Thị Bình (0–10)").getAttribute("aria-invalid")).toBeNull();
    expect(problems).toEqual([]);
  });
});
