/**
 * Zoom's webhooks: the signature check, the answer to `endpoint.url_validation` and the key that
 * recognises a redelivered event. The route passes the raw body: the signature covers its bytes
 * (re-serialising parsed JSON would change bodies with `\uXXXX` escapes).
 *
 * `x-zm-signature: v0=<hex HMAC-SHA256(secret token, "v0:" + x-zm-request-timestamp + ":" + body)>`.
 */
import crypto from "node:crypto";
import type { WebhookEvent } from "./schemas.ts";

/** How far the request's timestamp may be from our clock, either way. */
export const MAX_SKEW_MS = 5 * 60 * 1000;

export type SignatureCheck = "ok" | "missing" | "stale" | "mismatch";

export function zoomSignature(raw: Buffer, timestamp: string, secret: string): string {
  const mac = crypto.createHmac("sha256", secret);
  mac.update(`v0:${timestamp}:`, "utf8");
  mac.update(raw);
  return `v0=${mac.digest("hex")}`;
}

export function verifyZoomSignature(
  raw: Buffer,
  headers: { signature: string | null | undefined; timestamp: string | null | undefined },
  secret: string,
  now: Date | number = Date.now(),
): SignatureCheck {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp) || !/^v0=[0-9a-f]{64}$/i.test(signature)) return "missing";
  if (Math.abs(Number(now) - Number(timestamp) * 1000) > MAX_SKEW_MS) return "stale";
  const expected = Buffer.from(zoomSignature(raw, timestamp, secret), "utf8");
  const given = Buffer.from(signature.toLowerCase(), "utf8");
  return crypto.timingSafeEqual(expected, given) ? "ok" : "mismatch";
}

/** The reply to `endpoint.url_validation`: the token back, and its HMAC under the secret token. */
export function urlValidationResponse(plainToken: string, secret: string): { plainToken: string; encryptedToken: string } {
  return { plainToken, encryptedToken: crypto.createHmac("sha256", secret).update(plainToken, "utf8").digest("hex") };
}

/**
 * One key per event, the same for each of Zoom's retries of it: the event's name and time, the
 * meeting (its instance uuid, else its number) and the participant, if any, hashed.
 */
export function dedupeKey(e: WebhookEvent): string {
  const o = e.payload.object;
  const p = o.participant;
  const parts = [e.event, String(e.event_ts), o.uuid ?? o.id ?? "", p ? [p.participant_uuid, p.user_id, p.id].map((v) => v ?? "").join("/") : ""];
  return crypto.createHash("sha256").update(parts.join("\n"), "utf8").digest("hex");
}
