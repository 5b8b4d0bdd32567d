/**
 * Live sessions (buổi học trực tuyến): a teacher schedules one, or a weekly series, for one or
 * several of their classes, on Zoom, Google Meet, Teams or any link; the hub keeps it in step with
 * the platform through the class's connection (the school's, or the teacher's own). A session the
 * platform cannot take yet is kept "chưa đồng bộ" with the reason and made later — nothing the
 * teacher typed is lost.
 */
import { and, asc, desc, eq, gte, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.server.ts";
import { classes, classMembers, liveSessionClasses, liveSessionExceptions, liveSessions, parentLinks, sessionJoins, sessionRecordings, users, type SessionPlatform } from "../../db/schema/index.ts";
import { isClassTeacher, type Actor } from "../auth/actor.server.ts";
import { forbidden, notFound } from "../auth/guards.server.ts";
import { occurrences, MAX_OCCURRENCES, joinOpen, currentOrNext, type Occurrence, type SessionRule } from "../lib/sessions.ts";
import { isIntegrationError } from "../../integrations/errors.ts";
import type { MeetingInput } from "../../integrations/ports.ts";
import { connectionFor } from "./connections/teacher.server.ts";
import { meetingProvider, refOf } from "./live-session-platforms.server.ts";
import { logger, errorFields } from "../server/log.ts";

async function teacherEmail(db: DbOrTx, userId: string | null): Promise<string | null> {
  if (!userId) return null;
  const [u] = await db.select({ email: users.email }).from(users).where(eq(users.id, userId));
  return u?.email ?? null;
}

export type SessionInput = {
  title: string;
  classIds: string[];
  platform: SessionPlatform;
  startsAt: Date;
  durationMinutes: number;
  weekdays: number[] | null;
  until: string | null;
  count: number | null;
  linkUrl: string | null;
  lateAfterMinutes?: number;
};

export type SessionRow = typeof liveSessions.$inferSelect;

export class SessionInputError extends Error {
  constructor(readonly field: string, readonly key: string) {
    super(`${field}: ${key}`);
  }
}

function ruleOf(s: Pick<SessionRow, "startsAt" | "durationMinutes" | "weekdays" | "until" | "count">): SessionRule {
  return { startsAt: s.startsAt, durationMinutes: s.durationMinutes, weekdays: s.weekdays && s.weekdays.length ? s.weekdays : null, until: s.until, count: s.count };
}

async function exceptionsOf(db: DbOrTx, sessionIds: string[]) {
  if (sessionIds.length === 0) return new Map<string, { originalStart: Date; cancelled: boolean; startsAt: Date | null; durationMinutes: number | null }[]>();
  const rows = await db.select().from(liveSessionExceptions).where(inArray(liveSessionExceptions.sessionId, sessionIds));
  const map = new Map<string, typeof rows>();
  for (const r of rows) map.set(r.sessionId, [...(map.get(r.sessionId) ?? []), r]);
  return map;
}

/** A session's occurrences (cancelled included) overlapping `window`. */
export async function sessionOccurrences(db: DbOrTx, s: SessionRow, window?: { from: Date; to: Date }): Promise<Occurrence[]> {
  const ex = (await exceptionsOf(db, [s.id])).get(s.id) ?? [];
  return occurrences(ruleOf(s), ex, window);
}

/** The platform meeting for a session: create it if it is not there yet; record why not. */
export async function syncSession(db: Db, sessionId: string): Promise<SessionRow> {
  return (await syncOne(db, sessionId)).row;
}

/** How long a sync holds its session against another process's (longer than any provider call). */
const SYNC_LEASE_MS = 5 * 60_000;

/**
 * `syncSession`, and for a session a rate limit kept waiting, when that limit opens again. The
 * session is claimed first (its `updated_at` moved ahead by a lease), so the sync job and a
 * teacher's save never make two meetings for one session; `busy` when another holds it.
 */
async function syncOne(db: Db, sessionId: string): Promise<{ row: SessionRow; retryAt?: Date; busy?: boolean }> {
  const [s] = await db
    .update(liveSessions)
    .set({ updatedAt: sql`now() + make_interval(secs => ${SYNC_LEASE_MS / 1000})` })
    .where(and(eq(liveSessions.id, sessionId), sql`${liveSessions.platform} <> 'link'`, isNull(liveSessions.cancelledAt), sql`${liveSessions.updatedAt} <= now()`))
    .returning();
  if (!s) {
    const [row] = await db.select().from(liveSessions).where(eq(liveSessions.id, sessionId));
    if (!row) throw notFound();
    return { row, busy: row.platform !== "link" && !row.cancelledAt };
  }
  const platform = s.platform as Exclude<SessionPlatform, "link">;
  const connection = await connectionFor(db, { schoolId: s.schoolId, teacherId: s.createdBy ?? "", provider: platform });
  const provider = connection ? meetingProvider(db, platform, { connection, email: await teacherEmail(db, s.createdBy) }) : null;
  const set = async (values: Partial<SessionRow>, retryAt?: Date) => {
    const [row] = await db.update(liveSessions).set({ ...values, updatedAt: new Date() }).where(eq(liveSessions.id, s.id)).returning();
    return { row, retryAt };
  };
  if (!connection) return set({ syncState: "pending", syncMessage: "not_connected", connectionId: null });
  if (!provider) return set({ syncState: "pending", syncMessage: "platform_unavailable", connectionId: connection.id });
  const input: MeetingInput = {
    // A school's Zoom app makes the meeting for the teacher (a user of its account); a teacher's own grant for themselves.
    ...(platform === "zoom" && connection.kind === "server_to_server" ? { hostUserId: (await teacherEmail(db, s.createdBy)) ?? undefined } : {}),
    topic: s.title,
    startsAt: s.startsAt,
    durationMinutes: s.durationMinutes,
    timezone: "Asia/Ho_Chi_Minh",
    recurrence: s.weekdays?.length ? { weekdays: s.weekdays, until: s.until ? new Date(`${s.until}T23:59:59+07:00`) : undefined, count: s.count ?? undefined } : undefined,
  };
  try {
    const ref = s.externalId
      ? await provider.updateMeeting(refOf(connection), { provider: platform, externalId: s.externalId, joinUrl: s.joinUrl ?? "" }, input)
      : await provider.createMeeting(refOf(connection), input, `lopso-session-${s.id}`);
    return set({ connectionId: connection.id, externalId: ref.externalId, joinUrl: ref.joinUrl, hostUrl: ref.hostUrl ?? null, passcode: ref.passcode ?? null, syncState: "synced", syncMessage: null });
  } catch (e) {
    if (isIntegrationError(e) && (e.code === "rejected" || e.code === "contract")) {
      return set({ connectionId: connection.id, syncState: "error", syncMessage: e.providerMessage ?? e.message });
    }
    // Reconnecting, a rate limit or an outage: made later by the sync job.
    logger.warn("live session not synced yet", { sessionId: s.id, ...errorFields(e) });
    const retryAt = isIntegrationError(e) && e.code === "rate_limited" ? e.retryAt : undefined;
    return set({ connectionId: connection.id, syncState: "pending", syncMessage: pendingReason(e) }, retryAt);
  }
}

/** Why a session waits, as the page names it: a day's cap (Zoom's 100 per teacher) is not a minute's. */
function pendingReason(e: unknown): string {
  if (!isIntegrationError(e)) return "transient";
  if (e.code === "rate_limited" && e.budget === "per_user_day") return "daily_limit";
  if (e.code === "rate_limited" && e.budget === "per_account_day") return "account_daily_limit";
  return e.code;
}

/** How long one run of the sync job may go on: under the job's 1-minute schedule. */
export const SYNC_RUN_MS = 50_000;

/**
 * Sessions waiting for their platform (the sync job): taken `batch` at a time, oldest attempt
 * first, until none is left or `runMs` has passed — so a thousand sessions queued behind a rate
 * limit go at the rate the limit allows, not 50 per run. Each session is tried once per run,
 * except one a rate limit refused: it is tried again once that limit opens, and while nothing else
 * waits the run sleeps until then (if that is within the run; a Zoom host's daily limit, open
 * again at 00:00 UTC, is left to a later run).
 */
export async function syncPending(
  db: Db,
  opts: { batch?: number; runMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<{ synced: number; pending: number }> {
  const batch = opts.batch ?? 50;
  const deadline = Date.now() + (opts.runMs ?? SYNC_RUN_MS);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  /** Tried in this run and not to be tried again in it (0), or not before the time given. */
  const tried = new Map<string, number>();
  let synced = 0;
  for (;;) {
    const now = Date.now();
    if (now >= deadline) break;
    const rows = await db
      .select({ id: liveSessions.id })
      .from(liveSessions)
      .where(and(eq(liveSessions.syncState, "pending"), isNull(liveSessions.cancelledAt), sql`${liveSessions.platform} <> 'link'`, sql`${liveSessions.updatedAt} <= now()`))
      // Every connection's queue moves at the same pace: a session's place in its own queue as a
      // share of that queue's length, so a school with four times the sessions of another gets
      // four times its turns under a shared quota (Meet's hundred a minute per project) and all
      // queues empty about together, instead of the biggest (bound by its own grant's ten a
      // minute) being left to the end.
      .orderBy(
        sql`(row_number() over (partition by coalesce(${liveSessions.connectionId}, ${liveSessions.schoolId}) order by ${liveSessions.updatedAt}))::float8
          / count(*) over (partition by coalesce(${liveSessions.connectionId}, ${liveSessions.schoolId}))`,
        asc(liveSessions.updatedAt),
      )
      .limit(batch + tried.size);
    const due = rows.filter((r) => {
      const at = tried.get(r.id);
      return at === undefined || (at > 0 && at <= now);
    });
    if (due.length === 0) {
      const waits = rows.map((r) => tried.get(r.id) ?? 0).filter((at) => at > now);
      const next = waits.length ? Math.min(...waits) : Infinity;
      if (next >= deadline) break;
      await sleep(next - now);
      continue;
    }
    for (const r of due.slice(0, batch)) {
      const { row, retryAt, busy } = await syncOne(db, r.id);
      if (row.syncState === "synced" && !busy) synced++;
      tried.set(r.id, row.syncState === "pending" && retryAt && !busy ? retryAt.getTime() : 0);
    }
  }
  const [{ n }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(liveSessions)
    .where(and(eq(liveSessions.syncState, "pending"), isNull(liveSessions.cancelledAt), sql`${liveSessions.platform} <> 'link'`));
  return { synced, pending: n };
}

export async function createLiveSession(db: Db, actor: Actor, input: SessionInput): Promise<SessionRow> {
  if (input.classIds.length === 0) throw new SessionInputError("classIds", "errors.required");
  const rows = await db.select({ id: classes.id, schoolId: classes.schoolId }).from(classes).where(inArray(classes.id, input.classIds));
  if (rows.length !== new Set(input.classIds).size) throw notFound();
  for (const c of rows) if (!(await isClassTeacher(db, actor, c.id))) throw notFound();
  const schoolIds = new Set(rows.map((r) => r.schoolId));
  if (schoolIds.size !== 1) throw new SessionInputError("classIds", "sessions.errors.oneSchool");
  if (input.weekdays?.length && !input.until && !input.count) throw new SessionInputError("until", "sessions.errors.endRequired");
  if (input.platform === "link" && !input.linkUrl) throw new SessionInputError("linkUrl", "errors.required");
  const [session] = await db.transaction(async (tx) => {
    const created = await tx
      .insert(liveSessions)
      .values({
        schoolId: [...schoolIds][0],
        createdBy: actor.id,
        title: input.title,
        platform: input.platform,
        startsAt: input.startsAt,
        durationMinutes: input.durationMinutes,
        weekdays: input.weekdays,
        until: input.until,
        count: input.count,
        lateAfterMinutes: input.lateAfterMinutes ?? 10,
        joinUrl: input.platform === "link" ? input.linkUrl : null,
        syncState: input.platform === "link" ? "synced" : "pending",
      })
      .returning();
    await tx.insert(liveSessionClasses).values([...new Set(input.classIds)].map((classId) => ({ sessionId: created[0].id, classId })));
    return created;
  });
  return input.platform === "link" ? session : syncSession(db, session.id);
}

/** The session if the actor teaches one of its classes (else not found). */
export async function sessionForTeacher(db: Db, actor: Actor, sessionId: string): Promise<SessionRow> {
  const s = await sessionById(db, sessionId);
  const classIds = await sessionClassIds(db, s.id);
  for (const id of classIds) if (await isClassTeacher(db, actor, id)) return s;
  throw notFound();
}

async function sessionById(db: DbOrTx, sessionId: string): Promise<SessionRow> {
  const [s] = await db.select().from(liveSessions).where(eq(liveSessions.id, sessionId));
  if (!s) throw notFound();
  return s;
}

export async function sessionClassIds(db: DbOrTx, sessionId: string): Promise<string[]> {
  return (await db.select({ classId: liveSessionClasses.classId }).from(liveSessionClasses).where(eq(liveSessionClasses.sessionId, sessionId))).map((r) => r.classId);
}

/**
 * How the actor may see a session: its classes' teacher, a student of one of them, a parent of
 * such a student (read only); anyone else: not found.
 */
export async function sessionAccess(db: Db, actor: Actor, sessionId: string): Promise<{ session: SessionRow; role: "teacher" | "student" | "parent" }> {
  const s = await sessionById(db, sessionId);
  const classIds = await sessionClassIds(db, s.id);
  for (const id of classIds) if (await isClassTeacher(db, actor, id)) return { session: s, role: "teacher" };
  const [member] = await db
    .select({ userId: classMembers.userId })
    .from(classMembers)
    .where(and(inArray(classMembers.classId, classIds), eq(classMembers.userId, actor.id), eq(classMembers.role, "student")))
    .limit(1);
  if (member) return { session: s, role: "student" };
  const [child] = await db
    .select({ id: parentLinks.studentId })
    .from(parentLinks)
    .innerJoin(classMembers, and(eq(classMembers.userId, parentLinks.studentId), eq(classMembers.role, "student"), inArray(classMembers.classId, classIds)))
    .where(eq(parentLinks.parentId, actor.id))
    .limit(1);
  if (child) return { session: s, role: "parent" };
  throw notFound();
}

/**
 * "Tham gia": the occurrence open now, recorded as joined by the actor; the address to send them
 * to (the host's start link for the class's teachers). Null when nothing is open.
 */
export async function joinSession(db: Db, actor: Actor, sessionId: string, now = new Date()): Promise<{ url: string } | { closed: Occurrence | null }> {
  const { session, role } = await sessionAccess(db, actor, sessionId);
  if (role === "parent") throw forbidden();
  const list = await sessionOccurrences(db, session, { from: new Date(now.getTime() - 24 * 3_600_000), to: new Date(now.getTime() + 14 * 86_400_000) });
  const open = session.cancelledAt ? undefined : list.find((o) => joinOpen(o, now));
  const url = role === "teacher" ? (session.hostUrl ?? session.joinUrl) : session.joinUrl;
  if (!open || !url) return { closed: session.cancelledAt ? null : currentOrNext(list, now) };
  await db.insert(sessionJoins).values({ sessionId: session.id, occurrenceStart: open.originalStart, userId: actor.id, at: now });
  return { url };
}

/** Cancel one occurrence (by its scheduled start), or the whole session; the platform follows. */
export async function cancelSession(db: Db, actor: Actor, sessionId: string, occurrenceStart: Date | null): Promise<void> {
  const s = await sessionForTeacher(db, actor, sessionId);
  if (occurrenceStart) {
    const scheduled = occurrences(ruleOf(s), []).some((o) => o.originalStart.getTime() === occurrenceStart.getTime());
    if (!scheduled) throw notFound();
    await db.transaction(async (tx) => {
      await tx
        .insert(liveSessionExceptions)
        .values({ sessionId: s.id, originalStart: occurrenceStart, cancelled: true })
        .onConflictDoUpdate({ target: [liveSessionExceptions.sessionId, liveSessionExceptions.originalStart], set: { cancelled: true, updatedAt: new Date() } });
      await tx.update(liveSessions).set({ sequence: sql`${liveSessions.sequence} + 1`, updatedAt: new Date() }).where(eq(liveSessions.id, s.id));
    });
  } else {
    await db.update(liveSessions).set({ cancelledAt: new Date(), sequence: sql`${liveSessions.sequence} + 1`, updatedAt: new Date() }).where(eq(liveSessions.id, s.id));
  }
  const platform = await platformOf(db, s);
  if (!platform) return;
  try {
    await platform.provider.cancelMeeting(refOf(platform.connection), { provider: platform.name, externalId: s.externalId!, joinUrl: s.joinUrl ?? "" }, occurrenceStart ? { startsAt: occurrenceStart } : undefined);
  } catch (e) {
    logger.warn("live session cancel not sent to the platform", { sessionId: s.id, ...errorFields(e) });
  }
}

/** What a teacher may change of a whole session or series (its platform and classes stay). */
export type SessionEdit = {
  title: string;
  startsAt: Date;
  durationMinutes: number;
  lateAfterMinutes: number;
  weekdays: number[] | null;
  until: string | null;
  count: number | null;
  linkUrl: string | null;
};

/**
 * Change a session or a whole series: the row first (with a new iCalendar SEQUENCE), then the
 * platform's meeting through the same path as a create — a platform that cannot take it now keeps
 * the session "chưa đồng bộ" with the reason, and the sync job sends it later. Moving the series
 * moves its cancelled and moved occurrences with it.
 */
export async function editSession(db: Db, actor: Actor, sessionId: string, input: SessionEdit): Promise<SessionRow> {
  const s = await sessionForTeacher(db, actor, sessionId);
  if (s.cancelledAt) throw new SessionInputError("title", "sessions.errors.cancelled");
  if (input.weekdays?.length && !input.until && !input.count) throw new SessionInputError("until", "sessions.errors.endRequired");
  if (s.platform === "link" && !input.linkUrl) throw new SessionInputError("linkUrl", "sessions.errors.link");
  const shift = input.startsAt.getTime() - s.startsAt.getTime();
  const platformChanged =
    input.title !== s.title ||
    shift !== 0 ||
    input.durationMinutes !== s.durationMinutes ||
    String(input.weekdays ?? []) !== String(s.weekdays ?? []) ||
    input.until !== s.until ||
    input.count !== s.count;
  await db.transaction(async (tx) => {
    if (shift !== 0) {
      await tx
        .update(liveSessionExceptions)
        .set({ originalStart: sql`${liveSessionExceptions.originalStart} + make_interval(secs => ${shift / 1000})`, updatedAt: new Date() })
        .where(eq(liveSessionExceptions.sessionId, s.id));
    }
    await tx
      .update(liveSessions)
      .set({
        title: input.title,
        startsAt: input.startsAt,
        durationMinutes: input.durationMinutes,
        lateAfterMinutes: input.lateAfterMinutes,
        weekdays: input.weekdays,
        until: input.until,
        count: input.count,
        ...(s.platform === "link" ? { joinUrl: input.linkUrl } : platformChanged ? { syncState: "pending" as const, syncMessage: null } : {}),
        sequence: sql`${liveSessions.sequence} + 1`,
        updatedAt: new Date(),
      })
      .where(eq(liveSessions.id, s.id));
  });
  return s.platform === "link" || !platformChanged ? sessionById(db, s.id) : syncSession(db, s.id);
}

/**
 * Move one occurrence of a series (another day, time or length). The platform follows where it
 * schedules occurrences itself (Zoom's occurrence update); a Meet space or a Teams meeting is one
 * room the hub schedules, so the move is the hub's and the calendar's. What the platform said, if
 * it refused, is returned for the teacher.
 */
export async function moveOccurrence(
  db: Db,
  actor: Actor,
  sessionId: string,
  originalStart: Date,
  to: { startsAt: Date; durationMinutes: number },
): Promise<{ platformError: string | null }> {
  const s = await sessionForTeacher(db, actor, sessionId);
  if (s.cancelledAt) throw new SessionInputError("day", "sessions.errors.cancelled");
  const scheduled = occurrences(ruleOf(s), []).some((o) => o.originalStart.getTime() === originalStart.getTime());
  if (!scheduled) throw notFound();
  await db.transaction(async (tx) => {
    await tx
      .insert(liveSessionExceptions)
      .values({ sessionId: s.id, originalStart, cancelled: false, startsAt: to.startsAt, durationMinutes: to.durationMinutes })
      .onConflictDoUpdate({
        target: [liveSessionExceptions.sessionId, liveSessionExceptions.originalStart],
        set: { cancelled: false, startsAt: to.startsAt, durationMinutes: to.durationMinutes, updatedAt: new Date() },
      });
    await tx.update(liveSessions).set({ sequence: sql`${liveSessions.sequence} + 1`, updatedAt: new Date() }).where(eq(liveSessions.id, s.id));
  });
  const platform = await platformOf(db, s);
  if (!platform) return { platformError: null };
  try {
    await platform.provider.updateMeeting(
      refOf(platform.connection),
      { provider: platform.name, externalId: s.externalId!, joinUrl: s.joinUrl ?? "" },
      { startsAt: to.startsAt, durationMinutes: to.durationMinutes, timezone: "Asia/Ho_Chi_Minh" },
      { startsAt: originalStart },
    );
    return { platformError: null };
  } catch (e) {
    logger.warn("live session occurrence move not sent to the platform", { sessionId: s.id, ...errorFields(e) });
    return { platformError: isIntegrationError(e) ? (e.providerMessage ?? e.message) : "transient" };
  }
}

/** The platform meeting of a synced session and the provider to reach it, or null ("Liên kết", not made yet, not connected). */
async function platformOf(db: Db, s: SessionRow) {
  if (s.platform === "link" || !s.externalId || !s.connectionId) return null;
  const name = s.platform;
  const connection = await connectionFor(db, { schoolId: s.schoolId, teacherId: s.createdBy ?? "", provider: name });
  const provider = connection ? meetingProvider(db, name, { connection, email: await teacherEmail(db, s.createdBy) }) : null;
  return provider && connection ? { name, connection, provider } : null;
}

export type SessionListItem = {
  id: string;
  title: string;
  platform: SessionPlatform;
  classNames: string[];
  startsAt: Date;
  endsAt: Date;
  originalStart: Date;
  cancelled: boolean;
  open: boolean;
  syncState: SessionRow["syncState"];
};

/** The occurrences in `window` of the sessions of these classes, in time order. */
export async function sessionsOfClasses(db: Db, classIds: string[], window: { from: Date; to: Date }, now = new Date()): Promise<SessionListItem[]> {
  if (classIds.length === 0) return [];
  const rows = await db
    .select({ s: liveSessions, className: classes.name, subject: classes.subject })
    .from(liveSessions)
    .innerJoin(liveSessionClasses, eq(liveSessionClasses.sessionId, liveSessions.id))
    .innerJoin(classes, eq(classes.id, liveSessionClasses.classId))
    .where(
      and(
        inArray(liveSessionClasses.classId, classIds),
        isNull(liveSessions.cancelledAt),
        lt(liveSessions.startsAt, window.to),
        // A series may have begun long before the window.
        or(gte(liveSessions.startsAt, new Date(window.from.getTime() - 86_400_000)), sql`${liveSessions.weekdays} is not null`),
      ),
    );
  const byId = new Map<string, { s: SessionRow; names: string[] }>();
  for (const r of rows) {
    const e = byId.get(r.s.id) ?? { s: r.s, names: [] };
    e.names.push(r.className);
    byId.set(r.s.id, e);
  }
  const ex = await exceptionsOf(db, [...byId.keys()]);
  const out: SessionListItem[] = [];
  for (const { s, names } of byId.values()) {
    for (const o of occurrences(ruleOf(s), ex.get(s.id) ?? [], window)) {
      out.push({ id: s.id, title: s.title, platform: s.platform, classNames: [...new Set(names)], startsAt: o.startsAt, endsAt: o.endsAt, originalStart: o.originalStart, cancelled: o.cancelled, open: joinOpen(o, now), syncState: s.syncState });
    }
  }
  return out.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime()).slice(0, MAX_OCCURRENCES);
}

/** A student's classes (for "Hôm nay" and a parent's child page). */
export async function studentClassIds(db: Db, studentId: string): Promise<string[]> {
  return (await db.select({ id: classMembers.classId }).from(classMembers).where(and(eq(classMembers.userId, studentId), eq(classMembers.role, "student")))).map((r) => r.id);
}

/** A session's recordings that `role` may see (parents only those the teacher allowed). */
export async function recordingsOf(db: Db, sessionId: string, role: "teacher" | "student" | "parent") {
  const rows = await db.select().from(sessionRecordings).where(eq(sessionRecordings.sessionId, sessionId)).orderBy(desc(sessionRecordings.recordedAt));
  return rows.filter((r) => role !== "parent" || r.parentsMaySee).map((r) => ({ id: r.id, recordedAt: r.recordedAt, durationMinutes: r.durationMinutes, parentsMaySee: r.parentsMaySee }));
}

export async function setRecordingForParents(db: Db, actor: Actor, sessionId: string, recordingId: string, allow: boolean) {
  const s = await sessionForTeacher(db, actor, sessionId);
  const done = await db
    .update(sessionRecordings)
    .set({ parentsMaySee: allow })
    .where(and(eq(sessionRecordings.id, recordingId), eq(sessionRecordings.sessionId, s.id)))
    .returning({ id: sessionRecordings.id });
  if (done.length === 0) throw notFound();
}
