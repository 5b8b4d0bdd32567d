import { describe, expect, it } from "vitest";
import { RouterContextProvider } from "react-router";
import { actorContext } from "../context.ts";
import type { Actor } from "../auth/actor.server.ts";
import { BODY_LIMITS, type BodyLimit } from "../server/limits.ts";
import { formObject, readForm, safeNext } from "./_form.server.ts";

/** A request context as the root middleware leaves it: signed in, or not. */
function contextFor(signedIn: boolean) {
  const context = new RouterContextProvider();
  if (signedIn) context.set(actorContext, { id: "u1", fullName: "Lê An", memberships: [] } as unknown as Actor);
  return context;
}
const signedIn = contextFor(true);
const limit = (maxBytes: number, maxFields = 100): BodyLimit => ({ maxBytes, maxFields, files: { max: 5, maxBytes } });

async function refusal(promise: Promise<unknown>) {
  return promise.then(
    () => null,
    (e: unknown) => e,
  );
}

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
    const thrown = await readForm(request, signedIn, limit(1024)).then(
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
    const thrown = await readForm(request, signedIn, limit(4096)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(thrown).toMatchObject({ init: { status: 413 }, data: { errors: { files: "errors.request_too_large" } } });
    expect(pulled).toBeLessThan(20);
  });

  it("answers 400 for a body that is not a form", async () => {
    const request = new Request("http://hub.test/x", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    const thrown = await readForm(request, signedIn, limit(1024)).then(
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
    const form = await readForm(request, signedIn, limit(1024));
    expect(formObject(form)).toEqual({ a: "1", b: "Nguyễn" });
  });

  it("refuses more fields than the limit without parsing them (a body of empty fields)", async () => {
    const request = new Request("http://hub.test/x", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=&".repeat(500),
    });
    const thrown = await refusal(readForm(request, signedIn, limit(64 * 1024, 100)));
    expect(thrown).toMatchObject({ init: { status: 413 }, data: { errors: { files: "errors.too_many_fields" } } });
  });

  it("gives someone not signed in the anonymous limit whatever the route asks for", async () => {
    const body = "identifier=" + "a".repeat(BODY_LIMITS.anonymous.maxBytes);
    const make = () =>
      new Request("http://hub.test/x", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    expect(await refusal(readForm(make(), contextFor(false), BODY_LIMITS.upload))).toMatchObject({ init: { status: 413 }, data: { size: "8 kB" } });
    expect(formObject(await readForm(make(), signedIn, BODY_LIMITS.text)).identifier).toHaveLength(BODY_LIMITS.anonymous.maxBytes);
  });

  it("refuses files from someone not signed in, and on a form without files", async () => {
    const form = new FormData();
    form.append("f", new File(["hello"], "a.txt", { type: "text/plain" }));
    const make = () => new Request("http://hub.test/x", { method: "POST", body: form });
    expect(await refusal(readForm(make(), contextFor(false), BODY_LIMITS.upload))).toMatchObject({ init: { status: 400 } });
    expect(await refusal(readForm(make(), signedIn, BODY_LIMITS.text))).toMatchObject({ init: { status: 400 } });
    const read = await readForm(make(), signedIn, BODY_LIMITS.upload);
    expect(await (read.get("f") as File).text()).toBe("hello");
  });

  it("stops reading a multipart upload sent without a length at the limit", async () => {
    let pulled = 0;
    const boundary = "----lopso";
    const head = new TextEncoder().encode(`--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
    const chunk = new Uint8Array(64 * 1024).fill(0x41);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(pulled++ === 0 ? head : chunk);
      },
    });
    const request = new Request("http://hub.test/x", {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body: endless,
      duplex: "half",
    } as RequestInit);
    const thrown = await refusal(readForm(request, signedIn, limit(1024 * 1024)));
    expect(thrown).toMatchObject({ init: { status: 413 }, data: { errors: { files: "errors.request_too_large" }, size: "1 MB" } });
    expect(pulled).toBeLessThan(20);
  });

  it("answers 400 for a body without a form content type", async () => {
    const request = new Request("http://hub.test/x", { method: "POST", body: "a=1" });
    request.headers.delete("content-type");
    expect(await refusal(readForm(request, signedIn))).toMatchObject({ init: { status: 400 } });
  });
});
