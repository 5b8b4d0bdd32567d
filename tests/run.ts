/**
 * `npm test`: build, type-check (`npm run typecheck`), then unit tests, integration tests on
 * PGlite, integration tests on PostgreSQL (when TEST_DATABASE_URL is set), and end-to-end tests
 * in Chromium (when one is found). At the end it names whatever it could not run and why. With
 * REQUIRE_ALL=1 (CI) a missing database or browser fails the run instead.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";

const requireAll = process.env.REQUIRE_ALL === "1";
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const only = process.argv.slice(2);

type Suite = { name: string; project: string; env: Record<string, string> };
type Outcome = { name: string; passed: number; failed: number; skipped: number; ok: boolean };

const outcomes: Outcome[] = [];
const notRun: string[] = [];

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, ...env } }).status ?? 1;
}

function runSuite(suite: Suite) {
  const report = path.join(os.tmpdir(), `lopso-${suite.project}-${process.pid}-${outcomes.length}.json`);
  console.log(`\n━━ ${suite.name} ━━`);
  const status = run("npx", ["vitest", "run", "--project", suite.project, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`], suite.env);
  let passed = 0, failed = 0, skipped = 0;
  try {
    const json = JSON.parse(fs.readFileSync(report, "utf8")) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
    passed = json.numPassedTests;
    failed = json.numFailedTests;
    skipped = json.numPendingTests + json.numTodoTests;
    fs.rmSync(report, { force: true });
  } catch {
    failed = Math.max(failed, 1);
  }
  outcomes.push({ name: suite.name, passed, failed, skipped, ok: status === 0 && failed === 0 });
}

async function postgresReachable(url: string): Promise<string | null> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function main() {
  const want = (name: string) => only.length === 0 || only.includes(name);
  console.log("━━ build ━━");
  if (run("npm", ["run", "build", "--silent"], { NODE_ENV: "production" }) !== 0) {
    console.log("\ntests: 0 passed, 1 failed (the build failed)");
    process.exit(1);
  }

  if (want("types")) {
    console.log("\n━━ types · tsc ━━");
    const ok = run("npm", ["run", "typecheck", "--silent"]) === 0;
    if (ok) console.log("no type errors");
    outcomes.push({ name: "types · tsc --noEmit", passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, ok });
  }
  if (want("unit")) runSuite({ name: "unit", project: "unit", env: {} });
  if (want("pglite")) runSuite({ name: "integration · PGlite", project: "integration", env: { TEST_DB: "pglite" } });

  if (want("postgres")) {
    const url = process.env.TEST_DATABASE_URL;
    const problem = url ? await postgresReachable(url) : "TEST_DATABASE_URL is not set";
    if (problem) notRun.push(`integration · PostgreSQL: ${problem}`);
    else runSuite({ name: "integration · PostgreSQL", project: "integration", env: { TEST_DB: "postgres", TEST_DATABASE_URL: url! } });
  }

  if (want("e2e")) {
    if (fs.existsSync(chromium)) runSuite({ name: "end-to-end · Chromium", project: "e2e", env: { CHROMIUM_PATH: chromium } });
    else notRun.push(`end-to-end: no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`);
  }

  console.log("\n━━ summary ━━");
  for (const o of outcomes) {
    console.log(`${o.ok ? "✔" : "✘"} ${o.name}: ${o.passed} passed, ${o.failed} failed${o.skipped ? `, ${o.skipped} skipped` : ""}`);
  }
  for (const n of notRun) console.log(`– not run: ${n}`);
  const passed = outcomes.reduce((a, o) => a + o.passed, 0);
  let failed = outcomes.reduce((a, o) => a + o.failed, 0);
  const suitesFailed = outcomes.some((o) => !o.ok);
  if (requireAll && notRun.length > 0) {
    console.log("REQUIRE_ALL=1: every suite must run; the ones above could not.");
    failed += notRun.length;
  }
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || suitesFailed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
