/**
 * Delivery of outside messages (`outbound_messages`), one channel at a time, so a slow or
 * failing channel never holds up the others (each has its own job queue, see app/jobs).
 *
 * A run claims a batch of due rows of its channel — queued with `not_before` passed, or
 * `sending` whose lease (kept in `not_before`) ran out because a worker died mid-send — with
 * FOR UPDATE SKIP LOCKED, marks them sending with one more attempt and a lease, and commits.
 * Then each is sent with its `key` as the idempotency key (the email Message-ID), several at once
 * up to the channel's concurrency and within its rate, and its outcome is recorded at once:
 * - sent → sent_at and the provider's id;
 * - retry → queued again after an exponential backoff with full jitter (or the channel's
 *   retryAt); after `maxAttempts` attempts → failed `transient`;
 * - failed → failure_reason; when the address is bad the person's channel is switched off
 *   (contact_channels, which the settings page shows) — for push the subscription is deleted —
 *   and what is still queued for it is cancelled.
 * A row whose person has switched the channel off, or unsubscribed from its kind, is cancelled
 * instead of sent. Every write is guarded by (status 'sending', attempts) so a worker whose lease
 * ran out cannot overwrite the outcome recorded by the one that took the row over.
 *
 * A crash between the provider's acceptance and the record means a resend on the next run with
 * the same key; nothing is ever lost. For tests only, NOTIFY_TEST_CRASH_AFTER_SEND=N (honoured
 * only when NODE_ENV is "test") ends the process right after the N-th accepted send, before it is
 * recorded.
 */
import type { Database } from "../../../db/client.server.ts";
import type { ExternalChannel } from "../../../db/schema/notify.ts";
import type { Channel, OutgoingMessage, SendResult } from "../../../integrations/ports.ts";
import { DEFAULT_BACKOFF, nextAttemptAt, type BackoffPolicy } from "./backoff.ts";
import { channelFor, channelLimits } from "./channels.server.ts";
import { unsubscribeUrl, type UnsubscribeKind } from "./unsubscribe.server.ts";

export type DeliveryOptions = {
  /** The channel to send through; default: the process's configured one (null: not configured). */
  channel?: Channel | null;
  batchSize?: number;
  /** Sends in flight at once (default: the channel's pool size). */
  concurrency?: number;
  /** Sends per second across every process (default: the channel's configured rate; 0 = none). */
  ratePerSecond?: number;
  /** How long a claimed row stays ours before another worker may take it over. */
  leaseMs?: number;
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** The clock: which rows are due and when retries come back. */
  now?: () => Date;
  /** For unsubscribe links: the public address (APP_URL) and SECRET_KEY. */
  baseUrl?: string;
  secretKey?: string;
};

export type BatchResult = { configured: boolean; claimed: number; sent: number; retried: number; failed: number; cancelled: number };

type ClaimedRow = {
  id: number | string;
  key: string;
  user_id: string;
  channel: ExternalChannel;
  address: string;
  kind: "immediate" | "daily" | "weekly";
  locale: "vi" | "en";
  content: unknown;
  attempts: number;
  news_kind: string | null;
  disabled_reason: string | null;
  unsubscribed: boolean;
  endpoint: string | null;
  p256dh: string | null;
  auth: string | null;
};

type Content = { subject: string; text: string; html?: string; link?: string; template?: { id: string; params: Record<string, string> } };

const iso = (d: Date) => d.toISOString();

function parseContent(raw: unknown): Content | null {
  const c = (typeof raw === "string" ? JSON.parse(raw) : raw) as Partial<Content> | null;
  if (!c || typeof c.subject !== "string" || typeof c.text !== "string") return null;
  return c as Content;
}

/** Claim up to `limit` due rows of `channel` (see the header), with what sending them needs. */
async function claim(database: Database, channel: ExternalChannel, limit: number, now: Date, leaseMs: number): Promise<ClaimedRow[]> {
  // The clock has millisecond resolution and the database microseconds: a row queued earlier in the
  // same millisecond is due too.
  return database.query<ClaimedRow>(
    `with due as (
       select id from outbound_messages
        where channel = $1 and status in ('queued', 'sending') and not_before < $2::timestamptz + interval '1 millisecond'
        order by not_before, id
        limit $3
        for update skip locked
     ), claimed as (
       update outbound_messages m
          set status = 'sending', attempts = m.attempts + 1, not_before = $4::timestamptz, updated_at = $2::timestamptz
         from due where m.id = due.id
       returning m.id, m.key, m.user_id, m.channel, m.address, m.kind, m.locale, m.content, m.attempts, m.notification_id
     )
     select c.id, c.key, c.user_id, c.channel, c.address, c.kind, c.locale, c.content, c.attempts,
            n.kind as news_kind, cc.disabled_reason,
            exists (select 1 from channel_unsubscribes u
                     where u.user_id = c.user_id and u.channel = c.channel
                       and u.kind = case when c.kind = 'immediate' then coalesce(n.kind, '') else 'digest' end) as unsubscribed,
            ps.endpoint, ps.p256dh, ps.auth
       from claimed c
       left join notifications n on n.id = c.notification_id
       left join contact_channels cc on cc.user_id = c.user_id and cc.channel = c.channel and cc.enabled = false
       left join push_subscriptions ps on c.channel = 'push' and ps.id::text = c.address
      order by c.id`,
    [channel, iso(now), limit, iso(new Date(now.getTime() + leaseMs))],
  );
}

