/**
 * The fake Google's Meet REST v2, from the discovery document and Google's guides: spaces
 * (create, get, endActiveConference) and conference records with their participants and
 * participant sessions — newest conference first, documented page sizes (records default 25, max
 * 100; participants and sessions default 100, max 250; larger sizes coerced), opaque page tokens
 * bound to their query that can be expired, the `space.name`/`space.meeting_code`/`start_time`/
 * `end_time` filter, the `meetings.space.created` scope for creates, and 429 RESOURCE_EXHAUSTED on
 * the 101st create in a minute (and, when `createsPerMinutePerUser` is set, the 11th of one user),
 * counted in `calls["spaces.create.429"]`.
 */
import crypto from "node:crypto";
import type { OidcCore } from "../oidc/core.ts";

export type FakeMeetSession = { start: Date | string; end?: Date | string | null };
export type FakeMeetParticipantInput = {
  displayName: string;
  /** "users/{id}" for a signed-in user; without it the participant is anonymous (or `phone`). */
  user?: string;
  phone?: boolean;
  sessions: FakeMeetSession[];
};
export type FakeSpace = { name: string; meetingCode: string; meetingUri: string; config: Record<string, unknown>; activeConference: string | null; createdBy: string };
type Participant = { id: string; displayName: string; user?: string; phone?: boolean; sessions: { id: string; start: Date; end: Date | null }[] };
export type FakeConference = { name: string; space: string; start: Date; end: Date | null; participants: Participant[] };

export type FakeMeet = {
  spaces: Map<string, FakeSpace>;
  conferences: FakeConference[];
  calls: Record<string, number>;
  /** The server's largest page per list (a real server may give less than asked). */
  maxPageSize: { conferenceRecords: number; participants: number; participantSessions: number };
  /** Holds a conference in the space; without `end` it is still going on (the space's active conference). */
  addConference: (spaceName: string, c: { start: Date | string; end?: Date | string | null; participants: FakeMeetParticipantInput[] }) => string;
  /** Every page token given so far stops working (INVALID_ARGUMENT). */
  expirePageTokens: () => void;
  /** Forget the creates counted in this minute. */
  resetCreateQuota: () => void;
  /** Creates allowed per minute for the project (100). */
  createsPerMinute: number;
  /** Creates allowed per minute for one user (Google's is 10; 0, the default: not enforced). */
  createsPerMinutePerUser: number;
};

type Reply = { status: number; body: unknown; headers?: Record<string, string> };

const apiError = (code: number, status: string, message: string, headers?: Record<string, string>): Reply => ({ status: code, body: { error: { code, message, status } }, headers });
const id = (n = 12) => crypto.randomBytes(n).toString("base64url").replace(/[-_]/g, "x").slice(0, n);
const letters = (n: number) => Array.from(crypto.randomBytes(n), (b) => "abcdefghijklmnopqrstuvwxyz"[b % 26]).join("");
const toDate = (d: Date | string) => (d instanceof Date ? d : new Date(d));

type Clause = { field: string; op: string; value: string | null };

/** Parses `a = "x" AND b>="y" AND c IS NULL`; unknown fields or syntax → null. */
function parseFilter(filter: string, fields: string[]): Clause[] | null {
  if (!filter.trim()) return [];
  const out: Clause[] = [];
  for (const part of filter.split(/\s+AND\s+/)) {
    const isNull = /^\s*([a-z_.]+)\s+IS\s+NULL\s*$/.exec(part);
    const cmp = /^\s*([a-z_.]+)\s*(=|!=|>=|<=|>|<)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(part);
    const m = isNull ? { field: isNull[1], op: "IS NULL", value: null } : cmp ? { field: cmp[1], op: cmp[2], value: cmp[3].replace(/\\(.)/g, "$1") } : null;
    if (!m || !fields.includes(m.field)) return null;
    out.push(m);
  }
  return out;
}

