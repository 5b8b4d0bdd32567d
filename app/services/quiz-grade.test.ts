import { describe, expect, it } from "vitest";
import { parseGrade } from "./grades.ts";
import { quizGrade } from "./quiz-grade.ts";

describe("quiz points on an assignment's scale", () => {
  it("the 10-point scale: one decimal, rounded as course sync rounds", () => {
    expect(quizGrade("ten_point", 17, 20, null)).toEqual({ score: "8.5" });
    expect(quizGrade("ten_point", 7, 9, null)).toEqual({ score: "7.8" });
    expect(quizGrade("ten_point", 0, 20, null)).toEqual({ score: "0" });
    expect(quizGrade("ten_point", 25, 20, null)).toEqual({ score: "10" });
  });

  it("points: the same share of the assignment's maximum, two decimals", () => {
    expect(quizGrade("points", 17, 20, 50)).toEqual({ score: "42.5" });
    expect(quizGrade("points", 1, 3, 100)).toEqual({ score: "33.33" });
  });

  it("Đạt / Chưa đạt from half the points; the primary levels from 9 and 5 out of 10", () => {
    expect(quizGrade("pass_fail", 10, 20, null)).toEqual({ level: "D" });
    expect(quizGrade("pass_fail", 9, 20, null)).toEqual({ level: "CD" });
    expect(quizGrade("primary_levels", 18, 20, null)).toEqual({ level: "HTT" });
    expect(quizGrade("primary_levels", 10, 20, null)).toEqual({ level: "HT" });
    expect(quizGrade("primary_levels", 9, 20, null)).toEqual({ level: "CHT" });
  });

  it("every result is a grade the grading form accepts on that scale", () => {
    for (const [scale, max] of [["ten_point", null], ["points", 37.5], ["pass_fail", null], ["primary_levels", null]] as const) {
      for (let total = 0; total <= 23; total++) {
        const parsed = parseGrade(scale, quizGrade(scale, total, 23, max), max);
        expect("error" in parsed, `${scale} ${total}/23`).toBe(false);
      }
    }
  });
});
