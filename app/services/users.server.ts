import crypto from "node:crypto";
import { parse as parseCsv } from "csv-parse/sync";
import { and, asc, eq, inArray, ne, or } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx } from "../../db/client.server.ts";
import { classes, classGroupMembers, classGroups, classMembers, memberships, organizations, sessions, users } from "../../db/schema/index.ts";
import { administeredSchoolIds, canAdministerSchool, type Actor } from "../auth/actor.server.ts";
import { forbidden } from "../auth/guards.server.ts";
import { hashPassword } from "../auth/password.server.ts";
import { PasswordSchema } from "../lib/password.ts";
import { nameSortKey, nfc, normalizePhone } from "../lib/vn.ts";
import { parentLinks } from "../../db/schema/index.ts";
import { csvColumn, detectSeparator, parseBirthDate, splitList, type CsvSeparator } from "../lib/csv-import.ts";
import { checkCurrentPassword } from "./sign-in.server.ts";
import { fail, ok, zodErrors, type Result } from "./result.ts";
import { currentSchoolYear } from "../lib/curriculum.ts";

export const SCHOOL_ROLES = ["teacher", "student", "parent"] as const;

const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "errors.email_invalid" }).max(254, "errors.email_invalid"));
const phone = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const e164 = normalizePhone(v);
    if (!e164) ctx.addIssue({ code: "custom", message: "errors.phone_invalid" });
    return e164 ?? "";
  });
const fullName = z
  .string()
  // One space between words: a name pasted from a spreadsheet cell may carry a line break or tabs.
  .transform((v) => nfc(v).replace(/\s+/g, " ").trim())
  .pipe(z.string().min(2, "errors.name_required").max(120, "errors.name_too_long"));

export const NewUserSchema = z
  .object({
    fullName,
    email: z.union([z.literal("").transform(() => undefined), email]).optional(),
    phone: z.union([z.literal("").transform(() => undefined), phone]).optional(),
    role: z.enum(SCHOOL_ROLES, { message: "errors.role_invalid" }),
  })
  .refine((v) => v.email || v.phone, { message: "errors.email_or_phone", path: ["email"] });

export type NewUserInput = z.infer<typeof NewUserSchema>;

async function conflicts(db: DbOrTx, emails: string[], phones: string[]) {
  if (emails.length === 0 && phones.length === 0) return { emails: new Set<string>(), phones: new Set<string>() };
  const conds = [];
  if (emails.length) conds.push(inArray(users.email, emails));
  if (phones.length) conds.push(inArray(users.phone, phones));
  const rows = await db.select({ email: users.email, phone: users.phone }).from(users).where(or(...conds));
  return {
    emails: new Set(rows.map((r) => r.email).filter(Boolean) as string[]),
    phones: new Set(rows.map((r) => r.phone).filter(Boolean) as string[]),
  };
}

/**
 * Add a person to a school with a generated temporary password, returned once (to show to the
 * admin) and changed by the person at their first sign-in.
 */
export async function createSchoolUser(db: Db, actor: Actor, schoolId: string, raw: unknown): Promise<Result<{ id: string; password: string }>> {
  if (!(await canAdministerSchool(db, actor, schoolId))) throw forbidden();
  const parsed = NewUserSchema.safeParse(raw);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const input = parsed.data;
  const taken = await conflicts(db, input.email ? [input.email] : [], input.phone ? [input.phone] : []);
  if (input.email && taken.emails.has(input.email)) return fail({ email: "errors.email_taken" });
  if (input.phone && taken.phones.has(input.phone)) return fail({ phone: "errors.phone_taken" });
  const password = temporaryPassword();
  const passwordHash = await hashPassword(password);
  try {
    const id = await db.transaction(async (tx) => {
      const [u] = await tx
        .insert(users)
        .values({
          fullName: input.fullName,
          sortKey: nameSortKey(input.fullName),
          email: input.email ?? null,
          phone: input.phone ?? null,
          passwordHash,
          mustChangePassword: true,
        })
        .returning({ id: users.id });
      await tx.insert(memberships).values({ userId: u.id, orgId: schoolId, role: input.role });
      return u.id;
    });
    return ok({ id, password });
  } catch (e) {
    // A concurrent insert of the same email or phone lost the race to the unique index.
    if (isUniqueViolation(e)) return fail({ email: "errors.email_taken" });
    throw e;
  }
}

