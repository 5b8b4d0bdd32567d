/**
 * A parent on a 360 px phone in real Chromium: the menu shows the unread count, marking an item
 * read and opening another lower it, and the notification settings page changes a preference.
 */
import { and, eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notificationPreferences, notifications, users } from "../../db/schema/index.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { demoLookup } from "../support/demo.ts";
import { startHub, type Hub } from "../support/hub.ts";
import { audit, chromiumAvailable, formatFindings, hydrated, launchBrowser, newContext, signIn, watchPage } from "./browser.ts";

const skip = !chromiumAvailable && process.env.REQUIRE_ALL !== "1";
const SMALL_PHONE = { width: 360, height: 740 };

describe.skipIf(skip)("notifications on a small phone (Chromium)", () => {
  let hub: Hub;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const ids: Record<string, string> = {};

  const badge = () => page.getByTestId("unread-badge");

  async function noSidewaysScroll() {
    const m = await page.evaluate(() => ({ scrollWidth: document.scrollingElement!.scrollWidth, innerWidth: window.innerWidth }));
    expect(m.scrollWidth, `page is ${m.scrollWidth}px wide in a ${m.innerWidth}px window`).toBeLessThanOrEqual(m.innerWidth);
  }

  async function noSeriousFindings(name: string) {
    const serious = (await audit(page, name)).filter((f) => f.impact === "serious" || f.impact === "critical");
    expect(serious, formatFindings(serious)).toEqual([]);
  }

  beforeAll(async () => {
    // The hub's own VAPID key pair (generated into DATA_DIR on first start) is the one the page offers.
    browser = await launchBrowser();
    hub = await startHub();
    const db = hub.database.db;
    ids.an = await demoLookup(db).user("an.nv@nguyendu.lopso.demo");
    const [hung] = await db.select({ id: users.id }).from(users).where(eq(users.phone, "+84912345678"));
    ids.hung = hung.id;
    await db.insert(notifications).values(
      ["Điểm Toán: 9/10", "Bài mới: Tập hợp", "Thiếu bài: Số La Mã"].map((title, i) => ({
        userId: hung.id,
        studentId: ids.an,
        kind: "grade" as const,
        mode: "daily" as const,
        eventId: 800_000 + i,
        title,
        body: "Nguyễn Văn An · Toán 6A1",
        link: `/children/${ids.an}`,
      })),
    );
    context = await newContext(browser, hub.url, SMALL_PHONE);
    page = await context.newPage();
    watchPage(page, problems);
    await signIn(page, "0912345678", DEMO_PASSWORD);
  });

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close();
    await hub?.close();
  });

  it("shows the inbox with the unread count, and the count goes down as items are read", async () => {
    await page.goto("/notifications");
    await hydrated(page);
    expect(page.viewportSize()).toEqual(SMALL_PHONE);
    await expect.poll(() => badge().textContent()).toBe("3");
    expect(await page.getByRole("link", { name: /Thông báo/ }).first().textContent()).toContain("3 thông báo chưa đọc");
    expect(await page.getByTestId("inbox-item").count()).toBe(3);
    await noSidewaysScroll();
    await noSeriousFindings("inbox (360px)");

    await page.getByRole("button", { name: "Đánh dấu đã đọc: Thiếu bài: Số La Mã" }).click();
    await expect.poll(() => badge().textContent()).toBe("2");
    expect(await page.locator('[data-testid="inbox-item"][data-read="1"]').count()).toBe(1);

    await page.getByRole("link", { name: "Bài mới: Tập hợp" }).click();
    await page.waitForURL((url) => url.pathname === `/children/${ids.an}`);
    await expect.poll(() => badge().textContent()).toBe("1");
  });

  it("changes a preference on the settings page, and offers Web Push in this browser", async () => {
    await page.goto("/notifications");
    await page.getByRole("link", { name: "Cài đặt thông báo" }).click();
    await page.waitForURL((url) => url.pathname === "/account/notifications");
    await hydrated(page);
    await noSidewaysScroll();
    await noSeriousFindings("notification settings (360px)");
    // Chromium has a PushManager: the button appears once the page runs.
    await expect.poll(() => page.getByRole("button", { name: "Nhận thông báo trên trình duyệt này" }).count()).toBe(1);
    await page.getByLabel("Có điểm mới").selectOption("immediate");
    await page.getByLabel("Giờ yên lặng từ").fill("22:00");
    await page.getByRole("button", { name: "Lưu", exact: true }).click();
    await page.getByText("Đã lưu.").waitFor();
    const [pref] = await hub.database.db
      .select({ mode: notificationPreferences.mode })
      .from(notificationPreferences)
      .where(and(eq(notificationPreferences.userId, ids.hung), eq(notificationPreferences.studentId, ids.an), eq(notificationPreferences.kind, "grade")));
    expect(pref.mode).toBe("immediate");
    expect(await page.getByLabel("Có điểm mới").inputValue()).toBe("immediate");
    expect(problems).toEqual([]);
  });

  it("the service worker registers for the whole site and shows a pushed notification with its page", async () => {
    await context.grantPermissions(["notifications"], { origin: hub.url });
    const cdp = await context.newCDPSession(page);
    const registrations: { registrationId: string; scopeURL: string }[] = [];
    cdp.on("ServiceWorker.workerRegistrationUpdated", (e: { registrations: { registrationId: string; scopeURL: string }[] }) => registrations.push(...e.registrations));
    await cdp.send("ServiceWorker.enable");
    const scope = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      await navigator.serviceWorker.ready;
      return reg.scope;
    });
    expect(scope).toBe(`${hub.url}/`);
    await expect.poll(() => registrations.some((r) => r.scopeURL === `${hub.url}/`)).toBe(true);
    const registrationId = registrations.find((r) => r.scopeURL === `${hub.url}/`)!.registrationId;
    // A push reaches only an activated worker: wait for it (a loaded machine can take a while).
    await expect.poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration("/"))?.active?.state ?? null), { timeout: 10_000 }).toBe("activated");
    const shown = async () =>
      page.evaluate(async () => {
        const reg = await navigator.serviceWorker.getRegistration("/");
        const list = (await reg?.getNotifications()) ?? [];
        return list.map((n) => ({ title: n.title, body: n.body, url: (n.data as { url?: string } | null)?.url ?? null }));
      });
    /** Delivers the push (again, while it has not been shown: same tag, so one notification) until `done`. */
    const pushUntil = async (payload: Record<string, string>, done: (list: Awaited<ReturnType<typeof shown>>) => boolean) => {
      for (let i = 0; i < 20; i++) {
        await cdp.send("ServiceWorker.deliverPushMessage", { origin: hub.url, registrationId, data: JSON.stringify(payload) });
        const until = Date.now() + 1000;
        while (Date.now() < until) {
          if (done(await shown())) return;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const grade = { title: "Điểm Toán của An", body: "9/10 — Luyện tập: Số La Mã", url: `/children/${ids.an}`, tag: "grade-an" };
    await pushUntil(grade, (list) => list.length > 0);
    expect(await shown()).toEqual([{ title: "Điểm Toán của An", body: "9/10 — Luyện tập: Số La Mã", url: `${hub.url}/children/${ids.an}` }]);
    // A link to another site is not followed: the notification opens the inbox instead.
    await pushUntil({ title: "Lạ", url: "https://evil.example/", tag: "odd" }, (list) => list.some((n) => n.title === "Lạ"));
    expect((await shown()).find((n) => n.title === "Lạ")?.url ?? null).toBe(`${hub.url}/notifications`);
    expect(problems).toEqual([]);
  });
});
