/**
 * Server-to-Server OAuth: `grant_type=account_credentials` for the app's own account, client id
 * and secret in HTTP Basic. Zoom's documentation puts the grant in the query string and its SDK in
 * a form body; we send the form body. A teacher's own account goes through the hub's user-managed
 * app instead (authorization code, rotating refresh tokens).
 */
import { IntegrationError } from "../errors.ts";
import { jsonOf, providerRequest, type ProviderCall } from "../http/request.server.ts";
import { authorizationUrl, exchangeOAuthCode, type FlowSecrets, type OidcClient, type TokenSet } from "../oidc/flow.server.ts";
import { zoomUserEndpoints, type ZoomConfig, type ZoomCredentials } from "./config.ts";
import { tokenError } from "./errors.ts";
import { TokenReply } from "./schemas.ts";

export type AccessToken = { accessToken: string; expiresAt: Date };

export async function s2sToken(cfg: ZoomConfig, creds: ZoomCredentials, opts: Pick<ProviderCall, "onAttempt"> = {}): Promise<AccessToken> {
  const operation = "token.account_credentials";
  const res = await providerRequest({
    provider: "zoom",
    operation,
    method: "POST",
    url: `${cfg.oauthUrl.replace(/\/$/, "")}/oauth/token`,
    headers: {
      authorization: `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`, "utf8").toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: new URLSearchParams({ grant_type: "account_credentials", account_id: creds.accountId }).toString(),
    // Asking for a token twice only mints two tokens.
    idempotent: true,
    ...opts,
  });
  if (res.status !== 200) throw tokenError(res, operation);
  const parsed = TokenReply.safeParse(jsonOf(res, "zoom", operation));
  if (!parsed.success) throw new IntegrationError({ code: "contract", provider: "zoom", operation, providerMessage: parsed.error.issues[0]?.message });
  return { accessToken: parsed.data.access_token, expiresAt: new Date(Date.now() + parsed.data.expires_in * 1000) };
}

/** A teacher's own account through the hub's user-managed OAuth app (plain OAuth 2.0, Basic auth). */
export function zoomUserClient(cfg: ZoomConfig, clientId: string, clientSecret: string): OidcClient {
  return { provider: "zoom", issuer: new URL(cfg.oauthUrl).origin, clientId, clientSecret, endpoints: zoomUserEndpoints(cfg) };
}

export function zoomAuthorizationUrl(client: OidcClient, p: { redirectUri: string; secrets: FlowSecrets }): Promise<string> {
  // The app's scopes are set in its Marketplace page, not asked for here.
  return authorizationUrl(client, { redirectUri: p.redirectUri, scopes: [], secrets: p.secrets });
}

export function zoomExchange(client: OidcClient, callbackUrl: URL, secrets: FlowSecrets): Promise<TokenSet> {
  return exchangeOAuthCode(client, callbackUrl, secrets);
}
