/**
 * OneRoster 1.1 / 1.2 CSV import into one school: orgs → the school, academic sessions → school
 * years, courses and classes → the hub's classes, users → people (matched by link or email, never
 * across schools), roles (1.2), agents → parent links, demographics → dates of birth, enrollments →
 * class members.
 *
 * Files are streamed (csv-parse) and each row checked as it comes; good rows go in batches into
 * temporary staging tables, and the hub is then changed by set-based statements — the whole import
 * is one transaction, and nothing is written when any row is bad (every bad cell is reported as
 * `file.csv:line:column: reason`). A dry run does the same work and rolls it back.
 *
 * What the hub keeps of the bundle is in external_links (source `oneroster:<schoolId>`), with a hash
 * of each row as `version`: a re-import of the same bundle changes nothing; a changed row updates in
 * place; what left a bulk file (or is `tobedeleted` in a delta) is archived — classes get
 * `archived_at`, people keep their account and only their link is archived, enrollments end (the
 * class member is removed, as the hub does when a student leaves a class).
 * An enrollment's link holds the student's or teacher's user id as local_id and `<classId> <hash>`
 * as version, so that an enrollment that left can be ended without the bundle.
 */
import crypto from "node:crypto";
import type { Writable } from "node:stream";
import { sql, type SQL } from "drizzle-orm";
import { selectRows, type Db, type DbOrTx } from "../../../db/client.server.ts";
import { translate, type Locale } from "../../i18n/index.ts";
import { currentSchoolYear } from "../../lib/curriculum.ts";
import {
  READ_ORDER, Row, formatRosterError, hubRole, readClass, readCourse, readDemographic, readEnrollment, readHeader, readManifest,
  readOrg, readRole, readSession, readUser,
  type CourseRow, type Header, type Manifest, type Mode, type OrgRow, type RosterError, type RosterFile, type SessionRow,
} from "../../lib/oneroster.ts";
import { generateJoinCode } from "../classes.server.ts";
import { BUNDLE_LIMITS, BundleError, openBundle, readCsv, type Bundle } from "./bundle.server.ts";

export type FileCounts = { created: number; updated: number; unchanged: number; archived: number; skipped: number };
export type RosterSkip = { file: string; line: number; kind: string; externalId: string; reason: string };
export type RosterReport = {
  ok: boolean;
  dryRun: boolean;
  version?: "1.1" | "1.2";
  school?: { id: string; code: string; name: string };
  /** Per file read (users.csv …), plus "parentLinks". */
  files: Record<string, FileCounts>;
  errors: RosterError[];
  /** Errors found in all (only the first MAX_ERRORS are listed). */
  errorCount: number;
  skips: RosterSkip[];
  runId?: string;
};

export type RosterImportOptions = {
  /** The school, by id (admin page) or code (CLI `--school`); else the org whose identifier is a school's code. */
  schoolId?: string;
  schoolCode?: string;
  /** Restrict the school to these (a school admin's, a province admin's). */
  allowedSchoolIds?: string[];
  dryRun?: boolean;
  /** Bounds on a zip (tests lower them). */
  limits?: typeof BUNDLE_LIMITS;
  /** Called with progress lines (the benchmark prints them). */
  log?: (line: string) => void;
  /** Log each statement of the import that takes 100 ms or more, with its duration (the benchmark's --profile). */
  profile?: boolean;
};

export const MAX_ERRORS = 200;
const BATCH = 5000;

const FILE_NAMES: Record<Exclude<RosterFile, "manifest">, string> = {
  orgs: "orgs.csv", academicSessions: "academicSessions.csv", courses: "courses.csv", classes: "classes.csv", users: "users.csv",
  roles: "roles.csv", enrollments: "enrollments.csv", demographics: "demographics.csv",
};

/** A row error in the reader's language: `users.csv:4:13: reason`. */
export function rosterErrorText(e: RosterError, locale: Locale = "vi"): string {
  return formatRosterError(e, (key, vars) => translate(locale, key, vars));
}

class Refused extends Error {}
class DryRunDone extends Error {}

const emptyCounts = (): FileCounts => ({ created: 0, updated: 0, unchanged: 0, archived: 0, skipped: 0 });
const md5 = (v: unknown) => crypto.createHash("md5").update(JSON.stringify(v)).digest("hex");

/** The transaction, with each slow statement's time sent to the log. */
function profiled<T extends DbOrTx>(tx: T, log: (line: string) => void): T {
  return new Proxy(tx, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== "execute") return typeof value === "function" ? value.bind(target) : value;
      return async (query: SQL) => {
        const re = process.env.ROSTER_EXPLAIN;
        if (re) {
          const text = (target as unknown as { dialect: { sqlToQuery(q: SQL): { sql: string } } }).dialect.sqlToQuery(query).sql;
          if (new RegExp(re).test(text)) {
            const plan = (await (value as (q: SQL) => Promise<unknown>).call(target, sql`explain (analyze, buffers) ${query}`)) as { "QUERY PLAN": string }[];
            log("PLAN\n" + plan.map((r) => r["QUERY PLAN"]).join("\n"));
          }
        }
        const t = performance.now();
        try {
          return await (value as (q: SQL) => Promise<unknown>).call(target, query);
        } finally {
          const ms = performance.now() - t;
          if (ms >= 100) {
            const text = (target as unknown as { dialect: { sqlToQuery(q: SQL): { sql: string } } }).dialect.sqlToQuery(query).sql;
            log(`${(ms / 1000).toFixed(2)} s  ${text.replace(/\s+/g, " ").slice(0, 160)}`);
          }
        }
      };
    },
  });
}

type Cell = string | number | boolean | null | undefined;

/** A value as COPY's text format writes it: `\N` for null, backslash, tab and line breaks escaped. */
function copyText(v: Cell): string {
  if (v === null || v === undefined) return "\\N";
  if (typeof v === "boolean") return v ? "t" : "f";
  if (typeof v === "number") return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r")) : v;
}

/** The postgres.js transaction under a Drizzle one, when there is one (PGlite has no COPY from a stream). */
type CopyClient = { unsafe(query: string): { writable(): Promise<Writable> } };
function copyClient(tx: DbOrTx): CopyClient | undefined {
  const client = (tx as unknown as { session?: { client?: { unsafe?: unknown } } }).session?.client;
  return client && typeof client.unsafe === "function" && "savepoint" in client ? (client as unknown as CopyClient) : undefined;
}

/**
 * Rows into a temporary table. On PostgreSQL a `COPY … FROM STDIN` stream, written while the file
 * is read (the server stores rows while the next ones are parsed); on PGlite batches of one
 * `json_to_recordset` insert each. Rows are arrays in the order of the columns.
 */
