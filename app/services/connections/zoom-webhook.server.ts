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

type Target = { secret: string; externalAccount: string | null; readAt: number };

/**
 * Each connection's secret and account, kept for a short while: at Zoom's bursts (a class of 40
 * joining within a minute, every school at 07:30) the read and the secret's decryption would
 * otherwise be half of each event's work. A signature that fails against a kept secret is checked
 * once more against the row, so a rotated secret token holds at once.
 */
const TARGET_TTL_MS = 30_000;
const TARGETS_MAX = 10_000;
const targets = new Map<string, Target>();

/** The connection's webhook secret, or null when the id names no Zoom connection that has one. */
async function readTarget(db: Db, connectionId: string): Promise<Target | null> {
  const [row] = await db
    .select({ id: connections.id, provider: connections.provider, externalAccount: connections.externalAccount, secrets: connections.secrets, secretsKeyId: connections.secretsKeyId })
    .from(connections)
    .where(eq(connections.id, connectionId));
  if (!row || row.provider !== "zoom") {
    targets.delete(connectionId);
    return null;
  }
  const secret = webhookSecretOf(row);
  if (!secret) {
    targets.delete(connectionId);
    return null;
  }
  const target = { secret, externalAccount: row.externalAccount, readAt: Date.now() };
  if (targets.size >= TARGETS_MAX) targets.clear();
  targets.set(connectionId, target);
  return target;
}

async function zoomWebhookTarget(db: Db, connectionId: string): Promise<{ target: Target; cached: boolean } | null> {
  if (!isId(connectionId)) return null;
  const kept = targets.get(connectionId);
  if (kept && Date.now() - kept.readAt < TARGET_TTL_MS) return { target: kept, cached: true };
  const target = await readTarget(db, connectionId);
  return target ? { target, cached: false } : null;
}

/** Forget what is kept of a connection (its secret changed, it was removed). */
export function forgetZoomWebhookTarget(connectionId: string) {
  targets.delete(connectionId);
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
  const found = await zoomWebhookTarget(db, d.connectionId);
  if (!found) return { kind: "unknown" };
  let target = found.target;
  // Validation requests are signed too: nothing is answered or stored before the signature holds.
  const now = d.now ?? new Date();
  let check = verifyZoomSignature(d.raw, { signature: d.signature, timestamp: d.timestamp }, target.secret, now);
  if (check === "mismatch" && found.cached) {
    const fresh = await readTarget(db, d.connectionId);
    if (!fresh) return { kind: "unknown" };
    target = fresh;
    check = verifyZoomSignature(d.raw, { signature: d.signature, timestamp: d.timestamp }, target.secret, now);
  }
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

  const duplicate = await storeEvent(db, {
    connectionId: d.connectionId,
    provider: "zoom",
    eventType: event.event,
    eventTs: new Date(event.event_ts),
    dedupeKey: dedupeKey(event),
    payload: json.value as Record<string, unknown>,
  });
  return { kind: "stored", duplicate, eventType: event.event };
}

type NewEvent = typeof providerEvents.$inferInsert & { connectionId: string; dedupeKey: string };
type Waiter = { row: NewEvent; resolve: (duplicate: boolean) => void; reject: (e: unknown) => void };

/**
 * Events are stored in one statement per round trip: while one INSERT is on its way, the events
 * that arrive wait and go together in the next (group commit). Each delivery is answered only
 * after its row is committed, as before; a burst costs the database a few statements instead of
 * one per event.
 */
const STORE_BATCH_MAX = 500;
const queues = new WeakMap<Db, { waiting: Waiter[]; busy: boolean }>();

function storeEvent(db: Db, row: NewEvent): Promise<boolean> {
  let q = queues.get(db);
  if (!q) queues.set(db, (q = { waiting: [], busy: false }));
  const queue = q;
  return new Promise<boolean>((resolve, reject) => {
    queue.waiting.push({ row, resolve, reject });
    if (!queue.busy) void drain(db, queue);
  });
}

const keyOf = (row: { connectionId: string; dedupeKey: string }) => `${row.connectionId} ${row.dedupeKey}`;

function insertEvents(db: Db, rows: NewEvent[]) {
  return db
    .insert(providerEvents)
    .values(rows)
    .onConflictDoNothing({ target: [providerEvents.connectionId, providerEvents.dedupeKey] })
    .returning({ connectionId: providerEvents.connectionId, dedupeKey: providerEvents.dedupeKey });
}

async function drain(db: Db, queue: { waiting: Waiter[]; busy: boolean }) {
  queue.busy = true;
  try {
    while (queue.waiting.length) {
      const batch = queue.waiting.splice(0, STORE_BATCH_MAX);
      // The same event twice in one batch (a quick redelivery): the first stores it, the others are duplicates.
      const byKey = new Map<string, Waiter[]>();
      for (const w of batch) byKey.set(keyOf(w.row), [...(byKey.get(keyOf(w.row)) ?? []), w]);
      const settle = (key: string, stored: boolean) => byKey.get(key)!.forEach((w, i) => w.resolve(!(i === 0 && stored)));
      try {
        const stored = new Set((await insertEvents(db, [...byKey.values()].map((ws) => ws[0].row))).map(keyOf));
        for (const key of byKey.keys()) settle(key, stored.has(key));
      } catch (e) {
        // A row the database refuses (its connection removed a moment ago) must not fail the others: each on its own.
        for (const [key, ws] of byKey) {
          try {
            if (byKey.size === 1) throw e;
            settle(key, (await insertEvents(db, [ws[0].row])).length > 0);
          } catch (one) {
            for (const w of ws) w.reject(one);
          }
        }
      }
    }
  } finally {
    queue.busy = false;
  }
}
