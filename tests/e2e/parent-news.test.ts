/**
 * A parent hears about a grade and answers the teacher, in real Chromium with a real SMTP server:
 * the teacher grades Trần Thị Bình's work; the fan-out and the email delivery run (the same
 * functions the notify-fanout and notify-deliver-email jobs run); the mother's menu shows one
 * unread notification, her inbox has the grade and links to the child's class, and the email
 * arrives (text and HTML, one-click unsubscribe); she replies in the contact book; the homeroom
 * teacher sees the reply with its unread badge, in her inbox and on the contact book's list.
 */
import { and, eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments, notificationSettings, users } from "../../db/schema/index.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { runFanout } from "../../app/services/notify/fanout.server.ts";
import { hubNotifyConfig } from "../../app/services/notify/recipients.server.ts";
import { deliverDue } from "../../app/services/notify/delivery-jobs.server.ts";
import { closeChannels } from "../../app/services/notify/channels.server.ts";
import { startHub, type Hub } from "../support/hub.ts";
import { listenSmtp, type TestSmtp } from "../support/smtp.ts";
import { audit, chromiumAvailable, formatFindings, hydrated, launchBrowser, newContext, PHONE, signIn, snap, watchPage, type AxeFinding } from "./browser.ts";

const skip = !chromiumAvailable && process.env.REQUIRE_ALL !== "1";

const MOTHER = "linh.tm@gmail.demo";
const REPLY = "Cảm ơn cô Lan, tối nay gia đình sẽ xem lại bài với cháu ạ.";