class Stager {
  private rows: Cell[][] = [];
  private chunk = "";
  private stream?: Writable;
  private failed?: Error;
  count = 0;
  constructor(
    private tx: DbOrTx,
    readonly table: string,
    private columns: [string, string][],
    private copy?: CopyClient,
  ) {}
  async create() {
    await this.tx.execute(sql.raw(`create temp table ${this.table} (${this.columns.map(([n, t]) => `${n} ${t}`).join(", ")}) on commit drop`));
  }
  /** A promise only when the stream is full (await it before the next row). */
  add(row: Cell[]): Promise<void> | void {
    this.count++;
    if (this.copy) {
      let line = "";
      for (let i = 0; i < row.length; i++) line += (i ? "\t" : "") + copyText(row[i]);
      this.chunk += line + "\n";
      if (this.chunk.length >= 1 << 16) return this.write();
      return;
    }
    this.rows.push(row);
    if (this.rows.length >= BATCH) return this.flushJson();
  }
  private async write() {
    if (!this.stream) {
      this.stream = await this.copy!.unsafe(`copy ${this.table} (${this.columns.map(([n]) => n).join(", ")}) from stdin`).writable();
      this.stream.on("error", (e) => (this.failed ??= e));
    }
    const text = this.chunk;
    this.chunk = "";
    if (this.failed) throw this.failed;
    if (!this.stream.write(text)) await new Promise<void>((resolve, reject) => {
      const s = this.stream!;
      const done = (e?: Error) => (s.off("drain", done), s.off("error", done), e ? reject(e) : resolve());
      s.once("drain", done);
      s.once("error", done);
    });
  }
  private async flushJson() {
    if (!this.rows.length) return;
    const body = JSON.stringify(this.rows.map((r) => Object.fromEntries(this.columns.map(([n], i) => [n, r[i] ?? null]))));
    this.rows = [];
    const cols = this.columns.map(([n]) => n).join(", ");
    const types = this.columns.map(([n, t]) => `${n} ${t}`).join(", ");
    await this.tx.execute(sql`${sql.raw(`insert into ${this.table} (${cols}) select ${cols} from json_to_recordset(`)}${body}${sql.raw(`::json) as x(${types})`)}`);
  }
  /** The last rows written and the COPY ended. */
  async flush() {
    if (!this.copy) return this.flushJson();
    if (this.chunk) await this.write();
    const s = this.stream;
    if (!s) return;
    this.stream = undefined;
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.end(() => resolve());
    });
    if (this.failed) throw this.failed;
  }
  /** A COPY left open (the file broke off with an error) is cancelled, so the transaction can roll back. */
  abort() {
    const s = this.stream;
    this.stream = undefined;
    if (s && !s.destroyed) s.destroy(new Error("import stopped"));
  }
}

/**
 * Import a bundle (folder or zip path) into a school. Never throws for bad input: the report says
 * what was wrong (ok false, nothing written).
 */
export async function importOneRoster(db: Db, location: string, opts: RosterImportOptions = {}): Promise<RosterReport> {
  const report: RosterReport = { ok: false, dryRun: !!opts.dryRun, files: {}, errors: [], errorCount: 0, skips: [] };
  const addError = (e: RosterError) => {
    report.errorCount++;
    if (report.errors.length < MAX_ERRORS) report.errors.push(e);
  };
  let bundle: Bundle | undefined;
  try {
    bundle = await openBundle(location, opts.limits);
    await runImport(db, bundle, opts, report, addError);
  } catch (e) {
    if (e instanceof BundleError) addError(e.error);
    else if (!(e instanceof Refused) && !(e instanceof DryRunDone)) throw e;
  } finally {
    bundle?.close();
  }
  report.ok = report.errorCount === 0;
  if (!report.ok) report.runId = undefined;
  return report;
}

async function readSmall(bundle: Bundle, name: string): Promise<{ cells: string[]; line: number }[]> {
  const rows = [];
  for await (const r of readCsv(await bundle.open(name), name)) rows.push(r);
  return rows;
}

