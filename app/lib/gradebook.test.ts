import { describe, expect, it } from "vitest";
import {
  columnLabels,
  formatTenths,
  gradebookResults,
  gradeTenths,
  roundDiv,
  termResult,
  yearAverage,
  type GradebookAssessment,
  type GradebookGrade,
  type TermResult,
} from "./gradebook.ts";

let order = 0;
function a(id: string, kind: GradebookAssessment["kind"], over: Partial<GradebookAssessment> = {}): GradebookAssessment {
  return { id, kind, term: 1, scale: "ten_point", maxPoints: null, order: ++order, ...over };
}
const score = (s: number | string): GradebookGrade => ({ score: s, level: null });
const level = (l: GradebookGrade["level"]): GradebookGrade => ({ score: null, level: l });
const grades = (entries: Record<string, GradebookGrade>) => new Map(Object.entries(entries));
const avg = (r: TermResult) => (r.kind === "average" ? r.tenths : r.kind);

describe("roundDiv", () => {
  it("rounds half up on integers", () => {
    expect(roundDiv(165, 2)).toBe(83); // 8,25 → 8,3
    expect(roundDiv(164, 2)).toBe(82);
    expect(roundDiv(10, 3)).toBe(3);
    expect(roundDiv(11, 3)).toBe(4); // 3,67
    expect(roundDiv(0, 7)).toBe(0);
  });
});

describe("gradeTenths", () => {
  it("reads a 10-point grade as stored (numeric strings too)", () => {
    expect(gradeTenths({ scale: "ten_point", maxPoints: null }, score("8.50"))).toBe(85);
    expect(gradeTenths({ scale: "ten_point", maxPoints: null }, score(10))).toBe(100);
    expect(gradeTenths({ scale: "ten_point", maxPoints: null }, score(0))).toBe(0);
  });
  it("converts points to /10, rounded half up to one decimal", () => {
    expect(gradeTenths({ scale: "points", maxPoints: "50.00" }, score("45.00"))).toBe(90);
    expect(gradeTenths({ scale: "points", maxPoints: 9 }, score(7))).toBe(78); // 7,777…
    expect(gradeTenths({ scale: "points", maxPoints: 40 }, score(33))).toBe(83); // 8,25 → 8,3
    expect(gradeTenths({ scale: "points", maxPoints: null }, score(85))).toBe(85); // out of 100
  });
  it("has no tenths for levels, ungraded work or another scale", () => {
    expect(gradeTenths({ scale: "pass_fail", maxPoints: null }, level("D"))).toBeNull();
    expect(gradeTenths({ scale: "primary_levels", maxPoints: null }, level("HTT"))).toBeNull();
    expect(gradeTenths({ scale: "ten_point", maxPoints: null }, undefined)).toBeNull();
    expect(gradeTenths({ scale: "ten_point", maxPoints: null }, { score: null, level: null })).toBeNull();
  });
});

describe("formatTenths", () => {
  it("writes one decimal with the Vietnamese comma", () => {
    expect(formatTenths(83)).toBe("8,3");
    expect(formatTenths(80)).toBe("8,0");
    expect(formatTenths(100)).toBe("10,0");
    expect(formatTenths(5)).toBe("0,5");
    expect(formatTenths(83, "en")).toBe("8.3");
  });
});

