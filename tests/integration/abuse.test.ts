/**
 * What an attacker tries, over HTTP against the real hub: oversized and many-field bodies, code
 * guessing, password guessing from inside a session, passwords too long to type at sign-in, and a
 * stale session cookie at sign-in.
 */
import http from "node:http";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linkCodes, parentLinks, rateLimits, users } from "../../db/schema/index.ts";
import { BODY_LIMITS } from "../../app/server/limits.ts";
import { codeKeys, THROTTLE } from "../../app/services/sign-in.server.ts";
import { demoLookup } from "../support/demo.ts";
import { testDbKind } from "../support/db.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { fieldError, htmlText } from "../support/html.ts";

let hub: Hub;
const PASSWORD = "lopso2025";
const ids: Record<string, string> = {};


/** POST raw bytes with the headers a browser on the hub's page would send, timing the answer. */
function rawPost(path: string, body: Buffer, headers: Record<string, string>) {
  const url = new URL(path, hub.url);
  return new Promise<{ status: number; ms: number; text: string }>((resolve, reject) => {
    const started = performance.now();
    const req = http.request(url, { method: "POST", headers: { origin: hub.url, "content-length": String(body.length), ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, text }));
    });
    // The server may answer and close before the whole body is written.
    req.on("error", (e) => (String(e).includes("EPIPE") || String(e).includes("ECONNRESET") ? undefined : reject(e)));
    req.end(body);
  });
}

async function timedGet(path: string) {
  const started = performance.now();
  const res = await fetch(hub.url + path);
  await res.text();
  return performance.now() - started;
}

beforeAll(async () => {
  hub = await startHub({ trustProxy: 1 });
  const find = demoLookup(hub.database.db);
  ids.toan6 = await find.class("6A1", "toan");
  ids.khtn7 = await find.class("7A2");
  ids.giang = await find.user("giang.ht@nguyendu.lopso.demo");
  ids.khoa = await find.user("khoa.bd@nguyendu.lopso.demo");
});

afterAll(async () => {
  await hub?.close();
});

