/**
 * Course sync in real Chromium against a local Google (tests/fakes/google): the school's admin
 * connects the Classroom domain through the real redirect flow and asks for a sync on the
 * connection's sync page; after the `course-sync` job's run the page shows what came in; a student
 * of the synced course sees its Classroom coursework on "Hôm nay" with a way to open it on
 * Classroom, and the student's parent sees the grade posted on Classroom.
 */
import type { Browser } from "playwright-core";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connections } from "../../db/schema/index.ts";
import { syncConnection } from "../../app/services/sync/course-sync.server.ts";
import { startHub, type Hub } from "../support/hub.ts";
import { demoLookup } from "../support/demo.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google/server.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { chromiumAvailable, hydrated, launchBrowser, newContext, signIn, watchPage } from "./browser.ts";

const skip = !chromiumAvailable && process.env.REQUIRE_ALL !== "1";
const DOMAIN = "nguyendu.lopso.demo";
const CLIENT = { clientId: "lopso-79001.apps.googleusercontent.com", clientSecret: "GOCSPX-e2e-sync" };
const ymd = (d: Date) => ({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });

describe.skipIf(skip)("syncing a Google Classroom domain (Chromium)", () => {
  let hub: Hub;
  let google: FakeGoogle;
  let browser: Browser;
  let thcs: string;
  let connectionId = "";
  const problems: string[] = [];

  beforeAll(async () => {
    google = await startFakeGoogle({ clients: [CLIENT], accounts: [{ sub: "g-admin", email: `hieutruong@${DOMAIN}`, name: "Vũ Thị Hạnh", hd: DOMAIN }] });
    const c = google.classroom;
    c.users.set("g-lan", { id: "g-lan", fullName: "Nguyễn Thị Lan", email: `lan.nt@${DOMAIN}` });
    c.users.set("g-an", { id: "g-an", fullName: "Nguyễn Văn An", email: `an.nv@${DOMAIN}` });
    c.courses.push({ id: "801", name: "Tin học 6A1 (Classroom)", section: "6A1", ownerId: "g-lan", teachers: ["g-lan"], students: ["g-an"], updateTime: "2026-09-01T00:00:00.000Z" });
    const soon = new Date(Date.now() + 3 * 86_400_000);
    const past = new Date(Date.now() - 2 * 86_400_000);
    c.courseWork.push(
      { id: "cw-soon", courseId: "801", title: "Vẽ sơ đồ tư duy bằng máy tính", maxPoints: 10, dueDate: ymd(soon), dueTime: { hours: 10 }, updateTime: "2026-09-02T00:00:00.000Z" },
      { id: "cw-done", courseId: "801", title: "Gõ phím mười ngón", maxPoints: 20, dueDate: ymd(past), dueTime: { hours: 10 }, updateTime: "2026-09-02T00:00:00.000Z" },
    );
    c.submissions.push({ id: "sub-an", courseId: "801", courseWorkId: "cw-done", userId: "g-an", state: "RETURNED", assignedGrade: 17, updateTime: "2026-09-06T00:00:00.000Z" });
    process.env.GOOGLE_ISSUER = google.url;
    process.env.GOOGLE_API_URL = `${google.url}/`;
    browser = await launchBrowser();
    hub = await startHub();
    thcs = await demoLookup(hub.database.db).school("79001");
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await google?.close();
  });

  it("the school's admin connects Classroom, asks for a sync, and sees what came in", async () => {
    const page = await (await newContext(browser, hub.url)).newPage();
    watchPage(page, problems);
    await signIn(page, `hieutruong@${DOMAIN}`, DEMO_PASSWORD);
    await page.goto(`/admin/schools/${thcs}/connections`);
    await hydrated(page);
    const card = page.locator('[data-provider="google"]');
    await card.getByLabel("Client ID").fill(CLIENT.clientId);
    await card.getByLabel("Khóa bí mật (client secret)").fill(CLIENT.clientSecret);
    await card.getByLabel(/Tên miền Google Workspace/).fill(DOMAIN);
    await card.getByRole("button", { name: "Lưu và kiểm tra" }).click();
    await expect.poll(() => card.getByTestId("connection-status").textContent()).toBe("Đang chờ hoàn tất");
    google.oidc.current = google.oidc.account(`hieutruong@${DOMAIN}`);
    await card.getByRole("button", { name: "Cấp quyền với Google" }).click();
    await page.waitForURL((u) => u.searchParams.get("connected") === "google");
    await expect.poll(() => page.locator('[data-provider="google"]').getByTestId("connection-status").textContent()).toBe("Đã kết nối");

    await page.locator('[data-provider="google"]').getByTestId("classroom-sync").click();
    await page.waitForURL(/\/admin\/connections\/[0-9a-f-]{36}\/sync$/);
    connectionId = /\/admin\/connections\/([0-9a-f-]{36})\/sync$/.exec(page.url())![1];
    const [row] = await hub.database.db.select().from(connections).where(and(eq(connections.id, connectionId), eq(connections.provider, "google")));
    expect(row.status).toBe("connected");
    await hydrated(page);
    await page.getByTestId("sync-now").click();
    await expect.poll(() => page.getByTestId("sync-requested").isVisible()).toBe(true);

    // What the course-sync job does with the run just asked for.
    expect(await syncConnection(hub.database.db, connectionId)).toMatchObject({ status: "succeeded" });
    await page.reload();
    await hydrated(page);
    await expect.poll(() => page.getByTestId("sync-status").textContent()).toBe("Thành công");
    expect(Number(await page.getByTestId("sync-created").textContent())).toBeGreaterThanOrEqual(3); // the class, its coursework, the grade
  });

  it("the student sees the Classroom coursework on “Hôm nay” and opens its class", async () => {
    const page = await (await newContext(browser, hub.url)).newPage();
    watchPage(page, problems);
    await signIn(page, `an.nv@${DOMAIN}`, DEMO_PASSWORD);
    await page.goto("/today");
    await hydrated(page);
    const work = page.getByRole("link", { name: /Vẽ sơ đồ tư duy bằng máy tính/ });
    await expect.poll(() => work.count()).toBeGreaterThan(0);
    await work.first().click();
    await page.waitForURL(/\/assignments\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.getByRole("link", { name: /Mở trên Google Classroom/ }).getAttribute("href")).toMatch(/^https:\/\/classroom\.google\.com\//);
  });

  it("the parent sees the grade posted on Classroom", async () => {
    const page = await (await newContext(browser, hub.url)).newPage();
    watchPage(page, problems);
    await signIn(page, "0912345678", DEMO_PASSWORD);
    const an = await demoLookup(hub.database.db).user(`an.nv@${DOMAIN}`);
    await page.goto(`/children/${an}`);
    await hydrated(page);
    await expect.poll(() => page.locator("main").innerText()).toContain("Gõ phím mười ngón");
    // 17 of 20 points on Classroom → 8.5 on the 10-point scale.
    const row = page.locator("li", { hasText: "Gõ phím mười ngón" }).first();
    await expect.poll(() => row.innerText()).toMatch(/8[,.]5/);
  });

  it("no page error, CSP violation or console error on the way", () => {
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
