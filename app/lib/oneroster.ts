/**
 * OneRoster 1.1 / 1.2 CSV, the pure part: the files and their columns, how a header is read
 * (vendor order, extra columns, known typos), how each row is checked and turned into what the hub
 * keeps, and how a bad cell is reported (`users.csv:4:13: reason`, line as a spreadsheet shows it).
 * Reading the files (streams, zips) and writing the hub is app/services/roster/oneroster.server.ts.
 */
import { SUBJECTS } from "./curriculum.ts";
import { nameSortKey, nfc, normalizePhone, searchFold } from "./vn.ts";

export type RosterFile = "manifest" | "orgs" | "academicSessions" | "courses" | "classes" | "users" | "roles" | "enrollments" | "demographics";

/** The files the hub reads, in the order it reads them (a later file refers to earlier ones). */
export const READ_ORDER: RosterFile[] = ["orgs", "academicSessions", "courses", "classes", "demographics", "roles", "users", "enrollments"];

/** One bad cell (or row, or file): where, and the message key of the roster section with its values. */
export type RosterError = { file: string; line: number; column: number; key: RosterMessage; vars?: Record<string, string | number> };

export type RosterMessage =
  | "missingColumn" | "duplicateColumn" | "required" | "badEnum" | "badDate" | "badEmail" | "badStatus" | "badId"
  | "columnCount" | "duplicateId" | "unknownRef" | "emailOtherSchool" | "emailDuplicate" | "emailTaken" | "malformed"
  | "manifestMissing" | "manifestVersion" | "manifestValue" | "manifestFileMissing" | "noRows"
  | "zipUnsafeName" | "zipTooLarge" | "zipBad" | "notBundle" | "schoolUnknown" | "schoolNotFound" | "schoolMany"
  | "tooManyErrors" | "encoding";

/** Columns each file must have (by name; any order, extension columns anywhere). */
const REQUIRED_COLUMNS: Record<Exclude<RosterFile, "manifest">, string[]> = {
  orgs: ["sourcedId", "name", "type"],
  academicSessions: ["sourcedId", "title", "type", "startDate", "endDate"],
  courses: ["sourcedId", "title"],
  classes: ["sourcedId", "title", "schoolSourcedId"],
  users: ["sourcedId", "givenName", "familyName"],
  roles: ["sourcedId", "userSourcedId", "role", "orgSourcedId"],
  enrollments: ["sourcedId", "classSourcedId", "userSourcedId", "role"],
  demographics: ["sourcedId"],
};

/**
 * Header names real exports write for a spec column: vendor names (oat-sa's "grade", "agents",
 * "userId", "userSourcedId"), and typos seen in the wild ("dataLastModified", "prefferedGivenName").
 */
const HEADER_ALIASES: Record<string, string> = {
  grade: "grades", agents: "agentSourcedIds", userId: "userIds", dataLastModified: "dateLastModified",
  birthdate: "birthDate", schoolYearId: "schoolYearSourcedId", prefferedGivenName: "preferredGivenName",
  prefferedMiddleName: "preferredMiddleName", prefferedFamilyName: "preferredFamilyName",
};

/** Demographics name the user by `sourcedId` (the spec) or `userSourcedId` (a vendor variant). */
const FILE_ALIASES: Partial<Record<RosterFile, Record<string, string>>> = { demographics: { userSourcedId: "sourcedId" } };

export type Header = {
  /** Column name → index in the row. */
  at: Map<string, number>;
  width: number;
};

/** The header of a file: each known column's index; duplicate or missing required columns are errors. */
export function readHeader(file: RosterFile, fileName: string, cells: string[]): { header: Header; errors: RosterError[] } {
  const at = new Map<string, number>();
  const errors: RosterError[] = [];
  let width = cells.length;
  while (width > 0 && cells[width - 1].trim() === "") width--; // trailing empty header cells (a spreadsheet's)
  for (let i = 0; i < width; i++) {
    const raw = cells[i].trim();
    if (!raw) continue;
    const name = FILE_ALIASES[file]?.[raw] ?? HEADER_ALIASES[raw] ?? raw;
    if (at.has(name)) errors.push({ file: fileName, line: 1, column: i + 1, key: "duplicateColumn", vars: { column: raw } });
    else at.set(name, i);
  }
  if (file !== "manifest") {
    for (const col of REQUIRED_COLUMNS[file]) if (!at.has(col)) errors.push({ file: fileName, line: 1, column: width + 1, key: "missingColumn", vars: { column: col } });
  }
  return { header: { at, width }, errors };
}

