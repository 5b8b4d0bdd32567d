/**
 * What parents, teachers and admins see of notifications, through the real hub over HTTP: the
 * inbox (paging, opening, marking read, only one's own items) and the menu's unread badge; the
 * settings page (defaults, validation beside the field, one save, channels the hub has not
 * configured, a channel the hub switched off and turning it back on); the Web Push subscription
 * action (validation, re-subscribing, an endpoint someone else registered); and the school's
 * delivery health computed from rows inserted here.
 */
import crypto from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { contactChannels, notificationPreferences, notificationSettings, notifications, outboundMessages, pushSubscriptions, users } from "../../db/schema/index.ts";
import { demoLookup } from "../support/demo.ts";
import { fieldError, htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
const ids: Record<string, string> = {};
let hung: Client, thu: Client, lan: Client, an: Client, schoolAdmin: Client, province: Client;
let eventSeq = 1_000_000;
const ENV_KEYS = ["SMTP_URL", "MAIL_FROM", "VAPID_PUBLIC_KEY", "ZALO_APP_ID", "ZALO_APP_SECRET", "ZALO_OA_REFRESH_TOKEN", "ZALO_TEMPLATE_ID_NEWS", "SMS_API_URL", "SMS_API_KEY", "SMS_SECRET_KEY", "SMS_BRANDNAME"];

/** The settings of a Zalo Official Account app (as integrations/channels/zalo/config.ts reads them). */
function configureZalo() {
  Object.assign(process.env, { ZALO_APP_ID: "4318839501", ZALO_APP_SECRET: "app-secret-key", ZALO_OA_REFRESH_TOKEN: "first-refresh-token", ZALO_TEMPLATE_ID_NEWS: "471001" });
}
const savedEnv: Record<string, string | undefined> = {};

const b64u = (b: Buffer) => b.toString("base64url");
function browserKeys() {
  const ecdh = crypto.createECDH("prime256v1");
  ecdh.generateKeys();
  return { p256dh: b64u(ecdh.getPublicKey()), auth: b64u(crypto.randomBytes(16)) };
}

beforeAll(async () => {
  for (const k of ENV_KEYS) savedEnv[k] = process.env[k];
  for (const k of ENV_KEYS) delete process.env[k];
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  ids.thcs = await find.school("79001");
  ids.th = await find.school("79002");
  ids.an = await find.user("an.nv@nguyendu.lopso.demo");
  ids.dung = await find.user("dung.pm@nguyendu.lopso.demo");
  ids.lan = await find.user("lan.nt@nguyendu.lopso.demo");
  const [h] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.phone, "+84912345678"));
  const [t] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.phone, "+84987654321"));
  ids.hung = h.id;
  ids.thu = t.id;
  [hung, thu, lan, an, schoolAdmin, province] = await Promise.all([
    hub.as("0912345678"),
    hub.as("0987654321"),
    hub.as("lan.nt@nguyendu.lopso.demo"),
    hub.as("an.nv@nguyendu.lopso.demo"),
    hub.as("hieutruong@nguyendu.lopso.demo"),
    hub.as("so@lopso.demo"),
  ]);
});

afterAll(async () => {
  await hub?.close();
  for (const k of ENV_KEYS) if (savedEnv[k] === undefined) delete process.env[k];
  else process.env[k] = savedEnv[k];
});

afterEach(() => {
  for (const k of ENV_KEYS) delete process.env[k];
});

async function addItems(userId: string, n: number, over: Partial<typeof notifications.$inferInsert> = {}) {
  const rows = Array.from({ length: n }, (_, i) => ({
    userId,
    studentId: ids.an,
    kind: "grade" as const,
    mode: "daily" as const,
    eventId: eventSeq++,
    title: `Điểm mới số ${i + 1}`,
    body: "Toán 6A1: 9/10",
    link: `/children/${ids.an}`,
    ...over,
  }));
  return (await hub.database.db.insert(notifications).values(rows).returning({ id: notifications.id })).map((r) => r.id);
}

const clearInbox = () => hub.database.db.delete(notifications);
const badge = (html: string) => /data-testid="unread-badge"[^>]*>([^<]*)</.exec(html)?.[1] ?? null;
const itemIds = (html: string) => [...html.matchAll(/\/notifications\/open\?id=(\d+)/g)].map((m) => Number(m[1]));

