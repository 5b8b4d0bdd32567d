/**
 * Teams online meetings as a MeetingProvider, through the Graph client over the hub's HTTP layer.
 *
 * - A teacher's delegated connection works on `/me/onlineMeetings`; a meeting for a named host
 *   (`hostUserId`, an application connection with an access policy for that user) on
 *   `/users/{id}/onlineMeetings`. The ref does not carry the host, so later calls for such a
 *   meeting take it from `deps.hostUserId` (the service knows which connection it holds).
 * - Create is `POST …/onlineMeetings/createOrGet` with the idempotency key as `externalId`: a
 *   retried create returns the meeting already made, so the call is idempotent.
 * - One online meeting serves a whole series: the hub schedules the occurrences (recurrence
 *   "hub"); a standalone meeting stays joinable outside its times. An occurrence's change or
 *   cancellation is the hub's alone.
 * - Attendance is polled: one report per session, records page by page (`@odata.nextLink`).
 * - A 401 on a token we thought fresh expires it (by version) and the call is re-sent once.
 */
import { GraphError, ResponseType, type Client } from "@microsoft/microsoft-graph-client";
import { IntegrationError, isIntegrationError } from "../errors.ts";
import type { ProviderCall } from "../http/request.server.ts";
import type { AttendanceRecord, ConnectionRef, MeetingInput, MeetingProvider, MeetingRef, OccurrenceRef, Page, RateBudgets, TokenSource } from "../ports.ts";
import type { MicrosoftConfig } from "./config.ts";
import { graphContract, graphSender } from "./sender.server.ts";
import { attendanceRecord, createBody, meetingRef, patchBody, patchNeedsCurrent, reportsInWindow } from "./mapping.ts";
import { AttendanceRecordPage, AttendanceReportPage, OnlineMeeting, type AttendanceReport } from "./schemas.ts";
import type { z } from "zod";

export type TeamsMeetingsDeps = {
  config: MicrosoftConfig;
  tokens: TokenSource;
  budgets?: RateBudgets;
  onAttempt?: ProviderCall["onAttempt"];
  /** The Graph user whose meetings an application connection works on; none: the signed-in user (`/me`). */
  hostUserId?: (connection: ConnectionRef) => string | undefined;
};

const contract = graphContract;

function parse<S extends z.ZodType>(schema: S, body: unknown, operation: string): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw contract(operation, parsed.error.issues[0]?.message);
  return parsed.data;
}

/** A non-2xx raw reply as the Graph client's own error (so `graphClientError` maps it). */
async function rawError(res: Response): Promise<GraphError> {
  let body: { error?: { code?: string; message?: string } } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // not JSON: the status speaks
  }
  const e = new GraphError(res.status, body.error?.message ?? `HTTP ${res.status}`);
  e.code = body.error?.code ?? null;
  e.headers = res.headers;
  return e;
}

