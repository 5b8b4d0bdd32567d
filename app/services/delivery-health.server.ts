/**
 * Delivery health of a school's notifications, for its admins: per outside channel and per day
 * (Vietnam time) of the last 14 days, the messages sent, delivered and failed (by reason) and the
 * addresses unsubscribed; and the share of the school's students with at least one parent
 * reached in the last 30 days — the figure the province reports.
 *
 * "Reached": within the 30 days, a parent linked to the student was sent an outside message of
 * this school (email, push, Zalo or SMS) that the provider accepted or delivered, or read an
 * in-app item about that student. All set-based SQL over the school's rows.
 */
import { sql } from "drizzle-orm";
import { selectRows, type Db } from "../../db/client.server.ts";
import { TIME_ZONE } from "../lib/vn.ts";

export const HEALTH_DAYS = 14;
export const REACH_DAYS = 30;
const DAY = 86_400_000;

export type HealthDay = {
  channel: "email" | "push" | "zalo" | "sms";
  day: string;
  sent: number;
  delivered: number;
  failed: number;
  pending: number;
  unsubscribed: number;
  failures: { reason: string; n: number }[];
};

export type DeliveryHealth = {
  since: string;
  days: HealthDay[];
  totals: { sent: number; delivered: number; failed: number; unsubscribed: number };
  reach: { students: number; reached: number; share: number | null };
};

export async function deliveryHealth(db: Db, schoolId: string, now = new Date()): Promise<DeliveryHealth> {
  const since = new Date(now.getTime() - HEALTH_DAYS * DAY);
  const reachSince = new Date(now.getTime() - REACH_DAYS * DAY);
  const tz = sql.raw(`'${TIME_ZONE}'`);
  const [counts, failures, unsubscribed, [reach]] = await Promise.all([
    selectRows<{ channel: HealthDay["channel"]; day: string; sent: number; delivered: number; failed: number; pending: number }>(
      db,
      sql`select o.channel, to_char((o.created_at at time zone ${tz})::date, 'YYYY-MM-DD') as day,
            count(*) filter (where o.status in ('sent', 'delivered'))::int as sent,
            count(*) filter (where o.status = 'delivered')::int as delivered,
            count(*) filter (where o.status = 'failed')::int as failed,
            count(*) filter (where o.status in ('queued', 'sending'))::int as pending
          from outbound_messages o
          where o.school_id = ${schoolId} and o.created_at >= ${since.toISOString()}
          group by 1, 2`,
    ),
    selectRows<{ channel: HealthDay["channel"]; day: string; reason: string; n: number }>(
      db,
      sql`select o.channel, to_char((o.created_at at time zone ${tz})::date, 'YYYY-MM-DD') as day,
            coalesce(o.failure_reason, 'unknown') as reason, count(*)::int as n
          from outbound_messages o
          where o.school_id = ${schoolId} and o.created_at >= ${since.toISOString()} and o.status = 'failed'
          group by 1, 2, 3`,
    ),
    selectRows<{ channel: HealthDay["channel"]; day: string; n: number }>(
      db,
      sql`select c.channel, to_char((c.disabled_at at time zone ${tz})::date, 'YYYY-MM-DD') as day, count(*)::int as n
          from contact_channels c
          where c.disabled_reason = 'unsubscribed' and not c.enabled and c.disabled_at >= ${since.toISOString()}
            and exists (select 1 from memberships m where m.user_id = c.user_id and m.org_id = ${schoolId})
          group by 1, 2`,
    ),
    selectRows<{ students: number; reached: number }>(
      db,
      sql`with pupils as (
            select m.user_id as id from memberships m join users u on u.id = m.user_id
            where m.org_id = ${schoolId} and m.role = 'student' and u.deactivated_at is null
          )
          select count(*)::int as students,
            count(*) filter (where exists (
              select 1 from parent_links pl
              where pl.student_id = s.id and (
                exists (select 1 from outbound_messages o
                        where o.user_id = pl.parent_id and o.school_id = ${schoolId} and o.status in ('sent', 'delivered')
                          and coalesce(o.sent_at, o.delivered_at) >= ${reachSince.toISOString()})
                or exists (select 1 from notifications n
                           where n.user_id = pl.parent_id and n.student_id = s.id and n.read_at >= ${reachSince.toISOString()})
              )))::int as reached
          from pupils s`,
    ),
  ]);
  const byKey = new Map<string, HealthDay>();
  const entry = (channel: HealthDay["channel"], day: string) => {
    const key = `${day}:${channel}`;
    let e = byKey.get(key);
    if (!e) byKey.set(key, (e = { channel, day, sent: 0, delivered: 0, failed: 0, pending: 0, unsubscribed: 0, failures: [] }));
    return e;
  };
  for (const r of counts) Object.assign(entry(r.channel, r.day), { sent: Number(r.sent), delivered: Number(r.delivered), failed: Number(r.failed), pending: Number(r.pending) });
  for (const r of failures) entry(r.channel, r.day).failures.push({ reason: r.reason, n: Number(r.n) });
  for (const r of unsubscribed) entry(r.channel, r.day).unsubscribed = Number(r.n);
  const order = ["email", "push", "zalo", "sms"];
  const days = [...byKey.values()].sort((a, b) => b.day.localeCompare(a.day) || order.indexOf(a.channel) - order.indexOf(b.channel));
  for (const d of days) d.failures.sort((a, b) => b.n - a.n || a.reason.localeCompare(b.reason));
  const sum = (k: "sent" | "delivered" | "failed" | "unsubscribed") => days.reduce((n, d) => n + d[k], 0);
  const students = Number(reach?.students ?? 0);
  const reached = Number(reach?.reached ?? 0);
  return {
    since: since.toISOString(),
    days,
    totals: { sent: sum("sent"), delivered: sum("delivered"), failed: sum("failed"), unsubscribed: sum("unsubscribed") },
    reach: { students, reached, share: students > 0 ? reached / students : null },
  };
}
