/**
 * Zoom as a MeetingProvider: one meeting (type 2) or a weekly series with fixed times (type 8,
 * Zoom's occurrences), moved or cancelled whole or one occurrence at a time, attendance from the
 * past meeting's participants page by page, and the reconciliation of an ambiguous create by the
 * idempotency key kept at the end of the meeting's agenda.
 *
 * Every call takes the connection's token from the TokenSource; a 401 expires that token (by its
 * version) and the call is sent once more with a new one. Creates and updates spend the host's
 * daily allowance (100 per user per UTC day) before Zoom is asked, so the 101st is refused here.
 */
import { IntegrationError } from "../errors.ts";
import { providerRequest, type ProviderCall, type ProviderResponse } from "../http/request.server.ts";
import type { AttendanceRecord, ConnectionRef, MeetingInput, MeetingProvider, MeetingRef, OccurrenceRef, Pages, RateBudgets, TokenSource } from "../ports.ts";
import type { ZoomConfig } from "./config.ts";
import { restError } from "./errors.ts";
import { zoomLightBudget, zoomMediumBudget } from "./index.server.ts";
import { agendaHasKey, agendaKey, attendanceRecord, createMeetingBody, meetingPathId, nextUtcMidnight, parseJsonExact, updateMeetingBody, utcDay } from "./mapping.ts";
import { Me, ZoomMeeting, ZoomMeetingList, ZoomParticipants, ZoomPastInstances } from "./schemas.ts";

export type ZoomMeetingsDeps = {
  config: ZoomConfig;
  tokens: TokenSource;
  /** The shared budgets: the account's Light and Medium per-second budgets, each host's daily writes. */
  budgets?: RateBudgets;
  onAttempt?: ProviderCall["onAttempt"];
};

/** Zoom's allowance of meeting creates and updates per host user per UTC day. */
export const DAILY_MEETING_WRITES_LIMIT = 100;
const DAY_MS = 24 * 60 * 60 * 1000;
const PAGE_SIZE = 300;

type Category = "light" | "medium";
type Spec = { operation: string; method: ProviderCall["method"]; path: string; body?: unknown; idempotent: boolean; category: Category };
type Schema<T> = { safeParse: (v: unknown) => { success: true; data: T } | { success: false; error: { issues: { message: string; path: PropertyKey[] }[] } } };

/** The budget key of a host's meeting creates and updates on one UTC day. */
export function dailyWritesKey(hostId: string, now: Date = new Date()): string {
  return `zoom:user:${hostId}:writes:${utcDay(now)}`;
}

