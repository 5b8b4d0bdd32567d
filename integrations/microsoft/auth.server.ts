/**
 * Tokens for a school's Entra ID app: the client-credentials grant (application permissions),
 * through openid-client against the tenant's v2.0 token endpoint.
 */
import * as oidc from "openid-client";
import { isLocalHttp } from "../oidc/flow.server.ts";
import { GRAPH_APP_SCOPE, type MicrosoftConfig } from "./config.ts";
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
