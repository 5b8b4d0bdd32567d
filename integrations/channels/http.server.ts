/**
 * What the Web Push, Zalo and SMS channels share about talking HTTP to a provider: one undici
 * Agent per channel with connect, header and body timeouts, the reading of Retry-After, and the
 * classification of network failures as temporary.
 */
import crypto from "node:crypto";
import { Agent, errors, type Dispatcher } from "undici";

export type HttpOptions = { timeoutMs: number; dispatcher?: Dispatcher };

/** An agent whose every phase is bounded: a provider that hangs becomes a `transient` retry. */
export function boundedAgent(timeoutMs: number): Agent {
  return new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 10_000 });
}

/** True for failures where the request may not have reached the provider, or its answer was lost. */
export function isTransportError(e: unknown): boolean {
  if (e instanceof errors.UndiciError) return true;
  // Node's socket, DNS and TLS errors (ECONNRESET, ENOTFOUND, CERT_HAS_EXPIRED, …) all carry a code.
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" && /^[A-Z][A-Z0-9_]+$/.test(code);
}

/**
 * Retry-After as delay-seconds (RFC 9110 §10.2.3; Graph sends decimals such as "2.128") or a date
 * (an HTTP date, or the ISO date of Zoom's daily limits); undefined when absent or unreadable.
 */
export function retryAfterDate(value: string | string[] | undefined, now: Date): Date | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return new Date(now.getTime() + Math.ceil(Number(v) * 1000));
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : new Date(Math.max(at, now.getTime()));
}

/**
 * A provider-side request id made from our idempotency key: the key itself when it already fits
 * `pattern` and `max`, otherwise 40 hex digits (160 bits) of its SHA-256, fewer if `max` is smaller. The same
 * key always gives the same id, so a resend after a crash carries the id of the first attempt.
 */
export function providerRequestId(key: string, max: number, pattern = /^[A-Za-z0-9_]+$/): string {
  if (key.length > 0 && key.length <= max && pattern.test(key)) return key;
  return crypto.createHash("sha256").update(key, "utf8").digest("hex").slice(0, Math.min(max, 40));
}
