/**
 * Unsubscribing from the link in an email: the delivery puts a signed /unsubscribe/… link in the
 * List-Unsubscribe header (with List-Unsubscribe-Post, RFC 8058); a mail provider's one-click POST
 * — no cookies, no Origin — records "no more emails of this kind" and cancels what is queued; the
 * page's button does the same; a digest link switches email off. A tampered token, or one whose
 * signature belongs to another person, gets 400 and changes nothing.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channelUnsubscribes, contactChannels, notifications, outboundMessages, users } from "../../db/schema/index.ts";
import { createEmailChannel, emailConfigFromEnv } from "../../integrations/channels/email/index.server.ts";
import { deliverBatch } from "../../app/services/notify/delivery.server.ts";
import { unsubscribeToken } from "../../app/services/notify/unsubscribe.server.ts";
import { htmlText } from "../support/html.ts";
import { startHub, type Hub } from "../support/hub.ts";
import { listenSmtp, type TestSmtp } from "../support/smtp.ts";

let hub: Hub;
let smtp: TestSmtp;
let hung: string;
let thu: string;
let eventSeq = 900_000;

beforeAll(async () => {
  smtp = await listenSmtp();
  hub = await startHub();
  const db = hub.database.db;
  [{ id: hung }] = await db.select({ id: users.id }).from(users).where(eq(users.phone, "+84912345678"));
  [{ id: thu }] = await db.select({ id: users.id }).from(users).where(eq(users.phone, "+84987654321"));
});

afterAll(async () => {
  await hub?.close();
  await smtp?.close();
});

/** An in-app item of `kind` for `userId` and its queued email. */
async function queued(userId: string, kind: "grade" | "announcement", address = "hung.ph@phuhuynh.vn") {
  const db = hub.database.db;
  const eventId = ++eventSeq;
  const [n] = await db
    .insert(notifications)
    .values({ userId, kind, mode: "immediate", eventId, title: "Điểm mới", body: "Toán: 9" })
    .returning({ id: notifications.id });
  const key = `ev:${eventId}:${userId}:email`;
  await db.insert(outboundMessages).values({ key, userId, channel: "email", address, kind: "immediate", notificationId: n.id, content: { subject: "Điểm mới", text: "Toán: 9" } });
  return key;
}

async function status(key: string) {
  const [row] = await hub.database.db.select().from(outboundMessages).where(eq(outboundMessages.key, key));
  return row;
}

