/**
 * What an SMTP outcome means for one recipient, from nodemailer's errors (`responseCode`, the
 * server's reply code; `code`, nodemailer's own: ECONNECTION, ETIMEDOUT, EENVELOPE, …):
 * - 4xx, or no answer at all (connection refused, reset, timed out) → try again later (transient);
 * - 550 / 551 / 553 (user unknown, mailbox unavailable, bad mailbox name) → the address is wrong:
 *   failed `invalid_address`, switch the address off — unless the enhanced status is 5.7.x,
 *   which some servers send with 550 for a policy refusal (then as 552/554);
 * - 552 / 554 and other 5xx policy or content refusals → failed `rejected`, the address stays on;
 * - our own account refused (EAUTH, 530/535) → transient: the operator must fix the configuration,
 *   and the message must not be lost meanwhile.
 */
import type { SendResult } from "../../ports.ts";

export type SmtpErrorLike = { code?: unknown; responseCode?: unknown; response?: unknown; message?: unknown; command?: unknown };

const CONNECTION_CODES = new Set(["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ETLS", "ECONNREFUSED", "ECONNRESET", "EPIPE", "EPROTOCOL", "EAUTH", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);

function text(error: SmtpErrorLike): string {
  const response = typeof error.response === "string" ? error.response : "";
  const message = typeof error.message === "string" ? error.message : String(error);
  return (response || message).slice(0, 500);
}

export function mapSmtpError(error: unknown): SendResult {
  const e = (typeof error === "object" && error !== null ? error : { message: String(error) }) as SmtpErrorLike;
  const code = typeof e.responseCode === "number" ? e.responseCode : Number.NaN;
  const detail = text(e);
  if (Number.isFinite(code)) {
    if (code >= 400 && code < 500) return { outcome: "retry", reason: "transient" };
    if (code === 530 || code === 534 || code === 535) return { outcome: "retry", reason: "transient" };
    if (code === 550 || code === 551 || code === 553) {
      if (/\b5\.7\.\d+\b/.test(detail)) return { outcome: "failed", reason: "rejected", message: detail, disableAddress: false };
      return { outcome: "failed", reason: "invalid_address", message: detail, disableAddress: true };
    }
    if (code >= 500) return { outcome: "failed", reason: "rejected", message: detail, disableAddress: false };
  }
  const nodeCode = typeof e.code === "string" ? e.code : "";
  if (CONNECTION_CODES.has(nodeCode) || nodeCode === "") return { outcome: "retry", reason: "transient" };
  // EENVELOPE / EMESSAGE without a reply code: the message itself could not be built or addressed.
  if (nodeCode === "EENVELOPE") return { outcome: "failed", reason: "invalid_address", message: detail, disableAddress: true };
  return { outcome: "retry", reason: "transient" };
}

/** The server's id for an accepted message: "queued as X" in its 250 reply, or the reply itself. */
export function providerIdFrom(response: unknown): string {
  const reply = typeof response === "string" ? response : "";
  const queued = /queued as\s+([^\s;]+)/i.exec(reply)?.[1];
  return (queued ?? reply).slice(0, 200);
}
