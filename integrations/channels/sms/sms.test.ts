import { describe, expect, it } from "vitest";
import { nationalPhone, vnMobileNsn, zaloPhone } from "../phone.ts";
import { smsConfigFromEnv } from "./config.ts";
import { parseSmsReport, smsOutcome } from "./errors.ts";
import { smsRequestId } from "./index.server.ts";
import { fitSms, smsLength, toGsm7 } from "./text.ts";

describe("Vietnamese mobile numbers", () => {
  it.each([
    ["+84912345678", "0912345678", "84912345678"],
    ["0987 654 321", "0987654321", "84987654321"],
    ["84 352 123 456", "0352123456", "84352123456"],
    ["+84 (70) 123-4567", "0701234567", "84701234567"],
    ["0559123456", "0559123456", "84559123456"],
  ])("%s → %s / %s", (input, national, zalo) => {
    expect(nationalPhone(input)).toBe(national);
    expect(zaloPhone(input)).toBe(zalo);
  });
  it.each(["+84212345678", "0241234567", "01234567890", "0912345", "+14155550100", "09123456789", "0501234567", "abc", ""])("%s is not a mobile", (input) => {
    expect(vnMobileNsn(input)).toBeNull();
  });
});

describe("GSM-7 without diacritics", () => {
  it("strips tones and marks, đ → d, typographic punctuation made plain", () => {
    expect(toGsm7("Điểm mới: Nguyễn Văn An được 8,5/10 môn Toán")).toBe("Diem moi: Nguyen Van An duoc 8,5/10 mon Toan");
    expect(toGsm7("ĐỖ THỊ HƯƠNG — “Ngữ văn”… Tiếng Việt lớp 6A1")).toBe('DO THI HUONG - "Ngu van"... Tieng Viet lop 6A1');
    expect(toGsm7("Thứ Hai".normalize("NFD"))).toBe("Thu Hai");
    expect(toGsm7("Chúc mừng 🎉")).toBe("Chuc mung ?");
  });
  it("counts septets (extended characters two) and parts: 160 in one, 153 per part after", () => {
    expect(smsLength("a".repeat(160), "gsm7")).toEqual({ units: 160, segments: 1 });
    expect(smsLength("a".repeat(161), "gsm7")).toEqual({ units: 161, segments: 2 });
    expect(smsLength("a".repeat(306), "gsm7")).toEqual({ units: 306, segments: 2 });
    expect(smsLength("a".repeat(307), "gsm7")).toEqual({ units: 307, segments: 3 });
    expect(smsLength("[]", "gsm7").units).toBe(4);
    expect(smsLength("ư".repeat(70), "ucs2")).toEqual({ units: 70, segments: 1 });
    expect(smsLength("ư".repeat(71), "ucs2")).toEqual({ units: 71, segments: 2 });
  });
});

describe("fitting a message", () => {
  const gsm = { encoding: "gsm7" as const, maxSegments: 1, longText: "truncate" as const };
  it("a short message is sent whole with its link", () => {
    const r = fitSms("Điểm mới: An 8,5/10 môn Toán.", "https://lopso.vn/g/1", gsm);
    expect(r).toEqual({ ok: true, content: "Diem moi: An 8,5/10 mon Toan. https://lopso.vn/g/1", segments: 1, truncated: false });
  });
  it("a long one is cut at a word boundary with an ellipsis, the link kept whole, within the parts", () => {
    const text = "Thông báo của nhà trường: " + "học sinh lớp 6A1 tham gia hoạt động trải nghiệm ngoài trời ".repeat(5);
    const link = "https://lopso.vn/a/123";
    const r = fitSms(text, link, gsm);
    if (!r.ok) throw new Error(r.message);
    expect(r.truncated).toBe(true);
    expect(r.segments).toBe(1);
    expect(smsLength(r.content, "gsm7").units).toBeLessThanOrEqual(160);
    expect(r.content.endsWith("... " + link)).toBe(true);
    const beforeEllipsis = r.content.slice(0, r.content.indexOf("..."));
    expect(toGsm7(text).startsWith(beforeEllipsis)).toBe(true);
    expect(toGsm7(text)[beforeEllipsis.length]).toBe(" ");
  });
  it("refuses instead when told to, and when the link leaves no room", () => {
    expect(fitSms("x ".repeat(200), undefined, { ...gsm, longText: "refuse" })).toMatchObject({ ok: false, message: expect.stringMatching(/at most 160/) });
    expect(fitSms("x ".repeat(200), "https://lopso.vn/" + "a".repeat(150), gsm)).toMatchObject({ ok: false });
  });
  it("in Unicode keeps the diacritics and counts 70 / 67", () => {
    const r = fitSms("Điểm mới: Nguyễn Văn An được 8,5/10 môn Toán, kiểm tra giữa kì, thứ Hai", undefined, { encoding: "ucs2", maxSegments: 2, longText: "truncate" });
    expect(r).toMatchObject({ ok: true, segments: 2, truncated: false });
    if (r.ok) expect(r.content).toContain("Nguyễn");
  });
});