describe("ĐTBmhk (Thông tư 22)", () => {
  const tx1 = a("tx1", "regular");
  const tx2 = a("tx2", "regular");
  const tx3 = a("tx3", "regular");
  const gk = a("gk", "midterm");
  const ck = a("ck", "final");
  const all = [tx1, tx2, tx3, gk, ck];

  it("weights tx 1, gk 2, ck 3 over (n + 5)", () => {
    // (8 + 7 + 9 + 2×6,5 + 3×8) / 8 = 61 / 8 = 7,625 → 7,6
    const r = termResult(all, grades({ tx1: score(8), tx2: score(7), tx3: score(9), gk: score(6.5), ck: score(8) }), 1);
    expect(r).toEqual({ kind: "average", tenths: 76, regularCount: 3, duplicates: [] });
  });

  it("rounds 8,25 up to 8,3 exactly (no floating-point 8,2)", () => {
    // (8 + 2×8 + 3×8,5) / 6 = 49,5 / 6 = 8,25
    const r = termResult([tx1, gk, ck], grades({ tx1: score(8), gk: score(8), ck: score(8.5) }), 1);
    expect(avg(r)).toBe(83);
    // (7,5 + 2×8 + 3×8,5 + 9) ... a second exact-half case: (9 + 8 + 2×8 + 3×8,5) / 7 = 58,5 / 7 ≈ 8,357 → 8,4
    expect(avg(termResult([tx1, tx2, gk, ck], grades({ tx1: score(9), tx2: score(8), gk: score(8), ck: score(8.5) }), 1))).toBe(84);
    // 8,35 exactly: (8,5 + 2×8,5 + 3×8,2) ... = (8,5 + 17 + 24,6) / 6 = 50,1 / 6 = 8,35 → 8,4
    expect(avg(termResult([tx1, gk, ck], grades({ tx1: score(8.5), gk: score(8.5), ck: score(8.2) }), 1))).toBe(84);
  });

  it("counts the student's own graded tx: an ungraded tx column is left out of n", () => {
    // tx2 and tx3 not graded: (8 + 2×7 + 3×9) / 6 = 49 / 6 = 8,17 → 8,2
    const r = termResult(all, grades({ tx1: score(8), gk: score(7), ck: score(9) }), 1);
    expect(r).toEqual({ kind: "average", tenths: 82, regularCount: 1, duplicates: [] });
  });

  it("is 'chưa đủ điểm' without a gk, a ck or a tx, saying what is missing", () => {
    expect(termResult(all, grades({ tx1: score(8), ck: score(9) }), 1)).toEqual({ kind: "incomplete", missing: { regular: 0, midterm: true, final: false }, duplicates: [] });
    expect(termResult(all, grades({ tx1: score(8), gk: score(9) }), 1)).toEqual({ kind: "incomplete", missing: { regular: 0, midterm: false, final: true }, duplicates: [] });
    expect(termResult(all, grades({ gk: score(8), ck: score(9) }), 1)).toEqual({ kind: "incomplete", missing: { regular: 1, midterm: false, final: false }, duplicates: [] });
    expect(termResult(all, grades({}), 1)).toEqual({ kind: "incomplete", missing: { regular: 1, midterm: true, final: true }, duplicates: [] });
  });

  it("asks for more tx when the subject needs them (minRegular)", () => {
    const g = grades({ tx1: score(8), tx2: score(8), gk: score(8), ck: score(8) });
    expect(termResult(all, g, 1, { minRegular: 3 })).toEqual({ kind: "incomplete", missing: { regular: 1, midterm: false, final: false }, duplicates: [] });
    expect(avg(termResult(all, g, 1, { minRegular: 2 }))).toBe(80);
  });

  it("counts points grades converted to /10 and ignores level-scale assessments in the average", () => {
    const pts = a("pts", "regular", { scale: "points", maxPoints: "50" });
    const pf = a("pf", "regular", { scale: "pass_fail" });
    // (9,0 + 2×8 + 3×8) / 6 = 49 / 6 = 8,17 → 8,2
    const r = termResult([pts, pf, gk, ck], grades({ pts: score(45), pf: level("CD"), gk: score(8), ck: score(8) }), 1);
    expect(r).toEqual({ kind: "average", tenths: 82, regularCount: 1, duplicates: [] });
  });

  it("with several gk, uses the latest graded one and flags it", () => {
    const gkA = a("gkA", "midterm");
    const gkB = a("gkB", "midterm");
    const list = [tx1, gkA, gkB, ck];
    // gkB (the later one) counts: (6 + 2×9 + 3×6) / 6 = 42 / 6 = 7,0
    expect(termResult(list, grades({ tx1: score(6), gkA: score(3), gkB: score(9), ck: score(6) }), 1)).toEqual({
      kind: "average",
      tenths: 70,
      regularCount: 1,
      duplicates: ["midterm"],
    });
    // Only gkA graded for this student: it counts. (6 + 2×3 + 3×6) / 6 = 30 / 6 = 5,0
    expect(avg(termResult(list, grades({ tx1: score(6), gkA: score(3), ck: score(6) }), 1))).toBe(50);
  });

  it("looks only at the term asked for", () => {
    const t2 = [a("t2tx", "regular", { term: 2 }), a("t2gk", "midterm", { term: 2 }), a("t2ck", "final", { term: 2 })];
    const g = grades({ tx1: score(8), gk: score(8), ck: score(8), t2tx: score(5), t2gk: score(5), t2ck: score(5) });
    expect(avg(termResult([...all, ...t2], g, 1))).toBe(80);
    expect(avg(termResult([...all, ...t2], g, 2))).toBe(50);
    expect(termResult(all, g, 2)).toEqual({ kind: "none" });
  });
});

describe("ĐTBmcn", () => {
  const av = (tenths: number): TermResult => ({ kind: "average", tenths, regularCount: 1, duplicates: [] });
  it("weights học kỳ II twice, one decimal, rounded half up", () => {
    expect(yearAverage(av(70), av(80))).toBe(77); // 23 / 3 = 7,67 → 7,7
    expect(yearAverage(av(80), av(85))).toBe(83); // 25 / 3 = 8,33 → 8,3
    expect(yearAverage(av(65), av(80))).toBe(75); // 22,5 / 3 = 7,5
    expect(yearAverage(av(81), av(82))).toBe(82); // 24,5 / 3 = 8,1667 → 8,2
  });
  it("needs an average in both terms", () => {
    expect(yearAverage(av(80), { kind: "incomplete", missing: { regular: 0, midterm: true, final: false }, duplicates: [] })).toBeNull();
    expect(yearAverage({ kind: "none" }, av(80))).toBeNull();
  });
});