export function createTeamsMeetings(deps: TeamsMeetingsDeps): MeetingProvider {
  const { config } = deps;

  const base = (conn: ConnectionRef, hostUserId?: string) => {
    const host = hostUserId ?? deps.hostUserId?.(conn);
    return host ? `/users/${encodeURIComponent(host)}/onlineMeetings` : "/me/onlineMeetings";
  };

  // Calls with the connection's token (a 401 refreshes once) and Graph's page links as given.
  const { send, pageLink } = graphSender(deps);

  function toRef(m: OnlineMeeting, operation: string): MeetingRef {
    const ref = meetingRef(m);
    if (!ref) throw contract(operation, "the meeting has no join link");
    return ref;
  }

  /** `createOrGet` with the key; `created` tells a meeting made now (201) from one found (200). */
  async function createOrGet(conn: ConnectionRef, body: ReturnType<typeof createBody>, hostUserId: string | undefined, operation: string) {
    return send(conn, { operation, idempotent: true }, async (client) => {
      const res = (await client.api(`${base(conn, hostUserId)}/createOrGet`).responseType(ResponseType.RAW).post(body)) as Response;
      if (!res.ok) throw await rawError(res);
      let json: unknown;
      try {
        json = await res.json();
      } catch {
        throw contract(operation, "the reply is not JSON");
      }
      return { meeting: parse(OnlineMeeting, json, operation), created: res.status === 201 };
    });
  }

  async function getMeeting(conn: ConnectionRef, id: string, hostUserId?: string) {
    const operation = "onlineMeetings.get";
    const body = await send(conn, { operation, idempotent: true }, (client) => client.api(`${base(conn, hostUserId)}/${encodeURIComponent(id)}`).get());
    return parse(OnlineMeeting, body, operation);
  }

  async function* reportsOf(conn: ConnectionRef, ref: MeetingRef): AsyncGenerator<AttendanceReport> {
    const operation = "onlineMeetings.attendanceReports.list";
    let link: string | null = `${base(conn)}/${encodeURIComponent(ref.externalId)}/attendanceReports`;
    while (link) {
      const path: string = link;
      const page = parse(AttendanceReportPage, await send(conn, { operation, idempotent: true }, (client) => client.api(path).get()), operation);
      yield* page.value;
      link = page["@odata.nextLink"] ? pageLink(page["@odata.nextLink"], operation) : null;
    }
  }

  /** Already gone (404) counts as done. */
  async function deleteMeeting(conn: ConnectionRef, id: string, hostUserId?: string) {
    const operation = "onlineMeetings.delete";
    try {
      await send(conn, { operation, idempotent: true }, (client) => client.api(`${base(conn, hostUserId)}/${encodeURIComponent(id)}`).delete());
    } catch (e) {
      if (isIntegrationError(e) && e.code === "not_found") return;
      throw e;
    }
  }

  return {
    provider: "microsoft",
    capabilities: { attendance: "poll", recordings: false, recurrence: "hub" },

    async createMeeting(conn: ConnectionRef, input: MeetingInput, idempotencyKey: string): Promise<MeetingRef> {
      const operation = "onlineMeetings.createOrGet";
      const { meeting } = await createOrGet(conn, createBody(input, idempotencyKey), input.hostUserId, operation);
      return toRef(meeting, operation);
    },

    async updateMeeting(conn: ConnectionRef, ref: MeetingRef, input: Partial<MeetingInput>, occurrence?: OccurrenceRef): Promise<MeetingRef> {
      // One occurrence of a hub-scheduled series: the meeting at Graph stays as it is.
      if (occurrence) return ref;
      const operation = "onlineMeetings.update";
      const current = patchNeedsCurrent(input) ? await getMeeting(conn, ref.externalId, input.hostUserId) : undefined;
      const body = patchBody(input, current);
      if (Object.keys(body).length === 0) return ref;
      const reply = await send(conn, { operation, idempotent: true }, (client) => client.api(`${base(conn, input.hostUserId)}/${encodeURIComponent(ref.externalId)}`).patch(body));
      // Graph answers 200 with the meeting (some tenants 204): keep the ref when there is no body.
      if (!reply || typeof reply !== "object") return ref;
      return { ...ref, ...toRef(parse(OnlineMeeting, reply, operation), operation), ...(ref.hostUrl ? { hostUrl: ref.hostUrl } : {}) };
    },

    async cancelMeeting(conn: ConnectionRef, ref: MeetingRef, occurrence?: OccurrenceRef): Promise<void> {
      if (occurrence) return;
      await deleteMeeting(conn, ref.externalId);
    },

    readAttendance(conn: ConnectionRef, ref: MeetingRef, window: { from: Date; to: Date }, cursor?: string): AsyncIterable<Page<AttendanceRecord>> {
      const operation = "onlineMeetings.attendanceRecords.list";
      const recordsUrl = (reportId: string) => `${base(conn)}/${encodeURIComponent(ref.externalId)}/attendanceReports/${encodeURIComponent(reportId)}/attendanceRecords`;
      /** The cursor is an absolute link (Graph's nextLink, or a report's first page): callers can keep it. */
      const absolute = (path: string) => (/^https?:\/\//.test(path) ? path : `${config.graphUrl.replace(/\/$/, "")}${path}`);
      return {
        async *[Symbol.asyncIterator]() {
          const all: AttendanceReport[] = [];
          for await (const r of reportsOf(conn, ref)) all.push(r);
          const reports = reportsInWindow(all, window);
          let index = 0;
          let link: string | null = null;
          if (cursor) {
            // Resume in the report the cursor belongs to (its id is in the link's path).
            const path = decodeURIComponent(new URL(cursor).pathname);
            index = reports.findIndex((r) => path.includes(`/attendanceReports/${r.id}/`));
            if (index < 0) throw contract(operation, "the cursor names no report of this session");
            link = pageLink(cursor, operation);
          }
          for (; index < reports.length; index++) {
            link ??= recordsUrl(reports[index].id);
            while (link) {
              const path: string = link;
              const page = parse(AttendanceRecordPage, await send(conn, { operation, idempotent: true }, (client) => client.api(path).get()), operation);
              const next = page["@odata.nextLink"] ? pageLink(page["@odata.nextLink"], operation) : null;
              const following = next ?? (index + 1 < reports.length ? recordsUrl(reports[index + 1].id) : null);
              const items = page.value.map(attendanceRecord).filter((r): r is AttendanceRecord => r !== null);
              yield { items, nextCursor: following ? absolute(next ? page["@odata.nextLink"]! : following) : null };
              link = next;
            }
          }
        },
      };
    },

    /**
     * Graph documents no look-up of a meeting by `externalId` (`$filter` takes only `joinWebUrl`
     * or `joinMeetingId`), and `createOrGet` with the same key is itself the reconciliation: a
     * retried `createMeeting` returns the meeting an ambiguous create made. Here the same call
     * answers "was one made?": 200 is the meeting made with this key; 201 means there was none —
     * the placeholder just made is deleted and the answer is null.
     */
    async findByKey(conn: ConnectionRef, idempotencyKey: string, around: Date): Promise<MeetingRef | null> {
      const operation = "onlineMeetings.createOrGet";
      const { meeting, created } = await createOrGet(conn, createBody({ topic: "Lớp Số", startsAt: around, durationMinutes: 60 }, idempotencyKey), undefined, operation);
      if (!created) return toRef(meeting, operation);
      await deleteMeeting(conn, meeting.id);
      return null;
    },
  };
}
