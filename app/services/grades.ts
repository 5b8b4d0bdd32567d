/** Grading scales (Thông tư 22/2021 and 27/2020) and how a grade reads to a Vietnamese parent. */
import { formatNumber } from "../lib/vn.ts";

export type Scale = "ten_point" | "primary_levels" | "points";
export type Level = "HTT" | "HT" | "CHT";

export const LEVEL_NAMES: Record<Level, { vi: string; en: string }> = {
  HTT: { vi: "Hoàn thành tốt", en: "Completed well" },
  HT: { vi: "Hoàn thành", en: "Completed" },
  CHT: { vi: "Chưa hoàn thành", en: "Not yet completed" },
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

/** "8,5/10", "Hoàn thành tốt", "45/50 điểm". */
export function displayGrade(
  scale: Scale,
  grade: { score: string | number | null; level: string | null },
  maxPoints: string | number | null,
  locale: "vi" | "en" = "vi",
): string {
  if (scale === "primary_levels") return grade.level ? LEVEL_NAMES[grade.level as Level][locale] : "";
  if (grade.score === null || grade.score === undefined) return "";
  const score = formatNumber(Number(grade.score), locale, scale === "ten_point" ? 1 : 2);
  if (scale === "ten_point") return `${score}/10`;
  return `${score}/${formatNumber(Number(maxPoints ?? 100), locale, 2)}`;
}
