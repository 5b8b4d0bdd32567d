/** The SMS channel against a local eSMS-style brandname gateway over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmsChannel, smsConfigFromEnv, smsRequestId, type SmsChannel, type SmsConfig } from "../../integrations/channels/sms/index.server.ts";
import type { OutgoingMessage } from "../../integrations/ports.ts";
import { startSmsFake, type SmsFake } from "../fakes/sms/server.ts";

let fake: SmsFake;
let config: SmsConfig;
let channel: SmsChannel;

const sms = (to: string, text = "Điểm mới: Nguyễn Văn An được 8,5/10 môn Toán.", link?: string): OutgoingMessage => ({ to, locale: "vi", subject: "Điểm mới", text, link });

beforeAll(async () => {
  fake = await startSmsFake();
  config = smsConfigFromEnv({ SMS_API_URL: fake.url, SMS_API_KEY: fake.apiKey, SMS_SECRET_KEY: fake.secretKey, SMS_BRANDNAME: fake.brandname, SMS_TIMEOUT_MS: "1000" })!;
  channel = createSmsChannel(config);
});

afterAll(async () => {
  await channel?.close?.();
  await fake?.close();
});

describe("SMS channel", () => {
  it("sends GSM-7 text without diacritics to the national number, with the key as RequestId", async () => {
    const r = await channel.send(sms("+84912345678", undefined, "https://lopso.test/g/1"), "ev:1:u1:sms");
    expect(r).toMatchObject({ outcome: "sent", providerMessageId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(fake.messages.at(-1)).toMatchObject({
      phone: "0912345678",
      content: "Diem moi: Nguyen Van An duoc 8,5/10 mon Toan. https://lopso.test/g/1",
      brandname: "LOPSO",
      smsType: "2",
      unicode: false,
      requestId: smsRequestId("ev:1:u1:sms"),
    });
  });

  it("a resend of the same message is recognised by the gateway (124) and counts as sent, not twice", async () => {
    const before = fake.messages.length;
    expect(await channel.send(sms("+84912345678"), "ev:1:u1:sms")).toMatchObject({ outcome: "sent" });
    expect(fake.answers.at(-1)).toBe("124");
    expect(fake.messages.length).toBe(before);
  });

  it("a long message is cut at a word with an ellipsis to fit two parts; refused when configured so", async () => {
    const long = "Thông báo: " + "Lớp 6A1 sẽ tham gia hoạt động trải nghiệm tại bảo tàng tỉnh vào sáng thứ Bảy. ".repeat(6);
    expect(await channel.send(sms("0987654321", long, "https://lopso.test/a/9"), "ev:2:u:sms")).toMatchObject({ outcome: "sent" });
    const got = fake.messages.at(-1)!.content;
    expect(got.length).toBeLessThanOrEqual(306);
    expect(got).toMatch(/[a-z]\.\.\. https:\/\/lopso\.test\/a\/9$/);
    const strict = createSmsChannel({ ...config, longText: "refuse" });
    const before = fake.messages.length;
    expect(await strict.send(sms("0987654321", long), "ev:3:u:sms")).toMatchObject({ outcome: "failed", reason: "too_long", disableAddress: false });
    expect(fake.messages.length).toBe(before);
    await strict.close?.();
  });

  it("Unicode mode keeps the diacritics and says so", async () => {
    const uni = createSmsChannel({ ...config, unicode: true });
    expect(await uni.send(sms("0987654321"), "ev:4:u:sms")).toMatchObject({ outcome: "sent" });
    expect(fake.messages.at(-1)).toMatchObject({ unicode: true, content: "Điểm mới: Nguyễn Văn An được 8,5/10 môn Toán." });
    await uni.close?.();
  });

  it("an invalid Vietnamese phone fails as invalid_address without calling the gateway", async () => {
    const calls = fake.answers.length;
    for (const to of ["+84241234567", "01234567890", "+14155550100", "0912 34"]) {
      expect(await channel.send(sms(to), "ev:5:u:sms")).toMatchObject({ outcome: "failed", reason: "invalid_address", disableAddress: true });
    }
    expect(fake.answers.length).toBe(calls);
  });

  it("maps the gateway's codes: blocked number, wrong keys, low balance, template mismatch", async () => {
    fake.failPhone("0931000099", "99", "Phone is blocked");
    fake.failPhone("0931000103", "103", "Balance not enough");
    fake.failPhone("0931000146", "146", "Sai template Brandname CSKH");
    expect(await channel.send(sms("0931000099"), "ev:6:a:sms")).toMatchObject({ outcome: "failed", reason: "blocked", disableAddress: true });
    expect(await channel.send(sms("0931000103"), "ev:6:b:sms")).toMatchObject({ outcome: "retry", reason: "quota" });
    expect(await channel.send(sms("0931000146"), "ev:6:c:sms")).toMatchObject({ outcome: "failed", reason: "rejected", message: expect.stringContaining("146") });
    const wrongKeys = createSmsChannel({ ...config, secretKey: "nope" });
    expect(await wrongKeys.send(sms("0912345678"), "ev:6:d:sms")).toMatchObject({ outcome: "failed", reason: "not_configured" });
    const wrongBrand = createSmsChannel({ ...config, brandname: "OTHER" });
    expect(await wrongBrand.send(sms("0912345678"), "ev:6:e:sms")).toMatchObject({ outcome: "failed", reason: "not_configured", message: expect.stringContaining("104") });
    await wrongKeys.close?.();
    await wrongBrand.close?.();
  });

  it("a slow gateway, a 503 and a 429 with Retry-After are retried", async () => {
    fake.delay(3000);
    try {
      const started = Date.now();
      expect(await channel.send(sms("0912345678"), "ev:7:u:sms")).toMatchObject({ outcome: "retry", reason: "transient" });
      expect(Date.now() - started).toBeLessThan(2900);
    } finally {
      fake.delay(0);
    }
    fake.failHttp(503);
    expect(await channel.send(sms("0912345678"), "ev:7:u:sms")).toMatchObject({ outcome: "retry", reason: "transient" });
    fake.failHttp(429, { "retry-after": "90" });
    const r = await channel.send(sms("0912345678"), "ev:7:u:sms");
    fake.failHttp(null);
    expect(r).toMatchObject({ outcome: "retry", reason: "rate_limited" });
    expect((r as { retryAt: Date }).retryAt.getTime() - Date.now()).toBeGreaterThan(85_000);
    // The gateway had accepted the attempt whose answer was too slow: the resend carries the same
    // RequestId, is recognised (124) and counts as sent, and the parent gets one SMS.
    expect(await channel.send(sms("0912345678"), "ev:7:u:sms")).toMatchObject({ outcome: "sent" });
    expect(fake.answers.at(-1)).toBe("124");
    expect(fake.messages.filter((m) => m.requestId === smsRequestId("ev:7:u:sms"))).toHaveLength(1);
  });
});
