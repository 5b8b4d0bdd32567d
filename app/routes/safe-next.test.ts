import { describe, expect, it } from "vitest";
import { safeNext } from "./_form.server.ts";

describe("safeNext: a value fit for a Location header", () => {
  it.each([
    ["/Đ", "/%C4%90"],
    ["/%C4%90", "/%C4%90"],
    ["/lớp 6?tìm=toán#đầu", "/l%E1%BB%9Bp%206?t%C3%ACm=to%C3%A1n#%C4%91%E1%BA%A7u"],
    ["/a%zz", "/a%25zz"],
    ["/50%", "/50%25"],
    ['/a"b<c>', "/a%22b%3Cc%3E"],
    ["/a\\b", "/a%5Cb"],
    ["/😀", "/%F0%9F%98%80"],
    ["/classes/1?tab=a&b=c;d", "/classes/1?tab=a&b=c;d"],
  ])("%j becomes %j", (value, expected) => {
    expect(safeNext(value, "/home")).toBe(expected);
  });

  it("encodes only once: its own result comes back unchanged", () => {
    for (const v of ["/Đ", "/lớp 6?tìm=toán", "/a%zz", "/%F0%9F%98%80"]) expect(safeNext(safeNext(v, "/"), "/")).toBe(safeNext(v, "/"));
  });

  it("every result is plain ASCII that Headers accepts", () => {
    for (const v of ["/Đ", "/ư\u00a0ơ", "/\u2028x", "/\ufeffx", "/a b"]) {
      const out = safeNext(v, "/");
      expect(out).toMatch(/^[\x21-\x7e]+$/);
      expect(() => new Headers({ location: out })).not.toThrow();
    }
  });

  it("falls back for a lone surrogate (no character to encode)", () => {
    expect(safeNext("/a\ud800b", "/home")).toBe("/home");
  });
});
