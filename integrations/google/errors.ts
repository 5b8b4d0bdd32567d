import { IntegrationError } from "../errors.ts";
import { retryAfterDate } from "../channels/http.server.ts";
import { GoogleApiError } from "./schemas.ts";

/**
 * A Google API failure (a GaxiosError from @googleapis/*, or anything thrown on the way) as our
 * error: 401 UNAUTHENTICATED → the token is refused; 403 PERMISSION_DENIED → rejected (a scope not
 * granted, Classroom off for the user); 429 RESOURCE_EXHAUSTED → rate_limited until Retry-After.
 */
export function googleError(e: unknown, operation: string): IntegrationError {
  if (e instanceof IntegrationError) return e;
  const err = e as { status?: number; response?: { status?: number; data?: unknown; headers?: Headers | Record<string, string> }; message?: string };
  const status = err?.response?.status ?? err?.status;
  if (!status) return new IntegrationError({ code: "transient", provider: "google", operation, providerMessage: err?.message ?? String(e), cause: e });
  const parsed = GoogleApiError.safeParse(typeof err.response?.data === "string" ? safeJson(err.response.data) : err.response?.data);
  const base = {
    provider: "google",
    operation,
    status,
    providerCode: parsed.success ? parsed.data.error.status : undefined,
    providerMessage: parsed.success ? parsed.data.error.message : (err.message ?? `HTTP ${status}`),
    cause: e,
  };
  if (status === 429) {
    const h = err.response?.headers;
    const raw = h instanceof Headers ? (h.get("retry-after") ?? undefined) : h?.["retry-after"];
    return new IntegrationError({ ...base, code: "rate_limited", retryAt: retryAfterDate(raw, new Date()) ?? new Date(Date.now() + 60_000), budget: "burst" });
  }
  if (status === 401) return new IntegrationError({ ...base, code: "reauth_required" });
  if (status === 404) return new IntegrationError({ ...base, code: "not_found" });
  if (status >= 500) return new IntegrationError({ ...base, code: "transient" });
  return new IntegrationError({ ...base, code: "rejected" });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
