/**
 * Pure conversions between the MeetingProvider port and Zoom's wire format: weekdays, the
 * recurrence body, local start times, the idempotency marker in a meeting's agenda, a past
 * meeting's participant as an AttendanceRecord, and JSON that keeps int64 ids exact.
 */
import type { AttendanceRecord, ExternalIdentity, MeetingInput, WeeklyRecurrence } from "../ports.ts";

/** ISO weekday (1 = Monday … 7 = Sunday) → Zoom's `weekly_days` digit (1 = Sunday … 7 = Saturday). */
export function isoToZoomWeekday(iso: number): number {
  if (!Number.isInteger(iso) || iso < 1 || iso > 7) throw new RangeError(`not an ISO weekday: ${iso}`);
  return (iso % 7) + 1;
}

/** Zoom's weekday digit (1 = Sunday … 7 = Saturday) → ISO (1 = Monday … 7 = Sunday). */
export function zoomToIsoWeekday(zoom: number): number {
  if (!Number.isInteger(zoom) || zoom < 1 || zoom > 7) throw new RangeError(`not a Zoom weekday: ${zoom}`);
  return zoom === 1 ? 7 : zoom - 1;
}

/** Zoom refuses a fixed-time series of more than 60 occurrences. */
export const MAX_OCCURRENCES = 60;

/** A date as Zoom's GMT form, `yyyy-MM-ddTHH:mm:ssZ` (no milliseconds). */
export function zoomUtc(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The wall-clock time of `d` in `timeZone` as `yyyy-MM-ddTHH:mm:ss` (what Zoom reads with `timezone`). */
export function localDateTime(d: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(d);
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? "00";
  return `${p("year")}-${p("month")}-${p("day")}T${p("hour")}:${p("minute")}:${p("second")}`;
}

/** Zoom's `recurrence` for a weekly series (type 2), ending on a day or after a count. */
export function weeklyRecurrenceBody(r: WeeklyRecurrence): { type: 2; repeat_interval: 1; weekly_days: string; end_times?: number; end_date_time?: string } {
  if (r.weekdays.length === 0) throw new RangeError("a weekly series needs at least one weekday");
  const days = [...new Set(r.weekdays.map(isoToZoomWeekday))].sort((a, b) => a - b).join(",");
  const body = { type: 2 as const, repeat_interval: 1 as const, weekly_days: days };
  // Zoom takes one of the two; a count is exact, so it wins when both are given.
  if (r.count !== undefined) {
    if (!Number.isInteger(r.count) || r.count < 1 || r.count > MAX_OCCURRENCES) throw new RangeError(`a series has 1 to ${MAX_OCCURRENCES} occurrences, not ${r.count}`);
    return { ...body, end_times: r.count };
  }
  if (r.until) return { ...body, end_date_time: zoomUtc(r.until) };
  throw new RangeError("a weekly series needs an end: a day or a count");
}

/** Zoom's agenda holds at most 2,000 characters; the marker takes the tail. */
export const AGENDA_MAX = 2000;

export function keyMarker(idempotencyKey: string): string {
  return `[lopso:${idempotencyKey}]`;
}

/** The agenda with the idempotency marker at its end (the teacher's text cut to make room). */
export function agendaWithKey(agenda: string | undefined, idempotencyKey: string): string {
  const marker = keyMarker(idempotencyKey);
  const text = (agenda ?? "").trimEnd();
  if (!text) return marker;
  const room = AGENDA_MAX - marker.length - 2;
  return `${text.length > room ? text.slice(0, room) : text}\n\n${marker}`;
}

export function agendaHasKey(agenda: string | null | undefined, idempotencyKey: string): boolean {
  return !!agenda && agenda.trimEnd().endsWith(keyMarker(idempotencyKey));
}

/** The agenda a teacher wrote, without our marker (for an update that keeps the key). */
export function agendaKey(agenda: string | null | undefined): string | null {
  const m = /\[lopso:([^\]]+)\]\s*$/.exec(agenda ?? "");
  return m ? m[1]! : null;
}

/** The body of `POST /users/{id}/meetings`: type 2 for one meeting, type 8 for a weekly series. */
export function createMeetingBody(input: MeetingInput, idempotencyKey: string): Record<string, unknown> {
  return {
    topic: input.topic.slice(0, 200),
    type: input.recurrence ? 8 : 2,
    start_time: localDateTime(input.startsAt, input.timezone),
    duration: input.durationMinutes,
    timezone: input.timezone,
    agenda: agendaWithKey(input.agenda, idempotencyKey),
    ...(input.recurrence ? { recurrence: weeklyRecurrenceBody(input.recurrence) } : {}),
  };
}

