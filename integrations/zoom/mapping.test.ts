import { describe, expect, it } from "vitest";
import {
  agendaHasKey,
  agendaKey,
  agendaWithKey,
  attendanceRecord,
  createMeetingBody,
  isoToZoomWeekday,
  localDateTime,
  meetingPathId,
  nextUtcMidnight,
  parseJsonExact,
  updateMeetingBody,
  weeklyRecurrenceBody,
  zoomToIsoWeekday,
} from "./mapping.ts";
import { ZoomMeeting } from "./schemas.ts";

describe("weekdays", () => {
  it("maps ISO (Monday first) to Zoom (Sunday first) and back", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(isoToZoomWeekday)).toEqual([2, 3, 4, 5, 6, 7, 1]);
    expect([1, 2, 3, 4, 5, 6, 7].map(zoomToIsoWeekday)).toEqual([7, 1, 2, 3, 4, 5, 6]);
    for (let d = 1; d <= 7; d++) expect(zoomToIsoWeekday(isoToZoomWeekday(d))).toBe(d);
  });
  it("refuses what is not a weekday", () => {
    expect(() => isoToZoomWeekday(0)).toThrow(RangeError);
    expect(() => isoToZoomWeekday(8)).toThrow(RangeError);
    expect(() => zoomToIsoWeekday(1.5)).toThrow(RangeError);
  });
});

describe("weeklyRecurrenceBody", () => {
  it("Tuesday and Thursday, ten times", () => {
    expect(weeklyRecurrenceBody({ weekdays: [4, 2], count: 10 })).toEqual({ type: 2, repeat_interval: 1, weekly_days: "3,5", end_times: 10 });
  });
  it("Sunday and Monday until a day, in GMT without milliseconds; duplicates once", () => {
    expect(weeklyRecurrenceBody({ weekdays: [7, 1, 1], until: new Date("2027-01-15T16:59:00.000Z") })).toEqual({
      type: 2,
      repeat_interval: 1,
      weekly_days: "1,2",
      end_date_time: "2027-01-15T16:59:00Z",
    });
  });
  it("a count wins over a day; no end, no weekday or more than 60 is refused", () => {
    expect(weeklyRecurrenceBody({ weekdays: [1], count: 3, until: new Date() })).not.toHaveProperty("end_date_time");
    expect(() => weeklyRecurrenceBody({ weekdays: [1] })).toThrow(RangeError);
    expect(() => weeklyRecurrenceBody({ weekdays: [], count: 2 })).toThrow(RangeError);
    expect(() => weeklyRecurrenceBody({ weekdays: [1], count: 61 })).toThrow(RangeError);
  });
});

describe("meeting bodies", () => {
  const startsAt = new Date("2026-12-08T03:00:00Z"); // 10:00 in Hà Nội
  it("local time with the zone, across a day boundary too", () => {
    expect(localDateTime(startsAt, "Asia/Ho_Chi_Minh")).toBe("2026-12-08T10:00:00");
    expect(localDateTime(new Date("2026-12-31T18:30:00Z"), "Asia/Ho_Chi_Minh")).toBe("2027-01-01T01:30:00");
    expect(localDateTime(new Date("2026-12-08T00:00:00Z"), "UTC")).toBe("2026-12-08T00:00:00");
  });
  it("a single meeting is type 2, a series type 8 with its recurrence; the key ends the agenda", () => {
    const one = createMeetingBody({ topic: "Toán 7A", startsAt, durationMinutes: 45, timezone: "Asia/Ho_Chi_Minh", agenda: "Ôn tập chương 2" }, "k-1");
    expect(one).toEqual({ topic: "Toán 7A", type: 2, start_time: "2026-12-08T10:00:00", duration: 45, timezone: "Asia/Ho_Chi_Minh", agenda: "Ôn tập chương 2\n\n[lopso:k-1]" });
    const series = createMeetingBody({ topic: "Văn 8B", startsAt, durationMinutes: 45, timezone: "Asia/Ho_Chi_Minh", recurrence: { weekdays: [2, 4], count: 10 } }, "k-2");
    expect(series).toMatchObject({ type: 8, agenda: "[lopso:k-2]", recurrence: { type: 2, weekly_days: "3,5", end_times: 10, repeat_interval: 1 } });
  });
  it("an update of one occurrence sends only its time and length; a whole update keeps the key", () => {
    const input = { topic: "Mới", startsAt, durationMinutes: 50, agenda: "Đổi phòng" };
    expect(updateMeetingBody(input, { occurrence: true, key: "k", currentTimezone: "Asia/Ho_Chi_Minh" })).toEqual({ start_time: "2026-12-08T10:00:00", timezone: "Asia/Ho_Chi_Minh", duration: 50 });
    expect(updateMeetingBody(input, { occurrence: false, key: "k", currentTimezone: "Asia/Ho_Chi_Minh" })).toMatchObject({ topic: "Mới", agenda: "Đổi phòng\n\n[lopso:k]" });
  });
});

