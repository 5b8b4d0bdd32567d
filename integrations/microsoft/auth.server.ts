/**
 * Tokens for a school's Entra ID app: the client-credentials grant (application permissions),
 * through openid-client against the tenant's v2.0 token endpoint; and the same app's OpenID flows
 * in the tenant — signing in, and a teacher's delegated grant (`offline_access`, online meetings).
 */
import * as oidc from "openid-client";
import { authorizationUrl, exchangeCode, isLocalHttp, type FlowSecrets, type OidcClient, type TokenSet } from "../oidc/flow.server.ts";
import type { SignedInAccount } from "../ports.ts";
import { GRAPH_APP_SCOPE, GRAPH_DELEGATED_SCOPES, type MicrosoftConfig } from "./config.ts";
import { tokenError } from "./errors.ts";

export type AppCredentials = { tenantId: string; clientId: string; clientSecret: string };
export type AccessToken = { accessToken: string; expiresAt: Date };

/** openid-client's view of one tenant's authority, built from its documented endpoints. */
export function tenantConfiguration(cfg: MicrosoftConfig, creds: AppCredentials): oidc.Configuration {
  const authority = `${cfg.loginUrl.replace(/\/$/, "")}/${encodeURIComponent(creds.tenantId)}`;
  const config = new oidc.Configuration(
    {
      issuer: `${authority}/v2.0`,
      token_endpoint: `${authority}/oauth2/v2.0/token`,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
    },
    creds.clientId,
    undefined,
    oidc.ClientSecretPost(creds.clientSecret),
  );
  if (isLocalHttp(cfg.loginUrl)) oidc.allowInsecureRequests(config);
  return config;
}

export async function appToken(cfg: MicrosoftConfig, creds: AppCredentials, now = new Date()): Promise<AccessToken> {
  try {
    const res = await oidc.clientCredentialsGrant(tenantConfiguration(cfg, creds), { scope: GRAPH_APP_SCOPE });
    return { accessToken: res.access_token, expiresAt: new Date(now.getTime() + (res.expires_in ?? 3600) * 1000) };
  } catch (e) {
    throw tokenError(e, "token.client_credentials");
  }
}

/** The school's app as an OpenID client of its own tenant (discovered at `<tenant>/v2.0`). */
export function tenantOidcClient(cfg: MicrosoftConfig, creds: AppCredentials): OidcClient {
  return { provider: "microsoft", issuer: `${cfg.loginUrl.replace(/\/$/, "")}/${encodeURIComponent(creds.tenantId)}/v2.0`, clientId: creds.clientId, clientSecret: creds.clientSecret };
}

export function entraAuthorizationUrl(client: OidcClient, p: { purpose: "sign_in" | "delegated"; redirectUri: string; secrets: FlowSecrets; loginHint?: string }): Promise<string> {
  const scopes = p.purpose === "sign_in" ? ["openid", "profile", "email"] : GRAPH_DELEGATED_SCOPES;
  const extra: Record<string, string> = p.purpose === "sign_in" ? { prompt: "select_account" } : {};
  if (p.loginHint) extra.login_hint = p.loginHint;
  return authorizationUrl(client, { redirectUri: p.redirectUri, scopes, secrets: p.secrets, extra });
}

/**
 * Entra ID's ID token carries no `email_verified`: the address (`email`, else the user name) is
 * the tenant's own, so it is as good as the tenant it comes from (`tid`, compared by the caller).
 */
export async function entraExchange(client: OidcClient, callbackUrl: URL, secrets: FlowSecrets): Promise<{ tokens: TokenSet; account: SignedInAccount }> {
  const { tokens, claims } = await exchangeCode(client, callbackUrl, secrets);
  const email = (claims.email ?? claims.preferred_username ?? "").toLowerCase();
  const valid = /^[^@\s]+@[^@\s]+$/.test(email);
  return {
    tokens,
    account: { issuer: claims.iss, subject: claims.sub, email: valid ? email : null, emailVerified: valid, organization: claims.tid ?? null, name: claims.name ?? null },
  };
}

/**
 * The hub's own multi-tenant app (any organisation's account, `/organizations`): plain OAuth 2.0
 * for a teacher's delegated grant — no ID token is asked for (its issuer is the user's tenant,
 * unknown in advance); who granted it is read from Graph `/me`.
 */
export function organizationsClient(cfg: MicrosoftConfig, clientId: string, clientSecret: string): OidcClient {
  const base = `${cfg.loginUrl.replace(/\/$/, "")}/organizations`;
  return { provider: "microsoft", issuer: `${base}/v2.0`, clientId, clientSecret, endpoints: { authorization_endpoint: `${base}/oauth2/v2.0/authorize`, token_endpoint: `${base}/oauth2/v2.0/token` } };
}

/** The delegated scopes without OpenID (for `organizationsClient`). */
export const GRAPH_TEACHER_SCOPES = GRAPH_DELEGATED_SCOPES.filter((s) => !["openid", "profile", "email"].includes(s));
