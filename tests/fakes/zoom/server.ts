/**
 * A local Zoom following its documented contract: `POST /oauth/token` with
 * `grant_type=account_credentials` (in the query, as Zoom documents, or a form body, as its SDK
 * sends) and HTTP Basic client credentials; `{reason, error}` refusals; Bearer tokens of an hour;
 * `GET /v2/users/me`; `{code, message}` errors (124 invalid access token); 429 with the real
 * rate-limit headers; 5xx for a while. Meetings: `POST /v2/users/{id}/meetings` (type 2, and type 8
 * with its weekly or daily recurrence expanded into `occurrences`, each `occurrence_id` its start
 * in epoch ms), `GET/PATCH/DELETE /v2/meetings/{id}` (PATCH and DELETE for one occurrence with
 * `?occurrence_id=`), `GET /v2/users/{id}/meetings`, `GET /v2/past_meetings/{id}/instances` and
 * `/participants` (uuids that begin with `/` or hold `//` must come encoded twice), paging by
 * `next_page_token` (at most 300 a page, tokens good for 15 minutes), ids as JSON numbers, the
 * 100 meeting creates/updates per host per UTC day with Zoom's 429 body, and the account's per-second
 * Light and Medium limits (`limits`, off unless set; Pro: 30/s and 20/s) over a sliding second
 * with Zoom's QPS 429 and headers, counted in `throttled`. For a user-managed OAuth app (a teacher's own account):
 * `GET /oauth/authorize`, the authorization_code and refresh_token grants with Basic client auth
 * (refresh tokens rotate; a used or revoked one is `invalid_grant` "Invalid Token!"), and
 * `POST /oauth/revoke`.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { OidcCore, type FakeOidcAccount, type FakeOidcClient } from "../oidc/core.ts";
import { sendZoomWebhook } from "./webhook.ts";

export { signZoomEvent, sendZoomWebhook } from "./webhook.ts";

export type FakeZoomUser = { id: string; email: string; first_name: string; last_name: string; display_name?: string };
/** An account of a Server-to-Server app: its admin user (the token's "me") and, optionally, more hosts. */
export type FakeZoomAccount = { accountId: string; clientId: string; clientSecret: string; user: FakeZoomUser; otherUsers?: FakeZoomUser[] };

export type FakeOccurrence = { occurrence_id: string; start_time: string; duration: number; status: "available" | "deleted" };
export type FakeMeeting = {
  id: string;
  uuid: string;
  host_id: string;
  host_email: string;
  topic: string;
  type: number;
  start_time: string;
  duration: number;
  timezone: string;
  agenda: string;
  created_at: string;
  password: string;
  join_url: string;
  start_url: string;
  recurrence?: { type: number; repeat_interval?: number; weekly_days?: string; end_times?: number; end_date_time?: string };
  occurrences?: FakeOccurrence[];
};
/** A row of `GET /past_meetings/{id}/participants` as Zoom gives it. */
export type FakeParticipant = {
  id?: string;
  user_id?: string;
  name: string;
  user_email?: string;
  registrant_id?: string;
  join_time: string;
  leave_time?: string;
  duration?: number;
  status?: string;
};
/** One API request as the fake received it (for tests that check what went out). */
export type FakeZoomRequest = { method: string; path: string; query: Record<string, string>; body?: unknown; hostId?: string };

export const DAILY_WRITES_429 = {
  code: 429,
  message: "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00.",
};