export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code === "23505" || err?.cause?.code === "23505";
}

// ---------------------------------------------------------------------------------------------
// CSV import

/**
 * One bad row's reason. `field` is the column (name, email, phone, role, class, birthDate,
 * children), "row" for the row as a whole or "file" for the file; `value` is the text at fault
 * and `person` the row's name as written, so the admin finds the row; `vars` fill the message.
 */
export type CsvRowError = { line: number; field: string; message: string; value?: string; person?: string; vars?: Record<string, string | number> };
export type CsvImportReport = {
  total: number;
  valid: number;
  errors: CsvRowError[];
  imported: number;
  /**
   * Temporary passwords for the accounts created, to hand to each person once: they exist only in
   * this report (the database keeps their hashes), and each must be changed at the first sign-in.
   */
  credentials: { line: number; fullName: string; login: string; password: string; role: (typeof SCHOOL_ROLES)[number]; classNames: string[] }[];
  committed: boolean;
  /** Header names of the columns the hub does not use, skipped. */
  ignoredColumns: string[];
  separator: CsvSeparator;
};

const ROLE_WORDS: Record<string, (typeof SCHOOL_ROLES)[number]> = {
  teacher: "teacher", "giáo viên": "teacher", "giao vien": "teacher", gv: "teacher",
  student: "student", "học sinh": "student", "hoc sinh": "student", hs: "student",
  parent: "parent", "phụ huynh": "parent", "phu huynh": "parent", ph: "parent",
};
const roleWord = (v: string) => ROLE_WORDS[nfc(v).toLocaleLowerCase("vi")];

const CsvRowSchema = z
  .object({
    name: fullName,
    email: z.union([z.literal("").transform(() => undefined), email]).optional(),
    phone: z.union([z.literal("").transform(() => undefined), phone]).optional(),
    role: z
      .string()
      .transform(roleWord)
      .pipe(z.enum(SCHOOL_ROLES, { message: "errors.role_invalid" })),
    class: z.string().transform(nfc).optional(),
    birthDate: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (!v?.trim()) return undefined;
        const date = parseBirthDate(v);
        if (!date) ctx.addIssue({ code: "custom", message: "errors.birth_date_invalid" });
        return date ?? undefined;
      }),
    children: z.string().optional(),
  })
  .refine((v) => v.email || v.phone, { message: "errors.email_or_phone", path: ["email"] });

/** How a child is named in a parent's row: an email, or a phone number in any format. */
function childKey(value: string): string | null {
  if (value.includes("@")) return value.trim().toLowerCase();
  return normalizePhone(value);
}

