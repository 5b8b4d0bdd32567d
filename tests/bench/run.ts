/**
 * `npm run bench`: the busiest pages over HTTP on a province-scale dataset.
 *
 * For PostgreSQL (1,000,000 students) and then PGlite (100,000 students) it starts the production
 * server as a child process (on PostgreSQL once with one web process, then with one per core), signs in as a generated student, teacher and parent, checks each page
 * answers 200 with the content it should, then loads it with autocannon and reports requests/s and
 * p50/p95/p99 latency against the target (≥ 300 requests/s, p95 ≤ 100 ms). A miss is reported,
 * not failed. Results go to stdout and to tests/bench/results/*.json.
 *
 * Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/lopso_bench),
 * BENCH_STUDENTS (1000000), BENCH_PGLITE_STUDENTS (100000), BENCH_DURATION (20 s),
 * BENCH_WARMUP (5 s), BENCH_CONNECTIONS (50), BENCH_ONLY (postgres | pglite),
 * BENCH_PGLITE_DIR (a folder under the system temp dir), BENCH_COMPRESSION (1: send
 * Accept-Encoding like a browser; 0: plain responses), BENCH_WEB_PROCESSES (PostgreSQL: the web
 * process counts to measure, default "1,<cores>").
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { BENCH_DIR, clearSignInThrottle, defaultPgliteDir, ensureGenerated, openTarget, pagesFor, pickAccounts, postgresTarget, type Accounts, type Page, type Target } from "./dataset.ts";
import { checkPage, ensureBuild, loadPage, percentile, processCpuMs, processTreeCpuMs, signIn, startServer } from "./server.ts";

const Config = z.object({
  BENCH_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//).optional(),
  BENCH_STUDENTS: z.coerce.number().int().min(1).max(5_000_000).default(1_000_000),
  BENCH_PGLITE_STUDENTS: z.coerce.number().int().min(1).max(5_000_000).optional(),
  BENCH_DURATION: z.coerce.number().positive().default(20),
  BENCH_WARMUP: z.coerce.number().min(0).default(5),
  BENCH_CONNECTIONS: z.coerce.number().int().min(1).default(50),
  BENCH_ONLY: z.enum(["postgres", "pglite"]).optional(),
  BENCH_PGLITE_DIR: z.string().optional(),
  BENCH_COMPRESSION: z.enum(["0", "1"]).default("1"),
  /** Web process counts to measure on PostgreSQL (WEB_CONCURRENCY); default one, then one per core. */
  BENCH_WEB_PROCESSES: z
    .string()
    .regex(/^\d+(,\d+)*$/, "a comma-separated list of process counts, e.g. 1,2")
    .default([...new Set([1, os.cpus().length])].join(",")),
});

const TARGET = { rps: 300, p95Ms: 100 };
const RESULTS_DIR = path.resolve("tests/bench/results");

type PageResult = {
  database: "postgres" | "pglite";
  students: number;
  /** Web processes serving (WEB_CONCURRENCY; 1 without a cluster). */
  webProcesses: number;
  page: string;
  path: string;
  requests: number;
  durationS: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  /** CPU the server process spent per request (ms), and PostgreSQL's backends for its database. */
  serverCpuMsPerRequest: number;
  dbCpuMsPerRequest: number | null;
  /** Cores busy with autocannon itself, and with anything else on the machine, during the run. */
  loadGeneratorCores: number;
  otherCores: number;
  /** A calibration row, not held to the target. */
  reference: boolean;
  pass: boolean;
};

const log = (line = "") => process.stdout.write(line + "\n");

/** PostgreSQL backends connected to one database (the benchmark's own), found through /proc. */
function backendPids(database: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const words = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split(" ");
      if (words[0] === "postgres:" && words.includes(database)) pids.push(Number(entry));
    } catch {
      /* the process is gone */
    }
  }
  return pids;
}

/** Busy CPU time of the whole machine (all cores), in ms, from /proc/stat. */
function machineBusyMs(): number {
  const [, ...ticks] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks;
  return ((user + nice + system + irq + softirq + steal) * 1000) / 100;
}

type CpuSnapshot = { procs: Map<number, number>; machine: number; bench: number; at: number };

/** CPU used by the server process and, on PostgreSQL, the backends of its database. */
function cpuSnapshot(serverPid: number, database: string | undefined): CpuSnapshot {
  const pids = [serverPid, ...(database ? backendPids(database) : [])];
  const usage = process.cpuUsage();
  return {
    procs: new Map(pids.map((pid) => [pid, pid === serverPid ? processTreeCpuMs(pid) : processCpuMs(pid)])),
    machine: machineBusyMs(),
    bench: (usage.user + usage.system) / 1000,
    at: Date.now(),
  };
}