/** POST as a mail provider does: no cookie, no Origin, the RFC 8058 body. */
function oneClick(url: string) {
  return fetch(url, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
}

describe("unsubscribe links", () => {
  it("the email carries a one-click link; the provider's POST stops that kind and cancels what is queued", async () => {
    const channel = createEmailChannel(emailConfigFromEnv(process.env)!);
    const first = await queued(hung, "grade");
    const opts = { channel, baseUrl: hub.url, secretKey: process.env.SECRET_KEY! };
    expect(await deliverBatch(hub.database, "email", opts)).toMatchObject({ sent: 1 });
    const mail = smtp.received.find((r) => r.mail.messageId === `<${first.replace(/:/g, ".")}@lopso.test>`)!.mail;
    const raw = mail.headerLines.map((h) => h.line).join("\n");
    expect(raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    const link = /^List-Unsubscribe:\s*<([^>]+)>/m.exec(raw)![1];
    expect(link.startsWith(`${hub.url}/unsubscribe/`)).toBe(true);

    // Opening it shows what it stops, and changes nothing yet.
    const page = await hub.client().get(link.slice(hub.url.length));
    expect(page.status).toBe(200);
    const text = htmlText(await page.text());
    expect(text).toContain("Bạn sẽ không nhận thông báo điểm mới qua email nữa");
    expect(await hub.database.db.select().from(channelUnsubscribes).where(eq(channelUnsubscribes.userId, hung))).toHaveLength(0);

    const pending = await queued(hung, "grade");
    const other = await queued(hung, "announcement");
    const res = await oneClick(link);
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain("Đã hủy nhận thông báo điểm mới qua email");
    const rows = await hub.database.db.select().from(channelUnsubscribes).where(eq(channelUnsubscribes.userId, hung));
    expect(rows).toMatchObject([{ channel: "email", kind: "grade" }]);
    expect(await status(pending)).toMatchObject({ status: "cancelled", failureReason: "unsubscribed" });
    expect(await status(other)).toMatchObject({ status: "queued" });

    // A grade queued afterwards is not sent by the delivery; the announcement is.
    const later = await queued(hung, "grade");
    expect(await deliverBatch(hub.database, "email", opts)).toMatchObject({ sent: 1, cancelled: 1 });
    expect(await status(later)).toMatchObject({ status: "cancelled", failureReason: "unsubscribed" });
    expect(await status(other)).toMatchObject({ status: "sent" });
    await channel.close?.();

    // Repeating it is harmless; the page then says it is already done.
    expect((await oneClick(link)).status).toBe(200);
    expect(htmlText(await (await hub.client().get(link.slice(hub.url.length))).text())).toContain("đã hủy nhận");
  });

  it("the digest link's button switches email off with the reason unsubscribed", async () => {
    const path = `/unsubscribe/${unsubscribeToken(process.env.SECRET_KEY!, { userId: thu, channel: "email", kind: "digest" })}`;
    const client = hub.client();
    expect((await client.get(path)).status).toBe(200);
    const res = await client.post(path, { "List-Unsubscribe": "One-Click" });
    expect(res.status).toBe(200);
    const [cc] = await hub.database.db.select().from(contactChannels).where(and(eq(contactChannels.userId, thu), eq(contactChannels.channel, "email")));
    expect(cc).toMatchObject({ enabled: false, disabledReason: "unsubscribed" });
    expect(cc.disabledAt).toBeInstanceOf(Date);
  });

  it("a tampered token, or another person's id under a signature, is refused with 400 and changes nothing", async () => {
    const good = unsubscribeToken(process.env.SECRET_KEY!, { userId: thu, channel: "email", kind: "announcement" });
    const idPart = good.slice(0, 32);
    const otherId = hung.replace(/-/g, "");
    const forged = otherId + good.slice(32);
    // "announcement" is kind 5; the same signature under "grade" (0).
    const wrongKind = good.slice(0, 33) + "0" + good.slice(34);
    const wrongKey = unsubscribeToken("another-secret-key-another-secret-key-0123", { userId: thu, channel: "email", kind: "announcement" });
    expect(idPart).not.toBe(otherId);
    for (const token of [forged, wrongKind, wrongKey, "abc", good.slice(0, -1) + (good.endsWith("A") ? "B" : "A")]) {
      const page = await hub.client().get(`/unsubscribe/${token}`);
      expect(page.status, token).toBe(400);
      expect(htmlText(await page.text())).toContain("Liên kết hủy nhận này không đúng");
      expect((await oneClick(`${hub.url}/unsubscribe/${token}`)).status).toBe(400);
    }
    const rows = await hub.database.db.select().from(channelUnsubscribes).where(eq(channelUnsubscribes.kind, "announcement"));
    expect(rows).toHaveLength(0);
  });

  it("a POST from another site is still refused; the page is in English on request", async () => {
    const path = `/unsubscribe/${unsubscribeToken(process.env.SECRET_KEY!, { userId: thu, channel: "email", kind: "work" })}`;
    const foreign = await fetch(hub.url + path, { method: "POST", headers: { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
    expect(foreign.status).toBe(403);
    expect(await hub.database.db.select().from(channelUnsubscribes).where(eq(channelUnsubscribes.kind, "work"))).toHaveLength(0);
    const en = await hub.client().get(path, { cookie: "lang=en" });
    expect(htmlText(await en.text())).toContain("You will no longer receive notifications about work handed in, missing or late by email");
  });
});
