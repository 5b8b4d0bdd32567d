import { describe, expect, it } from "vitest";
import { restError } from "./errors.ts";

const DAILY = '{"code":429,"message":"You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00."}';

describe("restError", () => {
  it("the host's daily meeting create/update limit waits until 00:00 UTC, per user", () => {
    const e = restError({ status: 429, headers: { "x-ratelimit-category": "Light" }, text: DAILY }, "meetings.create");
    expect(e).toMatchObject({ code: "rate_limited", budget: "per_user_day", providerCode: "429", retryable: true });
    const at = e.retryAt!;
    expect(at.getUTCHours() + at.getUTCMinutes() + at.getUTCSeconds() + at.getUTCMilliseconds()).toBe(0);
    expect(at.getTime() - Date.now()).toBeGreaterThan(0);
    expect(at.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
  });
  it("a per-second 429 stays a burst with Retry-After; the account's daily limit per account", () => {
    const retryAt = new Date(Date.now() + 1000);
    expect(restError({ status: 429, headers: { "x-ratelimit-type": "QPS" }, text: '{"code":429,"message":"You have reached the maximum per-second rate limit for this API. Try again later."}', retryAt }, "x")).toMatchObject({ budget: "burst", retryAt });
    expect(restError({ status: 429, headers: { "x-ratelimit-type": "Daily-limit" }, text: '{"code":429,"message":"You have exceeded the daily rate limit of API requests permitted for this account."}' }, "x")).toMatchObject({ budget: "per_account_day" });
  });
  it("3001 on a 404 is not_found", () => {
    expect(restError({ status: 404, headers: {}, text: '{"code":3001,"message":"Meeting does not exist: 1."}' }, "x")).toMatchObject({ code: "not_found", providerCode: "3001" });
  });
});
