/**
 * A URL that names no page, in real Chromium: the 404 page keeps the signed-in teacher's frame,
 * its scripts run under the page's nonce (no CSP violation, no console error), and it hydrates.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHub, type Hub } from "../support/hub.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { chromiumAvailable, hydrated, launchBrowser, newContext, signIn, watchPage } from "./browser.ts";

const skip = !chromiumAvailable && process.env.REQUIRE_ALL !== "1";

describe.skipIf(skip)("page not found (Chromium)", () => {
  let hub: Hub;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    hub = await startHub();
    const context = await newContext(browser, hub.url);
    page = await context.newPage();
    watchPage(page, problems);
    await signIn(page, "lan.nt@nguyendu.lopso.demo", DEMO_PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it("shows the 404 inside the teacher's frame, with its title, and its scripts run", async () => {
    const response = await page.goto("/trang-khong-co");
    expect(response!.status()).toBe(404);
    expect(await page.title()).toBe("Không tìm thấy trang · Lớp Số");
    await expect.poll(() => page.getByRole("heading", { level: 1, name: "Không tìm thấy trang" }).isVisible()).toBe(true);
    const menu = page.getByRole("navigation", { name: "Menu chính" });
    expect(await menu.getByRole("link", { name: "Lớp của tôi" }).isVisible()).toBe(true);
    // Hydration needs the page's scripts, which run only when their nonce is the policy's.
    await hydrated(page);

    // From there, the menu leads on within the page.
    await page.evaluate(() => ((window as unknown as { __samePage?: boolean }).__samePage = true));
    await menu.getByRole("link", { name: "Lớp của tôi" }).click();
    await page.waitForURL((u) => u.pathname === "/classes");
    await expect.poll(() => page.getByRole("heading", { level: 1, name: "Lớp của tôi" }).isVisible()).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage)).toBe(true);
  });

  it("no page error, CSP violation or console error on the way", () => {
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
