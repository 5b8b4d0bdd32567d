import { IntegrationError } from "../errors.ts";
import type { ProviderResponse } from "../http/request.server.ts";
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

/** A REST reply that is not 2xx. A daily limit (X-RateLimit-Type: Daily-limit) waits until the date Zoom gives. */
export function restError(res: ProviderResponse, operation: string): IntegrationError {
  const b = body(RestError, res.text);
  const base = { provider: "zoom", operation, status: res.status, providerCode: b?.code, providerMessage: b?.message || res.text.slice(0, 200) || `HTTP ${res.status}` };
  if (res.status === 429) {
    const daily = String(res.headers["x-ratelimit-type"] ?? "").toLowerCase().startsWith("daily");
    return new IntegrationError({ ...base, code: "rate_limited", retryAt: res.retryAt ?? new Date(Date.now() + 1000), budget: daily ? "per_account_day" : "burst" });
  }
  if (res.status === 401) return new IntegrationError({ ...base, code: "reauth_required" });
  if (res.status === 404) return new IntegrationError({ ...base, code: "not_found" });
  if (res.status >= 500) return new IntegrationError({ ...base, code: "transient" });
  return new IntegrationError({ ...base, code: "rejected" });
}
