/**
 * Live sessions in real Chromium, against local Zoom and Google fakes: the teacher schedules a
 * weekly Zoom session and a Meet session; the student sees both on "Hôm nay" and "Tham gia" leads
 * to the platform's join address; after Zoom's signed webhooks arrive, the teacher confirms the one
 * participant the hub could not be sure of and sees the attendance; the parent sees the child's.
 */
import type { Browser, Page } from "playwright-core";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveSessions } from "../../db/schema/index.ts";
import { upsertZoomConnection } from "../../app/services/connections/zoom.server.ts";
import { connectionById, testConnection } from "../../app/services/connections/check.server.ts";
import { processZoomEvents } from "../../app/services/attendance.server.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { connectedGoogleSchool } from "../support/connections.ts";
import { startHub, type Hub } from "../support/hub.ts";
import { demoLookup } from "../support/demo.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google/server.ts";
import { startFakeZoom, type FakeZoom } from "../fakes/zoom/server.ts";
import { sendZoomWebhook } from "../fakes/zoom/webhook.ts";
import { chromiumAvailable, hydrated, launchBrowser, newContext, signIn, watchPage } from "./browser.ts";

const skip = !chromiumAvailable && process.env.REQUIRE_ALL !== "1";
const DOMAIN = "nguyendu.lopso.demo";
const GOOGLE = { clientId: "lopso-79001.apps.googleusercontent.com", clientSecret: "GOCSPX-e2e-sessions" };
const ZOOM = { accountId: "acc_79001", clientId: "zoomS2S", clientSecret: "zoom-s2s-secret", user: { id: "zhost", email: `lan.nt@${DOMAIN}`, first_name: "Lan", last_name: "Nguyễn Thị" } };
const HOOK = "zoom-hook-secret-token";

