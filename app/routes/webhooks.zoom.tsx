/**
 * Zoom's event subscription for one connection: `POST /webhooks/zoom/<connection id>`, signed
 * with that connection's webhook secret token over the raw bytes (x-zm-signature). Answers
 * `endpoint.url_validation` and stores every other event once (Zoom retries deliveries).
 * Unknown connection: 404; bad signature or stale timestamp: 401; another Zoom account's event:
 * 403; a body that is not a Zoom event: 400 naming what is wrong. Neither the secret nor the body
 * is logged.
 */
import type { Route } from "./+types/webhooks.zoom";
import { getDb } from "../../db/client.server.ts";
import { receiveZoomWebhook } from "../services/connections/zoom-webhook.server.ts";
import { SecretsError } from "../services/connections/secrets.server.ts";
import { logger } from "../server/log.ts";

/** An event is a few kilobytes (recording.completed with its files is the largest). */
const MAX_BODY = 64 * 1024;

const json = (status: number, body: Record<string, unknown>) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

export async function loader() {
  return json(405, { error: "POST only" });
}

export async function action({ request, params }: Route.ActionArgs) {
  if (request.method !== "POST") return json(405, { error: "POST only" });
  if (Number(request.headers.get("content-length") ?? "0") > MAX_BODY) return json(413, { error: "body too large" });
  const raw = Buffer.from(await request.arrayBuffer());
  if (raw.length > MAX_BODY) return json(413, { error: "body too large" });
  const connectionId = params.connectionId;
  let outcome;
  try {
    outcome = await receiveZoomWebhook(getDb(), {
      connectionId,
      raw,
      signature: request.headers.get("x-zm-signature"),
      timestamp: request.headers.get("x-zm-request-timestamp"),
    });
  } catch (e) {
    if (!(e instanceof SecretsError)) throw e;
    // The row's secrets are under another SECRET_KEY: Zoom retries later, after rotate-secret-key.
    logger.error("zoom webhook: connection secrets do not open", { connectionId });
    return json(503, { error: "unavailable" });
  }
  switch (outcome.kind) {
    case "unknown":
      return json(404, { error: "not found" });
    case "unsigned":
      logger.warn("zoom webhook refused", { connectionId, reason: outcome.check });
      return json(401, { error: "bad signature" });
    case "malformed":
      return json(400, { error: outcome.message });
    case "wrong_account":
      logger.warn("zoom webhook refused: another Zoom account", { connectionId });
      return json(403, { error: "event is for another Zoom account" });
    case "validation":
      return json(200, outcome.reply);
    case "stored":
      return json(200, { ok: true });
  }
}
