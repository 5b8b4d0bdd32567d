/**
 * The one place provider calls are sent and retried. Each call names its provider and operation
 * and says whether it is idempotent. In the process we retry only short waits: at most three
 * tries, with jittered exponential backoff, for network failures and 5xx on idempotent calls, and
 * for 429/503 whose Retry-After is at most 10 s. A longer wait is returned to the caller (who turns
 * it into `rate_limited` and lets its job re-schedule itself) — a worker never sleeps for minutes.
 * Non-2xx answers are returned, not thrown: each provider maps its own error bodies.
 */
import { request, type Dispatcher } from "undici";
import { boundedAgent, isTransportError, retryAfterDate } from "../channels/http.server.ts";
import { IntegrationError } from "../errors.ts";
import type { RateBudgets } from "../ports.ts";

export type ProviderCall = {
  provider: string;
  operation: string;
  method: "GET" | "POST" | "PATCH" | "DELETE" | "PUT";
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Safe to send twice (GET, token grants, PUT/DELETE by id). A create is not. */
  idempotent: boolean;
  dispatcher?: Dispatcher;
  /**
   * The shared budget this call spends (e.g. `graph:tenant:<id>`, 5,000 calls per 10 s): a call
   * over it waits here when the budget opens within 10 s, else fails as `rate_limited`; a 429's
   * Retry-After blocks the key for every process.
   */
  budget?: { store: RateBudgets; key: string; limit: number; windowMs: number; sliding?: boolean };
  /** Counts every attempt that reached the network (for the per-connection, per-day tally). */
  onAttempt?: (outcome: { status?: number; throttled: boolean }) => void;
};

export type ProviderResponse = { status: number; headers: Record<string, string | string[] | undefined>; text: string; retryAt?: Date };

const MAX_TRIES = 3;
const MAX_INLINE_WAIT_MS = 10_000;
let sharedAgent: Dispatcher | undefined;

/** Full-jitter exponential backoff: a random wait in [0, base·2^attempt), at least 50 ms. */
export function backoffDelay(attempt: number, baseMs = 250): number {
  return Math.max(50, Math.floor(Math.random() * baseMs * 2 ** attempt));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function providerRequest(call: ProviderCall): Promise<ProviderResponse> {
  const dispatcher = call.dispatcher ?? (sharedAgent ??= boundedAgent(10_000));
  for (let attempt = 1; ; attempt++) {
    if (call.budget) await spend(call);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(call.url, { method: call.method, headers: call.headers, body: call.body, dispatcher });
    } catch (e) {
      if (!isTransportError(e)) throw e;
      call.onAttempt?.({ throttled: false });
      if (call.idempotent && attempt < MAX_TRIES) {
        await sleep(backoffDelay(attempt));
        continue;
      }
      throw new IntegrationError({
        code: call.idempotent ? "transient" : "ambiguous_write",
        provider: call.provider,
        operation: call.operation,
        providerMessage: (e as Error).message,
        cause: e,
      });
    }
    const text = await res.body.text();
    const throttled = res.statusCode === 429 || res.statusCode === 503;
    call.onAttempt?.({ status: res.statusCode, throttled });
    const retryAt = throttled ? retryAfterDate(res.headers["retry-after"], new Date()) : undefined;
    if (retryAt && call.budget) await call.budget.store.block(call.budget.key, retryAt);
    if (attempt < MAX_TRIES) {
      // A daily limit (Zoom's `X-RateLimit-Type: Daily-limit`) does not open again in seconds.
      const daily = /daily/i.test(String(res.headers["x-ratelimit-type"] ?? ""));
      if (throttled && !daily) {
        const wait = retryAt ? retryAt.getTime() - Date.now() : backoffDelay(attempt);
        if (wait <= MAX_INLINE_WAIT_MS && (call.idempotent || res.statusCode === 429)) {
          await sleep(Math.max(0, wait));
          continue;
        }
      } else if (res.statusCode >= 500 && call.idempotent) {
        await sleep(backoffDelay(attempt));
        continue;
      }
    }
    return { status: res.statusCode, headers: res.headers, text, retryAt };
  }
}

/** Take one call from the shared budget, waiting up to 10 s for it to open. */
async function spend(call: ProviderCall): Promise<void> {
  const { store, key, limit, windowMs, sliding } = call.budget!;
  const deadline = Date.now() + MAX_INLINE_WAIT_MS;
  for (;;) {
    const taken = await store.take(key, limit, windowMs, sliding ? { sliding } : undefined);
    if (taken.ok) return;
    if (taken.retryAt.getTime() > deadline) {
      throw new IntegrationError({ code: "rate_limited", provider: call.provider, operation: call.operation, retryAt: taken.retryAt, budget: "burst", providerMessage: `budget ${key} is spent` });
    }
    await sleep(Math.max(10, taken.retryAt.getTime() - Date.now()));
  }
}

/** Parses a JSON reply; a body that is not JSON is the provider breaking its contract. */
export function jsonOf(res: ProviderResponse, provider: string, operation: string): unknown {
  try {
    return res.text ? JSON.parse(res.text) : {};
  } catch (e) {
    throw new IntegrationError({ code: "contract", provider, operation, status: res.status, providerMessage: `not JSON: ${res.text.slice(0, 120)}`, cause: e });
  }
}
