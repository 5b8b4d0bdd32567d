/**
 * The email channel's configuration: the SMTP server (SMTP_URL), the sender (MAIL_FROM), the pool
 * size and the send rate. Unset SMTP_URL means the channel is not configured.
 */
import { z } from "zod";

export type EmailConfig = {
  /** smtp:// or smtps:// URL; options in its query (e.g. ?ignoreTLS=true) are passed to nodemailer. */
  url: string;
  /** "Name <address>" or a bare address. */
  from: string;
  /** Pooled connections kept open to the server; also how many sends are in flight at once. */
  maxConnections: number;
  /** Messages sent on one connection before it is replaced. */
  maxMessages: number;
  /** Emails per second across every process (NOTIFY_RATE_EMAIL); 0 = no limit. */
  ratePerSecond: number;
  /** An optional mailbox for `List-Unsubscribe: <mailto:…>` next to the one-click URL. */
  unsubscribeMailto?: string;
};

const Schema = z.object({
  SMTP_URL: z.string().regex(/^smtps?:\/\/\S+$/, "must be an smtp:// or smtps:// URL"),
  MAIL_FROM: z.string().trim().min(3, "must be an email address, or a name and <address>"),
  NOTIFY_SMTP_CONNECTIONS: z.coerce.number().int().min(1).max(100).default(10),
  NOTIFY_SMTP_MAX_MESSAGES: z.coerce.number().int().min(1).max(100_000).default(1000),
  NOTIFY_RATE_EMAIL: z.coerce.number().min(0).max(100_000).default(0),
  NOTIFY_UNSUBSCRIBE_MAILTO: z.email().optional(),
});

const blank = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v);

/** The configuration from the environment, or null when SMTP_URL is unset. Throws on a bad value. */
export function emailConfigFromEnv(env: Record<string, string | undefined>): EmailConfig | null {
  if (!blank(env.SMTP_URL)) return null;
  const parsed = Schema.safeParse({
    SMTP_URL: env.SMTP_URL,
    MAIL_FROM: blank(env.MAIL_FROM),
    NOTIFY_SMTP_CONNECTIONS: blank(env.NOTIFY_SMTP_CONNECTIONS),
    NOTIFY_SMTP_MAX_MESSAGES: blank(env.NOTIFY_SMTP_MAX_MESSAGES),
    NOTIFY_RATE_EMAIL: blank(env.NOTIFY_RATE_EMAIL),
    NOTIFY_UNSUBSCRIBE_MAILTO: blank(env.NOTIFY_UNSUBSCRIBE_MAILTO),
  });
  if (!parsed.success) {
    throw new Error(`Invalid email channel configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n")}`);
  }
  const c = parsed.data;
  return {
    url: c.SMTP_URL,
    from: c.MAIL_FROM,
    maxConnections: c.NOTIFY_SMTP_CONNECTIONS,
    maxMessages: c.NOTIFY_SMTP_MAX_MESSAGES,
    ratePerSecond: c.NOTIFY_RATE_EMAIL,
    unsubscribeMailto: c.NOTIFY_UNSUBSCRIBE_MAILTO,
  };
}

/** The domain of the sender's address ("lopso.example.vn" in "Lớp Số <no-reply@lopso.example.vn>"). */
export function fromDomain(from: string): string {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  const at = address.lastIndexOf("@");
  return (at === -1 ? "localhost" : address.slice(at + 1)).trim().toLowerCase();
}
