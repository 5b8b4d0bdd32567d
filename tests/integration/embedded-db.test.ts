/**
 * The embedded database (PGlite) shares the web server's thread: its statements must leave the
 * event loop room to read and answer other requests while many are queued (db/client.server.ts).
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../support/db.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await freshDatabase("pglite");
});
afterAll(async () => {
  await database?.close();
});

describe("PGlite statements under load", () => {
  it("return to the event loop between one statement and the next, and finish in arrival order", async () => {
    // A chain of setImmediate callbacks counts the event-loop turns taken while the statements run.
    let turns = 0;
    let counting = true;
    const tick = () => {
      turns++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const finished: number[] = [];
    const turnsAtFinish: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        database.db.execute(sql`select ${i}::int as n, pg_sleep(0.001)`).then(() => {
          finished.push(i);
          turnsAtFinish.push(turns);
        }),
      ),
    );
    counting = false;
    expect(finished).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Without turns, all twenty would finish inside one chain of promise callbacks.
    for (let i = 1; i < 20; i++) expect(turnsAtFinish[i], `after statement ${i}`).toBeGreaterThan(turnsAtFinish[i - 1]);
  });

  it("still run inside transactions, and a failed statement does not stop the ones after it", async () => {
    const failing = database.db.execute(sql`select 1/0`).then(
      () => "ok",
      (e: Error) => String((e as { cause?: Error }).cause?.message ?? e.message),
    );
    const after = database.db.execute(sql`select 2 as n`);
    const rows = (result: unknown) => (result as { rows: unknown[] }).rows; // PGlite's result shape
    const inTx = database.db.transaction(async (tx) => rows(await tx.execute(sql`select 3 as n`)));
    expect(await failing).toMatch(/division by zero/);
    expect(rows(await after)).toEqual([{ n: 2 }]);
    expect(await inTx).toEqual([{ n: 3 }]);
  });
});
