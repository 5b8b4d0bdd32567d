/**
 * The delivery queue at a glance, for `npm run cli -- notify status`: per channel, how many
 * messages are queued and due now, queued for later (quiet hours, backoff), being sent, sent,
 * delivered, cancelled and failed by reason — and which channels this configuration cannot send
 * on (their messages wait, queued).
 */
import type { Database } from "../../../db/client.server.ts";
import type { ExternalChannel } from "../../../db/schema/notify.ts";
import { EXTERNAL_CHANNELS, type Env } from "./channels.server.ts";
import { configuredChannels } from "../notify-channels.server.ts";

export type ChannelStatus = {
  channel: ExternalChannel;
  configured: boolean;
  dueNow: number;
  later: number;
  sending: number;
  sent: number;
  delivered: number;
  cancelled: Record<string, number>;
  failed: Record<string, number>;
};

/** `env`: the settings to judge by (default: the hub's, with its generated VAPID keys). */
export async function deliveryStatus(database: Database, env?: Env, now = new Date()): Promise<ChannelStatus[]> {
  const rows = await database.query<{ channel: ExternalChannel; status: string; due: boolean; reason: string | null; n: string | number }>(
    `select channel, status, (status = 'queued' and not_before <= $1::timestamptz) as due, failure_reason as reason, count(*) as n
       from outbound_messages group by 1, 2, 3, 4`,
    [now.toISOString()],
  );
  const configured = configuredChannels(env);
  return EXTERNAL_CHANNELS.map((channel) => {
    const s: ChannelStatus = { channel, configured: configured.has(channel), dueNow: 0, later: 0, sending: 0, sent: 0, delivered: 0, cancelled: {}, failed: {} };
    for (const r of rows.filter((x) => x.channel === channel)) {
      const n = Number(r.n);
      if (r.status === "queued") r.due ? (s.dueNow += n) : (s.later += n);
      else if (r.status === "sending") s.sending += n;
      else if (r.status === "sent") s.sent += n;
      else if (r.status === "delivered") s.delivered += n;
      else if (r.status === "failed") s.failed[r.reason ?? "unknown"] = (s.failed[r.reason ?? "unknown"] ?? 0) + n;
      else if (r.status === "cancelled") s.cancelled[r.reason ?? "unknown"] = (s.cancelled[r.reason ?? "unknown"] ?? 0) + n;
    }
    return s;
  });
}

const byReason = (m: Record<string, number>) => {
  const parts = Object.entries(m).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
};
const total = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);

/** Lines for the terminal, one block per channel. */
export function formatStatus(status: ChannelStatus[]): string[] {
  const lines: string[] = ["Outside messages by channel:"];
  for (const s of status) {
    lines.push(`${s.channel}${s.configured ? "" : " — not configured: its messages stay queued"}`);
    lines.push(`  queued, due now   ${s.dueNow}`);
    lines.push(`  queued, later     ${s.later}`);
    lines.push(`  sending           ${s.sending}`);
    lines.push(`  sent              ${s.sent}`);
    lines.push(`  delivered         ${s.delivered}`);
    lines.push(`  cancelled         ${total(s.cancelled)}${byReason(s.cancelled)}`);
    lines.push(`  failed            ${total(s.failed)}${byReason(s.failed)}`);
  }
  const off = status.filter((s) => !s.configured).map((s) => s.channel);
  lines.push(off.length ? `Not configured: ${off.join(", ")}.` : "Every channel is configured.");
  return lines;
}
