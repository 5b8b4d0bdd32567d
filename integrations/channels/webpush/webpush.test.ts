import { describe, expect, it } from "vitest";
import { pushConfigFromEnv } from "./config.ts";
import { pushDelivery, pushResultFromStatus, pushTopic } from "./errors.ts";

const now = new Date("2026-12-02T08:00:00Z");

describe("push service answers", () => {
  it.each([
    [201, "sent", undefined, undefined],
    [202, "sent", undefined, undefined],
    [404, "failed", "expired_subscription", true],
    [410, "failed", "expired_subscription", true],
    [413, "failed", "too_long", false],
    [429, "retry", "rate_limited", undefined],
    [500, "retry", "transient", undefined],
    [503, "retry", "transient", undefined],
    [400, "failed", "rejected", false],
    [403, "failed", "rejected", false],
  ])("%i → %s %s", (status, outcome, reason, disable) => {
    const r = pushResultFromStatus(status, {}, now) as { outcome: string; reason?: string; disableAddress?: boolean };
    expect([r.outcome, r.reason, r.disableAddress]).toEqual([outcome, reason, disable]);
  });
  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(pushResultFromStatus(429, { "retry-after": "30" }, now)).toEqual({ outcome: "retry", reason: "rate_limited", retryAt: new Date("2026-12-02T08:00:30Z") });
    expect(pushResultFromStatus(503, { "retry-after": "Wed, 02 Dec 2026 09:00:00 GMT" }, now)).toEqual({ outcome: "retry", reason: "transient", retryAt: new Date("2026-12-02T09:00:00Z") });
  });
});

describe("topic, urgency, TTL", () => {
  it("the Topic is 32 URL-safe base64 characters, stable per key", () => {
    const t = pushTopic("ev:123e4567-e89b-12d3-a456-426614174000:123e4567-e89b-12d3-a456-426614174001:push:123e4567-e89b-12d3-a456-426614174002");
    expect(t).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(pushTopic("a")).toBe(pushTopic("a"));
    expect(pushTopic("a")).not.toBe(pushTopic("b"));
  });
  it("digests are low urgency with at most a day's TTL", () => {
    expect(pushDelivery("digest:weekly:2026-12-06:u:push:s", 172800)).toEqual({ urgency: "low", ttl: 86400 });
    expect(pushDelivery("ev:1:u:push:s", 172800)).toEqual({ urgency: "normal", ttl: 172800 });
  });
});

describe("pushConfigFromEnv", () => {
  const keys = { VAPID_PUBLIC_KEY: "BO5CD4EwAIR1clNoH7V7hmQVGSuBZA4b7NNoc1QV7y9KiI7T83hfdiBqsv4hjSwKvmLZqoy6fvQHVzQp4yutMWs", VAPID_PRIVATE_KEY: "y4GLKVPqCB_Y8yVmdrc49If5ow04aKUzCuobK-XEEQE" };
  it("is null without keys; the subject falls back to an https APP_URL, then MAIL_FROM", () => {
    expect(pushConfigFromEnv({})).toBeNull();
    expect(pushConfigFromEnv({ ...keys, APP_URL: "https://lopso.example.vn" })?.subject).toBe("https://lopso.example.vn");
    expect(pushConfigFromEnv({ ...keys, MAIL_FROM: "Lớp Số <no-reply@lopso.example.vn>" })?.subject).toBe("mailto:no-reply@lopso.example.vn");
    expect(pushConfigFromEnv({ ...keys, PUSH_RATE_PER_SECOND: "20" })?.ratePerSecond).toBe(20);
  });
  it("names a wrong key or a half-set pair", () => {
    expect(() => pushConfigFromEnv({ ...keys, VAPID_PRIVATE_KEY: "short" })).toThrow(/VAPID_PRIVATE_KEY/);
    expect(() => pushConfigFromEnv({ VAPID_PUBLIC_KEY: keys.VAPID_PUBLIC_KEY })).toThrow(/both or neither/);
    expect(() => pushConfigFromEnv({ ...keys, VAPID_SUBJECT: "ops@example" })).toThrow(/VAPID_SUBJECT/);
  });
});