async function runImport(db: Db, bundle: Bundle, opts: RosterImportOptions, report: RosterReport, addError: (e: RosterError) => void) {
  const log = opts.log ?? (() => {});
  const manifestName = bundle.find("manifest.csv");
  if (!manifestName) throw new BundleError({ file: "manifest.csv", line: 0, column: 0, key: "manifestMissing" });
  const manifestRows = await readSmall(bundle, manifestName);
  const { manifest, errors: manifestErrors } = readManifest(manifestRows, manifestName);
  manifestErrors.forEach(addError);
  report.version = manifest.version;
  const present = new Map<RosterFile, { name: string; mode: Mode }>();
  for (const file of READ_ORDER) {
    const declared = manifest.files.get(file);
    const name = bundle.find(FILE_NAMES[file as Exclude<RosterFile, "manifest">]);
    if ((declared === "bulk" || declared === "delta") && !name) {
      const line = manifestRows.find((r) => r.cells[0]?.trim() === `file.${file}`)?.line ?? 1;
      addError({ file: manifestName, line, column: 2, key: "manifestFileMissing", vars: { property: `file.${file}`, value: declared, name: FILE_NAMES[file as Exclude<RosterFile, "manifest">] } });
    }
    // A file the manifest leaves out or calls absent is not read (the spec's "absent").
    if (name && (declared === "bulk" || declared === "delta")) present.set(file, { name, mode: declared });
  }
  if (report.errorCount) throw new Refused();

  // Small files first, in memory: orgs, sessions, courses.
  const headers = new Map<RosterFile, Header>();
  async function* rows(file: RosterFile) {
    const f = present.get(file);
    if (!f) return;
    let header: Header | undefined;
    for await (const rec of readCsv(await bundle.open(f.name), f.name)) {
      if (!header) {
        const h = readHeader(file, f.name, rec.cells);
        h.errors.forEach(addError);
        if (h.errors.length) return;
        header = h.header;
        headers.set(file, header);
        continue;
      }
      const errors: RosterError[] = [];
      const row = new Row(header, rec.cells, f.name, rec.line, errors);
      if (rec.cells.slice(header.width).some((c) => c.trim() !== "")) {
        addError({ file: f.name, line: rec.line, column: header.width + 1, key: "columnCount", vars: { count: rec.cells.length, expected: header.width } });
        continue;
      }
      yield { row, errors, flush: () => errors.forEach(addError) };
    }
  }

  const orgs = new Map<string, OrgRow>();
  for await (const { row, flush } of rows("orgs")) {
    const o = readOrg(row);
    flush();
    if (orgs.has(o.sourcedId)) row.bad("sourcedId", "duplicateId", { value: o.sourcedId, line: orgs.get(o.sourcedId)!.line });
    else orgs.set(o.sourcedId, o);
    flush();
  }
  const sessions = new Map<string, SessionRow>();
  for await (const { row, flush } of rows("academicSessions")) {
    const s = readSession(row);
    flush();
    sessions.set(s.sourcedId, s);
  }
  const courses = new Map<string, CourseRow>();
  for await (const { row, flush } of rows("courses")) {
    const c = readCourse(row);
    flush();
    courses.set(c.sourcedId, c);
  }
  if (report.errorCount) throw new Refused();

  // The school.
  const school = await resolveSchool(db, orgs, opts, addError);
  report.school = school;
  if (report.errorCount || !school) throw new Refused();
  const schoolOrgs = new Set([...orgs.values()].filter((o) => o.identifier === school.code).map((o) => o.sourcedId));
  if (schoolOrgs.size === 0) for (const o of orgs.keys()) schoolOrgs.add(o);
  const inSchool = (org: string) => orgs.size === 0 || schoolOrgs.has(org) || !orgs.has(org);
  const source = `oneroster:${school.id}`;
  const year = currentSchoolYear();

  const skip = (file: string, line: number, kind: string, externalId: string, key: string, vars: Record<string, string> = {}) => {
    report.skips.push({ file, line, kind, externalId, reason: `${file}:${line}: ${translate("vi", `roster.${key}`, vars)}` });
    (report.files[file] ??= emptyCounts()).skipped++;
  };

  try {
    await db.transaction(async (rawTx) => {
      const tx = opts.profile ? profiled(rawTx, log) : rawTx;
      const copy = copyClient(rawTx);
      // Memory for the merge's hash joins and sorts, and for the staging tables' own buffers
      // (temp_buffers can only be set before the session's first temporary table: else kept).
      await tx.execute(sql.raw(`set local work_mem = '${copy ? "256MB" : "32MB"}'`));
      await tx.execute(sql.raw(`set local maintenance_work_mem = '${copy ? "256MB" : "32MB"}'`));
      if (copy) await tx.execute(sql.raw(`do $$ begin perform set_config('temp_buffers', '256MB', true); exception when others then null; end $$`));
      const stgClasses = new Stager(tx, "stg_classes", [
        ["line", "int"], ["sid", "text"], ["status", "text"], ["name", "text"], ["grade", "int"], ["subject", "text"], ["school_year", "text"],
        ["hash", "text"], ["join_code", "text"], ["skip", "boolean"],
      ], copy);
      // agents: the row's agentSourcedIds as a JSON array (active rows of this school only).
      const stgUsers = new Stager(tx, "stg_users", [
        ["line", "int"], ["sid", "text"], ["status", "text"], ["full_name", "text"], ["sort_key", "text"], ["email", "text"], ["phone", "text"],
        ["role", "text"], ["raw_role", "text"], ["hash", "text"], ["skip", "boolean"], ["agents", "text"],
      ], copy);
      const stgRoles = new Stager(tx, "stg_roles", [["usid", "text"], ["role", "text"], ["raw_role", "text"], ["rank", "int"]], copy);
      const stgDemo = new Stager(tx, "stg_demo", [["sid", "text"], ["birth_date", "text"]], copy);
      const stgEnr = new Stager(tx, "stg_enr", [
        ["line", "int"], ["sid", "text"], ["status", "text"], ["csid", "text"], ["usid", "text"], ["role", "text"], ["raw_role", "text"], ["hash", "text"],
      ], copy);
      const stagers = [stgClasses, stgUsers, stgRoles, stgDemo, stgEnr];
      for (const s of stagers) await s.create();
      const clean = () => report.errorCount === 0;

      try {
        for await (const { row, errors, flush } of rows("classes")) {
          const c = readClass(row, courses, sessions);
          flush();
          if (errors.length || !clean()) continue;
          const grade = c.grade;
          const other = !inSchool(c.school);
          if (other) skip(row.file, row.line, "class", c.sourcedId, "skipOtherSchool", { value: c.school });
          else if (grade === undefined && c.status === "active") skip(row.file, row.line, "class", c.sourcedId, "skipGrade");
          const schoolYear = c.schoolYear ?? year;
          const wait = stgClasses.add([
            c.line, c.sourcedId, c.status, c.name, grade ?? null, c.subject, schoolYear,
            md5([c.name, grade, c.subject, schoolYear]), generateJoinCode(), other || (grade === undefined && c.status === "active"),
          ]);
          if (wait) await wait;
        }
        await stgClasses.flush();
        log(`classes.csv: ${stgClasses.count} rows read`);

        for await (const { row, errors, flush } of rows("demographics")) {
          const d = readDemographic(row);
          flush();
          if (errors.length || !clean()) continue;
          if (d.birthDate) {
            const wait = stgDemo.add([d.user, d.birthDate]);
            if (wait) await wait;
          }
        }
        await stgDemo.flush();

        for await (const { row, errors, flush } of rows("roles")) {
          const r = readRole(row);
          flush();
          if (errors.length || !clean() || r.status !== "active" || !inSchool(r.org)) continue;
          const role = hubRole(r.role);
          const wait = stgRoles.add([r.user, role, r.role, (r.primary ? 0 : 10) + (role ? 0 : 1)]);
          if (wait) await wait;
        }
        await stgRoles.flush();

        for await (const { row, errors, flush } of rows("users")) {
          const u = readUser(row, manifest.version);
          flush();
          if (errors.length || !clean()) continue;
          const other = u.orgs.length > 0 && !u.orgs.some(inSchool);
          if (other) skip(row.file, row.line, "user", u.sourcedId, "skipOtherSchool", { value: u.orgs.join(", ") });
          const wait = stgUsers.add([
            u.line, u.sourcedId, u.status, u.fullName, u.sortKey, u.email, u.phone, u.role ? hubRole(u.role) : null, u.role ?? null,
            md5([u.fullName, u.email, u.phone]), other, u.status === "active" && !other && u.agents.length ? JSON.stringify(u.agents) : null,
          ]);
          if (wait) await wait;
        }
        await stgUsers.flush();
        log(`users.csv: ${stgUsers.count} rows read`);

        for await (const { row, errors, flush } of rows("enrollments")) {
          const e = readEnrollment(row);
          flush();
          if (errors.length || !clean()) continue;
          const role = e.role === "student" ? "student" : e.role === "teacher" || e.role === "proctor" ? "teacher" : null;
          const wait = stgEnr.add([e.line, e.sourcedId, e.status, e.cls, e.user, role, e.role, md5([e.cls, e.user, role])]);
          if (wait) await wait;
        }
        await stgEnr.flush();
        log(`enrollments.csv: ${stgEnr.count} rows read`);
      } finally {
        for (const s of stagers) s.abort();
      }
      if (!clean()) throw new Refused();
      // One row per agent, in the order the users file names them.
      await tx.execute(sql.raw(`create temp table stg_agents on commit drop as
        select u.line, u.sid, a.agent from stg_users u cross join lateral json_array_elements_text(u.agents::json) with ordinality as a(agent, n)
        where u.agents is not null order by u.line, a.n`));

      // The run is written first (its counts at the end), so that each link made now names it.
      const [run] = await selectRows<{ id: string }>(
        tx,
        sql`insert into sync_runs (source, school_id, kind, status, counts, finished_at)
            values (${source}, ${school.id}, 'oneroster_import', 'succeeded', '{}'::jsonb, now()) returning id`,
      );
      // The bundle's orgs that are this school, linked to it (so the hub knows which ids a delta may name).
      const orgFile = present.get("orgs")?.name;
      if (orgFile) {
        const list = [...orgs.values()].filter((o) => schoolOrgs.has(o.sourcedId)).map((o) => ({ sid: o.sourcedId, hash: md5([o.name, o.type, o.identifier]) }));
        const [oc] = await selectRows<{ created: number; updated: number }>(tx, sql`with x as (select * from json_to_recordset(${JSON.stringify(list)}::json) as x(sid text, hash text)),
            old as (select l.external_id, l.version from external_links l join x on x.sid = l.external_id where l.source = ${source} and l.kind = 'org'),
            up as (insert into external_links (source, kind, external_id, local_id, school_id, version, last_seen_run_id)
              select ${source}, 'org', sid, ${school.id}::uuid, ${school.id}::uuid, hash, ${run.id}::uuid from x
              where not exists (select 1 from old where old.external_id = x.sid and old.version = x.hash)
              on conflict (source, kind, external_id) do update set version = excluded.version, archived_at = null, updated_at = now(),
      last_seen_run_id = coalesce(external_links.last_seen_run_id, excluded.last_seen_run_id) returning 1)
          select (select count(*) from x where not exists (select 1 from old where old.external_id = x.sid)) as created,
                 (select count(*) from x join old on old.external_id = x.sid and old.version <> x.hash) as updated`);
        const counts = (report.files[orgFile] ??= emptyCounts());
        counts.created += n(oc.created);
        counts.updated += n(oc.updated);
        counts.unchanged += list.length - n(oc.created) - n(oc.updated);
        counts.skipped += orgs.size - list.length;
      }

      // Statistics and indexes for the set-based merges (temporary tables are never auto-analyzed).
      for (const [table, cols] of [["stg_classes", ["join_code"]], ["stg_roles", ["usid"]], ["stg_demo", ["sid"]]] as const) {
        for (const c of cols) await tx.execute(sql.raw(`create index on ${table} (${c})`));
      }
      for (const table of ["stg_classes", "stg_users", "stg_agents", "stg_roles", "stg_demo", "stg_enr"]) await tx.execute(sql.raw(`analyze ${table}`));

      const ctx: MergeContext = { tx, source, schoolId: school.id, runId: run.id, headers, present, report, addError, skip, log };
      await mergeClasses(ctx, stgClasses.count > 0);
      await mergeUsers(ctx, stgUsers.count > 0);
      await mergeEnrollments(ctx, stgEnr.count > 0);
      if (!clean()) throw new Refused();

      if (opts.dryRun) throw new DryRunDone();
      await tx.execute(sql`update sync_runs set counts = ${JSON.stringify({ version: manifest.version, files: report.files })}::jsonb where id = ${run.id}::uuid`);
      report.runId = run.id;
      for (let i = 0; i < report.skips.length; i += BATCH) {
        const part = report.skips.slice(i, i + BATCH).map((s) => ({ kind: s.kind, external_id: s.externalId, reason: s.reason }));
        await tx.execute(sql`insert into sync_skips (run_id, kind, external_id, reason)
          select ${run.id}::uuid, kind, external_id, reason from json_to_recordset(${JSON.stringify(part)}::json) as x(kind text, external_id text, reason text)`);
      }
    });
  } catch (e) {
    if (e instanceof DryRunDone) return;
    throw e;
  }
}

