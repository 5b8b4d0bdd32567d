/**
 * What a push service's answer means for one notification (RFC 8030 §5–§8, autopush's errors).
 * Pure: the channel feeds it the status and headers it got.
 */
import crypto from "node:crypto";
import type { SendResult } from "../../ports.ts";
import { retryAfterDate } from "../http.server.ts";

export function pushResultFromStatus(status: number, headers: Record<string, string | string[] | undefined>, now: Date): SendResult {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  if (status >= 200 && status < 300) return { outcome: "sent", providerMessageId: header("location") };
  switch (status) {
    case 404:
    case 410:
      // The subscription is gone for good (the browser unsubscribed, or the push service dropped it).
      return { outcome: "failed", reason: "expired_subscription", message: `push service answered ${status}`, disableAddress: true };
    case 413:
      return { outcome: "failed", reason: "too_long", message: "push service refused the payload as too large (413)", disableAddress: false };
    case 429:
      return { outcome: "retry", reason: "rate_limited", retryAt: retryAfterDate(header("retry-after"), now) ?? new Date(now.getTime() + 60_000) };
    case 401:
    case 403:
      return { outcome: "failed", reason: "rejected", message: `push service refused our VAPID credentials (${status})`, disableAddress: false };
  }
  if (status >= 500) return { outcome: "retry", reason: "transient", retryAt: retryAfterDate(header("retry-after"), now) };
  return { outcome: "failed", reason: "rejected", message: `push service answered ${status}`, disableAddress: false };
}

/**
 * RFC 8030 Topic for a notification: 32 characters of URL-safe base64 of the key's SHA-256, so a
 * resend of the same notification replaces an undelivered copy instead of showing twice.
 */
export function pushTopic(idempotencyKey: string): string {
  return crypto.createHash("sha256").update(idempotencyKey, "utf8").digest("base64url").slice(0, 32);
}

export type PushUrgency = "very-low" | "low" | "normal" | "high";

/**
 * Urgency and TTL from the kind of message the key names: a digest (`digest:…`) is worth a
 * day and may wait for a good moment; news of one fact (`ev:…`) keeps the configured lifetime.
 */
export function pushDelivery(idempotencyKey: string, ttlSeconds: number): { urgency: PushUrgency; ttl: number } {
  if (idempotencyKey.startsWith("digest:")) return { urgency: "low", ttl: Math.min(ttlSeconds, 24 * 3600) };
  return { urgency: "normal", ttl: ttlSeconds };
}

/** The largest plaintext one aes128gcm record carries in a 4096-octet push message (RFC 8291 §4). */
export const MAX_PUSH_PAYLOAD_OCTETS = 3993;
