import { sql } from "drizzle-orm";
import { bigserial, boolean, date, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { classes } from "./classes.ts";
import { connections } from "./connections.ts";
import { organizations } from "./orgs.ts";
import { users } from "./users.ts";

/** Where a live session happens: a connected platform, or any link the teacher pastes ("Liên kết"). */
export const SESSION_PLATFORMS = ["zoom", "google", "microsoft", "link"] as const;
export type SessionPlatform = (typeof SESSION_PLATFORMS)[number];

/**
 * Whether the platform has the session: `synced`; `pending` (not yet on the platform — waiting
 * for a connection or a retry; nothing the teacher typed is lost); `error` (the platform refused
 * it, with its message in plain words).
 */
export const SYNC_STATES = ["synced", "pending", "error"] as const;
export type SyncState = (typeof SYNC_STATES)[number];

/**
 * A live session (buổi học trực tuyến): one meeting, or a weekly series, for one class or several.
 * Times are instants; the series repeats at the first start's time of day in Vietnam time
 * (UTC+7, no daylight saving) on `weekdays` (ISO: 1 = Monday … 7 = Sunday) until a day or for a
 * number of occurrences.
 */
export const liveSessions = pgTable(
  "live_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    schoolId: uuid("school_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    title: text("title").notNull(),
    platform: text("platform", { enum: SESSION_PLATFORMS }).notNull(),
    startsAt: timestamp("starts_at", { withTimezone: true }).notNull(),
    durationMinutes: integer("duration_minutes").notNull(),
    /** A student whose first join comes more than this many minutes after the start is "đến muộn". */
    lateAfterMinutes: integer("late_after_minutes").notNull().default(10),
    /** Null for a single session. */
    weekdays: integer("weekdays").array(),
    /** The last day (Vietnam date) of a series, or the number of its occurrences. */
    until: date("until", { mode: "string" }),
    count: integer("count"),
    /** The connection the platform meeting is made with (the school's or the teacher's own). */
    connectionId: uuid("connection_id").references(() => connections.id, { onDelete: "set null" }),
    /** Zoom meeting id, Meet space name, Graph online meeting id. */
    externalId: text("external_id"),
    joinUrl: text("join_url"),
    /** The host's start link: shown only to the class's teachers. */
    hostUrl: text("host_url"),
    passcode: text("passcode"),
    syncState: text("sync_state", { enum: SYNC_STATES }).notNull().default("pending"),
    syncMessage: text("sync_message"),
    /** Bumped on every change, for calendar apps (iCalendar SEQUENCE). */
    sequence: integer("sequence").notNull().default(0),
    cancelledAt: timestamp("cancelled_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("live_sessions_school_start_idx").on(t.schoolId, t.startsAt)],
);

/** The classes a session is for (one session reused across classes). */
export const liveSessionClasses = pgTable(
  "live_session_classes",
  {
    sessionId: uuid("session_id")
      .notNull()
      .references(() => liveSessions.id, { onDelete: "cascade" }),
    classId: uuid("class_id")
      .notNull()
      .references(() => classes.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.classId] }), index("live_session_classes_class_idx").on(t.classId)],
);

/** One occurrence of a series cancelled, or moved to another start or length. */
export const liveSessionExceptions = pgTable(
  "live_session_exceptions",
  {
    sessionId: uuid("session_id")
      .notNull()
      .references(() => liveSessions.id, { onDelete: "cascade" }),
    /** The occurrence's start as the series scheduled it. */
    originalStart: timestamp("original_start", { withTimezone: true }).notNull(),
    cancelled: boolean("cancelled").notNull().default(false),
    startsAt: timestamp("starts_at", { withTimezone: true }),
    durationMinutes: integer("duration_minutes"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.originalStart] })],
);

/** Who pressed "Tham gia" when (the hub's own record, whatever the platform reports). */
export const sessionJoins = pgTable(
  "session_joins",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => liveSessions.id, { onDelete: "cascade" }),
    occurrenceStart: timestamp("occurrence_start", { withTimezone: true }).notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("session_joins_session_idx").on(t.sessionId, t.occurrenceStart)],
);

