/**
 * `npx tsx tests/bench/explain.ts`: the SQL behind each benchmarked page, with
 * EXPLAIN (ANALYZE, BUFFERS) on the generated database — PostgreSQL (BENCH_DATABASE_URL, default
 * the 1,000,000-student lopso_bench), or with BENCH_ONLY=pglite the embedded one
 * (BENCH_PGLITE_DIR, default the benchmark's 100,000-student folder). It runs the real service
 * functions with a query logger, so the plans are those of the statements the pages send.
 * With BENCH_EXPLAIN=summary only the execution time of each statement is printed.
 */
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import type { Logger } from "drizzle-orm";
import * as schema from "../../db/schema/index.ts";
import type { Db } from "../../db/client.server.ts";
import { loadMemberships, type Actor } from "../../app/auth/actor.server.ts";
import { studentToday } from "../../app/services/timeline.server.ts";
import { classPage } from "../../app/services/classes.server.ts";
import { childOverview } from "../../app/services/families.server.ts";
import { BENCH_DIR, defaultPgliteDir, ensureGenerated, openTarget, pickAccounts, postgresTarget, type Target } from "./dataset.ts";

const summary = process.env.BENCH_EXPLAIN === "summary";
const target: Target =
  process.env.BENCH_ONLY === "pglite"
    ? { kind: "pglite", dataDir: process.env.BENCH_PGLITE_DIR ?? defaultPgliteDir(BENCH_DIR, 100_000), students: 100_000 }
    : postgresTarget(Number(process.env.BENCH_STUDENTS ?? 1_000_000), process.env.BENCH_DATABASE_URL);

async function main() {
  const students = await ensureGenerated(target, console.log);
  const database = await openTarget(target);
  try {
    const accounts = await pickAccounts(database, students);
    const captured: { query: string; params: unknown[] }[] = [];
    const logger: Logger = { logQuery: (query, params) => void captured.push({ query, params }) };
    let db: Db;
    let explain: (text: string, params: unknown[]) => Promise<string[]>;
    if (database.kind === "postgres") {
      const client = postgres(target.url!, { max: 1, onnotice: () => {} });
      db = drizzle(client, { schema, logger }) as unknown as Db;
      explain = async (text, params) => (await client.unsafe(text, params as never[])).map((r) => String(r["QUERY PLAN"]));
      process.once("beforeExit", () => void client.end());
    } else {
      db = drizzlePglite(database.pglite!, { schema, logger }) as unknown as Db;
      explain = async (text, params) => (await database.pglite!.query<Record<string, string>>(text, params)).rows.map((r) => r["QUERY PLAN"]);
    }
    const actorFor = async (login: string): Promise<Actor> => {
      const [u] = await database.query<{ id: string; full_name: string }>("select id, full_name from users where email = $1 or phone = $2", [
        login,
        "+84" + login.slice(1),
      ]);
      return { id: u.id, fullName: u.full_name, email: null, phone: null, locale: "vi", mustChangePassword: false, sessionId: "", memberships: await loadMemberships(db, u.id) };
    };

    const pages: [string, () => Promise<unknown>][] = [
      ["/today (studentToday)", async () => studentToday(db, await actorFor(accounts.student.login))],
      ["/classes/:id (classPage)", async () => classPage(db, await actorFor(accounts.teacher.login), accounts.teacher.classId)],
      ["/children/:id (childOverview)", async () => childOverview(db, await actorFor(accounts.parent.login), accounts.parent.childId)],
    ];
    for (const [name, run] of pages) {
      await run(); // warm the cache
      captured.length = 0;
      await run();
      console.log(`\n════ ${name} on ${target.kind} — ${captured.length} statements ════`);
      let total = 0;
      for (const { query, params } of captured) {
        const lines = await explain(`explain (analyze, buffers) ${query}`, params);
        const ms = Number(/Execution Time: ([\d.]+)/.exec(lines.join("\n"))?.[1] ?? 0);
        total += ms;
        console.log(`\n-- ${ms.toFixed(2)} ms: ${query.replace(/\s+/g, " ").slice(0, summary ? 160 : 100000)}`);
        if (!summary) console.log(lines.join("\n"));
      }
      console.log(`\n   total execution time: ${total.toFixed(2)} ms`);
    }
  } finally {
    await database.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
