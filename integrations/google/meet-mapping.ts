/**
 * Meet REST v2 ↔ the MeetingProvider port, without I/O: what a space becomes as a MeetingRef, the
 * conference-record filter for a session's window, a participant and its sessions as one
 * AttendanceRecord, and the resumable attendance cursor. Everything read is checked here; a reply
 * that breaks the documented shapes is a `contract` error, never a silent guess.
 */
import { z } from "zod";
import { IntegrationError } from "../errors.ts";
import type { AttendanceRecord, ExternalIdentity, MeetingRef } from "../ports.ts";

const timestamp = z.iso.datetime({ offset: true });

/** `spaces/{id}`: the server's id is case-sensitive; we keep it exactly as given. */
export const SPACE_NAME = /^spaces\/[A-Za-z0-9_-]+$/;
const RECORD_NAME = /^conferenceRecords\/[A-Za-z0-9_-]+$/;
const PARTICIPANT_NAME = /^conferenceRecords\/[A-Za-z0-9_-]+\/participants\/[A-Za-z0-9_-]+$/;

export const MeetSpace = z.object({
  name: z.string().regex(SPACE_NAME),
  meetingUri: z.url({ protocol: /^https?$/ }),
  meetingCode: z.string().max(128).optional(),
  config: z.object({ accessType: z.string().optional(), entryPointAccess: z.string().optional() }).optional(),
  activeConference: z.object({ conferenceRecord: z.string().regex(RECORD_NAME).optional() }).optional(),
});
export type MeetSpace = z.infer<typeof MeetSpace>;

export const MeetConferenceRecord = z.object({
  name: z.string().regex(RECORD_NAME),
  space: z.string().regex(SPACE_NAME).optional(),
  startTime: timestamp,
  endTime: timestamp.optional().nullable(),
});

const named = z.object({ displayName: z.string().optional() });
export const MeetParticipant = z.object({
  name: z.string().regex(PARTICIPANT_NAME),
  earliestStartTime: timestamp.optional().nullable(),
  latestEndTime: timestamp.optional().nullable(),
  signedinUser: z.object({ user: z.string().regex(/^users\/[^/]+$/).optional(), displayName: z.string().optional() }).optional(),
  anonymousUser: named.optional(),
  phoneUser: named.optional(),
});
export type MeetParticipant = z.infer<typeof MeetParticipant>;

export const MeetParticipantSession = z.object({
  name: z.string().optional(),
  startTime: timestamp,
  endTime: timestamp.optional().nullable(),
});
export type MeetParticipantSession = z.infer<typeof MeetParticipantSession>;

/** Parse one reply item against its schema, or fail as the provider breaking its contract. */
export function parseMeet<T>(schema: z.ZodType<T>, value: unknown, operation: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const where = r.error.issues[0];
  throw new IntegrationError({
    code: "contract",
    provider: "google",
    operation,
    providerMessage: `unexpected reply: ${where ? `${where.path.join(".") || "(root)"} ${where.message}` : "invalid"}`,
    cause: r.error,
  });
}

/**
 * A space as the series' reference: its `name` is the key; the `meetingCode` is not (Google may
 * give it to another space after about a year), and lives on only inside the join link.
 */
export function spaceRef(space: MeetSpace): MeetingRef {
  return { provider: "google", externalId: space.name, joinUrl: space.meetingUri };
}

const quote = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

/** The conferenceRecords.list filter for the conferences of `spaceName` that began in `window`. */
export function conferenceFilter(spaceName: string, window: { from: Date; to: Date }): string {
  if (!SPACE_NAME.test(spaceName)) throw new TypeError(`not a Meet space name: ${spaceName}`);
  return `space.name = ${quote(spaceName)} AND start_time>=${quote(window.from.toISOString())} AND start_time<=${quote(window.to.toISOString())}`;
}

/** Every identity Meet gives for a participant, with its kind. */
export function participantIdentities(p: MeetParticipant): ExternalIdentity[] {
  const out: ExternalIdentity[] = [];
  if (p.signedinUser?.user) out.push({ kind: "user_id", value: p.signedinUser.user });
  const name = p.signedinUser?.displayName ?? p.anonymousUser?.displayName ?? p.phoneUser?.displayName;
  if (name?.trim()) out.push({ kind: "display_name", value: name.trim() });
  out.push({ kind: "participant_id", value: p.name });
  return out;
}

/**
 * One participant's attendance from its sessions (each join is a session): joined at the
 * earliest start, left at the latest end (null while a session is still open), the seconds of
 * the closed sessions summed — a rejoin adds its own minutes and the gap between is not counted.
 * Without sessions (not listed yet), the participant's own earliest/latest times stand in.
 */
export function attendanceOf(p: MeetParticipant, sessions: MeetParticipantSession[]): AttendanceRecord {
  const identities = participantIdentities(p);
  if (sessions.length === 0) {
    const joined = p.earliestStartTime ? new Date(p.earliestStartTime) : null;
    if (!joined) throw new IntegrationError({ code: "contract", provider: "google", operation: "conferenceRecords.participants.list", providerMessage: `${p.name} has neither sessions nor a start time` });
    const left = p.latestEndTime ? new Date(p.latestEndTime) : null;
    return { identities, joinedAt: joined, leftAt: left, durationSeconds: left ? Math.max(0, Math.round((left.getTime() - joined.getTime()) / 1000)) : 0 };
  }
  let joined = Infinity;
  let left = -Infinity;
  let open = false;
  let ms = 0;
  for (const s of sessions) {
    const start = Date.parse(s.startTime);
    joined = Math.min(joined, start);
    if (!s.endTime) {
      open = true;
      continue;
    }
    const end = Date.parse(s.endTime);
    left = Math.max(left, end);
    ms += Math.max(0, end - start);
  }
  return { identities, joinedAt: new Date(joined), leftAt: open || left === -Infinity ? null : new Date(left), durationSeconds: Math.round(ms / 1000) };
}

/**
 * Where an attendance read stands: the conference-records page being read (`rt`, null = the
 * first), the record in it (`rec`, null = its first), and the participants page of that record
 * (`pt`, null = the first). Opaque to callers: base64url JSON.
 */
export type AttendanceCursor = { rt: string | null; rec: string | null; pt: string | null };

export function encodeCursor(c: AttendanceCursor): string {
  return Buffer.from(JSON.stringify(c), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string | undefined): AttendanceCursor {
  if (!cursor) return { rt: null, rec: null, pt: null };
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Partial<AttendanceCursor>;
    const ok = (x: unknown) => x === null || typeof x === "string";
    if (v && ok(v.rt) && ok(v.rec) && ok(v.pt)) return { rt: v.rt ?? null, rec: v.rec ?? null, pt: v.pt ?? null };
  } catch {
    // fall through
  }
  throw new TypeError("not a Meet attendance cursor");
}

/** The next page token, or null when the list is done (an empty string means done as well). */
export const nextToken = (t: string | null | undefined): string | null => (t ? t : null);
