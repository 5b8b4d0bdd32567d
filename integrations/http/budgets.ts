/**
 * Spending several budgets for one call (a project's and a user's, say): all of them or none.
 * A budget that refuses gives back what the ones before it took, so a full user minute does not
 * use up the project's minute for calls that were never sent.
 */
import type { RateBudgets } from "../ports.ts";

export type Budget = { key: string; limit: number; windowMs: number };

export async function takeAll(store: RateBudgets, budgets: readonly Budget[]): Promise<{ ok: true } | { ok: false; retryAt: Date; key: string }> {
  const taken: { key: string; windowStart?: Date }[] = [];
  for (const b of budgets) {
    const r = await store.take(b.key, b.limit, b.windowMs);
    if (r.ok) {
      taken.push({ key: b.key, windowStart: r.windowStart });
      continue;
    }
    for (const t of taken) if (t.windowStart && store.giveBack) await store.giveBack(t.key, t.windowStart);
    return { ok: false, retryAt: r.retryAt, key: b.key };
  }
  return { ok: true };
}
