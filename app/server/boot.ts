/** Opening the configured database, shared by the web server, the workers and the CLI. */
import fs from "node:fs";
import path from "node:path";
import { hasDatabase, migrate, openDatabase, setDatabase, type Database } from "../../db/client.server.ts";
import type { Env } from "../env.server.ts";
import { logger } from "./log.ts";

export class DatabaseBusyError extends Error {}

/**
 * PGlite is single-process: one process at a time may open DATA_DIR/pglite. A lock file holds the
 * owner's pid; a stale lock (its process gone) is taken over.
 */
function acquirePgliteLock(dataDir: string, purpose: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "pglite.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: process.pid, purpose, since: new Date().toISOString() }), { flag: "wx" });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          const owner = JSON.parse(fs.readFileSync(file, "utf8")) as { pid: number };
          if (owner.pid === process.pid) fs.rmSync(file, { force: true });
        } catch {
          /* already gone */
        }
      };
      process.once("exit", release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let owner: { pid: number; purpose: string } | undefined;
      try {
        owner = JSON.parse(fs.readFileSync(file, "utf8"));
      } catch {
        owner = undefined;
      }
      if (owner && owner.pid !== process.pid && isAlive(owner.pid)) {
        throw new DatabaseBusyError(
          `The embedded database in ${dataDir} is in use by process ${owner.pid} (${owner.purpose}). ` +
            `PGlite allows one process at a time: stop that process first (Ctrl+C in its terminal), ` +
            `or set DATABASE_URL to use a PostgreSQL server, which any number of processes can share.`,
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new DatabaseBusyError(`Could not lock ${file}`);
}

function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function openConfiguredDatabase(env: Env, purpose: string, opts: { max?: number } = {}): Promise<Database> {
  if (env.DATABASE_URL) {
    const database = await openDatabase({ url: env.DATABASE_URL, max: opts.max, prepare: env.DATABASE_PREPARE });
    setDatabase(database);
    return database;
  }
  const release = acquirePgliteLock(env.DATA_DIR, purpose);
  try {
    const database = await openDatabase({ dataDir: path.join(env.DATA_DIR, "pglite") });
    const close = database.close;
    database.close = async () => {
      await close();
      release();
    };
    setDatabase(database);
    return database;
  } catch (e) {
    release();
    throw e;
  }
}

/** Open, migrate, and (in demo mode, on an empty database) seed the demo province. */
export async function bootDatabase(env: Env, purpose: string, opts: { max?: number } = {}): Promise<Database> {
  const started = Date.now();
  const database = await openConfiguredDatabase(env, purpose, opts);
  await migrate(database);
  if (env.DEMO) {
    const { seedDemo } = await import("../../db/seed.server.ts");
    const seeded = await seedDemo(database.db);
    if (seeded) logger.info("demo data seeded", { schools: seeded.schools, users: seeded.users });
  }
  logger.info("database ready", { kind: database.kind, ms: Date.now() - started });
  return database;
}

/**
 * For `npm run dev` (Vite's dev server runs the app without our server entry): open the configured
 * database on the first request, and start the job workers with it (unless WORKERS=0), as
 * `npm start` does. The production entry does both at start-up instead. The handle is
 * process-wide (db/client.server.ts), so a module reloaded by the dev server neither reopens
 * the database nor starts a second set of workers.
 */
let opening: Promise<Database> | undefined;
export async function ensureDatabase(): Promise<void> {
  if (hasDatabase()) return;
  const { env } = await import("../env.server.ts");
  opening ??= (async () => {
    const config = env();
    const database = await bootDatabase(config, "dev server");
    if (config.WORKERS) {
      const { startWorkers } = await import("../jobs/queue.server.ts");
      await startWorkers(database);
      logger.info("job workers started", { database: database.kind });
    }
    return database;
  })();
  await opening;
}
