import { IntegrationError } from "../errors.ts";
import type { ProviderResponse } from "../http/request.server.ts";
import { nextUtcMidnight } from "./mapping.ts";
import { OAuthError, RestError } from "./schemas.ts";

function body<T>(schema: { safeParse: (v: unknown) => { success: true; data: T } | { success: false } }, text: string): T | undefined {
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The token endpoint's refusals: `invalid_client` (wrong or rotated secret, an app deactivated)
 * and `invalid_grant`/`invalid_request` naming the account mean a person must act at once.
 */
export function tokenError(res: ProviderResponse, operation: string): IntegrationError {
  const b = body(OAuthError, res.text);
  const base = { provider: "zoom", operation, status: res.status, providerCode: b?.error, providerMessage: b?.reason ?? b?.error_description ?? (res.text.slice(0, 200) || `HTTP ${res.status}`) };
  if (res.status === 429) return new IntegrationError({ ...base, code: "rate_limited", retryAt: res.retryAt ?? new Date(Date.now() + 60_000), budget: "burst" });
  if (res.status >= 500) return new IntegrationError({ ...base, code: "transient" });
  if (res.status === 400 || res.status === 401) return new IntegrationError({ ...base, code: "reauth_required" });
  return new IntegrationError({ ...base, code: "rejected" });
}

/** Zoom's refusal of a host's 101st meeting create or update in one UTC day. */
export const DAILY_MEETING_WRITES = /daily rate limit \(\d+\) of Meeting Create\/Update/i;

/** A REST reply that is not 2xx. A daily limit (X-RateLimit-Type: Daily-limit) waits until the date Zoom gives. */
export function restError(res: ProviderResponse, operation: string): IntegrationError {
  const b = body(RestError, res.text);
  const base = { provider: "zoom", operation, status: res.status, providerCode: b?.code, providerMessage: b?.message || res.text.slice(0, 200) || `HTTP ${res.status}` };
  if (res.status === 429 && DAILY_MEETING_WRITES.test(base.providerMessage)) {
    // Per host user, counted in UTC days; Zoom sends no Retry-After with it.
    return new IntegrationError({ ...base, code: "rate_limited", retryAt: nextUtcMidnight(), budget: "per_user_day" });
  }
  if (res.status === 429) {
    const daily = String(res.headers["x-ratelimit-type"] ?? "").toLowerCase().startsWith("daily");
    return new IntegrationError({ ...base, code: "rate_limited", retryAt: res.retryAt ?? new Date(Date.now() + 1000), budget: daily ? "per_account_day" : "burst" });
  }
  if (res.status === 401) return new IntegrationError({ ...base, code: "reauth_required" });
  if (res.status === 404) return new IntegrationError({ ...base, code: "not_found" });
  if (res.status >= 500) return new IntegrationError({ ...base, code: "transient" });
  return new IntegrationError({ ...base, code: "rejected" });
}
