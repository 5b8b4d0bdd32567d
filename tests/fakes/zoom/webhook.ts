/**
 * Sends webhooks as Zoom does, independently of the hub's verifier: `x-zm-request-timestamp` in
 * epoch seconds and `x-zm-signature: v0=<lowercase hex HMAC-SHA256(secret token,
 * "v0:" + timestamp + ":" + raw body)>`, over the exact bytes sent.
 */
import { createHmac } from "node:crypto";

export type ZoomWebhookHeaders = { "x-zm-signature": string; "x-zm-request-timestamp": string };

/** The two headers Zoom puts on a delivery of `body` (the raw text, as it goes on the wire). */
export function signZoomEvent(secret: string, body: string | Buffer, timestamp: number | string = Math.floor(Date.now() / 1000)): ZoomWebhookHeaders {
  const ts = String(timestamp);
  const message = Buffer.concat([Buffer.from(`v0:${ts}:`, "utf8"), typeof body === "string" ? Buffer.from(body, "utf8") : body]);
  const hex = createHmac("sha256", Buffer.from(secret, "utf8")).update(message).digest("hex");
  return { "x-zm-signature": `v0=${hex}`, "x-zm-request-timestamp": ts };
}

/**
 * POSTs one event to `url`, signed with `secret`. An event given as a string is sent byte for
 * byte (for bodies whose `\uXXXX` escapes must survive); an object is serialised once.
 */
export function sendZoomWebhook(url: string, secret: string, event: unknown, opts: { timestamp?: number | string; headers?: Record<string, string> } = {}): Promise<Response> {
  const body = typeof event === "string" ? event : JSON.stringify(event);
  return fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json; charset=utf-8", "user-agent": "Zoom Marketplace/1.1a", ...signZoomEvent(secret, body, opts.timestamp), ...opts.headers },
  });
}