describe("request bodies", () => {
  it("answers a 51 MB sign-in body of empty fields with 413 at once, and /healthz stays fast meanwhile", async () => {
    const body = Buffer.from("a=&".repeat(17_000_000));
    const attacks = [0, 1, 2].map(() => rawPost("/login", body, { "content-type": "application/x-www-form-urlencoded" }));
    const health: number[] = [];
    for (let i = 0; i < 10; i++) health.push(await timedGet("/healthz"));
    const answers = await Promise.all(attacks);
    for (const a of answers) {
      expect(a.status).toBe(413);
      expect(htmlText(a.text)).toContain("Dữ liệu gửi lên quá lớn (tối đa 8 kB)");
      expect(a.ms).toBeLessThan(3000);
    }
    // Parsing those fields took the event loop for seconds; now a health check waits for nothing.
    expect(Math.max(...health)).toBeLessThan(1500);
    // The hub is still there for everyone else.
    const c = await hub.as("an.nv@nguyendu.lopso.demo");
    expect((await c.get("/today")).status).toBe(200);
  });

  it("refuses the same body sent without a length (chunked) after reading no more than the limit", async () => {
    const url = new URL("/login", hub.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: "POST", headers: { origin: hub.url, "content-type": "application/x-www-form-urlencoded", "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", (e) => (String(e).includes("EPIPE") || String(e).includes("ECONNRESET") ? undefined : reject(e)));
      const chunk = Buffer.from("a=&".repeat(10_000));
      let sent = 0;
      const pump = () => {
        while (sent < 2000 && req.write(chunk)) sent++;
        if (sent < 2000) req.once("drain", pump);
        else req.end();
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it("caps the number of fields of a signed-in person's text form", async () => {
    const c = await hub.as("an.nv@nguyendu.lopso.demo");
    const fields = new URLSearchParams();
    for (let i = 0; i <= BODY_LIMITS.text.maxFields; i++) fields.append(`f${i}`, "");
    const res = await c.post("/join", Object.fromEntries(fields));
    expect(res.status).toBe(413);
    expect(htmlText(await res.text())).toContain("Biểu mẫu gửi lên có quá nhiều trường");
  });

  it("accepts no files and no large body on a route open to anonymous visitors", async () => {
    const form = new FormData();
    form.append("identifier", "an.nv@nguyendu.lopso.demo");
    form.append("password", PASSWORD);
    form.append("f", new File([new Uint8Array(1024)], "a.pdf", { type: "application/pdf" }));
    expect((await hub.client().post("/login", form)).status).toBe(400);
    const big = await hub.client().post("/login", { identifier: "an.nv@nguyendu.lopso.demo", password: PASSWORD, pad: "x".repeat(BODY_LIMITS.anonymous.maxBytes) });
    expect(big.status).toBe(413);
  });
});

describe("a stale session cookie at sign-in", () => {
  it("answers with one session cookie, the new one, and the person is signed in", async () => {
    const c = hub.client();
    c.cookies.set("lopso_session", "a".repeat(32));
    const res = await c.post("/login", { identifier: "an.nv@nguyendu.lopso.demo", password: PASSWORD });
    expect(res.status).toBe(302);
    const sessionCookies = res.headers.getSetCookie().filter((h) => h.startsWith("lopso_session="));
    expect(sessionCookies).toHaveLength(1);
    expect(sessionCookies[0]).toMatch(/^lopso_session=[a-z2-7]{32};/);
    expect(sessionCookies[0]).not.toContain("a".repeat(32));
    const today = await c.get("/today");
    expect(today.status).toBe(200);
  });

  it("still clears a stale cookie on an ordinary page", async () => {
    const c = hub.client();
    c.cookies.set("lopso_session", "b".repeat(32));
    const res = await c.get("/today");
    expect(res.status).toBe(302);
    expect(res.headers.getSetCookie().filter((h) => h.startsWith("lopso_session=;"))).toHaveLength(1);
  });
});

describe("passwords", () => {
  async function newAccount(email: string) {
    const c = await hub.as("hieutruong@nguyendu.lopso.demo");
    const school = await demoLookup(hub.database.db).school("79001");
    const res = await c.post(`/admin/schools/${school}/users`, { fullName: "Đặng Văn Tú", email, role: "teacher" });
    expect(res.status).toBe(200);
    const temporary = /Mật khẩu tạm: ([a-z2-9]{10})/.exec(htmlText(await res.text()))?.[1] ?? "";
    return hub.asWithTemporary(email, temporary, PASSWORD);
  }

  it("uses one length rule (8–128) for a new password everywhere, so any password set can be typed to sign in", async () => {
    const c = await newAccount("tu.dv@nguyendu.lopso.demo");
    const tooLong = "M".repeat(129);
    let res = await c.post("/account", { intent: "password", currentPassword: PASSWORD, newPassword: tooLong });
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "newPassword")).toContain("Mật khẩu dài tối đa 128 ký tự");
    // A 5 MB one is not even read.
    res = await c.post("/account", { intent: "password", currentPassword: PASSWORD, newPassword: "M".repeat(5 * 1024 * 1024) });
    expect(res.status).toBe(413);
    const longest = "Mật khẩu dài ".repeat(10).slice(0, 128);
    res = await c.post("/account", { intent: "password", currentPassword: PASSWORD, newPassword: longest });
    expect(res.status).toBe(200);
    const again = await hub.client().post("/login", { identifier: "tu.dv@nguyendu.lopso.demo", password: longest });
    expect(again.status).toBe(302);
    // The first-sign-in step after a temporary password has the same rule.
    const admin = await hub.as("hieutruong@nguyendu.lopso.demo");
    const school = await demoLookup(hub.database.db).school("79001");
    res = await admin.post(`/admin/schools/${school}/users`, { fullName: "Lý Thị Mai", email: "mai.lt@nguyendu.lopso.demo", role: "teacher" });
    const mai = await hub.as("mai.lt@nguyendu.lopso.demo", /Mật khẩu tạm: ([a-z2-9]{10})/.exec(htmlText(await res.text()))?.[1] ?? "");
    res = await mai.post("/account/password", { password: tooLong, confirm: tooLong });
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "password")).toContain("Mật khẩu dài tối đa 128 ký tự");
  });

  it("throttles the current-password check like sign-in, counting nothing while held back", async () => {
    const c = await newAccount("vinh.nq@nguyendu.lopso.demo");
    for (let i = 0; i < THROTTLE.account.free; i++) {
      const res = await c.post("/account", { intent: "password", currentPassword: `doan-${i}`, newPassword: "mat-khau-moi-1" });
      expect(res.status).toBe(400);
      expect(fieldError(await res.text(), "currentPassword")).toContain("Mật khẩu hiện tại không đúng");
    }
    // Now even the right one waits, and the message says how long.
    const held = await c.post("/account", { intent: "password", currentPassword: PASSWORD, newPassword: "mat-khau-moi-1" });
    expect(held.status).toBe(400);
    expect(fieldError(await held.text(), "currentPassword")).toMatch(/vui lòng thử lại sau \d+ giây/);
    const [user] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.email, "vinh.nq@nguyendu.lopso.demo"));
    const [row] = await hub.database.db.select().from(rateLimits).where(eq(rateLimits.key, `password:${user.id}`));
    expect(row.count).toBe(THROTTLE.account.free);
    // Other people sign in as usual.
    expect((await hub.client().post("/login", { identifier: "minh.tv@nguyendu.lopso.demo", password: PASSWORD })).status).toBe(302);
    // Once the delay has passed the right password works, and the password is changed.
    await hub.database.db.update(rateLimits).set({ blockedUntil: new Date(Date.now() - 1000) }).where(eq(rateLimits.key, `password:${user.id}`));
    expect((await c.post("/account", { intent: "password", currentPassword: PASSWORD, newPassword: "mat-khau-moi-1" })).status).toBe(200);
  });
});