/** A token bucket shared by every process through the rate_limits table (GCRA: one timestamp). */
class SharedBucket {
  private slots: number[] = [];
  private refilling: Promise<void> | null = null;
  constructor(
    private database: Database,
    private key: string,
    private perSecond: number,
    private chunk: number,
  ) {}

  async take(): Promise<void> {
    if (this.perSecond <= 0) return;
    while (this.slots.length === 0) {
      this.refilling ??= this.reserve().finally(() => (this.refilling = null));
      await this.refilling;
    }
    const at = this.slots.shift()!;
    const wait = at - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }

  /** Reserve `chunk` sends: the shared clock moves on by chunk × interval; ours start where it was. */
  private async reserve() {
    const interval = 1000 / this.perSecond;
    const span = interval * this.chunk;
    const now = Date.now();
    const [row] = await this.database.query<{ until: string | Date }>(
      `insert into rate_limits (key, window_start, count, blocked_until)
            values ($1, $2::timestamptz, 0, $2::timestamptz + $3 * interval '1 millisecond')
       on conflict (key) do update
             set blocked_until = greatest(rate_limits.blocked_until, $2::timestamptz) + $3 * interval '1 millisecond'
       returning blocked_until as until`,
      [this.key, new Date(now).toISOString(), span],
    );
    const start = new Date(row.until).getTime() - span;
    for (let i = 0; i < this.chunk; i++) this.slots.push(start + i * interval);
  }
}

let sendsBeforeCrash = -1;
/** The test-only crash point (see the header); inert unless NODE_ENV is "test". */
function crashPointReached(): boolean {
  if (process.env.NODE_ENV !== "test" || !process.env.NOTIFY_TEST_CRASH_AFTER_SEND) return false;
  if (sendsBeforeCrash < 0) sendsBeforeCrash = Number(process.env.NOTIFY_TEST_CRASH_AFTER_SEND);
  return --sendsBeforeCrash <= 0;
}

function outgoing(row: ClaimedRow, content: Content, opts: DeliveryOptions): OutgoingMessage | null {
  let to: OutgoingMessage["to"] = row.address;
  if (row.channel === "push") {
    if (!row.endpoint || !row.p256dh || !row.auth) return null;
    to = { endpoint: row.endpoint, keys: { p256dh: row.p256dh, auth: row.auth } };
  }
  const kind: UnsubscribeKind | null = row.kind === "immediate" ? ((row.news_kind as UnsubscribeKind | null) ?? null) : "digest";
  const base = opts.baseUrl;
  return {
    to,
    locale: row.locale,
    subject: content.subject,
    text: content.text,
    html: content.html,
    link: content.link,
    template: content.template,
    unsubscribeUrl: kind && base && opts.secretKey ? unsubscribeUrl(base, opts.secretKey, { userId: row.user_id, channel: row.channel, kind }) : undefined,
  };
}

async function record(database: Database, row: ClaimedRow, result: SendResult, now: Date, opts: Required<Pick<DeliveryOptions, "maxAttempts" | "backoff" | "random">>) {
  const guard = `id = $1 and status = 'sending' and attempts = $2`;
  const base = [row.id, row.attempts, iso(now)];
  if (result.outcome === "sent") {
    await database.query(
      `update outbound_messages set status = 'sent', sent_at = $3::timestamptz, provider_message_id = $4, last_error = null, updated_at = $3::timestamptz where ${guard}`,
      [...base, result.providerMessageId ?? null],
    );
    return "sent" as const;
  }
  if (result.outcome === "retry") {
    if (row.attempts >= opts.maxAttempts) {
      await database.query(
        `update outbound_messages set status = 'failed', failure_reason = 'transient', last_error = $4, updated_at = $3::timestamptz where ${guard}`,
        [...base, result.reason],
      );
      return "failed" as const;
    }
    const at = nextAttemptAt(now, row.attempts, result.retryAt, opts.backoff, opts.random);
    await database.query(
      `update outbound_messages set status = 'queued', not_before = $4::timestamptz, last_error = $5, updated_at = $3::timestamptz where ${guard}`,
      [...base, iso(at), result.reason],
    );
    return "retried" as const;
  }
  await database.query(
    `update outbound_messages set status = 'failed', failure_reason = $4, last_error = $5, updated_at = $3::timestamptz where ${guard}`,
    [...base, result.reason, (result.message ?? result.reason).slice(0, 500)],
  );
  if (result.disableAddress) await disableAddress(database, row, result.reason, now);
  return "failed" as const;
}

