/**
 * A fresh, migrated database per test file: PGlite in memory, or a new database on the PostgreSQL
 * server at TEST_DATABASE_URL (dropped afterwards). TEST_DB=postgres|pglite picks one.
 */
import crypto from "node:crypto";
import postgres from "postgres";
import { migrate, openDatabase, setDatabase, type Database } from "../../db/client.server.ts";

export type TestDbKind = "pglite" | "postgres";

export function testDbKind(): TestDbKind {
  return process.env.TEST_DB === "postgres" ? "postgres" : "pglite";
}

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error("TEST_DB=postgres needs TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/test");
  return url;
}

export type TestDatabase = Database & { name: string; drop: () => Promise<void> };

export async function freshDatabase(kind: TestDbKind = testDbKind()): Promise<TestDatabase> {
  if (kind === "pglite") {
    const database = await openDatabase({ dataDir: "memory://" });
    await migrate(database);
    setDatabase(database);
    return Object.assign(database, { name: "memory", drop: () => database.close() });
  }
  const base = new URL(testDatabaseUrl());
  const name = `lopso_t_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
  const admin = postgres(base.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), max: 5 });
  await migrate(database);
  setDatabase(database);
  const close = database.close;
  return Object.assign(database, {
    name,
    close,
    drop: async () => {
      await close();
      await dropTestDatabase(name);
    },
  });
}

/** Drop a database made on the test server (connections to it are ended first). */
export async function dropTestDatabase(name: string) {
  const admin = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}

/** The id of the first row a lookup returns (tests look up demo rows by their natural keys). */
export async function firstId(query: Promise<{ id: string }[]>): Promise<string> {
  const rows = await query;
  if (!rows[0]) throw new Error("no row matched the lookup");
  return rows[0].id;
}
