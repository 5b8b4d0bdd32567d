/**
 * The SMS gateway's delivery report (eSMS calls SMS_CALLBACK_URL with a GET). The report is
 * unsigned, so SMS_CALLBACK_URL carries a secret `key` of the operator's choosing
 * (`https://…/webhooks/sms?key=<random>`); a report without that key is refused.
 */
import type { Route } from "./+types/webhooks.sms";
import { getDb } from "../../db/client.server.ts";
import { channelEnv } from "../env.server.ts";
import { parseSmsReport } from "../../integrations/channels/sms/errors.ts";
import { recordReceipt, smsReportKey } from "../services/notify/receipts.server.ts";

const json = (status: number, body: Record<string, unknown>) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

export async function loader({ url }: Route.LoaderArgs) {
  const check = smsReportKey(channelEnv(), url.searchParams.get("key"));
  if (check === "not_configured") return json(404, { error: "SMS delivery reports are not configured" });
  if (check === "wrong_key") return json(403, { error: "wrong key" });
  const report = parseSmsReport(url.searchParams);
  if (!report) return json(400, { error: "SMSID is missing" });
  if (report.state === "pending") return json(200, { ok: true, pending: true });
  const updated = await recordReceipt(getDb(), { channel: "sms", providerMessageId: report.smsId, state: report.state, at: new Date() });
  return json(200, { ok: true, updated });
}
