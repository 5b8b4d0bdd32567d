/**
 * The gradebook (sổ điểm) of a subject class: each student's grades per assessment and their term
 * and year results, as Vietnamese schools compute them. Pure: no database, no dates of its own.
 *
 * Secondary classes (Thông tư 22/2021/TT-BGDĐT, Article 9):
 *   ĐTBmhk = (ΣĐĐGtx + 2 × ĐĐGgk + 3 × ĐĐGck) / (number of ĐĐGtx + 5), one decimal;
 *   ĐTBmcn = (ĐTBmhkI + 2 × ĐTBmhkII) / 3, one decimal.
 * Everything is computed on whole tenths (a grade of the 10-point scale has one decimal) and the
 * one division of each formula is rounded half up on integers, so 8,25 is 8,3 and never 8,2 by a
 * floating-point accident.
 *
 * Decisions:
 * - Which grades count towards ĐTBmhk: the 10-point scale, and the "points" scale converted to
 *   /10 (score / maxPoints × 10, rounded half up to one decimal: 45/50 → 9,0; 7/9 → 7,8), so work
 *   synced from Classroom or Teams counts as the 10-point grade it stands for. Đạt / Chưa đạt and
 *   the primary levels never enter an average.
 * - What the term result is: with any 10-point (or points) assessment in the term, ĐTBmhk; else,
 *   with Đạt / Chưa đạt assessments, the Article 7 result; else (primary-school levels, Thông tư
 *   27/2020) no result, the levels are shown as they are.
 * - When ĐTBmhk is shown: the student has a graded giữa kỳ, a graded cuối kỳ and at least
 *   `minRegular` graded thường xuyên (1 unless the caller knows the subject's periods: TT22 asks 2,
 *   3 or 4 by periods a year, which the hub does not record). Otherwise the result is "chưa đủ
 *   điểm" with what is missing. The number of ĐĐGtx in the formula is the student's own count of
 *   graded regular assessments, as in a paper gradebook where an absent student's column is empty.
 * - Several giữa kỳ (or cuối kỳ) assessments in one term (a retake, or a column added twice): the
 *   latest one the student has a grade for counts (by due date, then by its place in the list),
 *   and the result says so (`duplicates`), so the page can point it out.
 * - Đạt / Chưa đạt (Article 7): Đạt when every assessment of the term is graded, the cuối kỳ is
 *   Đạt and at least 2/3 of the assessments are Đạt; Chưa đạt otherwise. Until the cuối kỳ itself
 *   is graded the term is taken as still running: "chưa đủ" with what is missing, not Chưa đạt.
 */
import type { Level, Scale } from "../services/grades.ts";

export type AssessmentKind = "regular" | "midterm" | "final";
export type Term = 1 | 2;

export type GradebookAssessment = {
  id: string;
  kind: AssessmentKind;
  term: Term;
  scale: Scale;
  maxPoints: number | string | null;
  /** Later assessments have a larger order (their due date as milliseconds, say). */
  order: number;
};

export type GradebookGrade = { score: number | string | null; level: Level | null };

/** What a term's result is missing before it can be computed. */
export type Missing = { regular: number; midterm: boolean; final: boolean };

export type TermResult =
  | { kind: "none" }
  | { kind: "levels" }
  | { kind: "average"; tenths: number; regularCount: number; duplicates: AssessmentKind[] }
  | { kind: "pass_fail"; passed: boolean; passes: number; total: number; duplicates: AssessmentKind[] }
  | { kind: "incomplete"; missing: Missing; duplicates: AssessmentKind[] };

export type GradebookOptions = {
  /** Graded thường xuyên needed for ĐTBmhk (TT22: 2, 3 or 4 by the subject's periods a year); 1 by default. */
  minRegular?: number;
  /** A primary class (Thông tư 27): levels and scores as they are, no average or term result. */
  noAverage?: boolean;
};

