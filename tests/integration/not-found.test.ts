/**
 * A URL that names no page: a 404 inside the frame (the signed-in person's menu), with its own
 * title, and a Content-Security-Policy whose nonce is the one on the page's scripts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { htmlText } from "../support/html.ts";

let hub: Hub;
let lan: Client;
let an: Client;

beforeAll(async () => {
  hub = await startHub();
  lan = await hub.as("lan.nt@nguyendu.lopso.demo");
  an = await hub.as("an.nv@nguyendu.lopso.demo");
});

afterAll(async () => {
  await hub?.close();
});

/** The page's script nonce: the CSP's, checked to be the one every script of the page carries. */
function expectWorkingNonce(res: Response, html: string) {
  const csp = res.headers.get("content-security-policy") ?? "";
  const nonce = /'nonce-([^']*)'/.exec(csp)?.[1];
  expect(csp).toMatch(/script-src 'self' 'nonce-/);
  expect(nonce, csp).toMatch(/^[A-Za-z0-9+/=]{16,}$/);
  const scripts = [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]);
  expect(scripts.length).toBeGreaterThan(0);
  for (const s of scripts) expect(s).toContain(`nonce="${nonce}"`);
}

const titleOf = (html: string) => htmlText(/<title>([\s\S]*?)<\/title>/.exec(html)?.[1] ?? "");

describe("a page that does not exist", () => {
  it("is a 404 in the teacher's frame, with a title and a working nonce", async () => {
    const { status, text, res } = await lan.html("/trang-khong-co");
    expect(status).toBe(404);
    expect(titleOf(text)).toBe("Không tìm thấy trang · Lớp Số");
    expect(text).toContain('<nav aria-label="Menu chính"');
    expect(text).toContain('href="/classes"'); // the teacher's own menu
    expect(htmlText(text)).toContain("Trang này không tồn tại hoặc bạn không có quyền xem.");
    expectWorkingNonce(res, text);
  });

  it("is the same under a known prefix, for a student, and in English", async () => {
    const nested = await an.html("/classes/khong/co/trang-nay");
    expect(nested.status).toBe(404);
    expect(nested.text).toContain('href="/today"'); // the student's menu
    expectWorkingNonce(nested.res, nested.text);

    const english = await hub.as("an.nv@nguyendu.lopso.demo");
    english.cookies.set("lang", "en");
    const page = await english.html("/trang-khong-co");
    expect(page.status).toBe(404);
    expect(page.text).toContain('<html lang="en"');
    expect(titleOf(page.text)).toBe("Page not found · Lớp Số");
    expect(page.text).toContain('<nav aria-label="Main menu"');
  });

  it("is a 404 with a title and a working nonce for a visitor who is not signed in, without a menu", async () => {
    const { status, text, res } = await hub.client().html("/trang-khong-co");
    expect(status).toBe(404);
    expect(titleOf(text)).toBe("Không tìm thấy trang · Lớp Số");
    expect(text).not.toContain('<nav aria-label="Menu chính"');
    expectWorkingNonce(res, text);
  });

  it("answers a form posted to it with the same 404 page", async () => {
    const res = await lan.post("/trang-khong-co", { a: "1" });
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(titleOf(text)).toBe("Không tìm thấy trang · Lớp Số");
    expect(text).toContain('<nav aria-label="Menu chính"');
  });
});