describe("codes", () => {
  const issue = async (teacher: Client, classId: string, studentId: string, uses: number) => {
    const res = await teacher.post(`/classes/${classId}/families`, { studentId, uses: String(uses), days: "7" });
    expect(res.status).toBe(200);
    const code = /PH-[A-Z0-9]{10}/.exec(htmlText(await res.text()))?.[0];
    expect(code).toBeDefined();
    return code!;
  };

  it("issues parent codes of 10 characters with the uses and days the teacher chose", async () => {
    const lan = await hub.as("lan.nt@nguyendu.lopso.demo");
    const code = await issue(lan, ids.toan6, ids.giang, 1);
    const [row] = await hub.database.db.select().from(linkCodes).where(eq(linkCodes.code, code));
    expect(row.maxUses).toBe(1);
    expect(Math.round((row.expiresAt.getTime() - Date.now()) / 86_400_000)).toBe(7);
  });

  it("lets a single-use code link one parent; the next gets the same answer as a wrong code", async () => {
    const lan = await hub.as("lan.nt@nguyendu.lopso.demo");
    const code = await issue(lan, ids.toan6, ids.giang, 1);
    const thu = await hub.as("0987654321");
    let res = await thu.post("/children/link", { code });
    expect(res.status).toBe(200);
    // Linking again to the same child does not use the code up again.
    res = await thu.post("/children/link", { code });
    expect(res.status).toBe(200);
    const linh = await hub.as("linh.tm@gmail.demo");
    res = await linh.post("/children/link", { code });
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "code")).toContain("Mã phụ huynh không dùng được");
    const [row] = await hub.database.db.select().from(linkCodes).where(eq(linkCodes.code, code));
    expect(row.uses).toBe(1);
  });

  it(`gives the last use of a code to one of two parents linking at the same moment (${testDbKind()})`, async () => {
    const lan = await hub.as("lan.nt@nguyendu.lopso.demo");
    const [hung, linh] = await Promise.all([hub.as("0912345678"), hub.as("linh.tm@gmail.demo")]);
    for (let trial = 0; trial < 4; trial++) {
      const code = await issue(lan, ids.khtn7, ids.khoa, 1);
      await hub.database.db.delete(parentLinks).where(eq(parentLinks.studentId, ids.khoa));
      const answers = await Promise.all([hung.post("/children/link", { code }), linh.post("/children/link", { code })]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
      const links = await hub.database.db.select().from(parentLinks).where(eq(parentLinks.studentId, ids.khoa));
      expect(links).toHaveLength(1);
      await hub.database.db.delete(rateLimits);
    }
  });

  it("throttles wrong class codes per account, refusing even a right code while held back, counting nothing more", async () => {
    const dung = await hub.as("dung.pm@nguyendu.lopso.demo");
    for (let i = 0; i < THROTTLE.codeAccount.free; i++) {
      const res = await dung.post("/join", { code: `ZZZ${String(i).padStart(4, "0")}` }, { "x-forwarded-for": `198.18.0.${i + 1}` });
      expect(res.status).toBe(400);
      expect(fieldError(await res.text(), "code")).toContain("Không tìm thấy lớp nào của trường em với mã này");
    }
    const held = await dung.post("/join", { code: "TOAN6A1" });
    expect(held.status).toBe(400);
    expect(fieldError(await held.text(), "code")).toMatch(/Có nhiều mã không đúng.*thử lại sau \d+ phút/);
    const [dungId] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.email, "dung.pm@nguyendu.lopso.demo"));
    const [row] = await hub.database.db.select().from(rateLimits).where(eq(rateLimits.key, `code:user:${dungId.id}`));
    expect(row.count).toBe(THROTTLE.codeAccount.free);
    // Another pupil behind other addresses is not affected.
    const an = await hub.as("an.nv@nguyendu.lopso.demo");
    expect((await an.post("/join", { code: "TOAN6A1" })).status).toBe(200);
    await hub.database.db.delete(rateLimits);
  });

  it("throttles wrong codes per address across accounts (one person with many accounts)", async () => {
    const address = "198.18.1.1";
    const [an, binh, giang] = await Promise.all(["an.nv", "binh.tt", "giang.ht"].map((p) => hub.as(`${p}@nguyendu.lopso.demo`)));
    // Many wrong codes from this address already, each account below its own limit.
    await hub.database.db.insert(rateLimits).values({ key: codeKeys("-", address).address, windowStart: new Date(), count: THROTTLE.codeAddress.free - 2 });
    expect((await an.post("/join", { code: "QQ00001" }, { "x-forwarded-for": address })).status).toBe(400);
    expect((await binh.post("/join", { code: "QQ00002" }, { "x-forwarded-for": address })).status).toBe(400);
    const held = await giang.post("/join", { code: "TOAN6A1" }, { "x-forwarded-for": address });
    expect(fieldError(await held.text(), "code")).toMatch(/Có nhiều mã không đúng/);
    // From elsewhere the same pupil gets in.
    expect((await giang.post("/join", { code: "TOAN6A1" }, { "x-forwarded-for": "198.18.1.2" })).status).toBe(200);
    await hub.database.db.delete(rateLimits);
  });
});
