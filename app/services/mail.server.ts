/**
 * Outgoing mail: one pooled SMTP transport (nodemailer) for the whole process, configured by
 * SMTP_URL and MAIL_FROM. Password-reset links and parent notifications both send through it.
 * Without SMTP_URL there is no transport and callers say so instead of sending.
 */
import type { Transporter } from "nodemailer";
import { emailConfigFromEnv } from "../../integrations/channels/email/config.ts";
import { acquireTransport } from "../../integrations/channels/email/transport.ts";
import { z } from "zod";
import { env } from "../env.server.ts";

export type MailMessage = {
  to: string;
  subject: string;
  /** The plain-text part; every message has one. */
  text: string;
  html: string;
  /** Content-Language of the message ("vi", "en"). */
  language?: string;
};

const MessageSchema = z.object({
  to: z.email(),
  subject: z.string().min(1).max(200),
  text: z.string().min(1),
  html: z.string().min(1),
  language: z.string().optional(),
});

let held: { transport: Transporter; release: () => void } | undefined;

/** Whether outgoing mail is configured. */
export function mailConfigured(): boolean {
  return Boolean(env().SMTP_URL);
}

function getTransport(): Transporter {
  const url = env().SMTP_URL;
  if (!url) throw new Error("SMTP_URL is not set");
  // Connections are pooled and reused, shared with the email channel (integrations/channels/email);
  // options in the URL's query (e.g. ?ignoreTLS=true) win.
  // The pool is sized as the email channel's (NOTIFY_SMTP_CONNECTIONS), whichever asks first.
  if (!held) {
    const pool = emailConfigFromEnv({ ...process.env, SMTP_URL: url, MAIL_FROM: env().MAIL_FROM });
    held = acquireTransport(url, { maxConnections: pool?.maxConnections, maxMessages: pool?.maxMessages });
  }
  return held.transport;
}

/** Send one message; resolves with the server's message id, rejects when the server refuses it. */
export async function sendMail(message: MailMessage): Promise<string> {
  const m = MessageSchema.parse(message);
  const info = await getTransport().sendMail({
    from: env().MAIL_FROM,
    to: m.to,
    subject: m.subject,
    text: m.text,
    html: m.html,
    headers: m.language ? { "Content-Language": m.language } : undefined,
  });
  return String(info.messageId ?? "");
}

/** Close the pooled connections (at shutdown). */
export function closeMail() {
  held?.release();
  held = undefined;
}

