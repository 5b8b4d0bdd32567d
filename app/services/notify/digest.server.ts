/**
 * The daily and weekly digests: for each person whose digest time has come, ONE message per
 * outside channel that sums up all their waiting items (all children, all platforms), and those
 * items marked dispatched in the same transaction. The key
 * `digest:<daily|weekly>:<local date or ISO week>:<userId>:<channel>` makes a rerun (a missed
 * digest run again with `--at`) queue nothing twice. A digest with nothing to say is not sent; the
 * inbox gets no extra item (its items are already there).
 */
import { sql } from "drizzle-orm";
import { json, selectRows, type Db } from "../../../db/client.server.ts";
import type { ExternalChannel } from "../../../db/schema/index.ts";
import type { Locale } from "../../i18n/index.ts";
import { DEFAULT_SETTINGS } from "../../lib/notify-defaults.ts";
import { formatDate } from "../../lib/vn.ts";
import { digestLabel, lastDigestMoment } from "./clock.ts";
import { channelsSql, type NotifyConfig } from "./recipients.server.ts";
import { renderDigest, type DigestItem, type NotifyFacts } from "./render.ts";

export type Period = "daily" | "weekly";
export type DigestResult = {
  /** People whose waiting items were taken. */
  people: number;
  /** Items marked dispatched. */
  items: number;
  /** Digests with nothing to say (not sent). */
  empty: number;
  /** Messages queued, per channel. */
  messages: Record<ExternalChannel, number>;
};

const emptyCounts = (): Record<ExternalChannel, number> => ({ email: 0, push: 0, zalo: 0, sms: 0 });

type Row = { id: string; user_id: string; student_id: string | null; student_name: string | null; title: string; link: string | null; data: unknown; school_id: string | null };

async function digestBatch(db: Db, config: NotifyConfig, at: Date, period: Period, after: string, before: string, batch: number): Promise<{ last: string | null; result: DigestResult }> {
  const result: DigestResult = { people: 0, items: 0, empty: 0, messages: emptyCounts() };
  const iso = at.toISOString();
  const candidates = await selectRows<{ user_id: string }>(
    db,
    sql`select distinct n.user_id from notifications n
        where n.mode = ${period} and n.dispatched_at is null and n.created_at < ${iso}::timestamptz
          and n.user_id > ${after}::uuid and n.user_id <= ${before}::uuid
        order by n.user_id limit ${batch}`,
  );
  if (candidates.length === 0) return { last: null, result };
  const last = candidates[candidates.length - 1].user_id;
  const userIds = JSON.stringify(candidates.map((c) => c.user_id));
  const users = sql`select (value)::uuid from jsonb_array_elements_text(${userIds}::jsonb)`;

  await db.transaction(async (tx) => {
    const people = await selectRows<{ id: string; locale: Locale; digest_at: number; weekly_day: number }>(
      tx,
      sql`select u.id, u.locale, coalesce(s.digest_at, ${DEFAULT_SETTINGS.digestAt})::int as digest_at, coalesce(s.weekly_day, ${DEFAULT_SETTINGS.weeklyDay})::int as weekly_day
          from users u left join notification_settings s on s.user_id = u.id where u.id in (${users})`,
    );
    const moments = people.map((p) => ({ u: p.id, m: lastDigestMoment(at, { digestAt: p.digest_at, weeklyDay: p.weekly_day }, period).toISOString() }));
    // Take the items (marking them dispatched) and read them in one pass; a second worker running
    // at once waits for these rows and then finds them taken.
    const rows = await selectRows<Row>(
      tx,
      sql`with m as (select (x->>'u')::uuid as user_id, (x->>'m')::timestamptz as moment from jsonb_array_elements(${JSON.stringify(moments)}::jsonb) x),
          -- Each person's items through the (user, id) index, never a scan of everyone's waiting items.
          mine as (
            select w.id from m
            cross join lateral (
              select n.id from notifications n
              where n.user_id = m.user_id and n.mode = ${period} and n.dispatched_at is null and n.created_at < m.moment
              offset 0 -- keeps the per-person lookup (else the planner hashes every waiting item)
            ) w
          ),
          taken as (
            update notifications n set dispatched_at = ${iso}::timestamptz
            from mine
            where n.id = mine.id and n.dispatched_at is null
            returning n.id, n.user_id, n.student_id, n.title, n.link, n.data, n.event_id
          )
          select t.id::text as id, t.user_id, t.student_id, su.full_name as student_name, t.title, t.link, t.data, e.school_id
          from taken t
          left join users su on su.id = t.student_id
          left join events e on e.id = t.event_id
          order by t.user_id, t.id`,
    );
    if (rows.length === 0) return;
    const channels = config.configured.size
      ? await selectRows<{ user_id: string; channel: ExternalChannel; address: string; sub: string | null }>(tx, channelsSql(sql`select distinct user_id from (${users}) x(user_id)`, config.configured))
      : [];
    const byUser = new Map<string, Row[]>();
    for (const r of rows) {
      const list = byUser.get(r.user_id);
      if (list) list.push(r);
      else byUser.set(r.user_id, [r]);
    }
    const channelsOf = new Map<string, typeof channels>();
    for (const c of channels) channelsOf.set(c.user_id, [...(channelsOf.get(c.user_id) ?? []), c]);
    const personOf = new Map(people.map((p) => [p.id, p]));
    const momentOf = new Map(moments.map((m) => [m.u, new Date(m.m)]));

    const messages: Record<string, unknown>[] = [];
    for (const [userId, list] of byUser) {
      result.people++;
      result.items += list.length;
      const person = personOf.get(userId)!;
      const moment = momentOf.get(userId)!;
      const keyLabel = digestLabel(moment, period);
      const shown = period === "daily" ? formatDate(moment) : keyLabel;
      const items: DigestItem[] = list.map((r) => ({
        facts: { ...json<NotifyFacts>(r.data), studentId: r.student_id, student: r.student_name },
        title: r.title,
        link: r.link,
      }));
      const mine = channelsOf.get(userId) ?? [];
      let said = false;
      for (const c of mine) {
        const content = renderDigest(c.channel, items, person.locale, period, shown, config);
        if (!content) continue;
        said = true;
        messages.push({
          key: `digest:${period}:${keyLabel}:${userId}:${c.channel}${c.sub ? `:${c.sub}` : ""}`,
          user_id: userId,
          school_id: list[0].school_id,
          channel: c.channel,
          address: c.address,
          locale: person.locale,
          content,
        });
      }
      if (!said && mine.length) result.empty++;
    }
    if (messages.length) {
      const sent = await selectRows<{ channel: ExternalChannel; n: number }>(
        tx,
        sql`with ins as (
              insert into outbound_messages (key, user_id, school_id, channel, address, kind, locale, content, not_before, created_at, updated_at)
              select x->>'key', (x->>'user_id')::uuid, (x->>'school_id')::uuid, x->>'channel', x->>'address', ${period}, x->>'locale', x->'content',
                     ${iso}::timestamptz, ${iso}::timestamptz, ${iso}::timestamptz
              from jsonb_array_elements(${JSON.stringify(messages)}::jsonb) x
              on conflict (key) do nothing
              returning channel
            )
            select channel, count(*)::int as n from ins group by channel`,
      );
      for (const s of sent) result.messages[s.channel] += Number(s.n);
    }
  });
  return { last, result };
}

