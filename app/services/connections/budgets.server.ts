/**
 * Provider rate budgets in PostgreSQL (`provider_budgets`), so every web and worker process
 * spends the same budget: a fixed window per key, counted by one atomic upsert, and the time a
 * provider told us to wait until (a 429's Retry-After, Zoom's daily limit) held for everyone.
 */
import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../../db/client.server.ts";
import { providerBudgets } from "../../../db/schema/index.ts";
import type { RateBudgets } from "../../../integrations/ports.ts";

/** Spread calls are spaced a little wider than the limit, for the time a request takes to arrive. */
const SPREAD_MARGIN = 1.05;

/**
 * Evenly spaced calls (a generic cell rate: `window_start` holds the earliest time the next call
 * may go): one statement takes the slot and moves it one interval on, only when it is due.
 */
async function takeSpread(db: DbOrTx, key: string, intervalMs: number, now: Date): Promise<{ ok: true; windowStart: Date } | { ok: false; retryAt: Date }> {
  const at = now.toISOString();
  const next = new Date(now.getTime() + intervalMs);
  const [row] = await db
    .insert(providerBudgets)
    .values({ key, windowStart: next, used: 1 })
    .onConflictDoUpdate({
      target: providerBudgets.key,
      set: {
        used: sql`${providerBudgets.used} + 1`,
        windowStart: sql`greatest(${providerBudgets.windowStart}, ${at}::timestamptz) + ${`${intervalMs} milliseconds`}::interval`,
      },
      setWhere: sql`(${providerBudgets.blockedUntil} is null or ${providerBudgets.blockedUntil} <= ${at}::timestamptz) and ${providerBudgets.windowStart} <= ${at}::timestamptz`,
    })
    .returning({ windowStart: providerBudgets.windowStart });
  if (row) return { ok: true, windowStart: row.windowStart };
  const [held] = await db.select({ windowStart: providerBudgets.windowStart, blockedUntil: providerBudgets.blockedUntil }).from(providerBudgets).where(sql`${providerBudgets.key} = ${key}`);
  const waits = [held.windowStart.getTime(), held.blockedUntil ? held.blockedUntil.getTime() : 0];
  return { ok: false, retryAt: new Date(Math.max(...waits, now.getTime() + 1)) };
}

export function pgRateBudgets(db: DbOrTx): RateBudgets {
  return {
    async take(key, limit, windowMs, opts) {
      const now = new Date();
      if (opts?.spread) return takeSpread(db, key, Math.ceil((windowMs / limit) * SPREAD_MARGIN), now);
      const stale = new Date(now.getTime() - windowMs).toISOString();
      // One statement: a new window when the old one has passed, otherwise one more call in it —
      // only while the window has room and no block is in force (else the row is left as is).
      const [row] = await db
        .insert(providerBudgets)
        .values({ key, windowStart: now, used: 1 })
        .onConflictDoUpdate({
          target: providerBudgets.key,
          set: {
            used: sql`case when ${providerBudgets.windowStart} <= ${stale}::timestamptz then 1 else ${providerBudgets.used} + 1 end`,
            windowStart: sql`case when ${providerBudgets.windowStart} <= ${stale}::timestamptz then ${now.toISOString()}::timestamptz else ${providerBudgets.windowStart} end`,
          },
          setWhere: sql`(${providerBudgets.blockedUntil} is null or ${providerBudgets.blockedUntil} <= ${now.toISOString()}::timestamptz)
            and (${providerBudgets.windowStart} <= ${stale}::timestamptz or ${providerBudgets.used} < ${limit})`,
        })
        .returning({ windowStart: providerBudgets.windowStart });
      if (row) return { ok: true, windowStart: row.windowStart };
      const [held] = await db
        .select({ windowStart: providerBudgets.windowStart, used: providerBudgets.used, blockedUntil: providerBudgets.blockedUntil })
        .from(providerBudgets)
        .where(sql`${providerBudgets.key} = ${key}`);
      const full = held.used >= limit && held.windowStart.getTime() > now.getTime() - windowMs;
      const waits = [held.blockedUntil && held.blockedUntil > now ? held.blockedUntil.getTime() : 0, full ? held.windowStart.getTime() + windowMs : 0];
      return { ok: false, retryAt: new Date(Math.max(...waits, now.getTime() + 1)) };
    },
    async giveBack(key, windowStart) {
      // Only in the window the call was counted in: a window that has started again owes nothing.
      await db
        .update(providerBudgets)
        .set({ used: sql`${providerBudgets.used} - 1` })
        .where(sql`${providerBudgets.key} = ${key} and ${providerBudgets.windowStart} = ${windowStart.toISOString()}::timestamptz and ${providerBudgets.used} > 0`);
    },
    async block(key, until) {
      await db
        .insert(providerBudgets)
        .values({ key, windowStart: new Date(), used: 0, blockedUntil: until })
        .onConflictDoUpdate({
          target: providerBudgets.key,
          set: { blockedUntil: sql`greatest(coalesce(${providerBudgets.blockedUntil}, ${until.toISOString()}::timestamptz), ${until.toISOString()}::timestamptz)` },
        });
    },
  };
}
