/**
 * The SMS gateway's delivery report (eSMS calls SMS_CALLBACK_URL with a GET). The report is
 * unsigned, so SMS_CALLBACK_URL carries a secret `key` of the operator's choosing
 * (`https://…/webhooks/sms?key=<random>`); a report without that key is refused.
 */
import crypto from "node:crypto";
import type { Route } from "./+types/webhooks.sms";
import { getDb } from "../../db/client.server.ts";
import { channelEnv } from "../env.server.ts";
import { parseSmsReport } from "../../integrations/channels/sms/errors.ts";
import { recordReceipt } from "../services/notify/receipts.server.ts";

const json = (status: number, body: Record<string, unknown>) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

/** The secret the configured callback address carries, or null when there is none. */
export function callbackKey(env: Record<string, string | undefined>): string | null {
  const url = env.SMS_CALLBACK_URL;
  if (!url || !URL.canParse(url)) return null;
  const key = new URL(url).searchParams.get("key");
  return key && key.length >= 16 ? key : null;
}

function sameKey(given: string | null, expected: string): boolean {
  if (!given) return false;
  const a = crypto.createHash("sha256").update(given).digest();
  const b = crypto.createHash("sha256").update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

export async function loader({ url }: Route.LoaderArgs) {
  const expected = callbackKey(channelEnv());
  if (!expected) return json(404, { error: "SMS delivery reports are not configured" });
  if (!sameKey(url.searchParams.get("key"), expected)) return json(403, { error: "wrong key" });
  const report = parseSmsReport(url.searchParams);
  if (!report) return json(400, { error: "SMSID is missing" });
  if (report.state === "pending") return json(200, { ok: true, pending: true });
  const updated = await recordReceipt(getDb(), { channel: "sms", providerMessageId: report.smsId, state: report.state, at: new Date() });
  return json(200, { ok: true, updated });
}
