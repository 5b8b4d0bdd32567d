import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { attendanceRecord, createBody, meetingRef, patchBody, patchNeedsCurrent, reportsInWindow } from "./mapping.ts";
import { AttendanceRecordPage, AttendanceReportPage, OnlineMeeting } from "./schemas.ts";

/** Graph's published examples, kept verbatim beside the fake (see its SOURCES.md). */
const sample = (name: string) => JSON.parse(fs.readFileSync(new URL(`../../tests/fakes/microsoft/samples/${name}`, import.meta.url), "utf8"));

describe("Teams meeting mapping", () => {
  it("reads Graph's published create reply and attendance pages", () => {
    const m = OnlineMeeting.parse(sample("onlineMeetings.create.response.json"));
    const ref = meetingRef(m)!;
    expect(ref.externalId).toBe("MSpkYzE3Njc0Yy04MWQ5LTRhZGItYmZiMi04ZdFpHRTNaR1F6WGhyZWFkLnYy");
    expect(ref.joinUrl).toMatch(/^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//);
    expect(ref.passcode).toBeUndefined();
    const reports = AttendanceReportPage.parse(sample("onlineMeetings.attendanceReports.list.response.json")).value;
    expect(reportsInWindow(reports, { from: new Date("2021-10-05T00:00:00Z"), to: new Date("2021-10-05T23:59:59Z") }).map((r) => r.id)).toEqual(["c9b6db1c-d5eb-427d-a5c0-20088d9b22d7"]);
    const records = AttendanceRecordPage.parse(sample("onlineMeetings.attendanceRecords.list.response.json")).value.map(attendanceRecord);
    expect(records[0]).toEqual({
      identities: [
        { kind: "email", value: "frederick.cormier@contoso.com" },
        { kind: "user_id", value: "dc17674c-81d9-4adb-bfb2-8f6a442e4623" },
        { kind: "display_name", value: "Frederick Cormier" },
      ],
      joinedAt: new Date("2021-10-05T04:38:27.602Z"),
      leftAt: new Date("2021-10-05T04:43:49.770Z"),
      durationSeconds: 322,
    });
  });

  it("falls back to the old joinUrl and takes the passcode", () => {
    expect(meetingRef({ id: "m1", joinUrl: "https://teams.microsoft.com/l/x", joinMeetingIdSettings: { passcode: "ab12cd" } })).toEqual({
      provider: "microsoft",
      externalId: "m1",
      joinUrl: "https://teams.microsoft.com/l/x",
      passcode: "ab12cd",
    });
    expect(meetingRef({ id: "m2" })).toBeNull();
  });

  it("creates with UTC times and the key as externalId", () => {
    expect(createBody({ topic: "Toán 7A", startsAt: new Date("2026-09-07T07:30:00+07:00"), durationMinutes: 45 }, "key-1")).toEqual({
      externalId: "key-1",
      subject: "Toán 7A",
      startDateTime: "2026-09-07T00:30:00.000Z",
      endDateTime: "2026-09-07T01:15:00.000Z",
    });
  });

  it("patches what changed, keeping the length when only the start moves", () => {
    expect(patchBody({ topic: "Văn 8B" })).toEqual({ subject: "Văn 8B" });
    expect(patchNeedsCurrent({ startsAt: new Date() })).toBe(true);
    expect(patchNeedsCurrent({ startsAt: new Date(), durationMinutes: 10 })).toBe(false);
    expect(patchBody({ startsAt: new Date("2026-09-08T01:00:00Z") }, { startDateTime: "2026-09-07T00:30:00Z", endDateTime: "2026-09-07T01:15:00Z" })).toEqual({
      startDateTime: "2026-09-08T01:00:00.000Z",
      endDateTime: "2026-09-08T01:45:00.000Z",
    });
    expect(patchBody({ durationMinutes: 90 }, { startDateTime: "2026-09-07T00:30:00Z", endDateTime: "2026-09-07T01:15:00Z" })).toEqual({
      startDateTime: "2026-09-07T00:30:00.000Z",
      endDateTime: "2026-09-07T02:00:00.000Z",
    });
  });

  it("a person who rejoined: first join, last leave, the total; a guest has no email; one still in has no leave", () => {
    const rejoined = attendanceRecord({
      emailAddress: "An.NV@nguyendu.edu.vn",
      totalAttendanceInSeconds: 1500,
      identity: { id: "u-an", displayName: "Nguyễn Văn An" },
      attendanceIntervals: [
        { joinDateTime: "2026-09-07T00:31:00Z", leaveDateTime: "2026-09-07T00:41:00Z", durationInSeconds: 600 },
        { joinDateTime: "2026-09-07T00:45:00Z", leaveDateTime: "2026-09-07T01:00:00Z", durationInSeconds: 900 },
      ],
    })!;
    expect(rejoined.joinedAt.toISOString()).toBe("2026-09-07T00:31:00.000Z");
    expect(rejoined.leftAt?.toISOString()).toBe("2026-09-07T01:00:00.000Z");
    expect(rejoined.durationSeconds).toBe(1500);
    expect(rejoined.identities[0]).toEqual({ kind: "email", value: "an.nv@nguyendu.edu.vn" });
    const guest = attendanceRecord({ emailAddress: null, identity: { id: null, displayName: "Phụ huynh (khách)" }, attendanceIntervals: [{ joinDateTime: "2026-09-07T00:35:00Z", leaveDateTime: null, durationInSeconds: 60 }] })!;
    expect(guest.identities).toEqual([{ kind: "display_name", value: "Phụ huynh (khách)" }]);
    expect(guest.leftAt).toBeNull();
    expect(guest.durationSeconds).toBe(60);
    expect(attendanceRecord({ attendanceIntervals: [] })).toBeNull();
  });
});
