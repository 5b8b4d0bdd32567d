/**
 * The shape of a people list as schools keep it: which character separates the columns, which
 * header names the hub reads, how a cell lists several values, how a date of birth is written.
 */
import { nfc } from "./vn.ts";

export type CsvSeparator = "," | ";" | "\t";
export const CSV_SEPARATORS: CsvSeparator[] = [",", ";", "\t"];

/** The columns the hub reads. */
export type CsvColumn = "name" | "email" | "phone" | "role" | "class" | "birthDate" | "children";

/** Header names, compared in lower case after NFC and space normalisation. */
const CSV_HEADERS: Record<string, CsvColumn> = {
  name: "name", "full name": "name", full_name: "name", "họ và tên": "name", "ho va ten": "name", "họ tên": "name", "ho ten": "name",
  email: "email", "e-mail": "email", "thư điện tử": "email",
  phone: "phone", "số điện thoại": "phone", "so dien thoai": "phone", "điện thoại": "phone", "dien thoai": "phone", sđt: "phone", sdt: "phone",
  role: "role", "vai trò": "role", "vai tro": "role",
  class: "class", classes: "class", lớp: "class", lop: "class",
  "ngày sinh": "birthDate", "ngay sinh": "birthDate", birth_date: "birthDate", birthdate: "birthDate", "date of birth": "birthDate", dob: "birthDate",
  con: "children", "học sinh": "children", "hoc sinh": "children", children: "children", child: "children",
};

/** The column a header cell names, or null for a column the hub does not use. */
export function csvColumn(header: string): CsvColumn | null {
  return CSV_HEADERS[nfc(header).toLocaleLowerCase("vi")] ?? null;
}

/**
 * The column separator, read from the header line alone (the first line that is not blank),
 * counting only characters outside quotes: the most frequent of comma, semicolon and tab, comma
 * when there is none. Excel writes ";" in Vietnamese locales and tabs in "Unicode Text"; rows are
 * not consulted, as their cells may hold any of these characters.
 */
export function detectSeparator(text: string): CsvSeparator {
  const counts: Record<CsvSeparator, number> = { ",": 0, ";": 0, "\t": 0 };
  let quoted = false;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      // A doubled quote inside a quoted cell is a quote character, and stays inside.
      if (quoted && text[i + 1] === '"') i++;
      else quoted = !quoted;
      started = true;
    } else if (ch === "\n" && !quoted) {
      if (started) break;
    } else if (!quoted && (ch === "," || ch === ";" || ch === "\t")) {
      counts[ch]++;
      started = true;
    } else if (ch.trim() !== "") started = true;
  }
  let best: CsvSeparator = ",";
  for (const sep of CSV_SEPARATORS) if (counts[sep] > counts[best]) best = sep;
  return best;
}

/**
 * The values of a list cell (classes, children): separated by ";", "," or "|", so that one of them
 * is always free whichever character separates the columns.
 */
export function splitList(cell: string | undefined): string[] {
  const seen = new Set<string>();
  for (const part of (cell ?? "").split(/[;,|]/)) {
    const v = nfc(part);
    if (v) seen.add(v);
  }
  return [...seen];
}

/**
 * A date of birth as "yyyy-mm-dd", from dd/mm/yyyy or d/m/yyyy (also with "-" or "."), or
 * yyyy-mm-dd; null when it is not a real calendar date between 1900 and today.
 */
export function parseBirthDate(value: string, today: Date = new Date()): string | null {
  const v = value.trim();
  let y: number, m: number, d: number;
  const dayFirst = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(v);
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(v);
  if (dayFirst) [d, m, y] = [Number(dayFirst[1]), Number(dayFirst[2]), Number(dayFirst[3])];
  else if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  if (y < 1900 || date.getTime() > today.getTime()) return null;
  return `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}
