import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../../lib/notify-defaults.ts";
import { digestLabel, isoWeek, lastDigestMoment, localDate, minuteOfDay, notBefore, quietHoursEnd } from "./clock.ts";

/** An instant given in Vietnam time (UTC+7). */
const vn = (local: string) => new Date(`${local}+07:00`);
const q = DEFAULT_SETTINGS; // 21:00–06:30

describe("quiet hours (Vietnam time, UTC+7)", () => {
  it("reads the local minute of the day", () => {
    expect(minuteOfDay(vn("2026-11-25T00:00"))).toBe(0);
    expect(minuteOfDay(vn("2026-11-25T21:15"))).toBe(21 * 60 + 15);
    expect(minuteOfDay(new Date("2026-11-25T16:59:00Z"))).toBe(23 * 60 + 59);
  });

  it("a window crossing midnight: the evening part ends the next morning", () => {
    expect(quietHoursEnd(vn("2026-11-25T21:00"), q)).toEqual(vn("2026-11-26T06:30"));
    expect(quietHoursEnd(vn("2026-11-25T23:59"), q)).toEqual(vn("2026-11-26T06:30"));
    // The month's last day rolls into the next month.
    expect(quietHoursEnd(vn("2026-11-30T22:00"), q)).toEqual(vn("2026-12-01T06:30"));
  });

  it("a window crossing midnight: the morning part ends the same morning", () => {
    expect(quietHoursEnd(vn("2026-11-26T00:00"), q)).toEqual(vn("2026-11-26T06:30"));
    expect(quietHoursEnd(vn("2026-11-26T06:29"), q)).toEqual(vn("2026-11-26T06:30"));
  });

  it("outside the window there is nothing to wait for", () => {
    expect(quietHoursEnd(vn("2026-11-26T06:30"), q)).toBeNull();
    expect(quietHoursEnd(vn("2026-11-26T12:00"), q)).toBeNull();
    expect(quietHoursEnd(vn("2026-11-26T20:59"), q)).toBeNull();
  });

  it("a window within one day (13:00–14:00)", () => {
    const noon = { quietStart: 13 * 60, quietEnd: 14 * 60 };
    expect(quietHoursEnd(vn("2026-11-26T13:30"), noon)).toEqual(vn("2026-11-26T14:00"));
    expect(quietHoursEnd(vn("2026-11-26T14:00"), noon)).toBeNull();
    expect(quietHoursEnd(vn("2026-11-26T12:59"), noon)).toBeNull();
  });

  it("equal start and end mean no quiet hours", () => {
    const none = { quietStart: 600, quietEnd: 600 };
    for (const t of ["00:00", "10:00", "22:00"]) expect(quietHoursEnd(vn(`2026-11-26T${t}`), none)).toBeNull();
  });

  it("an urgent message goes at once, even at night", () => {
    const night = vn("2026-11-25T23:00");
    expect(notBefore(night, q, true)).toEqual(night);
    expect(notBefore(night, q, false)).toEqual(vn("2026-11-26T06:30"));
    const day = vn("2026-11-25T10:00");
    expect(notBefore(day, q, false)).toEqual(day);
  });
});

describe("digest moments", () => {
  const s = { digestAt: DEFAULT_SETTINGS.digestAt, weeklyDay: 0 }; // 19:00, Sunday

  it("daily: today's digest once its time has come, else yesterday's", () => {
    expect(lastDigestMoment(vn("2026-11-25T19:00"), s, "daily")).toEqual(vn("2026-11-25T19:00"));
    expect(lastDigestMoment(vn("2026-11-25T23:30"), s, "daily")).toEqual(vn("2026-11-25T19:00"));
    expect(lastDigestMoment(vn("2026-11-25T18:59"), s, "daily")).toEqual(vn("2026-11-24T19:00"));
    // 01:00 local is still the previous UTC day: the local date decides.
    expect(lastDigestMoment(vn("2026-11-26T01:00"), s, "daily")).toEqual(vn("2026-11-25T19:00"));
  });

  it("weekly: the latest chosen weekday at the digest time", () => {
    // 2026-11-29 is a Sunday.
    expect(lastDigestMoment(vn("2026-11-29T19:00"), s, "weekly")).toEqual(vn("2026-11-29T19:00"));
    expect(lastDigestMoment(vn("2026-11-29T18:00"), s, "weekly")).toEqual(vn("2026-11-22T19:00"));
    expect(lastDigestMoment(vn("2026-12-02T08:00"), s, "weekly")).toEqual(vn("2026-11-29T19:00"));
    expect(lastDigestMoment(vn("2026-12-02T08:00"), { digestAt: 7 * 60, weeklyDay: 3 }, "weekly")).toEqual(vn("2026-12-02T07:00"));
  });

  it("labels: the local date, the ISO week", () => {
    expect(localDate(vn("2026-11-26T01:00"))).toBe("2026-11-26");
    expect(localDate(new Date("2026-11-25T18:00:00Z"))).toBe("2026-11-26");
    expect(isoWeek(vn("2026-11-29T19:00"))).toBe("2026-W48");
    expect(isoWeek(vn("2026-11-30T08:00"))).toBe("2026-W49");
    expect(isoWeek(vn("2027-01-01T08:00"))).toBe("2026-W53");
    expect(isoWeek(vn("2025-12-29T08:00"))).toBe("2026-W01");
    expect(digestLabel(vn("2026-11-25T19:00"), "daily")).toBe("2026-11-25");
    expect(digestLabel(vn("2026-11-29T19:00"), "weekly")).toBe("2026-W48");
  });
});