async function resolveSchool(db: Db, orgs: Map<string, OrgRow>, opts: RosterImportOptions, addError: (e: RosterError) => void) {
  type School = { id: string; code: string; name: string };
  if (opts.schoolId || opts.schoolCode) {
    const [s] = await selectRows<School>(
      db,
      opts.schoolId
        ? sql`select id, code, name from organizations where kind = 'school' and id = ${opts.schoolId}::uuid`
        : sql`select id, code, name from organizations where kind = 'school' and code = ${opts.schoolCode!}`,
    );
    if (!s || (opts.allowedSchoolIds && !opts.allowedSchoolIds.includes(s.id))) {
      addError({ file: "--school", line: 0, column: 0, key: "schoolUnknown", vars: { value: opts.schoolCode ?? opts.schoolId ?? "" } });
      return undefined;
    }
    return s;
  }
  const identifiers = [...new Set([...orgs.values()].map((o) => o.identifier).filter(Boolean))];
  const found = identifiers.length
    ? await selectRows<School>(db, sql`select id, code, name from organizations where kind = 'school' and code in ${sql`(${sql.join(identifiers.map((i) => sql`${i}`), sql`, `)})`}`)
    : [];
  const allowed = found.filter((s) => !opts.allowedSchoolIds || opts.allowedSchoolIds.includes(s.id));
  if (allowed.length === 1) return allowed[0];
  const line = allowed.length ? Math.min(...[...orgs.values()].filter((o) => allowed.some((s) => s.code === o.identifier)).map((o) => o.line)) : 1;
  addError({ file: "orgs.csv", line, column: 0, key: allowed.length ? "schoolMany" : "schoolNotFound", vars: { value: allowed.map((s) => s.code).join(", ") } });
  return undefined;
}

type MergeContext = {
  tx: DbOrTx;
  source: string;
  schoolId: string;
  /** This import's sync run: a link made by it names it as last_seen_run_id. */
  runId: string;
  headers: Map<RosterFile, Header>;
  present: Map<RosterFile, { name: string; mode: Mode }>;
  report: RosterReport;
  addError: (e: RosterError) => void;
  skip: (file: string, line: number, kind: string, externalId: string, key: string, vars?: Record<string, string>) => void;
  log: (line: string) => void;
};

