import { describe, expect, it } from "vitest";
import {
  SUBJECTS,
  currentSchoolYear,
  termOf,
  formatSchoolYear,
  isSubjectForGrade,
  levelOfGrade,
  subjectName,
  subjectsForGrade,
} from "./curriculum.ts";

const names = (grade: number) => subjectsForGrade(grade).map((s) => s.vi);

describe("levelOfGrade", () => {
  it("maps grades to Tiểu học (1–5), THCS (6–9) and THPT (10–12)", () => {
    expect([1, 5].map(levelOfGrade)).toEqual(["tieu_hoc", "tieu_hoc"]);
    expect([6, 9].map(levelOfGrade)).toEqual(["thcs", "thcs"]);
    expect([10, 12].map(levelOfGrade)).toEqual(["thpt", "thpt"]);
  });
});

describe("subjectsForGrade (Chương trình GDPT 2018)", () => {
  it("grade 3 has the primary subjects and no secondary ones", () => {
    const g3 = names(3);
    expect(g3).toContain("Tiếng Việt");
    expect(g3).toContain("Toán");
    expect(g3).toContain("Tự nhiên và Xã hội");
    expect(g3).toContain("Tin học và Công nghệ");
    expect(g3).not.toContain("Ngữ văn");
    expect(g3).not.toContain("Khoa học");
    expect(g3).not.toContain("Lịch sử và Địa lí");
  });

  it("grade 4 swaps Tự nhiên và Xã hội for Khoa học and Lịch sử và Địa lí", () => {
    const g4 = names(4);
    expect(g4).not.toContain("Tự nhiên và Xã hội");
    expect(g4).toContain("Khoa học");
    expect(g4).toContain("Lịch sử và Địa lí");
  });

  it("grades 1–2 have no Tin học và Công nghệ yet", () => {
    expect(names(1)).not.toContain("Tin học và Công nghệ");
    expect(names(2)).not.toContain("Tin học và Công nghệ");
  });

  it("grade 6 (THCS) has Ngữ văn and Khoa học tự nhiên but not Tiếng Việt", () => {
    const g6 = names(6);
    expect(g6).toContain("Ngữ văn");
    expect(g6).toContain("Khoa học tự nhiên");
    expect(g6).toContain("Giáo dục công dân");
    expect(g6).not.toContain("Tiếng Việt");
    expect(g6).not.toContain("Vật lí");
  });

  it("grade 10 (THPT) has the separate sciences and no THCS combined subjects", () => {
    const g10 = names(10);
    for (const s of ["Ngữ văn", "Toán", "Vật lí", "Hóa học", "Sinh học", "Lịch sử", "Địa lí", "Giáo dục quốc phòng và an ninh"]) {
      expect(g10).toContain(s);
    }
    expect(g10).not.toContain("Khoa học tự nhiên");
    expect(g10).not.toContain("Lịch sử và Địa lí");
    expect(g10).not.toContain("Tiếng Việt");
  });

  it("has no subjects outside grades 1–12", () => {
    expect(subjectsForGrade(0)).toEqual([]);
    expect(subjectsForGrade(13)).toEqual([]);
  });

  it("gives every subject a unique code, both names and a valid grade range", () => {
    const codes = SUBJECTS.map((s) => s.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const s of SUBJECTS) {
      expect(s.vi.length).toBeGreaterThan(0);
      expect(s.en.length).toBeGreaterThan(0);
      expect(s.grades[0]).toBeGreaterThanOrEqual(1);
      expect(s.grades[1]).toBeLessThanOrEqual(12);
      expect(s.grades[0]).toBeLessThanOrEqual(s.grades[1]);
    }
  });
});

describe("isSubjectForGrade / subjectName", () => {
  it("checks a subject code against a grade", () => {
    expect(isSubjectForGrade("tieng-viet", 3)).toBe(true);
    expect(isSubjectForGrade("tieng-viet", 6)).toBe(false);
    expect(isSubjectForGrade("ngu-van", 3)).toBe(false);
    expect(isSubjectForGrade("vat-li", 10)).toBe(true);
    expect(isSubjectForGrade("vat-li", 9)).toBe(false);
    expect(isSubjectForGrade("khtn", 9)).toBe(true);
    expect(isSubjectForGrade("toan", 12)).toBe(true);
    expect(isSubjectForGrade("no-such-subject", 5)).toBe(false);
  });

  it("names a subject in either language, and falls back to the code", () => {
    expect(subjectName("hoa-hoc")).toBe("Hóa học");
    expect(subjectName("hoa-hoc", "en")).toBe("Chemistry");
    expect(subjectName("unknown")).toBe("unknown");
  });
});

describe("currentSchoolYear", () => {
  it("is the year that started in the autumn", () => {
    expect(currentSchoolYear(new Date("2026-10-15T03:00:00Z"))).toBe("2026-2027");
    expect(currentSchoolYear(new Date("2026-09-05T00:00:00Z"))).toBe("2026-2027");
  });
  it("stays the same in the spring semester", () => {
    expect(currentSchoolYear(new Date("2027-03-10T03:00:00Z"))).toBe("2026-2027");
    expect(currentSchoolYear(new Date("2027-05-31T10:00:00Z"))).toBe("2026-2027");
    expect(currentSchoolYear(new Date("2027-01-01T03:00:00Z"))).toBe("2026-2027");
  });
  it("moves to the new year in August, when schools set it up", () => {
    expect(currentSchoolYear(new Date("2027-07-15T03:00:00Z"))).toBe("2026-2027");
    expect(currentSchoolYear(new Date("2027-08-01T03:00:00Z"))).toBe("2027-2028");
  });
  it("counts the change of month in Vietnamese time (UTC+7)", () => {
    // 00:30 on 1 August in Hà Nội is still 31 July in UTC.
    expect(currentSchoolYear(new Date("2027-07-31T17:30:00Z"))).toBe("2027-2028");
    // 06:59 on 1 January in Hà Nội is still 31 December in UTC: same school year either way.
    expect(currentSchoolYear(new Date("2026-12-31T23:59:00Z"))).toBe("2026-2027");
  });
});

describe("formatSchoolYear", () => {
  it("writes the year with an en dash", () => {
    expect(formatSchoolYear("2025-2026")).toBe("2025–2026");
  });
});

describe("termOf", () => {
  it("puts August to 15 January in học kỳ I and the rest in học kỳ II, on Vietnam's calendar", () => {
    expect(termOf(new Date("2026-09-05T01:00:00Z"))).toBe(1);
    expect(termOf(new Date("2026-12-31T20:00:00Z"))).toBe(1); // 1 January 03:00 in Hà Nội
    expect(termOf(new Date("2027-01-15T16:59:00Z"))).toBe(1); // 15 January 23:59
    expect(termOf(new Date("2027-01-15T17:00:00Z"))).toBe(2); // 16 January 00:00
    expect(termOf(new Date("2027-05-20T03:00:00Z"))).toBe(2);
    expect(termOf(new Date("2027-07-31T16:00:00Z"))).toBe(2);
    expect(termOf(new Date("2027-07-31T17:00:00Z"))).toBe(1); // 1 August
  });
});