export type Mode = "bulk" | "delta";
export type Manifest = { version: "1.1" | "1.2"; files: Map<RosterFile | string, Mode | "absent">; systemName?: string };

/**
 * manifest.csv: `propertyName,value` rows. Tolerated: "1" for "1.0"/"1.1"-style versions written as
 * numbers by a spreadsheet, upper-case values.
 */
export function readManifest(rows: { cells: string[]; line: number }[], fileName = "manifest.csv"): { manifest: Manifest; errors: RosterError[] } {
  const errors: RosterError[] = [];
  const files = new Map<string, Mode | "absent">();
  let version: Manifest["version"] | undefined;
  let systemName: string | undefined;
  let versionLine = 1;
  for (const { cells, line } of rows.slice(1)) {
    const prop = (cells[0] ?? "").trim();
    const value = (cells[1] ?? "").trim();
    if (prop === "oneroster.version") {
      versionLine = line;
      const v = value === "1" ? "1.0" : value.replace(/^(\d\.\d)\.0$/, "$1");
      if (v === "1.1" || v === "1.2") version = v;
      else errors.push({ file: fileName, line, column: 2, key: "manifestVersion", vars: { value } });
    } else if (prop === "manifest.version") {
      if (!/^1(\.0)?$/.test(value)) errors.push({ file: fileName, line, column: 2, key: "manifestVersion", vars: { value } });
    } else if (prop.startsWith("file.")) {
      const mode = value.toLowerCase() || "absent"; // a blank value, as exports write for files they never make
      if (mode === "bulk" || mode === "delta" || mode === "absent") files.set(prop.slice(5), mode);
      else errors.push({ file: fileName, line, column: 2, key: "manifestValue", vars: { value, property: prop } });
    } else if (prop === "source.systemName") systemName = value;
  }
  if (!version && !errors.some((e) => e.key === "manifestVersion")) {
    errors.push({ file: fileName, line: versionLine, column: 1, key: "required", vars: { column: "oneroster.version" } });
  }
  return { manifest: { version: version ?? "1.1", files, systemName }, errors };
}

/** A row's cells by column name: trimmed, NFC (names arrive in NFD from some exports). */
export class Row {
  constructor(
    readonly header: Header,
    readonly cells: string[],
    readonly file: string,
    readonly line: number,
    readonly errors: RosterError[],
  ) {}
  get(column: string): string {
    const i = this.header.at.get(column);
    return i === undefined ? "" : nfc(this.cells[i] ?? "");
  }
  /** 1-based column number of a column (the header's width + 1 when the file lacks it). */
  col(column: string): number {
    return (this.header.at.get(column) ?? this.header.width) + 1;
  }
  bad(column: string, key: RosterMessage, vars?: Record<string, string | number>) {
    this.errors.push({ file: this.file, line: this.line, column: this.col(column), key, vars: { column, ...vars } });
  }
  required(column: string): string {
    const v = this.get(column);
    if (!v) this.bad(column, "required");
    return v;
  }
  /** A token of a vocabulary, compared without case ("Scheduled", "TRUE" are what exports write). */
  oneOf<T extends string>(column: string, allowed: readonly T[], opts: { optional?: boolean } = {}): T | undefined {
    const v = this.get(column);
    if (!v) {
      if (!opts.optional) this.bad(column, "required");
      return undefined;
    }
    const found = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
    if (!found) this.bad(column, "badEnum", { value: v, allowed: allowed.join(", ") });
    return found;
  }
  date(column: string): string | undefined {
    const v = this.get(column);
    if (!v) return undefined;
    const iso = isoDate(v);
    if (!iso) this.bad(column, "badDate", { value: v });
    return iso ?? undefined;
  }
  id(column: string, opts: { optional?: boolean } = {}): string {
    const v = opts.optional ? this.get(column) : this.required(column);
    if (v.length > 255) this.bad(column, "badId", { value: v.slice(0, 40) + "…" });
    return v;
  }
}

/** "2013-09-05" when it is a real calendar date. */
export function isoDate(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return m[0];
}

/** Row status: bulk rows leave it blank; delta rows say active or tobedeleted ("inactive" is 1.0's word for it). */
export function rowStatus(row: Row): "active" | "tobedeleted" {
  const v = row.get("status").toLowerCase();
  if (!v || v === "active") return "active";
  if (v === "tobedeleted" || v === "inactive") return "tobedeleted";
  row.bad("status", "badStatus", { value: row.get("status") });
  return "active";
}