/**
 * CPU spent during the run by the server, by its database backends, by this load generator, and
 * by everything else on the machine (other work competing for the same cores), in ms.
 */
function cpuSince(before: CpuSnapshot, serverPid: number, database: string | undefined) {
  const after = cpuSnapshot(serverPid, database);
  let server = 0;
  let db = 0;
  for (const [pid, ms] of after.procs) {
    const delta = ms - (before.procs.get(pid) ?? 0);
    if (Number.isNaN(delta)) continue;
    if (pid === serverPid) server += delta;
    else db += delta;
  }
  const bench = after.bench - before.bench;
  const other = Math.max(0, after.machine - before.machine - server - db - bench);
  return { server, db, bench, other, wallMs: after.at - before.at };
}

type MeasureOptions = { duration: number; warmup: number; connections: number; serverPid: number; database?: string };

async function measure(origin: string, page: Page, headers: Record<string, string>, opts: MeasureOptions) {
  await checkPage(origin, page, headers);
  if (opts.warmup > 0) await loadPage(origin + page.path, headers, opts.connections, opts.warmup);
  const cpuBefore = cpuSnapshot(opts.serverPid, opts.database);
  const { result, latencies } = await loadPage(origin + page.path, headers, opts.connections, opts.duration);
  const cpu = cpuSince(cpuBefore, opts.serverPid, opts.database);
  return { result, latencies, cpu };
}

async function runTarget(target: Target, cfg: z.infer<typeof Config>): Promise<PageResult[]> {
  log(`\n━━ ${target.kind} ━━`);
  const students = await ensureGenerated(target, log);
  const database = await openTarget(target);
  let accounts: Accounts;
  try {
    accounts = await pickAccounts(database, students);
    await clearSignInThrottle(database);
  } finally {
    await database.close();
  }
  log(`accounts: student ${accounts.student.login}, teacher ${accounts.teacher.login} (${accounts.teacher.className}), parent ${accounts.parent.login}`);
  const results: PageResult[] = [];
  // The embedded database is single-process: PGlite is measured with one web process.
  const counts = target.kind === "pglite" ? [1] : cfg.BENCH_WEB_PROCESSES.split(",").map(Number);
  for (const webProcesses of counts) results.push(...(await runServer(target, cfg, accounts, students, webProcesses)));
  return results;
}

/** One server (with `webProcesses` web processes) and every page measured against it. */
async function runServer(target: Target, cfg: z.infer<typeof Config>, accounts: Accounts, students: number, webProcesses: number): Promise<PageResult[]> {
  log(`· ${webProcesses} web process${webProcesses === 1 ? "" : "es"}${webProcesses > 1 ? ` (WEB_CONCURRENCY=${webProcesses})` : ""}`);
  const server = await startServer(target, { webProcesses });
  const results: PageResult[] = [];
  try {
    for (const page of pagesFor(accounts)) {
      const headers: Record<string, string> = {};
      // What a browser sends: compressed responses (the server picks br or gzip).
      if (cfg.BENCH_COMPRESSION === "1") headers["accept-encoding"] = "gzip, deflate, br";
      if (page.login) headers.cookie = await signIn(server.origin, page.login, accounts.password);
      log(`${page.name}: ${page.path} — ${cfg.BENCH_CONNECTIONS} connections, ${cfg.BENCH_WARMUP} s warm-up + ${cfg.BENCH_DURATION} s…`);
      const { result, latencies, cpu } = await measure(server.origin, page, headers, {
        duration: cfg.BENCH_DURATION,
        warmup: cfg.BENCH_WARMUP,
        connections: cfg.BENCH_CONNECTIONS,
        serverPid: server.child.pid!,
        database: target.url ? decodeURIComponent(new URL(target.url).pathname.slice(1)) : undefined,
      });
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        throw new Error(`the server stopped during the run (exit ${server.child.exitCode ?? server.child.signalCode}):\n${server.output()}`);
      }
      const rps = result.requests.total / result.duration;
      const r: PageResult = {
        database: target.kind,
        students,
        webProcesses,
        page: page.name,
        path: page.path.replace(/[0-9a-f-]{36}/, ":id"),
        requests: result.requests.total,
        durationS: result.duration,
        rps: Math.round(rps * 10) / 10,
        p50: round(percentile(latencies, 50)),
        p95: round(percentile(latencies, 95)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies[latencies.length - 1] ?? NaN),
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        serverCpuMsPerRequest: round(cpu.server / Math.max(1, result.requests.total)),
        dbCpuMsPerRequest: target.kind === "postgres" ? round(cpu.db / Math.max(1, result.requests.total)) : null,
        loadGeneratorCores: Math.round((cpu.bench / cpu.wallMs) * 100) / 100,
        otherCores: Math.round((cpu.other / cpu.wallMs) * 100) / 100,
        reference: Boolean(page.reference),
        pass: false,
      };
      r.pass = r.rps >= TARGET.rps && r.p95 <= TARGET.p95Ms && r.non2xx === 0 && r.errors === 0;
      results.push(r);
      log(
        `  ${r.rps} req/s, p50 ${r.p50} ms, p95 ${r.p95} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors} — ${verdict(r)}` +
          `  (CPU per request: server ${r.serverCpuMsPerRequest} ms${r.dbCpuMsPerRequest !== null ? `, PostgreSQL ${r.dbCpuMsPerRequest} ms` : ""}; autocannon ${r.loadGeneratorCores} cores, other processes ${r.otherCores} cores)`,
      );
    }
  } finally {
    await server.stop();
  }
  return results;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