export type FakeZoom = {
  url: string;
  accounts: Map<string, FakeZoomAccount>;
  calls: { token: number; me: number; revoke: number };
  /** Every `/v2` request, in order. */
  requests: FakeZoomRequest[];
  /** The meetings made, by id (a string: Zoom's ids are int64). */
  meetings: Map<string, FakeMeeting>;
  /** The user-managed OAuth app's authorization server (teachers' own accounts). */
  oauth: OidcCore;
  /** The account's per-second limits by category (0: not enforced); Get user/meeting are Light, the rest Medium. */
  limits: { lightPerSecond: number; mediumPerSecond: number };
  /** The 429s answered: per-second (QPS) and a host's daily creates/updates. */
  throttled: { qps: number; daily: number };
  /** The next N API calls answer 429 (per-second or daily, with Retry-After). */
  throttleNext: (n: number, type: "QPS" | "Daily-limit", retryAfter?: string) => void;
  failNext: (n: number) => void;
  revokeTokens: () => void;
  /**
   * Who took part in a held meeting: by its id or uuid; with `instance`, one session of a
   * meeting id (a series has one per class held), listed by `GET /past_meetings/{id}/instances`.
   */
  setParticipants: (meetingIdOrUuid: string, participants: FakeParticipant[], instance?: { uuid: string; startTime: string }) => void;
  /** A host's meeting creates and updates counted today (UTC); settable to bring on Zoom's own 429. */
  writesToday: (userId: string) => number;
  setWritesToday: (userId: string, n: number) => void;
  /** Delivers a webhook signed as Zoom signs it. */
  sendWebhook: (url: string, secret: string, event: unknown, opts?: { timestamp?: number | string }) => Promise<Response>;
  close: () => Promise<void>;
};

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json;charset=UTF-8", ...headers });
  res.end(JSON.stringify(body));
}

