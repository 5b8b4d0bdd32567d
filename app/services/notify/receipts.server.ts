/**
 * Delivery receipts: Zalo's `user_received_message` webhook and the SMS gateway's report mark an
 * outside message delivered (or, for SMS, failed at the carrier). Receipts repeat and arrive out
 * of order: each update only moves a message forward and says how many it touched.
 */
import crypto from "node:crypto";
import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../../db/client.server.ts";
import { selectRows } from "../../../db/client.server.ts";

export type Receipt = { channel: "zalo" | "sms"; providerMessageId: string; state: "delivered" | "failed"; at: Date };

/** Record one receipt; returns whether a message of ours was updated. */
export async function recordReceipt(db: DbOrTx, r: Receipt): Promise<boolean> {
  const rows =
    r.state === "delivered"
      ? await selectRows<{ id: number }>(
          db,
          sql`update outbound_messages set status = 'delivered', delivered_at = ${r.at.toISOString()}::timestamptz, updated_at = now()
              where channel = ${r.channel} and provider_message_id = ${r.providerMessageId} and status in ('sent', 'delivered') and delivered_at is null
              returning id`,
        )
      : await selectRows<{ id: number }>(
          db,
          sql`update outbound_messages set status = 'failed', failure_reason = 'rejected', last_error = 'the carrier reported the message undelivered', updated_at = now()
              where channel = ${r.channel} and provider_message_id = ${r.providerMessageId} and status = 'sent'
              returning id`,
        );
  return rows.length > 0;
}

/**
 * Whether an SMS delivery report carries the secret `key` of SMS_CALLBACK_URL (the gateway's
 * reports are unsigned): not configured when that address has no key of ≥ 16 characters.
 */
export function smsReportKey(env: Record<string, string | undefined>, given: string | null): "ok" | "wrong_key" | "not_configured" {
  const url = env.SMS_CALLBACK_URL;
  const expected = url && URL.canParse(url) ? new URL(url).searchParams.get("key") : null;
  if (!expected || expected.length < 16) return "not_configured";
  if (!given) return "wrong_key";
  const digest = (v: string) => crypto.createHash("sha256").update(v).digest();
  return crypto.timingSafeEqual(digest(given), digest(expected)) ? "ok" : "wrong_key";
}