export function createZoomMeetings(deps: ZoomMeetingsDeps): MeetingProvider {
  const api = deps.config.apiUrl.replace(/\/$/, "");
  /** Host ("me", a user id or an email) → Zoom user id, per connection (ids do not change). */
  const hosts = new Map<string, string>();

  function budgetFor(conn: ConnectionRef, category: Category): ProviderCall["budget"] {
    if (!deps.budgets) return undefined;
    const account = conn.externalAccount ?? conn.id;
    return category === "light" ? zoomLightBudget(deps.budgets, account) : zoomMediumBudget(deps.budgets, account);
  }

  async function call(conn: ConnectionRef, spec: Spec): Promise<ProviderResponse> {
    const send = (token: string) =>
      providerRequest({
        provider: "zoom",
        operation: spec.operation,
        method: spec.method,
        url: `${api}${spec.path}`,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          ...(spec.body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: spec.body !== undefined ? JSON.stringify(spec.body) : undefined,
        idempotent: spec.idempotent,
        budget: budgetFor(conn, spec.category),
        onAttempt: deps.onAttempt,
      });
    const first = await deps.tokens.accessToken(conn);
    const res = await send(first.token);
    if (res.status !== 401) return res;
    // A token we thought good was refused: expire it (unless a newer one is stored) and re-send once.
    await deps.tokens.rejected(conn, first.version);
    const again = await deps.tokens.accessToken(conn);
    return send(again.token);
  }

  function parse<T>(schema: Schema<T>, res: ProviderResponse, operation: string): T {
    let raw: unknown;
    try {
      raw = res.text ? parseJsonExact(res.text) : {};
    } catch (e) {
      throw new IntegrationError({ code: "contract", provider: "zoom", operation, status: res.status, providerMessage: `not JSON: ${res.text.slice(0, 120)}`, cause: e });
    }
    const r = schema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new IntegrationError({ code: "contract", provider: "zoom", operation, status: res.status, providerMessage: issue ? `${issue.path.join(".")}: ${issue.message}` : "unexpected reply" });
    }
    return r.data;
  }

  async function hostId(conn: ConnectionRef, host: string): Promise<string> {
    const cacheKey = `${conn.id}\n${host.toLowerCase()}`;
    const known = hosts.get(cacheKey);
    if (known) return known;
    const operation = "users.get";
    const res = await call(conn, { operation, method: "GET", path: `/users/${encodeURIComponent(host)}`, idempotent: true, category: "light" });
    if (res.status !== 200) throw restError(res, operation);
    const id = parse(Me, res, operation).id;
    hosts.set(cacheKey, id);
    return id;
  }

  /** Spends one of the host's daily creates/updates, or refuses before Zoom would. */
  async function spendWrite(host: string, operation: string): Promise<void> {
    if (!deps.budgets) return;
    const now = new Date();
    const taken = await deps.budgets.take(dailyWritesKey(host, now), DAILY_MEETING_WRITES_LIMIT, DAY_MS);
    if (taken.ok) return;
    throw new IntegrationError({
      code: "rate_limited",
      provider: "zoom",
      operation,
      // The key is per UTC day: whatever the store says, the next day's key is fresh at 00:00 UTC.
      retryAt: nextUtcMidnight(now),
      budget: "per_user_day",
      providerMessage: `the daily limit (${DAILY_MEETING_WRITES_LIMIT}) of meeting creates and updates for Zoom user ${host} is spent until 00:00 UTC`,
    });
  }

  /** A create/update refused: Zoom's daily limit also closes our budget for every process. */
  async function writeError(res: ProviderResponse, operation: string, host: string, create: boolean): Promise<IntegrationError> {
    const e = restError(res, operation);
    if (e.budget === "per_user_day" && e.retryAt && deps.budgets) await deps.budgets.block(dailyWritesKey(host), e.retryAt);
    // A create answered 5xx may have been made: the caller reconciles with findByKey first.
    if (create && e.code === "transient") {
      return new IntegrationError({ code: "ambiguous_write", provider: "zoom", operation, status: e.status, providerCode: e.providerCode, providerMessage: e.providerMessage });
    }
    return e;
  }

  function toRef(m: ZoomMeeting): MeetingRef {
    const ref: MeetingRef = { provider: "zoom", externalId: m.id, joinUrl: m.join_url };
    if (m.start_url) ref.hostUrl = m.start_url;
    if (m.password) ref.passcode = m.password;
    if (m.occurrences) {
      ref.occurrences = m.occurrences
        .filter((o) => o.status !== "deleted")
        .map((o) => ({ startsAt: new Date(o.start_time), externalId: o.occurrence_id }))
        .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
    }
    return ref;
  }

  async function getMeeting(conn: ConnectionRef, id: string): Promise<ZoomMeeting> {
    const operation = "meetings.get";
    const res = await call(conn, { operation, method: "GET", path: `/meetings/${meetingPathId(id)}`, idempotent: true, category: "light" });
    if (res.status !== 200) throw restError(res, operation);
    return parse(ZoomMeeting, res, operation);
  }

  const occurrenceId = (o: OccurrenceRef) => o.externalId ?? String(o.startsAt.getTime());

  /** The session to read: a uuid as given; for a series, the instance that began within `window`. */
  async function pastSession(conn: ConnectionRef, ref: MeetingRef, window: { from: Date; to: Date }): Promise<string> {
    if (!/^\d+$/.test(ref.externalId) || !ref.occurrences?.length) return ref.externalId;
    const operation = "past_meetings.instances";
    const res = await call(conn, { operation, method: "GET", path: `/past_meetings/${meetingPathId(ref.externalId)}/instances`, idempotent: true, category: "medium" });
    if (res.status !== 200) throw restError(res, operation);
    const held = parse(ZoomPastInstances, res, operation)
      .meetings.map((i) => ({ uuid: i.uuid, at: Date.parse(i.start_time) }))
      .filter((i) => i.at >= window.from.getTime() && i.at <= window.to.getTime())
      .sort((a, b) => b.at - a.at);
    if (!held[0]) throw new IntegrationError({ code: "not_found", provider: "zoom", operation, providerMessage: `no session of meeting ${ref.externalId} began in the window` });
    return held[0].uuid;
  }

  return {
    provider: "zoom",
    capabilities: { attendance: "both", recordings: true, recurrence: "platform" },

    async createMeeting(conn: ConnectionRef, input: MeetingInput, idempotencyKey: string): Promise<MeetingRef> {
      const operation = "meetings.create";
      const host = input.hostUserId ?? "me";
      const body = createMeetingBody(input, idempotencyKey);
      const id = await hostId(conn, host);
      await spendWrite(id, operation);
      const res = await call(conn, { operation, method: "POST", path: `/users/${encodeURIComponent(host)}/meetings`, body, idempotent: false, category: "medium" });
      if (res.status !== 201 && res.status !== 200) throw await writeError(res, operation, id, true);
      return toRef(parse(ZoomMeeting, res, operation));
    },

    async updateMeeting(conn: ConnectionRef, ref: MeetingRef, input: Partial<MeetingInput>, occurrence?: OccurrenceRef): Promise<MeetingRef> {
      const operation = occurrence ? "meetings.update_occurrence" : "meetings.update";
      const current = await getMeeting(conn, ref.externalId);
      const body = updateMeetingBody(input, { occurrence: !!occurrence, key: agendaKey(current.agenda), currentTimezone: current.timezone });
      if (Object.keys(body).length === 0) return toRef(current);
      const host = current.host_id ?? (await hostId(conn, "me"));
      await spendWrite(host, operation);
      const query = occurrence ? `?occurrence_id=${encodeURIComponent(occurrenceId(occurrence))}` : "";
      // The same PATCH twice leaves the same meeting.
      const res = await call(conn, { operation, method: "PATCH", path: `/meetings/${meetingPathId(ref.externalId)}${query}`, body, idempotent: true, category: "medium" });
      if (res.status !== 204 && res.status !== 200) throw await writeError(res, operation, host, false);
      // The reply is empty: read the meeting again for its links and occurrences as they now are.
      return toRef(await getMeeting(conn, ref.externalId));
    },

    async cancelMeeting(conn: ConnectionRef, ref: MeetingRef, occurrence?: OccurrenceRef): Promise<void> {
      const operation = occurrence ? "meetings.delete_occurrence" : "meetings.delete";
      const query = occurrence ? `?occurrence_id=${encodeURIComponent(occurrenceId(occurrence))}` : "";
      const res = await call(conn, { operation, method: "DELETE", path: `/meetings/${meetingPathId(ref.externalId)}${query}`, idempotent: true, category: "medium" });
      if (res.status === 204 || res.status === 200) return;
      const e = restError(res, operation);
      // Already gone (404, or Zoom's 3001 "Meeting does not exist") is done.
      if (res.status === 404 || e.providerCode === "3001") return;
      throw e;
    },

    readAttendance(conn: ConnectionRef, ref: MeetingRef, window: { from: Date; to: Date }, cursor?: string): Pages<AttendanceRecord> {
      return (async function* () {
        const operation = "past_meetings.participants";
        const session = await pastSession(conn, ref, window);
        let token = cursor ?? "";
        do {
          const q = new URLSearchParams({ page_size: String(PAGE_SIZE) });
          if (token) q.set("next_page_token", token);
          const res = await call(conn, { operation, method: "GET", path: `/past_meetings/${meetingPathId(session)}/participants?${q}`, idempotent: true, category: "medium" });
          if (res.status !== 200) throw restError(res, operation);
          const page = parse(ZoomParticipants, res, operation);
          token = page.next_page_token;
          yield { items: page.participants.map(attendanceRecord), nextCursor: token || null };
        } while (token);
      })();
    },

    async findByKey(conn: ConnectionRef, idempotencyKey: string, around: Date): Promise<MeetingRef | null> {
      const operation = "meetings.list";
      // Upcoming first; a meeting whose time has come is no longer "upcoming", but still "scheduled".
      const types = around.getTime() < Date.now() ? ["upcoming", "scheduled"] : ["upcoming"];
      for (const type of types) {
        let token = "";
        do {
          const q = new URLSearchParams({ type, page_size: String(PAGE_SIZE) });
          if (token) q.set("next_page_token", token);
          const res = await call(conn, { operation, method: "GET", path: `/users/me/meetings?${q}`, idempotent: true, category: "medium" });
          if (res.status !== 200) throw restError(res, operation);
          const page = parse(ZoomMeetingList, res, operation);
          for (const m of page.meetings) {
            const near = m.start_time ? Math.abs(Date.parse(m.start_time) - around.getTime()) <= 2 * DAY_MS : false;
            if (agendaHasKey(m.agenda, idempotencyKey) || (m.agenda === undefined && near)) {
              const full = await getMeeting(conn, m.id);
              if (agendaHasKey(full.agenda, idempotencyKey)) return toRef(full);
            }
          }
          token = page.next_page_token;
        } while (token);
      }
      return null;
    },
  };
}
