import { describe, expect, it } from "vitest";
import {
  attendanceOf,
  conferenceFilter,
  decodeCursor,
  encodeCursor,
  MeetConferenceRecord,
  MeetParticipant,
  MeetSpace,
  nextToken,
  parseMeet,
  participantIdentities,
  spaceRef,
} from "./meet-mapping.ts";

const P = "conferenceRecords/abc123/participants/p1";

describe("spaceRef", () => {
  it("keys a series by the space name and joins by its link, never by the meeting code", () => {
    const space = parseMeet(MeetSpace, { name: "spaces/jQCFfuBOdN5z", meetingUri: "https://meet.google.com/abc-mnop-xyz", meetingCode: "abc-mnop-xyz", config: { accessType: "TRUSTED" } }, "spaces.create");
    expect(spaceRef(space)).toEqual({ provider: "google", externalId: "spaces/jQCFfuBOdN5z", joinUrl: "https://meet.google.com/abc-mnop-xyz" });
  });

  it("a reply without a proper name or link breaks the contract", () => {
    expect(() => parseMeet(MeetSpace, { name: "abc-mnop-xyz", meetingUri: "https://meet.google.com/abc-mnop-xyz" }, "spaces.create")).toThrow(expect.objectContaining({ code: "contract", operation: "spaces.create" }));
    expect(() => parseMeet(MeetSpace, { name: "spaces/x1" }, "spaces.get")).toThrow(expect.objectContaining({ code: "contract" }));
    expect(() => parseMeet(MeetConferenceRecord, { name: "conferenceRecords/c1", startTime: "yesterday" }, "conferenceRecords.list")).toThrow(expect.objectContaining({ code: "contract" }));
  });
});

describe("conferenceFilter", () => {
  it("is the documented filter: the space by name and the start time within the window", () => {
    expect(conferenceFilter("spaces/jQCFfuBOdN5z", { from: new Date("2026-12-09T00:55:00Z"), to: new Date("2026-12-09T01:50:00Z") })).toBe(
      'space.name = "spaces/jQCFfuBOdN5z" AND start_time>="2026-12-09T00:55:00.000Z" AND start_time<="2026-12-09T01:50:00.000Z"',
    );
  });

  it("refuses what is not a space name (nothing can be smuggled into the filter)", () => {
    expect(() => conferenceFilter('spaces/x" OR space.name != "', { from: new Date(), to: new Date() })).toThrow(TypeError);
  });
});

describe("participantIdentities", () => {
  it("a signed-in user: the user id and the display name, each with its kind", () => {
    const p = parseMeet(MeetParticipant, { name: P, signedinUser: { user: "users/117345", displayName: "Nguyễn Văn An" } }, "op");
    expect(participantIdentities(p)).toEqual([
      { kind: "user_id", value: "users/117345" },
      { kind: "display_name", value: "Nguyễn Văn An" },
      { kind: "participant_id", value: P },
    ]);
  });

  it("anonymous and phone participants give only the name they showed", () => {
    const anon = parseMeet(MeetParticipant, { name: P, anonymousUser: { displayName: "iPhone của An" } }, "op");
    expect(participantIdentities(anon)).toEqual([
      { kind: "display_name", value: "iPhone của An" },
      { kind: "participant_id", value: P },
    ]);
    const phone = parseMeet(MeetParticipant, { name: P, phoneUser: { displayName: "+84 90•••• 123" } }, "op");
    expect(participantIdentities(phone)[0]).toEqual({ kind: "display_name", value: "+84 90•••• 123" });
  });
});

describe("attendanceOf", () => {
  const p = parseMeet(MeetParticipant, { name: P, signedinUser: { user: "users/1", displayName: "Bình" }, earliestStartTime: "2026-12-09T01:02:00Z", latestEndTime: "2026-12-09T01:19:00Z" }, "op");

  it("a rejoin: joined at the first start, left at the last end, the sessions' minutes summed without the gap", () => {
    const r = attendanceOf(p, [
      { startTime: "2026-12-09T01:12:00.250Z", endTime: "2026-12-09T01:19:00.250Z" },
      { startTime: "2026-12-09T01:02:00Z", endTime: "2026-12-09T01:10:00Z" },
    ]);
    expect(r.joinedAt).toEqual(new Date("2026-12-09T01:02:00Z"));
    expect(r.leftAt).toEqual(new Date("2026-12-09T01:19:00.250Z"));
    expect(r.durationSeconds).toBe(15 * 60);
  });

  it("a session still open: not left yet, and only the closed sessions counted", () => {
    const r = attendanceOf(p, [
      { startTime: "2026-12-09T01:02:00Z", endTime: "2026-12-09T01:10:00Z" },
      { startTime: "2026-12-09T01:12:00Z", endTime: null },
    ]);
    expect(r.leftAt).toBeNull();
    expect(r.durationSeconds).toBe(8 * 60);
  });

  it("without sessions the participant's own earliest and latest times stand in", () => {
    expect(attendanceOf(p, [])).toMatchObject({ joinedAt: new Date("2026-12-09T01:02:00Z"), leftAt: new Date("2026-12-09T01:19:00Z"), durationSeconds: 17 * 60 });
    const bare = parseMeet(MeetParticipant, { name: P, anonymousUser: { displayName: "x" } }, "op");
    expect(() => attendanceOf(bare, [])).toThrow(expect.objectContaining({ code: "contract" }));
  });
});

describe("the attendance cursor", () => {
  it("round-trips and starts at the beginning when absent", () => {
    const c = { rt: "tok-2", rec: "conferenceRecords/abc", pt: "ptok" };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor(undefined)).toEqual({ rt: null, rec: null, pt: null });
  });

  it("refuses a cursor that is not ours", () => {
    expect(() => decodeCursor("not-a-cursor")).toThrow(TypeError);
    expect(() => decodeCursor(Buffer.from(JSON.stringify({ rt: 5 })).toString("base64url"))).toThrow(TypeError);
  });

  it("an empty next page token means the list is done", () => {
    expect(nextToken("")).toBeNull();
    expect(nextToken(undefined)).toBeNull();
    expect(nextToken("abc")).toBe("abc");
  });
});
