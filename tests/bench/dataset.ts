/**
 * The benchmark's datasets: a generated province on PostgreSQL or PGlite, generated once with the
 * operator CLI and reused across runs, and the accounts the benchmark signs in as.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import type { Database } from "../../db/client.server.ts";
import { GENERATED_PASSWORD, GENERATED_PROVINCE_CODE, planProvince } from "../../db/generate.server.ts";
import { parseEnv } from "../../app/env.server.ts";
import { openConfiguredDatabase } from "../../app/server/boot.ts";

export const BENCH_SECRET = "bench-secret-key-bench-secret-key-0123456789";

export type Target = {
  kind: "postgres" | "pglite";
  /** postgres:// URL (PostgreSQL only). */
  url?: string;
  /** DATA_DIR: the embedded database for PGlite; scratch space (secret key) for PostgreSQL. */
  dataDir: string;
  /** Students to generate when the dataset does not exist yet. */
  students: number;
};

export type Accounts = {
  /** Students actually in the generated province. */
  students: number;
  password: string;
  student: { id: string; fullName: string; login: string };
  teacher: { login: string; classId: string; className: string; joinCode: string };
  parent: { login: string; childId: string; childName: string };
};

/** The environment a child process (CLI or server) needs to reach the target's database. */
export function targetEnv(target: Target): Record<string, string> {
  return { DATABASE_URL: target.kind === "postgres" ? target.url! : "", DATA_DIR: target.dataDir, SECRET_KEY: BENCH_SECRET };
}

export async function openTarget(target: Target): Promise<Database> {
  fs.mkdirSync(target.dataDir, { recursive: true });
  const config = parseEnv({ NODE_ENV: "test", ...targetEnv(target) });
  return openConfiguredDatabase(config, "benchmark set-up", { max: 2 });
}

/** Create the PostgreSQL database named in the URL when it does not exist. */
export async function ensurePgDatabase(url: string) {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`BENCH_DATABASE_URL: database name "${name}" must be lower-case letters, digits and _`);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) await sql.unsafe(`create database ${name}`);
  } finally {
    await sql.end();
  }
}

async function generatedStudents(database: Database): Promise<number | null> {
  const [table] = await database.query<{ ok: boolean }>("select to_regclass('public.organizations') is not null as ok");
  if (!table?.ok) return null;
  const [province] = await database.query<{ id: string }>("select id from organizations where code = $1", [GENERATED_PROVINCE_CODE]);
  if (!province) return null;
  const [row] = await database.query<{ n: number }>(
    `select count(*)::int as n from memberships m join organizations o on o.id = m.org_id
     where o.parent_id = $1 and m.role = 'student'`,
    [province.id],
  );
  return Number(row.n);
}

/** Generate the province with the CLI unless it is there already; return the student count. */
export async function ensureGenerated(target: Target, log: (line: string) => void): Promise<number> {
  if (target.kind === "postgres") await ensurePgDatabase(target.url!);
  const database = await openTarget(target);
  let students: number | null;
  try {
    students = await generatedStudents(database);
  } finally {
    await database.close();
  }
  if (students !== null) {
    if (students !== target.students) log(`note: reusing a dataset of ${students.toLocaleString("en")} students (asked for ${target.students.toLocaleString("en")})`);
    return students;
  }
  log(`Generating ${target.students.toLocaleString("en")} students on ${target.kind} (once; later runs reuse it)…`);
  const res = spawnSync(process.execPath, ["--import", "tsx", "app/cli.ts", "generate", "--students", String(target.students), "--seed-if-empty"], {
    stdio: "inherit",
    env: { ...process.env, ...targetEnv(target), LOG_LEVEL: "warn" },
  });
  if (res.status !== 0) throw new Error(`generation failed (exit ${res.status})`);
  return target.students;
}

/**
 * A student of a lower-secondary school in the middle of the province, the teacher of their Toán
 * class, and their first parent (signing in by phone, as parents do).
 */