const q = <T>(ctx: MergeContext, query: SQL) => selectRows<T>(ctx.tx, query);
const n = (v: unknown) => Number(v ?? 0);

function colOf(ctx: MergeContext, file: RosterFile, column: string): number {
  const h = ctx.headers.get(file);
  return h ? (h.at.get(column) ?? h.width) + 1 : 1;
}

/** Lines whose sourcedId an earlier line of the same file already has. */
async function duplicateIds(ctx: MergeContext, file: RosterFile, table: string) {
  const rows = await q<{ sid: string; line: number; first: number }>(
    ctx,
    sql.raw(`select sid, line, first from (select sid, line, min(line) over (partition by sid) as first from ${table}) d where line <> first order by line limit ${MAX_ERRORS}`),
  );
  const name = ctx.present.get(file)!.name;
  for (const r of rows) ctx.addError({ file: name, line: n(r.line), column: colOf(ctx, file, "sourcedId"), key: "duplicateId", vars: { value: r.sid, line: n(r.first) } });
}

/** Link rows of a kind, matched to staging by sourcedId; status of each row. */
async function mergeClasses(ctx: MergeContext, any: boolean) {
  const { source, schoolId, tx } = ctx;
  const f = ctx.present.get("classes");
  await tx.execute(sql.raw(`create index on stg_classes (sid)`));
  await tx.execute(sql.raw(`alter table stg_classes add column local_id uuid, add column old_version text, add column was_archived boolean, add column is_new boolean not null default false, add column adopted boolean not null default false`));
  if (!f && !any) return;
  const file = f?.name ?? "classes.csv";
  const counts = (ctx.report.files[file] ??= emptyCounts());
  await duplicateIds(ctx, "classes", "stg_classes");
  if (ctx.report.errorCount) return;
  // Two rows naming the same class of the hub (same name, subject and school year).
  const twins = await q<{ line: number; first: number; name: string; subject: string; school_year: string }>(
    ctx,
    sql.raw(`select line, first, name, subject, school_year from (select line, name, subject, school_year, min(line) over (partition by name, subject, school_year) as first
      from stg_classes where status = 'active' and not skip) d where line <> first order by line limit ${MAX_ERRORS}`),
  );
  for (const t of twins) {
    ctx.addError({ file, line: n(t.line), column: colOf(ctx, "classes", "title"), key: "duplicateId", vars: { value: `${t.name} (${t.subject}, ${t.school_year})`, line: n(t.first) } });
  }
  if (ctx.report.errorCount) return;
  await ctx.tx.execute(sql`update stg_classes s set local_id = l.local_id, old_version = l.version, was_archived = l.archived_at is not null
    from external_links l where l.source = ${source} and l.kind = 'class' and l.external_id = s.sid`);
  await ctx.tx.execute(sql`update stg_classes s set local_id = c.id, adopted = true from classes c
    where s.local_id is null and s.status = 'active' and not s.skip and c.school_id = ${schoolId}::uuid and c.name = s.name and c.subject = s.subject and c.school_year = s.school_year`);
  await ctx.tx.execute(sql`update stg_classes set local_id = gen_random_uuid(), is_new = true where local_id is null and status = 'active' and not skip`);
  // Join codes are random; one taken already (by a class or a class group) is drawn again.
  for (;;) {
    const taken = await q<{ sid: string }>(ctx, sql`select s.sid from stg_classes s where s.is_new and (exists (select 1 from classes c where c.join_code = s.join_code)
      or exists (select 1 from class_groups g where g.join_code = s.join_code)
      or s.line <> (select min(o.line) from stg_classes o where o.join_code = s.join_code))`);
    if (!taken.length) break;
    for (const t of taken) await ctx.tx.execute(sql`update stg_classes set join_code = ${generateJoinCode()} where sid = ${t.sid}`);
  }
  const [c] = await q<Record<string, number>>(ctx, sql`select
      count(*) filter (where is_new) as created,
      count(*) filter (where status = 'active' and not skip and not is_new and (adopted or was_archived or old_version is distinct from hash)) as updated,
      count(*) filter (where status = 'active' and not skip and not is_new and not adopted and not was_archived and old_version = hash) as unchanged,
      count(*) filter (where status = 'tobedeleted' and local_id is not null and not was_archived) as archived,
      count(*) filter (where status = 'tobedeleted' and (local_id is null or was_archived)) as gone
    from stg_classes`);
  counts.created += n(c.created);
  counts.updated += n(c.updated);
  counts.unchanged += n(c.unchanged) + n(c.gone);
  counts.archived += n(c.archived);
  await ctx.tx.execute(sql`insert into classes (id, school_id, name, grade, subject, school_year, join_code)
    select local_id, ${schoolId}::uuid, name, grade, subject, school_year, join_code from stg_classes where is_new`);
  await ctx.tx.execute(sql`update classes c set name = s.name, grade = s.grade, subject = s.subject, school_year = s.school_year, archived_at = null
    from stg_classes s where c.id = s.local_id and s.status = 'active' and not s.skip and not s.is_new and (s.adopted or s.was_archived or s.old_version is distinct from s.hash)`);
  await ctx.tx.execute(sql`insert into external_links (source, kind, external_id, local_id, school_id, version, last_seen_run_id)
    select ${source}, 'class', sid, local_id, ${schoolId}::uuid, hash, ${ctx.runId}::uuid from stg_classes
    where status = 'active' and not skip and (is_new or adopted or was_archived or old_version is distinct from hash)
    on conflict (source, kind, external_id) do update set local_id = excluded.local_id, version = excluded.version, archived_at = null, updated_at = now(),
      last_seen_run_id = coalesce(external_links.last_seen_run_id, excluded.last_seen_run_id)`);
  // Archived: tobedeleted rows, and in a bulk file every linked class the file no longer has.
  const bulk = f?.mode === "bulk";
  const [gone] = await q<{ n: number }>(ctx, sql`with g as (update external_links l set archived_at = now(), updated_at = now()
    where l.source = ${source} and l.kind = 'class' and l.archived_at is null and (
      exists (select 1 from stg_classes s where s.sid = l.external_id and s.status = 'tobedeleted')
      or (${bulk} and not exists (select 1 from stg_classes s where s.sid = l.external_id)))
    returning l.local_id),
    a as (update classes set archived_at = now() where archived_at is null and id in (select local_id from g) returning 1)
    select count(*) as n from g`);
  counts.archived += n(gone?.n) - n(c.archived);
}

