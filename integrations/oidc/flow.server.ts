/**
 * The OAuth 2.0 / OpenID Connect web flow through openid-client, shared by Google and Entra ID:
 * discovery (cached per issuer and client for ten minutes), the authorization URL with PKCE (S256),
 * `state` and `nonce`, the code exchange that checks the ID token (signature against the JWKS,
 * issuer, audience, expiry, nonce), the refresh grant and revocation. Plain http is allowed only
 * for a fake on this machine.
 */
import * as oidc from "openid-client";
import { oauthError } from "./errors.ts";

/**
 * One OAuth client at one provider. An OpenID provider is found by discovery from `issuer`; a plain
 * OAuth 2.0 server (Zoom) gives its endpoints in `endpoints` and takes HTTP Basic client auth.
 */
export type OidcClient = {
  provider: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  endpoints?: { authorization_endpoint: string; token_endpoint: string; revocation_endpoint?: string };
};

export type TokenSet = { accessToken: string; refreshToken?: string; expiresAt: Date; scopes: string[] };

/** The ID token's claims that the hub reads. */
export type IdClaims = {
  iss: string;
  sub: string;
  aud: string | string[];
  email?: string;
  email_verified?: boolean;
  name?: string;
  /** Google Workspace domain. */
  hd?: string;
  /** Entra ID tenant and its user name. */
  tid?: string;
  preferred_username?: string;
};

/** Plain http is allowed only for a fake on this machine. */
export function isLocalHttp(url: string): boolean {
  const u = new URL(url);
  return u.protocol === "http:" && (u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]");
}

const TEN_MINUTES = 10 * 60_000;
const configurations = new Map<string, { at: number; config: Promise<oidc.Configuration> }>();

export function oidcConfiguration(c: OidcClient): Promise<oidc.Configuration> {
  const key = `${c.issuer}\n${c.clientId}\n${c.clientSecret}\n${c.endpoints?.token_endpoint ?? ""}`;
  const hit = configurations.get(key);
  if (hit && Date.now() - hit.at < TEN_MINUTES) return hit.config;
  const config = (async () => {
    try {
      const local = isLocalHttp(c.issuer);
      if (c.endpoints) {
        const conf = new oidc.Configuration({ issuer: c.issuer, ...c.endpoints }, c.clientId, undefined, oidc.ClientSecretBasic(c.clientSecret));
        if (local) oidc.allowInsecureRequests(conf);
        return conf;
      }
      const conf = await oidc.discovery(new URL(c.issuer), c.clientId, undefined, oidc.ClientSecretPost(c.clientSecret), {
        execute: local ? [oidc.allowInsecureRequests] : [],
        timeout: 10,
      });
      oidc.enableNonRepudiationChecks(conf);
      return conf;
    } catch (e) {
      configurations.delete(key);
      throw oauthError(c.provider, e, "oidc.discovery");
    }
  })();
  configurations.set(key, { at: Date.now(), config });
  return config;
}

/** What the browser keeps (`state`) and what the hub keeps for the callback. */
export type FlowSecrets = { state: string; nonce: string; codeVerifier: string };

export function newFlowSecrets(): FlowSecrets {
  return { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
}

export async function authorizationUrl(
  c: OidcClient,
  p: { redirectUri: string; scopes: string[]; secrets: FlowSecrets; extra?: Record<string, string> },
): Promise<string> {
  const config = await oidcConfiguration(c);
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: p.redirectUri,
    response_type: "code",
    ...(p.scopes.length ? { scope: p.scopes.join(" ") } : {}),
    state: p.secrets.state,
    ...(p.scopes.includes("openid") ? { nonce: p.secrets.nonce } : {}),
    code_challenge: await oidc.calculatePKCECodeChallenge(p.secrets.codeVerifier),
    code_challenge_method: "S256",
    ...p.extra,
  });
  return url.toString();
}

function tokenSet(res: oidc.TokenEndpointResponse, now: Date, fallbackScopes: string[] = []): TokenSet {
  return {
    accessToken: res.access_token,
    refreshToken: res.refresh_token,
    expiresAt: new Date(now.getTime() + (res.expires_in ?? 3600) * 1000),
    scopes: res.scope ? res.scope.split(/\s+/).filter(Boolean) : fallbackScopes,
  };
}

/**
 * The callback: exchange the code (with the PKCE verifier) and check the ID token. `state` must
 * already have been matched to what the hub stored; openid-client checks it again against the URL.
 */
export async function exchangeCode(c: OidcClient, callbackUrl: URL, secrets: FlowSecrets, now = new Date()): Promise<{ tokens: TokenSet; claims: IdClaims }> {
  const r = await exchange(c, callbackUrl, secrets, true, now);
  return { tokens: r.tokens, claims: r.claims! };
}

/** The same for a plain OAuth 2.0 server (no ID token: who granted it is asked of the API). */
export async function exchangeOAuthCode(c: OidcClient, callbackUrl: URL, secrets: FlowSecrets, now = new Date()): Promise<TokenSet> {
  return (await exchange(c, callbackUrl, secrets, false, now)).tokens;
}

async function exchange(c: OidcClient, callbackUrl: URL, secrets: FlowSecrets, openid: boolean, now: Date): Promise<{ tokens: TokenSet; claims?: IdClaims }> {
  const config = await oidcConfiguration(c);
  try {
    const res = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: secrets.codeVerifier,
      expectedState: secrets.state,
      ...(openid ? { expectedNonce: secrets.nonce, idTokenExpected: true } : {}),
    });
    if (!openid) return { tokens: tokenSet(res, now) };
    const claims = res.claims() as unknown as IdClaims | undefined;
    if (!claims) throw new Error("no ID token");
    return { tokens: tokenSet(res, now), claims };
  } catch (e) {
    throw oauthError(c.provider, e, "token.authorization_code");
  }
}

/** A new access token (and, where the provider rotates them, a new refresh token). */
export async function refreshGrant(c: OidcClient, refreshToken: string, now = new Date()): Promise<TokenSet> {
  const config = await oidcConfiguration(c);
  try {
    const res = await oidc.refreshTokenGrant(config, refreshToken);
    return tokenSet(res, now);
  } catch (e) {
    throw oauthError(c.provider, e, "token.refresh");
  }
}

/** Revoke at the provider when it offers revocation (Google does; Entra ID has no endpoint). */
export async function revokeToken(c: OidcClient, token: string): Promise<"revoked" | "unsupported"> {
  const config = await oidcConfiguration(c);
  if (!config.serverMetadata().revocation_endpoint) return "unsupported";
  if (c.endpoints) {
    // Zoom takes the token in the query string with Basic client auth and answers {status}.
    const res = await fetch(`${c.endpoints.revocation_endpoint}?token=${encodeURIComponent(token)}`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString("base64")}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw oauthError(c.provider, new Error(`revocation answered ${res.status}`), "token.revoke");
    return "revoked";
  }
  try {
    await oidc.tokenRevocation(config, token);
    return "revoked";
  } catch (e) {
    throw oauthError(c.provider, e, "token.revoke");
  }
}
