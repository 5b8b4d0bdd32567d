/** How a gradebook's grades and term results read, on the teacher's page and on a student's row. */
import { columnLabels, formatTenths, gradebookResults, type GradebookAssessment, type TermResult } from "../lib/gradebook.ts";
import { displayGrade, type Level, type Scale } from "../services/grades.ts";
import { useLocale, useT } from "../i18n/index.ts";
import { incompleteText } from "./gradebook-rows.ts";
import type { ClassWork } from "../services/class-work.server.ts";

type Translate = ReturnType<typeof useT>;
type Locale = ReturnType<typeof useLocale>;
type CellLike = { status: string; score: string | number | null; level: Level | null } | undefined;

/** ĐTBmhk ("8,3"), Đạt / Chưa đạt, or "Chưa đủ điểm" with what is missing. */
export function termResultContent(result: TermResult | null | undefined, t: Translate, locale: Locale) {
  if (!result || result.kind === "none" || result.kind === "levels") return <span aria-label={t("gradebook.emptyLabel")}>—</span>;
  if (result.kind === "average") return <strong className="grade">{formatTenths(result.tenths, locale)}</strong>;
  if (result.kind === "pass_fail") return <strong className="grade">{t(result.passed ? "gradebook.passed" : "gradebook.failed")}</strong>;
  return <span className="muted">{incompleteText(result.missing, t)}</span>;
}

/** ĐTBmcn, or a dash. */
export function yearContent(tenths: number | null | undefined, t: Translate, locale: Locale) {
  return tenths === null || tenths === undefined ? <span aria-label={t("gradebook.emptyLabel")}>—</span> : <strong className="grade">{formatTenths(tenths, locale)}</strong>;
}

/** One cell as it reads: the grade, or why there is none. */
export function cellContent(cell: CellLike, scale: Scale, maxPoints: string | number | null, t: Translate, locale: Locale) {
  if (!cell || cell.status === "missing") return cell ? <span className="muted">{t("gradebook.missing")}</span> : <span aria-label={t("gradebook.emptyLabel")}>—</span>;
  if (cell.status === "submitted") return <span className="muted">{t("gradebook.submitted")}</span>;
  return <span>{displayGrade(scale, cell, maxPoints, locale)}</span>;
}

export function TermResultText({ result }: { result: TermResult | undefined }) {
  return termResultContent(result, useT(), useLocale());
}

export function YearText({ tenths }: { tenths: number | null | undefined }) {
  return yearContent(tenths, useT(), useLocale());
}

export function CellText({ cell, scale, maxPoints }: { cell: CellLike; scale: Scale; maxPoints: string | number | null }) {
  return cellContent(cell, scale, maxPoints, useT(), useLocale());
}

/** A student's assignments as their class page has them (app/services/class-work.server.ts). */
type WorkRow = Pick<ClassWork["assignments"][number], "id" | "title" | "dueAt" | "status" | "scale" | "maxPoints" | "assessment" | "term" | "score" | "level">;

/**
 * One student's gradebook rows, one table a term: each assessment with its label (TX1, GK, CK),
 * the student's grade, and the term result; ĐTBmcn under học kỳ II. Only this student's work is
 * given to it, so nothing of another student can show.
 */
export function StudentGradebook({ work, primary, heading }: { work: WorkRow[]; primary: boolean; heading: string }) {
  const t = useT();
  const assessments: GradebookAssessment[] = work.map((w) => ({ id: w.id, kind: w.assessment, term: w.term === 2 ? 2 : 1, scale: w.scale, maxPoints: w.maxPoints, order: Date.parse(w.dueAt) }));
  const grades = new Map(work.filter((w) => w.status === "graded").map((w) => [w.id, { score: w.score, level: w.level }]));
  const results = gradebookResults(assessments, new Map([["me", grades]]), ["me"], { noAverage: primary }).get("me")!;
  const byId = new Map(work.map((w) => [w.id, w]));
  const terms = ([1, 2] as const).filter((n) => assessments.some((a) => a.term === n));
  if (terms.length === 0) return null;
  return (
    <section className="card" aria-labelledby="student-gradebook" data-testid="student-gradebook">
      <h2 id="student-gradebook">{heading}</h2>
      {terms.map((term) => {
        const inTerm = assessments.filter((a) => a.term === term);
        const labels = columnLabels(inTerm);
        const ordered = (["regular", "midterm", "final"] as const).flatMap((k) => inTerm.filter((a) => a.kind === k).sort((x, y) => x.order - y.order));
        const termName = t(term === 1 ? "gradebook.term1" : "gradebook.term2");
        return (
          <div className="table-wrap" key={term}>
            <table data-term={term}>
              <caption>{termName}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("gradebook.assessment")}</th>
                  <th scope="col">{t("gradebook.grade")}</th>
                </tr>
              </thead>
              <tbody>
                {ordered.map((a) => {
                  const w = byId.get(a.id)!;
                  return (
                    <tr key={a.id}>
                      <th scope="row">
                        {labels.get(a.id)} · {w.title}
                      </th>
                      <td>
                        <CellText cell={w.status === "graded" || w.status === "submitted" ? { status: w.status, score: w.score, level: w.level } : undefined} scale={w.scale} maxPoints={w.maxPoints} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
              {primary ? null : (
                <tfoot>
                  <tr>
                    <th scope="row">{t("gradebook.termAverage")}</th>
                    <td data-testid={`term-result-${term}`}>
                      <TermResultText result={results.terms[term]} />
                    </td>
                  </tr>
                  {term === 2 ? (
                    <tr>
                      <th scope="row">{t("gradebook.yearAverage")}</th>
                      <td data-testid="year-result">
                        <YearText tenths={results.year} />
                      </td>
                    </tr>
                  ) : null}
                </tfoot>
              )}
            </table>
          </div>
        );
      })}
    </section>
  );
}
