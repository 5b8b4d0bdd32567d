/**
 * Zoom webhook ingestion benchmark: N signed Zoom events POSTed to the production server at
 * `/webhooks/zoom/<connection id>` over ~64 keep-alive connections, about one in ten an exact
 * redelivery of an earlier event, into real PostgreSQL. Reports events/s, latency percentiles and
 * statuses, then checks in the database that every unique event was stored exactly once.
 *
 *   npm run bench:webhooks                          # 60,000 events
 *   BENCH_EVENTS=10000 npm run bench:webhooks       # a quick check of the harness
 *
 * Target: ≥ 2,000 events/s sustained, p99 ≤ 1,000 ms (Zoom wants an answer within 3 s).
 * A lost event, a doubled one or a non-200 answer exits non-zero; a missed target does not.
 *
 * Database: BENCH_WEBHOOKS_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/lopso_bench_webhooks,
 * dropped and created afresh on every run (migrated, the demo seeded, one Zoom connection with a
 * webhook secret token per demo school, made through the connections service).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import postgres from "postgres";
import { Pool } from "undici";
import { signZoomEvent } from "../fakes/zoom/webhook.ts";
import { BENCH_DIR, BENCH_SECRET, type Target } from "./dataset.ts";
import { ensureBuild, percentile, processCpuMs, processTreeCpuMs, startServer } from "./server.ts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 60_000);
const WARMUP = Number(process.env.BENCH_WARMUP_EVENTS ?? 3_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const DUPLICATE_EVERY = 10; // one send in ten is a redelivery
const WEB_PROCESSES = Number(process.env.BENCH_WEB_PROCESSES ?? os.availableParallelism());
const PROFILE = process.env.BENCH_PROFILE !== "0";
const REFERENCE = Number(process.env.BENCH_REFERENCE_EVENTS ?? 10_000);
const DB_URL = process.env.BENCH_WEBHOOKS_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/lopso_bench_webhooks";
const DB_NAME = decodeURIComponent(new URL(DB_URL).pathname.slice(1));
const TARGET_RATE = 2_000;
const TARGET_P99_MS = 1_000;

const SAMPLES = "/work/shared/samples/zoom";
const log = (line = "") => process.stdout.write(line + "\n");
const fmt = (n: number, digits = 1) => n.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Drop and create the benchmark's own database; never one of the other benchmarks'. */
async function freshDatabase() {
  if (!/^[a-z_][a-z0-9_]*$/.test(DB_NAME)) throw new Error(`BENCH_WEBHOOKS_DATABASE_URL: unexpected database name ${DB_NAME}`);
  if (DB_NAME === "lopso_bench" || DB_NAME === "postgres" || !DB_NAME.includes("bench")) {
    throw new Error(`refusing to drop ${DB_NAME}: BENCH_WEBHOOKS_DATABASE_URL must name a database of its own (with "bench" in its name)`);
  }
  const admin = new URL(DB_URL);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists ${DB_NAME} with (force)`);
    await sql.unsafe(`create database ${DB_NAME}`);
  } finally {
    await sql.end();
  }
}

type ZoomTarget = { id: string; account: string; secret: string };

/** Zoom's published participant events, as templates. */
function loadTemplates() {
  const read = (name: string) => JSON.parse(fs.readFileSync(path.join(SAMPLES, name), "utf8"));
  return { joined: read("webhook.meeting.participant_joined.json"), left: read("webhook.meeting.participant_left.json") };
}

const GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khánh", "Lan", "Linh", "Minh", "Nam", "Ngọc", "Phương", "Quân", "Thảo", "Trang", "Tuấn", "Vy"];
const FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"];

/**
 * The `u`-th unique event, as the exact bytes Zoom would send: participants join and then leave
 * (even u: joined, odd u: left), 40 to a meeting, each with its own participant_uuid.
 */
function eventBody(u: number, targets: ZoomTarget[], templates: ReturnType<typeof loadTemplates>): { body: string; target: ZoomTarget } {
  const participant = Math.floor(u / 2);
  const meeting = Math.floor(participant / 40);
  const target = targets[meeting % targets.length];
  const left = u % 2 === 1;
  const e = structuredClone(left ? templates.left : templates.joined);
  const at = new Date(Date.UTC(2026, 11, 2, 7, 0, 0) + participant * 1000 + (left ? 45 * 60_000 : 0));
  e.event_ts = at.getTime() + (u % 1000);
  e.payload.account_id = target.account;
  const o = e.payload.object;
  o.id = String(85_000_000_000 + meeting);
  o.uuid = `bench-meeting-${meeting}-${"A".repeat(8)}==`;
  o.host_id = `host${String(meeting % 500).padStart(18, "0")}`;
  o.topic = `Toán ${6 + (meeting % 4)}A — Phương trình bậc nhất (buổi ${meeting})`;
  o.type = 2;
  o.start_time = new Date(Date.UTC(2026, 11, 2, 7, 0, 0) + meeting * 40_000).toISOString().replace(/\.\d+Z$/, "Z");
  o.timezone = "Asia/Ho_Chi_Minh";
  o.duration = 45;
  const p = o.participant;
  const name = `${FAMILY[participant % FAMILY.length]} Văn ${GIVEN[(participant * 7) % GIVEN.length]}`;
  p.user_id = String(16_778_240 + participant);
  p.user_name = name;
  p.id = `pid${participant.toString(36).padStart(19, "0")}`;
  p.participant_uuid = `bench-participant-${participant}`;
  p.participant_user_id = p.id;
  p.email = `hs${participant}@truong.edu.vn`;
  p.registrant_id = `reg-${participant}`;
  p.customer_key = String(participant);
  p.phone_number = `8490${String(participant).padStart(7, "0")}`;
  if (left) {
    p.leave_time = at.toISOString().replace(/\.\d+Z$/, "Z");
    p.leave_reason = `${name} left the meeting.<br>Reason: left the meeting.`;
  } else {
    p.join_time = at.toISOString().replace(/\.\d+Z$/, "Z");
  }
  return { body: JSON.stringify(e), target };
}

type Send = { body: string; target: ZoomTarget };

type Outcome = { latencies: number[]; statuses: Map<number, number>; badBodies: number; errors: number; perSecond: number[]; wallMs: number };

/** Send every item of `plan` over `connections` keep-alive connections, each waiting for its answer. */
async function sendAll(pool: Pool, plan: Send[], connections: number, route?: { path: string; headers: Record<string, string> }): Promise<Outcome> {
  const latencies = new Array<number>(plan.length);
  const statuses = new Map<number, number>();
  const perSecond: number[] = [];
  let badBodies = 0;
  let errors = 0;
  let next = 0;
  const started = performance.now();
  async function client() {
    for (;;) {
      const i = next++;
      if (i >= plan.length) return;
      const { body, target } = plan[i];
      const t0 = performance.now();
      let status = 0;
      try {
        const res = await pool.request({
          path: route?.path ?? `/webhooks/zoom/${target.id}`,
          method: "POST",
          headers: { "content-type": "application/json; charset=utf-8", "user-agent": "Zoom Marketplace/1.1a", ...signZoomEvent(target.secret, body), ...route?.headers },
          body,
        });
        status = res.statusCode;
        const text = await res.body.text();
        if (status === 200 && !route && text !== '{"ok":true}') badBodies++;
      } catch {
        errors++;
      }
      const t1 = performance.now();
      latencies[i] = t1 - t0;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const second = Math.floor((t1 - started) / 1000);
      perSecond[second] = (perSecond[second] ?? 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: connections }, client));
  return { latencies, statuses, badBodies, errors, perSecond: Array.from(perSecond, (n) => n ?? 0), wallMs: performance.now() - started };
}

/** PostgreSQL backends of the benchmark database, through /proc. */
function backendPids(): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const words = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split(" ");
      if (words[0] === "postgres:" && words.includes(DB_NAME)) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

function machineBusyMs(): number {
  const [, ...ticks] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks;
  return ((user + nice + system + irq + softirq + steal) * 1000) / 100;
}

function cpuSnapshot(serverPid: number) {
  const usage = process.cpuUsage();
  return {
    server: processTreeCpuMs(serverPid),
    db: new Map(backendPids().map((pid) => [pid, processCpuMs(pid)])),
    bench: (usage.user + usage.system) / 1000,
    machine: machineBusyMs(),
  };
}

function cpuDelta(before: ReturnType<typeof cpuSnapshot>, serverPid: number) {
  const after = cpuSnapshot(serverPid);
  let db = 0;
  for (const [pid, ms] of after.db) db += ms - (before.db.get(pid) ?? 0);
  const server = after.server - before.server;
  const bench = after.bench - before.bench;
  return { server, db, bench, other: Math.max(0, after.machine - before.machine - server - db - bench) };
}

/** CPU (µs) and wall time (µs) per call of `fn`, run `n` times one after another. */
async function perCall(n: number, fn: (i: number) => unknown): Promise<{ cpuUs: number; wallUs: number }> {
  for (let i = 0; i < Math.min(200, n); i++) await fn(i);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { cpuUs: (c.user + c.system) / n, wallUs: (wall * 1000) / n };
}

async function main() {
  // The hub's modules read their configuration lazily from the environment: set it first.
  Object.assign(process.env, { DATABASE_URL: DB_URL, SECRET_KEY: BENCH_SECRET, DATA_DIR: path.join(BENCH_DIR, "pg-scratch"), LOG_LEVEL: "warn" });
  fs.mkdirSync(process.env.DATA_DIR!, { recursive: true });
  if (!fs.existsSync("build/server/index.js")) log("No production build (`npm run build` has not been run): building it now.");
  ensureBuild(log);

  const { openDatabase, migrate } = await import("../../db/client.server.ts");
  const { seedDemo } = await import("../../db/seed.server.ts");
  const { upsertZoomConnection } = await import("../../app/services/connections/zoom.server.ts");

  log(`Database ${DB_NAME}: created afresh, migrated, demo seeded.`);
  await freshDatabase();
  const database = await openDatabase({ url: DB_URL, max: 4 });
  await migrate(database);
  await seedDemo(database.db);
  const actor = { actorId: null, address: "cli" };
  const schools = ["79001", "79002"];
  const targets: ZoomTarget[] = [];
  for (const [i, code] of schools.entries()) {
    const account = `BenchZoomAcct-${code}-${"x".repeat(6)}`;
    const secret = `bench-webhook-secret-token-${code}-${i}`;
    const row = await upsertZoomConnection(database.db, { schoolCode: code, accountId: account, clientId: `zoom-client-${code}`, clientSecret: `cs-${code}`, webhookSecret: secret }, actor);
    targets.push({ id: row.id, account, secret });
  }

  // The plan: unique events, with every tenth send an exact redelivery of one sent earlier.
  const templates = loadTemplates();
  const duplicates = Math.floor(EVENTS / DUPLICATE_EVERY);
  const unique = EVENTS - duplicates;
  const events: Send[] = [];
  for (let u = 0; u < unique + WARMUP; u++) events.push(eventBody(u, targets, templates));
  const warmupPlan = events.slice(unique);
  const plan: Send[] = [];
  let u = 0;
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < EVENTS; i++) {
    if (i % DUPLICATE_EVERY === DUPLICATE_EVERY - 1 && u > 0) plan.push(events[Math.floor(rand() * u)]);
    else plan.push(events[u++]);
  }
  if (u !== unique) throw new Error(`plan: ${u} unique events, expected ${unique}`);
  const meanBytes = Math.round(plan.reduce((n, s) => n + Buffer.byteLength(s.body), 0) / plan.length);

  const expected = unique + WARMUP;
  const target: Target = { kind: "postgres", url: DB_URL, dataDir: process.env.DATA_DIR!, students: 0 };
  let failed = false;
  const summary: Record<string, unknown> = { at: new Date().toISOString(), events: EVENTS, unique, duplicates, warmup: WARMUP, connections: CONNECTIONS, webProcesses: WEB_PROCESSES, meanBytes };

  /** Warm up, send the plan, check the database; print and return the figures. */
  async function phase(label: string, origin: string, serverPid: number, output: () => string) {
    const pool = new Pool(origin, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 });
    try {
      log(`${label}: warm-up with ${WARMUP.toLocaleString("en")} events (stored, not measured)…`);
      const warm = await sendAll(pool, warmupPlan, CONNECTIONS);
      if ((warm.statuses.get(200) ?? 0) !== warmupPlan.length) throw new Error(`warm-up: answers ${JSON.stringify(Object.fromEntries(warm.statuses))}\n${output().slice(-2000)}`);
      log(
        `${label}: sending ${EVENTS.toLocaleString("en")} signed events (${unique.toLocaleString("en")} unique + ${duplicates.toLocaleString("en")} redeliveries, ~${meanBytes} bytes each) to ${targets.length} Zoom connections over ${CONNECTIONS} keep-alive connections…`,
      );
      const load0 = os.loadavg();
      const cpu0 = cpuSnapshot(serverPid);
      const run = await sendAll(pool, plan, CONNECTIONS);
      const cpu = cpuDelta(cpu0, serverPid);
      const load1 = os.loadavg();
      const sorted = run.latencies.slice().sort((a, b) => a - b);
      const p = (q: number) => percentile(sorted, q);
      const rate = EVENTS / (run.wallMs / 1000);
      const full = run.perSecond.slice(0, Math.floor(run.wallMs / 1000)); // whole seconds only
      const slowestSecond = full.length ? Math.min(...full) : NaN;
      const ok = run.statuses.get(200) ?? 0;
      const [counts] = await database.query<{ rows: number; keys: number }>(
        "select count(*)::int as rows, count(distinct (connection_id, dedupe_key))::int as keys from provider_events where provider = 'zoom'",
      );
      const lost = expected - counts.rows;
      log();
      log("| events sent | unique | redeliveries | seconds | events/s | slowest 1 s | p50 ms | p95 ms | p99 ms | max ms | HTTP statuses |");
      log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
      log(
        `| ${EVENTS.toLocaleString("en")} | ${unique.toLocaleString("en")} | ${duplicates.toLocaleString("en")} | ${fmt(run.wallMs / 1000)} | ${fmt(rate)} | ${slowestSecond.toLocaleString("en")} | ${fmt(p(50))} | ${fmt(p(95))} | ${fmt(p(99))} | ${fmt(sorted.at(-1)!)} | ${[...run.statuses].map(([s, n]) => `${s || "error"}: ${n.toLocaleString("en")}`).join(", ")} |`,
      );
      log();
      log(
        `Database: ${counts.rows.toLocaleString("en")} rows in provider_events (${counts.keys.toLocaleString("en")} distinct keys) for ${expected.toLocaleString("en")} unique events (${unique.toLocaleString("en")} + ${WARMUP.toLocaleString("en")} warm-up): ${lost === 0 ? "none lost, none doubled" : lost > 0 ? `${lost} LOST` : `${-lost} TOO MANY`}.`,
      );
      log(
        `CPU per event: server ${fmt(cpu.server / EVENTS, 2)} ms (${fmt(cpu.server / run.wallMs, 2)} cores), PostgreSQL ${fmt(cpu.db / EVENTS, 2)} ms (${fmt(cpu.db / run.wallMs, 2)} cores), load generator ${fmt(cpu.bench / run.wallMs, 2)} cores, other processes ${fmt(cpu.other / run.wallMs, 2)} cores; load average ${load0.map((l) => l.toFixed(2)).join(" ")} before, ${load1.map((l) => l.toFixed(2)).join(" ")} after.`,
      );
      const rateOk = rate >= TARGET_RATE;
      const p99Ok = p(99) <= TARGET_P99_MS;
      const verdict = rateOk && p99Ok ? "PASS" : `MISS (${[!rateOk && "events/s", !p99Ok && "p99"].filter(Boolean).join(", ")})`;
      log(`${label}: target ≥ ${TARGET_RATE.toLocaleString("en")} events/s and p99 ≤ ${TARGET_P99_MS.toLocaleString("en")} ms: ${verdict}`);
      if (lost !== 0 || counts.keys !== counts.rows) failed = true;
      if (ok !== EVENTS || run.errors > 0 || run.badBodies > 0) {
        failed = true;
        log(`FAIL: ${EVENTS - ok} answers were not 200 (${run.errors} socket errors, ${run.badBodies} unexpected bodies)`);
      }
      return {
        pool,
        figures: {
          seconds: run.wallMs / 1000,
          eventsPerSecond: rate,
          slowestSecond,
          latencyMs: { p50: p(50), p95: p(95), p99: p(99), max: sorted.at(-1) },
          statuses: Object.fromEntries(run.statuses),
          rows: counts.rows,
          expectedRows: expected,
          cpuMsPerEvent: { server: cpu.server / EVENTS, db: cpu.db / EVENTS },
          cores: { server: cpu.server / run.wallMs, db: cpu.db / run.wallMs, bench: cpu.bench / run.wallMs, other: cpu.other / run.wallMs },
          loadavg: { before: load0, after: load1 },
          verdict,
        },
      };
    } catch (e) {
      await pool.close();
      throw e;
    }
  }

  // 1. The production server, as `npm run serve` runs it.
  log(`Starting the production server on PostgreSQL, ${WEB_PROCESSES} web process(es)…`);
  const server = await startServer(target, { webProcesses: WEB_PROCESSES });
  try {
    const { pool, figures } = await phase("hub", server.origin, server.child.pid!, server.output);
    summary.hub = figures;
    // References on the same signed bodies: (1) an address that names no connection (not an id),
    // answered 404 by the route before any database, decryption or HMAC — the web stack with React
    // Router; (2) POST /healthz, answered by the node:http front before React Router — Node's HTTP.
    const reference: Record<string, Record<string, number>> = {};
    if (REFERENCE > 0) {
      const refPlan = plan.slice(0, REFERENCE);
      const runs: [string, string, { path: string; headers: Record<string, string> }, number][] = [
        ["unknown", "address answering 404 (/webhooks/zoom/not-a-connection: the front's handler, no database, no crypto)", { path: "/webhooks/zoom/not-a-connection", headers: {} }, 404],
        ["node", "POST /healthz (node:http front only, body read and dropped)", { path: "/healthz", headers: { "sec-fetch-site": "same-origin" } }, 200],
      ];
      log();
      log("| reference, same bodies | requests/s | p50 ms | p99 ms | server CPU ms/request |");
      log("| --- | ---: | ---: | ---: | ---: |");
      for (const [key, name, route, expect] of runs) {
        const c0 = cpuSnapshot(server.child.pid!);
        const ref = await sendAll(pool, refPlan, CONNECTIONS, route);
        const c = cpuDelta(c0, server.child.pid!);
        const sortedRef = ref.latencies.slice().sort((a, b) => a - b);
        if ((ref.statuses.get(expect) ?? 0) !== refPlan.length) log(`note: ${name}: statuses ${JSON.stringify(Object.fromEntries(ref.statuses))}`);
        reference[key] = { requests: refPlan.length, perSecond: refPlan.length / (ref.wallMs / 1000), p50: percentile(sortedRef, 50), p99: percentile(sortedRef, 99), serverCpuMs: c.server / refPlan.length };
        const r = reference[key];
        log(`| ${name} | ${fmt(r.perSecond)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.serverCpuMs, 2)} |`);
      }
      const perEvent = figures.cpuMsPerEvent.server;
      log(
        `Of the server's ${fmt(perEvent, 2)} ms per event: Node's HTTP ≈ ${fmt(reference.node.serverCpuMs, 2)} ms, the handler (cached secret, HMAC, parse, grouped insert) ≈ ${fmt(perEvent - reference.node.serverCpuMs, 2)} ms.`,
      );
      summary.reference = reference;
    }
    await pool.close();
  } finally {
    await server.stop();
  }

  if (PROFILE) summary.profile = await profile(database, targets, templates);
  await database.close();
  fs.mkdirSync("tests/bench/results", { recursive: true });
  fs.writeFileSync("tests/bench/results/zoom-webhooks.json", JSON.stringify(summary, null, 2) + "\n");
  if (failed) {
    log("FAIL: events were lost or stored twice, or answers were not all 200.");
    process.exit(1);
  }
}

/**
 * Where a request's time goes inside the hub's handler: each step of `receiveZoomWebhook` timed
 * on its own in this process, one call after another, on the same database (the server stopped).
 */
async function profile(database: import("../../db/client.server.ts").Database, targets: ZoomTarget[], templates: ReturnType<typeof loadTemplates>) {
  const { eq } = await import("drizzle-orm");
  const { connections, providerEvents } = await import("../../db/schema/index.ts");
  const { webhookSecretOf } = await import("../../app/services/connections/store.server.ts");
  const { verifyZoomSignature, dedupeKey } = await import("../../integrations/zoom/webhook.ts");
  const { UrlValidationEvent, WebhookEvent } = await import("../../integrations/zoom/schemas.ts");
  const { receiveZoomWebhook } = await import("../../app/services/connections/zoom-webhook.server.ts");
  const db = database.db;
  const N = 3000;
  const t = targets[0];
  const samples = Array.from({ length: N + 200 }, (_, i) => eventBody(10_000_000 + i * 2 * 40 * targets.length, targets, templates).body);
  const raws = samples.map((s) => Buffer.from(s));
  const [row] = await db.select().from(connections).where(eq(connections.id, t.id));
  const signed = raws.map((r) => signZoomEvent(t.secret, r));
  const parsed = samples.map((s) => WebhookEvent.parse(JSON.parse(s)));
  const select = () =>
    db
      .select({ id: connections.id, provider: connections.provider, externalAccount: connections.externalAccount, secrets: connections.secrets, secretsKeyId: connections.secretsKeyId })
      .from(connections)
      .where(eq(connections.id, t.id));
  let k = 0;
  const steps: [string, { cpuUs: number; wallUs: number }][] = [
    ["connection lookup (select by id)", await perCall(N, () => select())],
    ["open the webhook secret (AES-GCM + JSON)", await perCall(N, () => webhookSecretOf(row))],
    ["HMAC-SHA256 signature check", await perCall(N, (i) => verifyZoomSignature(raws[i], { signature: signed[i]["x-zm-signature"], timestamp: signed[i]["x-zm-request-timestamp"] }, t.secret))],
    ["JSON.parse of the body", await perCall(N, (i) => JSON.parse(raws[i].toString("utf8")))],
    ["JSON.parse + zod (url_validation, WebhookEvent)", await perCall(N, (i) => { const v = JSON.parse(samples[i]); return [UrlValidationEvent.safeParse(v), WebhookEvent.safeParse(v)]; })],
    ["dedupe key (SHA-256)", await perCall(N, (i) => dedupeKey(parsed[i]))],
    [
      "insert … on conflict do nothing returning",
      await perCall(N, (i) =>
        db
          .insert(providerEvents)
          .values({ connectionId: t.id, provider: "zoom", eventType: parsed[i].event, eventTs: new Date(parsed[i].event_ts), dedupeKey: `profile-${k++}`, payload: JSON.parse(samples[i]) })
          .onConflictDoNothing({ target: [providerEvents.connectionId, providerEvents.dedupeKey] })
          .returning({ id: providerEvents.id }),
      ),
    ],
  ];
  // The whole handler below the route, on fresh events (each stored once).
  const fresh = Array.from({ length: N + 200 }, (_, i) => Buffer.from(eventBody(20_000_000 + i * 2 * 40 * targets.length, targets, templates).body));
  steps.push(["receiveZoomWebhook, whole (1 at a time)", await perCall(N, (i) => { const h = signZoomEvent(t.secret, fresh[i]); return receiveZoomWebhook(db, { connectionId: t.id, raw: fresh[i], signature: h["x-zm-signature"], timestamp: h["x-zm-request-timestamp"] }); })]);
  log();
  log(`Where the time goes inside the handler (this process, ${N.toLocaleString("en")} calls each, one at a time; wall includes the database round trip):`);
  log("| step | CPU µs/call (Node) | wall µs/call |");
  log("| --- | ---: | ---: |");
  for (const [name, s] of steps) log(`| ${name} | ${fmt(s.cpuUs)} | ${fmt(s.wallUs)} |`);
  return Object.fromEntries(steps);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