describe.skipIf(skip)("a parent hears of a grade and answers the teacher (Chromium, SMTP)", () => {
  let hub: Hub;
  let smtp: TestSmtp;
  let browser: Browser;
  let teacher: Page;
  let parent: Page;
  let binhId = "";
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

  /** What the notify-fanout and notify-deliver-email jobs do on their next run. */
  async function runJobs() {
    await runFanout(hub.database.db, hubNotifyConfig());
    await deliverDue(hub.database, "email");
  }

  beforeAll(async () => {
    smtp = await listenSmtp();
    browser = await launchBrowser();
    hub = await startHub();
    [{ id: binhId }] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.fullName, "Trần Thị Bình"));
    // No quiet hours for the mother, so that the email goes out whatever the hour in Hà Nội.
    const [mother] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.email, MOTHER));
    await hub.database.db.update(notificationSettings).set({ quietStart: 0, quietEnd: 0 }).where(eq(notificationSettings.userId, mother.id));
    teacher = await open();
    parent = await open();
    await signIn(teacher, "lan.nt@nguyendu.lopso.demo", DEMO_PASSWORD);
    await signIn(parent, MOTHER, DEMO_PASSWORD);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await closeChannels();
    await hub?.close();
    await smtp?.close();
  });

  it("the teacher grades Bình's hand-in", async () => {
    const [a] = await hub.database.db.select({ id: assignments.id }).from(assignments).where(and(eq(assignments.title, "Bài tập về tập hợp")));
    await teacher.goto(`/assignments/${a.id}/submissions`);
    await hydrated(teacher);
    const card = teacher.getByRole("listitem").filter({ has: teacher.getByRole("heading", { name: "Trần Thị Bình" }) });
    await card.getByLabel("Điểm của Trần Thị Bình (0–10)").fill("9");
    await card.getByRole("button", { name: "Lưu điểm: Trần Thị Bình" }).click();
    await expect.poll(() => card.getByRole("status").textContent()).toBe("Đã lưu điểm: 9/10");
  });

  it("the mother's menu shows one unread notification; the inbox has the grade and opens the child's class", async () => {
    await runJobs();
    await parent.goto("/children");
    await expect.poll(() => parent.getByTestId("unread-badge").textContent()).toBe("1");
    await parent.getByRole("navigation", { name: "Menu chính" }).getByRole("link", { name: /^Thông báo/ }).click();
    await parent.waitForURL(/\/notifications$/);
    const item = parent.getByRole("listitem").filter({ hasText: "Bình có điểm Toán" });
    await expect.poll(() => item.textContent()).toContain("9/10");
    await check(parent, "inbox-after-grade");
    await item.getByRole("link", { name: /Bình có điểm Toán/ }).click();
    await parent.waitForURL(new RegExp(`/children/${binhId}/classes/[0-9a-f-]+$`));
    await expect.poll(() => parent.getByTestId("unread-badge").count()).toBe(0);
  });

  it("the email arrives: the same news in text and HTML, a stable Message-ID and a one-click unsubscribe", async () => {
    await expect.poll(() => smtp.received.filter((m) => m.envelopeTo.includes(MOTHER)).length).toBe(1);
    const { mail } = smtp.received.find((m) => m.envelopeTo.includes(MOTHER))!;
    expect(mail.subject).toContain("Bình có điểm Toán 9/10");
    expect(mail.text).toContain("Bình có điểm Toán 9/10");
    expect(mail.html || "").toContain("Bình có điểm Toán 9/10");
    expect(mail.messageId).toMatch(/^<ev\.\d+\.[0-9a-f-]+\.email@lopso\.test>$/);
    const header = (name: string) => mail.headerLines.find((h) => h.key === name)?.line ?? "";
    expect(header("list-unsubscribe-post")).toBe("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    const link = /<(https?:\/\/[^>]+\/unsubscribe\/[^>]+)>/.exec(header("list-unsubscribe"))?.[1];
    expect(link).toBeTruthy();
    // The mail provider's one-click POST (RFC 8058): from its servers, no cookie, no Origin.
    const oneClick = await fetch(hub.url + new URL(link!).pathname, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(oneClick.status).toBe(200);
    const [{ n }] = await hub.database.query<{ n: number }>("select count(*)::int as n from channel_unsubscribes where kind = 'grade' and channel = 'email'");
    expect(Number(n)).toBe(1);
    // Running the jobs again sends nothing twice.
    await runJobs();
    expect(smtp.received.filter((m) => m.envelopeTo.includes(MOTHER))).toHaveLength(1);
  });

  it("the mother replies in Bình's contact book", async () => {
    await parent.getByRole("navigation", { name: "Menu chính" }).getByRole("link", { name: "Sổ liên lạc" }).click();
    await parent.waitForURL(/\/contact-book$/);
    await parent.getByRole("link", { name: "Sổ liên lạc của Trần Thị Bình" }).click();
    await parent.waitForURL(new RegExp(`/contact-book/${binhId}$`));
    await hydrated(parent);
    await parent.getByLabel("Nội dung", { exact: true }).fill(REPLY);
    await parent.getByRole("button", { name: "Gửi tin nhắn" }).click();
    await expect.poll(() => parent.getByRole("status").textContent()).toContain("Đã gửi.");
    await check(parent, "contact-book-reply");
  });

  it("the homeroom teacher sees the reply: an unread notification and an unread badge on the thread", async () => {
    await runJobs();
    await teacher.goto("/contact-book");
    await expect.poll(() => teacher.getByTestId("unread-badge").textContent()).toBe("1");
    const binh = teacher.locator('li[data-student="Trần Thị Bình"]');
    await expect.poll(() => binh.getByTestId("unread").textContent()).toBe("1 chưa đọc");
    await check(teacher, "contact-book-teacher-unread");
    await teacher.getByRole("navigation", { name: "Menu chính" }).getByRole("link", { name: /^Thông báo/ }).click();
    await teacher.waitForURL(/\/notifications$/);
    const item = teacher.getByRole("listitem").filter({ hasText: "Trần Mỹ Linh" });
    await item.getByRole("link").first().click();
    await teacher.waitForURL(new RegExp(`/contact-book/${binhId}$`));
    await expect.poll(() => teacher.locator("li.message").last().locator(".message-body").textContent()).toBe(REPLY);
  });

  it("no page error and no serious or critical axe violation", () => {
    expect(problems, problems.join("\n")).toEqual([]);
    const bad = findings.filter((f) => f.impact === "serious" || f.impact === "critical");
    expect(bad.length, formatFindings(bad)).toBe(0);
  });
});
