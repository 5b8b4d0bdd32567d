/**
 * The Zalo ZNS channel against a local Zalo (OAuth v4 + ZNS send) over HTTP, with its rotating
 * tokens kept in the hub's database (channel_tokens): sends, each class of error, parameters over
 * their limits, token expiry and refresh, concurrent refreshes in one and in two processes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbTokenStore } from "../../app/services/channel-tokens.server.ts";
import { channelTokens } from "../../db/schema/index.ts";
import { createZaloChannel, memoryTokenStore, parseZnsDelivery, verifyZnsWebhook, zaloConfigFromEnv, znsTrackingId, type ZaloConfig } from "../../integrations/channels/zalo/index.server.ts";
import type { OutgoingMessage } from "../../integrations/ports.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";
import { startZaloFake, type ZaloFake } from "../fakes/zalo/server.ts";

const NEWS = "7895417a7d3f9461cd2e";
let fake: ZaloFake;
let database: TestDatabase;
let config: ZaloConfig;

const news = (to: string, over: Record<string, string> = {}): OutgoingMessage => ({
  to,
  locale: "vi",
  subject: "Điểm mới",
  text: "Nguyễn Văn An: Toán 8,5/10",
  template: { id: NEWS, params: { student_name: "Nguyễn Văn An", kind: "Điểm mới", title: "Toán: kiểm tra 15 phút 8,5/10", date: "02/12/2026", ...over } },
});

beforeAll(async () => {
  fake = await startZaloFake({
    templates: { [NEWS]: { params: { student_name: { max: 30 }, kind: { max: 30 }, title: { max: 200 }, date: { max: 20 }, link: { max: 200, required: false } } } },
  });
  database = await freshDatabase();
  config = zaloConfigFromEnv({
    ZALO_APP_ID: fake.appId,
    ZALO_APP_SECRET: fake.appSecret,
    ZALO_OA_REFRESH_TOKEN: fake.initialRefreshToken,
    ZALO_TEMPLATE_ID_NEWS: NEWS,
    ZALO_API_URL: fake.url,
    ZALO_OAUTH_URL: fake.url,
    ZALO_TIMEOUT_MS: "1000",
  })!;
});

afterAll(async () => {
  await fake?.close();
  await database?.drop();
});

describe("Zalo ZNS channel", () => {
  it("first send refreshes with the configured token, saves the rotated pair, sends to 84… with tracking_id", async () => {
    const channel = createZaloChannel(config, { tokens: dbTokenStore(database.db) });
    const key = "ev:6f1c0e9e-1111-4222-8333-944455556666:0c1d2e3f-aaaa-4bbb-8ccc-9ddddeeeefff:zalo";
    const result = await channel.send(news("+84912345678"), key);
    expect(result).toMatchObject({ outcome: "sent", providerMessageId: expect.stringMatching(/^[0-9a-f]{20}$/) });
    const sent = fake.messages.at(-1)!;
    expect(sent).toMatchObject({ phone: "84912345678", templateId: NEWS, trackingId: znsTrackingId(key) });
    expect(sent.params.student_name).toBe("Nguyễn Văn An");
    expect(fake.refreshes).toEqual([{ refreshToken: fake.initialRefreshToken, accepted: true }]);
    const [row] = await database.db.select().from(channelTokens);
    expect(row.refreshToken).toBe(fake.currentRefreshToken);
    expect(row.refreshToken).not.toBe(fake.initialRefreshToken);
    expect(row.expiresAt.getTime() - Date.now()).toBeGreaterThan(24 * 3600_000);
    // A second send uses the stored access token: no refresh.
    expect(await channel.send(news("0987654321"), "ev:2:u:zalo")).toMatchObject({ outcome: "sent" });
    expect(fake.refreshes).toHaveLength(1);
    await channel.close?.();
  });

  it("a template may be named by our name instead of Zalo's id", async () => {
    const channel = createZaloChannel(config, { tokens: dbTokenStore(database.db) });
    const m = news("+84912345678");
    expect(await channel.send({ ...m, template: { id: "news", params: m.template!.params } }, "ev:1b:u:zalo")).toMatchObject({ outcome: "sent" });
    expect(fake.messages.at(-1)?.templateId).toBe(NEWS);
    await channel.close?.();
  });

  it("the delivery webhook Zalo sends for it verifies and carries our tracking_id", () => {
    const sent = fake.messages.find((m) => m.trackingId === znsTrackingId("ev:2:u:zalo"))!;
    const call = fake.webhookFor(sent.msgId, { deliveredAt: new Date("2026-12-02T08:00:00Z") });
    expect(verifyZnsWebhook(call.rawBody, call.headers["x-zevent-signature"], { secret: config.webhookSecret, appId: config.appId })).toBe(true);
    expect(parseZnsDelivery(call.rawBody)).toEqual({ msgId: sent.msgId, trackingId: znsTrackingId("ev:2:u:zalo"), deliveredAt: new Date("2026-12-02T08:00:00Z"), recipient: "84987654321" });
    const forged = fake.webhookFor(sent.msgId, { secret: "not-the-secret" });
    expect(verifyZnsWebhook(forged.rawBody, forged.headers["x-zevent-signature"], { secret: config.webhookSecret })).toBe(false);
  });

  it("an expired access token is refreshed once and the message resent once; two concurrent sends refresh once", async () => {
    const channel = createZaloChannel(config, { tokens: dbTokenStore(database.db) });
    fake.expireAccessTokens();
    const before = fake.refreshes.length;
    const sentBefore = fake.messages.length;
    const results = await Promise.all([channel.send(news("+84912345678"), "ev:3:a:zalo"), channel.send(news("+84912345679"), "ev:3:b:zalo")]);
    expect(results.map((r) => r.outcome)).toEqual(["sent", "sent"]);
    expect(fake.refreshes.slice(before)).toEqual([{ refreshToken: expect.any(String), accepted: true }]);
    expect(fake.messages.length - sentBefore).toBe(2);
    expect(channel.tokenRefreshes).toBe(1);
    await channel.close?.();
  });

  it("two processes (two channels on one database) meeting an expired token refresh once: the second finds the new tokens", async () => {
    const a = createZaloChannel(config, { tokens: dbTokenStore(database.db) });
    const b = createZaloChannel(config, { tokens: dbTokenStore(database.db) });
    await a.send(news("+84912345678"), "ev:4:warm:zalo");
    await b.send(news("+84912345678"), "ev:4:warm2:zalo");
    fake.expireAccessTokens();
    const before = fake.refreshes.length;
    const results = await Promise.all([a.send(news("+84912345678"), "ev:4:a:zalo"), b.send(news("+84912345678"), "ev:4:b:zalo")]);
    expect(results.map((r) => r.outcome)).toEqual(["sent", "sent"]);
    expect(fake.refreshes.slice(before).filter((r) => r.accepted)).toHaveLength(1);
    expect(fake.refreshes.slice(before).filter((r) => !r.accepted)).toHaveLength(0);
    expect(a.tokenRefreshes + b.tokenRefreshes).toBe(1);
    await a.close?.();
    await b.close?.();
  });

  it("a used refresh token is refused by Zalo (-14014): the channel retries later as not_configured", async () => {
    const stale = memoryTokenStore({ accessToken: "gone", refreshToken: fake.initialRefreshToken, expiresAt: new Date(0) });
    const channel = createZaloChannel(config, { tokens: stale });
    const r = await channel.send(news("+84912345678"), "ev:5:u:zalo");
    expect(r).toMatchObject({ outcome: "retry", reason: "not_configured" });
    expect(fake.refreshes.at(-1)).toEqual({ refreshToken: fake.initialRefreshToken, accepted: false });
    await channel.close?.();
  });

  it("after a new consent, the refresh token set in the configuration replaces the refused stored one", async () => {
    const store = memoryTokenStore({ accessToken: "gone", refreshToken: "refused-stored-token", expiresAt: new Date(0) });
    const channel = createZaloChannel({ ...config, refreshToken: fake.currentRefreshToken }, { tokens: store });
    expect(await channel.send(news("+84912345678"), "ev:5b:u:zalo")).toMatchObject({ outcome: "sent" });
    expect(fake.refreshes.slice(-2).map((r) => r.accepted)).toEqual([false, true]);
    expect((await store.get())?.refreshToken).toBe(fake.currentRefreshToken);
    await channel.close?.();
  });

  describe("errors", () => {
    const channel = () => createZaloChannel(config, { tokens: dbTokenStore(database.db) });
    it.each([
      ["84931000118", -118, "failed", "not_on_zalo", true],
      ["84931000108", -108, "failed", "invalid_address", true],
      ["84931000141", -141, "failed", "blocked", true],
      ["84931000114", -114, "failed", "blocked", false],
      ["84931000144", -144, "retry", "quota", undefined],
      ["84931000100", -100, "retry", "transient", undefined],
      ["84931000131", -131, "failed", "rejected", false],
    ])("%s answered %i → %s %s", async (phone, code, outcome, reason, disable) => {
      fake.failPhone(phone, code);
      const c = channel();
      const r = (await c.send(news(`+${phone}`), `ev:err:${code}:zalo`)) as { outcome: string; reason?: string; disableAddress?: boolean };
      expect(r.outcome).toBe(outcome);
      expect(r.reason).toBe(reason);
      expect(r.disableAddress).toBe(disable);
      await c.close?.();
    });

    it("an invalid phone is refused without calling Zalo", async () => {
      const c = channel();
      const before = fake.messages.length;
      for (const to of ["+84212345678", "0123456789", "+1 415 555 0100", "abc"]) {
        expect(await c.send(news(to), "ev:6:u:zalo")).toMatchObject({ outcome: "failed", reason: "invalid_address", disableAddress: true });
      }
      expect(fake.messages.length).toBe(before);
      await c.close?.();
    });

    it("a parameter over the template's limit is refused before sending, naming it", async () => {
      const c = channel();
      const before = fake.messages.length;
      const r = await c.send(news("+84912345678", { student_name: "Công Tôn Nữ Hoàng Thị Diễm Phương Thảo" }), "ev:7:u:zalo");
      expect(r).toMatchObject({ outcome: "failed", reason: "too_long", disableAddress: false, message: expect.stringMatching(/student_name is 3\d characters, at most 30/) });
      expect(await c.send(news("+84912345678", { title: "" }), "ev:7:u:zalo")).toMatchObject({ outcome: "failed", reason: "rejected", message: expect.stringContaining("title is missing") });
      expect(await c.send({ ...news("+84912345678"), template: { id: "unknown", params: {} } }, "ev:7:u:zalo")).toMatchObject({ outcome: "failed", reason: "rejected" });
      expect(fake.messages.length).toBe(before);
      await c.close?.();
    });

    it("a Zalo that does not answer in time, or answers 502, is a transient retry", async () => {
      const c = channel();
      await c.send(news("+84912345678"), "ev:8:warm:zalo");
      fake.delaySends(3000);
      try {
        const started = Date.now();
        expect(await c.send(news("+84912345678"), "ev:8:u:zalo")).toMatchObject({ outcome: "retry", reason: "transient" });
        expect(Date.now() - started).toBeLessThan(2900);
      } finally {
        fake.delaySends(0);
      }
      fake.failHttp(502);
      try {
        expect(await c.send(news("+84912345678"), "ev:8:u:zalo")).toMatchObject({ outcome: "retry", reason: "transient" });
      } finally {
        fake.failHttp(null);
      }
      await c.close?.();
    });
  });
});
