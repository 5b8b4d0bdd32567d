/** eSMS CodeResult values (its "table of error codes") mapped to what the delivery does next. Pure. */
import type { SendResult } from "../../ports.ts";

export function smsOutcome(code: string, answer: { SMSID?: string; ErrorMessage?: string }, now: Date): SendResult {
  const text = `SMS gateway ${code}${answer.ErrorMessage ? `: ${answer.ErrorMessage}` : ""}`;
  const failed = (reason: string, disableAddress = false): SendResult => ({ outcome: "failed", reason, message: text, disableAddress });
  switch (code) {
    case "100":
      return { outcome: "sent", providerMessageId: answer.SMSID };
    case "124":
      // Duplicate RequestId within 24 h: an earlier attempt of this very message was accepted.
      return { outcome: "sent", providerMessageId: answer.SMSID };
    case "99":
      return failed("blocked", true);
    case "108":
      return failed("invalid_address", true);
    case "103":
      return { outcome: "retry", reason: "quota", retryAt: new Date(now.getTime() + 3600_000) };
    case "101": // wrong ApiKey / SecretKey
    case "102": // no price list
    case "104": // brandname not registered
    case "140": // our IP not whitelisted
    case "143": // account inactive or locked
      return failed("not_configured");
    default:
      // 146 text not matching a registered CSKH template, 177 carrier not enabled for the
      // brandname, 201 blocked keywords, 118/300 message type, unknown codes.
      return failed("rejected");
  }
}

export type SmsReport = { smsId: string; requestId: string | undefined; phone: string | undefined; state: "delivered" | "failed" | "pending" };

/**
 * The gateway's delivery report: eSMS calls the CallbackUrl with an HTTP GET whose query carries
 * SMSID, RequestId, SendStatus (5 sent, 4 rejected; 1, 2, 7 on the way), SendSuccess, SendFailed
 * and phonenumber. Null when SMSID is missing. The report is unsigned: give SMS_CALLBACK_URL a
 * secret path or query of your own and check it in the route.
 */
export function parseSmsReport(query: URLSearchParams): SmsReport | null {
  const smsId = query.get("SMSID")?.trim();
  if (!smsId) return null;
  const status = query.get("SendStatus");
  const success = Number(query.get("SendSuccess") ?? "0");
  const failedCount = Number(query.get("SendFailed") ?? "0");
  const state = status === "5" ? (success > 0 || failedCount === 0 ? "delivered" : "failed") : status === "4" ? "failed" : "pending";
  return { smsId, requestId: query.get("RequestId") || undefined, phone: query.get("phonenumber") || undefined, state };
}
