/**
 * Delivery benchmark: queue N email messages and drain them through the real delivery
 * (app/services/notify/delivery.server.ts) and the real email channel, with pooled SMTP
 * connections, to a local SMTP sink in another process (tests/bench/smtp-sink.ts). Reports
 * emails per second (target ≥ 500/s) and peak RSS while draining.
 *
 *   npm run bench:delivery                                   # N = 20,000 emails
 *   BENCH_DELIVERY_N=200000 npm run bench:delivery
 *   BENCH_DELIVERY_MODE=flat npm run bench:delivery          # 1,000,000 in-app + email messages, RSS every 5 s
 *
 * Database: BENCH_DELIVERY_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/delivery_bench
 * (created when missing; its outbound_messages are emptied first). Never the page benchmark's
 * lopso_bench. Pool size: NOTIFY_SMTP_CONNECTIONS (default 10).
 */
import { spawn } from "node:child_process";
import postgres from "postgres";
import { migrate, openDatabase } from "../../db/client.server.ts";
import { createEmailChannel } from "../../integrations/channels/email/index.server.ts";
import { drainChannel } from "../../app/services/notify/delivery.server.ts";

const mode = process.env.BENCH_DELIVERY_MODE === "flat" ? "flat" : "rate";
const N = Number(process.env.BENCH_DELIVERY_N ?? (mode === "flat" ? 1_000_000 : 20_000));
const CONNECTIONS = Number(process.env.NOTIFY_SMTP_CONNECTIONS ?? 10);
const URL_ = process.env.BENCH_DELIVERY_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/delivery_bench";
const SAMPLE_MS = mode === "flat" ? 5000 : 1000;
const mb = (b: number) => Math.round(b / 1024 / 1024);

async function ensureDatabase(url: string) {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  if (name === "lopso_bench") throw new Error("lopso_bench belongs to the page benchmark: pick another BENCH_DELIVERY_DATABASE_URL");
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected database name ${name}`);
  u.pathname = "/postgres";
  const admin = postgres(u.toString(), { max: 1, onnotice: () => {} });
  const [row] = await admin`select 1 as ok from pg_database where datname = ${name}`;
  if (!row) await admin.unsafe(`create database ${name}`);
  await admin.end();
}

function startSink(): Promise<{ port: number; count: () => number; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "tests/bench/smtp-sink.ts"], { stdio: ["ignore", "pipe", "inherit"] });
    let count = 0;
    let buffer = "";
    child.stdout.on("data", (d) => {
      buffer += d;
      let i: number;
      while ((i = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        if (line.startsWith("PORT ")) resolve({ port: Number(line.slice(5)), count: () => count, stop: () => child.kill("SIGTERM") });
        if (line.startsWith("COUNT ")) count = Number(line.slice(6));
      }
    });
    child.once("exit", (code) => reject(new Error(`the SMTP sink exited (${code})`)));
  });
}

async function main() {
  await ensureDatabase(URL_);
  const database = await openDatabase({ url: URL_, max: CONNECTIONS + 4 });
  await migrate(database);
  console.log(`Preparing ${N.toLocaleString("en")} email messages${mode === "flat" ? " and as many in-app notifications" : ""}…`);
  await database.query("truncate outbound_messages");
  await database.query("delete from rate_limits where key like 'notify-rate:%'");
  const people = Math.min(N, 100_000);
  await database.query(`delete from users where email like 'bench-%@delivery.bench'`);
  await database.query(
    `insert into users (full_name, sort_key, email) select 'Phụ Huynh ' || i, 'huynh ' || i, 'bench-' || i || '@delivery.bench' from generate_series(1, $1::int) i`,
    [people],
  );
  const ids = `(select id, row_number() over (order by id) as r from users where email like 'bench-%@delivery.bench')`;
  if (mode === "flat") {
    await database.query(`delete from notifications where event_id >= 800000000`);
    await database.query(
      `insert into notifications (user_id, kind, mode, event_id, title, body)
       select u.id, 'grade', 'immediate', 800000000 + i, 'Điểm mới ' || i, 'Toán: 9'
         from generate_series(1, $1::int) i join ${ids} u on u.r = 1 + (i % $2::int)`,
      [N, people],
    );
  }
  await database.query(
    `insert into outbound_messages (key, user_id, channel, address, kind, content)
     select 'bench:' || i || ':email', u.id, 'email', 'bench-' || u.r || '@delivery.bench', 'immediate',
            jsonb_build_object('subject', 'Điểm mới ' || i, 'text', 'Con có điểm mới môn Toán: 9.', 'html', '<p>Con có điểm mới môn Toán: <b>9</b>.</p>')
       from generate_series(1, $1::int) i join ${ids} u on u.r = 1 + (i % $2::int)`,
    [N, people],
  );
  await database.query("analyze outbound_messages");

  const sink = await startSink();
  const channel = createEmailChannel({
    url: `smtp://127.0.0.1:${sink.port}/?ignoreTLS=true`,
    from: "Lớp Số <no-reply@delivery.bench>",
    maxConnections: CONNECTIONS,
    maxMessages: 10_000,
    ratePerSecond: 0,
  });
  const samples: number[] = [];
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    peak = Math.max(peak, rss);
    samples.push(rss);
    if (mode === "flat") console.log(`  ${new Date().toISOString().slice(11, 19)}  sent ${sink.count().toLocaleString("en")}  rss ${mb(rss)} MB`);
  }, SAMPLE_MS);
  const started = Date.now();
  const result = await drainChannel(database, "email", { channel, concurrency: CONNECTIONS, batchSize: 500, budgetMs: 24 * 3600_000, baseUrl: "https://lopso.bench", secretKey: "bench-secret-key-bench-secret-key-0123456789" });
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  await channel.close?.();
  sink.stop();
  const [{ sent }] = await database.query<{ sent: string }>(`select count(*) as sent from outbound_messages where status = 'sent' and key like 'bench:%'`);
  await database.close();
  const rate = Number(sent) / seconds;
  console.log(`Sent ${Number(sent).toLocaleString("en")} of ${N.toLocaleString("en")} in ${seconds.toFixed(1)} s: ${Math.round(rate)} emails/s with ${CONNECTIONS} pooled connections (target ≥ 500/s) — ${rate >= 500 ? "PASS" : "MISS"}`);
  console.log(`Outcomes: ${JSON.stringify(result)}`);
  console.log(`Peak RSS while draining: ${mb(peak)} MB`);
  if (samples.length >= 4) {
    const q = Math.floor(samples.length / 4);
    const firstQuarter = Math.max(...samples.slice(0, q));
    const lastQuarter = Math.max(...samples.slice(-q));
    console.log(`RSS, first quarter max ${mb(firstQuarter)} MB, last quarter max ${mb(lastQuarter)} MB: ${lastQuarter <= firstQuarter * 1.25 + 32 * 1024 * 1024 ? "flat" : "GROWING"}`);
  }
  if (Number(sent) !== N) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
