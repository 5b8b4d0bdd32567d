/**
 * A local Entra ID token endpoint and Graph `/organization`, following Microsoft's documented
 * contract: the v2.0 client-credentials grant (client_secret_post; AADSTS errors as
 * `{error, error_description}`), Bearer tokens with an expiry, Graph errors as
 * `{error:{code,message}}`, 429 with a decimal `Retry-After`, 503 for a while. For sign-in and
 * the delegated flow: each tenant's v2.0 discovery document and keys, the authorization endpoint,
 * the code and refresh grants (refresh tokens rotate; a refresh token only with `offline_access`;
 * AADSTS70008 / AADSTS50173 for a dead one) and Graph `/me`.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { OidcCore, type FakeOidcAccount } from "../oidc/core.ts";

/** A tenant with its one app registration and, for sign-in and delegated flows, its people. */
export type FakeTenant = { tenantId: string; clientId: string; clientSecret: string; displayName: string; domain: string; accounts?: Omit<FakeOidcAccount, "tid">[] };

export type FakeMicrosoft = {
  url: string;
  tenants: Map<string, FakeTenant>;
  /** The OpenID provider behind every tenant's authorize and token endpoints (delegated flows). */
  oidc: OidcCore;
  /** Calls received, by route ("token", "organization"). */
  calls: Record<string, number>;
  /** The next N Graph calls answer 429 with this Retry-After. */
  throttleNext: (n: number, retryAfter: string) => void;
  /** The next N Graph calls answer 503. */
  failNext: (n: number) => void;
  /** Graph answers 403 Authorization_RequestDenied (admin consent missing). */
  denyOrganization: (deny: boolean) => void;
  /** Expire every token issued so far (Graph then answers 401 InvalidAuthenticationToken). */
  revokeTokens: () => void;
  close: () => Promise<void>;
};

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeMicrosoft(tenants: FakeTenant[]): Promise<FakeMicrosoft> {
  const byId = new Map(tenants.map((t) => [t.tenantId, t]));
  const tokens = new Map<string, { tenantId: string; expiresAt: number }>();
  const calls: Record<string, number> = { token: 0, organization: 0 };
  let throttle = { n: 0, retryAfter: "1" };
  let fail = 0;
  let deny = false;
  let base = "";
  const oidc = new OidcCore({
    clients: tenants.map((t) => ({ clientId: t.clientId, clientSecret: t.clientSecret })),
    accounts: tenants.flatMap((t) => (t.accounts ?? []).map((a) => ({ ...a, tid: t.tenantId }))),
    rotateRefreshTokens: true,
    wantsRefreshToken: (p) => (p.get("scope") ?? "").split(" ").includes("offline_access"),
    invalidGrant: (kind) =>
      kind === "refresh"
        ? { error: "invalid_grant", error_description: "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed.", error_codes: [50173] }
        : { error: "invalid_grant", error_description: "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.", error_codes: [70008] },
  });
  const issuerOf = (tenantId: string) => `${base}/${tenantId}/v2.0`;

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const discovery = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (discovery) {
      const t = byId.get(decodeURIComponent(discovery[1]));
      if (!t) return json(res, 400, { error: "invalid_tenant", error_description: `AADSTS90002: Tenant '${discovery[1]}' not found.` });
      const a = `${base}/${t.tenantId}`;
      return json(res, 200, {
        token_endpoint: `${a}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        jwks_uri: `${a}/discovery/v2.0/keys`,
        response_modes_supported: ["query", "fragment", "form_post"],
        subject_types_supported: ["pairwise"],
        id_token_signing_alg_values_supported: ["RS256"],
        response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
        scopes_supported: ["openid", "profile", "email", "offline_access"],
        issuer: issuerOf(t.tenantId),
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${base}/oidc/userinfo`,
        authorization_endpoint: `${a}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${a}/oauth2/v2.0/logout`,
        claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        tenant_region_scope: "AS",
      });
    }
    if (/^\/[^/]+\/discovery\/v2\.0\/keys$/.test(url.pathname)) return json(res, 200, oidc.jwks());
    const authorize = /^\/([^/]+)\/oauth2\/v2\.0\/authorize$/.exec(url.pathname);
    if (authorize && req.method === "GET") {
      calls.authorize = (calls.authorize ?? 0) + 1;
      const t = byId.get(decodeURIComponent(authorize[1]));
      const r = t && t.clientId === url.searchParams.get("client_id") ? oidc.authorize(url.searchParams, issuerOf(t.tenantId)) : { status: 400, text: "AADSTS700016: Application not found in the directory." };
      if ("redirect" in r) {
        res.writeHead(302, { location: r.redirect });
        return res.end();
      }
      res.writeHead(r.status, { "content-type": "text/plain; charset=utf-8" });
      return res.end(r.text);
    }
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (token && req.method === "POST") {
      calls.token++;
      const form = new URLSearchParams(await readBody(req));
      const tenant = byId.get(decodeURIComponent(token[1]));
      if (!tenant) {
        return json(res, 400, { error: "invalid_request", error_description: `AADSTS90002: Tenant '${token[1]}' not found. Check to make sure you have the correct tenant ID.`, error_codes: [90002] });
      }
      if (form.get("grant_type") === "authorization_code" || form.get("grant_type") === "refresh_token") {
        const r = await oidc.token(form, req.headers.authorization);
        return json(res, r.status, r.body);
      }
      if (form.get("grant_type") !== "client_credentials") return json(res, 400, { error: "unsupported_grant_type", error_description: "AADSTS70003: The app requested an unsupported grant type." });
      if (form.get("client_id") !== tenant.clientId) {
        return json(res, 400, { error: "unauthorized_client", error_description: `AADSTS700016: Application with identifier '${form.get("client_id")}' was not found in the directory.`, error_codes: [700016] });
      }
      if (form.get("client_secret") !== tenant.clientSecret) {
        return json(res, 401, { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.", error_codes: [7000215] });
      }
      if (form.get("scope") !== "https://graph.microsoft.com/.default") {
        return json(res, 400, { error: "invalid_scope", error_description: "AADSTS1002012: The provided value for scope is not valid." });
      }
      const accessToken = crypto.randomBytes(24).toString("base64url");
      tokens.set(accessToken, { tenantId: tenant.tenantId, expiresAt: Date.now() + 3599_000 });
      return json(res, 200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: accessToken });
    }
    if (url.pathname === "/v1.0/organization" && req.method === "GET") {
      calls.organization++;
      if (throttle.n > 0) {
        throttle.n--;
        return json(res, 429, { error: { code: "TooManyRequests", message: "Please retry again later.", innerError: {} } }, { "retry-after": throttle.retryAfter });
      }
      if (fail > 0) {
        fail--;
        return json(res, 503, { error: { code: "ServiceUnavailable", message: "Service is temporarily unavailable." } });
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      const issued = bearer ? tokens.get(bearer) : undefined;
      if (!issued || issued.expiresAt < Date.now()) {
        return json(res, 401, { error: { code: "InvalidAuthenticationToken", message: "Access token validation failure. Invalid audience." } });
      }
      if (deny) return json(res, 403, { error: { code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." } });
      const tenant = byId.get(issued.tenantId)!;
      return json(res, 200, {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#organization",
        value: [{ id: tenant.tenantId, displayName: tenant.displayName, verifiedDomains: [{ name: tenant.domain, isDefault: true, isInitial: false, type: "Managed" }] }],
      });
    }
    if (url.pathname === "/v1.0/me" && req.method === "GET") {
      calls.me = (calls.me ?? 0) + 1;
      const t = oidc.bearer(req.headers.authorization);
      if (!t) return json(res, 401, { error: { code: "InvalidAuthenticationToken", message: "Access token has expired or is not yet valid." } });
      return json(res, 200, { id: t.account.sub, displayName: t.account.name, mail: t.account.email, userPrincipalName: t.account.email });
    }
    json(res, 404, { error: { code: "ResourceNotFound", message: `No route ${req.method} ${url.pathname}` } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    tenants: byId,
    oidc,
    calls,
    throttleNext: (n, retryAfter) => (throttle = { n, retryAfter }),
    failNext: (n) => (fail = n),
    denyOrganization: (d) => (deny = d),
    revokeTokens: () => {
      for (const t of tokens.values()) t.expiresAt = 0;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