async function mergeUsers(ctx: MergeContext, any: boolean) {
  const { source, schoolId, tx } = ctx;
  const f = ctx.present.get("users");
  if (!f && !any) {
    // No users: the enrollments still look people up here (and then by their links).
    await tx.execute(sql.raw(`alter table stg_users add column local_id uuid`));
    return;
  }
  const file = f?.name ?? "users.csv";
  const counts = (ctx.report.files[file] ??= emptyCounts());
  await duplicateIds(ctx, "users", "stg_users");
  // One email, one person: a second row with it is an error.
  const twins = await q<{ line: number; first: number; email: string }>(ctx, sql.raw(`select line, first, email from (select line, email, min(line) over (partition by email) as first
      from stg_users where email is not null and status = 'active' and not skip) d where line <> first order by line limit ${MAX_ERRORS}`));
  for (const t of twins) ctx.addError({ file, line: n(t.line), column: colOf(ctx, "users", "email"), key: "emailDuplicate", vars: { value: t.email, line: n(t.first) } });
  if (ctx.report.errorCount) return;
  // Each row resolved in one pass (a temporary table made anew, rather than one update after
  // another of a million rows): its role (1.1's column, else the user's best role in roles.csv,
  // primary first, one the hub has), date of birth, the hash kept as the link's version, the
  // person it is (by link, else an account with its email — adopted — else a new one), and whether
  // its phone is kept (a phone number is a contact, not an identity: one another account or an
  // earlier row has is not kept).
  await tx.execute(sql`create temp table stg_users2 on commit drop as
    select r.*, case when r.phone is not null and (pu.id <> r.local_id
        or r.line <> min(r.line) filter (where r.status = 'active' and not r.skip) over (partition by r.phone)) then null else r.phone end as kept_phone
    from (
      select s.line, s.sid, s.status, s.full_name, s.sort_key, s.email, s.phone, s.hash, s.agents, x.role, x.raw_role,
        s.skip as skip0, x.skip, d.birth_date, md5(s.hash || coalesce(d.birth_date::text, '') || coalesce(x.role, '')) as final_hash,
        l.version as old_version, case when l.id is not null then l.archived_at is not null end as was_archived,
        coalesce(l.local_id, a.id, case when x.live then gen_random_uuid() end) as local_id,
        l.local_id is null and a.id is not null as adopted,
        l.local_id is null and a.id is null and x.live as is_new
      from stg_users s
      left join (select distinct on (usid) usid, role, raw_role from stg_roles order by usid, rank) ro on s.raw_role is null and ro.usid = s.sid
      cross join lateral (select case when ro.usid is not null then ro.role else s.role end as role, case when ro.usid is not null then ro.raw_role else s.raw_role end as raw_role) x0
      cross join lateral (select x0.role, x0.raw_role, s.skip or (s.status = 'active' and x0.role is null) as skip,
        s.status = 'active' and not s.skip and x0.role is not null as live) x
      left join (select distinct on (sid) sid, birth_date::date as birth_date from stg_demo order by sid) d on d.sid = s.sid
      left join external_links l on l.source = ${source} and l.kind = 'user' and l.external_id = s.sid
      left join users a on l.local_id is null and x.live and s.email is not null and a.email = s.email
    ) r
    left join users pu on pu.phone = r.phone`);
  await tx.execute(sql.raw(`drop table stg_users`));
  await tx.execute(sql.raw(`alter table stg_users2 drop column phone`));
  await tx.execute(sql.raw(`alter table stg_users2 rename column kept_phone to phone`));
  await tx.execute(sql.raw(`alter table stg_users2 rename to stg_users`));
  await tx.execute(sql.raw(`create index on stg_users (sid)`));
  await tx.execute(sql.raw(`analyze stg_users`));
  // People without a role the hub imports: skipped (administrators are named on the admin pages).
  const noRole = await q<{ line: number; sid: string; raw_role: string | null }>(ctx, sql`select line, sid, raw_role from stg_users where status = 'active' and not skip0 and role is null order by line`);
  for (const r of noRole) ctx.skip(file, n(r.line), "user", r.sid, r.raw_role ? "skipRole" : "skipNoRole", { value: r.raw_role ?? "" });
  // Never matched across schools: an email of a person who belongs to other schools and not this one.
  const foreign = await q<{ line: number; email: string }>(ctx, sql`select s.line, s.email from stg_users s where s.adopted
      and exists (select 1 from memberships m join organizations o on o.id = m.org_id where m.user_id = s.local_id and o.kind = 'school' and m.org_id <> ${schoolId}::uuid)
      and not exists (select 1 from memberships m where m.user_id = s.local_id and m.org_id = ${schoolId}::uuid) order by s.line limit ${MAX_ERRORS}`);
  for (const r of foreign) ctx.addError({ file, line: n(r.line), column: colOf(ctx, "users", "email"), key: "emailOtherSchool", vars: { value: r.email } });
  // A linked person whose new email is another account's.
  const taken = await q<{ line: number; email: string; foreign: boolean }>(ctx, sql`select s.line, s.email,
        exists (select 1 from memberships m join organizations o on o.id = m.org_id where m.user_id = u.id and o.kind = 'school' and m.org_id <> ${schoolId}::uuid)
        and not exists (select 1 from memberships m where m.user_id = u.id and m.org_id = ${schoolId}::uuid) as foreign
      from stg_users s join users u on u.email = s.email
      where not s.adopted and not s.is_new and s.local_id is not null and u.id <> s.local_id and not s.skip and s.status = 'active' order by s.line limit ${MAX_ERRORS}`);
  for (const r of taken) {
    ctx.addError({ file, line: n(r.line), column: colOf(ctx, "users", "email"), key: r.foreign ? "emailOtherSchool" : "emailTaken", vars: { value: r.email } });
  }
  if (ctx.report.errorCount) return;
  const changedWhere = (p = "") => `${p}status = 'active' and not ${p}skip and not ${p}is_new and (${p}adopted or ${p}was_archived or ${p}old_version is distinct from ${p}final_hash)`;
  const changed = changedWhere();
  const [c] = await q<Record<string, number>>(ctx, sql.raw(`select
      count(*) filter (where is_new) as created,
      count(*) filter (where ${changed}) as updated,
      count(*) filter (where status = 'active' and not skip and not is_new and not (adopted or was_archived or old_version is distinct from final_hash)) as unchanged
    from stg_users`));
  counts.created += n(c.created);
  counts.updated += n(c.updated);
  counts.unchanged += n(c.unchanged);
  // Accounts made by the import have no password: people sign in with the school's Google or
  // Microsoft account, or get a temporary password from the school (Mật khẩu lớp).
  await tx.execute(sql`insert into users (id, full_name, sort_key, email, phone, birth_date)
    select local_id, full_name, sort_key, email, phone, birth_date from stg_users where is_new`);
  await tx.execute(sql.raw(`update users u set full_name = s.full_name, sort_key = s.sort_key, email = coalesce(s.email, u.email), phone = coalesce(s.phone, u.phone),
    birth_date = coalesce(s.birth_date, u.birth_date) from stg_users s where u.id = s.local_id and ${changedWhere("s.")}`));
  await tx.execute(sql.raw(`insert into memberships (user_id, org_id, role) select local_id, '${ctx.schoolId}'::uuid, role from stg_users where is_new or (${changed}) on conflict do nothing`));
  await tx.execute(sql`insert into external_links (source, kind, external_id, local_id, school_id, version, last_seen_run_id)
    select ${source}, 'user', sid, local_id, ${schoolId}::uuid, final_hash, ${ctx.runId}::uuid from stg_users where is_new or (${sql.raw(changed)})
    on conflict (source, kind, external_id) do update set local_id = excluded.local_id, version = excluded.version, archived_at = null, updated_at = now(),
      last_seen_run_id = coalesce(external_links.last_seen_run_id, excluded.last_seen_run_id)`);
  const bulk = f?.mode === "bulk";
  const gone = await q<{ n: number }>(ctx, sql`with g as (update external_links l set archived_at = now(), updated_at = now()
    where l.source = ${source} and l.kind = 'user' and l.archived_at is null and (
      exists (select 1 from stg_users s where s.sid = l.external_id and s.status = 'tobedeleted')
      or (${bulk} and not exists (select 1 from stg_users s where s.sid = l.external_id)))
    returning 1) select count(*) as n from g`);
  const [dead] = await q<{ n: number }>(ctx, sql`select count(*) as n from stg_users where status = 'tobedeleted'`);
  counts.archived += n(gone[0]?.n);
  counts.unchanged += Math.max(0, n(dead?.n) - n(gone[0]?.n));

  // Parent links from agentSourcedIds, whichever side names the other: a parent's agent is their
  // child, a student's agents are their parents. Agents who are teachers (or unknown roles) are ignored.
  await tx.execute(sql.raw(`create index on stg_agents (agent)`));
  const unknown = await q<{ line: number; agent: string }>(ctx, sql`select a.line, a.agent from stg_agents a
    where not exists (select 1 from stg_users s where s.sid = a.agent)
      and not exists (select 1 from external_links l where l.source = ${source} and l.kind = 'user' and l.external_id = a.agent)
    order by a.line limit ${MAX_ERRORS}`);
  for (const u of unknown) ctx.addError({ file, line: n(u.line), column: colOf(ctx, "users", "agentSourcedIds"), key: "unknownRef", vars: { value: u.agent, target: file } });
  if (ctx.report.errorCount) return;
  const pl = (ctx.report.files.parentLinks ??= emptyCounts());
  // The bundle's families, kept for the statement that ends the links it no longer has.
  await tx.execute(sql`create temp table stg_families on commit drop as with people as (
      select s.sid, s.local_id, s.role from stg_users s where s.local_id is not null and s.status = 'active' and not s.skip
      union all
      select l.external_id, l.local_id, (select m.role from memberships m where m.user_id = l.local_id and m.org_id = ${schoolId}::uuid and m.role in ('student', 'parent') order by m.role limit 1)
      from (select distinct a.agent from stg_agents a where not exists (select 1 from stg_users s where s.sid = a.agent)) x
      join external_links l on l.source = ${source} and l.kind = 'user' and l.external_id = x.agent and l.archived_at is null
    )
    select distinct case when me.role = 'parent' then me.local_id else ag.local_id end as parent_id,
                    case when me.role = 'parent' then ag.local_id else me.local_id end as student_id
    from stg_agents a join people me on me.sid = a.sid join people ag on ag.sid = a.agent
    where (me.role = 'parent' and ag.role = 'student') or (me.role = 'student' and ag.role = 'parent')`);
  const [links] = await q<{ created: number; total: number }>(ctx, sql`with ins as (
      insert into parent_links (parent_id, student_id, source) select parent_id, student_id, ${source} from stg_families on conflict do nothing returning 1)
    select (select count(*) from ins) as created, (select count(*) from stg_families) as total`);
  pl.created += n(links?.created);
  pl.unchanged += n(links?.total) - n(links?.created);

  // Links this school's imports made that the bundle no longer has end. A full (bulk) users file
  // holds every declaration, so every such link ends. Either side's row may declare a link, and a
  // delta holds only some rows: there a link ends when both its people are in the file and neither
  // names the other, or when one of them is tobedeleted. Links a family confirmed with a code, or
  // the hub made, have no source and stay.
  const [ended] = await q<{ n: number }>(ctx, sql`with named as (
      select l.local_id, s.status from stg_users s join external_links l on l.source = ${source} and l.kind = 'user' and l.external_id = s.sid
    ), d as (delete from parent_links p where p.source = ${source}
      and not exists (select 1 from stg_families k where k.parent_id = p.parent_id and k.student_id = p.student_id)
      and (${bulk}
        or (p.parent_id in (select local_id from named) and p.student_id in (select local_id from named))
        or exists (select 1 from named n where n.status = 'tobedeleted' and n.local_id in (p.parent_id, p.student_id)))
      returning 1) select count(*) as n from d`);
  pl.archived += n(ended?.n);
}

