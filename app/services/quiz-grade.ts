/** A quiz's points as a grade on an assignment's scale (pure: the quiz reader and its tests use it). */
import type { Scale } from "./grades.ts";

/**
 * `total` of `max` points as the grading form would receive it: the 10-point scale with one
 * decimal, as course sync converts platform points (8,5 for 17/20); points as the same share of
 * the assignment's maximum (two decimals); Đạt from half the points; the primary levels Hoàn
 * thành tốt from 9/10 and Hoàn thành from 5/10. A total above the maximum counts as full marks.
 */
export function quizGrade(scale: Scale, total: number, max: number, maxPoints: number | null): { score?: string; level?: string } {
  const share = Math.max(0, Math.min(1, total / max));
  const ten = Math.min(10, Math.round(share * 100) / 10);
  switch (scale) {
    case "ten_point":
      return { score: String(ten) };
    case "points":
      return { score: String(Math.round(share * (maxPoints ?? 100) * 100) / 100) };
    case "pass_fail":
      return { level: share >= 0.5 ? "D" : "CD" };
    case "primary_levels":
      return { level: ten >= 9 ? "HTT" : ten >= 5 ? "HT" : "CHT" };
  }
}
