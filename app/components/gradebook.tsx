/** How a gradebook's grades and term results read, on the teacher's page and on a student's row. */
import { formatTenths, type TermResult } from "../lib/gradebook.ts";
import { displayGrade, type Level, type Scale } from "../services/grades.ts";
import { useLocale, useT } from "../i18n/index.ts";

/** ĐTBmhk ("8,3"), Đạt / Chưa đạt, or "Chưa đủ điểm" with what is missing. */
export function TermResultText({ result }: { result: TermResult | undefined }) {
  const t = useT();
  const locale = useLocale();
  if (!result || result.kind === "none" || result.kind === "levels") return <span aria-label={t("gradebook.emptyLabel")}>—</span>;
  if (result.kind === "average") return <strong className="grade">{formatTenths(result.tenths, locale)}</strong>;
  if (result.kind === "pass_fail") return <strong className="grade">{t(result.passed ? "gradebook.passed" : "gradebook.failed")}</strong>;
  const missing = [
    result.missing.regular > 0 ? t("gradebook.missingRegular", { n: result.missing.regular }) : null,
    result.missing.midterm ? t("gradebook.missingMidterm") : null,
    result.missing.final ? t("gradebook.missingFinal") : null,
  ].filter(Boolean);
  return (
    <span className="muted">
      {t("gradebook.incomplete")}
      {missing.length > 0 ? ` (${missing.join(", ")})` : ""}
    </span>
  );
}

/** ĐTBmcn, or a dash. */
export function YearText({ tenths }: { tenths: number | null | undefined }) {
  const t = useT();
  const locale = useLocale();
  return tenths === null || tenths === undefined ? <span aria-label={t("gradebook.emptyLabel")}>—</span> : <strong className="grade">{formatTenths(tenths, locale)}</strong>;
}

/** One cell as it reads: the grade, or why there is none. */
export function CellText({
  cell,
  scale,
  maxPoints,
}: {
  cell: { status: string; score: string | number | null; level: Level | null } | undefined;
  scale: Scale;
  maxPoints: string | number | null;
}) {
  const t = useT();
  const locale = useLocale();
  if (!cell || cell.status === "missing") return cell ? <span className="muted">{t("gradebook.missing")}</span> : <span aria-label={t("gradebook.emptyLabel")}>—</span>;
  if (cell.status === "submitted") return <span className="muted">{t("gradebook.submitted")}</span>;
  return <span>{displayGrade(scale, cell, maxPoints, locale)}</span>;
}
