import { AuthorizationResponseError, ResponseBodyError } from "openid-client";
import { IntegrationError } from "../errors.ts";

/**
 * What an OAuth 2.0 / OpenID Connect step ends in, as our error. `invalid_client`,
 * `unauthorized_client` and `invalid_grant` (a refresh token revoked, expired or idle) mean a
 * person must act: `reauth_required` at once, never a transient error. An ID token whose nonce,
 * issuer or audience is wrong is `rejected` with the claim as `providerCode` (`id_token.nonce`…).
 */
export function oauthError(provider: string, e: unknown, operation: string): IntegrationError {
  if (e instanceof IntegrationError) return e;
  if (e instanceof ResponseBodyError) {
    const code = e.error;
    const message = e.error_description ?? code;
    const base = { provider, operation, status: e.status, providerCode: code, providerMessage: message, cause: e };
    if (code === "invalid_client" || code === "unauthorized_client" || code === "invalid_grant") return new IntegrationError({ ...base, code: "reauth_required" });
    if (e.status === 429) return new IntegrationError({ ...base, code: "rate_limited", budget: "burst" });
    if (e.status >= 500) return new IntegrationError({ ...base, code: "transient" });
    return new IntegrationError({ ...base, code: "rejected" });
  }
  if (e instanceof AuthorizationResponseError) {
    return new IntegrationError({ code: "rejected", provider, operation, providerCode: e.error, providerMessage: e.error_description ?? e.error, cause: e });
  }
  type Detail = { claim?: string; attribute?: string; cause?: Detail };
  const err = e as { code?: string; cause?: Detail; message?: string };
  // oauth4webapi's checks of the ID token and of the callback's parameters.
  if (err?.code === "OAUTH_JWT_CLAIM_COMPARISON_FAILED" || err?.code === "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED") {
    const d = err.cause?.cause ?? err.cause;
    const claim = d?.claim ?? d?.attribute ?? "claim";
    return new IntegrationError({ code: "rejected", provider, operation, providerCode: `id_token.${claim}`, providerMessage: err.message, cause: e });
  }
  if (typeof err?.code === "string" && /^OAUTH_(INVALID_RESPONSE|JWT|JWS|MISSING|UNSUPPORTED|KEY|RESPONSE_IS_NOT)/.test(err.code) && !/fetch failed/i.test(err.message ?? "")) {
    return new IntegrationError({ code: "rejected", provider, operation, providerCode: err.code, providerMessage: err.message, cause: e });
  }
  // Network failures and unreadable replies.
  return new IntegrationError({ code: "transient", provider, operation, providerMessage: err?.message ?? String(e), cause: e });
}
