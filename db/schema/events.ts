import { sql } from "drizzle-orm";
import { bigserial, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

export const EVENT_TYPES = [
  "lesson.published",
  "assignment.created",
  "submission.received",
  "submission.missing",
  "grade.posted",
  /** A teacher's note about one student (contact book). */
  "note.posted",
  /** A class or school announcement; subjectId is the announcement. */
  "announcement.posted",
  /** A reply in a student's contact-book thread; subjectId is the message. */
  "thread.message",
  /** A student's attendance at a live session. */
  "attendance.recorded",
  /**
   * A connection the provider refused for good (refresh token revoked or expired); subjectId is
   * the connection. Its in-app notice to the school's admins is written with it.
   */
  "connection.needs_reconnect",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Outbox: every fact a parent may be told about, written in the same transaction that causes it.
 * Consumers mark `processedAt`; nothing else updates a row.
 */
export const events = pgTable(
  "events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    type: text("type", { enum: EVENT_TYPES }).notNull(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull().default(sql`now()`),
    schoolId: uuid("school_id").notNull(),
    classId: uuid("class_id"),
    /** The student the fact is about (null for class-wide facts such as a new lesson). */
    studentId: uuid("student_id"),
    actorId: uuid("actor_id"),
    /** Stable key of the fact (e.g. submission id); with `type` it is unique, so a fact is written once. */
    subjectId: uuid("subject_id").notNull(),
    payload: jsonb("payload").notNull().default(sql`'{}'::jsonb`),
    processedAt: timestamp("processed_at", { withTimezone: true }),
  },
  (t) => [
    index("events_unprocessed_idx").on(t.id).where(sql`${t.processedAt} is null`),
    index("events_student_idx").on(t.studentId),
    uniqueIndex("events_once_key")
      .on(t.type, t.subjectId)
      .where(sql`${t.type} in ('submission.missing', 'lesson.published', 'assignment.created', 'announcement.posted', 'note.posted', 'thread.message', 'attendance.recorded')`),
  ],
);

export type Event = typeof events.$inferSelect;
