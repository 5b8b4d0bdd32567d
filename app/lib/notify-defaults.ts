/**
 * What a parent hears when they have set nothing, shared by the fan-out (which applies it) and
 * the settings page (which shows it). Rows in `notification_preferences` / `contact_channels`
 * override these per child and kind, per channel.
 */
import type { DeliveryMode, EventType, ExternalChannel, NewsKind } from "../../db/schema/index.ts";

/** A parent who sets nothing gets a daily digest; a teacher's note and announcements come at once. */
export const DEFAULT_MODES: Record<NewsKind, DeliveryMode> = {
  grade: "daily",
  work: "daily",
  attendance: "daily",
  class_news: "daily",
  teacher_note: "immediate",
  announcement: "immediate",
};

/** Which kind of news each outbox event is; null: not news for a parent. */
export const EVENT_KIND: Record<EventType, NewsKind | null> = {
  "grade.posted": "grade",
  "submission.received": "work",
  "submission.missing": "work",
  "attendance.recorded": "attendance",
  "lesson.published": "class_news",
  "assignment.created": "class_news",
  "note.posted": "teacher_note",
  "thread.message": "teacher_note",
  "announcement.posted": "announcement",
  // For the school's admins, written with its in-app notice (see connections/tokens.server.ts).
  "connection.needs_reconnect": null,
};

/** Quiet hours 21:00–06:30, the daily digest at 19:00, the weekly one on Sunday (minutes after midnight, Vietnam time). */
export const DEFAULT_SETTINGS = { quietStart: 21 * 60, quietEnd: 6 * 60 + 30, digestAt: 19 * 60, weeklyDay: 0 } as const;

/**
 * The outside channels a person gets without choosing: email if they have an address; otherwise
 * Zalo where the hub has Zalo configured, else SMS where configured, for a phone. (The in-app
 * inbox is always on.) `configured` says which channels the hub can send on at all.
 */
export function defaultChannels(person: { email: string | null; phone: string | null }, configured: ReadonlySet<ExternalChannel>): ExternalChannel[] {
  if (person.email && configured.has("email")) return ["email"];
  if (person.phone && configured.has("zalo")) return ["zalo"];
  if (person.phone && configured.has("sms")) return ["sms"];
  return [];
}
