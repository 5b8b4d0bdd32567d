/**
 * Sign-in and sessions over HTTP: wrong passwords, phone numbers in any format, throttling kept in
 * the database (so it holds across processes), expiry and sliding renewal, signing out here or
 * everywhere, and what the cookie may and may not be.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rateLimits, sessions, users } from "../../db/schema/index.ts";
import { createApp } from "../../app/server/http.ts";
import { SIGNIN_LIMIT } from "../../app/services/users.server.ts";
import { testDatabaseUrl, testDbKind } from "../support/db.ts";
import { Client, loadBuild, startHub, type Hub } from "../support/hub.ts";
import { htmlText } from "../support/html.ts";
import { freePort, isReady, spawnServer } from "../support/process.ts";

let hub: Hub;
const PASSWORD = "lopso2025";
const DAY = 86_400_000;

const sha256hex = (s: string) => crypto.createHash("sha256").update(s).digest("hex");
const tokenOf = (c: Client) => c.cookies.get("lopso_session") ?? "";

function alerts(html: string): string[] {
  return [...html.matchAll(/<p\b[^>]*role="alert"[^>]*>([\s\S]*?)<\/p>/g)].map((m) => htmlText(m[1]));
}

async function userId(email: string) {
  const [u] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.email, email));
  return u.id;
}

async function sessionsOf(email: string) {
  return hub.database.db.select().from(sessions).where(eq(sessions.userId, await userId(email)));
}

async function signIn(identifier: string, password: string, client = hub.client()) {
  const res = await client.post("/login", { identifier, password });
  return { res, client, text: res.status === 302 ? "" : await res.text() };
}

/** Rate-limit rows left by one test must not throttle the next. */
async function resetLimits() {
  await hub.database.db.delete(rateLimits);
}

beforeAll(async () => {
  hub = await startHub();
});

afterAll(async () => {
  await hub?.close();
});

describe("sign-in", () => {
  it("refuses a wrong password with 400, one message for all, and no session", async () => {
    const before = await hub.database.query("select id from sessions");
    for (const [identifier, password] of [
      ["lan.nt@nguyendu.lopso.demo", "sai-mat-khau"],
      ["khong-co-ai@nguyendu.lopso.demo", PASSWORD],
      ["0900000000", PASSWORD],
    ]) {
      const { res, text } = await signIn(identifier, password);
      expect(res.status).toBe(400);
      expect(res.headers.getSetCookie().filter((c) => c.startsWith("lopso_session="))).toEqual([]);
      expect(alerts(text)).toContain("Email/số điện thoại hoặc mật khẩu không đúng.");
      // What was typed is kept; the password is not.
      expect(text).toContain(`value="${identifier}"`);
      const passwordInput = [...text.matchAll(/<input\b[^>]*>/g)].map((m) => m[0]).find((t) => t.includes('name="password"') && t.includes('type="password"')) ?? "";
      expect(passwordInput).not.toBe("");
      expect(passwordInput).not.toContain("value=");
    }
    expect(await hub.database.query("select id from sessions")).toEqual(before);
    await resetLimits();
  });

  it("shows the wrong-password message in English with lang=en", async () => {
    const c = hub.client();
    c.cookies.set("lang", "en");
    const { res, text } = await signIn("lan.nt@nguyendu.lopso.demo", "wrong-password", c);
    expect(res.status).toBe(400);
    expect(alerts(text)).toContain("Incorrect email/phone number or password.");
    await resetLimits();
  });

  for (const phone of ["0987 654 321", "+84987654321", "84987654321", "0987.654.321", "+84 987 654 321", "(+84) 987-654-321", " 0987654321 "]) {
    it(`signs a parent in by phone written as "${phone}"`, async () => {
      const { res, client } = await signIn(phone, PASSWORD);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/children");
      expect((await client.get("/children")).status).toBe(200);
    });
  }

  it("signs in by email whatever its case and surrounding spaces", async () => {
    const { res } = await signIn("  Lan.NT@NguyenDu.LopSo.Demo ", PASSWORD);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/classes");
  });

  it("goes to a same-site ?next after signing in, never to another site", async () => {
    const c = hub.client();
    let res = await c.post("/login", { identifier: "an.nv@nguyendu.lopso.demo", password: PASSWORD, next: "/join" });
    expect(res.headers.get("location")).toBe("/join");
    for (const next of ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example"]) {
      res = await hub.client().post("/login", { identifier: "an.nv@nguyendu.lopso.demo", password: PASSWORD, next });
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/today");
    }
  });
});

