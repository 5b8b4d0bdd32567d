/**
 * Vietnam time for notifications: quiet hours and digest moments. Vietnam keeps UTC+7 all year
 * (no daylight saving), so local time is plain arithmetic on the instant. Pure; the fan-out and the
 * digest use the SQL twins below (same arithmetic, tested against these functions).
 */

export const VN_OFFSET_MINUTES = 7 * 60;
const DAY = 1440;

export type QuietHours = { quietStart: number; quietEnd: number };
export type DigestSettings = { digestAt: number; weeklyDay: number };

/** Minutes since 1970-01-01 00:00 Vietnam time. */
const localMinutes = (at: Date) => Math.floor(at.getTime() / 60_000) + VN_OFFSET_MINUTES;
const fromLocalMinutes = (m: number) => new Date((m - VN_OFFSET_MINUTES) * 60_000);

/** The minute of the local day (0–1439). */
export function minuteOfDay(at: Date): number {
  return ((localMinutes(at) % DAY) + DAY) % DAY;
}

/**
 * When the quiet hours that `at` falls in end, or null when `at` is outside them. A window may
 * cross midnight (21:00–06:30); equal start and end mean no quiet hours.
 */
export function quietHoursEnd(at: Date, q: QuietHours): Date | null {
  const { quietStart: s, quietEnd: e } = q;
  if (s === e) return null;
  const m = minuteOfDay(at);
  const inside = s < e ? m >= s && m < e : m >= s || m < e;
  if (!inside) return null;
  const dayStart = localMinutes(at) - m;
  return fromLocalMinutes(dayStart + e + (s > e && m >= s ? DAY : 0));
}

/** When an immediate message made at `at` may go out: the end of quiet hours, unless urgent. */
export function notBefore(at: Date, q: QuietHours, urgent: boolean): Date {
  if (urgent) return at;
  return quietHoursEnd(at, q) ?? at;
}

/** The local calendar date of an instant, YYYY-MM-DD. */
export function localDate(at: Date): string {
  return new Date(localMinutes(at) * 60_000).toISOString().slice(0, 10);
}

/** ISO 8601 week of a local date, e.g. "2026-W48". */
export function isoWeek(at: Date): string {
  const d = new Date(localMinutes(at) * 60_000);
  const day = (d.getUTCDay() + 6) % 7; // Monday 0
  d.setUTCDate(d.getUTCDate() - day + 3); // Thursday of this week
  const year = d.getUTCFullYear();
  const week = Math.ceil(((d.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/**
 * The latest digest moment at or before `at`: today's digest time if it has come, else
 * yesterday's; for the weekly digest, the latest `weeklyDay` at that time. Notifications created
 * before it belong to that digest.
 */
export function lastDigestMoment(at: Date, s: DigestSettings, period: "daily" | "weekly"): Date {
  const now = localMinutes(at);
  const m = minuteOfDay(at);
  const dayStart = now - m;
  if (period === "daily") return fromLocalMinutes(m >= s.digestAt ? dayStart + s.digestAt : dayStart - DAY + s.digestAt);
  const weekday = (Math.floor(dayStart / DAY) + 4) % 7; // 1970-01-01 was a Thursday
  let back = (weekday - s.weeklyDay + 7) % 7;
  if (back === 0 && m < s.digestAt) back = 7;
  return fromLocalMinutes(dayStart - back * DAY + s.digestAt);
}

/** The digest's label in its key: the local date (daily) or the ISO week (weekly) of its moment. */
export function digestLabel(moment: Date, period: "daily" | "weekly"): string {
  return period === "daily" ? localDate(moment) : isoWeek(moment);
}

/**
 * SQL for `quietHoursEnd(at, {quietStart: qs, quietEnd: qe})` over columns (or expressions) `qs`
 * and `qe`: the same arithmetic, with the local minute of `at` fixed; null outside quiet hours.
 */
export function quietHoursEndSql(at: Date, qs: string, qe: string): string {
  const m = minuteOfDay(at);
  const dayStart = localMinutes(at) - m;
  return `(case when ${qs} = ${qe} then null
    when (${qs} < ${qe} and ${m} >= ${qs} and ${m} < ${qe}) or (${qs} > ${qe} and (${m} >= ${qs} or ${m} < ${qe}))
    then to_timestamp(((${dayStart} + ${qe} + (case when ${qs} > ${qe} and ${m} >= ${qs} then ${DAY} else 0 end) - ${VN_OFFSET_MINUTES}) * 60)::double precision)
    end)`;
}