/** A comma-separated list of ids or tokens ("as-trm-1,as-trm-2"), without blanks or repeats. */
export function splitIds(cell: string): string[] {
  return [...new Set(cell.split(",").map((s) => s.trim()).filter(Boolean))];
}

export const ORG_TYPES = ["department", "school", "district", "local", "state", "national"] as const;
export const SESSION_TYPES = ["gradingPeriod", "semester", "schoolYear", "term"] as const;
export const CLASS_TYPES = ["homeroom", "scheduled"] as const;
export const ENROLLMENT_ROLES = ["administrator", "proctor", "student", "teacher"] as const;
export const USER_ROLES_11 = ["administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"] as const;
export const USER_ROLES_12 = [
  "aide", "counselor", "districtAdministrator", "guardian", "parent", "principal", "proctor", "relative",
  "siteAdministrator", "student", "systemAdministrator", "teacher",
] as const;

/** The hub role of a OneRoster role; null for administrators (named on the hub's admin pages, never by a file). */
export function hubRole(role: string | undefined): "teacher" | "student" | "parent" | null {
  switch (role) {
    case "student": return "student";
    case "teacher": case "aide": case "proctor": return "teacher";
    case "parent": case "guardian": case "relative": return "parent";
    default: return null;
  }
}

export type OrgRow = { sourcedId: string; status: "active" | "tobedeleted"; name: string; type?: string; identifier: string; line: number };
export function readOrg(row: Row): OrgRow {
  return { sourcedId: row.id("sourcedId"), status: rowStatus(row), name: row.required("name"), type: row.oneOf("type", ORG_TYPES), identifier: row.get("identifier"), line: row.line };
}

export type SessionRow = { sourcedId: string; type?: string; parent: string; schoolYear?: number; startDate?: string; endDate?: string };
export function readSession(row: Row): SessionRow {
  row.id("sourcedId");
  rowStatus(row);
  row.required("title");
  const startDate = row.date("startDate");
  const endDate = row.date("endDate");
  const y = row.get("schoolYear");
  if (y && !/^\d{4}$/.test(y)) row.bad("schoolYear", "badDate", { value: y });
  return { sourcedId: row.get("sourcedId"), type: row.oneOf("type", SESSION_TYPES), parent: row.get("parentSourcedId"), schoolYear: /^\d{4}$/.test(y) ? Number(y) : undefined, startDate, endDate };
}

export type CourseRow = { sourcedId: string; title: string; grades: string; subjects: string; subjectCodes: string; schoolYear: string };
export function readCourse(row: Row): CourseRow {
  rowStatus(row);
  return {
    sourcedId: row.id("sourcedId"), title: row.required("title"), grades: row.get("grades"), subjects: row.get("subjects"),
    subjectCodes: row.get("subjectCodes"), schoolYear: row.get("schoolYearSourcedId"),
  };
}

/** "2025-2026" from a OneRoster schoolYear (the year the school year ends). */
export function schoolYearName(endYear: number): string {
  return `${endYear - 1}-${endYear}`;
}

/** The school year a session belongs to: its own schoolYear, else its end date's (school years end in May–August). */
export function sessionSchoolYear(s: SessionRow | undefined): string | undefined {
  if (!s) return undefined;
  if (s.schoolYear) return schoolYearName(s.schoolYear);
  if (s.endDate) {
    const [y, m] = s.endDate.split("-").map(Number);
    return schoolYearName(m >= 9 ? y + 1 : y);
  }
  return undefined;
}

/** Grades 1–12 from a OneRoster grades list (CEDS codes "06", "10"; KG, PK … are not hub grades). */
export function parseGrades(cell: string): number[] {
  return splitIds(cell)
    .map((g) => (/^\d{1,2}$/.test(g) ? Number(g) : NaN))
    .filter((g) => g >= 1 && g <= 12);
}

/** The grade a class name starts with: "6A1" → 6, "10A3" → 10. */
export function gradeOfName(name: string): number | undefined {
  const m = /^(\d{1,2})(?=[A-ZĐa-zđ])/.exec(name.trim());
  const g = m ? Number(m[1]) : NaN;
  return g >= 1 && g <= 12 ? g : undefined;
}

