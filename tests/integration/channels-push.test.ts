/**
 * The Web Push channel against a local push service over HTTPS: the service checks the VAPID
 * token and decrypts each message with the subscription's private key, so what it read is what a
 * browser would show.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import webpush from "web-push";
import { createPushChannel, pushConfigFromEnv, pushTopic, type PushChannel } from "../../integrations/channels/webpush/index.server.ts";
import type { OutgoingMessage } from "../../integrations/ports.ts";
import { startWebPushFake, type PushFake } from "../fakes/webpush/server.ts";

let fake: PushFake;
let channel: PushChannel;
const vapid = webpush.generateVAPIDKeys();

const message = (to: OutgoingMessage["to"], over: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  to,
  locale: "vi",
  subject: "Điểm mới: Toán",
  text: "Nguyễn Văn An được 8,5/10 bài kiểm tra 15 phút.",
  link: "https://lopso.test/children/an/grades",
  ...over,
});

beforeAll(async () => {
  fake = await startWebPushFake();
  const config = pushConfigFromEnv({ VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, VAPID_SUBJECT: "mailto:ops@lopso.test", PUSH_TIMEOUT_MS: "1500" })!;
  channel = createPushChannel(config, { dispatcher: fake.dispatcher({ timeoutMs: 1500 }) });
});

afterAll(async () => {
  await channel?.close?.();
  await fake?.close();
});

describe("Web Push channel", () => {
  it("delivers {title, body, url}, encrypted for the subscription and signed with our VAPID key", async () => {
    const sub = fake.subscribe({ vapidKey: vapid.publicKey });
    const key = "ev:101:u1:push:s1";
    const result = await channel.send(message(sub), key);
    expect(result).toMatchObject({ outcome: "sent", providerMessageId: expect.stringContaining(`${fake.url}/message/`) });
    const [got] = fake.messagesFor(sub);
    expect(got.json).toEqual({ title: "Điểm mới: Toán", body: "Nguyễn Văn An được 8,5/10 bài kiểm tra 15 phút.", url: "https://lopso.test/children/an/grades" });
    expect(got.vapid.key).toBe(vapid.publicKey);
    expect(got.vapid.claims).toMatchObject({ aud: fake.url, sub: "mailto:ops@lopso.test" });
    expect(got.vapid.claims.exp * 1000 - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    expect(got.topic).toBe(pushTopic(key));
    expect(got.topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(got.urgency).toBe("normal");
    expect(got.ttl).toBe(2 * 24 * 3600);
  });

  it("sends a digest with low urgency and a day's TTL; the same key gives the same Topic", async () => {
    const sub = fake.subscribe();
    const key = "digest:daily:2026-12-02:u1:push:s2";
    await channel.send(message(sub, { subject: "Tóm tắt hôm nay" }), key);
    await channel.send(message(sub, { subject: "Tóm tắt hôm nay" }), key);
    const got = fake.messagesFor(sub);
    expect(got.map((g) => [g.urgency, g.ttl])).toEqual([
      ["low", 86400],
      ["low", 86400],
    ]);
    expect(got[0].topic).toBe(got[1].topic);
  });

  it("404 and 410 mean the subscription is gone: failed, expired_subscription, disable it", async () => {
    for (const status of [404, 410]) {
      const sub = fake.subscribe();
      fake.answer(sub, { status });
      expect(await channel.send(message(sub), `ev:1:u:push:${status}`)).toMatchObject({ outcome: "failed", reason: "expired_subscription", disableAddress: true });
    }
    const sub = fake.subscribe();
    fake.unsubscribe(sub);
    expect(await channel.send(message(sub), "ev:2:u:push")).toMatchObject({ outcome: "failed", reason: "expired_subscription", disableAddress: true });
  });

  it("429 is retried after Retry-After; 500 is retried; 413 is too_long", async () => {
    const sub = fake.subscribe();
    fake.answer(sub, { status: 429, retryAfter: "120", times: 1 });
    const before = Date.now();
    const limited = await channel.send(message(sub), "ev:3:u:push");
    expect(limited).toMatchObject({ outcome: "retry", reason: "rate_limited" });
    const at = (limited as { retryAt: Date }).retryAt.getTime();
    expect(at - before).toBeGreaterThanOrEqual(119_000);
    expect(at - before).toBeLessThan(125_000);
    fake.answer(sub, { status: 500, times: 1 });
    expect(await channel.send(message(sub), "ev:3:u:push")).toMatchObject({ outcome: "retry", reason: "transient" });
    fake.answer(sub, { status: 413, times: 1 });
    expect(await channel.send(message(sub), "ev:3:u:push")).toMatchObject({ outcome: "failed", reason: "too_long", disableAddress: false });
    // The service answers normally again.
    expect(await channel.send(message(sub), "ev:3:u:push")).toMatchObject({ outcome: "sent" });
    expect(fake.messagesFor(sub)).toHaveLength(1);
  });

  it("a push service that does not answer in time is a transient retry", async () => {
    const sub = fake.subscribe();
    fake.answer(sub, { hang: true, times: 1 });
    const started = Date.now();
    expect(await channel.send(message(sub), "ev:4:u:push")).toMatchObject({ outcome: "retry", reason: "transient" });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("a push service whose certificate is not trusted is a transient retry, not a crash", async () => {
    const config = pushConfigFromEnv({ VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, PUSH_TIMEOUT_MS: "1500" })!;
    const untrusting = createPushChannel(config);
    const sub = fake.subscribe();
    expect(await untrusting.send(message(sub), "ev:4b:u:push")).toMatchObject({ outcome: "retry", reason: "transient" });
    expect(fake.messagesFor(sub)).toHaveLength(0);
    await untrusting.close?.();
  });

  it("refuses a payload over the 4096-octet record before sending, and a subscription with broken keys", async () => {
    const sub = fake.subscribe();
    const refusedBefore = fake.refused.length;
    expect(await channel.send(message(sub, { text: "ư".repeat(2100) }), "ev:5:u:push")).toMatchObject({ outcome: "failed", reason: "too_long" });
    expect(await channel.send(message({ endpoint: sub.endpoint, keys: { p256dh: "AAAA", auth: sub.keys.auth } }), "ev:5:u:push")).toMatchObject({
      outcome: "failed",
      reason: "invalid_address",
      disableAddress: true,
    });
    expect(await channel.send(message("+84912345678"), "ev:5:u:push")).toMatchObject({ outcome: "failed", reason: "invalid_address" });
    expect(fake.messagesFor(sub)).toHaveLength(0);
    expect(fake.refused.length).toBe(refusedBefore);
  });

  it("the push service refuses another application server's key and an expired token (clock moved)", async () => {
    const other = webpush.generateVAPIDKeys();
    const sub = fake.subscribe({ vapidKey: other.publicKey });
    expect(await channel.send(message(sub), "ev:6:u:push")).toMatchObject({ outcome: "failed", reason: "rejected" });
    expect(fake.refused.at(-1)).toMatchObject({ status: 403 });
    const open = fake.subscribe();
    fake.setNow(() => new Date(Date.now() + 25 * 3600_000));
    try {
      expect(await channel.send(message(open), "ev:7:u:push")).toMatchObject({ outcome: "failed", reason: "rejected" });
      expect(fake.refused.at(-1)?.reason).toMatch(/expired/);
    } finally {
      fake.setNow(() => new Date());
    }
  });
});