export async function startFakeZoom(
  accounts: FakeZoomAccount[],
  userApp: { clients: FakeOidcClient[]; users: FakeOidcAccount[] } = { clients: [], users: [] },
  /** `firstMeetingId`: where meeting numbers start (beyond 2^53 to test that ids stay exact). */
  opts: { firstMeetingId?: bigint } = {},
): Promise<FakeZoom> {
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

  const requests: FakeZoomRequest[] = [];
  const meetings = new Map<string, FakeMeeting>();
  /** Held sessions: participants by meeting id or uuid, and the instances of a meeting id. */
  const past = new Map<string, FakeParticipant[]>();
  const instances = new Map<string, { uuid: string; start_time: string }[]>();
  const writes = new Map<string, number>();
  const pageTokens = new Map<string, { list: string; offset: number; expiresAt: number }>();
  let nextId = opts.firstMeetingId ?? 85_000_000_001n;

  type Principal = { users: FakeZoomUser[]; me: FakeZoomUser };
  function principal(req: http.IncomingMessage): Principal | null {
    const user = oauth.bearer(req.headers.authorization);
    if (user) {
      const [last, ...rest] = user.account.name.split(" ").reverse();
      const me = { id: user.account.sub, email: user.account.email, first_name: rest.reverse().join(" "), last_name: last ?? "" };
      return { users: [me], me };
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const issued = bearer ? tokens.get(bearer) : undefined;
    if (!issued || issued.expiresAt < Date.now()) return null;
    const a = byId.get(issued.accountId)!;
    return { users: [a.user, ...(a.otherUsers ?? [])], me: a.user };
  }
  const findUser = (p: Principal, ref: string) => (ref === "me" ? p.me : p.users.find((u) => u.id === ref || u.email.toLowerCase() === ref.toLowerCase()));
  const limits = { lightPerSecond: 0, mediumPerSecond: 0 };
  const throttled = { qps: 0, daily: 0 };
  const recent = new Map<string, number[]>();
  /** The account's per-second limit of the call's category, over the last second. */
  function overRate(req: http.IncomingMessage, res: http.ServerResponse, method: string, path: string): boolean {
    const light = method === "GET" && /^\/v2\/(users|meetings)\/[^/]+$/.test(path);
    const limit = light ? limits.lightPerSecond : limits.mediumPerSecond;
    if (!limit) return false;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const key = `${tokens.get(bearer)?.accountId ?? bearer}\n${light ? "light" : "medium"}`;
    const now = Date.now();
    const times = (recent.get(key) ?? []).filter((t) => t > now - 1000);
    recent.set(key, times);
    if (times.length < limit) {
      times.push(now);
      return false;
    }
    throttled.qps++;
    json(res, 429, { code: 429, message: "You have reached the maximum per-second rate limit for this API. Try again later." }, { "x-ratelimit-category": light ? "Light" : "Medium", "x-ratelimit-type": "QPS", "x-ratelimit-limit": String(limit), "x-ratelimit-remaining": "0", "retry-after": "1" });
    return true;
  }
  const writesKey = (userId: string) => `${userId}\n${new Date().toISOString().slice(0, 10)}`;

  /** One page of `list` from `next_page_token`; an unknown or expired token is Zoom's 300. */
  function page<T>(list: string, items: T[], q: URLSearchParams): { items: T[]; next: string; pageSize: number } | null {
    const pageSize = Math.min(300, Math.max(1, Number(q.get("page_size") ?? 30) || 30));
    let offset = 0;
    const token = q.get("next_page_token");
    if (token) {
      const t = pageTokens.get(token);
      if (!t || t.list !== list || t.expiresAt < Date.now()) return null;
      offset = t.offset;
    }
    const slice = items.slice(offset, offset + pageSize);
    let next = "";
    if (offset + pageSize < items.length) {
      next = crypto.randomBytes(24).toString("base64url");
      pageTokens.set(next, { list, offset: offset + pageSize, expiresAt: Date.now() + 15 * 60_000 });
    }
    return { items: slice, next, pageSize };
  }

  function apiThrottled(res: http.ServerResponse): boolean {
    if (throttle.n > 0) {
      throttle.n--;
      const daily = throttle.type === "Daily-limit";
      json(
        res,
        429,
        { code: 429, message: daily ? "You have exceeded the daily rate limit of API requests permitted for this account." : "You have reached the maximum per-second rate limit for this API. Try again later." },
        { "x-ratelimit-category": "Light", "x-ratelimit-type": throttle.type, "x-ratelimit-limit": daily ? "6000" : "30", "x-ratelimit-remaining": "0", ...(throttle.retryAfter ? { "retry-after": throttle.retryAfter } : {}) },
      );
      return true;
    }
    if (fail > 0) {
      fail--;
      json(res, 502, { code: 502, message: "Bad gateway" });
      return true;
    }
    return false;
  }

  function dailyWrites(res: http.ServerResponse) {
    throttled.daily++;
    json(res, 429, DAILY_WRITES_429, { "x-ratelimit-category": "Light", "x-ratelimit-limit": "6000", "x-ratelimit-remaining": "5893" });
  }

  function api(req: http.IncomingMessage, res: http.ServerResponse, url: URL, text: string): void {
    const method = req.method ?? "GET";
    const segments = url.pathname.slice("/v2/".length).split("/");
    let body: unknown;
    if (text && (method === "POST" || method === "PATCH")) {
      try {
        body = JSON.parse(text);
      } catch {
        body = Symbol.for("invalid");
      }
    }
    const entry: FakeZoomRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: typeof body === "symbol" ? text : body };
    requests.push(entry);
    if (url.pathname === "/v2/users/me" && method === "GET") calls.me++;
    if (apiThrottled(res)) return;
    if (overRate(req, res, method, url.pathname)) return;
    const p = principal(req);
    if (!p) return json(res, 401, { code: 124, message: "Invalid access token." });
    if (typeof body === "symbol" || (body !== undefined && (typeof body !== "object" || body === null || Array.isArray(body)))) {
      return json(res, 400, { code: 300, message: "Request Body should be a valid JSON object." });
    }
    const b = (body ?? {}) as Record<string, unknown>;
    const noMeeting = (id: string) => json(res, 404, { code: 3001, message: `Meeting does not exist: ${id}.` });

    // /users/{id} and /users/{id}/meetings
    if (segments[0] === "users" && segments[1]) {
      const ref = decodeURIComponent(segments[1]);
      const user = findUser(p, ref);
      if (!user) return json(res, 404, { code: 1001, message: `User does not exist: ${ref}.` });
      entry.hostId = user.id;
      if (segments.length === 2 && method === "GET") {
        if (ref === "me" && p.users.length === 1 && !byIdHasUser(user)) {
          return json(res, 200, { ...user, account_id: `acct-${user.id}`, type: 1, status: "active" });
        }
        const account = [...byId.values()].find((a) => a.user === user || a.otherUsers?.includes(user));
        return json(res, 200, { ...user, account_id: account?.accountId, type: 2, status: "active", timezone: "Asia/Ho_Chi_Minh" });
      }
      if (segments[2] === "meetings" && segments.length === 3 && method === "POST") {
        const used = writes.get(writesKey(user.id)) ?? 0;
        if (used >= 100) return dailyWrites(res);
        const invalid = validateMeeting(b, true);
        if (invalid) return json(res, 400, { code: 300, message: "Validation Failed.", errors: invalid });
        writes.set(writesKey(user.id), used + 1);
        const id = String(nextId++);
        const m: FakeMeeting = {
          id,
          uuid: `${crypto.randomBytes(16).toString("base64")}`,
          host_id: user.id,
          host_email: user.email,
          topic: typeof b.topic === "string" ? b.topic : "Zoom meeting",
          type: Number(b.type ?? 2),
          start_time: "",
          duration: Number(b.duration ?? 60),
          timezone: typeof b.timezone === "string" ? b.timezone : "UTC",
          agenda: typeof b.agenda === "string" ? b.agenda : "",
          created_at: zoomTime(Date.now()),
          password: crypto.randomBytes(4).toString("hex").slice(0, 6),
          join_url: "",
          start_url: "",
        };
        m.join_url = `${base}/j/${id}?pwd=${crypto.randomBytes(12).toString("base64url")}`;
        m.start_url = `${base}/s/${id}?zak=${crypto.randomBytes(24).toString("base64url")}`;
        schedule(m, b);
        meetings.set(id, m);
        return meetingJson(res, 201, m);
      }
      if (segments[2] === "meetings" && segments.length === 3 && method === "GET") {
        const type = url.searchParams.get("type") ?? "scheduled";
        const now = Date.now();
        const mine = [...meetings.values()]
          .filter((m) => m.host_id === user.id)
          .filter((m) => type !== "upcoming" || lastEnd(m) >= now)
          .sort((x, y) => Date.parse(x.start_time) - Date.parse(y.start_time));
        const pg = page(`meetings:${user.id}:${type}`, mine, url.searchParams);
        if (!pg) return json(res, 400, { code: 300, message: "The next page token is invalid or expired." });
        const items = pg.items.map((m) => ({ uuid: m.uuid, id: m.id, host_id: m.host_id, topic: m.topic, type: m.type, start_time: m.start_time, duration: m.duration, timezone: m.timezone, agenda: m.agenda, created_at: m.created_at, join_url: m.join_url }));
        return rawJson(res, 200, numericIds(JSON.stringify({ page_size: pg.pageSize, total_records: mine.length, next_page_token: pg.next, meetings: items })));
      }
    }

    // /meetings/{id}
    if (segments[0] === "meetings" && segments[1] && segments.length === 2) {
      const id = decodeURIComponent(segments[1]);
      const m = meetings.get(id);
      if (!m) return noMeeting(id);
      entry.hostId = m.host_id;
      const occurrenceId = url.searchParams.get("occurrence_id");
      const occurrence = occurrenceId ? m.occurrences?.find((o) => o.occurrence_id === occurrenceId && o.status === "available") : undefined;
      if (occurrenceId && !occurrence) return json(res, 400, { code: 3000, message: `Invalid occurrence_id: ${occurrenceId}.` });
      if (method === "GET") return meetingJson(res, 200, m);
      if (method === "PATCH") {
        const used = writes.get(writesKey(m.host_id)) ?? 0;
        if (used >= 100) return dailyWrites(res);
        const invalid = validateMeeting(b, false);
        if (invalid) return json(res, 400, { code: 300, message: "Validation Failed.", errors: invalid });
        writes.set(writesKey(m.host_id), used + 1);
        if (occurrence) {
          // One occurrence moves or changes length; the series and its other occurrences stay.
          if (typeof b.start_time === "string") occurrence.start_time = zoomTime(toUtc(b.start_time, typeof b.timezone === "string" ? b.timezone : m.timezone));
          if (b.duration !== undefined) occurrence.duration = Number(b.duration);
        } else {
          if (typeof b.topic === "string") m.topic = b.topic;
          if (typeof b.agenda === "string") m.agenda = b.agenda;
          if (b.duration !== undefined) {
            m.duration = Number(b.duration);
            for (const o of m.occurrences ?? []) o.duration = m.duration;
          }
          if (typeof b.timezone === "string") m.timezone = b.timezone;
          if (b.type !== undefined) m.type = Number(b.type);
          // A new start, zone or recurrence lays the series out again (moved occurrences included).
          if (b.start_time !== undefined || b.recurrence !== undefined || b.timezone !== undefined) {
            schedule(m, { start_time: b.start_time ?? localOf(Date.parse(m.start_time), m.timezone), timezone: m.timezone, recurrence: b.recurrence ?? m.recurrence });
          }
        }
        res.writeHead(204);
        return void res.end();
      }
      if (method === "DELETE") {
        if (occurrence) occurrence.status = "deleted";
        else meetings.delete(id);
        res.writeHead(204);
        return void res.end();
      }
    }

    // /past_meetings/{id or uuid}/participants | instances
    if (segments[0] === "past_meetings" && segments[1] && segments.length === 3 && method === "GET") {
      let ref = decodeURIComponent(segments[1]);
      if (ref.includes("%")) ref = decodeURIComponent(ref);
      // A uuid with a leading "/" or a "//" encoded only once reaches Zoom as another path.
      else if (ref.startsWith("/") || ref.includes("//")) return noMeeting(ref);
      if (segments[2] === "instances") return json(res, 200, { meetings: instances.get(ref) ?? [] });
      if (segments[2] === "participants") {
        const latest = instances.get(ref)?.at(-1);
        const list = past.get(ref) ?? (latest ? past.get(latest.uuid) : undefined);
        if (!list) return noMeeting(ref);
        const pg = page(`participants:${ref}`, list, url.searchParams);
        if (!pg) return json(res, 400, { code: 300, message: "The next page token is invalid or expired." });
        return json(res, 200, { page_count: Math.ceil(list.length / pg.pageSize), page_size: pg.pageSize, total_records: list.length, next_page_token: pg.next, participants: pg.items });
      }
    }
    json(res, 404, { code: 404, message: `No route ${method} ${url.pathname}` });
  }

  function byIdHasUser(user: FakeZoomUser): boolean {
    return [...byId.values()].some((a) => a.user === user || a.otherUsers?.includes(user));
  }

  /** Sets a meeting's start and (type 8) its occurrences from a create or update body. */
  function schedule(m: FakeMeeting, b: Record<string, unknown>) {
    const tz = typeof b.timezone === "string" ? b.timezone : m.timezone;
    const start = typeof b.start_time === "string" ? toUtc(b.start_time, tz) : Date.now();
    const r = b.recurrence as FakeMeeting["recurrence"] | undefined;
    if (m.type === 8 && r) {
      m.recurrence = { ...r };
      m.occurrences = expand(start, tz, r).map((t) => ({ occurrence_id: String(t), start_time: zoomTime(t), duration: m.duration, status: "available" as const }));
      m.start_time = m.occurrences[0] ? m.occurrences[0].start_time : zoomTime(start);
    } else {
      delete m.recurrence;
      delete m.occurrences;
      m.start_time = zoomTime(start);
    }
  }

  function meetingJson(res: http.ServerResponse, status: number, m: FakeMeeting) {
    const out = {
      uuid: m.uuid,
      id: m.id,
      host_id: m.host_id,
      host_email: m.host_email,
      topic: m.topic,
      type: m.type,
      status: "waiting",
      start_time: m.start_time,
      duration: m.duration,
      timezone: m.timezone,
      agenda: m.agenda,
      created_at: m.created_at,
      start_url: m.start_url,
      join_url: m.join_url,
      password: m.password,
      h323_password: "123456",
      pstn_password: "123456",
      encrypted_password: crypto.createHash("sha256").update(m.password).digest("base64url").slice(0, 32),
      settings: { host_video: false, participant_video: false, join_before_host: false, mute_upon_entry: true, waiting_room: true, auto_recording: "none", approval_type: 2 },
      pre_schedule: false,
      creation_source: "open_api",
      ...(m.recurrence ? { recurrence: m.recurrence } : {}),
      ...(m.occurrences ? { occurrences: m.occurrences } : {}),
    };
    rawJson(res, status, numericIds(JSON.stringify(out)));
  }

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
    if (url.pathname.startsWith("/v2/")) return api(req, res, url, Buffer.concat(chunks).toString("utf8"));
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
    limits,
    throttled,
    throttleNext: (n, type, retryAfter) => (throttle = { n, type, retryAfter }),
    failNext: (n) => (fail = n),
    revokeTokens: () => {
      for (const t of tokens.values()) t.expiresAt = 0;
    },
    requests,
    meetings,
    setParticipants: (ref, list, instance) => {
      if (instance) {
        const held = instances.get(ref) ?? [];
        held.push({ uuid: instance.uuid, start_time: instance.startTime });
        held.sort((x, y) => Date.parse(x.start_time) - Date.parse(y.start_time));
        instances.set(ref, held);
        past.set(instance.uuid, list);
      } else past.set(ref, list);
    },
    writesToday: (userId) => writes.get(writesKey(userId)) ?? 0,
    setWritesToday: (userId, n) => void writes.set(writesKey(userId), n),
    sendWebhook: (url, secret, event, opts) => sendZoomWebhook(url, secret, event, opts),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function rawJson(res: http.ServerResponse, status: number, text: string) {
  res.writeHead(status, { "content-type": "application/json;charset=UTF-8" });
  res.end(text);
}

/** Zoom sends meeting ids as JSON numbers (int64): the fake keeps them as strings and writes them bare. */
function numericIds(text: string): string {
  return text.replace(/"id":"(\d+)"/g, '"id":$1');
}

/** Zoom's GMT form, `yyyy-MM-ddTHH:mm:ssZ`. */
function zoomTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function wallClock(ms: number, tz: string): number[] {
  const f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
  const get = (parts: Intl.DateTimeFormatPart[], t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const parts = f.formatToParts(new Date(ms));
  return ["year", "month", "day", "hour", "minute", "second"].map((t) => get(parts, t));
}

/** `tz`'s offset from UTC at instant `ms`, in ms. */
function offsetAt(ms: number, tz: string): number {
  const [y, mo, d, h, mi, s] = wallClock(ms, tz);
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) - Math.floor(ms / 1000) * 1000;
}

/** A Zoom start time: GMT with a Z, or local wall-clock time in `tz`. */
function toUtc(start: string, tz: string): number {
  if (/Z$|[+-]\d\d:\d\d$/.test(start)) return Date.parse(start);
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?/.exec(start);
  if (!m) return NaN;
  const guess = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0));
  const first = guess - offsetAt(guess, tz);
  return guess - offsetAt(first, tz);
}