describe("the key in the agenda", () => {
  it("is found at the end only, and the teacher's text is cut to leave it room", () => {
    const a = agendaWithKey("x".repeat(3000), "abc");
    expect(a.length).toBeLessThanOrEqual(2000);
    expect(agendaHasKey(a, "abc")).toBe(true);
    expect(agendaHasKey(a, "ab")).toBe(false);
    expect(agendaHasKey("[lopso:abc] and more", "abc")).toBe(false);
    expect(agendaKey(a)).toBe("abc");
    expect(agendaKey("no marker")).toBeNull();
  });
});

describe("meetingPathId", () => {
  it("encodes a uuid once, or twice when it begins with / or holds //", () => {
    expect(meetingPathId("85393847045")).toBe("85393847045");
    expect(meetingPathId("aDYlohsHRtCd4ii1uC2+hA==")).toBe("aDYlohsHRtCd4ii1uC2%2BhA%3D%3D");
    expect(meetingPathId("/ajXp112QmuoKj4854875==")).toBe("%252FajXp112QmuoKj4854875%253D%253D");
    expect(meetingPathId("ab//cd==")).toBe("ab%252F%252Fcd%253D%253D");
  });
});

describe("nextUtcMidnight", () => {
  it("is the next 00:00 UTC, not Hà Nội's", () => {
    expect(nextUtcMidnight(new Date("2026-12-02T23:59:59Z")).toISOString()).toBe("2026-12-03T00:00:00.000Z");
    expect(nextUtcMidnight(new Date("2026-12-31T00:00:00Z")).toISOString()).toBe("2027-01-01T00:00:00.000Z");
  });
});

describe("attendanceRecord", () => {
  it("keeps every identity Zoom gives, with its kind (Zoom's sample row)", () => {
    const r = attendanceRecord({
      id: "30R7kT7bTIKSNUFEuH_Qlg",
      name: "Jill Chill",
      user_id: "27423744",
      registrant_id: "_f08HhPJS82MIVLuuFaJPg",
      user_email: "JChill@example.com",
      join_time: "2022-03-23T06:58:09Z",
      leave_time: "2022-03-23T07:02:28Z",
      duration: 259,
    });
    expect(r).toEqual({
      identities: [
        { kind: "participant_id", value: "27423744" },
        { kind: "user_id", value: "30R7kT7bTIKSNUFEuH_Qlg" },
        { kind: "registrant_id", value: "_f08HhPJS82MIVLuuFaJPg" },
        { kind: "email", value: "jchill@example.com" },
        { kind: "display_name", value: "Jill Chill" },
      ],
      joinedAt: new Date("2022-03-23T06:58:09Z"),
      leftAt: new Date("2022-03-23T07:02:28Z"),
      durationSeconds: 259,
    });
  });
  it("a phone joined as a guest: no email, no user id, only what it has", () => {
    const r = attendanceRecord({ id: "", user_id: "16778240", name: "iPhone của An", user_email: "", join_time: "2026-12-08T03:01:00Z" });
    expect(r.identities).toEqual([
      { kind: "participant_id", value: "16778240" },
      { kind: "display_name", value: "iPhone của An" },
    ]);
    expect(r.leftAt).toBeNull();
    expect(r.durationSeconds).toBe(0);
  });
});

describe("parseJsonExact", () => {
  it("keeps int64 ids beyond 2^53 exact and leaves everything else as JSON.parse does", () => {
    const text = '{"id": 9007199254740993, "n": -12345678901234567, "small": 92674392836, "f": 1.5e20, "s": "9007199254740993, 12345678901234567", "a": [1,  18014398509481985]}';
    expect(parseJsonExact(text)).toEqual({ id: "9007199254740993", n: "-12345678901234567", small: 92674392836, f: 1.5e20, s: "9007199254740993, 12345678901234567", a: [1, "18014398509481985"] });
    expect(parseJsonExact('{"q":"a\\"b 1234567890123456789","x":true}')).toEqual({ q: 'a"b 1234567890123456789', x: true });
    expect(() => parseJsonExact("{nope")).toThrow(SyntaxError);
  });
  it("gives the meeting schema a string id either way", () => {
    const m = ZoomMeeting.parse(parseJsonExact('{"id":9007199254740993,"type":2,"join_url":"https://zoom.us/j/1","occurrences":[{"occurrence_id":"1648194360000","start_time":"2022-03-25T07:46:00Z"}]}'));
    expect(m.id).toBe("9007199254740993");
    expect(ZoomMeeting.parse({ id: 92674392836, type: 2, join_url: "u" }).id).toBe("92674392836");
    expect(m.occurrences?.[0]?.occurrence_id).toBe("1648194360000");
  });
});
