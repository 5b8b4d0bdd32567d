import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.server.ts";
import { rateLimits } from "../../db/schema/index.ts";

/**
 * Fixed-window counter kept in PostgreSQL, so every web process behind a load balancer counts the
 * same attempts. Returns whether this attempt is allowed and when the window resets.
 */
export async function hit(db: DbOrTx, key: string, limit: number, windowMs: number) {
  const now = new Date();
  const windowStart = new Date(now.getTime() - windowMs);
  const [row] = await db
    .insert(rateLimits)
    .values({ key, windowStart: now, count: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`case when ${rateLimits.windowStart} <= ${windowStart.toISOString()}::timestamptz then 1 else ${rateLimits.count} + 1 end`,
        windowStart: sql`case when ${rateLimits.windowStart} <= ${windowStart.toISOString()}::timestamptz then ${now.toISOString()}::timestamptz else ${rateLimits.windowStart} end`,
      },
    })
    .returning({ count: rateLimits.count, windowStart: rateLimits.windowStart });
  const resetAt = new Date(row.windowStart.getTime() + windowMs);
  return { allowed: row.count <= limit, remaining: Math.max(0, limit - row.count), resetAt };
}

export async function clear(db: DbOrTx, key: string) {
  await db.delete(rateLimits).where(sql`${rateLimits.key} = ${key}`);
}

/** Take back one counted attempt, e.g. a sign-in that turned out to be the right password. */
export async function refund(db: DbOrTx, key: string) {
  await db
    .update(rateLimits)
    .set({ count: sql`greatest(${rateLimits.count} - 1, 0)` })
    .where(sql`${rateLimits.key} = ${key}`);
}