describe("Đạt / Chưa đạt (Article 7)", () => {
  const pf = (id: string, kind: GradebookAssessment["kind"]) => a(id, kind, { scale: "pass_fail" });
  const tx1 = pf("p1", "regular");
  const tx2 = pf("p2", "regular");
  const gk = pf("pg", "midterm");
  const ck = pf("pc", "final");
  const list = [tx1, tx2, gk, ck];

  it("is Đạt with every assessment, the ck Đạt and at least 2/3 Đạt", () => {
    expect(termResult(list, grades({ p1: level("D"), p2: level("CD"), pg: level("D"), pc: level("D") }), 1)).toEqual({
      kind: "pass_fail",
      passed: true,
      passes: 3,
      total: 4,
      duplicates: [],
    });
  });
  it("is Chưa đạt under 2/3 Đạt, or with the ck Chưa đạt", () => {
    const r = termResult(list, grades({ p1: level("CD"), p2: level("CD"), pg: level("D"), pc: level("D") }), 1);
    expect(r).toMatchObject({ kind: "pass_fail", passed: false, passes: 2, total: 4 });
    expect(termResult(list, grades({ p1: level("D"), p2: level("D"), pg: level("D"), pc: level("CD") }), 1)).toMatchObject({ kind: "pass_fail", passed: false });
  });
  it("is Chưa đạt when the ck is graded but an assessment is not", () => {
    expect(termResult(list, grades({ p1: level("D"), pg: level("D"), pc: level("D") }), 1)).toMatchObject({ kind: "pass_fail", passed: false, passes: 3, total: 4 });
  });
  it("is still running (chưa đủ) until the ck is graded", () => {
    expect(termResult(list, grades({ p1: level("D"), p2: level("D") }), 1)).toEqual({ kind: "incomplete", missing: { regular: 0, midterm: true, final: true }, duplicates: [] });
  });
  it("exactly 2/3 is enough", () => {
    const three = [tx1, tx2, ck];
    expect(termResult(three, grades({ p1: level("CD"), p2: level("D"), pc: level("D") }), 1)).toMatchObject({ kind: "pass_fail", passed: true, passes: 2, total: 3 });
  });
});

describe("primary levels (Thông tư 27)", () => {
  it("have no average, only the levels", () => {
    const list = [a("l1", "regular", { scale: "primary_levels" }), a("l2", "final", { scale: "primary_levels" })];
    expect(termResult(list, grades({ l1: level("HTT"), l2: level("HT") }), 1)).toEqual({ kind: "levels" });
  });
});

describe("gradebookResults and columnLabels", () => {
  it("computes every student's terms and year, students without grades included", () => {
    const list = [a("x1", "regular"), a("xg", "midterm"), a("xc", "final"), a("y1", "regular", { term: 2 }), a("yg", "midterm", { term: 2 }), a("yc", "final", { term: 2 })];
    const byStudent = new Map([["s1", grades({ x1: score(7), xg: score(7), xc: score(7), y1: score(8), yg: score(8), yc: score(8) })]]);
    const out = gradebookResults(list, byStudent, ["s1", "s2"]);
    expect(out.get("s1")!.year).toBe(77); // (7 + 16) / 3 = 7,67
    expect(out.get("s2")!.terms[1]).toMatchObject({ kind: "incomplete" });
    expect(out.get("s2")!.year).toBeNull();
  });
  it("labels TX1, TX2 in order, GK and CK, numbering repeated gk/ck", () => {
    const labels = columnLabels([
      { id: "b", kind: "regular", order: 2 },
      { id: "a", kind: "regular", order: 1 },
      { id: "g", kind: "midterm", order: 3 },
      { id: "c1", kind: "final", order: 4 },
      { id: "c2", kind: "final", order: 5 },
    ]);
    expect(Object.fromEntries(labels)).toEqual({ a: "TX1", b: "TX2", g: "GK", c1: "CK1", c2: "CK2" });
  });
});

describe("primary classes", () => {
  it("have no average even with 10-point scores (noAverage)", () => {
    const list = [a("q1", "regular"), a("qg", "midterm"), a("qc", "final")];
    const g = grades({ q1: score(9), qg: score(9), qc: score(9) });
    expect(termResult(list, g, 1, { noAverage: true })).toEqual({ kind: "levels" });
    expect(avg(termResult(list, g, 1))).toBe(90);
  });
});