describe("gateway answers", () => {
  const now = new Date("2026-12-02T08:00:00Z");
  it.each([
    ["100", "sent", undefined, undefined],
    ["124", "sent", undefined, undefined],
    ["99", "failed", "blocked", true],
    ["108", "failed", "invalid_address", true],
    ["103", "retry", "quota", undefined],
    ["101", "failed", "not_configured", false],
    ["104", "failed", "not_configured", false],
    ["146", "failed", "rejected", false],
    ["177", "failed", "rejected", false],
    ["999", "failed", "rejected", false],
  ])("%s → %s %s", (code, outcome, reason, disable) => {
    const r = smsOutcome(code, { SMSID: "x" }, now) as { outcome: string; reason?: string; disableAddress?: boolean };
    expect([r.outcome, r.reason, r.disableAddress]).toEqual([outcome, reason, disable]);
  });
  it("RequestId: the key when it fits 50 plain characters, else a stable hash", () => {
    expect(smsRequestId("abc_1")).toBe("abc_1");
    expect(smsRequestId("ev:1:2:sms")).toMatch(/^[0-9a-f]{40}$/);
    expect(smsRequestId("ev:1:2:sms")).toBe(smsRequestId("ev:1:2:sms"));
  });
});

describe("smsConfigFromEnv", () => {
  const base = { SMS_API_KEY: "k", SMS_SECRET_KEY: "s", SMS_BRANDNAME: "THCS NGDU" };
  it("is null when not configured; reads defaults", () => {
    expect(smsConfigFromEnv({})).toBeNull();
    expect(smsConfigFromEnv(base)).toMatchObject({ apiUrl: "https://rest.esms.vn/MainService.svc/json", smsType: "2", unicode: false, maxSegments: 2, longText: "truncate", ratePerSecond: 5 });
  });
  it("names the wrong setting", () => {
    expect(() => smsConfigFromEnv({ ...base, SMS_BRANDNAME: "Trường Nguyễn Du" })).toThrow(/SMS_BRANDNAME/);
    expect(() => smsConfigFromEnv({ ...base, SMS_SECRET_KEY: "" })).toThrow(/SMS_SECRET_KEY/);
    expect(() => smsConfigFromEnv({ ...base, SMS_LONG_TEXT: "cut" })).toThrow(/SMS_LONG_TEXT/);
  });
});

describe("delivery reports", () => {
  it("reads eSMS's documented callback query", () => {
    const q = new URLSearchParams("SMSID=dc712784-aaaa&SendFailed=0&SendStatus=5&SendSuccess=1&TotalPrice=850&TotalReceiver=1&TotalSent=1&RequestId=abc_1&TypeId=2&telcoid=1&phonenumber=0901888484");
    expect(parseSmsReport(q)).toEqual({ smsId: "dc712784-aaaa", requestId: "abc_1", phone: "0901888484", state: "delivered" });
    expect(parseSmsReport(new URLSearchParams("SMSID=x&SendStatus=4"))?.state).toBe("failed");
    expect(parseSmsReport(new URLSearchParams("SMSID=x&SendStatus=7"))?.state).toBe("pending");
    expect(parseSmsReport(new URLSearchParams("SendStatus=5"))).toBeNull();
  });
});
