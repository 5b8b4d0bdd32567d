/**
 * Zalo's delivery webhook (`user_received_message`): signed over its raw bytes
 * (X-ZEvent-Signature), it marks the ZNS message delivered. Other events are acknowledged and
 * ignored. Not configured: 404. A bad signature: 401, nothing recorded.
 */
import type { Route } from "./+types/webhooks.zalo";
import { getDb } from "../../db/client.server.ts";
import { channelEnv } from "../env.server.ts";
import { zaloConfigFromEnv } from "../../integrations/channels/zalo/config.ts";
import { parseZnsDelivery, verifyZnsWebhook } from "../../integrations/channels/zalo/webhook.ts";
import { recordReceipt } from "../services/notify/receipts.server.ts";
import { logger } from "../server/log.ts";

/** A delivery event is a few hundred bytes. */
const MAX_BODY = 64 * 1024;

const json = (status: number, body: Record<string, unknown>) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

export async function loader() {
  return json(405, { error: "POST only" });
}

export async function action({ request }: Route.ActionArgs) {
  let config;
  try {
    config = zaloConfigFromEnv(channelEnv());
  } catch {
    config = null;
  }
  if (!config) return json(404, { error: "Zalo is not configured" });
  if (Number(request.headers.get("content-length") ?? "0") > MAX_BODY) return json(413, { error: "body too large" });
  const raw = Buffer.from(await request.arrayBuffer());
  if (raw.length > MAX_BODY) return json(413, { error: "body too large" });
  if (!verifyZnsWebhook(raw, request.headers.get("x-zevent-signature"), { secret: config.webhookSecret, appId: config.appId })) {
    logger.warn("zalo webhook refused: bad signature");
    return json(401, { error: "bad signature" });
  }
  const delivery = parseZnsDelivery(raw);
  if (!delivery) return json(200, { ok: true, ignored: true });
  const updated = await recordReceipt(getDb(), { channel: "zalo", providerMessageId: delivery.msgId, state: "delivered", at: delivery.deliveredAt });
  return json(200, { ok: true, updated });
}