export function temporaryPassword(): string {
  // 10 characters without look-alikes (0/O, 1/l/I), easy to read aloud or type on a phone.
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  const bytes = crypto.randomBytes(10);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/**
 * The line a CSV record starts on, from the line it ends on and its raw text: a quoted field may
 * hold line breaks (an address, a name pasted with one), and the admin looks for the record where
 * it begins. The raw text also holds the blank lines skipped before the record, and its line end.
 */
function recordStartLine(endLine: number, raw: string): number {
  const own = raw.replace(/^(?:[ \t]*\n)+/, "").replace(/\n$/, "");
  let breaks = 0;
  for (let i = own.indexOf("\n"); i !== -1; i = own.indexOf("\n", i + 1)) breaks++;
  return endLine - breaks;
}

/**
 * Import people from CSV (columns: name, email, phone, role, class, date of birth, and a parent's
 * children; other columns are skipped and named). The column separator — comma, semicolon or tab —
 * is read from the header line. Every bad row is reported by line with a reason. Unless
 * `validOnly`, nothing is written when any row is bad; the whole import is one transaction either
 * way. A parent row's children (emails or phones) are students of the same school, already in the
 * hub or in the same file; the parent is linked to each.
 */
export async function importUsersCsv(
  db: Db,
  actor: Actor,
  schoolId: string,
  csvText: string,
  opts: { validOnly?: boolean } = {},
): Promise<CsvImportReport> {
  if (!(await canAdministerSchool(db, actor, schoolId))) throw forbidden();
  // One line ending throughout: csv-parse counts "\r\n" as two lines, and line numbers must match
  // what the admin sees in an editor.
  const text = csvText.replace(/^\uFEFF/, "").replaceAll("\u0000", "").replace(/\r\n?/g, "\n");
  const separator = detectSeparator(text);
  const report: CsvImportReport = {
    total: 0, valid: 0, errors: [], imported: 0, credentials: [], committed: false, ignoredColumns: [], separator,
  };
  let rows0: { fields: string[]; line: number }[];
  try {
    const parsed = parseCsv(text, {
      skip_empty_lines: true,
      trim: true,
      // A row with the wrong number of columns is reported on its own line below, with the others.
      relax_column_count: true,
      // A quote inside a field (Nguyễn Văn "Tý") is kept as text, as people write names.
      relax_quotes: true,
      info: true,
      raw: true,
      delimiter: separator,
    }) as unknown as { record: string[]; info: { lines: number }; raw: string }[];
    rows0 = parsed.map((r) => ({ fields: r.record, line: recordStartLine(r.info.lines, r.raw) }));
  } catch (e) {
    const err = e as { lines?: number; message: string; code?: string };
    report.errors.push({ line: err.lines ?? 1, field: "file", message: "errors.csv_malformed", value: err.code });
    return report;
  }
  if (rows0.length < 2) {
    report.errors.push({ line: rows0[0]?.line ?? 1, field: "file", message: "errors.csv_empty" });
    return report;
  }
  const headerLine = rows0[0].line;
  const header = rows0[0].fields.map(csvColumn);
  rows0[0].fields.forEach((h, i) => {
    const col = header[i];
    if (!col) {
      if (nfc(h)) report.ignoredColumns.push(nfc(h));
    } else if (header.indexOf(col) !== i) {
      report.errors.push({ line: headerLine, field: col, message: "errors.csv_duplicate_column", value: nfc(h) });
    }
  });
  for (const col of ["name", "role"] as const) {
    if (!header.includes(col)) report.errors.push({ line: headerLine, field: col, message: "errors.csv_missing_column", value: col });
  }
  if (report.errors.length) return report;
  const nameAt = header.indexOf("name");
  const records = rows0.slice(1).map(({ fields, line }) => {
    const record: Record<string, string> = {};
    header.forEach((col, i) => {
      if (col) record[col] = fields[i] ?? "";
    });
    // Cells past the header's last column are an error unless empty (a spreadsheet's stray separators).
    const extra = fields.slice(header.length).some((f) => f !== "");
    return { line, record, columnsOk: fields.length === header.length || (fields.length > header.length && !extra), columns: fields.length, person: nfc(fields[nameAt] ?? "") || undefined };
  });

  report.total = records.length;
  const year = currentSchoolYear();
  const schoolClasses = await db
    .select({ id: classes.id, name: classes.name, subject: classes.subject, schoolYear: classes.schoolYear })
    .from(classes)
    .where(eq(classes.schoolId, schoolId));
  const schoolGroups = await db
    .select({ id: classGroups.id, name: classGroups.name })
    .from(classGroups)
    .where(and(eq(classGroups.schoolId, schoolId), eq(classGroups.schoolYear, year)));

  type Row = z.infer<typeof CsvRowSchema> & { line: number; person: string; classIds: string[]; groupIds: string[] };
  const rows: Row[] = [];
  const badLines = new Set<number>();
  const bad = (e: CsvRowError) => {
    report.errors.push(e);
    badLines.add(e.line);
  };
  const seenEmail = new Map<string, number>();
  const seenPhone = new Map<string, number>();
  // Every row's email and phone as written, good or bad, so a parent's child is found in the file.
  const fileKeys = new Map<string, { line: number; role: string | undefined }>();
  for (const { record, line } of records) {
    const role = roleWord(record.role ?? "");
    for (const key of [record.email ? record.email.trim().toLowerCase() : null, record.phone ? normalizePhone(record.phone) : null]) {
      if (key && !fileKeys.has(key)) fileKeys.set(key, { line, role });
    }
  }
  for (const { record, line, columnsOk, columns, person } of records) {
    if (!columnsOk) {
      bad({
        line,
        field: "row",
        message: separator === "," ? "errors.csv_column_count" : "errors.csv_column_count_semicolon",
        value: `${columns}/${header.length}`,
        person,
      });
      continue;
    }
    const parsed = CsvRowSchema.safeParse(record);
    if (!parsed.success) {
      for (const [field, message] of Object.entries(zodErrors(parsed.error.issues))) bad({ line, field, message, value: record[field], person });
      continue;
    }
    const row = parsed.data;
    const who = row.name;
    const classIds: string[] = [];
    const groupIds: string[] = [];
    for (const spec of splitList(row.class)) {
      const [name, subject] = spec.split(":").map((s) => s.trim());
      const same = (n: string) => n.toLocaleLowerCase("vi") === name.toLocaleLowerCase("vi");
      const matches = schoolClasses.filter((c) => same(c.name) && (!subject || c.subject === subject) && c.schoolYear === year);
      // A student listed with a class alone ("6A1") joins its class group, and so every subject
      // class of it (those added later too); "6A1:toan" is that one subject class only.
      const group = !subject && row.role === "student" ? schoolGroups.find((g) => same(g.name)) : undefined;
      if (matches.length === 0 && !group) bad({ line, field: "class", message: "errors.class_not_found", value: spec, person: who });
      classIds.push(...matches.map((m) => m.id));
      if (group) groupIds.push(group.id);
    }
    if (row.role === "parent" && classIds.length) bad({ line, field: "class", message: "errors.parent_no_class", value: row.class, person: who });
    if (row.role !== "parent" && splitList(row.children).length) {
      bad({ line, field: "children", message: "errors.children_only_parent", value: row.children, person: who });
    }
    if (row.email) {
      const first = seenEmail.get(row.email);
      if (first) bad({ line, field: "email", message: "errors.duplicate_in_file", value: `${row.email} (${first})`, person: who });
      else seenEmail.set(row.email, line);
    }
    if (row.phone) {
      const first = seenPhone.get(row.phone);
      if (first) bad({ line, field: "phone", message: "errors.duplicate_in_file", value: `${row.phone} (${first})`, person: who });
      else seenPhone.set(row.phone, line);
    }
    rows.push({ ...row, line, person: who, classIds, groupIds });
  }
  const taken = await conflicts(
    db,
    rows.map((r) => r.email).filter(Boolean) as string[],
    rows.map((r) => r.phone).filter(Boolean) as string[],
  );
  for (const r of rows) {
    if (r.email && taken.emails.has(r.email)) bad({ line: r.line, field: "email", message: "errors.email_taken", value: r.email, person: r.person });
    if (r.phone && taken.phones.has(r.phone)) bad({ line: r.line, field: "phone", message: "errors.phone_taken", value: r.phone, person: r.person });
  }

  // A parent's children: a good student row of this file, or a student of this school already in
  // the hub. Parents are never linked to a child of another school.
  const parentRows = rows.filter((r) => r.role === "parent" && !badLines.has(r.line) && splitList(r.children).length);
  const wanted = parentRows
    .flatMap((r) => splitList(r.children).map(childKey))
    .filter((k): k is string => k !== null && !fileKeys.has(k));
  const schoolStudents = new Map<string, string>();
  if (wanted.length) {
    const emails = wanted.filter((k) => k.includes("@"));
    const phones = wanted.filter((k) => !k.includes("@"));
    const found = await db
      .select({ id: users.id, email: users.email, phone: users.phone })
      .from(users)
      .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.orgId, schoolId), eq(memberships.role, "student")))
      .where(or(...(emails.length ? [inArray(users.email, emails)] : []), ...(phones.length ? [inArray(users.phone, phones)] : [])));
    for (const s of found) {
      if (s.email) schoolStudents.set(s.email, s.id);
      if (s.phone) schoolStudents.set(s.phone, s.id);
    }
  }
  const goodStudentByKey = new Map<string, Row>();
  for (const r of rows) {
    if (r.role !== "student" || badLines.has(r.line)) continue;
    if (r.email) goodStudentByKey.set(r.email, r);
    if (r.phone) goodStudentByKey.set(r.phone, r);
  }
  /** Per parent row: children of this file (their rows) and children already in the hub (their ids). */
  const links = new Map<number, { rows: Row[]; ids: string[] }>();
  for (const p of parentRows) {
    const found: { rows: Row[]; ids: string[] } = { rows: [], ids: [] };
    for (const value of splitList(p.children)) {
      const key = childKey(value);
      const inFile = key ? fileKeys.get(key) : undefined;
      if (!key) bad({ line: p.line, field: "children", message: "errors.child_invalid", value, person: p.person });
      else if (inFile && inFile.role === "student" && goodStudentByKey.has(key)) found.rows.push(goodStudentByKey.get(key)!);
      else if (inFile && inFile.role === "student") {
        bad({ line: p.line, field: "children", message: "errors.child_row_invalid", value, person: p.person, vars: { line: inFile.line } });
      } else if (!inFile && schoolStudents.has(key)) found.ids.push(schoolStudents.get(key)!);
      else bad({ line: p.line, field: "children", message: "errors.child_not_found", value, person: p.person });
    }
    links.set(p.line, found);
  }

  // By line; a line's errors in the order of its cells.
  report.errors.sort((a, b) => a.line - b.line);
  const good = rows.filter((r) => !badLines.has(r.line));
  report.valid = good.length;
  if ((report.errors.length > 0 && !opts.validOnly) || good.length === 0) return report;

  const prepared = await Promise.all(
    good.map(async (r) => {
      const password = temporaryPassword();
      return { r, password, passwordHash: await hashPassword(password) };
    }),
  );
  await db.transaction(async (tx) => {
    const inserted = await tx
      .insert(users)
      .values(
        prepared.map(({ r, passwordHash }) => ({
          fullName: r.name,
          sortKey: nameSortKey(r.name),
          email: r.email ?? null,
          phone: r.phone ?? null,
          birthDate: r.birthDate ?? null,
          passwordHash,
          mustChangePassword: true,
        })),
      )
      .returning({ id: users.id });
    await tx.insert(memberships).values(inserted.map((u, i) => ({ userId: u.id, orgId: schoolId, role: prepared[i].r.role })));
    const enrol = inserted.flatMap((u, i) =>
      prepared[i].r.classIds.map((classId) => ({ classId, userId: u.id, role: prepared[i].r.role as "teacher" | "student" })),
    );
    const joins = inserted.flatMap((u, i) => [...new Set(prepared[i].r.groupIds)].map((groupId) => ({ groupId, studentId: u.id })));
    if (joins.length) {
      // As a join by the group's code does (enrollInGroup): the groups are read in share mode, so a
      // subject class being added to one meanwhile enrols these students too, or is seen here.
      const groupIds = [...new Set(joins.map((j) => j.groupId))];
      await tx.select({ id: classGroups.id }).from(classGroups).where(inArray(classGroups.id, groupIds)).for("share");
      await tx.insert(classGroupMembers).values(joins).onConflictDoNothing();
      const subjectClasses = await tx.select({ id: classes.id, groupId: classes.groupId }).from(classes).where(inArray(classes.groupId, groupIds));
      for (const j of joins) {
        for (const c of subjectClasses) if (c.groupId === j.groupId) enrol.push({ classId: c.id, userId: j.studentId, role: "student" });
      }
    }
    const unique = [...new Map(enrol.map((e) => [`${e.classId}:${e.userId}`, e])).values()];
    if (unique.length) await tx.insert(classMembers).values(unique).onConflictDoNothing();

    const idOfLine = new Map(prepared.map(({ r }, i) => [r.line, inserted[i].id]));
    const pairs = prepared.flatMap(({ r }, i) => {
      const found = links.get(r.line);
      if (!found) return [];
      const childIds = [...new Set([...found.rows.map((c) => idOfLine.get(c.line)!), ...found.ids])];
      return childIds.map((studentId) => ({ parentId: inserted[i].id, studentId }));
    });
    if (pairs.length) {
      await tx.insert(parentLinks).values(pairs).onConflictDoNothing();
      // As with a parent code, the parent becomes a parent member of each school the child is a
      // student of (this one at least: children are only looked for in it).
      const schools = await tx
        .select({ userId: memberships.userId, orgId: memberships.orgId })
        .from(memberships)
        .where(and(inArray(memberships.userId, [...new Set(pairs.map((p) => p.studentId))]), eq(memberships.role, "student")));
      const parentMemberships = pairs.flatMap((p) =>
        schools.filter((s) => s.userId === p.studentId).map((s) => ({ userId: p.parentId, orgId: s.orgId, role: "parent" as const })),
      );
      if (parentMemberships.length) await tx.insert(memberships).values(parentMemberships).onConflictDoNothing();
    }
  });
  report.imported = prepared.length;
  report.committed = true;
  report.credentials = prepared.map(({ r, password }) => ({
    line: r.line,
    fullName: r.name,
    login: r.email ?? r.phone ?? "",
    password,
    role: r.role,
    classNames: [
      ...new Set([...r.classIds.map((id) => schoolClasses.find((c) => c.id === id)?.name ?? ""), ...r.groupIds.map((id) => schoolGroups.find((g) => g.id === id)?.name ?? "")]),
    ].filter(Boolean),
  }));
  return report;
}

