import { oauthError } from "../oidc/errors.ts";
import { IntegrationError } from "../errors.ts";
import type { ProviderResponse } from "../http/request.server.ts";
import { GraphError } from "./schemas.ts";

/**
 * Entra ID token errors. `invalid_client` (wrong or expired secret, AADSTS7000215/7000222),
 * `unauthorized_client` (app not in the tenant, AADSTS700016) and `invalid_grant` (a refresh token
 * revoked or idle for 90 days, AADSTS700082) mean a person must act: `reauth_required` at once,
 * never a transient error.
 */
export function tokenError(e: unknown, operation: string): IntegrationError {
  return oauthError("microsoft", e, operation);
}

/** A Graph reply that is not 2xx, as our error. */
export function graphError(res: ProviderResponse, operation: string): IntegrationError {
  let providerCode: string | undefined;
  let providerMessage: string | undefined;
  try {
    const body = GraphError.parse(JSON.parse(res.text));
    providerCode = body.error.code;
    providerMessage = body.error.message;
  } catch {
    providerMessage = res.text.slice(0, 200) || `HTTP ${res.status}`;
  }
  const base = { provider: "microsoft", operation, status: res.status, providerCode, providerMessage };
  if (res.status === 429 || (res.status === 503 && res.retryAt)) return new IntegrationError({ ...base, code: "rate_limited", retryAt: res.retryAt ?? new Date(Date.now() + 30_000), budget: "burst" });
  if (res.status === 401) return new IntegrationError({ ...base, code: "reauth_required" });
  if (res.status === 404) return new IntegrationError({ ...base, code: "not_found" });
  if (res.status >= 500) return new IntegrationError({ ...base, code: "transient" });
  return new IntegrationError({ ...base, code: "rejected" });
}
