/**
 * Spending several budgets for one call (a project's and a user's, say): all of them or none.
 * A budget that refuses gives back what the ones before it took, so a full user minute does not
 * use up the project's minute for calls that were never sent.
 */
import { IntegrationError } from "../errors.ts";
import type { RateBudgets } from "../ports.ts";

export type Budget = { key: string; limit: number; windowMs: number; sliding?: boolean };

export async function takeAll(store: RateBudgets, budgets: readonly Budget[]): Promise<{ ok: true } | { ok: false; retryAt: Date; key: string }> {
  const taken: { budget: Budget; windowStart?: Date }[] = [];
  for (const b of budgets) {
    const r = await store.take(b.key, b.limit, b.windowMs, b.sliding ? { sliding: true } : undefined);
    if (r.ok) {
      taken.push({ budget: b, windowStart: r.windowStart });
      continue;
    }
    for (const t of taken) {
      if (t.windowStart && store.giveBack) await store.giveBack(t.budget.key, t.windowStart, t.budget.sliding ? { sliding: true } : undefined);
    }
    return { ok: false, retryAt: r.retryAt, key: b.key };
  }
  return { ok: true };
}

/**
 * `takeAll`, waiting for the budgets to open when that is at most `maxWaitMs` (10 s) away; beyond
 * it the call is `rate_limited` with when to try again, for the caller's job to re-schedule.
 */
export async function spendAll(store: RateBudgets, budgets: readonly Budget[], call: { provider: string; operation: string; maxWaitMs?: number }): Promise<void> {
  const deadline = Date.now() + (call.maxWaitMs ?? 10_000);
  for (;;) {
    const taken = await takeAll(store, budgets);
    if (taken.ok) return;
    if (taken.retryAt.getTime() > deadline) {
      throw new IntegrationError({ code: "rate_limited", provider: call.provider, operation: call.operation, retryAt: taken.retryAt, budget: "burst", providerMessage: `budget ${taken.key} is spent` });
    }
    await new Promise((r) => setTimeout(r, Math.max(5, taken.retryAt.getTime() - Date.now())));
  }
}
