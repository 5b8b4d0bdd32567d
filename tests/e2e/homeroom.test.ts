/**
 * The homeroom teacher in real Chromium, on a phone: from "Lớp của tôi" to the class group 6A1,
 * to one student across every subject, and a parent code issued there; a student joins the whole
 * group with its code. Every page passes axe-core (no serious/critical violations).
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHub, type Hub } from "../support/hub.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { DEMO_GROUP_CODES } from "../../db/seed.server.ts";
import { audit, chromiumAvailable, formatFindings, hydrated, launchBrowser, newContext, PHONE, signIn, snap, watchPage, type AxeFinding } from "./browser.ts";

const skip = !chromiumAvailable && process.env.REQUIRE_ALL !== "1";

describe.skipIf(skip)("homeroom teacher (Chromium, phone)", () => {
  let hub: Hub;
  let browser: Browser;
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
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await hub?.close();
  });

  it("a student joins the whole class group with one code", async () => {
    const student = await open();
    await signIn(student, "dung.pm@nguyendu.lopso.demo", DEMO_PASSWORD);
    await student.goto("/join");
    await hydrated(student);
    await student.getByLabel("Mã lớp").fill(DEMO_GROUP_CODES["6A1"]);
    await student.getByRole("button", { name: "Tham gia" }).click();
    await expect.poll(() => student.getByRole("status").textContent()).toContain("Em đã vào lớp 6A1 và 2 môn học của lớp.");
    await check(student, "join-group");
  });

  it("the homeroom teacher opens the group, a student, and issues a parent code", async () => {
    const teacher = await open();
    await signIn(teacher, "lan.nt@nguyendu.lopso.demo", DEMO_PASSWORD);
    expect(new URL(teacher.url()).pathname).toBe("/classes");
    await expect.poll(() => teacher.getByRole("heading", { level: 2, name: "Lớp chủ nhiệm" }).isVisible()).toBe(true);
    await teacher.getByRole("link", { name: "Lớp 6A1" }).click();
    await teacher.waitForURL(/\/groups\/[^/]+$/);
    await expect.poll(() => teacher.getByRole("heading", { level: 1, name: "Lớp 6A1" }).isVisible()).toBe(true);
    // Dũng, who just joined, is listed with both subjects.
    const dung = teacher.locator('tbody[data-student="Phạm Minh Dũng"] tr');
    await expect.poll(() => dung.count()).toBe(2);
    await check(teacher, "group");

    await teacher.getByRole("link", { name: "Nguyễn Văn An" }).click();
    await teacher.waitForURL(/\/groups\/[^/]+\/students\/[^/]+$/);
    await expect.poll(() => teacher.getByRole("heading", { level: 1, name: "Nguyễn Văn An" }).isVisible()).toBe(true);
    await expect.poll(() => teacher.getByRole("heading", { level: 3, name: /^Ngữ văn/ }).isVisible()).toBe(true);
    await expect.poll(() => teacher.getByRole("link", { name: "0912 345 678" }).getAttribute("href")).toBe("tel:+84912345678");
    await check(teacher, "group-student");

    await hydrated(teacher);
    await teacher.getByRole("button", { name: "Tạo mã cho phụ huynh" }).click();
    await expect.poll(() => teacher.getByTestId("link-code").textContent()).toMatch(/Mã phụ huynh cho Nguyễn Văn An: PH-[A-Z0-9]{10}/);
  });

  it("no page error and no serious or critical axe violation", () => {
    expect(problems, problems.join("\n")).toEqual([]);
    const bad = findings.filter((f) => f.impact === "serious" || f.impact === "critical");
    expect(bad.length, formatFindings(bad)).toBe(0);
  });
});