describe("throttling", () => {
  const THROTTLED = /Bạn đã thử đăng nhập quá nhiều lần\. Vui lòng thử lại sau (\d+) phút\./;

  it("after 5 failures for one identifier, the 6th is refused even with the right password", async () => {
    await resetLimits();
    for (let i = 1; i <= 5; i++) {
      const { res, text } = await signIn("minh.tv@nguyendu.lopso.demo", `sai-${i}`);
      expect(res.status, `attempt ${i}`).toBe(400);
      expect(alerts(text)).toContain("Email/số điện thoại hoặc mật khẩu không đúng.");
    }
    const sixth = await signIn("minh.tv@nguyendu.lopso.demo", PASSWORD);
    expect(sixth.res.status).toBe(400);
    expect(sixth.client.cookies.has("lopso_session")).toBe(false);
    const m = THROTTLED.exec(alerts(sixth.text).join(" "));
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(14);
    expect(Number(m![1])).toBeLessThanOrEqual(15);
    // The same person typed another way is the same identifier.
    const other = await signIn("MINH.TV@nguyendu.lopso.demo ", PASSWORD);
    expect(other.res.status).toBe(400);
    expect(alerts(other.text).join(" ")).toMatch(THROTTLED);
    expect(await sessionsOf("minh.tv@nguyendu.lopso.demo")).toEqual([]);
  });

  it("keeps the count in the rate_limits table", async () => {
    const [row] = await hub.database.db.select().from(rateLimits).where(eq(rateLimits.key, "signin:id:minh.tv@nguyendu.lopso.demo"));
    expect(row.count).toBeGreaterThanOrEqual(6);
    expect(Date.now() - row.windowStart.getTime()).toBeLessThan(60_000);
  });

  it("throttles a phone number in all its spellings together", async () => {
    for (let i = 1; i <= 5; i++) expect((await signIn(["0912 345 678", "+84912345678", "84912345678", "0912.345.678", "(+84) 912 345 678"][i - 1], "sai")).res.status).toBe(400);
    const sixth = await signIn("0912345678", PASSWORD);
    expect(sixth.res.status).toBe(400);
    expect(alerts(sixth.text).join(" ")).toMatch(THROTTLED);
  });

  it("is shared by a second web server on the same database (no memory of its own)", async () => {
    const build = await loadBuild();
    const { server } = createApp({ database: hub.database, build });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const other = new Client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const res = await other.post("/login", { identifier: "minh.tv@nguyendu.lopso.demo", password: PASSWORD });
      expect(res.status).toBe(400);
      expect(alerts(await res.text()).join(" ")).toMatch(THROTTLED);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it.skipIf(testDbKind() !== "postgres")("holds in another process on the same PostgreSQL database", async () => {
    const port = await freePort();
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${hub.database.name}`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lopso-proc2-"));
    const other = spawnServer({
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      DATABASE_URL: url.toString(),
      LOG_LEVEL: "warn",
      WORKERS: "0",
      DEMO: "0",
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      await other.waitUntil(() => isReady(base), 30_000);
      const res = await new Client(base).post("/login", { identifier: "minh.tv@nguyendu.lopso.demo", password: PASSWORD });
      expect(res.status).toBe(400);
      expect(alerts(await res.text()).join(" ")).toMatch(THROTTLED);
    } finally {
      await other.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("lets the right password in once the window has passed, and then forgets the failures", async () => {
    await hub.database.db.update(rateLimits).set({ windowStart: new Date(Date.now() - 16 * 60_000) });
    const { res } = await signIn("minh.tv@nguyendu.lopso.demo", PASSWORD);
    expect(res.status).toBe(302);
    expect(await hub.database.db.select().from(rateLimits).where(eq(rateLimits.key, "signin:id:minh.tv@nguyendu.lopso.demo"))).toEqual([]);
  });

  it("does not count successful sign-ins against the address: a whole school shares one NAT address", async () => {
    await resetLimits();
    // 40 pupils (here: two accounts, 20 times each) sign in from the same address within minutes.
    for (let i = 0; i < 40; i++) {
      const { res } = await signIn(i % 2 ? "an.nv@nguyendu.lopso.demo" : "giang.ht@nguyendu.lopso.demo", PASSWORD);
      expect(res.status, `sign-in ${i + 1}`).toBe(302);
    }
  });

  it(`still refuses an address after ${SIGNIN_LIMIT.perAddress} failures, whatever the identifier`, async () => {
    await resetLimits();
    for (let i = 1; i <= SIGNIN_LIMIT.perAddress; i++) {
      const { res } = await signIn(`doan-mo-${i}@nguyendu.lopso.demo`, "sai");
      expect(res.status).toBe(400);
    }
    const { res, text } = await signIn("binh.tt@nguyendu.lopso.demo", PASSWORD);
    expect(res.status).toBe(400);
    expect(alerts(text).join(" ")).toMatch(THROTTLED);
    await resetLimits();
  });
});

describe("sessions", () => {
  it("stores only the SHA-256 (hex) of the cookie token as the session id", async () => {
    const c = await hub.as("an.nv@nguyendu.lopso.demo");
    const token = tokenOf(c);
    expect(token).toMatch(/^[a-z2-7]{32}$/);
    const [row] = await hub.database.db.select().from(sessions).where(eq(sessions.id, sha256hex(token)));
    expect(row).toBeDefined();
    expect(row.userId).toBe(await userId("an.nv@nguyendu.lopso.demo"));
    expect(await hub.database.db.select().from(sessions).where(eq(sessions.id, token))).toEqual([]);
    const leaked = await hub.database.query("select id from sessions where id like $1", [`%${token}%`]);
    expect(leaked).toEqual([]);
  });

  it("does not accept a session id from the database as a cookie", async () => {
    const c = await hub.as("an.nv@nguyendu.lopso.demo");
    const stolen = hub.client();
    stolen.cookies.set("lopso_session", sha256hex(tokenOf(c)));
    const res = await stolen.get("/today");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toMatch(/^\/login\?next=%2Ftoday/);
  });

  it("a signed-out client navigation (React Router's .data request) is sent to sign-in with the page's own address", async () => {
    const res = await hub.client().get("/today.data?_routes=routes%2Ftoday");
    const body = await res.text();
    // Single fetch answers a redirect as data for the client router to follow.
    const target = res.headers.get("location") ?? body;
    expect(target).toContain("/login?next=%2Ftoday");
    expect(target).not.toMatch(/today\.data|_routes/);
  });

  for (const [what, tamper] of [
    ["one character changed", (t: string) => t.slice(0, -1) + (t.endsWith("a") ? "b" : "a")],
    ["a random token of the right shape", () => "a".repeat(32)],
    ["garbage", () => "%00<script>"],
    ["malformed percent-encoding", () => "%E0%A4%A"],
    ["an empty value", () => ""],
  ] as const) {
    it(`treats a tampered cookie (${what}) as signed out and clears it`, async () => {
      const c = await hub.as("binh.tt@nguyendu.lopso.demo");
      const bad = hub.client();
      bad.cookies.set("lopso_session", tamper(tokenOf(c)));
      const res = await bad.get("/today");
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toMatch(/^\/login\?next=%2Ftoday/);
      if (tamper(tokenOf(c)) !== "") {
        const cleared = res.headers.getSetCookie().find((s) => s.startsWith("lopso_session="));
        expect(cleared).toMatch(/^lopso_session=;.*Max-Age=0/i);
      }
      // The real session is untouched.
      expect((await c.get("/today")).status).toBe(200);
    });
  }

  it("an expired session sends a protected page to /login, clears the cookie and deletes the row", async () => {
    const c = await hub.as("giang.ht@nguyendu.lopso.demo");
    const id = sha256hex(tokenOf(c));
    await hub.database.db.update(sessions).set({ expiresAt: new Date(Date.now() - 60_000) }).where(eq(sessions.id, id));
    const res = await c.get("/today");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toMatch(/^\/login\?next=%2Ftoday/);
    const cleared = res.headers.getSetCookie().find((s) => s.startsWith("lopso_session="));
    expect(cleared).toMatch(/Max-Age=0/i);
    expect(c.cookies.has("lopso_session")).toBe(false);
    expect(await hub.database.db.select().from(sessions).where(eq(sessions.id, id))).toEqual([]);
    // The sign-in page says why.
    const login = await hub.client().html(res.headers.get("location")!);
    if (/expired=1/.test(res.headers.get("location")!)) expect(login.text).toContain("Phiên đăng nhập đã hết hạn");
  });

  it("renews a session close to expiry: a later Expires on the cookie and in the database", async () => {
    const c = await hub.as("giang.ht@nguyendu.lopso.demo");
    const token = tokenOf(c);
    const id = sha256hex(token);
    const soon = new Date(Date.now() + DAY);
    await hub.database.db.update(sessions).set({ expiresAt: soon }).where(eq(sessions.id, id));
    const res = await c.get("/account");
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().find((s) => s.startsWith("lopso_session="));
    expect(cookie).toBeDefined();
    expect(cookie).toContain(`lopso_session=${token};`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const expires = new Date(/Expires=([^;]+)/.exec(cookie!)![1]).getTime();
    expect(expires).toBeGreaterThan(Date.now() + 29 * DAY);
    const [row] = await hub.database.db.select().from(sessions).where(eq(sessions.id, id));
    expect(row.expiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * DAY);
    expect(Math.abs(row.expiresAt.getTime() - expires)).toBeLessThan(2000);
  });

  it("does not rewrite a session that has plenty of time left", async () => {
    const c = await hub.as("giang.ht@nguyendu.lopso.demo");
    const id = sha256hex(tokenOf(c));
    const later = new Date(Date.now() + 20 * DAY);
    await hub.database.db.update(sessions).set({ expiresAt: later }).where(eq(sessions.id, id));
    const res = await c.get("/account");
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie().filter((s) => s.startsWith("lopso_session="))).toEqual([]);
    const [row] = await hub.database.db.select().from(sessions).where(eq(sessions.id, id));
    expect(row.expiresAt.getTime()).toBe(later.getTime());
  });

  it("“Đăng xuất trên mọi thiết bị” ends every session of that user and only theirs", async () => {
    const phone = await hub.as("cuong.lh@nguyendu.lopso.demo");
    const laptop = await hub.as("cuong.lh@nguyendu.lopso.demo");
    const someoneElse = await hub.as("an.nv@nguyendu.lopso.demo");
    expect((await sessionsOf("cuong.lh@nguyendu.lopso.demo")).length).toBeGreaterThanOrEqual(2);
    const page = await phone.html("/account");
    expect(page.text).toContain("Đăng xuất trên mọi thiết bị");

    const res = await phone.post("/account", { intent: "signout-all" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login?signedout=1");
    expect(await sessionsOf("cuong.lh@nguyendu.lopso.demo")).toEqual([]);
    expect(phone.cookies.has("lopso_session")).toBe(false);
    for (const c of [phone, laptop]) {
      const r = await c.get("/today");
      expect(r.status).toBe(302);
      expect(r.headers.get("location")).toMatch(/^\/login/);
    }
    expect((await someoneElse.get("/today")).status).toBe(200);
  });

  it("POST /logout ends only the current session", async () => {
    const one = await hub.as("khoa.bd@nguyendu.lopso.demo");
    const two = await hub.as("khoa.bd@nguyendu.lopso.demo");
    const oneToken = tokenOf(one);
    const res = await one.post("/logout", {});
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login?signedout=1");
    expect(res.headers.getSetCookie().find((s) => s.startsWith("lopso_session="))).toMatch(/Max-Age=0/i);
    expect(await hub.database.db.select().from(sessions).where(eq(sessions.id, sha256hex(oneToken)))).toEqual([]);
    expect((await two.get("/today")).status).toBe(200);
    // The old cookie, replayed, is worth nothing.
    const replay = hub.client();
    replay.cookies.set("lopso_session", oneToken);
    expect((await replay.get("/today")).status).toBe(302);
    const signedOut = await hub.client().html("/login?signedout=1");
    expect(signedOut.text).toContain("Bạn đã đăng xuất.");
  });

  it("changing the password ends the other sessions but keeps this one", async () => {
    const here = await hub.as("hoa.lt@kimdong.lopso.demo");
    const there = await hub.as("hoa.lt@kimdong.lopso.demo");
    const res = await here.post("/account", { intent: "password", currentPassword: PASSWORD, newPassword: "mat-khau-moi-2025" });
    expect(res.status).toBe(200);
    expect((await here.get("/classes")).status).toBe(200);
    expect((await there.get("/classes")).status).toBe(302);
    const wrong = await here.post("/account", { intent: "password", currentPassword: "sai", newPassword: "mat-khau-khac-2025" });
    expect(wrong.status).toBe(400);
    expect(alerts(await wrong.text())).toContain("Mật khẩu hiện tại không đúng.");
    expect((await signIn("hoa.lt@kimdong.lopso.demo", "mat-khau-moi-2025")).res.status).toBe(302);
  });
});
