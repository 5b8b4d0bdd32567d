/**
 * A local Entra ID token endpoint and Graph `/organization`, following Microsoft's documented
 * contract: the v2.0 client-credentials grant (client_secret_post; AADSTS errors as
 * `{error, error_description}`), Bearer tokens with an expiry, Graph errors as
 * `{error:{code,message}}`, 429 with a decimal `Retry-After`, 503 for a while.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export type FakeTenant = { tenantId: string; clientId: string; clientSecret: string; displayName: string; domain: string };

export type FakeMicrosoft = {
  url: string;
  tenants: Map<string, FakeTenant>;
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

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (token && req.method === "POST") {
      calls.token++;
      const form = new URLSearchParams(await readBody(req));
      const tenant = byId.get(decodeURIComponent(token[1]));
      if (!tenant) {
        return json(res, 400, { error: "invalid_request", error_description: `AADSTS90002: Tenant '${token[1]}' not found. Check to make sure you have the correct tenant ID.`, error_codes: [90002] });
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
    json(res, 404, { error: { code: "ResourceNotFound", message: `No route ${req.method} ${url.pathname}` } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tenants: byId,
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