function localOf(ms: number, tz: string): string {
  const [y, mo, d, h, mi, s] = wallClock(ms, tz).map((n) => String(n).padStart(2, "0"));
  return `${y}-${mo}-${d}T${h}:${mi}:${s}`;
}

function lastEnd(m: FakeMeeting): number {
  const starts = m.occurrences?.filter((o) => o.status === "available").map((o) => Date.parse(o.start_time) + o.duration * 60_000) ?? [];
  return Math.max(Date.parse(m.start_time) + m.duration * 60_000, ...starts);
}

/**
 * The starts of a fixed-time series, at the first start's wall-clock time in `tz`: weekly on
 * `weekly_days` (1 = Sunday … 7 = Saturday) every `repeat_interval` weeks, or daily; until
 * `end_times` occurrences or `end_date_time`.
 */
function expand(start: number, tz: string, r: NonNullable<FakeMeeting["recurrence"]>): number[] {
  const [y, mo, d, h, mi, s] = wallClock(start, tz);
  const every = Math.max(1, r.repeat_interval ?? 1);
  const days = new Set((r.weekly_days ?? "").split(",").filter(Boolean).map(Number));
  const until = r.end_date_time ? Date.parse(r.end_date_time) : Infinity;
  const count = r.end_times ?? (r.end_date_time ? 60 : 1);
  const firstDay = new Date(Date.UTC(y!, mo! - 1, d!)).getUTCDay();
  const out: number[] = [];
  for (let k = 0; out.length < Math.min(count, 60) && k < 7 * every * 61; k++) {
    const day = new Date(Date.UTC(y!, mo! - 1, d! + k));
    const ok = r.type === 1 ? k % every === 0 : days.has(day.getUTCDay() + 1) && Math.floor((k + firstDay) / 7) % every === 0;
    if (!ok) continue;
    const local = `${day.toISOString().slice(0, 10)}T${[h, mi, s].map((n) => String(n).padStart(2, "0")).join(":")}`;
    const at = toUtc(local, tz);
    if (at > until) break;
    out.push(at);
  }
  return out;
}

