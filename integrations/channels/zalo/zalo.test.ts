import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { ChannelConfigError } from "../settings-error.ts";
import { zaloConfigFromEnv } from "./config.ts";
import { nextVietnamHour, znsOutcome } from "./errors.ts";
import { znsTrackingId } from "./index.server.ts";
import { checkTemplateParams, ZNS_TEMPLATES } from "./templates.ts";
import { parseZnsDelivery, verifyZnsWebhook } from "./webhook.ts";

const vectors = new URL("../../../tests/fakes/zalo/vectors/", import.meta.url);
const read = (f: string) => JSON.parse(fs.readFileSync(new URL(f, vectors), "utf8"));

describe("ZNS error codes", () => {
  const now = new Date("2026-12-02T08:00:00Z"); // 15:00 in Vietnam
  const cases: [number, string, string | undefined, boolean | undefined][] = [
    [0, "sent", undefined, undefined],
    [-124, "token", undefined, undefined],
    [-100, "retry", "transient", undefined],
    [-108, "failed", "invalid_address", true],
    [-118, "failed", "not_on_zalo", true],
    [-141, "failed", "blocked", true],
    [-139, "failed", "blocked", true],
    [-114, "failed", "blocked", false],
    [-115, "retry", "quota", undefined],
    [-144, "retry", "quota", undefined],
    [-1121, "failed", "too_long", false],
    [-130, "failed", "too_long", false],
    [-104, "failed", "not_configured", false],
    [-131, "failed", "rejected", false],
    [-109, "failed", "rejected", false],
    [-32, "retry", "rate_limited", undefined],
  ];
  it.each(cases)("%i → %s %s", (code, outcome, reason, disable) => {
    const r = znsOutcome(code, "x", now) as { outcome: string; reason?: string; disableAddress?: boolean };
    expect(r.outcome).toBe(outcome);
    expect(r.reason).toBe(reason);
    expect(r.disableAddress).toBe(disable);
  });

  it("maps every code of Zalo's documented table to a decision", () => {
    const table = read("zns.error-codes.table.json") as { codes: { error: number }[] };
    expect(table.codes.length).toBeGreaterThan(50);
    for (const { error } of table.codes) expect(["sent", "retry", "failed", "token"]).toContain(znsOutcome(error, undefined, now).outcome);
  });

  it("the daily limit waits for midnight, the night rule for 06:00, Vietnam time", () => {
    expect((znsOutcome(-144, undefined, now) as { retryAt: Date }).retryAt.toISOString()).toBe("2026-12-02T17:00:00.000Z");
    expect((znsOutcome(-133, undefined, new Date("2026-12-02T16:00:00Z")) as { retryAt: Date }).retryAt.toISOString()).toBe("2026-12-02T23:00:00.000Z");
    expect(nextVietnamHour(new Date("2026-12-02T23:00:00Z"), 6).toISOString()).toBe("2026-12-03T23:00:00.000Z");
  });
});

describe("template parameters", () => {
  it("counts characters after NFC, names the parameter over its limit, the missing and the unknown", () => {
    const nfd = "Nguyễn Thị Hoàng Anh".normalize("NFD");
    const ok = checkTemplateParams(ZNS_TEMPLATES.news, { student_name: nfd, kind: "Điểm mới", title: "Toán: 8,5/10", date: "02/12/2026" });
    expect(ok.problems).toEqual([]);
    expect(ok.params.student_name).toBe("Nguyễn Thị Hoàng Anh".normalize("NFC"));
    const bad = checkTemplateParams(ZNS_TEMPLATES.news, { student_name: "A".repeat(31), kind: "Điểm", date: "02/12/2026", extra: "x" });
    expect(bad.problems).toEqual([
      { param: "student_name", problem: "too_long", length: 31, max: 30 },
      { param: "title", problem: "missing" },
      { param: "extra", problem: "unknown" },
    ]);
  });
});

