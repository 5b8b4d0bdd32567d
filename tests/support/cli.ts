/**
 * `npm run cli -- …` as an operator runs it, for tests: a child process (node with tsx's loader,
 * as `tsx app/cli.ts` does) on a data folder of the test's own and, on PostgreSQL, a database of
 * its own, dropped afterwards.
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { openDatabase, type Database } from "../../db/client.server.ts";
import { testDatabaseUrl, testDbKind, type TestDbKind } from "./db.ts";

export type CliRun = { code: number | null; stdout: string; stderr: string };

export type CliPlace = {
  kind: TestDbKind;
  dataDir: string;
  /** Empty on PGlite (the CLI then uses DATA_DIR/pglite). */
  databaseUrl: string;
  /** The environment a CLI (or a server) of this place runs with, plus `extra`. */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Runs the CLI with `args`; `extra` adds to (or overrides) the environment. */
  run(args: string[], extra?: Record<string, string>): Promise<CliRun>;
  /** The place's database, to look into between CLI runs (PGlite: only while no CLI holds it). */
  open(max?: number): Promise<Database>;
  remove(): Promise<void>;
};

async function adminSql<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

/** A fresh place for CLI runs: a temporary DATA_DIR, and a database named after `prefix` on PostgreSQL. */
export async function cliPlace(prefix: string, baseEnv: Record<string, string> = {}): Promise<CliPlace> {
  const kind = testDbKind();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `lopso-${prefix}-`));
  let databaseUrl = "";
  let name = "";
  if (kind === "postgres") {
    name = `lopso_${prefix.replace(/[^a-z0-9]/g, "_")}_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
    await adminSql((sql) => sql.unsafe(`create database ${name}`));
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
  }
  const env = (extra: Record<string, string> = {}) => ({ ...process.env, DATA_DIR: dataDir, DATABASE_URL: databaseUrl, DEMO: "0", ...baseEnv, ...extra });
  return {
    kind,
    dataDir,
    databaseUrl,
    env,
    run(args, extra) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", "app/cli.ts", ...args], { env: env(extra), stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.once("error", reject);
        child.once("close", (code) => resolve({ code, stdout, stderr }));
      });
    },
    open(max = 2) {
      return kind === "postgres" ? openDatabase({ url: databaseUrl, max }) : openDatabase({ dataDir: path.join(dataDir, "pglite") });
    },
    async remove() {
      if (name) await adminSql((sql) => sql.unsafe(`drop database if exists ${name} with (force)`));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
