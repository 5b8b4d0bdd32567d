/** Retry timing for outside messages: exponential backoff with full jitter, capped. */
export type BackoffPolicy = { baseMs: number; capMs: number };

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 30_000, capMs: 60 * 60_000 };

/**
 * The wait before the next attempt after `attempts` tries: a random time up to
 * min(cap, base × 2^(attempts−1)) ("full jitter"), so many messages that failed together do not
 * all come back at the same moment. `random` is in [0, 1).
 */
export function backoffDelayMs(attempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.floor(random() * ceiling);
}

/** When to try again: after the backoff, and never before what the channel asked for. */
export function nextAttemptAt(now: Date, attempts: number, retryAt?: Date, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): Date {
  const after = now.getTime() + backoffDelayMs(attempts, policy, random);
  return new Date(Math.max(after, retryAt?.getTime() ?? 0));
}
