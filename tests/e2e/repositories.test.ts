/**
 * A shared repository added and harvested in real Chromium: the province's admin adds an OAI-PMH
 * base URL (checked by Identify and ListMetadataFormats on the fake repository), asks "Thu thập
 * ngay", the worker's harvest runs, the repository page shows what came in, and a teacher finds a
 * harvested resource in the library without diacritics.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHub, type Hub } from "../support/hub.ts";
import { startFakeOai, type FakeOai, type FakeRecord } from "../fakes/oai-pmh/server.ts";
import { runHarvest } from "../../app/services/library/harvest.server.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";
import { chromiumAvailable, hydrated, launchBrowser, newContext, signIn, watchPage } from "./browser.ts";

const skip = !chromiumAvailable && process.env.REQUIRE_ALL !== "1";

const RECORDS: FakeRecord[] = [
  ["Hình học lớp 8: Tứ giác nội tiếp", "Toán", "Lớp 8"],
  ["Địa lí 9 — Vùng Đồng bằng sông Cửu Long", "Địa lí", "Lớp 9"],
  ["Luyện đọc hiểu văn bản thông tin", "Ngữ văn", "Lớp 7"],
].map(([title, subject, grade], i) => ({
  identifier: `oai:kho.longan.edu.vn:${100 + i}`,
  datestamp: `2026-11-0${i + 1}T08:00:00Z`,
  dc: { title: [title], subject: [subject, grade], creator: ["Sở GD&ĐT Long An"], type: ["Bài giảng"], language: ["vie"], rights: ["https://creativecommons.org/licenses/by/4.0/"], identifier: [`https://kho.longan.edu.vn/item/${100 + i}`] },
}));

describe.skipIf(skip)("adding and harvesting a shared repository (Chromium)", () => {
  let hub: Hub;
  let oai: FakeOai;
  let browser: Browser;
  let admin: Page;
  let repositoryId = "";
  const problems: string[] = [];

  beforeAll(async () => {
    oai = await startFakeOai({ name: "Kho học liệu Long An", granularity: "YYYY-MM-DDThh:mm:ssZ", records: RECORDS });
    browser = await launchBrowser();
    hub = await startHub();
    admin = await (await newContext(browser, hub.url)).newPage();
    watchPage(admin, problems);
    await signIn(admin, "so@lopso.demo", DEMO_PASSWORD);
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await oai?.close();
  });

  it("the province's admin adds the repository: checked, saved, then asks for a harvest", async () => {
    await admin.goto("/admin/repositories");
    await hydrated(admin);
    await admin.getByLabel("Địa chỉ OAI-PMH (base URL)").fill(oai.url);
    await admin.getByRole("button", { name: "Kiểm tra và lưu" }).click();
    const saved = admin.getByTestId("saved");
    await expect.poll(() => saved.textContent()).toContain("Đã lưu kho “Kho học liệu Long An”.");
    expect(oai.requests.map((q) => q.get("verb"))).toEqual(expect.arrayContaining(["Identify", "ListMetadataFormats"]));
    await saved.getByRole("link").click();
    await admin.waitForURL(/\/admin\/repositories\/[0-9a-f-]{36}$/);
    repositoryId = /\/admin\/repositories\/([0-9a-f-]{36})$/.exec(admin.url())![1];
    await hydrated(admin);
    await admin.getByRole("button", { name: "Thu thập ngay" }).click();
    await expect.poll(() => admin.getByText("Đã xếp lịch thu thập").isVisible()).toBe(true);
  });

  it("after the worker's harvest the page shows what came in, and a teacher finds it without diacritics", async () => {
    // What the library-harvest job does with the open run.
    const out = await runHarvest(hub.database.db, repositoryId);
    expect(out).toMatchObject({ status: "succeeded", added: 3, skipped: 0 });
    await admin.reload();
    await hydrated(admin);
    const page = await admin.locator("main").innerText();
    expect(page).toContain("Hoàn tất");
    expect(page).toMatch(/Thêm mới:\s*3\b/);

    const teacher = await (await newContext(browser, hub.url)).newPage();
    watchPage(teacher, problems);
    await signIn(teacher, "lan.nt@nguyendu.lopso.demo", DEMO_PASSWORD);
    await teacher.goto("/library?q=tu%20giac%20noi%20tiep");
    await hydrated(teacher);
    await expect.poll(() => teacher.getByRole("link", { name: "Hình học lớp 8: Tứ giác nội tiếp" }).count()).toBeGreaterThan(0);
    expect(await teacher.locator("main").innerText()).toContain("Kho học liệu Long An");
    expect(problems).toEqual([]);
  });
});
