/**
 * The fields of a live session's forms ("Lên lịch" and "Sửa buổi học"), as zod reads them, with
 * the i18n key of each error. Both forms take the same day, time, length, repeat and late
 * threshold; a session's platform and classes are chosen only when it is scheduled.
 */
import { z } from "zod";
import { vnWeekday } from "./sessions.ts";

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const blank = () => z.literal("").transform(() => undefined);

export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

export const sessionTitle = z.string().trim().min(1, "errors.required").max(200, "errors.too_long");

/** Day and start time in Vietnam time, and the length in minutes. */
export const sessionWhen = {
  day: z.string().regex(DAY, "sessions.errors.day"),
  time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "sessions.errors.time"),
  duration: z.coerce.number({ error: "sessions.errors.duration" }).int("sessions.errors.duration").min(10, "sessions.errors.duration").max(300, "sessions.errors.duration"),
};

/** A weekly repeat's days (ISO, 1 = Monday) and its end: a last day or a number of sessions. */
export const sessionRepeat = {
  weekdays: z.array(z.coerce.number().int().min(1).max(7)).default([]),
  until: z.string().regex(DAY, "sessions.errors.day").optional().or(blank()),
  count: z.coerce.number().int().min(1, "sessions.errors.count").max(200, "sessions.errors.count").optional().or(blank()),
};

/** The https link of a "Liên kết" session. */
export const sessionLink = z.url({ protocol: /^https$/, error: "sessions.errors.link" }).max(1000, "errors.too_long").optional().or(blank());

const LATE = "sessionsMore.errors.lateAfter";
/** Minutes after the start from which a first join is "đến muộn"; left empty, 10. */
export const lateAfterMinutes = z
  .literal("")
  .transform(() => 10)
  .or(z.coerce.number({ error: LATE }).int(LATE).min(0, LATE).max(60, LATE))
  .default(10);

/** The last day of a series must not come before its first. */
export function untilNotBefore(v: { day: string; until?: string }, ctx: z.core.$RefinementCtx) {
  if (v.until && v.until < v.day) ctx.addIssue({ code: "custom", path: ["until"], message: "sessions.errors.untilBefore" });
}

/**
 * A posted form as zod reads it (`lists` are the repeated fields, as arrays) and as the form
 * shows it again after an error (every value a string).
 */
export function sessionFormInput(form: FormData, lists: string[]) {
  const raw: Record<string, string | string[]> = Object.fromEntries([...form.entries()].filter(([k, v]) => typeof v === "string" && !lists.includes(k)) as [string, string][]);
  for (const name of lists) raw[name] = form.getAll(name).map(String);
  const values = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v]));
  return { raw, values };
}

/** A series' days: those chosen, and always the first session's own day. */
export function seriesWeekdays(startsAt: Date, chosen: number[]): number[] {
  return [...new Set([vnWeekday(startsAt), ...chosen])].sort();
}
