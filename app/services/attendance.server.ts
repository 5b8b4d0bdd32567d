/**
 * Attendance at live sessions: what the platforms report (Zoom's webhooks, and every platform's
 * record read once after the end) is stored as participations, matched to the class's students
 * (app/lib/attendance.ts: never a silent guess), and each student's result is written with its
 * `attendance.recorded` event in one transaction. The teacher confirms who an unmatched person
 * was (remembered for next time) and may correct any row.
 */
import crypto from "node:crypto";
import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.server.ts";
import {
  attendanceReads,
  events,
  classes,
  classMembers,

  liveSessionClasses,
  liveSessions,
  platformIdentities,
  providerEvents,
  sessionAttendance,
  sessionParticipants,
  sessionRecordings,
  users,
  type AttendanceStatus,
} from "../../db/schema/index.ts";
import type { AttendanceRecord } from "../../integrations/ports.ts";
import { DEFAULT_RULES, matchParticipants, statusOf, type Participation } from "../lib/attendance.ts";
import { occurrences } from "../lib/sessions.ts";
import type { Actor } from "../auth/actor.server.ts";
import { notFound } from "../auth/guards.server.ts";
import { recordEvents } from "./events.server.ts";
import { connectionFor } from "./connections/teacher.server.ts";
import { meetingProvider, refOf } from "./live-session-platforms.server.ts";
import { sessionForTeacher, sessionOccurrences, type SessionRow } from "./live-sessions.server.ts";
import { errorFields, logger } from "../server/log.ts";

/** A participation as stored: one per person and join time. */
export type Join = Participation;

export async function recordJoins(db: DbOrTx, sessionId: string, occurrenceStart: Date, joins: Join[]): Promise<number> {
  if (joins.length === 0) return 0;
  const rows = await db
    .insert(sessionParticipants)
    .values(joins.map((j) => ({ sessionId, occurrenceStart, personKey: j.personKey, displayName: j.displayName, email: j.email, joinedAt: j.joinedAt, leftAt: j.leftAt })))
    .onConflictDoUpdate({
      target: [sessionParticipants.sessionId, sessionParticipants.occurrenceStart, sessionParticipants.personKey, sessionParticipants.joinedAt],
      // A report after the webhook knows when they left.
      set: { leftAt: sql`coalesce(excluded.left_at, ${sessionParticipants.leftAt})` },
    })
    .returning({ id: sessionParticipants.id });
  return rows.length;
}

/** A platform's attendance record as a participation. */
export function joinOf(r: AttendanceRecord): Join {
  const pick = (kind: string) => r.identities.find((i) => i.kind === kind)?.value;
  const email = pick("email") ?? null;
  const key = pick("user_id") ?? pick("participant_id") ?? email ?? `name:${pick("display_name") ?? ""}`;
  return { personKey: key, displayName: pick("display_name") ?? email ?? "", email, joinedAt: r.joinedAt, leftAt: r.leftAt };
}

const PLATFORM_WORD: Record<string, string> = { zoom: "zoom", google: "meet", microsoft: "teams", link: "link" };