describe("tracking_id", () => {
  it("keeps a short plain key, hashes a long or punctuated one to 40 hex digits, the same each time", () => {
    expect(znsTrackingId("msg_123")).toBe("msg_123");
    const key = "ev:6f1c0e9e-1111-4222-8333-944455556666:0c1d2e3f-aaaa-4bbb-8ccc-9ddddeeeeffff:zalo";
    expect(znsTrackingId(key)).toMatch(/^[0-9a-f]{40}$/);
    expect(znsTrackingId(key)).toBe(znsTrackingId(key));
    expect(znsTrackingId(key)).not.toBe(znsTrackingId(key + "x"));
  });
});

describe("delivery webhook", () => {
  const v = read("zns.webhook.signature.test-vector.generated.json");
  const sig = v.headers["X-ZEvent-Signature"];

  it("accepts the test vector's signature and refuses a changed body, secret or header", () => {
    expect(verifyZnsWebhook(v.raw_body, sig, { secret: v.oa_secret_key })).toBe(true);
    expect(verifyZnsWebhook(Buffer.from(v.raw_body), sig, { secret: v.oa_secret_key, appId: v.app_id })).toBe(true);
    expect(verifyZnsWebhook(v.raw_body.replace("84123456789", "84123456780"), sig, { secret: v.oa_secret_key })).toBe(false);
    expect(verifyZnsWebhook(v.raw_body, sig, { secret: "another-secret" })).toBe(false);
    expect(verifyZnsWebhook(v.raw_body, sig, { secret: v.oa_secret_key, appId: "1" })).toBe(false);
    expect(verifyZnsWebhook(v.raw_body, undefined, { secret: v.oa_secret_key })).toBe(false);
    expect(verifyZnsWebhook(v.raw_body, "mac=zz", { secret: v.oa_secret_key })).toBe(false);
    expect(verifyZnsWebhook("not json", sig, { secret: v.oa_secret_key })).toBe(false);
  });

  it("reads msg_id, tracking_id and the delivery time (not the event's timestamp)", () => {
    expect(parseZnsDelivery(v.raw_body)).toEqual({
      msgId: "15a0cc0bbb13bd4ce403",
      trackingId: "tracking_id",
      deliveredAt: new Date(1602960467432),
      recipient: "84123456789",
    });
    expect(parseZnsDelivery(v.raw_body.replace("user_received_message", "change_template_status"))).toBeNull();
    expect(parseZnsDelivery("{")).toBeNull();
  });
});

describe("zaloConfigFromEnv", () => {
  const base = { ZALO_APP_ID: "2074138120372622546", ZALO_APP_SECRET: "app-secret-123", ZALO_OA_REFRESH_TOKEN: "refresh-token-1", ZALO_TEMPLATE_ID_NEWS: "7895417a7d3f9461cd2e" };
  it("is null when Zalo is not configured", () => {
    expect(zaloConfigFromEnv({})).toBeNull();
  });
  it("reads the settings with defaults, the templates by id, and the webhook secret falling back to the app secret", () => {
    const c = zaloConfigFromEnv({ ...base, ZALO_RATE_PER_SECOND: "5", ZALO_API_URL: "http://127.0.0.1:9/" })!;
    expect(c).toMatchObject({ apiUrl: "http://127.0.0.1:9", oauthUrl: "https://oauth.zaloapp.com", ratePerSecond: 5, webhookSecret: "app-secret-123", templateIds: { news: "7895417a7d3f9461cd2e" } });
    expect(c.templates["7895417a7d3f9461cd2e"].name).toBe("news");
  });
  it("names the wrong variable", () => {
    expect(() => zaloConfigFromEnv({ ...base, ZALO_OA_REFRESH_TOKEN: "" })).toThrow(/ZALO_OA_REFRESH_TOKEN/);
    expect(() => zaloConfigFromEnv({ ...base, ZALO_TEMPLATE_ID_NEWS: "" })).toThrow(/ZALO_TEMPLATE_ID_NEWS/);
    expect(() => zaloConfigFromEnv({ ...base, ZALO_RATE_PER_SECOND: "-1" })).toThrow(ChannelConfigError);
  });
});