function holds(actual: string | null, c: Clause): boolean {
  if (c.op === "IS NULL") return actual === null;
  if (actual === null || c.value === null) return false;
  const time = /_time$/.test(c.field);
  const a = time ? Date.parse(actual) : actual;
  const b = time ? Date.parse(c.value) : c.value;
  switch (c.op) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case ">=":
      return a >= b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    default:
      return a < b;
  }
}

export function createFakeMeet(oidc: OidcCore): FakeMeet & { handle: (method: string, url: URL, authorization: string | undefined, body: string) => Reply | null } {
  const spaces = new Map<string, FakeSpace>();
  const conferences: FakeConference[] = [];
  const calls: Record<string, number> = { "spaces.create": 0, "spaces.get": 0, "spaces.endActiveConference": 0, "conferenceRecords.list": 0, "participants.list": 0, "participantSessions.list": 0, unauthenticated: 0 };
  const maxPageSize = { conferenceRecords: 100, participants: 250, participantSessions: 250 };
  const tokens = new Map<string, { query: string; offset: number }>();
  let creates: number[] = [];
  let userCreates = new Map<string, number[]>();

  const fake: FakeMeet = {
    spaces,
    conferences,
    calls,
    maxPageSize,
    createsPerMinute: 100,
    createsPerMinutePerUser: 0,
    addConference(spaceName, c) {
      const space = spaces.get(spaceName);
      if (!space) throw new Error(`no fake space ${spaceName}`);
      const conf: FakeConference = {
        name: `conferenceRecords/${id(16)}`,
        space: spaceName,
        start: toDate(c.start),
        end: c.end ? toDate(c.end) : null,
        participants: c.participants.map((p) => ({
          id: id(10),
          displayName: p.displayName,
          user: p.user,
          phone: p.phone,
          sessions: p.sessions.map((s) => ({ id: id(10), start: toDate(s.start), end: s.end ? toDate(s.end) : null })),
        })),
      };
      conferences.push(conf);
      if (!conf.end) space.activeConference = conf.name;
      return conf.name;
    },
    expirePageTokens: () => tokens.clear(),
    resetCreateQuota: () => {
      creates = [];
      userCreates = new Map();
    },
  };

  /** One page of `items` for this query, or an error for a page token that is not (or no longer) ours. */
  function page<T>(url: URL, query: string, items: T[], defaultSize: number, max: number): { items: T[]; next?: string } | Reply {
    const asked = Number(url.searchParams.get("pageSize") ?? "0");
    if (!Number.isInteger(asked) || asked < 0) return apiError(400, "INVALID_ARGUMENT", "Invalid page size.");
    const size = Math.min(asked || defaultSize, max);
    const token = url.searchParams.get("pageToken");
    let offset = 0;
    if (token) {
      const t = tokens.get(token);
      if (!t || t.query !== query) return apiError(400, "INVALID_ARGUMENT", "Invalid page token.");
      offset = t.offset;
    }
    const slice = items.slice(offset, offset + size);
    if (offset + size >= items.length) return { items: slice };
    const next = crypto.randomBytes(18).toString("base64url");
    tokens.set(next, { query, offset: offset + size });
    return { items: slice, next };
  }

  const spaceJson = (s: FakeSpace) => ({
    name: s.name,
    meetingUri: s.meetingUri,
    meetingCode: s.meetingCode,
    config: s.config,
    ...(s.activeConference ? { activeConference: { conferenceRecord: s.activeConference } } : {}),
  });
  const iso = (d: Date | null) => (d ? d.toISOString() : undefined);

  function participantJson(conf: FakeConference, p: Participant) {
    const starts = p.sessions.map((s) => s.start.getTime());
    const open = p.sessions.some((s) => !s.end);
    const ends = p.sessions.flatMap((s) => (s.end ? [s.end.getTime()] : []));
    const who = p.user ? { signedinUser: { user: p.user, displayName: p.displayName } } : p.phone ? { phoneUser: { displayName: p.displayName } } : { anonymousUser: { displayName: p.displayName } };
    return {
      name: `${conf.name}/participants/${p.id}`,
      ...who,
      earliestStartTime: starts.length ? new Date(Math.min(...starts)).toISOString() : undefined,
      ...(open || ends.length === 0 ? {} : { latestEndTime: new Date(Math.max(...ends)).toISOString() }),
    };
  }

  function findSpace(key: string): FakeSpace | undefined {
    return spaces.get(`spaces/${key}`) ?? [...spaces.values()].find((s) => s.meetingCode === key);
  }

  function handle(method: string, url: URL, authorization: string | undefined, body: string): Reply | null {
    const path = url.pathname;
    if (!path.startsWith("/v2/spaces") && !path.startsWith("/v2/conferenceRecords")) return null;
    const t = oidc.bearer(authorization);
    if (!t) calls.unauthenticated++;
    if (!t) return apiError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
    const canCreate = /meetings\.space\.created/.test(t.scope);
    const canRead = canCreate || /meetings\.space\.readonly/.test(t.scope);
    const denied = () => apiError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.");

    if (path === "/v2/spaces" && method === "POST") {
      calls["spaces.create"]++;
      if (!canCreate) return denied();
      const now = Date.now();
      creates = creates.filter((c) => c > now - 60_000);
      const mine = (userCreates.get(t.account.email) ?? []).filter((c) => c > now - 60_000);
      userCreates.set(t.account.email, mine);
      const userFull = fake.createsPerMinutePerUser > 0 && mine.length >= fake.createsPerMinutePerUser;
      if (userFull) {
        calls["spaces.create.429"] = (calls["spaces.create.429"] ?? 0) + 1;
        const wait = Math.ceil((mine[0] + 60_000 - now) / 1000);
        return apiError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Space creation requests' and limit 'Space creation requests per minute per user' of service 'meet.googleapis.com'.", { "retry-after": String(Math.max(wait, 1)) });
      }
      if (creates.length >= fake.createsPerMinute) {
        calls["spaces.create.429"] = (calls["spaces.create.429"] ?? 0) + 1;
        const wait = Math.ceil((creates[0] + 60_000 - now) / 1000);
        return apiError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Space creation requests' and limit 'Space creation requests per minute' of service 'meet.googleapis.com'.", { "retry-after": String(Math.max(wait, 1)) });
      }
      let req: { config?: Record<string, unknown> } = {};
      try {
        req = body ? JSON.parse(body) : {};
      } catch {
        return apiError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
      }
      const accessType = req.config?.accessType;
      if (accessType !== undefined && !["OPEN", "TRUSTED", "RESTRICTED"].includes(String(accessType))) return apiError(400, "INVALID_ARGUMENT", `Invalid value at 'space.config.access_type': ${accessType}`);
      creates.push(now);
      mine.push(now);
      const code = `${letters(3)}-${letters(4)}-${letters(3)}`;
      const space: FakeSpace = {
        name: `spaces/${id(12)}`,
        meetingCode: code,
        meetingUri: `https://meet.google.com/${code}`,
        config: { accessType: accessType ?? "TRUSTED", entryPointAccess: req.config?.entryPointAccess ?? "ALL" },
        activeConference: null,
        createdBy: t.account.sub,
      };
      spaces.set(space.name, space);
      return { status: 200, body: spaceJson(space) };
    }
    const end = /^\/v2\/spaces\/([^/:]+):endActiveConference$/.exec(path);
    if (end && method === "POST") {
      calls["spaces.endActiveConference"]++;
      if (!canCreate) return denied();
      const space = findSpace(decodeURIComponent(end[1]));
      if (!space) return apiError(404, "NOT_FOUND", "Requested entity was not found.");
      const conf = conferences.find((c) => c.name === space.activeConference);
      if (!conf) return apiError(400, "FAILED_PRECONDITION", "No active conference in the space.");
      const now = new Date();
      conf.end = now;
      for (const p of conf.participants) for (const s of p.sessions) s.end ??= now;
      space.activeConference = null;
      return { status: 200, body: {} };
    }
    const get = /^\/v2\/spaces\/([^/:]+)$/.exec(path);
    if (get && method === "GET") {
      calls["spaces.get"]++;
      if (!canRead) return denied();
      const space = findSpace(decodeURIComponent(get[1]));
      return space ? { status: 200, body: spaceJson(space) } : apiError(404, "NOT_FOUND", "Requested entity was not found.");
    }
    if (path === "/v2/conferenceRecords" && method === "GET") {
      calls["conferenceRecords.list"]++;
      if (!canRead) return denied();
      const filter = url.searchParams.get("filter") ?? "";
      const clauses = parseFilter(filter, ["space.name", "space.meeting_code", "start_time", "end_time"]);
      if (!clauses) return apiError(400, "INVALID_ARGUMENT", `Invalid filter: ${filter}`);
      const matching = conferences
        .filter((c) => {
          const space = spaces.get(c.space);
          const value: Record<string, string | null> = { "space.name": c.space, "space.meeting_code": space?.meetingCode ?? null, start_time: c.start.toISOString(), end_time: c.end?.toISOString() ?? null };
          return clauses.every((cl) => holds(value[cl.field], cl));
        })
        .sort((a, b) => b.start.getTime() - a.start.getTime());
      const p = page(url, `records ${filter}`, matching, 25, maxPageSize.conferenceRecords);
      if ("status" in p) return p;
      return {
        status: 200,
        body: {
          conferenceRecords: p.items.map((c) => ({ name: c.name, startTime: iso(c.start), endTime: iso(c.end), expireTime: new Date(c.start.getTime() + 30 * 86_400_000).toISOString(), space: c.space })),
          ...(p.next ? { nextPageToken: p.next } : {}),
        },
      };
    }
    const parts = /^\/v2\/conferenceRecords\/([^/]+)\/participants$/.exec(path);
    if (parts && method === "GET") {
      calls["participants.list"]++;
      if (!canRead) return denied();
      const conf = conferences.find((c) => c.name === `conferenceRecords/${parts[1]}`);
      if (!conf) return apiError(404, "NOT_FOUND", "Requested entity was not found.");
      const p = page(url, `participants ${conf.name}`, conf.participants, 100, maxPageSize.participants);
      if ("status" in p) return p;
      return { status: 200, body: { participants: p.items.map((x) => participantJson(conf, x)), ...(p.next ? { nextPageToken: p.next } : {}), totalSize: conf.participants.length } };
    }
    const sess = /^\/v2\/conferenceRecords\/([^/]+)\/participants\/([^/]+)\/participantSessions$/.exec(path);
    if (sess && method === "GET") {
      calls["participantSessions.list"]++;
      if (!canRead) return denied();
      const conf = conferences.find((c) => c.name === `conferenceRecords/${sess[1]}`);
      const part = conf?.participants.find((p) => p.id === sess[2]);
      if (!conf || !part) return apiError(404, "NOT_FOUND", "Requested entity was not found.");
      const p = page(url, `sessions ${conf.name} ${part.id}`, part.sessions, 100, maxPageSize.participantSessions);
      if ("status" in p) return p;
      return {
        status: 200,
        body: {
          participantSessions: p.items.map((s) => ({ name: `${conf.name}/participants/${part.id}/participantSessions/${s.id}`, startTime: iso(s.start), ...(s.end ? { endTime: iso(s.end) } : {}) })),
          ...(p.next ? { nextPageToken: p.next } : {}),
        },
      };
    }
    return apiError(404, "NOT_FOUND", `No route ${method} ${path}`);
  }

  return Object.assign(fake, { handle });
}