/** A stable id for one student's result at one occurrence (the event's subject, written once). */
function resultId(sessionId: string, occurrenceStart: Date, studentId: string): string {
  const h = crypto.createHash("sha256").update(`${sessionId}|${occurrenceStart.toISOString()}|${studentId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

async function rosterOf(db: DbOrTx, sessionId: string) {
  return db
    .selectDistinct({ id: users.id, fullName: users.fullName, email: users.email, classId: classMembers.classId, className: classes.name, subject: classes.subject, sortKey: users.sortKey })
    .from(liveSessionClasses)
    .innerJoin(classMembers, and(eq(classMembers.classId, liveSessionClasses.classId), eq(classMembers.role, "student")))
    .innerJoin(users, eq(users.id, classMembers.userId))
    .innerJoin(classes, eq(classes.id, liveSessionClasses.classId))
    .where(eq(liveSessionClasses.sessionId, sessionId))
    .orderBy(asc(users.sortKey));
}

export type AttendanceView = {
  occurrence: { originalStart: Date; startsAt: Date; endsAt: Date };
  rows: { studentId: string; fullName: string; status: AttendanceStatus; minutes: number; source: "auto" | "teacher" }[];
  toConfirm: { personKey: string; displayName: string; email: string | null; suggestions: string[] }[];
};

/** Compute (or recompute) an occurrence's attendance from its participations; teachers' corrections stay. */
export async function computeAttendance(db: Db, s: SessionRow, originalStart: Date): Promise<AttendanceView> {
  const occ = (await sessionOccurrences(db, s)).find((o) => o.originalStart.getTime() === originalStart.getTime());
  if (!occ) throw notFound();
  return db.transaction(async (tx) => {
    const roster = await rosterOf(tx, s.id);
    const joins = await tx.select().from(sessionParticipants).where(and(eq(sessionParticipants.sessionId, s.id), eq(sessionParticipants.occurrenceStart, originalStart)));
    const keys = [...new Set(joins.map((j) => j.personKey))];
    const remembered = keys.length
      ? new Map((await tx.select().from(platformIdentities).where(and(eq(platformIdentities.provider, s.platform), inArray(platformIdentities.personKey, keys)))).map((r) => [r.personKey, r.studentId]))
      : new Map<string, string>();
    const students = [...new Map(roster.map((r) => [r.id, r])).values()];
    const m = matchParticipants(students, joins, remembered);
    const existing = new Map(
      (await tx.select().from(sessionAttendance).where(and(eq(sessionAttendance.sessionId, s.id), eq(sessionAttendance.occurrenceStart, originalStart)))).map((r) => [r.studentId, r]),
    );
    const rows: AttendanceView["rows"] = [];
    const newEvents = [];
    const writes = [];
    for (const st of students) {
      const prior = existing.get(st.id);
      const teacherSet = prior?.source === "teacher";
      const result = teacherSet ? { status: prior.status, minutes: prior.minutes } : statusOf(m.byStudent.get(st.id) ?? [], occ.startsAt, occ.endsAt, { ...DEFAULT_RULES, lateAfterMinutes: s.lateAfterMinutes });
      if (!teacherSet && (prior?.status !== result.status || prior?.minutes !== result.minutes)) {
        writes.push({ sessionId: s.id, occurrenceStart: originalStart, studentId: st.id, status: result.status, minutes: result.minutes });
      }
      rows.push({ studentId: st.id, fullName: st.fullName, status: result.status, minutes: result.minutes, source: prior?.source ?? "auto" });
      newEvents.push({
        type: "attendance.recorded" as const,
        schoolId: s.schoolId,
        classId: st.classId,
        studentId: st.id,
        actorId: s.createdBy,
        subjectId: resultId(s.id, originalStart, st.id),
        payload: { status: result.status === "left_early" ? "present" : result.status, minutes: result.minutes, platform: PLATFORM_WORD[s.platform], title: s.title, className: st.className },
      });
    }
    // One statement for the class (a teacher's correction is never overwritten).
    for (let i = 0; i < writes.length; i += 1000) {
      await tx
        .insert(sessionAttendance)
        .values(writes.slice(i, i + 1000))
        .onConflictDoUpdate({
          target: [sessionAttendance.sessionId, sessionAttendance.occurrenceStart, sessionAttendance.studentId],
          set: { status: sql`excluded.status`, minutes: sql`excluded.minutes`, updatedAt: sql`now()` },
          setWhere: sql`${sessionAttendance.source} <> 'teacher'`,
        });
    }
    // Parents hear once per student and occurrence, after the end. An "absent" waits while someone
    // in the meeting is still unconfirmed (it may be that student); later corrections are not re-sent.
    if (occ.endsAt.getTime() <= Date.now()) {
      // Only the results not yet in the outbox (one indexed look-up instead of a thousand conflicts).
      const ids = newEvents.map((e) => e.subjectId);
      const written = new Set(
        (await tx.select({ id: events.subjectId }).from(events).where(and(eq(events.type, "attendance.recorded"), inArray(events.subjectId, ids)))).map((r) => r.id),
      );
      const due = newEvents.filter((e) => !written.has(e.subjectId) && (m.toConfirm.length === 0 || e.payload.status !== "absent"));
      for (let i = 0; i < due.length; i += 1000) await recordEvents(tx, due.slice(i, i + 1000));
    }
    return { occurrence: { originalStart, startsAt: occ.startsAt, endsAt: occ.endsAt }, rows, toConfirm: m.toConfirm };
  });
}

/** The teacher says who a participant was: remembered for this platform, and the attendance recomputed. */
export async function confirmParticipant(db: Db, actor: Actor, sessionId: string, originalStart: Date, personKey: string, studentId: string) {
  const s = await sessionForTeacher(db, actor, sessionId);
  const roster = await rosterOf(db, s.id);
  if (!roster.some((r) => r.id === studentId)) throw notFound();
  await db
    .insert(platformIdentities)
    .values({ provider: s.platform, personKey, studentId, confirmedBy: actor.id })
    .onConflictDoUpdate({ target: [platformIdentities.provider, platformIdentities.personKey], set: { studentId, confirmedBy: actor.id, createdAt: new Date() } });
  return computeAttendance(db, s, originalStart);
}

/** The teacher corrects one student's row; it is theirs from then on. */
export async function correctAttendance(db: Db, actor: Actor, sessionId: string, originalStart: Date, studentId: string, status: AttendanceStatus) {
  const s = await sessionForTeacher(db, actor, sessionId);
  const roster = await rosterOf(db, s.id);
  if (!roster.some((r) => r.id === studentId)) throw notFound();
  await db
    .insert(sessionAttendance)
    .values({ sessionId: s.id, occurrenceStart: originalStart, studentId, status, source: "teacher" })
    .onConflictDoUpdate({ target: [sessionAttendance.sessionId, sessionAttendance.occurrenceStart, sessionAttendance.studentId], set: { status, source: "teacher", updatedAt: new Date() } });
  return computeAttendance(db, s, originalStart);
}

/** Read an ended occurrence's attendance from its platform, once, and compute it. */
export async function readFromPlatform(db: Db, s: SessionRow, o: { originalStart: Date; startsAt: Date; endsAt: Date }): Promise<number> {
  if (s.platform === "link" || !s.externalId) return 0;
  const platform = s.platform;
  const connection = await connectionFor(db, { schoolId: s.schoolId, teacherId: s.createdBy ?? "", provider: platform });
  const provider = connection ? meetingProvider(db, platform, { connection, email: null }) : null;
  if (!connection || !provider) return 0;
  let n = 0;
  const ref = { provider: platform, externalId: s.externalId, joinUrl: s.joinUrl ?? "" };
  const window = { from: new Date(o.startsAt.getTime() - 30 * 60_000), to: o.endsAt };
  for await (const page of provider.readAttendance(refOf(connection), ref, window)) {
    n += await recordJoins(db, s.id, o.originalStart, page.items.map(joinOf));
  }
  await db.insert(attendanceReads).values({ sessionId: s.id, occurrenceStart: o.originalStart, participants: n }).onConflictDoUpdate({ target: [attendanceReads.sessionId, attendanceReads.occurrenceStart], set: { readAt: new Date(), participants: n } });
  await computeAttendance(db, s, o.originalStart);
  return n;
}

/** Occurrences that ended in the last two days and were not read yet (the attendance job). */
export async function readEndedOccurrences(db: Db, now = new Date()): Promise<{ read: number; failed: number }> {
  const from = new Date(now.getTime() - 48 * 3_600_000);
  const rows = await db
    .select()
    .from(liveSessions)
    .where(and(isNull(liveSessions.cancelledAt), eq(liveSessions.syncState, "synced"), sql`${liveSessions.platform} <> 'link'`, sql`${liveSessions.startsAt} < ${now.toISOString()}::timestamptz`));
  const result = { read: 0, failed: 0 };
  for (const s of rows) {
    const done = new Set((await db.select().from(attendanceReads).where(eq(attendanceReads.sessionId, s.id))).map((r) => r.occurrenceStart.getTime()));
    for (const o of await sessionOccurrences(db, s, { from, to: now })) {
      // Read a few minutes after the end, once.
      if (o.cancelled || o.endsAt.getTime() > now.getTime() - 5 * 60_000 || done.has(o.originalStart.getTime())) continue;
      try {
        await readFromPlatform(db, s, o);
        result.read++;
      } catch (e) {
        result.failed++;
        logger.warn("attendance not read yet", { sessionId: s.id, ...errorFields(e) });
      }
    }
  }
  return result;
}

/**
 * Zoom's stored webhook events: a participant's joins and leaves become participations of the
 * session whose meeting it is; an event for a meeting the hub did not make is ignored.
 */
export async function processZoomEvents(db: Db, limit = 500): Promise<{ processed: number; ignored: number }> {
  const batch = await db
    .select()
    .from(providerEvents)
    .where(and(isNull(providerEvents.processedAt), eq(providerEvents.provider, "zoom")))
    .orderBy(asc(providerEvents.eventTs), asc(providerEvents.id))
    .limit(limit);
  let processed = 0;
  let ignored = 0;
  for (const e of batch) {
    type ZoomObject = {
      id?: string | number;
      start_time?: string;
      duration?: number;
      participant?: { user_id?: string; id?: string; user_name?: string; email?: string; join_time?: string; leave_time?: string };
      recording_files?: { id?: string; file_type?: string; status?: string; play_url?: string; recording_start?: string }[];
    };
    const payload = e.payload as { payload?: { object?: ZoomObject } };
    const object = payload.payload?.object;
    const p = object?.participant;
    const [s] = object?.id ? await db.select().from(liveSessions).where(and(eq(liveSessions.externalId, String(object.id)), eq(liveSessions.platform, "zoom"))) : [];
    if (s && e.eventType === "recording.completed") {
      const files = (object?.recording_files ?? []).filter((f) => f.play_url && f.id && (f.status ?? "completed") === "completed");
      const file = files.find((f) => f.file_type === "MP4") ?? files[0];
      if (file) {
        const at = new Date(object?.start_time ?? file.recording_start ?? e.eventTs);
        const occ = nearestOccurrence(s, at);
        await db
          .insert(sessionRecordings)
          .values({ sessionId: s.id, occurrenceStart: occ?.originalStart ?? s.startsAt, externalId: file.id!, playUrl: file.play_url!, recordedAt: at, durationMinutes: object?.duration ?? null })
          .onConflictDoNothing();
        processed++;
      } else ignored++;
    } else if (s && p && (e.eventType === "meeting.participant_joined" || e.eventType === "meeting.participant_left")) {
      const at = new Date(p.join_time ?? p.leave_time ?? e.eventTs);
      const occ = nearestOccurrence(s, at);
      if (occ) {
        const personKey = p.id || p.user_id || (p.email ? p.email.toLowerCase() : `name:${p.user_name ?? ""}`);
        if (e.eventType === "meeting.participant_joined" && p.join_time) {
          await recordJoins(db, s.id, occ.originalStart, [{ personKey, displayName: p.user_name ?? "", email: p.email || null, joinedAt: new Date(p.join_time), leftAt: null }]);
        } else if (p.leave_time) {
          await db
            .update(sessionParticipants)
            .set({ leftAt: new Date(p.leave_time) })
            .where(and(eq(sessionParticipants.sessionId, s.id), eq(sessionParticipants.occurrenceStart, occ.originalStart), eq(sessionParticipants.personKey, personKey), isNull(sessionParticipants.leftAt)));
        }
        processed++;
      } else ignored++;
    } else ignored++;
    await db.update(providerEvents).set({ processedAt: new Date() }).where(eq(providerEvents.id, e.id));
  }
  return { processed, ignored };
}

/** The occurrence of a session nearest to an instant (within half a day), or undefined. */
function nearestOccurrence(s: SessionRow, at: Date) {
  const rule = { startsAt: s.startsAt, durationMinutes: s.durationMinutes, weekdays: s.weekdays, until: s.until, count: s.count };
  return occurrences(rule, [], { from: new Date(at.getTime() - 12 * 3_600_000), to: new Date(at.getTime() + 12 * 3_600_000) }).sort(
    (a, b) => Math.abs(a.startsAt.getTime() - at.getTime()) - Math.abs(b.startsAt.getTime() - at.getTime()),
  )[0];
}

/** The teacher's attendance page for one occurrence (computed now from what is stored). */
export async function attendanceForTeacher(db: Db, actor: Actor, sessionId: string, originalStart: Date): Promise<AttendanceView & { session: SessionRow }> {
  const s = await sessionForTeacher(db, actor, sessionId);
  return { session: s, ...(await computeAttendance(db, s, originalStart)) };
}


/** A student's latest attendance rows (for their parent's page). */
export async function childAttendance(db: Db, studentId: string, limit = 10) {
  return db
    .select({ sessionId: sessionAttendance.sessionId, title: liveSessions.title, platform: liveSessions.platform, at: sessionAttendance.occurrenceStart, status: sessionAttendance.status, minutes: sessionAttendance.minutes })
    .from(sessionAttendance)
    .innerJoin(liveSessions, eq(liveSessions.id, sessionAttendance.sessionId))
    .where(eq(sessionAttendance.studentId, studentId))
    .orderBy(sql`${sessionAttendance.occurrenceStart} desc`)
    .limit(limit);
}
