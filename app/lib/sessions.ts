/**
 * Live sessions' occurrences in Vietnam time (UTC+7 all year, no daylight saving): a weekly
 * series repeats at its first start's time of day on its ISO weekdays (1 = Monday … 7 = Sunday)
 * until a day (inclusive) or for a number of occurrences; an exception cancels one occurrence or
 * moves it. Pure: the pages, the join route and the calendar feed all count the same way.
 */
export const VN_OFFSET_MS = 7 * 3_600_000;
const DAY_MS = 86_400_000;
/** "Tham gia" opens 10 minutes before the start and stays open until the end. */
export const JOIN_EARLY_MS = 10 * 60_000;
/** No series runs longer than a school year's worth of weekly lessons on every weekday. */
export const MAX_OCCURRENCES = 400;

export type SessionRule = {
  startsAt: Date;
  durationMinutes: number;
  weekdays: number[] | null;
  /** Last day of the series, a Vietnam date "YYYY-MM-DD". */
  until: string | null;
  count: number | null;
};

export type SessionException = { originalStart: Date; cancelled: boolean; startsAt: Date | null; durationMinutes: number | null };

export type Occurrence = {
  /** The start the series scheduled (the occurrence's key). */
  originalStart: Date;
  startsAt: Date;
  endsAt: Date;
  cancelled: boolean;
  moved: boolean;
};

/** The Vietnam calendar date of an instant, "YYYY-MM-DD". */
export function vnDate(at: Date): string {
  return new Date(at.getTime() + VN_OFFSET_MS).toISOString().slice(0, 10);
}

/** ISO weekday (1 = Monday … 7 = Sunday) of an instant in Vietnam. */
export function vnWeekday(at: Date): number {
  const d = new Date(at.getTime() + VN_OFFSET_MS).getUTCDay();
  return d === 0 ? 7 : d;
}

/** The instant of a Vietnam date and time ("2026-12-08", "19:30"). */
export function vnInstant(day: string, time: string): Date {
  return new Date(Date.parse(`${day}T${time}:00+07:00`));
}

/** The scheduled starts of a rule, in order (at most MAX_OCCURRENCES). */
export function scheduledStarts(rule: SessionRule): Date[] {
  if (!rule.weekdays || rule.weekdays.length === 0) return [rule.startsAt];
  const days = new Set(rule.weekdays);
  const out: Date[] = [];
  const limit = Math.min(rule.count ?? MAX_OCCURRENCES, MAX_OCCURRENCES);
  const lastDay = rule.until;
  for (let at = rule.startsAt.getTime(); out.length < limit; at += DAY_MS) {
    const when = new Date(at);
    if (lastDay && vnDate(when) > lastDay) break;
    if (days.has(vnWeekday(when))) out.push(when);
    // A rule with neither an end day nor a count stops at the limit.
    if (!lastDay && !rule.count && out.length >= limit) break;
  }
  return out;
}

/** Occurrences overlapping `window` (cancelled ones included, marked), with exceptions applied. */
export function occurrences(rule: SessionRule, exceptions: SessionException[], window?: { from: Date; to: Date }): Occurrence[] {
  const byStart = new Map(exceptions.map((e) => [e.originalStart.getTime(), e]));
  const out: Occurrence[] = [];
  for (const original of scheduledStarts(rule)) {
    const ex = byStart.get(original.getTime());
    const startsAt = ex?.startsAt ?? original;
    const minutes = ex?.durationMinutes ?? rule.durationMinutes;
    const endsAt = new Date(startsAt.getTime() + minutes * 60_000);
    if (window && (endsAt <= window.from || startsAt >= window.to)) continue;
    out.push({ originalStart: original, startsAt, endsAt, cancelled: ex?.cancelled ?? false, moved: Boolean(ex && !ex.cancelled && (ex.startsAt || ex.durationMinutes)) });
  }
  return out.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
}

/** Whether "Tham gia" is open for this occurrence at `now`. */
export function joinOpen(o: Pick<Occurrence, "startsAt" | "endsAt" | "cancelled">, now: Date): boolean {
  return !o.cancelled && now.getTime() >= o.startsAt.getTime() - JOIN_EARLY_MS && now < o.endsAt;
}

/** The occurrence that is open now or comes next (not cancelled), or null. */
export function currentOrNext(list: Occurrence[], now: Date): Occurrence | null {
  return list.find((o) => !o.cancelled && o.endsAt > now) ?? null;
}