/** n / d rounded half up, for n ≥ 0 and d > 0, in integers. */
export function roundDiv(n: number, d: number): number {
  return Math.floor((2 * n + d) / (2 * d));
}

/** A stored number with at most two decimals as whole hundredths (8.25 → 825). */
function hundredths(value: number | string): number {
  return Math.round(Number(value) * 100);
}

export function isNumericScale(scale: Scale): scale is "ten_point" | "points" {
  return scale === "ten_point" || scale === "points";
}

/**
 * A grade on the 10-point scale in whole tenths (8,5 → 85), or null when it has none: a
 * "points" grade converted to /10 and rounded half up to one decimal.
 */
export function gradeTenths(a: Pick<GradebookAssessment, "scale" | "maxPoints">, g: GradebookGrade | undefined): number | null {
  if (!g || g.score === null || g.score === undefined || !isNumericScale(a.scale)) return null;
  const h = hundredths(g.score);
  if (!Number.isFinite(h) || h < 0) return null;
  if (a.scale === "ten_point") return roundDiv(h, 10);
  const max = hundredths(a.maxPoints ?? 100);
  if (!(max > 0)) return null;
  return roundDiv(h * 100, max);
}

/** Tenths as Vietnamese write a grade: 83 → "8,3", 80 → "8,0" ("8.3" in English). */
export function formatTenths(tenths: number, locale: "vi" | "en" = "vi"): string {
  return `${Math.floor(tenths / 10)}${locale === "vi" ? "," : "."}${tenths % 10}`;
}

/** The latest graded assessment of a kind, and whether the term has more than one of that kind. */
function latestGraded(list: GradebookAssessment[], grades: Map<string, GradebookGrade>, graded: (a: GradebookAssessment) => boolean) {
  const withGrade = list.filter(graded);
  withGrade.sort((x, y) => x.order - y.order);
  return withGrade[withGrade.length - 1];
}

/**
 * One student's result for one term. `grades` holds the student's graded work by assessment id
 * (work handed in but not graded, or missing, is simply absent).
 */
export function termResult(
  assessments: GradebookAssessment[],
  grades: Map<string, GradebookGrade>,
  term: Term,
  opts: GradebookOptions = {},
): TermResult {
  const minRegular = Math.max(1, opts.minRegular ?? 1);
  const inTerm = assessments.filter((a) => a.term === term);
  if (inTerm.length === 0) return { kind: "none" };
  if (opts.noAverage) return { kind: "levels" };
  const numeric = inTerm.filter((a) => isNumericScale(a.scale));
  if (numeric.length > 0) return averageResult(numeric, grades, minRegular);
  const passFail = inTerm.filter((a) => a.scale === "pass_fail");
  if (passFail.length > 0) return passFailResult(passFail, grades, minRegular);
  return { kind: "levels" };
}

function duplicatesOf(list: GradebookAssessment[]): AssessmentKind[] {
  const out: AssessmentKind[] = [];
  if (list.filter((a) => a.kind === "midterm").length > 1) out.push("midterm");
  if (list.filter((a) => a.kind === "final").length > 1) out.push("final");
  return out;
}

function averageResult(numeric: GradebookAssessment[], grades: Map<string, GradebookGrade>, minRegular: number): TermResult {
  const tenths = (a: GradebookAssessment) => gradeTenths(a, grades.get(a.id));
  const has = (a: GradebookAssessment) => tenths(a) !== null;
  const regular = numeric.filter((a) => a.kind === "regular" && has(a)).map((a) => tenths(a)!);
  const midterm = latestGraded(numeric.filter((a) => a.kind === "midterm"), grades, has);
  const final = latestGraded(numeric.filter((a) => a.kind === "final"), grades, has);
  const duplicates = duplicatesOf(numeric);
  if (regular.length < minRegular || !midterm || !final) {
    return { kind: "incomplete", missing: { regular: Math.max(0, minRegular - regular.length), midterm: !midterm, final: !final }, duplicates };
  }
  const sum = regular.reduce((s, t) => s + t, 0) + 2 * tenths(midterm)! + 3 * tenths(final)!;
  return { kind: "average", tenths: roundDiv(sum, regular.length + 5), regularCount: regular.length, duplicates };
}