async function mergeEnrollments(ctx: MergeContext, any: boolean) {
  const { source, schoolId, tx } = ctx;
  const f = ctx.present.get("enrollments");
  if (!f && !any) return;
  const file = f?.name ?? "enrollments.csv";
  const counts = (ctx.report.files[file] ??= emptyCounts());
  await duplicateIds(ctx, "enrollments", "stg_enr");
  if (ctx.report.errorCount) return;
  // Each row resolved in one pass: its class and person (in this bundle, else by their links from
  // an earlier one), whether either is skipped, the version its link keeps, and its link's.
  await tx.execute(sql`create temp table stg_enr2 on commit drop as
    select r.*, case when r.status = 'active' and r.role is not null and not r.class_skip and not r.user_skip then r.class_id::text || ' ' || r.hash end as version
    from (
      select e.line, e.sid, e.status, e.csid, e.usid, e.role, e.raw_role, e.hash,
        case when c.sid is not null then c.local_id else lc.local_id end as class_id,
        case when c.sid is not null then c.skip or c.status <> 'active' else lc.archived end as class_skip,
        case when u.sid is not null then u.local_id else lu.local_id end as user_id,
        case when u.sid is not null then u.skip or u.status <> 'active' else lu.archived end as user_skip,
        le.version as old_version, case when le.id is not null then le.archived_at is not null end as was_archived
      from stg_enr e
      left join stg_classes c on c.sid = e.csid
      left join lateral (select l.local_id, l.archived_at is not null as archived from external_links l
        where c.sid is null and l.source = ${source} and l.kind = 'class' and l.external_id = e.csid) lc on true
      left join stg_users u on u.sid = e.usid
      left join lateral (select l.local_id, l.archived_at is not null as archived from external_links l
        where u.sid is null and l.source = ${source} and l.kind = 'user' and l.external_id = e.usid) lu on true
      left join external_links le on le.source = ${source} and le.kind = 'enrollment' and le.external_id = e.sid
    ) r`);
  await tx.execute(sql.raw(`drop table stg_enr`));
  await tx.execute(sql.raw(`alter table stg_enr2 rename to stg_enr`));
  await tx.execute(sql.raw(`create index on stg_enr (sid)`));
  await tx.execute(sql.raw(`analyze stg_enr`));
  const unknown = await q<{ line: number; csid: string; usid: string; which: string }>(ctx, sql`select line, csid, usid,
      case when class_skip is null then 'class' else 'user' end as which from stg_enr
    where status = 'active' and (class_skip is null or user_skip is null) order by line limit ${MAX_ERRORS}`);
  const classesName = ctx.present.get("classes")?.name ?? "classes.csv";
  const usersName = ctx.present.get("users")?.name ?? "users.csv";
  for (const u of unknown) {
    const isClass = u.which === "class";
    ctx.addError({
      file, line: n(u.line), column: colOf(ctx, "enrollments", isClass ? "classSourcedId" : "userSourcedId"), key: "unknownRef",
      vars: { value: isClass ? u.csid : u.usid, target: isClass ? classesName : usersName },
    });
  }
  if (ctx.report.errorCount) return;
  const skipped = await q<{ line: number; sid: string; csid: string; raw_role: string; why: string }>(ctx, sql`select line, sid, csid, raw_role,
      case when role is null then 'role' else 'class' end as why from stg_enr where status = 'active' and (role is null or class_skip or user_skip) order by line`);
  for (const s of skipped) {
    if (s.why === "role") ctx.skip(file, n(s.line), "enrollment", s.sid, "skipRole", { value: s.raw_role });
    else ctx.skip(file, n(s.line), "enrollment", s.sid, "skipClass", { value: s.csid });
  }
  const [c] = await q<Record<string, number>>(ctx, sql`select
      count(*) filter (where version is not null and old_version is null) as created,
      count(*) filter (where version is not null and old_version is not null and (was_archived or old_version <> version)) as updated,
      count(*) filter (where version is not null and old_version = version and not was_archived) as unchanged,
      count(*) filter (where status = 'tobedeleted' and old_version is null) as gone
    from stg_enr`);
  counts.created += n(c.created);
  counts.updated += n(c.updated);
  counts.unchanged += n(c.unchanged) + n(c.gone);
  // Ended first (tobedeleted, left a bulk file, or moved to another class), then the new ones added:
  // a person moved from one enrollment to another of the same class stays a member.
  const bulk = f?.mode === "bulk";
  const ended = await q<{ n: number }>(ctx, sql`with e as (update external_links l set archived_at = now(), updated_at = now()
    where l.source = ${source} and l.kind = 'enrollment' and l.archived_at is null and (
      exists (select 1 from stg_enr s where s.sid = l.external_id and s.status = 'tobedeleted')
      or (${bulk} and not exists (select 1 from stg_enr s where s.sid = l.external_id and s.version is not null)))
    returning l.local_id as user_id, split_part(l.version, ' ', 1)::uuid as class_id),
    d as (delete from class_members m using e where m.class_id = e.class_id and m.user_id = e.user_id
      and not exists (select 1 from stg_enr s where s.class_id = e.class_id and s.user_id = e.user_id and s.version is not null) returning 1)
    select count(*) as n from e`);
  counts.archived += n(ended[0]?.n);
  await tx.execute(sql`delete from class_members m using stg_enr s where s.version is not null and s.old_version is not null and s.old_version <> s.version
    and m.class_id = split_part(s.old_version, ' ', 1)::uuid and m.user_id = s.user_id
    and not exists (select 1 from stg_enr o where o.class_id = m.class_id and o.user_id = m.user_id and o.version is not null)`);
  await tx.execute(sql`insert into class_members (class_id, user_id, role)
    select distinct on (class_id, user_id) class_id, user_id, role from stg_enr
    where version is not null and (old_version is null or was_archived or old_version <> version)
    order by class_id, user_id, role
    on conflict (class_id, user_id) do update set role = excluded.role`);
  await tx.execute(sql`insert into external_links (source, kind, external_id, local_id, school_id, version, last_seen_run_id)
    select ${source}, 'enrollment', sid, user_id, ${schoolId}::uuid, version, ${ctx.runId}::uuid from stg_enr
    where version is not null and (old_version is null or was_archived or old_version <> version)
    on conflict (source, kind, external_id) do update set local_id = excluded.local_id, version = excluded.version, archived_at = null, updated_at = now(),
      last_seen_run_id = coalesce(external_links.last_seen_run_id, excluded.last_seen_run_id)`);
}