export async function pickAccounts(database: Database, students: number): Promise<Accounts> {
  const schools = planProvince(students).schools;
  const thcs = schools.filter((s) => s.level === "thcs");
  const school = thcs.length ? thcs[Math.floor(thcs.length / 2)] : schools[0];
  const one = async <T>(what: string, text: string, params: unknown[]) => {
    const [row] = await database.query<T>(text, params);
    if (!row) throw new Error(`benchmark set-up: no ${what} found in the generated data`);
    return row;
  };
  const student = await one<{ id: string; full_name: string; email: string }>(
    "student",
    `select u.id, u.full_name, u.email from memberships m
       join organizations o on o.id = m.org_id join users u on u.id = m.user_id
     where o.code = $1 and m.role = 'student' order by u.email limit 1`,
    [school.code],
  );
  const cls = await one<{ id: string; name: string; join_code: string }>(
    "class",
    `select c.id, c.name, c.join_code from class_members cm join classes c on c.id = cm.class_id
     where cm.user_id = $1 and cm.role = 'student' order by (c.subject = 'toan') desc, c.subject limit 1`,
    [student.id],
  );
  const teacher = await one<{ email: string }>(
    "teacher",
    `select u.email from class_members cm join users u on u.id = cm.user_id
     where cm.class_id = $1 and cm.role = 'teacher' order by u.email limit 1`,
    [cls.id],
  );
  const parent = await one<{ email: string | null; phone: string | null }>(
    "parent",
    `select u.email, u.phone from parent_links pl join users u on u.id = pl.parent_id
     where pl.student_id = $1 order by u.email limit 1`,
    [student.id],
  );
  return {
    students,
    password: GENERATED_PASSWORD,
    student: { id: student.id, fullName: student.full_name, login: student.email },
    teacher: { login: teacher.email, classId: cls.id, className: cls.name, joinCode: cls.join_code },
    parent: {
      login: parent.phone ? `0${parent.phone.slice(3)}` : parent.email!,
      childId: student.id,
      childName: student.full_name,
    },
  };
}

/** Sign-in throttling counts attempts per address for 15 minutes; repeated runs start clean. */
export async function clearSignInThrottle(database: Database) {
  await database.query("delete from rate_limits where key like 'signin:%'");
}

/** Scratch space of the benchmarks: generated PGlite databases, the key of PostgreSQL runs. */
export const BENCH_DIR = path.join(os.tmpdir(), "lopso-bench");

/**
 * The PostgreSQL benchmark database: `url` (BENCH_DATABASE_URL) or, on the local server,
 * lopso_bench for 1,000,000 students and lopso_bench_<N> for another size.
 */
export function postgresTarget(students: number, url?: string): Target {
  const name = students === 1_000_000 ? "lopso_bench" : `lopso_bench_${students}`;
  return { kind: "postgres", url: url ?? `postgres://postgres@127.0.0.1:5432/${name}`, dataDir: path.join(BENCH_DIR, "pg-scratch"), students };
}

export function defaultPgliteDir(root: string, students: number) {
  return path.join(root, `pglite-${students}`);
}

/** The pages the benchmarks load, as `BENCH_PAGE` names them. */
export const PAGE_IDS = ["login", "today", "class", "child"] as const;

/** A page to load; `reference` pages (no sign-in, no database) calibrate the framework's own cost. */
export type Page = { id: (typeof PAGE_IDS)[number]; name: string; path: string; login?: string; expect: string[]; reference?: boolean };

export function pagesFor(accounts: Accounts): Page[] {
  const given = accounts.student.fullName.split(" ").pop()!;
  return [
    { id: "login", name: "sign-in page (reference: no session, no database)", path: "/login", expect: ["Đăng nhập"], reference: true },
    { id: "today", name: "Hôm nay (student)", path: "/today", login: accounts.student.login, expect: [`Chào ${given}!`] },
    {
      id: "class",
      name: "class page (teacher)",
      path: `/classes/${accounts.teacher.classId}`,
      login: accounts.teacher.login,
      expect: [accounts.teacher.className, accounts.teacher.joinCode, accounts.student.fullName],
    },
    { id: "child", name: "child page (parent)", path: `/children/${accounts.parent.childId}`, login: accounts.parent.login, expect: [`<h1>${accounts.parent.childName}</h1>`] },
  ];
}
