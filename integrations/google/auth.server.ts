/**
 * Google's OpenID provider: the school's (or the hub's) OAuth client found by discovery, the
 * authorization URL for each purpose — a Workspace admin's consent (`access_type=offline`,
 * `prompt=consent` so that Google gives a refresh token, `hd` for the school's domain), a
 * teacher's own account, or signing in — and the account behind an ID token.
 */
import { authorizationUrl, exchangeCode, type FlowSecrets, type IdClaims, type OidcClient, type TokenSet } from "../oidc/flow.server.ts";
import type { SignedInAccount } from "../ports.ts";
import { GOOGLE_SCHOOL_SCOPES, GOOGLE_SIGN_IN_SCOPES, type GoogleConfig } from "./config.ts";

export function googleClient(cfg: GoogleConfig, clientId: string, clientSecret: string): OidcClient {
  return { provider: "google", issuer: cfg.issuer, clientId, clientSecret };
}

/** What each flow asks for: a school's grant, a teacher's own (guardians are the domain's), a sign-in. */
export type GooglePurpose = "workspace" | "teacher" | "sign_in";

export function googleScopes(purpose: GooglePurpose): string[] {
  if (purpose === "sign_in") return GOOGLE_SIGN_IN_SCOPES;
  const granted = purpose === "workspace" ? GOOGLE_SCHOOL_SCOPES : GOOGLE_SCHOOL_SCOPES.filter((s) => s.name !== "guardians");
  return [...GOOGLE_SIGN_IN_SCOPES, ...granted.map((s) => s.scope)];
}

export function googleAuthorizationUrl(
  client: OidcClient,
  p: { purpose: GooglePurpose; redirectUri: string; secrets: FlowSecrets; domain?: string | null; loginHint?: string },
): Promise<string> {
  const extra: Record<string, string> =
    p.purpose === "sign_in" ? { prompt: "select_account" } : { access_type: "offline", prompt: "consent", include_granted_scopes: "true" };
  if (p.domain) extra.hd = p.domain;
  if (p.loginHint) extra.login_hint = p.loginHint;
  return authorizationUrl(client, { redirectUri: p.redirectUri, scopes: googleScopes(p.purpose), secrets: p.secrets, extra });
}

export function googleAccount(claims: IdClaims): SignedInAccount {
  return {
    issuer: claims.iss,
    subject: claims.sub,
    email: claims.email?.toLowerCase() ?? null,
    emailVerified: claims.email_verified === true,
    organization: claims.hd?.toLowerCase() ?? null,
    name: claims.name ?? null,
  };
}

export async function googleExchange(client: OidcClient, callbackUrl: URL, secrets: FlowSecrets): Promise<{ tokens: TokenSet; account: SignedInAccount }> {
  const { tokens, claims } = await exchangeCode(client, callbackUrl, secrets);
  return { tokens, account: googleAccount(claims) };
}
