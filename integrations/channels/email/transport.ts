/**
 * One pooled nodemailer transport per SMTP server for the whole process: password-reset mail
 * (app/services/mail.server.ts) and parent notifications (the email channel) share it. Each user
 * acquires it and releases it when done; the last release closes the connections.
 */
import nodemailer, { type Transporter } from "nodemailer";

export type PoolOptions = { maxConnections?: number; maxMessages?: number };

type Entry = { transport: Transporter; users: number };
const pools = new Map<string, Entry>();

/** Build a pooled transport for `url` (options in the URL's query win over `opts`). */
export function buildTransport(url: string, opts: PoolOptions = {}): Transporter {
  return nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: opts.maxConnections ?? 5,
    maxMessages: opts.maxMessages ?? 1000,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
}

/**
 * The process's transport for `url`, created on first use and sized by that first caller (both
 * callers read the same NOTIFY_SMTP_CONNECTIONS); released by each, closed by the last.
 */
export function acquireTransport(url: string, opts: PoolOptions = {}): { transport: Transporter; release: () => void } {
  let entry = pools.get(url);
  if (!entry) {
    entry = { transport: buildTransport(url, opts), users: 0 };
    pools.set(url, entry);
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    transport: held.transport,
    release() {
      if (released) return;
      released = true;
      held.users--;
      if (held.users <= 0) {
        held.transport.close();
        if (pools.get(url) === held) pools.delete(url);
      }
    },
  };
}