describe.skipIf(skip)("live sessions (Chromium)", () => {
  let hub: Hub;
  let google: FakeGoogle;
  let zoom: FakeZoom;
  let browser: Browser;
  let zoomConnection = "";
  const problems: string[] = [];
  // Five minutes ago, in Vietnam time: the sessions are open now.
  const start = new Date(Math.floor((Date.now() - 5 * 60_000) / 60_000) * 60_000);
  const local = new Date(start.getTime() + 7 * 3_600_000).toISOString();

  beforeAll(async () => {
    google = await startFakeGoogle({ clients: [GOOGLE], accounts: [{ sub: "g-admin", email: `hieutruong@${DOMAIN}`, name: "Vũ Thị Hạnh", hd: DOMAIN }] });
    zoom = await startFakeZoom([ZOOM]);
    Object.assign(process.env, { GOOGLE_ISSUER: google.url, GOOGLE_API_URL: `${google.url}/`, ZOOM_OAUTH_URL: zoom.url, ZOOM_API_URL: `${zoom.url}/v2` });
    browser = await launchBrowser();
    hub = await startHub();
    const db = hub.database.db;
    const thcs = await demoLookup(db).school("79001");
    const cli = { actorId: null, address: "cli" };
    zoomConnection = (await upsertZoomConnection(db, { schoolCode: "79001", ...ZOOM, webhookSecret: HOOK }, cli)).id;
    await testConnection(db, (await connectionById(db, zoomConnection))!, cli);
    await connectedGoogleSchool(db, google, { schoolId: thcs, client: GOOGLE, admin: `hieutruong@${DOMAIN}`, domain: DOMAIN });
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await Promise.all([google?.close(), zoom?.close()]);
  });

  async function page(login: string): Promise<Page> {
    const p = await (await newContext(browser, hub.url)).newPage();
    watchPage(p, problems);
    await signIn(p, login, DEMO_PASSWORD);
    return p;
  }

  async function schedule(p: Page, title: string, platform: string, weekly: boolean) {
    await p.goto(`/classes/${await demoLookup(hub.database.db).class("6A1", "toan")}`);
    await p.getByTestId("schedule-session").click();
    await p.waitForURL((u) => u.pathname.endsWith("/sessions/new"));
    await hydrated(p);
    await p.getByLabel("Tên buổi học").fill(title);
    await p.getByLabel(platform, { exact: true }).check();
    await p.getByLabel("Ngày", { exact: true }).fill(local.slice(0, 10));
    await p.getByLabel("Giờ bắt đầu (giờ Việt Nam)").fill(local.slice(11, 16));
    if (weekly) {
      await p.getByLabel("Hằng tuần vào các ngày:").check();
      await p.getByLabel("hoặc số buổi").fill("4");
    }
    await p.getByRole("button", { name: "Lên lịch", exact: true }).click();
    await p.waitForURL((u) => /^\/sessions\/[0-9a-f-]{36}$/.test(u.pathname));
    await expect.poll(() => p.getByTestId("sync-state").getAttribute("data-state")).toBe("synced");
  }

  it("the teacher schedules a weekly Zoom session and a Meet session", async () => {
    const lan = await page(`lan.nt@${DOMAIN}`);
    await schedule(lan, "Toán — Zoom hằng tuần", "Zoom", true);
    expect(await lan.getByTestId("host-link").isVisible()).toBe(true);
    expect(await lan.getByTestId("occurrences").locator("li").count()).toBeGreaterThanOrEqual(3);
    await schedule(lan, "Toán — Meet", "Google Meet", false);
  });

  it("the student sees both on Hôm nay, and Tham gia leads to the platform", async () => {
    const an = await page(`an.nv@${DOMAIN}`);
    await an.goto("/today");
    const list = an.getByTestId("sessions-week");
    // This week's occurrence (and next week's, seven days on, at the window's edge).
    await expect.poll(() => list.getByRole("link", { name: "Toán — Zoom hằng tuần" }).count()).toBeGreaterThanOrEqual(1);
    expect(await list.getByRole("link", { name: "Toán — Meet" }).count()).toBe(1);
    const [meet] = await hub.database.db.select().from(liveSessions).where(eq(liveSessions.title, "Toán — Meet"));
    // The platform's page is outside this test: answer it here and see the browser arrive.
    await an.route("https://meet.google.com/**", (r) => r.fulfill({ status: 200, contentType: "text/html", body: "<title>Google Meet</title><p>Meet</p>" }));
    await list.locator("li", { hasText: "Toán — Meet" }).getByRole("link", { name: "Tham gia" }).click();
    await an.waitForURL((u) => u.toString() === meet.joinUrl);
  });

  it("after Zoom's webhooks, the teacher confirms the one unsure participant and sees attendance; the parent sees it too", async () => {
    const db = hub.database.db;
    const [z] = await db.select().from(liveSessions).where(eq(liveSessions.title, "Toán — Zoom hằng tuần"));
    const at = (min: number) => new Date(start.getTime() + min * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const event = (name: string, p: Record<string, string>) => ({ event: name, event_ts: Date.now(), payload: { account_id: ZOOM.accountId, object: { id: z.externalId, uuid: "u1", host_id: "zhost", participant: p } } });
    const url = `${hub.url}/webhooks/zoom/${zoomConnection}`;
    for (const e of [
      event("meeting.participant_joined", { id: "p-an", user_name: "Nguyễn Văn An", email: `an.nv@${DOMAIN}`, join_time: at(0) }),
      event("meeting.participant_joined", { id: "p-phone", user_name: "iPhone của Cường", join_time: at(1) }),
    ]) {
      expect((await sendZoomWebhook(url, HOOK, e)).status).toBe(200);
    }
    await processZoomEvents(db);

    const lan = await page(`lan.nt@${DOMAIN}`);
    await lan.goto(`/sessions/${z.id}`);
    await lan.getByTestId("past-occurrences").getByRole("link", { name: "Điểm danh" }).first().click();
    await lan.waitForURL((u) => u.pathname.endsWith("/attendance"));
    await hydrated(lan);
    const confirm = lan.getByTestId("to-confirm");
    expect(await confirm.getByText("iPhone của Cường", { exact: true }).isVisible()).toBe(true);
    await confirm.getByLabel("iPhone của Cường là học sinh nào").selectOption({ label: "Lê Hoàng Cường · gợi ý" });
    await confirm.getByRole("button", { name: "Xác nhận" }).click();
    await expect.poll(() => lan.getByTestId("to-confirm").count()).toBe(0);
    const table = lan.getByTestId("attendance");
    expect(await table.locator("tr", { hasText: "Lê Hoàng Cường" }).getAttribute("data-status")).not.toBe("absent");
    expect(await table.locator("tr", { hasText: "Nguyễn Văn An" }).getAttribute("data-status")).toBe("present");

    // An's father: the attendance on An's page.
    const hung = await page("0912345678");
    const anId = await demoLookup(db).user(`an.nv@${DOMAIN}`);
    await hung.goto(`/children/${anId}`);
    await expect.poll(() => hung.getByTestId("child-attendance").textContent()).toContain("Toán — Zoom hằng tuần");
    expect(await hung.getByTestId("child-attendance").textContent()).toContain("Có mặt");
  });

  it("no page error, CSP violation or console error on the way", () => {
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
