/**
 * `npm run bench:compare`: two configurations of the server side by side, under the same load at
 * the same time, on the PostgreSQL benchmark database.
 *
 * This machine's speed drifts by 25–40 % from one hour to the next, more than most changes worth
 * measuring; two runs one after the other compare the hours as much as the code. Here server A
 * and server B run together, each with its own connections to one page, in rounds: whatever the
 * host does, it does to both. An A/A run (both the same) shows the noise that remains: here, over
 * 3–4 rounds, the two sides of A/A runs differed by 1–8 % in throughput and 1–14 % in p95, so
 * only larger differences, repeated, mean something.
 *
 * Environment: COMPARE_A_ENV, COMPARE_B_ENV (the servers' extra environment, as `KEY=value`
 * words), COMPARE_A_NODE, COMPARE_B_NODE (Node's flags, default as `npm run serve`),
 * COMPARE_A_DIR, COMPARE_B_DIR (another checkout of the hub to run on that side, with its own
 * `npm ci` and `npm run build`: the way to measure a code change against the commit before it),
 * BENCH_PAGE (today | class | child | login; default today), BENCH_ROUNDS (3), BENCH_DURATION
 * (10 s per round), BENCH_WARMUP (4 s), BENCH_CONNECTIONS (25 per server), BENCH_DATABASE_URL and
 * BENCH_STUDENTS as for `npm run bench`.
 */
import { z } from "zod";
import { clearSignInThrottle, ensureGenerated, openTarget, PAGE_IDS, pagesFor, pickAccounts, postgresTarget } from "./dataset.ts";
import { SERVE_NODE_FLAGS } from "../support/process.ts";
import { checkPage, ensureBuild, loadPage, percentile, processTreeCpuMs, signIn, startServer, type Server } from "./server.ts";

const words = z
  .string()
  .default("")
  .transform((v) => v.split(/\s+/).filter(Boolean));
const assignments = words.pipe(z.array(z.string().regex(/^[A-Z_][A-Z0-9_]*=/, "KEY=value words, e.g. WEB_CONCURRENCY=2 LOG_LEVEL=warn")));

const Config = z.object({
  COMPARE_A_ENV: assignments,
  COMPARE_B_ENV: assignments,
  COMPARE_A_NODE: z.string().optional(),
  COMPARE_B_NODE: z.string().optional(),
  COMPARE_A_DIR: z.string().optional(),
  COMPARE_B_DIR: z.string().optional(),
  BENCH_PAGE: z.enum(PAGE_IDS).default("today"),
  BENCH_ROUNDS: z.coerce.number().int().min(1).default(3),
  BENCH_DURATION: z.coerce.number().positive().default(10),
  BENCH_WARMUP: z.coerce.number().min(0).default(4),
  BENCH_CONNECTIONS: z.coerce.number().int().min(1).default(25),
  BENCH_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//).optional(),
  BENCH_STUDENTS: z.coerce.number().int().min(1).max(5_000_000).default(1_000_000),
});

/** One side's figures for one round; `cpu` is the server's CPU time per answered request (ms). */
type Round = { rps: number; p50: number; p95: number; p99: number; failed: number; cpu: number };

const log = (line = "") => process.stdout.write(line + "\n");
const envOf = (pairs: string[]) => Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]));
const nodeFlags = (flags: string | undefined) => (flags === undefined ? SERVE_NODE_FLAGS : flags.split(/\s+/).filter(Boolean));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function load(server: Server, path: string, headers: Record<string, string>, connections: number, duration: number): Promise<Round> {
  const cpuBefore = processTreeCpuMs(server.child.pid!);
  const { result, latencies } = await loadPage(server.origin + path, headers, connections, duration);
  return {
    rps: result.requests.total / result.duration,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    failed: result.non2xx + result.errors + result.timeouts,
    cpu: (processTreeCpuMs(server.child.pid!) - cpuBefore) / Math.max(1, result.requests.total),
  };
}

