/**
 * The contact book in real Chromium, on a phone: the homeroom teacher writes a note about An, his
 * father opens the thread from the child's page, reads it and replies; the teacher's list shows
 * the unread badge; once she opens the thread, the father sees "Đã xem" under his reply. Every
 * page passes axe-core (no serious/critical violations) and does not scroll sideways.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHub, type Hub } from "../support/hub.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { audit, chromiumAvailable, formatFindings, hydrated, launchBrowser, newContext, PHONE, signIn, snap, watchPage, type AxeFinding } from "./browser.ts";

const skip = !chromiumAvailable && process.env.REQUIRE_ALL !== "1";

describe.skipIf(skip)("contact book (Chromium, phone)", () => {
  let hub: Hub;
  let browser: Browser;
  let teacher: Page;
  let parent: Page;
  const contexts: BrowserContext[] = [];
  const findings: AxeFinding[] = [];
  const problems: string[] = [];

  async function open() {
    const context = await newContext(browser, hub.url, PHONE);
    contexts.push(context);
    const page = await context.newPage();
    watchPage(page, problems);
    return page;
  }

  async function check(page: Page, name: string) {
    findings.push(...(await audit(page, name)).map((f) => ({ ...f, page: name })));
    await snap(page, name);
  }

  beforeAll(async () => {
    browser = await launchBrowser();
    hub = await startHub();
    teacher = await open();
    parent = await open();
    await signIn(teacher, "lan.nt@nguyendu.lopso.demo", DEMO_PASSWORD);
    await signIn(parent, "0912345678", DEMO_PASSWORD);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await hub?.close();
  });

  it("the homeroom teacher writes a note about An from the contact book", async () => {
    await teacher.getByRole("navigation", { name: "Menu chính" }).getByRole("link", { name: "Sổ liên lạc" }).click();
    await teacher.waitForURL(/\/contact-book$/);
    await check(teacher, "contact-book-teacher");
    await teacher.getByRole("link", { name: "Sổ liên lạc của Nguyễn Văn An" }).click();
    await teacher.waitForURL(/\/contact-book\/[^/?]+$/);
    await hydrated(teacher);
    await teacher.getByLabel("Nội dung", { exact: true }).fill("Hôm nay An giúp bạn cùng bàn làm bài rất nhiệt tình.");
    await teacher.getByRole("button", { name: "Ghi nhận xét về học sinh" }).click();
    await expect.poll(() => teacher.getByRole("status").textContent()).toContain("Đã ghi nhận xét.");
    await expect.poll(() => teacher.locator('li[data-kind="note"]').count()).toBe(1);
  });

  it("the father opens the thread from the child's page, reads the note and replies", async () => {
    await parent.goto("/children");
    await parent.getByRole("link", { name: "Nguyễn Văn An" }).first().click();
    await parent.waitForURL(/\/children\/[^/]+$/);
    await parent.getByRole("link", { name: "Sổ liên lạc của Nguyễn Văn An" }).click();
    await parent.waitForURL(/\/contact-book\/[^/?]+$/);
    await expect.poll(() => parent.locator('li[data-kind="note"] .message-body').textContent()).toBe("Hôm nay An giúp bạn cùng bàn làm bài rất nhiệt tình.");
    await check(parent, "contact-book-thread-parent");
    await hydrated(parent);
    await parent.getByLabel("Nội dung", { exact: true }).fill("Cảm ơn cô đã nhận xét, gia đình rất vui ạ.");
    await parent.getByRole("button", { name: "Gửi tin nhắn" }).click();
    await expect.poll(() => parent.getByRole("status").textContent()).toContain("Đã gửi.");
    await expect.poll(() => parent.locator("li.message").count()).toBe(2);
    // Not seen by the school yet.
    await expect.poll(() => parent.locator("li.message").last().getByTestId("seen").count()).toBe(0);
  });

  it("the teacher's list shows the unread reply first; opening it shows “Đã xem” to the father", async () => {
    await teacher.goto("/contact-book");
    const an = teacher.locator('li[data-student="Nguyễn Văn An"]');
    await expect.poll(() => an.getByTestId("unread").textContent()).toBe("1 chưa đọc");
    await expect.poll(() => teacher.locator("li[data-student]").first().getAttribute("data-student")).toBe("Nguyễn Văn An");
    await check(teacher, "contact-book-unread");
    await an.getByRole("link", { name: "Sổ liên lạc của Nguyễn Văn An" }).click();
    await teacher.waitForURL(/\/contact-book\/[^/?]+$/);
    await expect.poll(() => teacher.locator("li.message").last().locator(".message-body").textContent()).toBe("Cảm ơn cô đã nhận xét, gia đình rất vui ạ.");
    await expect.poll(() => teacher.locator('li[data-kind="note"]').getByTestId("seen").textContent()).toBe("Đã xem · Phụ huynh Nguyễn Văn Hùng");
    await check(teacher, "contact-book-thread-teacher");

    await parent.reload();
    await expect.poll(() => parent.locator("li.message").last().getByTestId("seen").textContent()).toBe("Đã xem");
    await teacher.goto("/contact-book");
    await expect.poll(() => teacher.locator('li[data-student="Nguyễn Văn An"]').getByTestId("unread").count()).toBe(0);
  });

  it("the school admin sends an urgent announcement to the whole school; the father reads it", async () => {
    const admin = await open();
    await signIn(admin, "hieutruong@nguyendu.lopso.demo", DEMO_PASSWORD);
    await admin.goto("/announcements/new");
    await hydrated(admin);
    await admin.getByLabel("Gửi tới").selectOption({ label: "Toàn trường: Trường THCS Nguyễn Du" });
    await admin.getByLabel("Tiêu đề").fill("Lịch nghỉ Tết Nguyên đán");
    await admin.getByLabel("Nội dung").fill("Học sinh nghỉ Tết từ ngày 14/02 đến hết ngày 22/02.");
    await admin.getByLabel("Khẩn").check();
    await check(admin, "announcement-new");
    await admin.getByRole("button", { name: "Gửi thông báo" }).click();
    await admin.waitForURL(/\/announcements\?sent=1$/);
    await expect.poll(() => admin.getByRole("status").textContent()).toContain("Đã gửi thông báo.");

    await parent.goto("/contact-book");
    await parent.getByRole("link", { name: "Thông báo chung" }).click();
    await parent.waitForURL(/\/announcements$/);
    const item = parent.locator('li[data-title="Lịch nghỉ Tết Nguyên đán"]');
    await expect.poll(() => item.textContent()).toContain("Khẩn");
    await check(parent, "announcements-parent");
  });

  it("no page error and no serious or critical axe violation", () => {
    expect(problems, problems.join("\n")).toEqual([]);
    const bad = findings.filter((f) => f.impact === "serious" || f.impact === "critical");
    expect(bad.length, formatFindings(bad)).toBe(0);
  });
});