/**
 * A person's private iCalendar feed. Its address carries the person's id and a keyed hash of the
 * id and this row's random `salt` (see calendar.server.ts): the page can show the address again,
 * and a new salt revokes every earlier address at once.
 */
export const calendarFeeds = pgTable("calendar_feeds", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  salt: text("salt").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
});

/**
 * Who the platform says took part in an occurrence: one row per join (a rejoin is another row),
 * stored once whichever way it arrives (Zoom's webhook and its report agree on participant and
 * join time). Matched to a student by the attendance service, never by guess.
 */
export const sessionParticipants = pgTable(
  "session_participants",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => liveSessions.id, { onDelete: "cascade" }),
    occurrenceStart: timestamp("occurrence_start", { withTimezone: true }).notNull(),
    /** The platform's id for the person (Zoom participant/user id, Meet `users/…`, Graph user id) or, lacking one, the name. */
    personKey: text("person_key").notNull(),
    displayName: text("display_name").notNull().default(""),
    email: text("email"),
    platformUserId: text("platform_user_id"),
    joinedAt: timestamp("joined_at", { withTimezone: true }).notNull(),
    leftAt: timestamp("left_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [uniqueIndex("session_participants_join_key").on(t.sessionId, t.occurrenceStart, t.personKey, t.joinedAt)],
);

export const ATTENDANCE_STATUSES = ["present", "late", "left_early", "absent"] as const;
export type AttendanceStatus = (typeof ATTENDANCE_STATUSES)[number];

/** Each student's attendance at an occurrence: computed, or set by the teacher (who has the last word). */
export const sessionAttendance = pgTable(
  "session_attendance",
  {
    sessionId: uuid("session_id")
      .notNull()
      .references(() => liveSessions.id, { onDelete: "cascade" }),
    occurrenceStart: timestamp("occurrence_start", { withTimezone: true }).notNull(),
    studentId: uuid("student_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text("status", { enum: ATTENDANCE_STATUSES }).notNull(),
    minutes: integer("minutes").notNull().default(0),
    /** `auto` from the platform's record; `teacher` when corrected by hand. */
    source: text("source", { enum: ["auto", "teacher"] }).notNull().default("auto"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.occurrenceStart, t.studentId] })],
);

/** A platform identity confirmed by a teacher as a student's: used for the next sessions' matching. */
export const platformIdentities = pgTable(
  "platform_identities",
  {
    provider: text("provider", { enum: SESSION_PLATFORMS }).notNull(),
    personKey: text("person_key").notNull(),
    studentId: uuid("student_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    confirmedBy: uuid("confirmed_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.provider, t.personKey] })],
);

/** When an occurrence's attendance was read from its platform (read once, after the end). */
export const attendanceReads = pgTable(
  "attendance_reads",
  {
    sessionId: uuid("session_id")
      .notNull()
      .references(() => liveSessions.id, { onDelete: "cascade" }),
    occurrenceStart: timestamp("occurrence_start", { withTimezone: true }).notNull(),
    readAt: timestamp("read_at", { withTimezone: true }).notNull().default(sql`now()`),
    participants: integer("participants").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.occurrenceStart] })],
);

/**
 * A session's recording (Zoom's `recording.completed`): its play address stays here and is
 * reached only through the hub's link, which checks that the person may see it.
 */
export const sessionRecordings = pgTable(
  "session_recordings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => liveSessions.id, { onDelete: "cascade" }),
    occurrenceStart: timestamp("occurrence_start", { withTimezone: true }).notNull(),
    /** The platform's id of the recording file (unique: a redelivered event adds nothing). */
    externalId: text("external_id").notNull(),
    playUrl: text("play_url").notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull(),
    durationMinutes: integer("duration_minutes"),
    /** The teacher lets the students' parents watch it too. */
    parentsMaySee: boolean("parents_may_see").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [uniqueIndex("session_recordings_external_key").on(t.sessionId, t.externalId)],
);
