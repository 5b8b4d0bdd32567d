/** Why a web flow's callback was refused, each with its message under `oauth.refused.<reason>`. */
const OAUTH_REFUSALS = [
  "state_missing",
  "state_unknown",
  "state_used",
  "state_expired",
  "state_foreign",
  "email_unverified",
  "wrong_domain",
  "not_workspace",
  "no_refresh_token",
  "provider_refused",
  "access_denied",
  "unknown_account",
  "other_school",
  "identity_taken",
  "deactivated",
  "not_configured",
] as const;

export type OAuthRefusal = (typeof OAUTH_REFUSALS)[number];

/** A reason from a URL, or the general one. */
export function oauthRefusal(reason: string): (typeof OAUTH_REFUSALS)[number] {
  return (OAUTH_REFUSALS as readonly string[]).includes(reason) ? (reason as (typeof OAUTH_REFUSALS)[number]) : "provider_refused";
}

