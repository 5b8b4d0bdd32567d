/**
 * Zalo's delivery webhook `user_received_message`: the signature check and the parser. The route
 * that receives it passes the raw body (the signature covers its bytes) and the headers.
 * X-ZEvent-Signature: mac=<hex SHA-256 of appId + raw body + timestamp + OA secret key> — a plain
 * hash of the concatenation, not an HMAC — where appId and timestamp are the body's fields.
 */
import crypto from "node:crypto";
import { z } from "zod";

const Envelope = z.object({ app_id: z.string().optional(), oa_id: z.string().optional(), timestamp: z.union([z.string(), z.number()]).transform(String) });

export type WebhookOptions = {
  secret: string;
  /** Which body field is the "appId" of the formula (app_id per the docs; some accounts use oa_id). */
  idField?: "app_id" | "oa_id";
  /** When set, the body's app id must be this one. */
  appId?: string;
};

export function verifyZnsWebhook(rawBody: string | Buffer, signatureHeader: string | null | undefined, opts: WebhookOptions): boolean {
  const m = /^\s*mac\s*=\s*([0-9a-fA-F]{64})\s*$/.exec(signatureHeader ?? "");
  if (!m) return false;
  const raw = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, "utf8");
  let envelope: z.infer<typeof Envelope>;
  try {
    const parsed = Envelope.safeParse(JSON.parse(raw.toString("utf8")));
    if (!parsed.success) return false;
    envelope = parsed.data;
  } catch {
    return false;
  }
  const id = envelope[opts.idField ?? "app_id"];
  if (!id || (opts.appId && envelope.app_id !== opts.appId)) return false;
  const expected = crypto
    .createHash("sha256")
    .update(Buffer.concat([Buffer.from(id, "utf8"), raw, Buffer.from(envelope.timestamp + opts.secret, "utf8")]))
    .digest();
  return crypto.timingSafeEqual(expected, Buffer.from(m[1], "hex"));
}

const Delivery = z.object({
  event_name: z.literal("user_received_message"),
  recipient: z.object({ id: z.string() }),
  message: z.object({
    msg_id: z.string().min(1),
    tracking_id: z.string().optional(),
    delivery_time: z.union([z.string().regex(/^\d+$/), z.number().int()]).transform(Number),
  }),
});

export type ZnsDelivery = { msgId: string; trackingId: string | undefined; deliveredAt: Date; recipient: string };

/** The delivery facts of a (verified) `user_received_message` body, or null for other events and bad bodies. */
export function parseZnsDelivery(rawBody: string | Buffer): ZnsDelivery | null {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.isBuffer(rawBody) ? rawBody.toString("utf8") : rawBody);
  } catch {
    return null;
  }
  const parsed = Delivery.safeParse(json);
  if (!parsed.success) return null;
  const m = parsed.data.message;
  return { msgId: m.msg_id, trackingId: m.tracking_id || undefined, deliveredAt: new Date(m.delivery_time), recipient: parsed.data.recipient.id };
}
