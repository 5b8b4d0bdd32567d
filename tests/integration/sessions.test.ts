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
import { signInAddressKey, THROTTLE } from "../../app/services/sign-in.server.ts";
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
  hub = await startHub({ trustProxy: 1 });
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
  const THROTTLED = /Tài khoản này vừa có nhiều lần đăng nhập không thành công.*Vui lòng thử lại sau (\d+) (giây|phút)/;
  const MINH = "minh.tv@nguyendu.lopso.demo";

  /** A browser new to every account, at `address`. */
  const from = (address: string) => {
    const c = hub.client();
    return (identifier: string, password: string) => c.post("/login", { identifier, password }, { "x-forwarded-for": address });
  };
  async function attempt(address: string, identifier: string, password: string, client = hub.client()) {
    const res = await client.post("/login", { identifier, password }, { "x-forwarded-for": address });
    return { res, client, text: res.status === 302 ? "" : await res.text() };
  }
  async function row(key: string) {
    const [r] = await hub.database.db.select().from(rateLimits).where(eq(rateLimits.key, key));
    return r;
  }
  /** The backoff is over: as if its delay had passed. */
  async function waitOutBackoff() {
    await hub.database.db.update(rateLimits).set({ blockedUntil: new Date(Date.now() - 1000) });
  }

  it("(a) counts every spelling of a phone number as one account, and holds it back for 30 s, not for good", async () => {
    await resetLimits();
    const spellings = ["0912 345 678", "+84912345678", "84912345678", "0912.345.678", "(+84) 912 345 678"];
    for (const [i, phone] of spellings.entries()) {
      const { res, text } = await attempt("203.0.113.10", phone, `sai-${i}`);
      expect(res.status).toBe(400);
      expect(alerts(text)).toContain("Email/số điện thoại hoặc mật khẩu không đúng.");
    }
    const counted = await row("signin:id:+84912345678");
    expect(counted.count).toBe(5);
    expect(counted.blockedUntil!.getTime() - Date.now()).toBeGreaterThan(25_000);
    expect(counted.blockedUntil!.getTime() - Date.now()).toBeLessThanOrEqual(30_000);
    // A browser new to the account waits, told why in words that do not blame the person.
    const held = await attempt("203.0.113.10", "0912345678", PASSWORD);
    expect(held.res.status).toBe(400);
    const m = THROTTLED.exec(alerts(held.text).join(" "));
    expect(m, alerts(held.text).join(" ")).not.toBeNull();
    expect(m![2]).toBe("giây");
    expect(Number(m![1])).toBeLessThanOrEqual(30);
    // The hold did not add to the count.
    expect((await row("signin:id:+84912345678")).count).toBe(5);
    // Once the delay has passed the right password gets in, and the failures are forgotten.
    await waitOutBackoff();
    expect((await attempt("203.0.113.10", "0912 345 678", PASSWORD)).res.status).toBe(302);
    expect(await row("signin:id:+84912345678")).toBeUndefined();
  });

  it("grows the delay with each further failure, up to 15 minutes", async () => {
    await resetLimits();
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      await attempt("203.0.113.11", MINH, "sai");
      const r = await row(`signin:id:${MINH}`);
      const left = (r.blockedUntil?.getTime() ?? 0) - Date.now();
      if (left > 0) delays.push(Math.round(left / 1000));
      await waitOutBackoff();
    }
    // 30 s, 1 min, 2, 4, 8 min, then 15 min at most.
    expect(delays.length).toBe(8);
    for (const [i, expected] of [30, 60, 120, 240, 480, 900, 900, 900].entries()) {
      expect(delays[i]).toBeGreaterThan(expected - 5);
      expect(delays[i]).toBeLessThanOrEqual(expected);
    }
    await resetLimits();
  });

  it("lets the right password in from a browser that has signed in to the account before, while strangers are held back", async () => {
    await resetLimits();
    // The teacher's own phone signed in last week (it keeps its device cookie).
    const own = await attempt("198.51.100.20", MINH, PASSWORD);
    expect(own.res.status).toBe(302);
    expect(own.client.cookies.get("lopso_device")).toMatch(/^[A-Za-z0-9_-]{27}$/);
    // Someone elsewhere tries to lock the account.
    const guess = from("192.0.2.66");
    for (let i = 0; i < 8; i++) expect((await guess(MINH, `doan-${i}`)).status).toBe(400);
    expect((await attempt("192.0.2.66", MINH, PASSWORD)).text).toMatch(THROTTLED);
    // Her phone, now on another network, still gets in.
    own.client.cookies.delete("lopso_session");
    const back = await attempt("100.64.0.9", MINH, PASSWORD, own.client);
    expect(back.res.status).toBe(302);
    // Her phone's own wrong passwords are counted apart and hold back only that phone.
    own.client.cookies.delete("lopso_session");
    for (let i = 0; i < 5; i++) expect((await attempt("100.64.0.9", MINH, "go-nham", own.client)).res.status).toBe(400);
    expect((await attempt("100.64.0.9", MINH, PASSWORD, own.client)).text).toMatch(THROTTLED);
    await resetLimits();
  });

  it("lets the right password in from an address that has signed in to the account before", async () => {
    await resetLimits();
    expect((await attempt("198.51.100.30", MINH, PASSWORD)).res.status).toBe(302);
    for (let i = 0; i < 6; i++) await attempt("192.0.2.67", MINH, `doan-${i}`);
    expect((await attempt("192.0.2.67", MINH, PASSWORD)).text).toMatch(THROTTLED);
    // A new browser (no device cookie) at the school's known address.
    expect((await attempt("198.51.100.30", MINH, PASSWORD)).res.status).toBe(302);
    await resetLimits();
  });

  it("(b) an address held back for its own failures adds nothing to anyone's count", async () => {
    await resetLimits();
    const attacker = "192.0.2.99";
    await hub.database.db.insert(rateLimits).values({ key: signInAddressKey(attacker), windowStart: new Date(), count: 300, blockedUntil: new Date(Date.now() + 15 * 60_000) });
    for (let i = 0; i < 200; i++) {
      const { res, text } = await attempt(attacker, "lan.nt@nguyendu.lopso.demo", `doan-${i}`);
      expect(res.status).toBe(400);
      expect(text).toMatch(THROTTLED);
    }
    // Nothing was counted: not for the teacher, not for the address itself.
    expect((await row(signInAddressKey(attacker))).count).toBe(300);
    expect(await row("signin:id:lan.nt@nguyendu.lopso.demo")).toBeUndefined();
    expect((await attempt("203.0.113.40", "lan.nt@nguyendu.lopso.demo", PASSWORD)).res.status).toBe(302);
    await resetLimits();
  });

  it("(c) a school behind one NAT address: 40 pupils × 3 typos do not shut out a teacher with the right password", async () => {
    await resetLimits();
    const nat = "203.0.113.50";
    for (let pupil = 0; pupil < 40; pupil++) {
      for (let typo = 0; typo < 3; typo++) expect((await attempt(nat, `hs${pupil}@nguyendu.lopso.demo`, `go-nham-${typo}`)).res.status).toBe(400);
    }
    expect((await row(signInAddressKey(nat))).count).toBe(120);
    const teacher = await attempt(nat, "lan.nt@nguyendu.lopso.demo", PASSWORD);
    expect(teacher.res.status).toBe(302);
    // Even with the address over its ceiling, people who have signed in from it before get in.
    await hub.database.db.update(rateLimits).set({ count: 300, blockedUntil: new Date(Date.now() + 15 * 60_000) }).where(eq(rateLimits.key, signInAddressKey(nat)));
    teacher.client.cookies.delete("lopso_session");
    expect((await attempt(nat, "lan.nt@nguyendu.lopso.demo", PASSWORD, teacher.client)).res.status).toBe(302);
    expect((await attempt(nat, "lan.nt@nguyendu.lopso.demo", PASSWORD)).res.status).toBe(302);
    // Someone new to that address waits.
    expect((await attempt(nat, "binh.tt@nguyendu.lopso.demo", PASSWORD)).text).toMatch(THROTTLED);
    await resetLimits();
  });

  it("keeps successful sign-ins off the address's count", async () => {
    await resetLimits();
    for (let i = 0; i < 40; i++) {
      const { res } = await attempt("203.0.113.60", i % 2 ? "an.nv@nguyendu.lopso.demo" : "giang.ht@nguyendu.lopso.demo", PASSWORD);
      expect(res.status, `sign-in ${i + 1}`).toBe(302);
    }
    expect(await row(signInAddressKey("203.0.113.60"))).toBeUndefined();
  });

  it(`holds back an address after ${THROTTLE.address.free} failures across accounts`, async () => {
    await resetLimits();
    const spray = "192.0.2.150";
    await hub.database.db.insert(rateLimits).values({ key: signInAddressKey(spray), windowStart: new Date(), count: THROTTLE.address.free - 1 });
    expect((await attempt(spray, "khong-ai-ca@nguyendu.lopso.demo", "sai")).res.status).toBe(400);
    const { text } = await attempt(spray, "binh.tt@nguyendu.lopso.demo", PASSWORD);
    expect(text).toMatch(THROTTLED);
    await resetLimits();
  });

  it("is shared by a second web server on the same database (no memory of its own)", async () => {
    await resetLimits();
    for (let i = 0; i < 5; i++) await signIn(MINH, `sai-${i}`);
    const build = await loadBuild();
    const { server } = createApp({ database: hub.database, build });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const other = new Client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const res = await other.post("/login", { identifier: MINH, password: PASSWORD });
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
      const res = await new Client(base).post("/login", { identifier: MINH, password: PASSWORD });
      expect(res.status).toBe(400);
      expect(alerts(await res.text()).join(" ")).toMatch(THROTTLED);
    } finally {
      await other.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
      await resetLimits();
    }
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
