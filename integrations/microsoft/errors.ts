import { oauthError } from "../oidc/errors.ts";
import { IntegrationError } from "../errors.ts";

/**
 * Entra ID token errors. `invalid_client` (wrong or expired secret, AADSTS7000215/7000222),
 * `unauthorized_client` (app not in the tenant, AADSTS700016) and `invalid_grant` (a refresh token
 * revoked or idle for 90 days, AADSTS700082) mean a person must act: `reauth_required` at once,
 * never a transient error.
 */
export function tokenError(e: unknown, operation: string): IntegrationError {
  return oauthError("microsoft", e, operation);
}
