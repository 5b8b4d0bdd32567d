/**
 * Browsers subscribed to Web Push (RFC 8030 endpoint, RFC 8291 keys), one row per endpoint.
 * A browser that subscribes again updates its row. An endpoint already registered to someone
 * else moves to the signed-in person only when the same keys come with it — what only that
 * browser holds (a shared family phone where the other parent now signs in) —, and the previous
 * owner's queued pushes to it are cancelled, so none of their news reaches the new person's
 * screen. Knowing someone's endpoint alone (from a log, say) takes nothing away from them.
 */
import { and, count, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client.server.ts";
import { contactChannels, outboundMessages, pushSubscriptions } from "../../db/schema/index.ts";
import { fail, ok, zodErrors, type Result } from "./result.ts";

/** Browsers one person may have subscribed at once. */
export const MAX_DEVICES = 10;

const base64url = (bytes: (n: number) => boolean, message: string) =>
  z
    .string({ error: message })
    .trim()
    .max(200, message)
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, message)
    .refine((v) => bytes(Buffer.from(v.replace(/=+$/, ""), "base64url").length), message);

export const SubscriptionSchema = z.object({
  endpoint: z
    .string({ error: "errors.push_endpoint" })
    .trim()
    .max(2048, "errors.push_endpoint")
    .refine((v) => {
      if (!URL.canParse(v)) return false;
      const u = new URL(v);
      return u.protocol === "https:" && !u.username && !u.password && u.hostname.length > 0;
    }, "errors.push_endpoint"),
  // An uncompressed P-256 point (65 octets) and the 16-octet authentication secret.
  p256dh: base64url((n) => n === 65, "errors.push_keys").refine((v) => Buffer.from(v.replace(/=+$/, ""), "base64url")[0] === 0x04, "errors.push_keys"),
  auth: base64url((n) => n === 16, "errors.push_keys"),
  userAgent: z
    .string()
    .optional()
    .transform((v) => (v ? v.slice(0, 200) : null)),
});

export type SubscribeOutcome = "created" | "updated" | "moved";

export async function subscribe(db: Db, userId: string, input: Record<string, string>): Promise<Result<{ id: string; outcome: SubscribeOutcome }>> {
  const parsed = SubscriptionSchema.safeParse(input);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const s = parsed.data;
  return db.transaction(async (tx) => {
    const [existing] = await tx.select().from(pushSubscriptions).where(eq(pushSubscriptions.endpoint, s.endpoint)).for("update");
    let outcome: SubscribeOutcome;
    let id: string;
    if (existing && existing.userId === userId) {
      await tx.update(pushSubscriptions).set({ p256dh: s.p256dh, auth: s.auth, userAgent: s.userAgent }).where(eq(pushSubscriptions.id, existing.id));
      id = existing.id;
      outcome = "updated";
    } else {
      if (existing) {
        // Someone else's browser: it moves only with the keys that browser made.
        if (existing.p256dh !== s.p256dh || existing.auth !== s.auth) return fail({ endpoint: "errors.push_taken" });
        await cancelQueued(tx, [existing.id]);
        await tx.delete(pushSubscriptions).where(eq(pushSubscriptions.id, existing.id));
      }
      const [{ n }] = await tx.select({ n: count() }).from(pushSubscriptions).where(eq(pushSubscriptions.userId, userId));
      if (n >= MAX_DEVICES) return fail({ endpoint: "errors.push_too_many" });
      const [row] = await tx
        .insert(pushSubscriptions)
        .values({ userId, endpoint: s.endpoint, p256dh: s.p256dh, auth: s.auth, userAgent: s.userAgent })
        .onConflictDoNothing({ target: pushSubscriptions.endpoint })
        .returning({ id: pushSubscriptions.id });
      if (!row) {
        // The same browser's other request (a double tap) stored it a moment ago.
        const [now] = await tx.select({ id: pushSubscriptions.id, userId: pushSubscriptions.userId }).from(pushSubscriptions).where(eq(pushSubscriptions.endpoint, s.endpoint));
        if (!now || now.userId !== userId) return fail({ endpoint: "errors.push_taken" });
        id = now.id;
        outcome = "updated";
      } else {
        id = row.id;
        outcome = existing ? "moved" : "created";
      }
    }
    // Subscribing is asking for push: the channel is on again, whatever switched it off before.
    const on = { enabled: true, disabledReason: null, disabledAt: null, updatedAt: new Date() };
    await tx
      .insert(contactChannels)
      .values({ userId, channel: "push", ...on })
      .onConflictDoUpdate({ target: [contactChannels.userId, contactChannels.channel], set: on });
    return ok({ id, outcome });
  });
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

async function cancelQueued(tx: Tx, subscriptionIds: string[]) {
  if (subscriptionIds.length === 0) return;
  await tx
    .update(outboundMessages)
    .set({ status: "cancelled", failureReason: "expired_subscription", updatedAt: new Date() })
    .where(and(eq(outboundMessages.channel, "push"), inArray(outboundMessages.address, subscriptionIds), inArray(outboundMessages.status, ["queued"])));
}

/** Remove one of the person's own subscriptions, by its id (the device list) or its endpoint (the browser). */
export async function unsubscribe(db: Db, userId: string, by: { id?: string; endpoint?: string }): Promise<boolean> {
  const where = by.id ? eq(pushSubscriptions.id, by.id) : by.endpoint ? eq(pushSubscriptions.endpoint, by.endpoint) : undefined;
  if (!where) return false;
  return db.transaction(async (tx) => {
    const rows = await tx
      .delete(pushSubscriptions)
      .where(and(where, eq(pushSubscriptions.userId, userId)))
      .returning({ id: pushSubscriptions.id });
    await cancelQueued(
      tx,
      rows.map((r) => r.id),
    );
    return rows.length > 0;
  });
}
