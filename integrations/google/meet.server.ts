/**
 * Google Meet as a MeetingProvider, through @googleapis/meet over the hub's HTTP layer.
 *
 * Meet has no schedule: a space is a reusable room, so one space serves a whole series and the hub
 * schedules the occurrences itself (`recurrence: "hub"`). Attendance is polled from the conference
 * records the space left behind (`attendance: "poll"`); recordings are not read here.
 */
import { meet, type meet_v2 } from "@googleapis/meet";
import { IntegrationError } from "../errors.ts";
import { providerFetch } from "../http/fetch.server.ts";
import { takeAll } from "../http/budgets.ts";
import type { AttendanceRecord, ConnectionRef, MeetingProvider, MeetingRef, Pages, RateBudgets, TokenSource } from "../ports.ts";
import { MEET_ROOT, type GoogleConfig } from "./config.ts";
import { googleError } from "./errors.ts";
import {
  attendanceOf,
  conferenceFilter,
  decodeCursor,
  encodeCursor,
  MeetConferenceRecord,
  MeetParticipant,
  MeetParticipantSession,
  MeetSpace,
  nextToken,
  parseMeet,
  spaceRef,
  SPACE_NAME,
  type AttendanceCursor,
} from "./meet-mapping.ts";

/** spaces.create: 100 per minute per project, shared by every process. */
export const MEET_CREATE_BUDGET = { key: "google:meet:creates", limit: 100, windowMs: 60_000, sliding: true } as const;
/** spaces.create: 10 per minute per user (a connection is one Google user's grant). */
export const meetUserCreateBudget = (connectionId: string) => ({ key: `google:meet:user:${connectionId}:creates`, limit: 10, windowMs: 60_000, sliding: true });
/** Meet reads: 600 per minute per user. */
export const meetUserReadBudget = (connectionId: string) => ({ key: `google:meet:user:${connectionId}:reads`, limit: 600, windowMs: 60_000 });
const RECORDS_PAGE = 100; // conferenceRecords.list: default 25, max 100
const PARTICIPANTS_PAGE = 100; // participants.list: default 100, max 250
const SESSIONS_PAGE = 250; // participantSessions.list: default 100, max 250

export type MeetDeps = {
  config: GoogleConfig;
  tokens: TokenSource;
  /** Shared budgets (PostgreSQL); without them the create budget is kept in this process only. */
  budgets?: RateBudgets;
  onAttempt?: (outcome: { status?: number; throttled: boolean }) => void;
};

type Meet = meet_v2.Meet;

