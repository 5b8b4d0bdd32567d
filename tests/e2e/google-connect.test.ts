/**
 * In real Chromium against a local Google (tests/fakes/google): the school admin saves the
 * school's OAuth client on Kết nối, grants access through the real redirect flow and sees
 * "Đã kết nối"; then a teacher of that school signs in with her Google account and lands on
 * "Lớp của tôi".
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHub, type Hub } from "../support/hub.ts";
import { demoLookup } from "../support/demo.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google/server.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { chromiumAvailable, hydrated, launchBrowser, newContext, signIn, watchPage } from "./browser.ts";

const skip = !chromiumAvailable && process.env.REQUIRE_ALL !== "1";
const DOMAIN = "nguyendu.lopso.demo";
const CLIENT = { clientId: "lopso-79001.apps.googleusercontent.com", clientSecret: "GOCSPX-e2e-secret" };

describe.skipIf(skip)("connecting Google Workspace and signing in with it (Chromium)", () => {
  let hub: Hub;
  let google: FakeGoogle;
  let browser: Browser;
  let thcs: string;
  const problems: string[] = [];

  beforeAll(async () => {
    google = await startFakeGoogle({
      clients: [CLIENT],
      accounts: [
        { sub: "g-admin", email: `hieutruong@${DOMAIN}`, name: "Vũ Thị Hạnh", hd: DOMAIN },
        { sub: "g-lan", email: `lan.nt@${DOMAIN}`, name: "Nguyễn Thị Lan", hd: DOMAIN },
      ],
      courses: [{ id: "1", name: "Toán 6A1", ownerId: "g-lan" }],
    });
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

  it("the school admin saves the OAuth client, grants access with Google and sees “Đã kết nối”", async () => {
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
    await expect.poll(() => page.getByTestId("test-result").textContent()).toContain("Đã lưu OAuth client của Google");
    await expect.poll(() => card.getByTestId("connection-status").textContent()).toBe("Đang chờ hoàn tất");
    await expect.poll(() => card.getByText("Xem ai đã tham gia các buổi Meet đó (để điểm danh).").isVisible()).toBe(true);

    google.oidc.current = google.oidc.account(`hieutruong@${DOMAIN}`);
    await card.getByRole("button", { name: "Cấp quyền với Google" }).click();
    await page.waitForURL((u) => u.pathname === `/admin/schools/${thcs}/connections` && u.searchParams.get("connected") === "google");
    await expect.poll(() => page.getByTestId("oauth-result").textContent()).toBe("Đã kết nối Google Workspace.");
    const after = page.locator('[data-provider="google"]');
    await expect.poll(() => after.getByTestId("connection-status").textContent()).toBe("Đã kết nối");
    expect(await after.getByTestId("account-name").textContent()).toBe(`hieutruong@${DOMAIN}`);
    expect(google.calls.courses).toBeGreaterThan(0);
    expect(await page.content()).not.toContain(CLIENT.clientSecret);
  });

  it("a teacher of the school signs in with her Google account and lands on “Lớp của tôi”", async () => {
    const page = await (await newContext(browser, hub.url)).newPage();
    watchPage(page, problems);
    google.oidc.current = google.oidc.account(`lan.nt@${DOMAIN}`);
    await page.goto("/login");
    await page.getByRole("button", { name: "Đăng nhập với Google Workspace" }).click();
    await page.waitForURL((u) => u.pathname === "/classes");
    await expect.poll(() => page.getByRole("heading", { level: 1, name: "Lớp của tôi" }).isVisible()).toBe(true);
    await page.goto("/account");
    await expect.poll(() => page.getByTestId("identities").textContent()).toContain(`lan.nt@${DOMAIN}`);
  });

  it("no page error, CSP violation or console error on the way", () => {
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
