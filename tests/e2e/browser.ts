/**
 * Real Chromium for the end-to-end tests: Debian's chromium driven by playwright-core (never a
 * downloaded browser), plus helpers for signing in through the UI, axe-core audits and screenshots.
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const chromiumAvailable = fs.existsSync(chromiumPath);

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };
export const SCREENSHOT_DIR = path.resolve("tests/e2e/__screenshots__");

export async function launchBrowser(): Promise<Browser> {
  if (!chromiumAvailable) {
    throw new Error(
      `Chromium not found at ${chromiumPath}. Install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH; ` +
        "the end-to-end tests never download a browser.",
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/**
 * A fresh browser profile (cookies and all) pointed at the hub. The app's real Content-Security-Policy
 * stays on: axe is injected through the DevTools protocol, which CSP does not govern.
 */
export async function newContext(browser: Browser, baseURL: string, viewport = DESKTOP): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport, locale: "vi-VN", timezoneId: "Asia/Ho_Chi_Minh" });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  return context;
}

/** Every page error and CSP violation seen in a page: the story expects none. */
export function watchPage(page: Page, problems: string[]) {
  page.on("pageerror", (e) => problems.push(`${page.url()}: page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) problems.push(`${page.url()}: console: ${m.text()}`);
  });
  page.on("response", (r) => {
    if (r.status() >= 500) problems.push(`${r.url()}: HTTP ${r.status()}`);
  });
}

/** Sign in at /login by typing into the labelled fields, as a person would. */
export async function signIn(page: Page, identifier: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email hoặc số điện thoại", { exact: true }).fill(identifier);
  await page.getByLabel("Mật khẩu", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Đăng nhập", exact: true }).click();
  await page.waitForURL((url) => url.pathname !== "/login");
}

/** React has hydrated the page (client-side forms, fetchers and links are live). */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => {
    const main = document.querySelector("main");
    return !!main && Object.keys(main).some((k) => k.startsWith("__reactFiber"));
  });
}

// ---------------------------------------------------------------------------------------------
// axe-core

const AXE_PATH = path.resolve("node_modules/axe-core/axe.min.js");
let axeSource: string | null = null;

export type AxeFinding = { page: string; id: string; impact: string; help: string; helpUrl: string; targets: string[]; summary: string };

/**
 * Run axe-core on the page as it is. `page.addScriptTag({ path })` would insert an inline <script>,
 * which the app's nonce-based CSP rightly refuses (and reports as a violation), so the same file is
 * evaluated through the DevTools protocol instead, which CSP does not govern.
 */
export async function audit(page: Page, name: string): Promise<AxeFinding[]> {
  const has = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== "undefined");
  if (!has) {
    axeSource ??= fs.readFileSync(AXE_PATH, "utf8");
    await page.evaluate(`${axeSource}\n;window.axe = axe;`);
  }
  const results = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: Array<{ id: string; impact: string | null; help: string; helpUrl: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? "unknown",
      help: v.help,
      helpUrl: v.helpUrl,
      targets: v.nodes.map((n) => n.target.map(String).join(" ")),
      summary: v.nodes[0]?.failureSummary ?? "",
    }));
  });
  return results.map((r) => ({ page: name, ...r }));
}

export function formatFindings(findings: AxeFinding[]): string {
  return findings
    .map((f) => `[${f.impact}] ${f.page}: ${f.id} — ${f.help}\n    targets: ${f.targets.slice(0, 6).join(" | ")}${f.targets.length > 6 ? ` (+${f.targets.length - 6})` : ""}\n    ${f.summary.replace(/\n/g, "\n    ")}\n    ${f.helpUrl}`)
    .join("\n");
}

// ---------------------------------------------------------------------------------------------
// Screenshots and the phone check

/**
 * Save `<name>-phone.png` (390×844) and `<name>-desktop.png` (1280×800), full page. At phone width,
 * the document must not scroll sideways (wide tables scroll inside their own wrapper).
 */
export async function snap(page: Page, name: string) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const before = page.viewportSize() ?? DESKTOP;
  await page.setViewportSize(PHONE);
  const overflow = await page.evaluate(() => {
    const doc = document.documentElement;
    const wide = [...document.querySelectorAll("main *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest(".table-wrap, .nav, pre"))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).split(" ").join(".") : ""}`);
    return { scrollWidth: doc.scrollWidth, width: window.innerWidth, wide };
  });
  expect(overflow, `${name}: the page scrolls sideways on a phone`).toEqual({ scrollWidth: PHONE.width, width: PHONE.width, wide: [] });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(before);
}
