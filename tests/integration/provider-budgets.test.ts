/**
 * Provider rate budgets shared by every process: held in PostgreSQL, so calls from two database
 * connections never spend more than the window allows, and a provider's Retry-After seen by one
 * process holds back the others before they reach the provider.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../db/client.server.ts";
import { pgRateBudgets } from "../../app/services/connections/budgets.server.ts";
import { IntegrationError } from "../../integrations/errors.ts";
import { takeAll } from "../../integrations/http/budgets.ts";
import { checkMicrosoft, type MicrosoftConfig } from "../../integrations/microsoft/index.server.ts";
import { startFakeMicrosoft, type FakeMicrosoft } from "../fakes/microsoft/server.ts";
import { freshDatabase, testDatabaseUrl, testDbKind, type TestDatabase } from "../support/db.ts";

let database: TestDatabase;
/** A second process's connection (PostgreSQL); PGlite has one connection, shared. */
let other: Database;
let fake: FakeMicrosoft;
let cfg: MicrosoftConfig;
const tenant = { tenantId: "tenant-budget", clientId: "app-b", clientSecret: "secret-b", displayName: "Trường B", domain: "b.edu.vn" };

beforeAll(async () => {
  database = await freshDatabase();
  if (testDbKind() === "postgres") {
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${database.name}`;
    other = await openDatabase({ url: url.toString(), max: 5 });
  } else other = database;
  fake = await startFakeMicrosoft([tenant]);
  cfg = { loginUrl: fake.url, graphUrl: `${fake.url}/v1.0` };
});

afterAll(async () => {
  if (other && other !== database) await other.close();
  await database?.drop();
  await fake?.close();
});

describe("shared provider budgets", () => {
  it("never spends more than the window allows, whichever process asks", async () => {
    const a = pgRateBudgets(database.db);
    const b = pgRateBudgets(other.db);
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).take("test:window", 5, 60_000)));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    const refused = results.filter((r): r is { ok: false; retryAt: Date } => !r.ok);
    expect(refused).toHaveLength(19);
    for (const r of refused) expect(r.retryAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
  });

  it("opens again in the next window", async () => {
    const a = pgRateBudgets(database.db);
    expect((await a.take("test:short", 1, 200)).ok).toBe(true);
    expect((await a.take("test:short", 1, 200)).ok).toBe(false);
    await new Promise((r) => setTimeout(r, 250));
    expect((await a.take("test:short", 1, 200)).ok).toBe(true);
  });

  it("spends a project's and a user's budget both or neither: a spent user gives the project's call back", async () => {
    const a = pgRateBudgets(database.db);
    const b = pgRateBudgets(other.db);
    const project = { key: "test:project", limit: 5, windowMs: 60_000 };
    const user = (n: number) => ({ key: `test:user:${n}`, limit: 1, windowMs: 60_000 });
    // User 0 asks four times: once granted, three times refused — the project keeps four of its five.
    const first = await Promise.all([a, b, a, b].map((store) => takeAll(store, [project, user(0)])));
    expect(first.filter((r) => r.ok)).toHaveLength(1);
    expect(first.filter((r) => !r.ok).map((r) => !r.ok && r.key)).toEqual(["test:user:0", "test:user:0", "test:user:0"]);
    const others = await Promise.all([1, 2, 3, 4, 5].map((n) => takeAll(n % 2 ? a : b, [project, user(n)])));
    expect(others.filter((r) => r.ok)).toHaveLength(4);
    expect(others.filter((r) => !r.ok).map((r) => !r.ok && r.key)).toEqual(["test:project"]);
    // The user the project refused spent nothing of their own: their one call is still there.
    const refused = others.findIndex((r) => !r.ok) + 1;
    expect((await a.take(`test:user:${refused}`, 1, 60_000)).ok).toBe(true);
    expect((await a.take(`test:user:${refused === 1 ? 2 : 1}`, 1, 60_000)).ok).toBe(false);
  });

  it("gives nothing back to a window that has started again", async () => {
    const a = pgRateBudgets(database.db);
    const taken = await a.take("test:rolled", 1, 150);
    expect(taken.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect((await a.take("test:rolled", 1, 150)).ok).toBe(true);
    if (taken.ok) await a.giveBack!("test:rolled", taken.windowStart!);
    expect((await a.take("test:rolled", 1, 150)).ok).toBe(false);
  });

  it("a sliding budget never lets more than the limit through in any sliding window, from two processes", async () => {
    const stores = [pgRateBudgets(database.db), pgRateBudgets(other.db)];
    const times: number[] = [];
    // Four callers at once, as four teachers saving, until 30 calls have gone out.
    await Promise.all(
      [0, 1, 2, 3].map(async (n) => {
        while (times.length < 30) {
          const r = await stores[n % 2].take("test:sliding", 20, 1000, { sliding: true });
          if (r.ok) times.push(Date.now());
          else await new Promise((w) => setTimeout(w, Math.max(1, r.retryAt.getTime() - Date.now())));
        }
      }),
    );
    times.sort((x, y) => x - y);
    for (const t of times) expect(times.filter((u) => u > t - 1000 && u <= t).length).toBeLessThanOrEqual(20);
    // A burst of 20 goes at once; the 21st waits for the first to leave the window.
    expect(times[19] - times[0]).toBeLessThan(900);
    expect(times[20] - times[0]).toBeGreaterThanOrEqual(990);
  });

  it("sliding budgets too are spent both or neither: a spent user gives the project its call back", async () => {
    const a = pgRateBudgets(database.db);
    const project = { key: "test:sliding-project", limit: 2, windowMs: 60_000, sliding: true };
    const user = (n: number) => ({ key: `test:sliding-user-${n}`, limit: 1, windowMs: 60_000, sliding: true });
    expect((await takeAll(a, [project, user(1)])).ok).toBe(true);
    // User 1's minute is spent: refused, and the project's call it took is given back…
    expect(await takeAll(a, [project, user(1)])).toMatchObject({ ok: false, key: "test:sliding-user-1" });
    // …so the project's second call is still there for user 2, and then the project is full.
    expect((await takeAll(a, [project, user(2)])).ok).toBe(true);
    expect(await takeAll(a, [project, user(3)])).toMatchObject({ ok: false, key: "test:sliding-project" });
    expect((await a.take(user(3).key, 1, 60_000, { sliding: true })).ok).toBe(true);
  });

  it("a Retry-After seen by one process holds back another before it calls the provider", async () => {
    fake.throttleNext(3, "120");
    const first = await checkMicrosoft(cfg, tenant, { budgets: pgRateBudgets(database.db) }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(IntegrationError);
    expect((first as IntegrationError).code).toBe("rate_limited");
    const graphCalls = fake.calls.organization;
    fake.throttleNext(0, "0");

    const second = await checkMicrosoft(cfg, tenant, { budgets: pgRateBudgets(other.db) }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(IntegrationError);
    expect((second as IntegrationError).code).toBe("rate_limited");
    expect((second as IntegrationError).retryAt!.getTime()).toBeGreaterThan(Date.now() + 100_000);
    // Refused here: Graph was not called again.
    expect(fake.calls.organization).toBe(graphCalls);
    // Another tenant's budget is its own.
    expect((await pgRateBudgets(other.db).take("graph:tenant:someone-else", 5000, 10_000)).ok).toBe(true);
  });
});