/** Words (folded, no tones) naming a subject of the 2018 programme, longest phrases first. */
const SUBJECT_WORDS: [string, string][] = [
  ["khoa hoc tu nhien", "khtn"], ["natural science", "khtn"], ["tu nhien va xa hoi", "tu-nhien-xa-hoi"],
  ["lich su va dia li", "lich-su-dia-li"], ["history and geography", "lich-su-dia-li"], ["tin hoc va cong nghe", "tin-hoc-cong-nghe"],
  ["giao duc cong dan", "gdcd"], ["civic", "gdcd"], ["giao duc the chat", "gdtc"], ["the duc", "gdtc"], ["physical education", "gdtc"],
  ["giao duc quoc phong", "gdqp"], ["kinh te va phap luat", "gdktpl"], ["hoat dong trai nghiem", "hdtn"], ["giao duc dia phuong", "gddp"],
  ["tieng viet", "tieng-viet"], ["tieng anh", "tieng-anh"], ["ngoai ngu", "tieng-anh"], ["english", "tieng-anh"],
  ["ngu van", "ngu-van"], ["literature", "ngu-van"], ["toan", "toan"], ["math", "toan"], ["mathematics", "toan"],
  ["vat li", "vat-li"], ["vat ly", "vat-li"], ["physics", "vat-li"], ["hoa hoc", "hoa-hoc"], ["chemistry", "hoa-hoc"],
  ["sinh hoc", "sinh-hoc"], ["biology", "sinh-hoc"], ["lich su", "lich-su"], ["history", "lich-su"], ["dia li", "dia-li"], ["dia ly", "dia-li"],
  ["geography", "dia-li"], ["tin hoc", "tin-hoc"], ["informatics", "tin-hoc"], ["computer", "tin-hoc"], ["cong nghe", "cong-nghe"],
  ["technology", "cong-nghe"], ["am nhac", "am-nhac"], ["music", "am-nhac"], ["mi thuat", "mi-thuat"], ["my thuat", "mi-thuat"],
  ["fine art", "mi-thuat"], ["dao duc", "dao-duc"], ["khoa hoc", "khoa-hoc"], ["science", "khoa-hoc"],
];
const CODES = new Set(SUBJECTS.map((s) => s.code));

/**
 * The hub's subject code (VIETNAM.md, app/lib/curriculum.ts) for a class: its subjectCodes when they
 * are hub codes, else the first subject word found in its subjects, its course's title or its own
 * title; else a slug of the course title (shown as written), "khac" when there is nothing.
 */
export function mapSubject(candidates: string[], grade?: number): string {
  for (const c of candidates) for (const code of splitIds(c)) if (CODES.has(code.toLowerCase())) return code.toLowerCase();
  for (const c of candidates) {
    const folded = ` ${searchFold(c).replace(/[^a-z0-9]+/g, " ")} `;
    for (const [words, code] of SUBJECT_WORDS) {
      if (folded.includes(` ${words} `)) {
        // Lịch sử alone is a THPT subject; in grades 4–9 it is part of Lịch sử và Địa lí.
        if ((code === "lich-su" || code === "dia-li") && grade !== undefined && grade <= 9) return "lich-su-dia-li";
        if (code === "khoa-hoc" && grade !== undefined && grade >= 6 && grade <= 9) return "khtn";
        return code;
      }
    }
  }
  const first = candidates.find((c) => c.trim());
  const slug = first ? searchFold(first).replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40) : "";
  return slug || "khac";
}

export type ClassRow = {
  sourcedId: string; status: "active" | "tobedeleted"; name: string; grade?: number; subject: string; schoolYear?: string;
  course: string; school: string; terms: string[]; line: number;
};
export function readClass(row: Row, courses: Map<string, CourseRow>, sessions: Map<string, SessionRow>): ClassRow {
  const sourcedId = row.id("sourcedId");
  const status = rowStatus(row);
  const title = row.required("title");
  row.oneOf("classType", CLASS_TYPES, { optional: true });
  const course = courses.get(row.get("courseSourcedId"));
  const name = row.get("classCode") && gradeOfName(row.get("classCode")) ? row.get("classCode") : title;
  const grades = [...parseGrades(row.get("grades")), ...parseGrades(course?.grades ?? "")];
  const grade = grades.length ? Math.min(...grades) : gradeOfName(name) ?? gradeOfName(title);
  const subject = mapSubject([row.get("subjectCodes"), course?.subjectCodes ?? "", row.get("subjects"), course?.subjects ?? "", course?.title ?? "", title], grade);
  const terms = splitIds(row.get("termSourcedIds"));
  let schoolYear: string | undefined;
  for (const t of terms) {
    schoolYear = sessionSchoolYear(sessions.get(t));
    if (schoolYear) break;
  }
  schoolYear ??= sessionSchoolYear(sessions.get(course?.schoolYear ?? ""));
  return { sourcedId, status, name, grade, subject, schoolYear, course: row.get("courseSourcedId"), school: row.required("schoolSourcedId"), terms, line: row.line };
}

