/**
 * Attendance at one occurrence from what the platform reported. A participant is a student's by a
 * verified email, or by a platform identity a teacher confirmed before; a name alone is only ever
 * a suggestion for the teacher to confirm — two students of one class share names ("Nguyễn Văn
 * An"), and a phone joins as "iPhone của An". Then each student: có mặt (present), đến muộn
 * (late), về sớm (left early) or vắng (absent), with the minutes attended across rejoins.
 */
import { searchFold } from "./vn.ts";

export type RosterStudent = { id: string; fullName: string; email: string | null };
export type Participation = { personKey: string; displayName: string; email: string | null; joinedAt: Date; leftAt: Date | null };
export type Status = "present" | "late" | "left_early" | "absent";

export type Matched = {
  /** Participations by student id. */
  byStudent: Map<string, Participation[]>;
  /** People the teacher must confirm (name-only, a device name, an unknown address), with suggestions. */
  toConfirm: { personKey: string; displayName: string; email: string | null; suggestions: string[] }[];
};

const givenName = (fullName: string) => searchFold(fullName).split(" ").pop() ?? "";

/** `remembered`: personKey → student id confirmed earlier. */
export function matchParticipants(roster: RosterStudent[], joins: Participation[], remembered: Map<string, string>): Matched {
  const byEmail = new Map(roster.filter((s) => s.email).map((s) => [s.email!.toLowerCase(), s.id]));
  const inRoster = new Set(roster.map((s) => s.id));
  const byStudent = new Map<string, Participation[]>();
  const pending = new Map<string, Matched["toConfirm"][number]>();
  const folded = roster.map((s) => ({ id: s.id, name: searchFold(s.fullName), given: givenName(s.fullName) }));
  for (const j of joins) {
    const id = (j.email && byEmail.get(j.email.toLowerCase())) || remembered.get(j.personKey);
    if (id && inRoster.has(id)) {
      byStudent.set(id, [...(byStudent.get(id) ?? []), j]);
      continue;
    }
    if (pending.has(j.personKey)) continue;
    const name = searchFold(j.displayName);
    const words = new Set(name.split(/[^a-z0-9]+/).filter(Boolean));
    // Suggestions: the whole name, else a student whose given name the display name contains.
    const exact = folded.filter((s) => s.name === name).map((s) => s.id);
    const suggestions = exact.length ? exact : folded.filter((s) => words.has(s.given)).map((s) => s.id);
    pending.set(j.personKey, { personKey: j.personKey, displayName: j.displayName, email: j.email, suggestions });
  }
  return { byStudent, toConfirm: [...pending.values()] };
}

/** Minutes within [start, end] covered by the joins (overlaps counted once). */
export function minutesAttended(joins: Pick<Participation, "joinedAt" | "leftAt">[], start: Date, end: Date): number {
  const spans = joins
    .map((j) => [Math.max(j.joinedAt.getTime(), start.getTime()), Math.min((j.leftAt ?? end).getTime(), end.getTime())] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let [from, to] = [0, 0];
  for (const [a, b] of spans) {
    if (a > to) {
      total += to - from;
      [from, to] = [a, b];
    } else to = Math.max(to, b);
  }
  total += to - from;
  return Math.round(total / 60_000);
}

export type Rules = { lateAfterMinutes: number; earlyBeforeMinutes: number };
export const DEFAULT_RULES: Rules = { lateAfterMinutes: 10, earlyBeforeMinutes: 10 };

export function statusOf(joins: Pick<Participation, "joinedAt" | "leftAt">[], start: Date, end: Date, rules: Rules = DEFAULT_RULES): { status: Status; minutes: number } {
  const minutes = minutesAttended(joins, start, end);
  if (joins.length === 0 || minutes === 0) return { status: "absent", minutes: 0 };
  const first = Math.min(...joins.map((j) => j.joinedAt.getTime()));
  const last = Math.max(...joins.map((j) => (j.leftAt ?? end).getTime()));
  if (first > start.getTime() + rules.lateAfterMinutes * 60_000) return { status: "late", minutes };
  if (last < end.getTime() - rules.earlyBeforeMinutes * 60_000) return { status: "left_early", minutes };
  return { status: "present", minutes };
}
