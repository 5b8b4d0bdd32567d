/**
 * The gradebook as an Excel workbook (.xlsx), one sheet per class, with the Vietnamese headers a
 * school's records system (SMAS, VnEdu) is typed from: STT, Họ và tên, Ngày sinh, each assessment
 * of the term (TX1, TX2…, GK, CK), ĐTBmhk, and ĐTBmcn in học kỳ II. Grades are numbers with one
 * decimal (a points grade converted to /10, as it counts in the average), levels are words.
 */
import type ExcelJS from "exceljs";
import { formatDate } from "../lib/vn.ts";
import { gradeTenths, type Term, type TermResult } from "../lib/gradebook.ts";
import { subjectName } from "../lib/curriculum.ts";
import { translate } from "../i18n/index.ts";
import { LEVEL_NAMES, type Level } from "./grades.ts";
import type { Gradebook } from "./gradebook.server.ts";

const vi = (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) => translate("vi", key, vars);

/** Excel's rules for a sheet name: at most 31 characters, none of \ / ? * [ ] :, not quoted. */
export function sheetName(subject: string, className: string, taken: Set<string>): string {
  const clean = (s: string) => s.replace(/[\\/?*[\]:]/g, " ").replace(/\s+/g, " ").trim();
  const name = clean(className).slice(0, 20);
  const room = 31 - name.length - 1;
  let base = `${clean(subject).slice(0, Math.max(0, room)).trim()} ${name}`.trim().replace(/^'+|'+$/g, "");
  if (!base) base = "Sheet";
  let candidate = base;
  for (let i = 2; taken.has(candidate.toLowerCase()); i++) {
    const suffix = ` (${i})`;
    candidate = base.slice(0, 31 - suffix.length).trim() + suffix;
  }
  taken.add(candidate.toLowerCase());
  return candidate;
}

function resultCell(r: TermResult): number | string | null {
  if (r.kind === "average") return r.tenths / 10;
  if (r.kind === "pass_fail") return r.passed ? LEVEL_NAMES.D.vi : LEVEL_NAMES.CD.vi;
  return null;
}

function addSheet(book: ExcelJS.Workbook, g: Gradebook, term: Term, taken: Set<string>) {
  const sheet = book.addWorksheet(sheetName(subjectName(g.class.subject, "vi"), g.class.name, taken), { views: [{ state: "frozen", xSplit: 2, ySplit: 1 }] });
  // Grouped as the page groups them: TX1, TX2…, then GK, then CK.
  const inTerm = g.columns.filter((c) => c.term === term);
  const columns = (["regular", "midterm", "final"] as const).flatMap((kind) => inTerm.filter((c) => c.kind === kind));
  const headers = [
    vi("gradebook.xlsx.number"),
    vi("gradebook.xlsx.name"),
    vi("gradebook.xlsx.birthDate"),
    ...columns.map((c) => `${c.label}: ${c.title}`),
    ...(g.primary ? [] : [vi("gradebook.termAverageShort")]),
    ...(term === 2 && !g.primary ? [vi("gradebook.yearAverageShort")] : []),
  ];
  const header = sheet.addRow(headers);
  header.font = { bold: true };
  header.alignment = { vertical: "middle", wrapText: true };
  g.students.forEach((s, i) => {
    const cells = g.cells[s.id] ?? {};
    const values: (string | number | null)[] = [i + 1, s.fullName, s.birthDate ? formatDate(`${s.birthDate}T12:00:00Z`) : null];
    for (const c of columns) {
      const cell = cells[c.id];
      if (!cell || cell.status !== "graded") values.push(null);
      else if (cell.level) values.push(LEVEL_NAMES[cell.level as Level]?.vi ?? cell.level);
      else {
        const tenths = gradeTenths(c, cell);
        values.push(tenths === null ? null : tenths / 10);
      }
    }
    const results = g.results[s.id];
    if (!g.primary) values.push(results ? resultCell(results.terms[term]) : null);
    if (term === 2 && !g.primary) values.push(results?.year == null ? null : results.year / 10);
    sheet.addRow(values);
  });
  sheet.getColumn(1).width = 5;
  sheet.getColumn(2).width = 28;
  sheet.getColumn(3).width = 12;
  for (let i = 4; i <= headers.length; i++) {
    const col = sheet.getColumn(i);
    col.width = 14;
    col.numFmt = "0.0";
  }
}

/** The workbook of these gradebooks for one term, as the bytes of an .xlsx file. */
export async function gradebookWorkbook(books: Gradebook[], term: Term): Promise<Buffer> {
  // Loaded on the first export, not at start-up: the library takes most of a second to load.
  const { default: Excel } = await import("exceljs");
  const book = new Excel.Workbook();
  book.creator = "Lớp Số";
  const taken = new Set<string>();
  for (const g of books) addSheet(book, g, term, taken);
  if (books.length === 0) book.addWorksheet(vi("gradebook.title"));
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** "Sổ điểm Toán 6A1 - Học kỳ I - 2026-2027.xlsx", or for several classes "Sổ điểm - Học kỳ I - 2026-2027.xlsx". */
export function gradebookFilename(books: Gradebook[], term: Term): string {
  const termName = vi(term === 1 ? "gradebook.term1" : "gradebook.term2");
  const years = [...new Set(books.map((b) => b.class.schoolYear))].join(", ");
  const what = books.length === 1 ? `${vi("gradebook.title")} ${subjectName(books[0].class.subject, "vi")} ${books[0].class.name}` : vi("gradebook.title");
  return `${[what, termName, years].filter(Boolean).join(" - ")}.xlsx`;
}

export const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
