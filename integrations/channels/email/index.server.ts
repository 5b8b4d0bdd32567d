/**
 * The email channel: one message to one address through a pooled SMTP transport (nodemailer).
 * The HTML and plain-text parts are the two renderings of the same template, as the message
 * arrives. Headers: a Message-ID made from the idempotency key (the same on every resend, so the
 * recipient's mail system can drop a duplicate), one-click unsubscribe (RFC 8058) and the
 * message's language.
 */
import crypto from "node:crypto";
import type { Channel, OutgoingMessage, SendResult } from "../../ports.ts";
import { fromDomain, type EmailConfig } from "./config.ts";
import { mapSmtpError, providerIdFrom } from "./errors.ts";
import { acquireTransport } from "./transport.ts";

export { emailConfigFromEnv, type EmailConfig } from "./config.ts";
export { mapSmtpError } from "./errors.ts";

/**
 * The Message-ID for an idempotency key: `<key@domain>`, the key's colons turned into dots
 * (`ev:12:…:email` → `ev.12.….email`); a key with any other character becomes its SHA-256.
 */
export function messageIdFor(idempotencyKey: string, from: string): string {
  const local = /^[A-Za-z0-9_:-]{1,200}$/.test(idempotencyKey)
    ? idempotencyKey.replace(/:/g, ".")
    : crypto.createHash("sha256").update(idempotencyKey).digest("hex");
  return `<${local}@${fromDomain(from)}>`;
}

const escapeHtml = (v: string) => v.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** The HTML part when the message brings none: the same text, paragraph by paragraph. */
function htmlFromText(message: OutgoingMessage): string {
  const paragraphs = message.text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`)
    .join("\n");
  const link = message.link ? `\n<p><a href="${escapeHtml(message.link)}">${escapeHtml(message.link)}</a></p>` : "";
  return `<!doctype html><html lang="${message.locale}"><body>\n${paragraphs}${link}\n</body></html>`;
}

export function createEmailChannel(config: EmailConfig): Channel {
  const { transport, release } = acquireTransport(config.url, { maxConnections: config.maxConnections, maxMessages: config.maxMessages });
  return {
    name: "email",
    async send(message, idempotencyKey): Promise<SendResult> {
      if (typeof message.to !== "string" || !message.to.includes("@")) {
        return { outcome: "failed", reason: "invalid_address", message: "not an email address", disableAddress: true };
      }
      const headers: Record<string, string> = { "Content-Language": message.locale };
      if (message.unsubscribeUrl) {
        const targets = [`<${message.unsubscribeUrl}>`];
        if (config.unsubscribeMailto) targets.push(`<mailto:${config.unsubscribeMailto}?subject=unsubscribe>`);
        headers["List-Unsubscribe"] = targets.join(", ");
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click";
      }
      try {
        const info = await transport.sendMail({
          from: config.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html ?? htmlFromText(message),
          messageId: messageIdFor(idempotencyKey, config.from),
          headers,
        });
        const rejected = (info.rejected ?? []) as unknown[];
        if (rejected.length > 0) {
          return { outcome: "failed", reason: "invalid_address", message: String(info.response ?? "rejected"), disableAddress: true };
        }
        return { outcome: "sent", providerMessageId: providerIdFrom(info.response) || undefined };
      } catch (error) {
        return mapSmtpError(error);
      }
    },
    async verify() {
      await transport.verify();
    },
    async close() {
      release();
    },
  };
}