/** Zoom's 300 "Validation Failed." field list, or null. */
function validateMeeting(b: Record<string, unknown>, create: boolean): { field: string; message: string }[] | null {
  const errors: { field: string; message: string }[] = [];
  if (b.type !== undefined && ![1, 2, 3, 8].includes(Number(b.type))) errors.push({ field: "type", message: "Invalid field." });
  if (b.start_time !== undefined && (typeof b.start_time !== "string" || Number.isNaN(toUtc(b.start_time, typeof b.timezone === "string" ? b.timezone : "UTC")))) errors.push({ field: "start_time", message: "Invalid field." });
  if (b.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: String(b.timezone) });
    } catch {
      errors.push({ field: "timezone", message: "Invalid field." });
    }
  }
  if (typeof b.agenda === "string" && b.agenda.length > 2000) errors.push({ field: "agenda", message: "Invalid field." });
  if (typeof b.topic === "string" && b.topic.length > 200) errors.push({ field: "topic", message: "Invalid field." });
  const r = b.recurrence as Record<string, unknown> | undefined;
  if (create && Number(b.type) === 8 && !r) errors.push({ field: "recurrence", message: "Invalid field." });
  if (r) {
    if (![1, 2].includes(Number(r.type))) errors.push({ field: "recurrence.type", message: "Invalid field." });
    if (Number(r.type) === 2 && !/^[1-7](,[1-7])*$/.test(String(r.weekly_days ?? ""))) errors.push({ field: "recurrence.weekly_days", message: "Invalid field." });
    if (r.end_times !== undefined && r.end_date_time !== undefined) errors.push({ field: "recurrence.end_times", message: "Invalid field." });
    if (r.end_times !== undefined && !(Number.isInteger(r.end_times) && Number(r.end_times) >= 1 && Number(r.end_times) <= 60)) errors.push({ field: "recurrence.end_times", message: "Invalid field." });
  }
  return errors.length ? errors : null;
}