export type UserRow = {
  sourcedId: string; status: "active" | "tobedeleted"; fullName: string; sortKey: string; email: string | null; phone: string | null;
  role?: string; orgs: string[]; agents: string[]; line: number;
};
const EMAIL = /^[^\s@",;<>]+@[^\s@",;<>]+\.[^\s@",;<>]+$/;

/** A user row; `role` is 1.1's column (1.2 gives roles in roles.csv). Names family first, as Vietnamese lists write them. */
export function readUser(row: Row, version: "1.1" | "1.2"): UserRow {
  const sourcedId = row.id("sourcedId");
  const status = rowStatus(row);
  const family = row.required("familyName");
  const given = row.required("givenName");
  const fullName = nfc([family, row.get("middleName"), given].join(" "));
  let email: string | null = row.get("email").toLowerCase() || null;
  if (email && (!EMAIL.test(email) || email.length > 254)) {
    row.bad("email", "badEmail", { value: row.get("email") });
    email = null;
  }
  // Numbers that are not Vietnamese mobiles (a school's landline, test data) are not kept.
  const phone = normalizePhone(row.get("sms")) ?? normalizePhone(row.get("phone"));
  if (row.header.at.has("enabledUser")) row.oneOf("enabledUser", ["true", "false"] as const, { optional: true });
  let role: string | undefined;
  if (version === "1.1" || row.header.at.has("role")) role = row.oneOf("role", version === "1.1" ? USER_ROLES_11 : USER_ROLES_12, { optional: version === "1.2" });
  return {
    sourcedId, status, fullName, sortKey: nameSortKey(fullName), email, phone, role,
    orgs: splitIds(row.get("orgSourcedIds") || row.get("primaryOrgSourcedId")), agents: splitIds(row.get("agentSourcedIds")), line: row.line,
  };
}

export type RoleRow = { user: string; role?: string; primary: boolean; org: string; status: "active" | "tobedeleted" };
export function readRole(row: Row): RoleRow {
  row.id("sourcedId");
  const status = rowStatus(row);
  const roleType = row.oneOf("roleType", ["primary", "secondary"] as const, { optional: true });
  return { user: row.required("userSourcedId"), role: row.oneOf("role", USER_ROLES_12), primary: roleType !== "secondary", org: row.required("orgSourcedId"), status };
}

export type EnrollmentRow = { sourcedId: string; status: "active" | "tobedeleted"; cls: string; user: string; role?: string; line: number };
export function readEnrollment(row: Row): EnrollmentRow {
  const sourcedId = row.id("sourcedId");
  const status = rowStatus(row);
  const cls = row.required("classSourcedId");
  const user = row.required("userSourcedId");
  const role = row.oneOf("role", ENROLLMENT_ROLES);
  row.oneOf("primary", ["true", "false"] as const, { optional: true });
  row.date("beginDate");
  row.date("endDate");
  return { sourcedId, status, cls, user, role, line: row.line };
}

export function readDemographic(row: Row): { user: string; birthDate?: string } {
  rowStatus(row);
  return { user: row.id("sourcedId"), birthDate: row.date("birthDate") };
}

/**
 * The line a CSV record starts on, from the line csv-parse says it ends on and its raw text (line
 * ends already LF): a quoted field's line breaks count, and blank lines skipped before it do not.
 */
export function recordStartLine(endLine: number, raw: string): number {
  const own = raw.replace(/^(?:[ \t]*\n)+/, "").replace(/\n$/, "");
  let breaks = 0;
  for (let i = own.indexOf("\n"); i !== -1; i = own.indexOf("\n", i + 1)) breaks++;
  return endLine - breaks;
}

/** `users.csv:4:13: reason` — what the CLI prints and the admin page shows for each bad cell. */
export function formatRosterError(e: RosterError, message: (key: string, vars: Record<string, string | number>) => string): string {
  const where = e.line > 0 ? `${e.file}:${e.line}:${e.column}` : e.file; // a zip, a flag: no line
  return `${where}: ${message(`roster.${e.key}`, e.vars ?? {})}`;
}
