/**
 * Events Zoom sends to a connection's own address, `/webhooks/zoom/<connection id>`: checked
 * against that connection's webhook secret token and its Zoom account, then stored once in
 * `provider_events` for the live-session work to process. `endpoint.url_validation` is answered
 * here and not stored.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { connections, providerEvents } from "../../../db/schema/index.ts";
import { UrlValidationEvent, WebhookEvent } from "../../../integrations/zoom/schemas.ts";
import { dedupeKey, urlValidationResponse, verifyZoomSignature, type SignatureCheck } from "../../../integrations/zoom/webhook.ts";
import { isId } from "../../auth/guards.server.ts";
import { webhookSecretOf } from "./store.server.ts";

export type ZoomDelivery = {
  connectionId: string;
  raw: Buffer;
  signature: string | null;
  timestamp: string | null;
  now?: Date;
};

export type ZoomWebhookOutcome =
  | { kind: "unknown" }
  | { kind: "unsigned"; check: Exclude<SignatureCheck, "ok"> }
  | { kind: "malformed"; message: string }
  | { kind: "wrong_account" }
  | { kind: "validation"; reply: { plainToken: string; encryptedToken: string } }
  | { kind: "stored"; duplicate: boolean; eventType: string };

/** The connection's webhook secret, or null when the id names no Zoom connection that has one. */
async function zoomWebhookTarget(db: Db, connectionId: string) {
  if (!isId(connectionId)) return null;
  const [row] = await db
    .select({ id: connections.id, provider: connections.provider, externalAccount: connections.externalAccount, secrets: connections.secrets, secretsKeyId: connections.secretsKeyId })
    .from(connections)
    .where(eq(connections.id, connectionId));
  if (!row || row.provider !== "zoom") return null;
  const secret = webhookSecretOf(row);
  return secret ? { secret, externalAccount: row.externalAccount } : null;
}

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw.toString("utf8")) };
  } catch {
    return { ok: false };
  }
}

/** What a zod failure names: `payload.account_id: Invalid input; event_ts: …`. */
function describeIssues(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join(".") || "body"}: ${i.message}`)
    .join("; ");
}

export async function receiveZoomWebhook(db: Db, d: ZoomDelivery): Promise<ZoomWebhookOutcome> {
  const target = await zoomWebhookTarget(db, d.connectionId);
  if (!target) return { kind: "unknown" };
  // Validation requests are signed too: nothing is answered or stored before the signature holds.
  const check = verifyZoomSignature(d.raw, { signature: d.signature, timestamp: d.timestamp }, target.secret, d.now ?? new Date());
  if (check !== "ok") return { kind: "unsigned", check };

  const json = parseJson(d.raw);
  if (!json.ok) return { kind: "malformed", message: "body is not JSON" };
  const validation = UrlValidationEvent.safeParse(json.value);
  if (validation.success) return { kind: "validation", reply: urlValidationResponse(validation.data.payload.plainToken, target.secret) };
  if ((json.value as { event?: unknown })?.event === "endpoint.url_validation") {
    return { kind: "malformed", message: `endpoint.url_validation: ${describeIssues(validation.error.issues)}` };
  }
  const parsed = WebhookEvent.safeParse(json.value);
  if (!parsed.success) return { kind: "malformed", message: `not a Zoom event: ${describeIssues(parsed.error.issues)}` };
  const event = parsed.data;
  if (event.payload.account_id !== target.externalAccount) return { kind: "wrong_account" };

  const inserted = await db
    .insert(providerEvents)
    .values({
      connectionId: d.connectionId,
      provider: "zoom",
      eventType: event.event,
      eventTs: new Date(event.event_ts),
      dedupeKey: dedupeKey(event),
      payload: json.value as Record<string, unknown>,
    })
    .onConflictDoNothing({ target: [providerEvents.connectionId, providerEvents.dedupeKey] })
    .returning({ id: providerEvents.id });
  return { kind: "stored", duplicate: inserted.length === 0, eventType: event.event };
}
