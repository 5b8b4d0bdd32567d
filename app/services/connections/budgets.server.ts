/**
 * Provider rate budgets in PostgreSQL (`provider_budgets`), so every web and worker process
 * spends the same budget: a fixed or a sliding window per key, counted by one atomic upsert, and the time a
 * provider told us to wait until (a 429's Retry-After, Zoom's daily limit) held for everyone.
 */
import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../../db/client.server.ts";
import { providerBudgets } from "../../../db/schema/index.ts";
import type { RateBudgets } from "../../../integrations/ports.ts";

const SLIDING_MARGIN = 1.05;

/**
 * A sliding window (a log of the last window's calls in `recent`): at most `limit` calls in any
 * `windowMs`, bursts included — for providers that count over a sliding window, where a fixed
 * window would let twice the limit through across its edge. One statement keeps the calls still
 * in the window and adds this one, only while there is room and no block is in force.
 */
async function takeSliding(db: DbOrTx, key: string, limit: number, providerWindowMs: number, now: Date): Promise<{ ok: true; windowStart: Date } | { ok: false; retryAt: Date }> {
  // A little longer than the provider's window: a call reaches it a moment after it is counted here.
  const windowMs = Math.ceil(providerWindowMs * SLIDING_MARGIN) + 20;
  const at = now.toISOString();
  const since = new Date(now.getTime() - windowMs).toISOString();
  const live = sql`(select count(*) from unnest(${providerBudgets.recent}) t where t > ${since}::timestamptz)`;
  const [row] = await db
    .insert(providerBudgets)
    .values({ key, windowStart: now, used: 1, recent: [at] })
    .onConflictDoUpdate({
      target: providerBudgets.key,
      set: {
        used: sql`${providerBudgets.used} + 1`,
        recent: sql`array(select t from unnest(${providerBudgets.recent}) t where t > ${since}::timestamptz order by t) || ${at}::timestamptz`,
      },
      setWhere: sql`(${providerBudgets.blockedUntil} is null or ${providerBudgets.blockedUntil} <= ${at}::timestamptz) and ${live} < ${limit}`,
    })
    .returning({ key: providerBudgets.key });
  if (row) return { ok: true, windowStart: now };
  // Refused: open again when the call that fills the window leaves it (or the block ends).
  const [held] = await db
    .select({
      opens: sql<number | null>`(select extract(epoch from t) * 1000 from unnest(${providerBudgets.recent}) t where t > ${since}::timestamptz order by t desc offset ${limit - 1} limit 1)::float8`,
      blockedUntil: providerBudgets.blockedUntil,
    })
    .from(providerBudgets)
    .where(sql`${providerBudgets.key} = ${key}`);
  const waits = [held.opens !== null ? Number(held.opens) + windowMs + 1 : 0, held.blockedUntil ? held.blockedUntil.getTime() : 0];
  return { ok: false, retryAt: new Date(Math.max(...waits, now.getTime() + 1)) };
}

export function pgRateBudgets(db: DbOrTx): RateBudgets {
  return {
    async take(key, limit, windowMs, opts) {
      const now = new Date();
      if (opts?.sliding) return takeSliding(db, key, limit, windowMs, now);
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
    async giveBack(key, windowStart, opts) {
      // Only in the window the call was counted in: one that has moved on owes nothing.
      const at = windowStart.toISOString();
      if (opts?.sliding) {
        // The one entry this call added (the first of that time), taken out of the log.
        const i = sql`array_position(${providerBudgets.recent}, ${at}::timestamptz)`;
        await db
          .update(providerBudgets)
          .set({ used: sql`${providerBudgets.used} - 1`, recent: sql`${providerBudgets.recent}[:${i} - 1] || ${providerBudgets.recent}[${i} + 1:]` })
          .where(sql`${providerBudgets.key} = ${key} and ${i} is not null`);
        return;
      }
      await db
        .update(providerBudgets)
        .set({ used: sql`${providerBudgets.used} - 1` })
        .where(sql`${providerBudgets.key} = ${key} and ${providerBudgets.windowStart} = ${at}::timestamptz and ${providerBudgets.used} > 0`);
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
