import { describe, expect, it } from "vitest";
import { matchParticipants, minutesAttended, statusOf } from "./attendance.ts";

const t = (hhmm: string) => new Date(`2026-12-08T${hhmm}:00+07:00`);
const roster = [
  { id: "an1", fullName: "Nguyễn Văn An", email: "an.nv@truong.edu.vn" },
  { id: "an2", fullName: "Nguyễn Văn An", email: null },
  { id: "dung", fullName: "Phạm Minh Dũng", email: "dung.pm@truong.edu.vn" },
  { id: "binh", fullName: "Trần Thị Bình", email: null },
];
const join = (personKey: string, displayName: string, email: string | null, from: string, to: string | null) => ({ personKey, displayName, email, joinedAt: t(from), leftAt: to ? t(to) : null });

describe("matching participants", () => {
  it("takes a verified email and a confirmed identity; a name alone, even unique, goes to the teacher", () => {
    const m = matchParticipants(
      roster,
      [
        join("z1", "An Nguyen", "AN.NV@truong.edu.vn", "07:00", "07:45"),
        join("z2", "Dũng", "dung.pm@truong.edu.vn", "07:02", "07:20"),
        join("z2", "Dũng", "dung.pm@truong.edu.vn", "07:25", "07:45"),
        join("z3", "Trần Thị Bình", null, "07:00", "07:45"),
        join("z9", "Máy tính bảng", null, "07:00", "07:45"),
      ],
      new Map([["z9", "binh"]]),
    );
    expect([...m.byStudent.keys()].sort()).toEqual(["an1", "binh", "dung"]);
    expect(m.byStudent.get("dung")).toHaveLength(2);
    expect(m.toConfirm).toEqual([{ personKey: "z3", displayName: "Trần Thị Bình", email: null, suggestions: ["binh"] }]);
  });

  it("two students with one name are both suggested, never one chosen; a phone's name suggests by given name", () => {
    const m = matchParticipants(roster, [join("p1", "Nguyễn Văn An", null, "07:00", "07:45"), join("p2", "iPhone của An", null, "07:05", "07:45")], new Map());
    expect(m.byStudent.size).toBe(0);
    expect(m.toConfirm.map((c) => [c.personKey, c.suggestions])).toEqual([
      ["p1", ["an1", "an2"]],
      ["p2", ["an1", "an2"]],
    ]);
  });

  it("a remembered identity of a student no longer in the class is not used", () => {
    const m = matchParticipants(roster, [join("x", "Someone", null, "07:00", "07:45")], new Map([["x", "gone"]]));
    expect(m.byStudent.size).toBe(0);
    expect(m.toConfirm).toHaveLength(1);
  });
});

describe("status and minutes", () => {
  const start = t("07:00");
  const end = t("07:45");
  it("counts overlapping rejoins once and only inside the session", () => {
    expect(minutesAttended([join("a", "", null, "06:50", "07:20"), join("a", "", null, "07:10", "07:30"), join("a", "", null, "07:40", null)], start, end)).toBe(35);
  });
  it("present, late after 10 minutes, left early 10 minutes before the end, absent", () => {
    expect(statusOf([join("a", "", null, "07:05", "07:45")], start, end)).toEqual({ status: "present", minutes: 40 });
    expect(statusOf([join("a", "", null, "07:12", "07:45")], start, end)).toEqual({ status: "late", minutes: 33 });
    expect(statusOf([join("a", "", null, "07:00", "07:30")], start, end)).toEqual({ status: "left_early", minutes: 30 });
    expect(statusOf([], start, end)).toEqual({ status: "absent", minutes: 0 });
  });
});