export function createMeetMeetings(deps: MeetDeps): MeetingProvider {
  const budgets = deps.budgets ?? processBudgets();

  function client(conn: ConnectionRef, token: string, operation: string, idempotent: boolean): Meet {
    // Reads spend the user's shared read budget in the HTTP layer (which waits up to 10 s for it
    // and records a 429's Retry-After for every process); creates are counted before the call.
    const budget = deps.budgets && idempotent ? { store: deps.budgets, ...meetUserReadBudget(conn.id) } : undefined;
    return meet({
      version: "v2",
      rootUrl: deps.config.apiRoot ?? MEET_ROOT,
      headers: { authorization: `Bearer ${token}` },
      retry: false,
      fetchImplementation: providerFetch({ provider: "google", operation, idempotent, onAttempt: deps.onAttempt, budget }),
    });
  }

  /**
   * One API call with the connection's token: a 401 on it tells the token source (which expires
   * it only if no newer one was stored), and the call is sent once more with a fresh token. A
   * 401 means Google did nothing, so even a create is safe to send again.
   */
  async function call<T>(conn: ConnectionRef, operation: string, idempotent: boolean, fn: (m: Meet) => Promise<{ data: T }>): Promise<T> {
    let t = await deps.tokens.accessToken(conn);
    for (let attempt = 1; ; attempt++) {
      try {
        return (await fn(client(conn, t.token, operation, idempotent))).data;
      } catch (e) {
        const err = googleError(e, operation);
        if (err.code === "reauth_required" && err.status === 401 && attempt === 1) {
          await deps.tokens.rejected(conn, t.version);
          t = await deps.tokens.accessToken(conn);
          continue;
        }
        throw err;
      }
    }
  }

  const spaceName = (ref: MeetingRef, operation: string) => {
    if (!SPACE_NAME.test(ref.externalId)) throw new IntegrationError({ code: "rejected", provider: "google", operation, providerMessage: `not a Meet space: ${ref.externalId}` });
    return ref.externalId;
  };

  const getSpace = async (conn: ConnectionRef, name: string) =>
    parseMeet(MeetSpace, await call(conn, "spaces.get", true, (m) => m.spaces.get({ name })), "spaces.get");

  return {
    provider: "google",
    capabilities: { attendance: "poll", recordings: false, recurrence: "hub" },

    async createMeeting(conn, _input, _idempotencyKey) {
      const operation = "spaces.create";
      // Refused here, before Google does, when the project's or the user's minute is spent —
      // both or neither: a user whose ten are spent gives the project's unit back.
      const taken = await takeAll(budgets, [MEET_CREATE_BUDGET, meetUserCreateBudget(conn.id)]);
      if (!taken.ok) throw new IntegrationError({ code: "rate_limited", provider: "google", operation, retryAt: taken.retryAt, budget: "burst", providerMessage: `budget ${taken.key} is spent` });
      try {
        // TRUSTED: people of the school's Workspace domain join without knocking; others ask.
        // The title and times stay with the hub: a space has neither.
        const data = await call(conn, operation, false, (m) => m.spaces.create({ requestBody: { config: { accessType: "TRUSTED" } } }));
        return spaceRef(parseMeet(MeetSpace, data, operation));
      } catch (e) {
        if (e instanceof IntegrationError && e.code === "rate_limited" && e.retryAt) await budgets.block(MEET_CREATE_BUDGET.key, e.retryAt);
        throw e;
      }
    },

    /**
     * Nothing to change at Meet for a new time or title (a space has no schedule): the space is
     * read to confirm it still exists (gone → `not_found`) and its link returned as Google has it.
     */
    async updateMeeting(conn, ref) {
      const space = await getSpace(conn, spaceName(ref, "spaces.get"));
      return { ...ref, ...spaceRef(space) };
    },

    /**
     * One occurrence: if a conference is going on in the space now, it is ended (everyone is
     * removed); otherwise there is nothing at Meet to undo. The whole series: nothing more to do
     * at Meet — Meet v2 cannot delete a space, and the hub simply stops scheduling it and showing
     * its link. A space that is already gone counts as done.
     */
    async cancelMeeting(conn, ref, occurrence) {
      if (!occurrence) return;
      const name = spaceName(ref, "spaces.endActiveConference");
      try {
        const space = await getSpace(conn, name);
        if (!space.activeConference) return;
        await call(conn, "spaces.endActiveConference", true, (m) => m.spaces.endActiveConference({ name, requestBody: {} }));
      } catch (e) {
        if (e instanceof IntegrationError && e.code === "not_found") return;
        // It ended by itself between the read and the call.
        if (e instanceof IntegrationError && e.providerCode === "FAILED_PRECONDITION") return;
        throw e;
      }
    },

    readAttendance(conn, ref, window, cursor) {
      return attendancePages(conn, spaceName(ref, "conferenceRecords.list"), window, decodeCursor(cursor));
    },

    /** A space carries nothing of ours to find it by, so an ambiguous create cannot be matched. */
    async findByKey() {
      return null;
    },
  };

  /**
   * One page per participants page of each conference record that began in the window (a session
   * restarted by the teacher leaves two records), each cursor pointing at the page after it.
   */
  async function* attendancePages(conn: ConnectionRef, space: string, window: { from: Date; to: Date }, start: AttendanceCursor): Pages<AttendanceRecord> {
    const filter = conferenceFilter(space, window);
    let rt = start.rt;
    let resumeRecord = start.rec;
    let resumePt = start.pt;
    for (;;) {
      const op = "conferenceRecords.list";
      const page = await call(conn, op, true, (m) => m.conferenceRecords.list({ filter, pageSize: RECORDS_PAGE, pageToken: rt ?? undefined }));
      const records = (page.conferenceRecords ?? []).map((r) => parseMeet(MeetConferenceRecord, r, op));
      const nextRt = nextToken(page.nextPageToken);
      let from = 0;
      if (resumeRecord) {
        from = records.findIndex((r) => r.name === resumeRecord);
        if (from < 0) throw new IntegrationError({ code: "contract", provider: "google", operation: op, providerMessage: `${resumeRecord} is no longer on its page` });
      }
      for (let i = from; i < records.length; i++) {
        let pt = i === from ? resumePt : null;
        for (;;) {
          const items: AttendanceRecord[] = [];
          const res = await participantsPage(conn, records[i].name, pt);
          for (const p of res.participants) items.push(attendanceOf(p, await allSessions(conn, p.name)));
          pt = res.next;
          const after: AttendanceCursor | null = pt
            ? { rt, rec: records[i].name, pt }
            : i + 1 < records.length
              ? { rt, rec: records[i + 1].name, pt: null }
              : nextRt
                ? { rt: nextRt, rec: null, pt: null }
                : null;
          yield { items, nextCursor: after ? encodeCursor(after) : null };
          if (!pt) break;
        }
      }
      if (records.length === 0 && !nextRt) {
        // Nothing held in the window (or nothing left): one empty, final page.
        if (!resumeRecord) yield { items: [], nextCursor: null };
        return;
      }
      if (!nextRt) return;
      rt = nextRt;
      resumeRecord = null;
      resumePt = null;
    }
  }

  async function participantsPage(conn: ConnectionRef, parent: string, pageToken: string | null) {
    const op = "conferenceRecords.participants.list";
    const data = await call(conn, op, true, (m) => m.conferenceRecords.participants.list({ parent, pageSize: PARTICIPANTS_PAGE, pageToken: pageToken ?? undefined }));
    return { participants: (data.participants ?? []).map((p) => parseMeet(MeetParticipant, p, op)), next: nextToken(data.nextPageToken) };
  }

  async function allSessions(conn: ConnectionRef, parent: string) {
    const op = "conferenceRecords.participants.participantSessions.list";
    const out: MeetParticipantSession[] = [];
    let pageToken: string | null = null;
    do {
      const token: string | null = pageToken;
      const data = await call(conn, op, true, (m) => m.conferenceRecords.participants.participantSessions.list({ parent, pageSize: SESSIONS_PAGE, pageToken: token ?? undefined }));
      for (const s of data.participantSessions ?? []) out.push(parseMeet(MeetParticipantSession, s, op));
      pageToken = nextToken(data.nextPageToken);
    } while (pageToken);
    return out;
  }
}

/** A fixed-window budget for one process, for when no shared store is given. */
function processBudgets(): RateBudgets {
  const windows = new Map<string, { start: number; used: number; blockedUntil: number }>();
  // One process counts whole windows (spread or not): spacing is for the budgets every process shares.
  return {
    async take(key, limit, windowMs) {
      const now = Date.now();
      let w = windows.get(key);
      if (!w || now - w.start >= windowMs) windows.set(key, (w = { start: now, used: 0, blockedUntil: w?.blockedUntil ?? 0 }));
      if (w.blockedUntil > now) return { ok: false, retryAt: new Date(w.blockedUntil) };
      if (w.used >= limit) return { ok: false, retryAt: new Date(w.start + windowMs) };
      w.used++;
      return { ok: true, windowStart: new Date(w.start) };
    },
    async giveBack(key, windowStart) {
      const w = windows.get(key);
      if (w && w.start === windowStart.getTime() && w.used > 0) w.used--;
    },
    async block(key, until) {
      const w = windows.get(key) ?? { start: Date.now(), used: 0, blockedUntil: 0 };
      w.blockedUntil = Math.max(w.blockedUntil, until.getTime());
      windows.set(key, w);
    },
  };
}
