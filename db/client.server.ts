/**
 * One database handle per process. `DATABASE_URL` → a real PostgreSQL server (postgres.js);
 * unset → embedded PGlite with its files under DATA_DIR/pglite.
 *
 * The handle lives on `globalThis` so that the server entry, the React Router server build and the
 * job workers — which may each load their own copy of this module — share a single connection
 * (PGlite is single-process: two instances on one data directory would corrupt it).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Either the database or an open transaction: services accept both. */
export type DbOrTx = Db | Tx;

export type DatabaseKind = "pglite" | "postgres";

export interface Database {
  kind: DatabaseKind;
  db: Db;
  /** Run one raw statement and get its rows, the same on both drivers. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Options for pg-boss: a connection string, or an in-process executor for PGlite. */
  jobStoreOptions(): Record<string, unknown>;
  close(): Promise<void>;
  /** The embedded instance, when kind is "pglite". */
  pglite?: import("@electric-sql/pglite").PGlite;
  /** How another process reaches the same database, when kind is "postgres". */
  connection?: { url: string; prepare: boolean };
}

export interface OpenOptions {
  /** postgres:// URL; when absent, PGlite is used. */
  url?: string;
  /** PGlite data directory, or "memory://" for an in-memory database. */
  dataDir?: string;
  /** Pool size for postgres.js. */
  max?: number;
  /** Use named prepared statements on PostgreSQL (default true). */
  prepare?: boolean;
}

const besideThisFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "migrations");
/** Beside this module when run from source; from the project root when bundled into the server build. */
export const MIGRATIONS_DIR = fs.existsSync(besideThisFile) ? besideThisFile : path.resolve("db/migrations");

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.url) {
    const { default: postgres } = await import("postgres");
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const client = postgres(opts.url, {
      max: opts.max ?? 10,
      onnotice: () => {},
      connection: { application_name: "lop-so" },
    });
    // Drizzle runs its statements through `unsafe`, which postgres.js does not prepare by default:
    // every page view would be parsed and planned again. Named prepared statements cut the
    // database's CPU per page by ~4× (set DATABASE_PREPARE=0 behind a transaction-mode pooler).
    const prepare = opts.prepare ?? true;
    const prepared = new Proxy(client, {
      get(target, key, receiver) {
        if (key === "unsafe" && prepare) {
          return (query: string, params?: never[], options?: { prepare?: boolean }) => target.unsafe(query, params, { ...options, prepare: true });
        }
        return Reflect.get(target, key, receiver);
      },
    });
    const db = drizzle(prepared, { schema }) as unknown as Db;
    return {
      kind: "postgres",
      db,
      async query<T>(text: string, params: unknown[] = []) {
        return (await client.unsafe(text, params as never[])) as unknown as T[];
      },
      jobStoreOptions: () => ({ connectionString: opts.url, max: 4, application_name: "lop-so-jobs" }),
      close: () => client.end({ timeout: 5 }),
      connection: { url: opts.url, prepare },
    };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const dataDir = opts.dataDir ?? "memory://";
  if (!dataDir.startsWith("memory://")) fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  // pg_trgm: the library search's typo correction (db/migrations, library_words).
  const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
  const pglite = await PGlite.create(dataDir, { extensions: { pg_trgm } });
  const db = drizzle(takingTurns(pglite), { schema }) as unknown as Db;
  return {
    kind: "pglite",
    db,
    pglite,
    async query<T>(text: string, params: unknown[] = []) {
      return (await pglite.query<T>(text, params)).rows;
    },
    jobStoreOptions: () => ({
      // pg-boss runs in-process on the same PGlite instance. PGlite's query/exec wait for any open
      // transaction, so job SQL never interleaves with an application transaction.
      db: {
        async executeSql(text: string, values?: unknown[]) {
          if (values && values.length > 0) return pglite.query(text, values);
          const results = await pglite.exec(text);
          return results.length === 1 ? results[0] : results;
        },
      },
    }),
    close: () => pglite.close(),
  };
}

/**
 * PGlite runs each statement on this thread, and its queue hands the next waiting statement over
 * without returning to the event loop: under load, dozens of requests' statements and renders ran
 * as one uninterrupted chain of promise callbacks for hundreds of milliseconds, while new requests
 * sat unread in their sockets — some connections waited seconds for their turn. Here the
 * application's statements take turns in arrival order, with a pass through the event loop
 * (setImmediate) between one and the next, so the server keeps reading and answering requests.
 * Transactions use PGlite's own lock and are unaffected.
 */
function takingTurns<T extends { query: (...args: never[]) => Promise<unknown> }>(pglite: T): T {
  const afterIo = () => new Promise<void>((resolve) => setImmediate(resolve));
  let last: Promise<unknown> = Promise.resolve();
  return new Proxy(pglite, {
    get(target, key, receiver) {
      if (key === "query") {
        return (...args: never[]) => {
          const result = last.then(() => target.query(...args));
          last = result.then(afterIo, afterIo);
          return result;
        };
      }
      const value = Reflect.get(target, key, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Apply db/migrations with drizzle's migrator for the driver in use. */
export async function migrate(database: Database): Promise<void> {
  if (database.kind === "postgres") {
    const { migrate } = await import("drizzle-orm/postgres-js/migrator");
    await migrate(database.db as never, { migrationsFolder: MIGRATIONS_DIR });
  } else {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(database.db as never, { migrationsFolder: MIGRATIONS_DIR });
  }
}

/** True when every migration in db/migrations has been applied. */
export async function migrationsApplied(database: Database): Promise<boolean> {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, "meta/_journal.json"), "utf8")) as {
    entries: unknown[];
  };
  try {
    const rows = await database.query<{ n: number }>(
      "select count(*)::int as n from drizzle.__drizzle_migrations",
    );
    return Number(rows[0]?.n ?? 0) >= journal.entries.length;
  } catch {
    return false;
  }
}

const KEY = Symbol.for("lop-so.database");
type Holder = { [KEY]?: Database };

export function setDatabase(database: Database | undefined): void {
  (globalThis as Holder)[KEY] = database;
}

export function hasDatabase(): boolean {
  return Boolean((globalThis as Holder)[KEY]);
}

export function getDatabase(): Database {
  const database = (globalThis as Holder)[KEY];
  if (!database) throw new Error("The database is not open: call setDatabase(await openDatabase(...)) at start-up.");
  return database;
}

/** The Drizzle handle of the process's database. */
export function getDb(): Db {
  return getDatabase().db;
}

export { sql };

/**
 * Rows of a raw SQL statement through Drizzle, the same on both drivers (postgres.js returns an
 * array, PGlite an object with `rows`). For hot pages that gather everything in one round trip.
 */
export async function selectRows<T>(db: DbOrTx, query: import("drizzle-orm").SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** JSON columns arrive parsed from postgres.js and PGlite alike; a string is parsed defensively. */
export function json<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}
