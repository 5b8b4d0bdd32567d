/**
 * A local Entra ID token endpoint and Graph `/organization`, following Microsoft's documented
 * contract: the v2.0 client-credentials grant (client_secret_post; AADSTS errors as
 * `{error, error_description}`), Bearer tokens with an expiry, Graph errors as
 * `{error:{code,message}}`, 429 with a decimal `Retry-After`, 503 for a while. For sign-in and
 * the delegated flow: each tenant's v2.0 discovery document and keys, the authorization endpoint,
 * the code and refresh grants (refresh tokens rotate; a refresh token only with `offline_access`;
 * AADSTS70008 / AADSTS50173 for a dead one) and Graph `/me`. Teams online meetings on `/me/…`
 * (a delegated token with OnlineMeetings.ReadWrite) and `/users/{id}/…` (an app token or a
 * delegated one): create, `createOrGet` by `externalId` (201 made, 200 found), GET, PATCH,
 * DELETE (then 404), attendance reports and records paged by `@odata.nextLink` (absolute links
 * with `$skiptoken`, reading OnlineMeetingArtifact.Read.All), and 429 with a decimal Retry-After —
 * on demand, or (`limits.teamsPerTenantPer10s`, off unless set) over a tenant's documented Teams
 * limit in a sliding 10 s, counted in `calls.onlineMeetingsThrottled`.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { OidcCore, type FakeOidcAccount } from "../oidc/core.ts";
import { createFakeEducation, type FakeEducation } from "./education.ts";

/** A tenant with its one app registration and, for sign-in and delegated flows, its people. */
export type FakeTenant = { tenantId: string; clientId: string; clientSecret: string; displayName: string; domain: string; accounts?: Omit<FakeOidcAccount, "tid">[] };

/** One person's attendance as a test gives it: intervals as [join, leave | null]. */
export type FakeAttendee = { email?: string | null; userId?: string | null; name: string; role?: "Organizer" | "Presenter" | "Attendee"; intervals: [Date | string, Date | string | null][] };

export type FakeOnlineMeeting = {
  id: string;
  /** `me:<sub>` of a delegated owner or the Graph user id of `/users/{id}`. */
  owner: string;
  externalId: string | null;
  subject: string | null;
  startDateTime: string;
  endDateTime: string;
  creationDateTime: string;
  joinWebUrl: string;
  joinMeetingIdSettings: { joinMeetingId: string; passcode: string; isPasscodeRequired: boolean };
  reports: { id: string; start: string; end: string; records: Record<string, unknown>[] }[];
};

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
  /** Online meetings by id (deleted ones are gone). */
  meetings: Map<string, FakeOnlineMeeting>;
  /** Online-meeting calls allowed per tenant in any 10 s (Teams: 15,000 per app per tenant; 0: not enforced). */
  limits: { teamsPerTenantPer10s: number };
  /** The next N online-meeting calls answer 429 with this Retry-After (Graph sends decimals, "1.5"). */
  throttleMeetingsNext: (n: number, retryAfter: string) => void;
  /** A session's attendance report (one per session), with its people. */
  addAttendanceReport: (meetingId: string, report: { start: Date | string; end: Date | string; records: FakeAttendee[] }) => string;
  /** Page sizes of attendance reports and records (Graph's own are not documented). */
  setMeetingPageSizes: (sizes: { reports?: number; records?: number }) => void;
  /** Graph education: classes, members, assignments, submissions, modules (./education.ts). */
  education: FakeEducation;
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

/**
 * `multiTenant`: apps registered for any organisation (`/organizations`), with the people of
 * every tenant able to grant them.
 */
