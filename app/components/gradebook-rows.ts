/**
 * The body of the teacher's gradebook table (one row a student, one field a cell) as an HTML
 * string, built by the page on the server and again, identically, in the browser. A 45-student
 * class has ~700 elements here; written as text they cost a fraction of what rendering them as
 * React elements does (docs/decisions/008-gradebook-rows.md). Everything that comes from data is
 * escaped; nothing here carries a script or an event handler.
 */
import { formatTenths, type TermResult } from "../lib/gradebook.ts";
import { formatNumber } from "../lib/vn.ts";
import { escapeHtml } from "../lib/html.ts";
import { displayGrade, isLevelScale, LEVEL_NAMES, levelsOf, type Scale } from "../services/grades.ts";
import type { CompactCell, GradebookTermPage } from "../services/gradebook.server.ts";
import type { Locale, MessageKey } from "../i18n/index.ts";

type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;


export type RowsInput = {
  page: Pick<GradebookTermPage, "students" | "cells" | "results" | "year" | "canEdit">;
  /** The columns in the order shown (TX…, GK, CK), each with its index in the page's list. */
  ordered: { col: GradebookTermPage["columns"][number]; index: number }[];
  showAverage: boolean;
  showYear: boolean;
  /** Cells the last save refused, by `<assignmentId>.<studentId>`. */
  refused?: Record<string, { error: string; value: string }>;
  t: Translate;
  locale: Locale;
};

/** ĐTBmhk, Đạt / Chưa đạt, or "Chưa đủ điểm (…)" — as HTML. */
export function termResultHtml(result: TermResult | null | undefined, t: Translate, locale: Locale): string {
  if (!result || result.kind === "none" || result.kind === "levels") return `<span aria-label="${escapeHtml(t("gradebook.emptyLabel"))}">—</span>`;
  if (result.kind === "average") return `<strong class="grade">${formatTenths(result.tenths, locale)}</strong>`;
  if (result.kind === "pass_fail") return `<strong class="grade">${escapeHtml(t(result.passed ? "gradebook.passed" : "gradebook.failed"))}</strong>`;
  return `<span class="muted">${escapeHtml(incompleteText(result.missing, t))}</span>`;
}

/** "Chưa đủ điểm (thiếu 1 TX, thiếu GK, thiếu CK)": a term result that cannot be computed yet. */
export function incompleteText(missing: Extract<TermResult, { kind: "incomplete" }>["missing"], t: Translate): string {
  const parts = [
    missing.regular > 0 ? t("gradebook.missingRegular", { n: missing.regular }) : null,
    missing.midterm ? t("gradebook.missingMidterm") : null,
    missing.final ? t("gradebook.missingFinal") : null,
  ].filter(Boolean);
  return t("gradebook.incomplete") + (parts.length > 0 ? ` (${parts.join(", ")})` : "");
}

function field(input: RowsInput, col: RowsInput["ordered"][number], row: number, studentId: string, cell: CompactCell, notes: { missing: string; submitted: string }): string {
  const { t, locale } = input;
  const refused = input.refused?.[`${col.col.id}.${studentId}`];
  const errId = `gb-err-${col.index}-${row}`;
  const graded = cell !== 0 && cell[0] === "graded";
  const common = `name="g.${col.index}.${row}" aria-labelledby="gb-c${col.index} gb-r${row}"${refused ? ` aria-invalid="true" aria-describedby="${errId}"` : ""}`;
  let html: string;
  if (isLevelScale(col.col.scale)) {
    const chosen = refused ? refused.value : graded ? (cell[2] ?? "") : "";
    html = `<select ${common}><option value=""${chosen === "" ? " selected" : ""}>—</option>`;
    for (const lv of levelsOf(col.col.scale)) html += `<option value="${lv}"${chosen === lv ? " selected" : ""}>${escapeHtml(LEVEL_NAMES[lv][locale])}</option>`;
    html += "</select>";
  } else {
    const value = refused ? refused.value : graded && cell[1] !== null ? formatNumber(Number(cell[1]), locale, 2) : "";
    html = `<input ${common} inputmode="decimal" value="${escapeHtml(value)}">`;
  }
  if (cell !== 0 && !graded) html += `<span class="gb-note muted">${cell[0] === "missing" ? notes.missing : notes.submitted}</span>`;
  if (refused) html += `<span class="error gb-error" id="${errId}" role="alert">${escapeHtml(t(refused.error as MessageKey))}</span>`;
  return html;
}

function readOnly(input: RowsInput, col: RowsInput["ordered"][number], cell: CompactCell, notes: { missing: string; submitted: string; empty: string }): string {
  if (cell === 0) return `<span aria-label="${notes.empty}">—</span>`;
  if (cell[0] === "missing") return `<span class="muted">${notes.missing}</span>`;
  if (cell[0] === "submitted") return `<span class="muted">${notes.submitted}</span>`;
  return `<span>${escapeHtml(displayGrade(col.col.scale as Scale, { score: cell[1], level: cell[2] }, col.col.maxPoints, input.locale))}</span>`;
}

/** The `<tr>` rows of the gradebook's body. */
export function gradebookRowsHtml(input: RowsInput): string {
  const { page, ordered, t, locale } = input;
  const notes = { missing: escapeHtml(t("gradebook.missing")), submitted: escapeHtml(t("gradebook.submitted")), empty: escapeHtml(t("gradebook.emptyLabel")) };
  const emptyYear = `<span aria-label="${notes.empty}">—</span>`;
  let html = "";
  page.students.forEach((s, i) => {
    const name = escapeHtml(s.fullName);
    const cells = page.cells[i];
    html += `<tr data-student="${name}"><td>${i + 1}</td><th scope="row" class="gb-name" id="gb-r${i}">${name}</th>`;
    for (const col of ordered) {
      const cell = cells[col.index];
      html += `<td data-column="${escapeHtml(col.col.label)}">${page.canEdit ? field(input, col, i, s.id, cell, notes) : readOnly(input, col, cell, notes)}</td>`;
    }
    if (input.showAverage) html += `<td data-column="average">${termResultHtml(page.results[i], t, locale)}</td>`;
    if (input.showYear) {
      const year = page.year[i];
      html += `<td data-column="year">${year === null || year === undefined ? emptyYear : `<strong class="grade">${formatTenths(year, locale)}</strong>`}</td>`;
    }
    html += "</tr>";
  });
  return html;
}