/** The address is no good: switch it off and cancel what is still queued for it. */
async function disableAddress(database: Database, row: ClaimedRow, reason: string, now: Date) {
  if (row.channel === "push") {
    await database.query(`delete from push_subscriptions where id::text = $1`, [row.address]);
    await database.query(
      `update outbound_messages set status = 'cancelled', failure_reason = $3, updated_at = now() where channel = 'push' and address = $1 and status = 'queued' and id <> $2`,
      [row.address, row.id, reason],
    );
    return;
  }
  await database.query(
    `insert into contact_channels (user_id, channel, enabled, disabled_reason, disabled_at, updated_at)
          values ($1, $2, false, $3, $4::timestamptz, $4::timestamptz)
     on conflict (user_id, channel) do update set enabled = false, disabled_reason = $3, disabled_at = $4::timestamptz, updated_at = $4::timestamptz`,
    [row.user_id, row.channel, reason, iso(now)],
  );
  await database.query(
    `update outbound_messages set status = 'cancelled', failure_reason = $4, updated_at = now()
      where user_id = $1 and channel = $2 and status = 'queued' and id <> $3`,
    [row.user_id, row.channel, row.id, reason],
  );
}

/** Claim and send one batch of `channelName`'s due messages. */
export async function deliverBatch(database: Database, channelName: ExternalChannel, options: DeliveryOptions = {}): Promise<BatchResult> {
  const result: BatchResult = { configured: true, claimed: 0, sent: 0, retried: 0, failed: 0, cancelled: 0 };
  const channel = options.channel !== undefined ? options.channel : channelFor(channelName);
  if (!channel) return { ...result, configured: false };
  const limits = channelLimits(channelName);
  const clock = options.now ?? (() => new Date());
  const concurrency = Math.max(1, options.concurrency ?? limits.concurrency);
  const batchSize = options.batchSize ?? Math.max(100, concurrency * 20);
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const fixed = { maxAttempts: options.maxAttempts ?? 8, backoff: options.backoff ?? DEFAULT_BACKOFF, random: options.random ?? Math.random };
  const rate = options.ratePerSecond ?? limits.ratePerSecond;
  const bucket = new SharedBucket(database, `notify-rate:${channelName}`, rate, Math.max(1, Math.min(concurrency, Math.ceil(rate / 10) || 1)));

  const rows = await claim(database, channelName, batchSize, clock(), leaseMs);
  result.claimed = rows.length;
  let next = 0;
  const work = async () => {
    for (;;) {
      const row = rows[next++];
      if (!row) return;
      const cancelReason = row.disabled_reason ?? (row.unsubscribed ? "unsubscribed" : null);
      if (cancelReason) {
        await database.query(
          `update outbound_messages set status = 'cancelled', failure_reason = $3, updated_at = now() where id = $1 and status = 'sending' and attempts = $2`,
          [row.id, row.attempts, cancelReason],
        );
        result.cancelled++;
        continue;
      }
      if (row.attempts > fixed.maxAttempts) {
        // Claimed again and again without an outcome (a worker dying on it each time): give up.
        result[await record(database, row, { outcome: "retry", reason: "transient" }, clock(), { ...fixed, maxAttempts: 0 })]++;
        continue;
      }
      const content = parseContent(row.content);
      const message = content ? outgoing(row, content, options) : null;
      let sendResult: SendResult;
      if (!content) sendResult = { outcome: "failed", reason: "rejected", message: "content has no subject or text", disableAddress: false };
      else if (!message) sendResult = { outcome: "failed", reason: "expired_subscription", message: "the push subscription is gone", disableAddress: false };
      else {
        await bucket.take();
        try {
          sendResult = await channel.send(message, row.key);
        } catch (e) {
          sendResult = { outcome: "retry", reason: "transient" };
          void e;
        }
        if (sendResult.outcome === "sent" && crashPointReached()) process.exit(86);
      }
      const outcome = await record(database, row, sendResult, clock(), fixed);
      result[outcome]++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, work));
  return result;
}

/**
 * Send batches until nothing of the channel is due, or `budgetMs` has passed (a job run ends so
 * the next scheduled one can start).
 */
export async function drainChannel(database: Database, channelName: ExternalChannel, options: DeliveryOptions & { budgetMs?: number } = {}): Promise<BatchResult> {
  const total: BatchResult = { configured: true, claimed: 0, sent: 0, retried: 0, failed: 0, cancelled: 0 };
  const until = Date.now() + (options.budgetMs ?? 50_000);
  for (;;) {
    const r = await deliverBatch(database, channelName, options);
    if (!r.configured) return { ...total, configured: false };
    for (const k of ["claimed", "sent", "retried", "failed", "cancelled"] as const) total[k] += r[k];
    if (r.claimed === 0 || Date.now() > until) return total;
  }
}
