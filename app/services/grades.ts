/** Grading scales (Thông tư 22/2021 and 27/2020) and how a grade reads to a Vietnamese parent. */
import { formatNumber } from "../lib/vn.ts";

/**
 * ten_point: 0–10, one decimal (Thông tư 22); primary_levels: Hoàn thành tốt / Hoàn thành / Chưa
 * hoàn thành (Thông tư 27); pass_fail: Đạt / Chưa đạt, for subjects assessed by comment under
 * Thông tư 22 (Giáo dục thể chất, Nghệ thuật, Hoạt động trải nghiệm…); points: out of a maximum.
 */
export type Scale = "ten_point" | "primary_levels" | "pass_fail" | "points";
export type PrimaryLevel = "HTT" | "HT" | "CHT";
export type PassLevel = "D" | "CD";
/** What the level column holds: a primary level, or Đạt (D) / Chưa đạt (CD). */
export type Level = PrimaryLevel | PassLevel;

/** Scales graded by choosing a level rather than typing a score. */
export function isLevelScale(scale: Scale): scale is "primary_levels" | "pass_fail" {
  return scale === "primary_levels" || scale === "pass_fail";
}

/** The levels a teacher chooses among on a level scale, in the order they are offered. */
export function levelsOf(scale: "primary_levels" | "pass_fail"): readonly Level[] {
  return scale === "primary_levels" ? (["HTT", "HT", "CHT"] as const) : (["D", "CD"] as const);
}

export const LEVEL_NAMES: Record<Level, { vi: string; en: string }> = {
  HTT: { vi: "Hoàn thành tốt", en: "Completed well" },
  HT: { vi: "Hoàn thành", en: "Completed" },
  CHT: { vi: "Chưa hoàn thành", en: "Not yet completed" },
  D: { vi: "Đạt", en: "Pass" },
  CD: { vi: "Chưa đạt", en: "Not yet" },
};

/** Accept "8,5" as well as "8.5". */
export function parseScore(input: string): number | null {
  const v = input.trim().replace(",", ".");
  if (!/^\d+(\.\d+)?$/.test(v)) return null;
  return Number(v);
}

export type GradeInput = { score?: string; level?: string };
export type ParsedGrade = { score: number | null; level: Level | null } | { error: string };

export function parseGrade(scale: Scale, input: GradeInput, maxPoints: number | null): ParsedGrade {
  if (scale === "primary_levels") {
    if (input.level === "HTT" || input.level === "HT" || input.level === "CHT") return { score: null, level: input.level };
    return { error: "errors.level_required" };
  }
  if (scale === "pass_fail") {
    if (input.level === "D" || input.level === "CD") return { score: null, level: input.level };
    return { error: "errors.pass_fail_required" };
  }
  const score = parseScore(input.score ?? "");
  if (score === null) return { error: "errors.score_invalid" };
  if (scale === "ten_point") {
    if (score < 0 || score > 10) return { error: "errors.score_range_10" };
    if (Math.round(score * 10) !== score * 10) return { error: "errors.score_one_decimal" };
    return { score, level: null };
  }
  const max = maxPoints ?? 100;
  if (score < 0 || score > max) return { error: "errors.score_range_points" };
  if (!hasAtMostTwoDecimals(score)) return { error: "errors.score_two_decimals" };
  return { score, level: null };
}

/**
 * Whether a number is stored as it is by a numeric(…, 2) column (scores, maximum points): more
 * decimals would be rounded away by the database, and the grade shown would not be the one typed.
 */
export function hasAtMostTwoDecimals(value: number): boolean {
  return Number.isFinite(value) && Number(value.toFixed(2)) === value;
}

/** "8,5/10", "Hoàn thành tốt", "Đạt", "45/50". */
export function displayGrade(
  scale: Scale,
  grade: { score: string | number | null; level: string | null },
  maxPoints: string | number | null,
  locale: "vi" | "en" = "vi",
): string {
  if (isLevelScale(scale)) {
    const level = grade.level as Level | null;
    return level && (levelsOf(scale) as readonly string[]).includes(level) ? LEVEL_NAMES[level][locale] : "";
  }
  if (grade.score === null || grade.score === undefined) return "";
  const score = formatNumber(Number(grade.score), locale, scale === "ten_point" ? 1 : 2);
  if (scale === "ten_point") return `${score}/10`;
  return `${score}/${formatNumber(Number(maxPoints ?? 100), locale, 2)}`;
}