function passFailResult(list: GradebookAssessment[], grades: Map<string, GradebookGrade>, minRegular: number): TermResult {
  const level = (a: GradebookAssessment) => {
    const l = grades.get(a.id)?.level;
    return l === "D" || l === "CD" ? l : null;
  };
  const has = (a: GradebookAssessment) => level(a) !== null;
  const duplicates = duplicatesOf(list);
  const final = latestGraded(list.filter((a) => a.kind === "final"), grades, has);
  if (!final) {
    const regular = list.filter((a) => a.kind === "regular" && has(a)).length;
    const midtermExists = list.some((a) => a.kind === "midterm");
    return {
      kind: "incomplete",
      missing: { regular: Math.max(0, minRegular - regular), midterm: midtermExists && !list.some((a) => a.kind === "midterm" && has(a)), final: true },
      duplicates,
    };
  }
  // With the cuối kỳ graded the term is over: every assessment counts, an ungraded one as not Đạt;
  // of several giữa kỳ, the latest graded one (or the latest one, when none is graded).
  const midterms = list.filter((a) => a.kind === "midterm").sort((x, y) => x.order - y.order);
  const midterm = midterms.length > 0 ? (latestGraded(midterms, grades, has) ?? midterms[midterms.length - 1]) : undefined;
  const regulars = list.filter((a) => a.kind === "regular");
  const counted = [...regulars, ...(midterm ? [midterm] : []), final];
  const all = counted.every(has) && regulars.length >= minRegular;
  const passes = counted.filter((a) => level(a) === "D").length;
  const passed = all && level(final) === "D" && 3 * passes >= 2 * counted.length;
  return { kind: "pass_fail", passed, passes, total: counted.length, duplicates };
}

/** ĐTBmcn = (ĐTBmhkI + 2 × ĐTBmhkII) / 3 in tenths, or null unless both terms have an average. */
export function yearAverage(first: TermResult, second: TermResult): number | null {
  if (first.kind !== "average" || second.kind !== "average") return null;
  return roundDiv(first.tenths + 2 * second.tenths, 3);
}

export type StudentResults = { terms: Record<Term, TermResult>; year: number | null };

/** Every student's results: `gradesByStudent` maps a student id to their graded work by assessment id. */
export function gradebookResults(
  assessments: GradebookAssessment[],
  gradesByStudent: Map<string, Map<string, GradebookGrade>>,
  studentIds: string[],
  opts: GradebookOptions = {},
): Map<string, StudentResults> {
  const out = new Map<string, StudentResults>();
  for (const id of studentIds) {
    const grades = gradesByStudent.get(id) ?? new Map();
    const terms = { 1: termResult(assessments, grades, 1, opts), 2: termResult(assessments, grades, 2, opts) };
    out.set(id, { terms, year: yearAverage(terms[1], terms[2]) });
  }
  return out;
}

/**
 * Column labels as a gradebook prints them, within one term: TX1, TX2, … for regular
 * assessments in order; GK and CK (GK1, GK2 when there are several).
 */
export function columnLabels(assessments: Pick<GradebookAssessment, "id" | "kind" | "order">[]): Map<string, string> {
  const out = new Map<string, string>();
  const sorted = [...assessments].sort((x, y) => x.order - y.order);
  for (const [kind, prefix] of [["regular", "TX"], ["midterm", "GK"], ["final", "CK"]] as const) {
    const of = sorted.filter((a) => a.kind === kind);
    of.forEach((a, i) => out.set(a.id, kind === "regular" || of.length > 1 ? `${prefix}${i + 1}` : prefix));
  }
  return out;
}
