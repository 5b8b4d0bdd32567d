/**
 * ZNS error codes (Zalo's "Cách xử lý mã lỗi" table) mapped to what the delivery does next, with
 * the hub's failure reasons. Pure; the channel handles `token` itself (refresh once, resend once).
 */
import type { SendResult } from "../../ports.ts";

export type ZnsOutcome = SendResult | { outcome: "token" };

const VN_OFFSET_MS = 7 * 3600_000;

/** The next moment it is hh:00 in Vietnam (UTC+7, no daylight saving), after `now`. */
export function nextVietnamHour(now: Date, hour: number): Date {
  const local = new Date(now.getTime() + VN_OFFSET_MS);
  const at = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), hour) - VN_OFFSET_MS;
  return new Date(at > now.getTime() ? at : at + 24 * 3600_000);
}

const failed = (reason: string, message: string, disableAddress = false): SendResult => ({ outcome: "failed", reason, message, disableAddress });

export function znsOutcome(code: number, message: string | undefined, now: Date): ZnsOutcome {
  const text = `Zalo ${code}${message ? `: ${message}` : ""}`;
  switch (code) {
    case 0:
      return { outcome: "sent" };
    case -124: // access token invalid (ZNS)
    case -216: // access token invalid (OA API)
    case -220: // access token expired or removed (OA API)
      return { outcome: "token" };
    case -100:
      return { outcome: "retry", reason: "transient", retryAt: new Date(now.getTime() + 5 * 60_000) };
    case -32: // OA API request rate exceeded
      return { outcome: "retry", reason: "rate_limited", retryAt: new Date(now.getTime() + 60_000) };
    case -108:
      return failed("invalid_address", text, true);
    case -118: // no Zalo account on this number, or it was deactivated
      return failed("not_on_zalo", text, true);
    case -139: // the user refused this type of ZNS
    case -141: // the user refused ZNS from this OA
      return failed("blocked", text, true);
    case -110: // Zalo app too old to show ZNS
    case -114: // inactive, refused the message, old app, or other: this message only
    case -119: // account cannot receive ZNS
      return failed("blocked", text, false);
    case -115: // ZNS balance insufficient
      return { outcome: "retry", reason: "quota", retryAt: new Date(now.getTime() + 3600_000) };
    case -144: // the OA's daily ZNS limit
    case -147: // the template's daily limit
      return { outcome: "retry", reason: "quota", retryAt: nextVietnamHour(now, 0) };
    case -133: // template may not be sent 22:00–06:00
      return { outcome: "retry", reason: "transient", retryAt: nextVietnamHour(now, 6) };
    case -130:
    case -1121:
      return failed("too_long", text);
    case -101:
    case -102:
    case -103:
    case -104:
    case -105:
    case -117:
    case -125:
    case -135:
    case -136:
    case -137:
      return failed("not_configured", text);
    default:
      // Template not approved or disabled, payload or parameter invalid, dev-mode limits, journey
      // tokens, and codes this table does not know: a resend would fail the same way.
      return failed("rejected", text);
  }
}