/**
 * Run the digests due at `at` (default now): the daily ones, then the weekly ones, `batch` people
 * per transaction. Safe to repeat and to run from two workers at once.
 */
export async function runDigest(
  db: Db,
  config: NotifyConfig,
  at: Date = new Date(),
  opts: { batch?: number; periods?: Period[]; /** Only people whose id is in (from, to]: workers sharing the work. */ range?: [string, string] } = {},
): Promise<Record<Period, DigestResult>> {
  const out: Record<Period, DigestResult> = {
    daily: { people: 0, items: 0, empty: 0, messages: emptyCounts() },
    weekly: { people: 0, items: 0, empty: 0, messages: emptyCounts() },
  };
  for (const period of opts.periods ?? (["daily", "weekly"] as Period[])) {
    let after = opts.range?.[0] ?? "00000000-0000-0000-0000-000000000000";
    const before = opts.range?.[1] ?? "ffffffff-ffff-ffff-ffff-ffffffffffff";
    for (;;) {
      const { last, result } = await digestBatch(db, config, at, period, after, before, opts.batch ?? 2000);
      if (!last) break;
      after = last;
      const total = out[period];
      total.people += result.people;
      total.items += result.items;
      total.empty += result.empty;
      for (const c of Object.keys(result.messages) as ExternalChannel[]) total.messages[c] += result.messages[c];
    }
  }
  return out;
}

/** Split the id space into `n` ranges for `runDigest`'s `range`, one per worker. */
export function idRanges(n: number): [string, string][] {
  const hex = (v: number) => v.toString(16).padStart(8, "0");
  const bound = (i: number) => (i === 0 ? "00000000-0000-0000-0000-000000000000" : i === n ? "ffffffff-ffff-ffff-ffff-ffffffffffff" : `${hex(Math.floor((0x100000000 * i) / n) - 1)}-ffff-ffff-ffff-ffffffffffff`);
  return Array.from({ length: n }, (_, i) => [bound(i), bound(i + 1)]);
}

/** Add up the results of workers that shared a run. */
export function sumDigests(list: Record<Period, DigestResult>[]): Record<Period, DigestResult> {
  const out: Record<Period, DigestResult> = {
    daily: { people: 0, items: 0, empty: 0, messages: emptyCounts() },
    weekly: { people: 0, items: 0, empty: 0, messages: emptyCounts() },
  };
  for (const r of list) {
    for (const period of ["daily", "weekly"] as Period[]) {
      out[period].people += r[period].people;
      out[period].items += r[period].items;
      out[period].empty += r[period].empty;
      for (const c of Object.keys(r[period].messages) as ExternalChannel[]) out[period].messages[c] += r[period].messages[c];
    }
  }
  return out;
}
