/**
 * Each person's private iCalendar feed (`/calendar/<token>.ics`): their live sessions — a series
 * as one VEVENT with its RRULE, cancelled occurrences as EXDATE, moved ones as RECURRENCE-ID
 * overrides, stable UIDs and SEQUENCE so calendar apps update rather than duplicate — and the due
 * dates of their assignments; a parent's feed has each child's. Times are Asia/Ho_Chi_Minh with
 * its VTIMEZONE (UTC+7 all year).
 *
 * The token is `<user id, 32 hex digits><27-character keyed hash of the id and the row's salt>`:
 * the account page can show it again, and a new salt revokes every earlier address.
 */
import crypto from "node:crypto";
import { and, eq, gte, inArray, isNull, lte } from "drizzle-orm";
import ical, { ICalEventRepeatingFreq, ICalEventStatus, ICalWeekday } from "ical-generator";
import type { Db } from "../../db/client.server.ts";
import { assignments, calendarFeeds, classes, classMembers, liveSessionClasses, liveSessionExceptions, liveSessions, parentLinks, users } from "../../db/schema/index.ts";
import { scheduledStarts, vnDate, VN_OFFSET_MS } from "../lib/sessions.ts";

const TZ = "Asia/Ho_Chi_Minh";
const VTIMEZONE = ["BEGIN:VTIMEZONE", `TZID:${TZ}`, `X-LIC-LOCATION:${TZ}`, "BEGIN:STANDARD", "TZOFFSETFROM:+0700", "TZOFFSETTO:+0700", "TZNAME:+07", "DTSTART:19700101T000000", "END:STANDARD", "END:VTIMEZONE"].join("\r\n");
const WEEKDAY: Record<number, ICalWeekday> = { 1: ICalWeekday.MO, 2: ICalWeekday.TU, 3: ICalWeekday.WE, 4: ICalWeekday.TH, 5: ICalWeekday.FR, 6: ICalWeekday.SA, 7: ICalWeekday.SU };

/**
 * ical-generator writes a plain Date's UTC fields under the event's TZID; handing it the instant
 * moved by +7 h makes those fields Vietnam's wall-clock time.
 */
const wall = (d: Date) => new Date(d.getTime() + VN_OFFSET_MS);

function mac(secret: string, payload: string): string {
  const key = crypto.createHmac("sha256", secret).update("lopso:calendar-feed:v1").digest();
  return crypto.createHmac("sha256", key).update(payload).digest("base64url").slice(0, 27);
}

/** The person's feed token, made on first use; `renew` revokes the old address. */
export async function calendarToken(db: Db, secret: string, userId: string, renew = false): Promise<string> {
  const salt = crypto.randomBytes(16).toString("base64url");
  const [row] = renew
    ? await db.insert(calendarFeeds).values({ userId, salt }).onConflictDoUpdate({ target: calendarFeeds.userId, set: { salt, createdAt: new Date() } }).returning()
    : await db.insert(calendarFeeds).values({ userId, salt }).onConflictDoNothing().returning();
  const current = row ?? (await db.select().from(calendarFeeds).where(eq(calendarFeeds.userId, userId)))[0];
  const id = userId.replace(/-/g, "");
  return `${id}${mac(secret, `${id}:${current.salt}`)}`;
}

/** The person a genuine, current token belongs to, or null. */
export async function calendarOwner(db: Db, secret: string, token: string): Promise<string | null> {
  const m = /^([0-9a-f]{32})([A-Za-z0-9_-]{27})$/.exec(token);
  if (!m) return null;
  const userId = m[1].replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
  const [row] = await db.select().from(calendarFeeds).where(eq(calendarFeeds.userId, userId));
  if (!row) return null;
  const expected = Buffer.from(mac(secret, `${m[1]}:${row.salt}`));
  const given = Buffer.from(m[2]);
  return expected.length === given.length && crypto.timingSafeEqual(expected, given) ? userId : null;
}