function verdict(r: PageResult) {
  if (r.reference) return "(reference)";
  if (r.pass) return "PASS";
  const why = [];
  if (r.rps < TARGET.rps) why.push("req/s");
  if (r.p95 > TARGET.p95Ms) why.push("p95");
  if (r.non2xx || r.errors) why.push("errors");
  return `MISS (${why.join(", ")})`;
}

function table(results: PageResult[]): string {
  const head = ["database", "students", "web processes", "page", "path", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-2xx", "errors", "CPU ms/req (server + db)", "other load (cores)", "target"];
  const rows = results.map((r) => [
    r.database,
    r.students.toLocaleString("en"),
    String(r.webProcesses),
    r.page,
    r.path,
    r.rps.toFixed(1),
    r.p50.toFixed(1),
    r.p95.toFixed(1),
    r.p99.toFixed(1),
    String(r.non2xx),
    String(r.errors),
    r.dbCpuMsPerRequest === null ? r.serverCpuMsPerRequest.toFixed(1) : `${r.serverCpuMsPerRequest.toFixed(1)} + ${r.dbCpuMsPerRequest.toFixed(1)}`,
    r.otherCores.toFixed(2),
    verdict(r),
  ]);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

async function main() {
  const cfg = Config.parse(process.env);
  ensureBuild();
  const targets: Target[] = [];
  if (cfg.BENCH_ONLY !== "pglite") targets.push(postgresTarget(cfg.BENCH_STUDENTS, cfg.BENCH_DATABASE_URL));
  if (cfg.BENCH_ONLY !== "postgres") {
    const students = cfg.BENCH_PGLITE_STUDENTS ?? Math.min(cfg.BENCH_STUDENTS, 100_000);
    targets.push({ kind: "pglite", dataDir: cfg.BENCH_PGLITE_DIR ?? defaultPgliteDir(BENCH_DIR, students), students });
  }

  const started = new Date();
  const results: PageResult[] = [];
  for (const target of targets) results.push(...(await runTarget(target, cfg)));

  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "", memoryGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.type()} ${os.release()}` };
  log(`\nLớp Số benchmark — ${started.toISOString()} · ${machine.cpus} cores · ${machine.memoryGB} GB · Node ${machine.node}`);
  log(
    `${cfg.BENCH_CONNECTIONS} connections, ${cfg.BENCH_DURATION} s per page after ${cfg.BENCH_WARMUP} s warm-up, ` +
      `${cfg.BENCH_COMPRESSION === "1" ? "compressed responses (Accept-Encoding: gzip, deflate, br)" : "uncompressed responses"}; ` +
      `target ≥ ${TARGET.rps} req/s and p95 ≤ ${TARGET.p95Ms} ms\n`,
  );
  log(table(results));
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const report = {
    date: started.toISOString(),
    machine,
    config: { webProcesses: cfg.BENCH_WEB_PROCESSES, connections: cfg.BENCH_CONNECTIONS, durationS: cfg.BENCH_DURATION, warmupS: cfg.BENCH_WARMUP, compression: cfg.BENCH_COMPRESSION === "1" },
    target: TARGET,
    results,
  };
  const file = path.join(RESULTS_DIR, `bench-${started.toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
  fs.writeFileSync(path.join(RESULTS_DIR, "latest.json"), JSON.stringify(report, null, 2) + "\n");
  log(`\nwritten to ${path.relative(process.cwd(), file)}`);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
