import { describe, expect, it } from "vitest";
import { LEVEL_NAMES, displayGrade, hasAtMostTwoDecimals, parseGrade, parseScore } from "./grades.ts";

describe("parseScore", () => {
  it("accepts the Vietnamese decimal comma and the point", () => {
    expect(parseScore("8,5")).toBe(8.5);
    expect(parseScore("8.5")).toBe(8.5);
    expect(parseScore(" 7 ")).toBe(7);
    expect(parseScore("10")).toBe(10);
    expect(parseScore("0")).toBe(0);
  });
  it("rejects what is not a plain non-negative number", () => {
    for (const bad of ["", " ", "abc", "8,5,5", "8.5.5", "-1", "+8", ".5", "5.", "8 5", "1e1", "Infinity", "NaN", "8,5đ"]) {
      expect(parseScore(bad), bad).toBeNull();
    }
  });
});

describe("parseGrade: ten_point (Thông tư 22)", () => {
  it.each([
    ["0", 0],
    ["10", 10],
    ["7,5", 7.5],
    ["7.5", 7.5],
    ["9,9", 9.9],
    ["10,0", 10],
  ])("accepts %j", (score, value) => {
    expect(parseGrade("ten_point", { score }, null)).toEqual({ score: value, level: null });
  });

  it("accepts every one-decimal score from 0 to 10", () => {
    for (let i = 0; i <= 100; i++) {
      const score = (i / 10).toFixed(1).replace(".", ",");
      expect(parseGrade("ten_point", { score }, null), score).toEqual({ score: i / 10, level: null });
    }
  });

  it.each([
    ["10.5", "errors.score_range_10"],
    ["10,1", "errors.score_range_10"],
    ["11", "errors.score_range_10"],
    ["8.55", "errors.score_one_decimal"],
    ["8,25", "errors.score_one_decimal"],
    ["-1", "errors.score_invalid"],
    ["tám", "errors.score_invalid"],
    ["", "errors.score_invalid"],
  ])("rejects %j with %s", (score, error) => {
    expect(parseGrade("ten_point", { score }, null)).toEqual({ error });
  });

  it("rejects a missing score", () => {
    expect(parseGrade("ten_point", {}, null)).toEqual({ error: "errors.score_invalid" });
  });

  it("ignores maxPoints", () => {
    expect(parseGrade("ten_point", { score: "9" }, 5)).toEqual({ score: 9, level: null });
  });
});

describe("parseGrade: primary_levels (Thông tư 27)", () => {
  it.each(["HTT", "HT", "CHT"])("accepts %s", (level) => {
    expect(parseGrade("primary_levels", { level }, null)).toEqual({ score: null, level });
  });
  it.each([undefined, "", "htt", "Hoàn thành tốt", "A"])("rejects %j", (level) => {
    expect(parseGrade("primary_levels", { level }, null)).toEqual({ error: "errors.level_required" });
  });
  it("does not take a score instead of a level", () => {
    expect(parseGrade("primary_levels", { score: "9" }, null)).toEqual({ error: "errors.level_required" });
  });
});

describe("parseGrade: points", () => {
  it("accepts scores up to maxPoints, with decimals", () => {
    expect(parseGrade("points", { score: "45" }, 50)).toEqual({ score: 45, level: null });
    expect(parseGrade("points", { score: "50" }, 50)).toEqual({ score: 50, level: null });
    expect(parseGrade("points", { score: "0" }, 50)).toEqual({ score: 0, level: null });
    expect(parseGrade("points", { score: "12,75" }, 20)).toEqual({ score: 12.75, level: null });
  });
  it("rejects scores above maxPoints", () => {
    expect(parseGrade("points", { score: "51" }, 50)).toEqual({ error: "errors.score_range_points" });
    expect(parseGrade("points", { score: "50,5" }, 50)).toEqual({ error: "errors.score_range_points" });
  });
  it("uses 100 when no maximum is set", () => {
    expect(parseGrade("points", { score: "100" }, null)).toEqual({ score: 100, level: null });
    expect(parseGrade("points", { score: "101" }, null)).toEqual({ error: "errors.score_range_points" });
  });
  it("rejects what is not a number", () => {
    expect(parseGrade("points", { score: "x" }, 50)).toEqual({ error: "errors.score_invalid" });
  });
  it("refuses more decimals than the score column stores (two), instead of letting it round them", () => {
    expect(parseGrade("points", { score: "3,333" }, 50)).toEqual({ error: "errors.score_two_decimals" });
    expect(parseGrade("points", { score: "0.001" }, 50)).toEqual({ error: "errors.score_two_decimals" });
    expect(parseGrade("points", { score: "8,29" }, 50)).toEqual({ score: 8.29, level: null });
    expect(parseGrade("points", { score: "0,01" }, 0.01)).toEqual({ score: 0.01, level: null });
  });
});

