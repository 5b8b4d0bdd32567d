import { describe, expect, it } from "vitest";
import { currentOrNext, joinOpen, occurrences, scheduledStarts, vnDate, vnInstant, vnWeekday } from "./sessions.ts";

const at = (s: string) => new Date(s);

describe("Vietnam time", () => {
  it("dates and weekdays an instant in UTC+7, across the UTC midnight", () => {
    // 2026-12-07 23:30 UTC is Tuesday 8 December 06:30 in Hà Nội.
    expect(vnDate(at("2026-12-07T23:30:00Z"))).toBe("2026-12-08");
    expect(vnWeekday(at("2026-12-07T23:30:00Z"))).toBe(2);
    expect(vnInstant("2026-12-08", "19:30").toISOString()).toBe("2026-12-08T12:30:00.000Z");
  });
});

describe("a weekly series", () => {
  // Tuesdays and Thursdays at 07:00 Vietnam time from Tuesday 1 December 2026.
  const rule = { startsAt: vnInstant("2026-12-01", "07:00"), durationMinutes: 45, weekdays: [2, 4], until: "2026-12-17", count: null };

  it("repeats on its weekdays at the first start's time, until the last day inclusive", () => {
    expect(scheduledStarts(rule).map((d) => vnDate(d))).toEqual(["2026-12-01", "2026-12-03", "2026-12-08", "2026-12-10", "2026-12-15", "2026-12-17"]);
    expect(scheduledStarts(rule).every((d) => d.toISOString().endsWith("T00:00:00.000Z"))).toBe(true);
  });

  it("stops after a count, and a single session is itself", () => {
    expect(scheduledStarts({ ...rule, until: null, count: 3 }).map(vnDate)).toEqual(["2026-12-01", "2026-12-03", "2026-12-08"]);
    expect(scheduledStarts({ ...rule, weekdays: null })).toEqual([rule.startsAt]);
  });

  it("applies a cancelled and a moved occurrence, and cuts to a window", () => {
    const list = occurrences(
      rule,
      [
        { originalStart: vnInstant("2026-12-03", "07:00"), cancelled: true, startsAt: null, durationMinutes: null },
        { originalStart: vnInstant("2026-12-08", "07:00"), cancelled: false, startsAt: vnInstant("2026-12-09", "14:00"), durationMinutes: 60 },
      ],
      { from: vnInstant("2026-12-02", "00:00"), to: vnInstant("2026-12-11", "00:00") },
    );
    expect(list.map((o) => [vnDate(o.startsAt), o.cancelled, o.moved])).toEqual([
      ["2026-12-03", true, false],
      ["2026-12-09", false, true],
      ["2026-12-10", false, false],
    ]);
    expect(list[1].endsAt.toISOString()).toBe(vnInstant("2026-12-09", "15:00").toISOString());
    expect(list[1].originalStart.toISOString()).toBe(vnInstant("2026-12-08", "07:00").toISOString());
  });
});

describe("joining", () => {
  const o = { startsAt: vnInstant("2026-12-08", "07:00"), endsAt: vnInstant("2026-12-08", "07:45"), cancelled: false };
  it("opens 10 minutes before the start and closes at the end; never for a cancelled one", () => {
    expect(joinOpen(o, vnInstant("2026-12-08", "06:49"))).toBe(false);
    expect(joinOpen(o, vnInstant("2026-12-08", "06:50"))).toBe(true);
    expect(joinOpen(o, vnInstant("2026-12-08", "07:44"))).toBe(true);
    expect(joinOpen(o, vnInstant("2026-12-08", "07:45"))).toBe(false);
    expect(joinOpen({ ...o, cancelled: true }, vnInstant("2026-12-08", "07:00"))).toBe(false);
  });

  it("the current or next occurrence skips cancelled and ended ones", () => {
    const rule = { startsAt: vnInstant("2026-12-01", "07:00"), durationMinutes: 45, weekdays: [2], until: null, count: 3 };
    const list = occurrences(rule, [{ originalStart: vnInstant("2026-12-08", "07:00"), cancelled: true, startsAt: null, durationMinutes: null }]);
    expect(vnDate(currentOrNext(list, vnInstant("2026-12-01", "08:00"))!.startsAt)).toBe("2026-12-15");
    expect(currentOrNext(list, vnInstant("2026-12-16", "08:00"))).toBeNull();
  });
});