/**
 * The body of `PATCH /meetings/{id}` for the fields given. One occurrence takes only its time
 * and length (Zoom moves that occurrence alone); the marker in the agenda is kept.
 */
export function updateMeetingBody(input: Partial<MeetingInput>, opts: { occurrence: boolean; key: string | null; currentTimezone?: string }): Record<string, unknown> {
  const tz = input.timezone ?? opts.currentTimezone ?? "UTC";
  const body: Record<string, unknown> = {};
  if (input.startsAt) {
    body.start_time = localDateTime(input.startsAt, tz);
    body.timezone = tz;
  }
  if (input.durationMinutes !== undefined) body.duration = input.durationMinutes;
  if (opts.occurrence) return body;
  if (input.topic !== undefined) body.topic = input.topic.slice(0, 200);
  if (input.timezone !== undefined) body.timezone = input.timezone;
  if (input.agenda !== undefined) body.agenda = opts.key ? agendaWithKey(input.agenda, opts.key) : input.agenda.slice(0, AGENDA_MAX);
  if (input.recurrence) {
    body.type = 8;
    body.recurrence = weeklyRecurrenceBody(input.recurrence);
  }
  return body;
}

/** A meeting uuid in a path: Zoom needs it encoded twice when it begins with `/` or holds `//`. */
export function meetingPathId(idOrUuid: string): string {
  const once = encodeURIComponent(idOrUuid);
  return idOrUuid.startsWith("/") || idOrUuid.includes("//") ? encodeURIComponent(once) : once;
}

/** The next 00:00:00 UTC after `now` (when Zoom's per-user daily counts start again). */
export function nextUtcMidnight(now: Date = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** `YYYY-MM-DD` of `now` in UTC. */
export function utcDay(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export type ZoomParticipant = {
  id?: string;
  user_id?: string;
  registrant_id?: string;
  name?: string;
  user_email?: string;
  join_time: string;
  leave_time?: string;
  duration?: number;
};

/**
 * A row of `GET /past_meetings/{id}/participants` with every identity it carries: `id` is the
 * participant's Zoom user id (empty for a guest), `user_id` the id Zoom gave this join,
 * `registrant_id`, the email when Zoom has one, and the name shown in the meeting.
 */
export function attendanceRecord(p: ZoomParticipant): AttendanceRecord {
  const identities: ExternalIdentity[] = [];
  const add = (kind: ExternalIdentity["kind"], value: string | undefined) => {
    const v = value?.trim();
    if (v && !identities.some((i) => i.kind === kind && i.value === v)) identities.push({ kind, value: v });
  };
  add("participant_id", p.user_id);
  add("user_id", p.id);
  add("registrant_id", p.registrant_id);
  add("email", p.user_email?.toLowerCase());
  add("display_name", p.name);
  const joinedAt = new Date(p.join_time);
  const leftAt = p.leave_time ? new Date(p.leave_time) : null;
  const durationSeconds = p.duration ?? (leftAt ? Math.max(0, Math.round((leftAt.getTime() - joinedAt.getTime()) / 1000)) : 0);
  return { identities, joinedAt, leftAt, durationSeconds };
}

/**
 * `JSON.parse` that keeps integers beyond 2^53 exact: every integer literal of 16 digits or more
 * outside a string becomes a string before parsing (Zoom's ids are int64 numbers).
 */
export function parseJsonExact(text: string): unknown {
  let out = "";
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    if ((c === "-" || (c >= "0" && c <= "9")) && !/[0-9.eE+\-]/.test(text[i - 1] ?? "")) {
      let j = c === "-" ? i + 1 : i;
      while (j < text.length && text[j]! >= "0" && text[j]! <= "9") j++;
      const digits = j - (c === "-" ? i + 1 : i);
      const fraction = /[.eE]/.test(text[j] ?? "");
      if (digits >= 16 && !fraction) {
        out += `${text.slice(from, i)}"${text.slice(i, j)}"`;
        from = j;
      }
      i = j - 1;
    }
  }
  return JSON.parse(out + text.slice(from));
}