export async function startFakeMicrosoft(tenants: FakeTenant[], multiTenant: { clientId: string; clientSecret: string }[] = []): Promise<FakeMicrosoft> {
  const byId = new Map(tenants.map((t) => [t.tenantId, t]));
  const tokens = new Map<string, { tenantId: string; expiresAt: number }>();
  const calls: Record<string, number> = { token: 0, organization: 0 };
  let throttle = { n: 0, retryAfter: "1" };
  let throttleMeetings = { n: 0, retryAfter: "1" };
  const limits = { teamsPerTenantPer10s: 0 };
  const recentByTenant = new Map<string, number[]>();
  /** Over the tenant's limit in the last 10 s: the Retry-After (seconds, as Graph writes them) until a call is free. */
  function tenantThrottle(req: http.IncomingMessage): string | null {
    if (!limits.teamsPerTenantPer10s) return null;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const tenant = tokens.get(bearer)?.tenantId ?? oidc.bearer(req.headers.authorization)?.account.tid ?? bearer;
    const now = Date.now();
    const times = (recentByTenant.get(tenant) ?? []).filter((t) => t > now - 10_000);
    recentByTenant.set(tenant, times);
    if (times.length < limits.teamsPerTenantPer10s) {
      times.push(now);
      return null;
    }
    return String(Math.max(0.001, (times[0] + 10_000 - now) / 1000).toFixed(3));
  }
  const meetings = new Map<string, FakeOnlineMeeting>();
  const pageSizes = { reports: 10, records: 100 };
  let fail = 0;
  let deny = false;
  let base = "";
  const education = createFakeEducation(() => base);
  const oidc = new OidcCore({
    clients: [...tenants.map((t) => ({ clientId: t.clientId, clientSecret: t.clientSecret })), ...multiTenant],
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
      const anyOrg = authorize[1] === "organizations" && multiTenant.some((a) => a.clientId === url.searchParams.get("client_id"));
      const r =
        anyOrg || (t && t.clientId === url.searchParams.get("client_id"))
          ? oidc.authorize(url.searchParams, issuerOf(t?.tenantId ?? "organizations"))
          : { status: 400, text: "AADSTS700016: Application not found in the directory." };
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
      if (token[1] === "organizations" && (form.get("grant_type") === "authorization_code" || form.get("grant_type") === "refresh_token")) {
        const r = await oidc.token(form, req.headers.authorization);
        return json(res, r.status, r.body);
      }
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
    const om = /^\/v1\.0\/(me|users\/([^/]+))\/onlineMeetings(?:\/([^/]+))?(?:\/attendanceReports(?:\/([^/]+)\/attendanceRecords)?)?$/.exec(url.pathname);
    if (om) return onlineMeetings(req, res, url, om);
    if (url.pathname.startsWith("/v1.0/education/")) {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      const app = bearer ? tokens.get(bearer) : undefined;
      if (!(app && app.expiresAt > Date.now()) && !oidc.bearer(req.headers.authorization)) return json(res, 401, { error: { code: "InvalidAuthenticationToken", message: "Access token has expired or is not yet valid." } });
      const r = education.handle(req.method ?? "GET", url, await readBody(req));
      res.writeHead(r.status, r.body === undefined ? (r.headers ?? {}) : { "content-type": "application/json; charset=utf-8", ...r.headers });
      return res.end(r.body === undefined ? undefined : JSON.stringify(r.body));
    }
    json(res, 404, { error: { code: "ResourceNotFound", message: `No route ${req.method} ${url.pathname}` } });
  });

  const isoOf = (d: Date | string) => new Date(d).toISOString();
  const digits = (n: number) => Array.from({ length: n }, () => crypto.randomInt(10)).join("");

  function newMeeting(owner: string, body: Record<string, unknown>): FakeOnlineMeeting {
    const thread = `19:meeting_${crypto.randomBytes(24).toString("base64url")}@thread.v2`;
    const now = new Date();
    const start = typeof body.startDateTime === "string" ? isoOf(body.startDateTime) : now.toISOString();
    const end = typeof body.endDateTime === "string" ? isoOf(body.endDateTime) : new Date(Date.parse(start) + 3600_000).toISOString();
    const m: FakeOnlineMeeting = {
      // Graph's ids are base64 of "1*<organizer>*0**<thread>"; standard base64 may hold "/" and "+".
      id: Buffer.from(`1*${owner}*0**${thread}`).toString("base64"),
      owner,
      externalId: typeof body.externalId === "string" ? body.externalId : null,
      subject: typeof body.subject === "string" ? body.subject : null,
      startDateTime: start,
      endDateTime: end,
      creationDateTime: now.toISOString(),
      joinWebUrl: `https://teams.microsoft.com/l/meetup-join/${encodeURIComponent(thread)}/0?context=${encodeURIComponent(JSON.stringify({ Tid: "fake", Oid: owner }))}`,
      joinMeetingIdSettings: { joinMeetingId: digits(12), passcode: crypto.randomBytes(4).toString("base64url").slice(0, 6), isPasscodeRequired: false },
      reports: [],
    };
    meetings.set(m.id, m);
    return m;
  }

  function meetingJson(m: FakeOnlineMeeting, scopePath: string) {
    return {
      "@odata.type": "#microsoft.graph.onlineMeeting",
      "@odata.context": `https://graph.microsoft.com/v1.0/$metadata#${scopePath}/onlineMeetings/$entity`,
      id: m.id,
      creationDateTime: m.creationDateTime,
      startDateTime: m.startDateTime,
      endDateTime: m.endDateTime,
      joinWebUrl: m.joinWebUrl,
      subject: m.subject,
      externalId: m.externalId,
      isBroadcast: false,
      chatInfo: { threadId: decodeURIComponent(m.joinWebUrl.split("/")[5]), messageId: "0", replyChainMessageId: null },
      joinMeetingIdSettings: m.joinMeetingIdSettings,
      participants: { organizer: { identity: { user: { id: m.owner.replace(/^me:/, ""), displayName: null } }, upn: null, role: "presenter" }, attendees: [] },
    };
  }

  /** One page of `items` from `$skiptoken` (an opaque offset), with an absolute nextLink. */
  function paged<T>(url: URL, items: T[], size: number) {
    const top = Math.min(Number(url.searchParams.get("$top")) || size, size);
    const skip = url.searchParams.get("$skiptoken");
    const offset = skip ? Number(Buffer.from(skip, "base64url").toString("utf8").replace(/^o:/, "")) : 0;
    const value = items.slice(offset, offset + top);
    const out: Record<string, unknown> = { value };
    if (offset + top < items.length) {
      // As Graph writes them: `$top`/`$skiptoken` with a literal "$".
      const query = [url.searchParams.get("$top") ? `$top=${top}` : "", `$skiptoken=${Buffer.from(`o:${offset + top}`).toString("base64url")}`].filter(Boolean).join("&");
      out["@odata.nextLink"] = `${base}${url.pathname}?${query}`;
    }
    return out;
  }

  async function onlineMeetings(req: http.IncomingMessage, res: http.ServerResponse, url: URL, om: RegExpExecArray) {
    calls.onlineMeetings = (calls.onlineMeetings ?? 0) + 1;
    const overLimit = throttleMeetings.n > 0 ? null : tenantThrottle(req);
    if (throttleMeetings.n > 0 || overLimit) {
      if (!overLimit) throttleMeetings.n--;
      calls.onlineMeetingsThrottled = (calls.onlineMeetingsThrottled ?? 0) + 1;
      return json(res, 429, { error: { code: "TooManyRequests", message: "Please retry again later.", innerError: { date: new Date().toISOString(), "request-id": crypto.randomUUID() } } }, { "retry-after": overLimit ?? throttleMeetings.retryAfter });
    }
    const unauthorized = () => json(res, 401, { error: { code: "InvalidAuthenticationToken", message: "Access token has expired or is not yet valid." } });
    const forbidden = () => json(res, 403, { error: { code: "Forbidden", message: "Insufficient privileges to complete the operation." } });
    const [, scopeSeg, userSeg, idSeg, reportSeg] = om;
    const artifacts = url.pathname.includes("/attendanceReports");
    let owner: string;
    if (scopeSeg === "me") {
      const t = oidc.bearer(req.headers.authorization);
      if (!t) return unauthorized();
      const scopes = t.scope.split(" ");
      if (!scopes.includes("OnlineMeetings.ReadWrite") || (artifacts && !scopes.includes("OnlineMeetingArtifact.Read.All"))) return forbidden();
      owner = `me:${t.account.sub}`;
    } else {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      const app = bearer ? tokens.get(bearer) : undefined;
      const person = oidc.bearer(req.headers.authorization);
      if (!(app && app.expiresAt > Date.now()) && !person) return unauthorized();
      owner = decodeURIComponent(userSeg);
      if (person && person.account.sub !== owner && person.account.email !== owner) return forbidden();
      if (person) owner = `me:${person.account.sub}`;
    }
    const scopePath = scopeSeg === "me" ? "users('me')" : `users('${userSeg}')`;
    const notFound = () => json(res, 404, { error: { code: "NotFound", message: "The requested resource does not exist.", innerError: { date: new Date().toISOString() } } });
    const id = idSeg === undefined ? undefined : decodeURIComponent(idSeg);
    if (id === undefined || id === "createOrGet") {
      if (req.method !== "POST") return json(res, 405, { error: { code: "BadRequest", message: "Method not allowed." } });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse((await readBody(req)) || "{}");
      } catch {
        return json(res, 400, { error: { code: "BadRequest", message: "Invalid request body." } });
      }
      if (id === "createOrGet") {
        calls.createOrGet = (calls.createOrGet ?? 0) + 1;
        if (typeof body.externalId !== "string" || !body.externalId) return json(res, 400, { error: { code: "BadRequest", message: "externalId is required." } });
        const found = [...meetings.values()].find((m) => m.owner === owner && m.externalId === body.externalId);
        if (found) return json(res, 200, meetingJson(found, scopePath));
      } else calls.createMeeting = (calls.createMeeting ?? 0) + 1;
      return json(res, 201, meetingJson(newMeeting(owner, body), scopePath));
    }
    const m = meetings.get(id);
    if (!m || m.owner !== owner) return notFound();
    if (reportSeg !== undefined) {
      if (req.method !== "GET") return json(res, 405, { error: { code: "BadRequest", message: "Method not allowed." } });
      const report = m.reports.find((r) => r.id === decodeURIComponent(reportSeg));
      if (!report) return notFound();
      return json(res, 200, { "@odata.context": `https://graph.microsoft.com/v1.0/$metadata#${scopePath}/onlineMeetings('${m.id}')/attendanceReports('${report.id}')/attendanceRecords`, ...paged(url, report.records, pageSizes.records) });
    }
    if (artifacts) {
      if (req.method !== "GET") return json(res, 405, { error: { code: "BadRequest", message: "Method not allowed." } });
      const list = m.reports.map((r) => ({ id: r.id, totalParticipantCount: r.records.length, meetingStartDateTime: r.start, meetingEndDateTime: r.end, attendanceRecords: [] }));
      return json(res, 200, { "@odata.context": `https://graph.microsoft.com/v1.0/$metadata#${scopePath}/onlineMeetings('${m.id}')/attendanceReports`, ...paged(url, list, pageSizes.reports) });
    }
    if (req.method === "GET") return json(res, 200, meetingJson(m, scopePath));
    if (req.method === "DELETE") {
      meetings.delete(m.id);
      res.writeHead(204);
      return res.end();
    }
    if (req.method === "PATCH") {
      calls.updateMeeting = (calls.updateMeeting ?? 0) + 1;
      const body = JSON.parse((await readBody(req)) || "{}") as Record<string, unknown>;
      if (typeof body.subject === "string") m.subject = body.subject;
      if (typeof body.startDateTime === "string") m.startDateTime = isoOf(body.startDateTime);
      if (typeof body.endDateTime === "string") m.endDateTime = isoOf(body.endDateTime);
      return json(res, 200, meetingJson(m, scopePath));
    }
    return json(res, 405, { error: { code: "BadRequest", message: "Method not allowed." } });
  }
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
    meetings,
    limits,
    throttleMeetingsNext: (n, retryAfter) => (throttleMeetings = { n, retryAfter }),
    setMeetingPageSizes: (sizes) => Object.assign(pageSizes, sizes),
    education,
    addAttendanceReport: (meetingId, report) => {
      const m = meetings.get(meetingId);
      if (!m) throw new Error(`no fake online meeting ${meetingId}`);
      const id = crypto.randomUUID();
      m.reports.push({
        id,
        start: isoOf(report.start),
        end: isoOf(report.end),
        records: report.records.map((a) => {
          const intervals = a.intervals.map(([join, leave]) => {
            const j = new Date(join);
            const l = leave === null ? null : new Date(leave);
            return { joinDateTime: j.toISOString(), leaveDateTime: l ? l.toISOString() : null, durationInSeconds: l ? Math.round((l.getTime() - j.getTime()) / 1000) : 0 };
          });
          return {
            id: a.userId ?? crypto.randomUUID(),
            emailAddress: a.email ?? null,
            totalAttendanceInSeconds: intervals.reduce((s, i) => s + i.durationInSeconds, 0),
            role: a.role ?? "Attendee",
            identity: { id: a.userId ?? null, displayName: a.name, tenantId: null },
            attendanceIntervals: intervals,
          };
        }),
      });
      return id;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