describe("hasAtMostTwoDecimals", () => {
  it("holds for what numeric(…, 2) keeps as it is, whatever the binary rounding", () => {
    for (const v of [0, 0.01, 0.1, 0.29, 1.1, 8.29, 12.25, 999.99, 1000]) expect(hasAtMostTwoDecimals(v), String(v)).toBe(true);
    for (const v of [0.001, 0.004, 0.005, 1.005, 12.345, Number.NaN, Number.POSITIVE_INFINITY]) expect(hasAtMostTwoDecimals(v), String(v)).toBe(false);
  });
});

describe("displayGrade", () => {
  it("shows a 10-point score with the decimal comma in Vietnamese and the point in English", () => {
    expect(displayGrade("ten_point", { score: 8.5, level: null }, null, "vi")).toBe("8,5/10");
    expect(displayGrade("ten_point", { score: 8.5, level: null }, null, "en")).toBe("8.5/10");
    expect(displayGrade("ten_point", { score: 8.5, level: null }, null)).toBe("8,5/10");
  });
  it("reads numeric strings as the database returns them", () => {
    expect(displayGrade("ten_point", { score: "8.50", level: null }, null, "vi")).toBe("8,5/10");
    expect(displayGrade("ten_point", { score: "10.0", level: null }, null, "vi")).toBe("10/10");
    expect(displayGrade("ten_point", { score: "0", level: null }, null, "vi")).toBe("0/10");
  });
  it("names primary levels in both languages", () => {
    expect(displayGrade("primary_levels", { score: null, level: "HTT" }, null, "vi")).toBe("Hoàn thành tốt");
    expect(displayGrade("primary_levels", { score: null, level: "HT" }, null, "vi")).toBe("Hoàn thành");
    expect(displayGrade("primary_levels", { score: null, level: "CHT" }, null, "vi")).toBe("Chưa hoàn thành");
    expect(displayGrade("primary_levels", { score: null, level: "HTT" }, null, "en")).toBe("Completed well");
    expect(displayGrade("primary_levels", { score: null, level: "CHT" }, null, "en")).toBe("Not yet completed");
    expect(Object.keys(LEVEL_NAMES).sort()).toEqual(["CD", "CHT", "D", "HT", "HTT"]);
  });
  it("shows points out of the maximum", () => {
    expect(displayGrade("points", { score: 45, level: null }, 50, "vi")).toBe("45/50");
    expect(displayGrade("points", { score: "12.75", level: null }, "20", "vi")).toBe("12,75/20");
    expect(displayGrade("points", { score: "12.75", level: null }, "20", "en")).toBe("12.75/20");
    expect(displayGrade("points", { score: 1500, level: null }, 2000, "vi")).toBe("1.500/2.000");
    expect(displayGrade("points", { score: 70, level: null }, null, "vi")).toBe("70/100");
  });
  it("is empty when there is nothing to show", () => {
    expect(displayGrade("ten_point", { score: null, level: null }, null)).toBe("");
    expect(displayGrade("primary_levels", { score: null, level: null }, null)).toBe("");
  });
  it("round-trips what a teacher typed", () => {
    const parsed = parseGrade("ten_point", { score: "6,5" }, null);
    expect("error" in parsed).toBe(false);
    if (!("error" in parsed)) expect(displayGrade("ten_point", parsed, null, "vi")).toBe("6,5/10");
  });
});

describe("pass_fail: Đạt / Chưa đạt (subjects assessed by comment, Thông tư 22)", () => {
  it.each(["D", "CD"])("accepts %s", (level) => {
    expect(parseGrade("pass_fail", { level }, null)).toEqual({ score: null, level });
  });
  it.each([undefined, "", "d", "Đạt", "HTT", "HT", "CHT"])("rejects %j", (level) => {
    expect(parseGrade("pass_fail", { level }, null)).toEqual({ error: "errors.pass_fail_required" });
  });
  it("does not take a score instead", () => {
    expect(parseGrade("pass_fail", { score: "9" }, null)).toEqual({ error: "errors.pass_fail_required" });
  });
  it("reads Đạt / Chưa đạt in Vietnamese and Pass / Not yet in English", () => {
    expect(displayGrade("pass_fail", { score: null, level: "D" }, null, "vi")).toBe("Đạt");
    expect(displayGrade("pass_fail", { score: null, level: "CD" }, null, "vi")).toBe("Chưa đạt");
    expect(displayGrade("pass_fail", { score: null, level: "D" }, null, "en")).toBe("Pass");
    expect(displayGrade("pass_fail", { score: null, level: "CD" }, null, "en")).toBe("Not yet");
    expect(displayGrade("pass_fail", { score: null, level: null }, null, "vi")).toBe("");
  });
  it("keeps the two level scales apart when showing a grade", () => {
    expect(displayGrade("pass_fail", { score: null, level: "HTT" }, null, "vi")).toBe("");
    expect(displayGrade("primary_levels", { score: null, level: "D" }, null, "vi")).toBe("");
  });
  it("round-trips what a teacher chose", () => {
    const parsed = parseGrade("pass_fail", { level: "CD" }, null);
    expect("error" in parsed).toBe(false);
    if (!("error" in parsed)) expect(displayGrade("pass_fail", parsed, null, "en")).toBe("Not yet");
  });
});