export async function setLocale(db: Db, userId: string, locale: "vi" | "en") {
  await db.update(users).set({ locale }).where(eq(users.id, userId));
}

/**
 * Change the password; every other session of the account ends (the current one stays). The
 * current password is checked with the same throttle as sign-in.
 */
export async function changePassword(
  db: Db,
  userId: string,
  raw: { current: string; next: string },
  ctx: { address: string; keepSessionId?: string },
): Promise<Result<null>> {
  const next = PasswordSchema.safeParse(raw.next);
  if (!next.success) return fail({ newPassword: next.error.issues[0].message });
  const check = await checkCurrentPassword(db, userId, raw.current, ctx.address);
  if (!check.ok) return fail({ currentPassword: check.retryAt ? "errors.password_throttled" : "errors.password_wrong" }, check.retryAt);
  const passwordHash = await hashPassword(next.data);
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, mustChangePassword: false }).where(eq(users.id, userId));
    await tx
      .delete(sessions)
      .where(ctx.keepSessionId ? and(eq(sessions.userId, userId), ne(sessions.id, ctx.keepSessionId)) : eq(sessions.userId, userId));
  });
  return ok(null);
}

/** Schools an admin may manage, with their names, for pickers and dashboards. */
export async function listAdministeredSchools(db: Db, actor: Actor) {
  const ids = await administeredSchoolIds(db, actor);
  if (ids.length === 0) return [];
  return db
    .select({ id: organizations.id, name: organizations.name, code: organizations.code, level: organizations.level })
    .from(organizations)
    .where(inArray(organizations.id, ids))
    .orderBy(asc(organizations.name));
}
