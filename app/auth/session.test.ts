import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./password.server.ts";
import {
  SESSION_COOKIE,
  SESSION_TTL_MS,
  blankSessionCookie,
  generateSessionToken,
  readCookie,
  sessionCookie,
  sessionIdFromToken,
} from "./session.server.ts";

const attributes = (cookie: string) => cookie.split("; ").slice(1);

describe("generateSessionToken", () => {
  it("is 32 characters of lower-case base32 (160 random bits)", () => {
    for (let i = 0; i < 50; i++) expect(generateSessionToken()).toMatch(/^[a-z2-7]{32}$/);
  });

  it("does not repeat", () => {
    const tokens = new Set(Array.from({ length: 1000 }, generateSessionToken));
    expect(tokens.size).toBe(1000);
  });

  it("uses the whole alphabet (the bytes are random, not a narrow range)", () => {
    const seen = new Set(Array.from({ length: 200 }, generateSessionToken).join(""));
    expect(seen.size).toBe(32);
  });
});

describe("sessionIdFromToken", () => {
  it("is the lower-case hex SHA-256 of the token", () => {
    const token = generateSessionToken();
    expect(sessionIdFromToken(token)).toBe(crypto.createHash("sha256").update(token, "utf8").digest("hex"));
    expect(sessionIdFromToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("never equals the token itself", () => {
    const token = generateSessionToken();
    expect(sessionIdFromToken(token)).not.toContain(token);
    expect(sessionIdFromToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("session cookies", () => {
  const expires = new Date("2026-12-01T00:00:00Z");

  it("carries the token HttpOnly, SameSite=Lax, on every path, until the expiry", () => {
    const cookie = sessionCookie("abcdefghijklmnopqrstuvwxyz234567", expires, false);
    expect(cookie.startsWith(`${SESSION_COOKIE}=abcdefghijklmnopqrstuvwxyz234567; `)).toBe(true);
    const attrs = attributes(cookie);
    expect(attrs).toContain("HttpOnly");
    expect(attrs).toContain("SameSite=Lax");
    expect(attrs).toContain("Path=/");
    expect(attrs).toContain("Expires=Tue, 01 Dec 2026 00:00:00 GMT");
    expect(attrs).not.toContain("Secure");
    expect(cookie).not.toMatch(/Domain=/i);
  });

  it("is Secure only when asked", () => {
    expect(attributes(sessionCookie("t", expires, true))).toContain("Secure");
    expect(attributes(sessionCookie("t", expires, false))).not.toContain("Secure");
  });

  it("blanks the cookie with the same attributes and Max-Age=0", () => {
    const blank = blankSessionCookie(false);
    expect(blank.startsWith(`${SESSION_COOKIE}=; `)).toBe(true);
    expect(attributes(blank)).toEqual(expect.arrayContaining(["Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=0"]));
    expect(attributes(blank)).not.toContain("Secure");
    expect(attributes(blankSessionCookie(true))).toContain("Secure");
  });

  it("lasts 30 days", () => {
    expect(SESSION_TTL_MS).toBe(30 * 24 * 60 * 60 * 1000);
  });
});

describe("readCookie", () => {
  const req = (cookie?: string) => new Request("http://hub.test/", { headers: cookie ? { cookie } : {} });

  it("finds a cookie by exact name among others", () => {
    expect(readCookie(req(`lang=en; ${SESSION_COOKIE}=tok123; x=1`), SESSION_COOKIE)).toBe("tok123");
    expect(readCookie(req(`${SESSION_COOKIE}=tok123`), SESSION_COOKIE)).toBe("tok123");
  });

  it("does not match a cookie whose name merely ends or starts the same", () => {
    expect(readCookie(req(`x${SESSION_COOKIE}=evil`), SESSION_COOKIE)).toBeUndefined();
    expect(readCookie(req(`${SESSION_COOKIE}x=evil`), SESSION_COOKIE)).toBeUndefined();
  });

  it("decodes values and handles a missing header", () => {
    expect(readCookie(req("name=Nguy%E1%BB%85n"), "name")).toBe("Nguyễn");
    expect(readCookie(req(), SESSION_COOKIE)).toBeUndefined();
  });

  it("reads back what sessionCookie writes", () => {
    const token = generateSessionToken();
    const setCookie = sessionCookie(token, new Date(Date.now() + SESSION_TTL_MS), true);
    const pair = setCookie.split("; ")[0];
    expect(readCookie(req(pair), SESSION_COOKIE)).toBe(token);
  });
});

describe("passwords (argon2id)", () => {
  it("hashes with argon2id and OWASP's parameters, salted", async () => {
    const hash = await hashPassword("lopso2025");
    expect(hash.startsWith("$argon2id$")).toBe(true);
    expect(hash).toMatch(/\$m=19456,t=2,p=1\$/);
    expect(hash).not.toContain("lopso2025");
    expect(await hashPassword("lopso2025")).not.toBe(hash);
  });

  it("verifies the right password and rejects a wrong one", async () => {
    const hash = await hashPassword("Mật khẩu 123");
    expect(await verifyPassword(hash, "Mật khẩu 123")).toBe(true);
    expect(await verifyPassword(hash, "Mật khẩu 124")).toBe(false);
    expect(await verifyPassword(hash, "")).toBe(false);
  });

  it("rejects when there is no hash or the hash is not one", async () => {
    expect(await verifyPassword(null, "anything")).toBe(false);
    expect(await verifyPassword("", "anything")).toBe(false);
    expect(await verifyPassword("not-a-hash", "anything")).toBe(false);
  });
});
