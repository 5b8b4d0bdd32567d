/** Pure conversions between Graph's online meetings and attendance and the MeetingProvider port. */
import type { AttendanceRecord, ExternalIdentity, MeetingInput, MeetingRef } from "../ports.ts";
import type { AttendanceReport, GraphAttendanceRecord, OnlineMeeting } from "./schemas.ts";

/** The meeting as the hub keeps it; `joinWebUrl`, else the old `joinUrl`. Null when Graph gave no link. */
export function meetingRef(m: OnlineMeeting): MeetingRef | null {
  const joinUrl = m.joinWebUrl || m.joinUrl;
  if (!joinUrl) return null;
  const passcode = m.joinMeetingIdSettings?.passcode || undefined;
  return { provider: "microsoft", externalId: m.id, joinUrl, ...(passcode ? { passcode } : {}) };
}

const iso = (d: Date) => d.toISOString();

/** The body of a create: subject and times in UTC, with the idempotency key as Graph's `externalId`. */
export function createBody(input: Pick<MeetingInput, "topic" | "startsAt" | "durationMinutes">, externalId: string) {
  return {
    externalId,
    subject: input.topic,
    startDateTime: iso(input.startsAt),
    endDateTime: iso(new Date(input.startsAt.getTime() + input.durationMinutes * 60_000)),
  };
}

/**
 * The body of a PATCH for what changed. Moving the start keeps the length unless a new one is
 * given; a new length alone keeps the start: `current` is the meeting as Graph has it.
 */
export function patchBody(input: Partial<MeetingInput>, current?: { startDateTime?: string | null; endDateTime?: string | null }) {
  const body: { subject?: string; startDateTime?: string; endDateTime?: string } = {};
  if (input.topic !== undefined) body.subject = input.topic;
  if (input.startsAt || input.durationMinutes !== undefined) {
    const curStart = current?.startDateTime ? new Date(current.startDateTime) : undefined;
    const curEnd = current?.endDateTime ? new Date(current.endDateTime) : undefined;
    const start = input.startsAt ?? curStart;
    const minutes = input.durationMinutes ?? (curStart && curEnd ? (curEnd.getTime() - curStart.getTime()) / 60_000 : undefined);
    if (start && minutes !== undefined) {
      body.startDateTime = iso(start);
      body.endDateTime = iso(new Date(start.getTime() + minutes * 60_000));
    }
  }
  return body;
}

/** Whether the time of a PATCH needs the meeting's current times (only one of start and length given). */
export function patchNeedsCurrent(input: Partial<MeetingInput>): boolean {
  return (input.startsAt === undefined) !== (input.durationMinutes === undefined);
}

/** The reports (one per session) whose session started in the window, earliest first. */
export function reportsInWindow(reports: AttendanceReport[], window: { from: Date; to: Date }): AttendanceReport[] {
  return reports
    .filter((r) => {
      const t = Date.parse(r.meetingStartDateTime);
      return t >= window.from.getTime() && t <= window.to.getTime();
    })
    .sort((a, b) => Date.parse(a.meetingStartDateTime) - Date.parse(b.meetingStartDateTime));
}

/**
 * One person's attendance: every identity Graph gives with its kind (email, Entra user id,
 * display name — a guest has no email), first join, last leave, total seconds.
 */
export function attendanceRecord(r: GraphAttendanceRecord): AttendanceRecord | null {
  const identities: ExternalIdentity[] = [];
  if (r.emailAddress) identities.push({ kind: "email", value: r.emailAddress.toLowerCase() });
  if (r.identity?.id) identities.push({ kind: "user_id", value: r.identity.id });
  if (r.identity?.displayName) identities.push({ kind: "display_name", value: r.identity.displayName });
  const joins = r.attendanceIntervals.map((i) => (i.joinDateTime ? Date.parse(i.joinDateTime) : NaN)).filter((t) => !Number.isNaN(t));
  if (joins.length === 0) return null;
  const leaves = r.attendanceIntervals.map((i) => (i.leaveDateTime ? Date.parse(i.leaveDateTime) : NaN));
  const stillIn = leaves.some((t) => Number.isNaN(t));
  const durationSeconds =
    r.totalAttendanceInSeconds ?? r.attendanceIntervals.reduce((s, i) => s + (i.durationInSeconds ?? 0), 0);
  return {
    identities,
    joinedAt: new Date(Math.min(...joins)),
    leftAt: stillIn ? null : new Date(Math.max(...leaves)),
    durationSeconds: Math.round(durationSeconds),
  };
}