/** The feed's text for a person (their classes; a parent's children's). */
export async function calendarFeed(db: Db, userId: string, baseUrl: string, now = new Date()): Promise<string> {
  const [person] = await db.select({ name: users.fullName }).from(users).where(eq(users.id, userId));
  const own = await db.select({ classId: classMembers.classId, role: classMembers.role }).from(classMembers).where(eq(classMembers.userId, userId));
  const children = await db
    .select({ classId: classMembers.classId, child: users.fullName })
    .from(parentLinks)
    .innerJoin(classMembers, and(eq(classMembers.userId, parentLinks.studentId), eq(classMembers.role, "student")))
    .innerJoin(users, eq(users.id, parentLinks.studentId))
    .where(eq(parentLinks.parentId, userId));
  // Which child a class is for (a parent's feed names the child in each event).
  const forChild = new Map<string, string[]>();
  for (const c of children) forChild.set(c.classId, [...(forChild.get(c.classId) ?? []), c.child]);
  const classIds = [...new Set([...own.map((o) => o.classId), ...children.map((c) => c.classId)])];
  const cal = ical({ name: `Lớp Số — ${person?.name ?? ""}`.trim(), prodId: { company: "Lớp Số", product: "lopso", language: "VI" }, timezone: { name: TZ, generator: () => VTIMEZONE }, ttl: 3600 });
  if (classIds.length === 0) return cal.toString();
  const prefix = (classId: string) => (forChild.has(classId) && !own.some((o) => o.classId === classId) ? `${[...new Set(forChild.get(classId))].join(", ")}: ` : "");

  const sessionRows = await db
    .select({ s: liveSessions, classId: liveSessionClasses.classId, className: classes.name })
    .from(liveSessions)
    .innerJoin(liveSessionClasses, eq(liveSessionClasses.sessionId, liveSessions.id))
    .innerJoin(classes, eq(classes.id, liveSessionClasses.classId))
    .where(inArray(liveSessionClasses.classId, classIds));
  const sessions = new Map<string, { s: typeof liveSessions.$inferSelect; classIds: string[]; names: string[] }>();
  for (const r of sessionRows) {
    const e = sessions.get(r.s.id) ?? { s: r.s, classIds: [], names: [] };
    e.classIds.push(r.classId);
    e.names.push(r.className);
    sessions.set(r.s.id, e);
  }
  const exceptions = sessions.size ? await db.select().from(liveSessionExceptions).where(inArray(liveSessionExceptions.sessionId, [...sessions.keys()])) : [];
  for (const { s, classIds: ids, names } of sessions.values()) {
    const joinUrl = `${baseUrl}/sessions/${s.id}/join`;
    const summary = `${prefix(ids[0])}${s.title} (${[...new Set(names)].join(", ")})`;
    const description = `Tham gia: ${joinUrl}`;
    const end = new Date(s.startsAt.getTime() + s.durationMinutes * 60_000);
    const mine = exceptions.filter((e) => e.sessionId === s.id);
    const base = { id: `${s.id}@lopso`, sequence: s.sequence, summary, description, url: joinUrl, timezone: TZ, stamp: s.updatedAt, status: s.cancelledAt ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED };
    if (!s.weekdays?.length) {
      cal.createEvent({ ...base, start: wall(s.startsAt), end: wall(end) });
      continue;
    }
    const starts = scheduledStarts({ startsAt: s.startsAt, durationMinutes: s.durationMinutes, weekdays: s.weekdays, until: s.until, count: s.count });
    const last = starts[starts.length - 1];
    cal.createEvent({
      ...base,
      start: wall(s.startsAt),
      end: wall(end),
      repeating: {
        freq: ICalEventRepeatingFreq.WEEKLY,
        byDay: s.weekdays.map((d) => WEEKDAY[d]),
        // UNTIL as the last occurrence's start (inclusive), whichever way the series ends.
        until: last,
        exclude: mine.filter((e) => e.cancelled).map((e) => wall(e.originalStart)),
      },
    });
    for (const moved of mine.filter((e) => !e.cancelled && (e.startsAt || e.durationMinutes))) {
      const start = moved.startsAt ?? moved.originalStart;
      cal.createEvent({ ...base, recurrenceId: wall(moved.originalStart), start: wall(start), end: wall(new Date(start.getTime() + (moved.durationMinutes ?? s.durationMinutes) * 60_000)) });
    }
  }

  const due = await db
    .select({ id: assignments.id, title: assignments.title, dueAt: assignments.dueAt, classId: assignments.classId, className: classes.name, updatedAt: assignments.createdAt })
    .from(assignments)
    .innerJoin(classes, eq(classes.id, assignments.classId))
    .where(and(inArray(assignments.classId, classIds), isNull(assignments.archivedAt), gte(assignments.dueAt, new Date(now.getTime() - 30 * 86_400_000)), lte(assignments.dueAt, new Date(now.getTime() + 200 * 86_400_000))));
  for (const a of due) {
    const url = `${baseUrl}/assignments/${a.id}`;
    cal.createEvent({
      id: `${a.id}.due@lopso`,
      summary: `${prefix(a.classId)}Hạn nộp: ${a.title} (${a.className})`,
      description: `${url}\nHạn nộp ${vnDate(a.dueAt)}`,
      url,
      start: wall(new Date(a.dueAt.getTime() - 15 * 60_000)),
      end: wall(a.dueAt),
      timezone: TZ,
      stamp: a.updatedAt,
    });
  }
  return cal.toString();
}
