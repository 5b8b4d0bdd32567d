/**
 * Unsubscribe links: a signed token of (person, channel, kind) — kind is a news kind or "digest" —
 * that works without signing in, from the email's List-Unsubscribe header (RFC 8058 one-click
 * POST) or the page it opens. The key is derived from SECRET_KEY for this use alone.
 *
 * What it records (read by the fan-out, the digest, the delivery and the admin's health page):
 * - a news kind → a row in `channel_unsubscribes` (user, channel, kind, created_at);
 * - "digest" → the channel itself is switched off: `contact_channels.enabled = false`,
 *   `disabled_reason = 'unsubscribed'`, `disabled_at` (plus a `channel_unsubscribes` row of kind
 *   "digest", so every unsubscribe is counted per day in one place).
 */
import crypto from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../../../db/client.server.ts";
import { channelUnsubscribes, contactChannels, outboundMessages, users } from "../../../db/schema/index.ts";
import { NEWS_KINDS, type ExternalChannel } from "../../../db/schema/notify.ts";

export const UNSUBSCRIBE_KINDS = [...NEWS_KINDS, "digest"] as const;
export type UnsubscribeKind = (typeof UNSUBSCRIBE_KINDS)[number];

const CHANNEL_CODES: Record<ExternalChannel, string> = { email: "e", push: "p", zalo: "z", sms: "s" };
const CODE_CHANNELS = Object.fromEntries(Object.entries(CHANNEL_CODES).map(([k, v]) => [v, k])) as Record<string, ExternalChannel>;

export type UnsubscribeTarget = { userId: string; channel: ExternalChannel; kind: UnsubscribeKind };

const Target = z.object({
  userId: z.uuid(),
  channel: z.enum(["email", "push", "zalo", "sms"]),
  kind: z.enum(UNSUBSCRIBE_KINDS),
});

function subKey(secret: string): Buffer {
  return crypto.createHmac("sha256", secret).update("lopso:unsubscribe-link:v1").digest();
}

function mac(secret: string, payload: string): string {
  return crypto.createHmac("sha256", subKey(secret)).update(payload).digest("base64url").slice(0, 27);
}

/**
 * `<user id as 32 hex digits><channel letter><kind digit><27-character MAC>`: fixed length, no
 * separators (a dot would look like a file extension to the HTTP front), short for any header.
 */
export function unsubscribeToken(secret: string, target: UnsubscribeTarget): string {
  const t = Target.parse(target);
  const payload = `${t.userId.replace(/-/g, "")}${CHANNEL_CODES[t.channel]}${UNSUBSCRIBE_KINDS.indexOf(t.kind)}`;
  return `${payload}${mac(secret, payload)}`;
}

/** The target of a genuine token, or null for a tampered, truncated or foreign one. */
export function readUnsubscribeToken(secret: string, token: string): UnsubscribeTarget | null {
  const m = /^([0-9a-f]{32})([epzs])(\d)([A-Za-z0-9_-]{27})$/.exec(token);
  if (!m) return null;
  const payload = `${m[1]}${m[2]}${m[3]}`;
  const expected = Buffer.from(mac(secret, payload));
  const given = Buffer.from(m[4]);
  if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) return null;
  const h = m[1];
  const parsed = Target.safeParse({
    userId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
    channel: CODE_CHANNELS[m[2]],
    kind: UNSUBSCRIBE_KINDS[Number(m[3])],
  });
  return parsed.success ? parsed.data : null;
}

export function unsubscribeUrl(baseUrl: string, secret: string, target: UnsubscribeTarget): string {
  return `${baseUrl.replace(/\/$/, "")}/unsubscribe/${unsubscribeToken(secret, target)}`;
}

/** Whose link it is (for the page), or null when the person no longer exists. */
export async function unsubscribeRecipient(db: DbOrTx, target: UnsubscribeTarget) {
  const [row] = await db.select({ name: users.fullName, email: users.email }).from(users).where(eq(users.id, target.userId));
  if (!row) return null;
  const [off] = await db
    .select({ kind: channelUnsubscribes.kind })
    .from(channelUnsubscribes)
    .where(and(eq(channelUnsubscribes.userId, target.userId), eq(channelUnsubscribes.channel, target.channel), eq(channelUnsubscribes.kind, target.kind)));
  return { ...row, alreadyOff: Boolean(off) };
}

/**
 * Record the unsubscribe (once; repeating it changes nothing) and cancel what is still queued for
 * that person, channel and kind. Returns false when the person no longer exists.
 */
export async function applyUnsubscribe(db: DbOrTx, target: UnsubscribeTarget, now = new Date()): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [u] = await tx.select({ id: users.id }).from(users).where(eq(users.id, target.userId));
    if (!u) return false;
    await tx.insert(channelUnsubscribes).values({ userId: target.userId, channel: target.channel, kind: target.kind, createdAt: now }).onConflictDoNothing();
    if (target.kind === "digest") {
      await tx
        .insert(contactChannels)
        .values({ userId: target.userId, channel: target.channel, enabled: false, disabledReason: "unsubscribed", disabledAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: [contactChannels.userId, contactChannels.channel],
          set: { enabled: false, disabledReason: "unsubscribed", disabledAt: now, updatedAt: now },
        });
      await tx
        .update(outboundMessages)
        .set({ status: "cancelled", failureReason: "unsubscribed", updatedAt: now })
        .where(and(eq(outboundMessages.userId, target.userId), eq(outboundMessages.channel, target.channel), eq(outboundMessages.status, "queued")));
    } else {
      await tx.execute(sql`
        update outbound_messages m set status = 'cancelled', failure_reason = 'unsubscribed', updated_at = ${now.toISOString()}::timestamptz
        from notifications n
        where n.id = m.notification_id and m.user_id = ${target.userId} and m.channel = ${target.channel}
          and m.status = 'queued' and m.kind = 'immediate' and n.kind = ${target.kind}`);
    }
    return true;
  });
}

/** The kinds a person has unsubscribed from on a channel (for the fan-out and the digest). */
export async function unsubscribedKinds(db: DbOrTx, userIds: string[], channel: ExternalChannel): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  if (userIds.length === 0) return out;
  const rows = await db
    .select({ userId: channelUnsubscribes.userId, kind: channelUnsubscribes.kind })
    .from(channelUnsubscribes)
    .where(and(inArray(channelUnsubscribes.userId, userIds), eq(channelUnsubscribes.channel, channel)));
  for (const r of rows) {
    if (!out.has(r.userId)) out.set(r.userId, new Set());
    out.get(r.userId)!.add(r.kind);
  }
  return out;
}