/** The last imports of a school: when, outcome, counts, and the rows skipped. */
export async function recentRosterImports(db: DbOrTx, schoolId: string, limit = 10) {
  const runs = await selectRows<{ id: string; status: string; counts: unknown; started_at: string | Date; finished_at: string | Date | null }>(
    db,
    sql`select id, status, counts, started_at, finished_at from sync_runs where source = ${`oneroster:${schoolId}`} order by started_at desc limit ${limit}`,
  );
  const skips = runs.length
    ? await selectRows<{ run_id: string; kind: string; external_id: string; reason: string }>(
        db,
        sql`select run_id, kind, external_id, reason from sync_skips where run_id in ${sql`(${sql.join(runs.map((r) => sql`${r.id}::uuid`), sql`, `)})`} order by id limit 500`,
      )
    : [];
  return runs.map((r) => {
    const counts = (typeof r.counts === "string" ? JSON.parse(r.counts) : r.counts) as { version?: string; files?: Record<string, FileCounts> };
    return {
      id: r.id, status: r.status, startedAt: new Date(r.started_at).toISOString(), version: counts.version ?? "", files: counts.files ?? {},
      skips: skips.filter((s) => s.run_id === r.id).map((s) => ({ kind: s.kind, externalId: s.external_id, reason: s.reason })),
    };
  });
}

export type { Manifest };
