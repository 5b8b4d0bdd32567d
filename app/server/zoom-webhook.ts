/**
 * Zoom's event subscription for one connection: `POST /webhooks/zoom/<connection id>`, answered by
 * the HTTP front itself rather than through React Router (docs/decisions/012): Zoom sends events in
 * bursts and wants each answered within 3 seconds, and a route's Request, context and matching
 * were two thirds of each event's time. Signed with the connection's webhook secret token over the
 * raw bytes (x-zm-signature); `endpoint.url_validation` is answered; every other event is stored
 * once (Zoom retries deliveries) for the live-session job to process. Unknown connection: 404; bad
 * signature or stale timestamp: 401; another Zoom account's event: 403; a body that is not a Zoom
 * event: 400 naming what is wrong; over 64 KB: 413. Neither the secret nor the body is logged.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../../db/client.server.ts";
import { receiveZoomWebhook } from "../services/connections/zoom-webhook.server.ts";
import { SecretsError } from "../services/connections/secrets.server.ts";
import { logger } from "./log.ts";

/** An event is a few kilobytes (recording.completed with its files is the largest). */
export const ZOOM_WEBHOOK_MAX_BODY = 64 * 1024;

const PATH = /^\/webhooks\/zoom\/([^/]{1,200})$/;

/** The connection id when this request is a delivery to a Zoom webhook address. */
export function zoomWebhookTarget(method: string | undefined, pathname: string): string | null {
  if (method !== "POST") return null;
  const m = PATH.exec(pathname);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    // Not an id (receiveZoomWebhook answers 404).
    return m[1];
  }
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** The body, or null once it passes the limit (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        resolve(null);
      } else chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks, size)));
    req.once("error", reject);
  });
}

export async function handleZoomWebhook(req: IncomingMessage, res: ServerResponse, db: Db, connectionId: string): Promise<void> {
  if (Number(req.headers["content-length"] ?? "0") > ZOOM_WEBHOOK_MAX_BODY) {
    res.setHeader("Connection", "close");
    return reply(res, 413, { error: "body too large" });
  }
  const raw = await readBody(req, ZOOM_WEBHOOK_MAX_BODY);
  if (!raw) {
    res.setHeader("Connection", "close");
    return reply(res, 413, { error: "body too large" });
  }
  const header = (name: string) => {
    const v = req.headers[name];
    return typeof v === "string" ? v : null;
  };
  let outcome;
  try {
    outcome = await receiveZoomWebhook(db, { connectionId, raw, signature: header("x-zm-signature"), timestamp: header("x-zm-request-timestamp") });
  } catch (e) {
    if (!(e instanceof SecretsError)) throw e;
    // The row's secrets are under another SECRET_KEY: Zoom retries later, after rotate-secret-key.
    logger.error("zoom webhook: connection secrets do not open", { connectionId });
    return reply(res, 503, { error: "unavailable" });
  }
  switch (outcome.kind) {
    case "unknown":
      return reply(res, 404, { error: "not found" });
    case "unsigned":
      logger.warn("zoom webhook refused", { connectionId, reason: outcome.check });
      return reply(res, 401, { error: "bad signature" });
    case "malformed":
      return reply(res, 400, { error: outcome.message });
    case "wrong_account":
      logger.warn("zoom webhook refused: another Zoom account", { connectionId });
      return reply(res, 403, { error: "event is for another Zoom account" });
    case "validation":
      return reply(res, 200, outcome.reply);
    case "stored":
      return reply(res, 200, { ok: true });
  }
}
