import { describe, expect, it } from "vitest";
import { formObject, readForm, safeNext } from "./_form.server.ts";

describe("safeNext", () => {
  it.each(["/today", "/", "/classes/123?tab=lessons", "/lesson/1#top", "/a/b//c"])("keeps the same-site path %j", (path) => {
    expect(safeNext(path, "/home")).toBe(path);
  });

  it.each([
    ["protocol-relative", "//evil.com"],
    ["protocol-relative with path", "//evil.com/today"],
    ["absolute https", "https://x"],
    ["absolute http", "http://evil.com/"],
    ["backslash", "/\\evil"],
    ["backslash twice", "\\\\evil.com"],
    ["javascript:", "javascript:alert(1)"],
    ["relative", "today"],
    ["empty", ""],
    ["tab that browsers strip", "/\t/evil.com"],
    ["newline that browsers strip", "/\n/evil.com"],
    ["carriage return", "/\r/evil.com"],
    ["tab before a backslash", "/\t\\evil.com"],
    ["leading space", " /today"],
  ])("rejects %s (%j)", (_label, value) => {
    expect(safeNext(value, "/home")).toBe("/home");
  });

  it.each([null, undefined, 42, {}, ["/today"]])("falls back for a non-string %j", (value) => {
    expect(safeNext(value, "/home")).toBe("/home");
  });

  it("never yields a URL that leaves the site", () => {
    const base = "https://hub.example.vn";
    const tricky = ["//evil.com", "/\\evil.com", "/\t/evil.com", "/\n/evil.com", "/\t\\evil.com", "/%2F%2Fevil.com", "/ /evil.com", "/.//evil.com"];
    for (const value of tricky) {
      expect(new URL(safeNext(value, "/"), base).origin, JSON.stringify(value)).toBe(base);
    }
  });
});

describe("formObject", () => {
  it("keeps the first string value of each field and skips files", () => {
    const form = new FormData();
    form.append("name", "Lê An");
    form.append("name", "second");
    form.append("file", new File(["x"], "a.txt", { type: "text/plain" }));
    form.append("empty", "");
    expect(formObject(form)).toEqual({ name: "Lê An", empty: "" });
  });

  it("drops NUL characters, which PostgreSQL text cannot hold", () => {
    const form = new FormData();
    form.append("title", "Bài\u00001");
    expect(formObject(form)).toEqual({ title: "Bài1" });
  });
});

describe("readForm", () => {
  it("refuses a declared body above the limit with 413 before reading it", async () => {
    const request = new Request("http://hub.test/x", {
      method: "POST",
      headers: { "content-length": "2048", "content-type": "application/x-www-form-urlencoded" },
      body: "a=1",
    });
    const thrown = await readForm(request, 1024).then(
      () => null,
      (e: unknown) => e,
    );
    expect(thrown).toMatchObject({ init: { status: 413 }, data: { errors: { files: "errors.request_too_large" } } });
  });

  it("refuses a body sent without a length once it passes the limit, without reading the rest", async () => {
    let pulled = 0;
    const chunk = new TextEncoder().encode("a=" + "x".repeat(510));
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(chunk);
      },
    });
    const request = new Request("http://hub.test/x", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: endless,
      duplex: "half",
    } as RequestInit);
    const thrown = await readForm(request, 4096).then(
      () => null,
      (e: unknown) => e,
    );
    expect(thrown).toMatchObject({ init: { status: 413 }, data: { errors: { files: "errors.request_too_large" } } });
    expect(pulled).toBeLessThan(20);
  });

  it("answers 400 for a body that is not a form", async () => {
    const request = new Request("http://hub.test/x", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    const thrown = await readForm(request, 1024).then(
      () => null,
      (e: unknown) => e,
    );
    expect(thrown).toMatchObject({ init: { status: 400 } });
  });

  it("reads a body within the limit", async () => {
    const request = new Request("http://hub.test/x", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=1&b=Nguy%E1%BB%85n",
    });
    const form = await readForm(request, 1024);
    expect(formObject(form)).toEqual({ a: "1", b: "Nguyễn" });
  });
});
