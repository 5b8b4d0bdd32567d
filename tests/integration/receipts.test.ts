/**
 * Delivery receipts over HTTP: Zalo's signed `user_received_message` webhook and the SMS gateway's
 * keyed report move a sent message to delivered (or failed), once, for that message only; a bad
 * signature, a wrong key or an unconfigured provider records nothing.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboundMessages, users } from "../../db/schema/index.ts";
import { startHub, type Hub } from "../support/hub.ts";
import { startZaloFake, type ZaloFake } from "../fakes/zalo/server.ts";
import { deliverBatch } from "../../app/services/notify/delivery.server.ts";

let hub: Hub;
let zalo: ZaloFake;
const NEWS_TEMPLATE = "471001";
const SMS_KEY = "k3y-for-sms-reports-0123456789";
const saved: Record<string, string | undefined> = {};
const ENV = ["ZALO_APP_ID", "ZALO_APP_SECRET", "ZALO_OA_REFRESH_TOKEN", "ZALO_TEMPLATE_ID_NEWS", "ZALO_API_URL", "ZALO_OAUTH_URL", "ZALO_WEBHOOK_SECRET", "SMS_CALLBACK_URL"];

beforeAll(async () => {
  zalo = await startZaloFake({ templates: { [NEWS_TEMPLATE]: { params: { student_name: { max: 30 }, kind: { max: 30 }, title: { max: 200 }, date: { max: 20 }, link: { max: 200 } } } } });
  for (const k of ENV) saved[k] = process.env[k];
  Object.assign(process.env, {
    ZALO_APP_ID: zalo.appId,
    ZALO_APP_SECRET: zalo.appSecret,
    ZALO_OA_REFRESH_TOKEN: zalo.initialRefreshToken,
    ZALO_TEMPLATE_ID_NEWS: NEWS_TEMPLATE,
    ZALO_API_URL: zalo.url,
    ZALO_OAUTH_URL: zalo.url,
    SMS_CALLBACK_URL: `https://lopso.example.vn/webhooks/sms?key=${SMS_KEY}`,
  });
  delete process.env.ZALO_WEBHOOK_SECRET;
  hub = await startHub();
});
afterAll(async () => {
  for (const k of ENV) if (saved[k] === undefined) delete process.env[k];
  else process.env[k] = saved[k];
  await hub?.close();
  await zalo?.close();
});

async function sentMessage(channel: "zalo" | "sms", providerMessageId: string) {
  const [thu] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.phone, "+84987654321"));
  const [row] = await hub.database.db
    .insert(outboundMessages)
    .values({ key: `test:${providerMessageId}`, userId: thu.id, channel, address: "+84987654321", kind: "immediate", content: { subject: "s", text: "t" }, status: "sent", sentAt: new Date(), providerMessageId })
    .returning();
  return row.id;
}

/** A ZNS message queued for Thu and sent through the real Zalo channel to the fake: Zalo's msg_id. */
async function sentThroughZalo(): Promise<{ id: number; msgId: string }> {
  const [thu] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.phone, "+84987654321"));
  const [row] = await hub.database.db
    .insert(outboundMessages)
    .values({
      key: `test:zns:${Math.random()}`,
      userId: thu.id,
      channel: "zalo",
      address: "+84987654321",
      kind: "immediate",
      content: { subject: "Dũng có điểm Toán 8,5", text: "Dũng có điểm Toán 8,5", template: { id: "news", params: { student_name: "Dũng", kind: "Điểm mới", title: "Dũng có điểm Toán 8,5", date: "25/11/2026", link: "https://lopso.example.vn/notifications" } } },
    })
    .returning();
  const result = await deliverBatch(hub.database, "zalo");
  expect(result).toMatchObject({ configured: true, sent: 1 });
  const sent = await state(row.id);
  expect(sent.status).toBe("sent");
  return { id: row.id, msgId: sent.providerMessageId! };
}

const state = async (id: number) => (await hub.database.db.select().from(outboundMessages).where(eq(outboundMessages.id, id)))[0];

async function postZalo(rawBody: string, headers: Record<string, string>) {
  // Zalo's servers send no Origin and no cookie.
  return fetch(`${hub.url}/webhooks/zalo`, { method: "POST", body: rawBody, headers: { "content-type": "application/json", ...headers } });
}

describe("Zalo delivery webhook", () => {
  it("marks the message delivered at the time Zalo gives, once", async () => {
    const { id, msgId } = await sentThroughZalo();
    const other = await sentMessage("zalo", "zns-msg-2");
    const deliveredAt = new Date("2026-11-25T12:30:00Z");
    const call = zalo.webhookFor(msgId, { deliveredAt });
    const res = await postZalo(call.rawBody, call.headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, updated: true });
    const row = await state(id);
    expect(row.status).toBe("delivered");
    expect(row.deliveredAt?.toISOString()).toBe(deliveredAt.toISOString());
    expect((await state(other)).status).toBe("sent");
    // Zalo retries webhooks: the second copy changes nothing.
    expect(await (await postZalo(call.rawBody, call.headers)).json()).toEqual({ ok: true, updated: false });
  });

  it("refuses a body whose signature does not match, and records nothing", async () => {
    const { id, msgId } = await sentThroughZalo();
    const call = zalo.webhookFor(msgId, { secret: "not-the-app-secret" });
    expect((await postZalo(call.rawBody, call.headers)).status).toBe(401);
    const good = zalo.webhookFor(msgId);
    // The same signature over other bytes (another message id) is refused too.
    expect((await postZalo(good.rawBody.replace(msgId, "zns-msg-2"), good.headers)).status).toBe(401);
    expect((await postZalo(good.rawBody, {})).status).toBe(401);
    expect((await state(id)).status).toBe("sent");
  });

  it("refuses an oversized body before reading it", async () => {
    const res = await postZalo("x".repeat(70 * 1024), { "x-zevent-signature": "mac=" + "0".repeat(64) });
    expect(res.status).toBe(413);
  });
});

describe("SMS delivery report", () => {
  const report = (smsId: string, q: Record<string, string>) => fetch(`${hub.url}/webhooks/sms?${new URLSearchParams({ SMSID: smsId, ...q })}`);

  it("with the key of SMS_CALLBACK_URL: delivered, failed at the carrier, or still on its way", async () => {
    const ok = await sentMessage("sms", "sms-100");
    const bad = await sentMessage("sms", "sms-101");
    const later = await sentMessage("sms", "sms-102");
    expect((await report("sms-100", { key: SMS_KEY, SendStatus: "5", SendSuccess: "1", SendFailed: "0" })).status).toBe(200);
    expect((await report("sms-101", { key: SMS_KEY, SendStatus: "4", SendSuccess: "0", SendFailed: "1" })).status).toBe(200);
    expect(await (await report("sms-102", { key: SMS_KEY, SendStatus: "2" })).json()).toEqual({ ok: true, pending: true });
    expect((await state(ok)).status).toBe("delivered");
    expect(await state(bad)).toMatchObject({ status: "failed", failureReason: "rejected" });
    expect((await state(later)).status).toBe("sent");
  });

  it("without the key, or with another, records nothing", async () => {
    const id = await sentMessage("sms", "sms-200");
    expect((await report("sms-200", { SendStatus: "5", SendSuccess: "1" })).status).toBe(403);
    expect((await report("sms-200", { key: SMS_KEY + "x", SendStatus: "5", SendSuccess: "1" })).status).toBe(403);
    expect((await state(id)).status).toBe("sent");
  });
});
