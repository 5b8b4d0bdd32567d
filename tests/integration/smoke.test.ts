import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHub, type Hub } from "../support/hub.ts";

let hub: Hub;
beforeAll(async () => {
  hub = await startHub();
});
afterAll(async () => {
  await hub?.close();
});

describe("the hub over HTTP", () => {
  it("answers health and readiness", async () => {
    const health = await hub.client().get("/healthz");
    expect(health.status).toBe(200);
    const ready = await hub.client().get("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready" });
  });

  it("serves the sign-in page in Vietnamese with the demo accounts", async () => {
    const { status, text, res } = await hub.client().html("/login");
    expect(status).toBe(200);
    expect(text).toContain('<html lang="vi"');
    expect(text).toContain("Đăng nhập");
    expect(text).toContain("lan.nt@nguyendu.lopso.demo");
    expect(res.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });

  it("gives the public pages a description for search engines and link previews, in the reader's language", async () => {
    for (const path of ["/login"]) {
      const vi = await hub.client().html(path);
      expect(vi.status).toBe(200);
      expect(vi.text).toMatch(/<meta name="description" content="[^"]{40,}"\/>/);
      expect(/<meta name="description" content="([^"]*)"/.exec(vi.text)![1]).toMatch(/[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i);
      const english = hub.client();
      english.cookies.set("lang", "en");
      const en = await english.html(path);
      const enDescription = /<meta name="description" content="([^"]*)"/.exec(en.text)![1];
      expect(enDescription.length).toBeGreaterThan(40);
      expect(enDescription).not.toBe(/<meta name="description" content="([^"]*)"/.exec(vi.text)![1]);
    }
  });

  it("has a page preload a handful of scripts, each once, every one of them served", async () => {
    const an = await hub.as("an.nv@nguyendu.lopso.demo");
    const { status, text } = await an.html("/today");
    expect(status).toBe(200);
    const preloads = [...text.matchAll(/<link rel="modulepreload" href="([^"]+)"/g)].map((m) => m[1]);
    // The client entry, the libraries, the app's shared code, the root and the page.
    expect(preloads.length).toBeGreaterThanOrEqual(4);
    expect(preloads.length).toBeLessThanOrEqual(6);
    expect(new Set(preloads).size).toBe(preloads.length);
    for (const href of preloads) expect((await hub.client().get(href)).status).toBe(200);
  });

  it("signs a teacher in and shows their classes", async () => {
    const lan = await hub.as("lan.nt@nguyendu.lopso.demo");
    const { status, text } = await lan.html("/classes");
    expect(status).toBe(200);
    expect(text).toContain("Toán");
    expect(text).toContain("6A1");
  });
});
