/**
 * The school's people list and a person's page in real Chromium at 1366×768 (a school office's
 * laptop) and 360×740 (a small phone): nothing sticks out of the window sideways — neither the
 * document nor any button or link of the list — the rows become cards on the phone, and axe finds
 * no serious or critical violation.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memberships, users } from "../../db/schema/index.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { nameSortKey } from "../../app/lib/vn.ts";
import { demoLookup } from "../support/demo.ts";
import { startHub, type Hub } from "../support/hub.ts";
import { audit, chromiumAvailable, formatFindings, hydrated, launchBrowser, newContext, signIn, watchPage } from "./browser.ts";

const skip = !chromiumAvailable && process.env.REQUIRE_ALL !== "1";
const LAPTOP = { width: 1366, height: 768 };
const SMALL_PHONE = { width: 360, height: 740 };

describe.skipIf(skip)("the people list at 1366 px and 360 px (Chromium)", () => {
  let hub: Hub;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  let school = "";
  let an = "";

  beforeAll(async () => {
    browser = await launchBrowser();
    hub = await startHub();
    const db = hub.database.db;
    const find = demoLookup(db);
    school = await find.school("79001");
    an = await find.user("an.nv@nguyendu.lopso.demo");
    // Enough people for a second page, and long names and addresses that must wrap, not overflow.
    const long = "Công Tôn Nữ Thị Huyền Trân Ngọc Bảo Châu";
    const many = Array.from({ length: 60 }, (_, i) => ({
      fullName: i === 0 ? long : `Học Sinh Thử ${String(i).padStart(2, "0")}`,
      email: i === 0 ? "cong.ton.nu.thi.huyen.tran.ngoc.bao.chau.lop6a1@nguyendu.lopso.demo" : `thu${i}@nguyendu.lopso.demo`,
    }));
    const rows = await db
      .insert(users)
      .values(many.map((p) => ({ ...p, sortKey: nameSortKey(p.fullName), phone: null })))
      .returning({ id: users.id });
    await db.insert(memberships).values(rows.map((r) => ({ userId: r.id, orgId: school, role: "student" as const })));
    context = await newContext(browser, hub.url, LAPTOP);
    page = await context.newPage();
    watchPage(page, problems);
    await signIn(page, "hieutruong@nguyendu.lopso.demo", DEMO_PASSWORD);
  });

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await hub?.close();
  });

  /** The document and every button and link of main fit the window; what sticks out is named. */
  async function fits(label: string) {
    const m = await page.evaluate(() => {
      const doc = document.documentElement;
      const width = doc.clientWidth;
      const out = [...document.querySelectorAll("main button, main a, main input, main select, main td, main th")]
        .map((el) => ({ el, box: el.getBoundingClientRect() }))
        .filter(({ box }) => box.width > 0 && (box.right > width + 0.5 || box.left < -0.5))
        .slice(0, 5)
        .map(({ el, box }) => `${el.tagName.toLowerCase()} "${(el.textContent ?? "").trim().slice(0, 30)}" ${Math.round(box.left)}–${Math.round(box.right)}`);
      return { scrollWidth: doc.scrollWidth, clientWidth: width, out };
    });
    expect(m.scrollWidth, `${label}: the document is ${m.scrollWidth}px wide in ${m.clientWidth}px`).toBeLessThanOrEqual(m.clientWidth);
    expect(m.out, `${label}: elements beyond the window`).toEqual([]);
    // The buttons of the list, measured together in one snapshot of the page.
    const boxes = await page
      .locator("main table button, main .pager a, main .filters button")
      .evaluateAll((els) => els.map((el) => el.getBoundingClientRect()).filter((r) => r.width > 0).map((r) => ({ x: r.left, right: r.right })));
    expect(boxes.length).toBeGreaterThan(0);
    boxes.forEach((box, i) => {
      expect(box.x, `${label}: button ${i} starts left of the window`).toBeGreaterThanOrEqual(0);
      expect(box.right, `${label}: button ${i} is cut off on the right`).toBeLessThanOrEqual(m.clientWidth + 0.5);
    });
  }

  async function axeClean(label: string) {
    const serious = (await audit(page, label)).filter((f) => f.impact === "serious" || f.impact === "critical");
    expect(serious, formatFindings(serious)).toEqual([]);
  }

  it("the list fits 1366×768 as a table and passes axe", async () => {
    await page.setViewportSize(LAPTOP);
    await page.goto(`/admin/schools/${school}/users`);
    await hydrated(page);
    await expect.poll(() => page.getByTestId("people-count").textContent()).toMatch(/^1–50 \/ \d+ người$/);
    expect(await page.locator("table.people thead").isVisible()).toBe(true);
    expect(await page.getByRole("columnheader", { name: "Lớp" }).isVisible()).toBe(true);
    await fits("1366 px");
    await axeClean("people (1366px)");
  });

  it("the list fits 360×740 as cards with their labels, and passes axe", async () => {
    await page.setViewportSize(SMALL_PHONE);
    await page.goto(`/admin/schools/${school}/users`);
    await hydrated(page);
    await fits("360 px");
    // One card per person: the cell is a block with its column's label before it.
    const cell = page.locator("table.people tbody tr").first().locator("td").nth(1);
    const styles = await cell.evaluate((el) => ({ display: getComputedStyle(el).display, label: getComputedStyle(el, "::before").content }));
    expect(styles).toEqual({ display: "grid", label: '"Vai trò"' });
    await axeClean("people (360px)");
  });

  it("the second page and a search keep fitting on the phone", async () => {
    await page.getByRole("link", { name: /Trang sau/ }).click();
    await page.waitForURL(/page=2/);
    await expect.poll(() => page.getByTestId("people-count").textContent()).toMatch(/^51–/);
    await fits("360 px, page 2");
    await page.getByLabel("Tìm theo tên, email hoặc số điện thoại").fill("cong ton nu");
    await page.getByRole("button", { name: "Tìm", exact: true }).click();
    await page.waitForURL(/q=cong/);
    await expect.poll(() => page.getByTestId("person-row").count()).toBe(1);
    await fits("360 px, long name and email");
  });

  it("a person's page fits both sizes and passes axe", async () => {
    for (const viewport of [LAPTOP, SMALL_PHONE]) {
      await page.setViewportSize(viewport);
      await page.goto(`/admin/schools/${school}/users/${an}`);
      await hydrated(page);
      const m = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
      expect(m.scrollWidth).toBeLessThanOrEqual(m.clientWidth);
      for (const name of ["Lưu", "Đặt lại mật khẩu", "Khóa tài khoản…"]) {
        const box = (await page.getByRole("button", { name, exact: true }).boundingBox())!;
        expect(box.x + box.width, `${name} at ${viewport.width}px`).toBeLessThanOrEqual(m.clientWidth);
      }
      await axeClean(`person (${viewport.width}px)`);
    }
  });

  it("no page error, CSP violation or server error", () => {
    expect(problems).toEqual([]);
  });
});
