/**
 * A local Zoom following its documented contract: `POST /oauth/token` with
 * `grant_type=account_credentials` (in the query, as Zoom documents, or a form body, as its SDK
 * sends) and HTTP Basic client credentials; `{reason, error}` refusals; Bearer tokens of an hour;
 * `GET /v2/users/me`; `{code, message}` errors (124 invalid access token); 429 with the real
 * rate-limit headers; 5xx for a while. For a user-managed OAuth app (a teacher's own account):
 * `GET /oauth/authorize`, the authorization_code and refresh_token grants with Basic client auth
 * (refresh tokens rotate; a used or revoked one is `invalid_grant` "Invalid Token!"), and
 * `POST /oauth/revoke`.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { OidcCore, type FakeOidcAccount, type FakeOidcClient } from "../oidc/core.ts";

export type FakeZoomAccount = { accountId: string; clientId: string; clientSecret: string; user: { id: string; email: string; first_name: string; last_name: string; display_name?: string } };

export type FakeZoom = {
  url: string;
  accounts: Map<string, FakeZoomAccount>;
  calls: { token: number; me: number; revoke: number };
  /** The user-managed OAuth app's authorization server (teachers' own accounts). */
  oauth: OidcCore;
  /** The next N API calls answer 429 (per-second or daily, with Retry-After). */
  throttleNext: (n: number, type: "QPS" | "Daily-limit", retryAfter?: string) => void;
  failNext: (n: number) => void;
  revokeTokens: () => void;
  close: () => Promise<void>;
};

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json;charset=UTF-8", ...headers });
  res.end(JSON.stringify(body));
}

export async function startFakeZoom(accounts: FakeZoomAccount[], userApp: { clients: FakeOidcClient[]; users: FakeOidcAccount[] } = { clients: [], users: [] }): Promise<FakeZoom> {
  const byId = new Map(accounts.map((a) => [a.accountId, a]));
  const tokens = new Map<string, { accountId: string; expiresAt: number }>();
  const calls = { token: 0, me: 0, revoke: 0 };
  let base = "";
  const oauth = new OidcCore({
    clients: userApp.clients,
    accounts: userApp.users,
    rotateRefreshTokens: true,
    wantsRefreshToken: () => true,
    invalidGrant: () => ({ reason: "Invalid Token!", error: "invalid_grant" }),
  });
  let throttle: { n: number; type: "QPS" | "Daily-limit"; retryAfter?: string } = { n: 0, type: "QPS" };
  let fail = 0;

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    if (url.pathname === "/oauth/authorize" && req.method === "GET") {
      const r = oauth.authorize(url.searchParams, base);
      if ("redirect" in r) {
        res.writeHead(302, { location: r.redirect });
        return res.end();
      }
      res.writeHead(r.status, { "content-type": "text/plain; charset=utf-8" });
      return res.end(r.text);
    }
    if (url.pathname === "/oauth/revoke" && req.method === "POST") {
      calls.revoke++;
      oauth.revoke(url.searchParams.get("token") ?? form.get("token") ?? "");
      return json(res, 200, { status: "success" });
    }
    if (url.pathname === "/oauth/token" && req.method === "POST") {
      calls.token++;
      const grant = url.searchParams.get("grant_type") ?? form.get("grant_type");
      if (grant === "authorization_code" || grant === "refresh_token") {
        const r = await oauth.token(form, req.headers.authorization);
        return json(res, r.status, r.status === 200 ? { ...r.body, token_type: "bearer" } : r.body);
      }
      const accountId = url.searchParams.get("account_id") ?? form.get("account_id");
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      const [clientId, clientSecret] = basic ? Buffer.from(basic, "base64").toString("utf8").split(":") : [];
      const account = accountId ? byId.get(accountId) : undefined;
      if (grant !== "account_credentials") return json(res, 400, { reason: "Unsupported grant type", error: "unsupported_grant_type" });
      if (!account || account.clientId !== clientId || account.clientSecret !== clientSecret) {
        return json(res, 400, { reason: "Invalid client_id or client_secret", error: "invalid_client" });
      }
      const token = crypto.randomBytes(24).toString("base64url");
      tokens.set(token, { accountId: account.accountId, expiresAt: Date.now() + 3600_000 });
      return json(res, 200, { access_token: token, token_type: "bearer", expires_in: 3599, scope: "user:read:admin meeting:write:admin", api_url: "https://api.zoom.us" });
    }
    if (url.pathname === "/v2/users/me" && req.method === "GET") {
      calls.me++;
      if (throttle.n > 0) {
        throttle.n--;
        const daily = throttle.type === "Daily-limit";
        return json(
          res,
          429,
          { code: 429, message: daily ? "You have exceeded the daily rate limit of API requests permitted for this account." : "You have reached the maximum per-second rate limit for this API. Try again later." },
          { "x-ratelimit-category": "Light", "x-ratelimit-type": throttle.type, "x-ratelimit-limit": daily ? "6000" : "30", "x-ratelimit-remaining": "0", ...(throttle.retryAfter ? { "retry-after": throttle.retryAfter } : {}) },
        );
      }
      if (fail > 0) {
        fail--;
        return json(res, 502, { code: 502, message: "Bad gateway" });
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      const user = oauth.bearer(req.headers.authorization);
      if (user) {
        const [first, ...rest] = user.account.name.split(" ").reverse();
        return json(res, 200, { id: user.account.sub, email: user.account.email, first_name: rest.reverse().join(" "), last_name: first, account_id: `acct-${user.account.sub}`, type: 1, status: "active" });
      }
      const issued = bearer ? tokens.get(bearer) : undefined;
      if (!issued || issued.expiresAt < Date.now()) return json(res, 401, { code: 124, message: "Invalid access token." });
      const a = byId.get(issued.accountId)!;
      return json(res, 200, { ...a.user, account_id: a.accountId, type: 2, status: "active", timezone: "Asia/Ho_Chi_Minh" });
    }
    json(res, 404, { code: 404, message: `No route ${req.method} ${url.pathname}` });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    accounts: byId,
    calls,
    oauth,
    throttleNext: (n, type, retryAfter) => (throttle = { n, type, retryAfter }),
    failNext: (n) => (fail = n),
    revokeTokens: () => {
      for (const t of tokens.values()) t.expiresAt = 0;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
