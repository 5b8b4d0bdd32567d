import { inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.server.ts";
import { rateLimits } from "../../db/schema/index.ts";

/**
 * Failure throttling kept in PostgreSQL, so every web process behind a load balancer counts the
 * same attempts. Only failures count. From the `free`-th failure of a window on, each one holds
 * the key back for a delay that doubles (`baseDelayMs`, 2×, 4×, … up to `maxDelayMs`) — a
 * backoff, never a lock that stays shut. While a key is held back its attempts
 * are refused before any work is done and are not counted, here or under any other key.
 */
export type ThrottlePolicy = {
  /** Failures in a window before the backoff starts (the `free`-th failure starts it). */
  free: number;
  /** The window, from its first failure; failures older than that are forgotten. */
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
};

/** The latest time before which any of `keys` is held back, or null when none is. */
export async function heldUntil(db: DbOrTx, keys: string[]): Promise<Date | null> {
  if (keys.length === 0) return null;
  const rows = await db.select({ blockedUntil: rateLimits.blockedUntil }).from(rateLimits).where(inArray(rateLimits.key, keys));
  const now = Date.now();
  let latest: Date | null = null;
  for (const { blockedUntil } of rows) {
    if (blockedUntil && blockedUntil.getTime() > now && (!latest || blockedUntil > latest)) latest = blockedUntil;
  }
  return latest;
}

/**
 * The delay after the `failures`-th failure of a window: none before the `free`-th, then
 * `baseDelayMs` after it, doubling with each further failure up to `maxDelayMs`.
 */
export function backoffMs(policy: ThrottlePolicy, failures: number): number {
  if (failures < policy.free) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(failures - policy.free, 30));
}

/** Count one failure under `key` and start or extend its backoff. Returns the failures counted in the window. */
export async function recordFailure(db: DbOrTx, key: string, policy: ThrottlePolicy): Promise<number> {
  const now = new Date();
  const stale = new Date(now.getTime() - policy.windowMs).toISOString();
  const [row] = await db
    .insert(rateLimits)
    .values({ key, windowStart: now, count: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`case when ${rateLimits.windowStart} <= ${stale}::timestamptz then 1 else ${rateLimits.count} + 1 end`,
        windowStart: sql`case when ${rateLimits.windowStart} <= ${stale}::timestamptz then ${now.toISOString()}::timestamptz else ${rateLimits.windowStart} end`,
      },
    })
    .returning({ count: rateLimits.count });
  const delay = backoffMs(policy, row.count);
  if (delay > 0) {
    await db
      .update(rateLimits)
      .set({ blockedUntil: new Date(now.getTime() + delay) })
      .where(sql`${rateLimits.key} = ${key}`);
  }
  return row.count;
}

/** Forget a key's failures (a correct password from the same scope). */
export async function forget(db: DbOrTx, key: string) {
  await db.delete(rateLimits).where(sql`${rateLimits.key} = ${key}`);
}

/** Seconds from now until `until`, at least 1: how long a person is asked to wait. */
export function secondsUntil(until: Date): number {
  return Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
}