describe("inbox", () => {
  it("lists one's own items newest first, 20 a page, keyset on id, and says so when empty", async () => {
    await clearInbox();
    expect(htmlText(/data-testid="inbox-empty"[^>]*>([\s\S]*?)<\/p>/.exec((await hung.html("/notifications")).text)?.[1] ?? "")).toContain("Chưa có thông báo nào");
    const mine = await addItems(ids.hung, 25);
    const theirs = await addItems(ids.thu, 1, { studentId: ids.dung, title: "Tin riêng của Thu", link: `/children/${ids.dung}` });
    const first = await hung.html("/notifications");
    expect(first.status).toBe(200);
    expect(itemIds(first.text)).toEqual([...mine].reverse().slice(0, 20));
    expect(first.text).not.toContain("Tin riêng của Thu");
    const older = /href="\/notifications\?before=(\d+)"/.exec(first.text)?.[1];
    expect(Number(older)).toBe(mine[5]);
    const second = await hung.html(`/notifications?before=${older}`);
    expect(itemIds(second.text)).toEqual(mine.slice(0, 5).reverse());
    expect(second.text).not.toMatch(/href="\/notifications\?before=/);
    // Unread items are marked for screen readers too.
    expect(first.text).toContain('<span class="visually-hidden">Chưa đọc: </span>');
    expect(itemIds((await thu.html("/notifications")).text)).toEqual(theirs);
  });

  it("shows the unread count in the menu, capped at 9+, with words for screen readers", async () => {
    const page = await hung.html("/children");
    expect(badge(page.text)).toBe("9+");
    expect(page.text).toContain("Hơn 9 thông báo chưa đọc");
    await clearInbox();
    await addItems(ids.hung, 3);
    const three = await hung.html("/children");
    expect(badge(three.text)).toBe("3");
    expect(three.text).toContain("3 thông báo chưa đọc");
    expect(badge((await thu.html("/children")).text)).toBeNull();
  });

  it("marks one item read (and only one's own), and opening an item marks it read and goes to its page", async () => {
    await clearInbox();
    const [a, b, c] = await addItems(ids.hung, 3);
    const [other] = await addItems(ids.thu, 1, { studentId: ids.dung });
    let res = await hung.post("/notifications", { intent: "read", id: String(c) });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/notifications");
    expect(badge((await hung.html("/notifications")).text)).toBe("2");
    // Someone else's item: not found, and unchanged.
    res = await hung.post("/notifications", { intent: "read", id: String(other) });
    expect(res.status).toBe(404);
    expect((await hung.get(`/notifications/open?id=${other}`)).status).toBe(404);
    const [row] = await hub.database.db.select({ readAt: notifications.readAt }).from(notifications).where(eq(notifications.id, other));
    expect(row.readAt).toBeNull();
    // Opening: read, then the page it is about.
    res = await hung.get(`/notifications/open?id=${b}`);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/children/${ids.an}`);
    expect(badge((await hung.html("/notifications")).text)).toBe("1");
    // A stored link that is not a page of the hub leads back to the inbox.
    await hub.database.db.update(notifications).set({ link: "https://evil.example/x" }).where(eq(notifications.id, a));
    res = await hung.get(`/notifications/open?id=${a}`);
    expect(res.headers.get("location")).toBe("/notifications");
    expect(badge((await hung.html("/notifications")).text)).toBeNull();
    // A malformed id names nothing.
    expect((await hung.post("/notifications", { intent: "read", id: "abc" })).status).toBe(404);
  });

  it("marks all read up to the newest item shown: one that came in meanwhile stays unread", async () => {
    await clearInbox();
    const shown = await addItems(ids.hung, 4);
    const [theirs] = await addItems(ids.thu, 1, { studentId: ids.dung });
    const page = await hung.html("/notifications");
    const upTo = /name="upTo" value="(\d+)"/.exec(page.text)?.[1];
    expect(Number(upTo)).toBe(shown[3]);
    const [late] = await addItems(ids.hung, 1, { title: "Đến sau" });
    const res = await hung.post("/notifications", { intent: "readAll", upTo: upTo! });
    expect(res.status).toBe(302);
    const unread = await hub.database.db.select({ id: notifications.id }).from(notifications).where(isNull(notifications.readAt));
    expect(unread.map((r) => r.id).sort()).toEqual([late, theirs].sort());
    expect(badge((await hung.html("/notifications")).text)).toBe("1");
  });
});

describe("settings", () => {
  it("shows the defaults per child and kind when nothing is set, and says which channels are not configured", async () => {
    const page = await hung.html("/account/notifications");
    expect(page.status).toBe(200);
    const select = (name: string) => new RegExp(`<select[^>]*name="${name.replace(/\./g, "\\.")}"[^>]*>([\\s\\S]*?)</select>`).exec(page.text)?.[1] ?? "";
    const selected = (name: string) => /<option value="(\w+)" selected="">/.exec(select(name))?.[1];
    expect(selected(`pref.${ids.an}.grade`)).toBe("daily");
    expect(selected(`pref.${ids.an}.teacher_note`)).toBe("immediate");
    expect(htmlText(select(`pref.${ids.an}.grade`))).toContain("Bản tin hằng ngày (mặc định)");
    expect(page.text).not.toContain(`pref.${ids.dung}.`);
    expect(page.text).toContain("Chưa cấu hình Zalo — liên hệ nhà trường.");
    expect(page.text).toContain("Chưa cấu hình SMS — liên hệ nhà trường.");
    expect(page.text).toContain("Chưa cấu hình email — liên hệ nhà trường.");
    // Web Push needs no outside account: the hub generates its VAPID keys on first start.
    expect(page.text).not.toContain('data-testid="push-not-configured"');
    expect(page.text).not.toContain('name="channel.zalo"');
    expect(/name="quietStart"[^>]*value="21:00"/.test(page.text)).toBe(true);
    expect(/name="quietEnd"[^>]*value="06:30"/.test(page.text)).toBe(true);
    expect(/name="digestAt"[^>]*value="19:00"/.test(page.text)).toBe(true);
  });

  it("offers a switch for a configured channel, on by default for the person's best address", async () => {
    configureZalo();
    process.env.SMTP_URL = "smtp://127.0.0.1:2525";
    process.env.MAIL_FROM = "no-reply@lopso.demo";
    const page = await hung.html("/account/notifications");
    // Hùng has a phone and no email: Zalo is his default; email has no address to send to.
    expect(/<input[^>]*name="channel\.zalo"[^>]*checked=""/.test(page.text)).toBe(true);
    expect(page.text).toContain("Tài khoản chưa có địa chỉ email");
    expect(page.text).toContain("0912 345 678");
  });

  function fullForm(over: Record<string, string> = {}) {
    const form: Record<string, string> = { quietStart: "22:00", quietEnd: "06:00", digestAt: "18:30", weeklyDay: "6", locale: "vi" };
    for (const kind of ["grade", "work", "attendance", "class_news", "teacher_note", "announcement"]) form[`pref.${ids.an}.${kind}`] = "daily";
    return { ...form, ...over };
  }

  it("refuses a wrong field with the message beside it and writes nothing", async () => {
    const res = await hung.post("/account/notifications", fullForm({ quietStart: "25:00", [`pref.${ids.an}.grade`]: "sometimes" }));
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(fieldError(html, "quietStart")).toBe("Nhập giờ dạng HH:MM, ví dụ 21:00.");
    expect(fieldError(html, `pref.${ids.an}.grade`)).toContain("Chọn một cách nhận");
    // What was typed stays in the form.
    expect(/name="quietStart"[^>]*value="25:00"/.test(html)).toBe(true);
    const db = hub.database.db;
    expect(await db.select().from(notificationSettings).where(eq(notificationSettings.userId, ids.hung))).toEqual([]);
    expect(await db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, ids.hung))).toEqual([]);
  });

  it("saves everything in one go: times, every preference, the channel switch and the language", async () => {
    configureZalo();
    // A field for a child who is not his is ignored.
    const res = await hung.post("/account/notifications", fullForm({ [`pref.${ids.an}.grade`]: "immediate", [`pref.${ids.an}.class_news`]: "off", locale: "en", [`pref.${ids.dung}.grade`]: "off" }));
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/account/notifications?saved=1");
    const db = hub.database.db;
    const [s] = await db.select().from(notificationSettings).where(eq(notificationSettings.userId, ids.hung));
    expect({ quietStart: s.quietStart, quietEnd: s.quietEnd, digestAt: s.digestAt, weeklyDay: s.weeklyDay }).toEqual({ quietStart: 22 * 60, quietEnd: 6 * 60, digestAt: 18 * 60 + 30, weeklyDay: 6 });
    const prefs = await db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, ids.hung));
    expect(prefs).toHaveLength(6);
    expect(prefs.every((p) => p.studentId === ids.an)).toBe(true);
    expect(Object.fromEntries(prefs.map((p) => [p.kind, p.mode]))).toMatchObject({ grade: "immediate", class_news: "off", work: "daily" });
    // The Zalo box was not sent: switched off by his choice, with no failure reason.
    const [zalo] = await db.select().from(contactChannels).where(and(eq(contactChannels.userId, ids.hung), eq(contactChannels.channel, "zalo")));
    expect({ enabled: zalo.enabled, reason: zalo.disabledReason }).toEqual({ enabled: false, reason: null });
    const [u] = await db.select({ locale: users.locale }).from(users).where(eq(users.id, ids.hung));
    expect(u.locale).toBe("en");
    await db.update(users).set({ locale: "vi" }).where(eq(users.id, ids.hung));
    const page = await hung.html("/account/notifications?saved=1");
    expect(page.text).toContain("Đã lưu.");
    expect(/name="quietStart"[^>]*value="22:00"/.test(page.text)).toBe(true);
  });

  it("shows a channel the hub switched off in plain words, and turns it back on", async () => {
    configureZalo();
    const db = hub.database.db;
    await db
      .update(contactChannels)
      .set({ enabled: false, disabledReason: "not_on_zalo", disabledAt: new Date() })
      .where(and(eq(contactChannels.userId, ids.hung), eq(contactChannels.channel, "zalo")));
    const page = await hung.html("/account/notifications");
    expect(page.text).toContain('data-testid="channel-zalo" data-state="disabled"');
    expect(page.text).toContain("số điện thoại này chưa dùng Zalo");
    expect(page.text).toContain("Bật lại Tin nhắn Zalo");
    // Saving the rest of the form leaves it off with its reason.
    expect((await hung.post("/account/notifications", fullForm())).status).toBe(302);
    let [zalo] = await db.select().from(contactChannels).where(and(eq(contactChannels.userId, ids.hung), eq(contactChannels.channel, "zalo")));
    expect(zalo.disabledReason).toBe("not_on_zalo");
    const res = await hung.post("/account/notifications", { ...fullForm(), reenable: "zalo" });
    expect(res.headers.get("location")).toBe("/account/notifications?reenabled=zalo");
    [zalo] = await db.select().from(contactChannels).where(and(eq(contactChannels.userId, ids.hung), eq(contactChannels.channel, "zalo")));
    expect({ enabled: zalo.enabled, reason: zalo.disabledReason, at: zalo.disabledAt }).toEqual({ enabled: true, reason: null, at: null });
    expect((await hung.html("/account/notifications?reenabled=zalo")).text).toContain("Đã bật lại Tin nhắn Zalo.");
    expect((await hung.post("/account/notifications", { reenable: "fax" })).status).toBe(400);
  });

  it("gives a teacher the replies choice and no per-child grid; a student the common part", async () => {
    const page = await lan.html("/account/notifications");
    expect(page.text).toContain('name="replyMode"');
    expect(page.text).not.toContain('name="pref.');
    const res = await lan.post("/account/notifications", { quietStart: "21:00", quietEnd: "06:30", digestAt: "19:00", weeklyDay: "0", locale: "vi", replyMode: "daily" });
    expect(res.status).toBe(302);
    const rows = await hub.database.db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, ids.lan));
    expect(rows.map((r) => [r.studentId, r.kind, r.mode])).toEqual([[ids.lan, "teacher_note", "daily"]]);
    const student = await an.html("/account/notifications");
    expect(student.status).toBe(200);
    expect(student.text).not.toContain('name="replyMode"');
    expect(student.text).not.toContain('name="pref.');
    expect((await an.post("/account/notifications", { quietStart: "21:00", quietEnd: "06:30", digestAt: "19:00", weeklyDay: "0", locale: "vi" })).status).toBe(302);
  });
});

describe("web push subscriptions", () => {
  const vapid = () => {
    const ecdh = crypto.createECDH("prime256v1");
    ecdh.generateKeys();
    return b64u(ecdh.getPublicKey());
  };
  const subs = () => hub.database.db.select().from(pushSubscriptions);

  it("validates what the browser sends: https only, key lengths, body size", async () => {
    const keys = browserKeys();
    const bad = async (body: Record<string, string>) => {
      const res = await hung.post("/api/notifications/push", { intent: "subscribe", ...body });
      return { status: res.status, body: (await res.json()) as { errors?: Record<string, string> } };
    };
    expect(await bad({ endpoint: "http://push.example/abc", ...keys })).toEqual({ status: 400, body: { ok: false, errors: { endpoint: "errors.push_endpoint" } } });
    expect(await bad({ endpoint: "javascript:alert(1)", ...keys })).toMatchObject({ status: 400 });
    expect(await bad({ endpoint: "https://push.example/abc", p256dh: b64u(crypto.randomBytes(64)), auth: keys.auth })).toEqual({ status: 400, body: { ok: false, errors: { p256dh: "errors.push_keys" } } });
    expect(await bad({ endpoint: "https://push.example/abc", p256dh: keys.p256dh, auth: b64u(crypto.randomBytes(8)) })).toEqual({ status: 400, body: { ok: false, errors: { auth: "errors.push_keys" } } });
    const huge = await hung.post("/api/notifications/push", { intent: "subscribe", endpoint: "https://push.example/" + "a".repeat(5000), ...keys });
    expect(huge.status).toBe(413);
    expect(await subs()).toEqual([]);
  });

  it("stores a subscription, updates it on a re-subscribe, and lists the device on the settings page", async () => {
    process.env.VAPID_PUBLIC_KEY = vapid();
    const keys = browserKeys();
    const endpoint = "https://push.example/send/hung-phone";
    let res = await hung.post("/api/notifications/push", { intent: "subscribe", endpoint, ...keys }, { "user-agent": "Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile Safari/537.36" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, outcome: "created" });
    const again = browserKeys();
    res = await hung.post("/api/notifications/push", { intent: "subscribe", endpoint, ...again });
    expect(await res.json()).toMatchObject({ ok: true, outcome: "updated" });
    const rows = await subs();
    expect(rows.map((r) => ({ user: r.userId, p256dh: r.p256dh, auth: r.auth }))).toEqual([{ user: ids.hung, ...again }]);
    const [push] = await hub.database.db.select().from(contactChannels).where(and(eq(contactChannels.userId, ids.hung), eq(contactChannels.channel, "push")));
    expect(push.enabled).toBe(true);
    const page = await hung.html("/account/notifications");
    expect(page.text).toContain('data-testid="devices"');
    expect(page.text).toContain(`name="id" value="${rows[0].id}"`);
  });

  it("does not hand one person's browser to another who only knows its endpoint; moves it with its keys, cancelling the old owner's queued pushes", async () => {
    const [mine] = await subs();
    // Thu knows the endpoint but not the keys the browser made.
    let res = await thu.post("/api/notifications/push", { intent: "subscribe", endpoint: mine.endpoint, ...browserKeys() });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ ok: false, errors: { endpoint: "errors.push_taken" } });
    expect((await subs()).map((r) => r.userId)).toEqual([ids.hung]);
    // Thu cannot remove it either.
    res = await thu.post("/api/notifications/push", { intent: "unsubscribe", id: mine.id });
    expect(res.status).toBe(404);
    res = await thu.post("/api/notifications/push", { intent: "unsubscribe", endpoint: mine.endpoint });
    expect(res.status).toBe(404);
    expect(await subs()).toHaveLength(1);
    // The same browser, now signed in as Thu (a shared phone): it moves, and Hùng's queued push does not reach her.
    await hub.database.db.insert(outboundMessages).values({
      key: `ev:1:${ids.hung}:push:${mine.id}`,
      userId: ids.hung,
      channel: "push",
      address: mine.id,
      kind: "immediate",
      content: { subject: "Điểm của An", text: "9/10" },
    });
    res = await thu.post("/api/notifications/push", { intent: "subscribe", endpoint: mine.endpoint, p256dh: mine.p256dh, auth: mine.auth });
    expect(await res.json()).toMatchObject({ ok: true, outcome: "moved" });
    const after = await subs();
    expect(after.map((r) => r.userId)).toEqual([ids.thu]);
    expect(after[0].id).not.toBe(mine.id);
    const [queued] = await hub.database.db.select().from(outboundMessages).where(eq(outboundMessages.address, mine.id));
    expect(queued.status).toBe("cancelled");
  });

  it("stores a double-tapped subscribe once, both answered ok", async () => {
    const keys = browserKeys();
    const endpoint = "https://push.example/send/double-tap";
    const answers = await Promise.all([1, 2].map(() => thu.post("/api/notifications/push", { intent: "subscribe", endpoint, ...keys })));
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect((await subs()).filter((r) => r.endpoint === endpoint).map((r) => r.userId)).toEqual([ids.thu]);
    await thu.post("/api/notifications/push", { intent: "unsubscribe", endpoint });
  });

  it("unsubscribes one's own browser by endpoint (the browser) or from the device list (no JavaScript)", async () => {
    const [row] = await subs();
    let res = await thu.post("/api/notifications/push", { intent: "unsubscribe", endpoint: row.endpoint });
    expect(res.status).toBe(200);
    expect(await subs()).toEqual([]);
    const keys = browserKeys();
    await thu.post("/api/notifications/push", { intent: "subscribe", endpoint: "https://push.example/send/thu-laptop", ...keys });
    const [laptop] = await subs();
    res = await thu.post("/api/notifications/push", { intent: "unsubscribe", id: laptop.id, back: "1" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/account/notifications?removed=1");
    expect(await subs()).toEqual([]);
  });
});

describe("delivery health", () => {
  const DAY = 86_400_000;

  it("counts per channel and day, failures by reason, unsubscribes, and the share of students reached", async () => {
    const db = hub.database.db;
    await db.delete(outboundMessages);
    await clearInbox();
    const now = Date.now();
    const at = (daysAgo: number) => new Date(now - daysAgo * DAY);
    let n = 0;
    const msg = (userId: string, channel: "email" | "zalo" | "sms" | "push", status: "sent" | "delivered" | "failed" | "queued", daysAgo: number, extra: Partial<typeof outboundMessages.$inferInsert> = {}) => ({
      key: `health:${n++}`,
      userId,
      schoolId: ids.thcs,
      channel,
      address: "+84912345678",
      kind: "daily" as const,
      content: { subject: "Bản tin", text: "…" },
      status,
      createdAt: at(daysAgo),
      sentAt: status === "sent" || status === "delivered" ? at(daysAgo) : null,
      deliveredAt: status === "delivered" ? at(daysAgo) : null,
      ...extra,
    });
    const [linh] = await db.select({ id: users.id }).from(users).where(eq(users.phone, "+84356789012"));
    await db.insert(outboundMessages).values([
      msg(ids.hung, "zalo", "delivered", 1),
      msg(ids.hung, "zalo", "sent", 1),
      msg(ids.hung, "zalo", "failed", 1, { failureReason: "not_on_zalo" }),
      msg(ids.thu, "sms", "failed", 1, { failureReason: "invalid_address" }),
      msg(ids.thu, "sms", "failed", 1, { failureReason: "invalid_address" }),
      msg(ids.hung, "zalo", "queued", 0),
      // Too old for the table (and for the reach).
      msg(linh.id, "email", "delivered", 40),
      // Another school's message is not this school's.
      msg(linh.id, "email", "delivered", 2, { schoolId: ids.th }),
    ]);
    // Thu read an in-app item about Dũng: Dũng's family is reached though Thu's SMS failed.
    await addItems(ids.thu, 1, { studentId: ids.dung, readAt: at(3) });
    // (The demo has Linh's email switched on; she unsubscribes.)
    await db
      .insert(contactChannels)
      .values({ userId: linh.id, channel: "email", enabled: false, disabledReason: "unsubscribed", disabledAt: at(2) })
      .onConflictDoUpdate({ target: [contactChannels.userId, contactChannels.channel], set: { enabled: false, disabledReason: "unsubscribed", disabledAt: at(2) } });

    const [pupils] = await hub.database.query<{ n: number }>(
      `select count(*)::int as n from memberships m join users u on u.id = m.user_id where m.org_id = '${ids.thcs}' and m.role = 'student' and u.deactivated_at is null`,
    );
    const students = Number(pupils.n);
    const page = await schoolAdmin.html(`/admin/schools/${ids.thcs}/notifications`);
    expect(page.status).toBe(200);
    const rows = [...page.text.matchAll(/<tr[^>]*data-testid="health-row" data-day="([\d-]+)" data-channel="(\w+)">([\s\S]*?)<\/tr>/g)].map((m) => {
      const cell = (c: string) => Number(htmlText(new RegExp(`data-col="${c}">(\\d+)`).exec(m[3])?.[1] ?? "NaN"));
      return { channel: m[2], sent: cell("sent"), delivered: cell("delivered"), failed: cell("failed"), unsubscribed: cell("unsubscribed"), reasons: htmlText(/data-testid="failure-reasons">([\s\S]*?)<\/span>/.exec(m[3])?.[1] ?? "") };
    });
    expect(rows.find((r) => r.channel === "zalo" && r.sent === 2)).toEqual({ channel: "zalo", sent: 2, delivered: 1, failed: 1, unsubscribed: 0, reasons: "(không dùng Zalo: 1)" });
    expect(rows.find((r) => r.channel === "sms")).toEqual({ channel: "sms", sent: 0, delivered: 0, failed: 2, unsubscribed: 0, reasons: "(địa chỉ sai: 2)" });
    expect(rows.find((r) => r.channel === "email")).toMatchObject({ sent: 0, unsubscribed: 1 });
    expect(htmlText(/data-testid="health-totals">([\s\S]*?)<\/p>/.exec(page.text)?.[1] ?? "")).toBe("Tổng: 2 đã gửi, 1 đã đến, 3 không gửi được, 1 hủy nhận.");
    // Reached: An (Hùng's Zalo messages) and Dũng (Thu read an item about him); Linh's children not (only an old message).
    const share = htmlText(/data-testid="reach-share">([\s\S]*?)<\/p>/.exec(page.text)?.[1] ?? "");
    expect(share).toContain(`2 trên ${students} học sinh`);
    expect(share).toContain(`${String(Math.round((2 / students) * 1000) / 10).replace(".", ",")}%`);
    expect(page.text).toContain("đã liên lạc được");
  });

  it("lets a province admin pick any school of the province, and a school admin only theirs", async () => {
    let res = await province.get(`/admin/notifications?school=${ids.th}`);
    expect(res.headers.get("location")).toBe(`/admin/schools/${ids.th}/notifications`);
    const page = await province.html(`/admin/schools/${ids.th}/notifications`);
    expect(page.text).toContain('name="school"');
    res = await schoolAdmin.get(`/admin/notifications?school=${ids.th}`);
    expect(res.status).toBe(403);
    res = await schoolAdmin.get("/admin/notifications");
    expect(res.headers.get("location")).toBe(`/admin/schools/${ids.thcs}/notifications`);
    expect((await hung.get("/admin/notifications")).status).toBe(403);
  });
});

describe("the service worker", () => {
  it("is served at /sw.js for scope / without caching, and pages allow it", async () => {
    const res = await hub.client().get("/sw.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("service-worker-allowed")).toBe("/");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("content-type")).toMatch(/javascript/);
    const body = await res.text();
    expect(body).toContain('addEventListener("push"');
    expect(body).toContain('addEventListener("notificationclick"');
    const page = await hung.get("/notifications");
    expect(page.headers.get("content-security-policy")).toContain("worker-src 'self'");
  });
});