const show = (r: Round) => `${r.rps.toFixed(0).padStart(5)} req/s  p50 ${r.p50.toFixed(1).padStart(6)}  p95 ${r.p95.toFixed(1).padStart(6)}  p99 ${r.p99.toFixed(1).padStart(6)} ms  cpu ${r.cpu.toFixed(2)} ms/req${r.failed ? `  (${r.failed} failed)` : ""}`;

async function main() {
  const cfg = Config.parse(process.env);
  ensureBuild(log);
  const target = postgresTarget(cfg.BENCH_STUDENTS, cfg.BENCH_DATABASE_URL);
  const students = await ensureGenerated(target, log);
  const database = await openTarget(target);
  const accounts = await pickAccounts(database, students).finally(async () => {
    await clearSignInThrottle(database);
    await database.close();
  });
  const page = pagesFor(accounts).find((p) => p.id === cfg.BENCH_PAGE)!;

  const sides = [
    { name: "A", env: envOf(cfg.COMPARE_A_ENV), flags: nodeFlags(cfg.COMPARE_A_NODE), cwd: cfg.COMPARE_A_DIR },
    { name: "B", env: envOf(cfg.COMPARE_B_ENV), flags: nodeFlags(cfg.COMPARE_B_NODE), cwd: cfg.COMPARE_B_DIR },
  ];
  for (const s of sides) log(`${s.name}: ${s.cwd ?? "this checkout"}; node ${s.flags.join(" ") || "(no flags)"}; env ${Object.entries(s.env).map(([k, v]) => `${k}=${v}`).join(" ") || "(none)"}`);
  log(`${page.name}: ${page.path}, ${cfg.BENCH_CONNECTIONS} connections to each server, ${cfg.BENCH_ROUNDS} rounds of ${cfg.BENCH_DURATION} s after ${cfg.BENCH_WARMUP} s of warm-up\n`);

  const servers: Server[] = [];
  try {
    for (const s of sides) servers.push(await startServer(target, { env: s.env, nodeFlags: s.flags, cwd: s.cwd }));
    const headers = await Promise.all(
      servers.map(async (server) => {
        const h: Record<string, string> = { "accept-encoding": "gzip, deflate, br" };
        if (page.login) h.cookie = await signIn(server.origin, page.login, accounts.password);
        await checkPage(server.origin, page, h);
        return h;
      }),
    );
    if (cfg.BENCH_WARMUP > 0) await Promise.all(servers.map((s, i) => load(s, page.path, headers[i], cfg.BENCH_CONNECTIONS, cfg.BENCH_WARMUP)));
    const rounds: Round[][] = [[], []];
    for (let r = 1; r <= cfg.BENCH_ROUNDS; r++) {
      const out = await Promise.all(servers.map((s, i) => load(s, page.path, headers[i], cfg.BENCH_CONNECTIONS, cfg.BENCH_DURATION)));
      out.forEach((o, i) => rounds[i].push(o));
      log(`round ${r}:  A ${show(out[0])}   |   B ${show(out[1])}`);
    }
    const avg = rounds.map((rs) => ({
      rps: mean(rs.map((x) => x.rps)),
      p50: mean(rs.map((x) => x.p50)),
      p95: mean(rs.map((x) => x.p95)),
      p99: mean(rs.map((x) => x.p99)),
      failed: rs.reduce((a, x) => a + x.failed, 0),
      cpu: mean(rs.map((x) => x.cpu)),
    }));
    log(`\nmean:     A ${show(avg[0])}   |   B ${show(avg[1])}`);
    const pct = (b: number, a: number) => `${b >= a ? "+" : ""}${(((b - a) / a) * 100).toFixed(1)} %`;
    log(`B vs A: throughput ${pct(avg[1].rps, avg[0].rps)}, p50 ${pct(avg[1].p50, avg[0].p50)}, p95 ${pct(avg[1].p95, avg[0].p95)}, CPU per request ${pct(avg[1].cpu, avg[0].cpu)}`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

main().catch((e) => {
  process.stderr.write(`bench:compare failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
