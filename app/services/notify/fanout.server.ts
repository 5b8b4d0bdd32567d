/**
 * The fan-out: outbox events → one inbox item per recipient (`notifications`), and for the items a
 * person wants at once, one outside message per channel (`outbound_messages`, sent by the delivery
 * job). Set-based: each batch of events is a handful of INSERT … SELECT statements, whatever the
 * number of parents, in one transaction with the events' `processed_at` — a crash leaves either
 * the whole batch or nothing. Unique keys make a rerun write nothing twice.
 */
import { sql } from "drizzle-orm";
import { z } from "zod";
import { json, selectRows, type Db } from "../../../db/client.server.ts";
import type { EventType, ExternalChannel } from "../../../db/schema/index.ts";
import { currentSchoolYear } from "../../lib/curriculum.ts";
import { DEFAULT_MODES, DEFAULT_SETTINGS, EVENT_KIND } from "../../lib/notify-defaults.ts";
import { quietHoursEndSql } from "./clock.ts";
import { channelsSql, invalidPhonesSql, type NotifyConfig } from "./recipients.server.ts";
import { itemPath, renderImmediate, renderItem, type NotifyFacts } from "./render.ts";
import type { Locale } from "../../i18n/index.ts";

export type FanoutResult = {
  /** Events taken (marked processed). */
  events: number;
  /** Events no one hears about: a student without parents, a class without students… */
  unheard: number;
  /** Events whose payload could not be read (recorded as processed, nothing sent). */
  invalid: number;
  notifications: number;
  messages: number;
  batches: number;
};

const LOCALES: Locale[] = ["vi", "en"];
export const EXTERNAL_CHANNELS_ORDER: ExternalChannel[] = ["email", "push", "zalo", "sms"];

type ClaimedEvent = {
  id: number | string;
  type: EventType;
  school_id: string;
  class_id: string | null;
  student_id: string | null;
  actor_id: string | null;
  payload: unknown;
  student_name: string | null;
  subject: string | null;
  class_name: string | null;
};

const text = z.string().max(5000).nullish();
const Payload = z.object({
  title: text,
  className: text,
  dueAt: text,
  late: z.boolean().nullish(),
  scale: z.enum(["ten_point", "primary_levels", "pass_fail", "points"]).nullish(),
  score: z.union([z.number(), z.string()]).nullish(),
  level: text,
  maxPoints: z.union([z.number(), z.string()]).nullish(),
  platform: text,
  status: z.enum(["absent", "late", "present"]).nullish(),
  minutes: z.number().nullish(),
  authorName: text,
  authorRole: z.enum(["parent", "teacher", "school_admin"]).nullish(),
  excerpt: text,
  threadId: z.uuid().nullish(),
  announcementId: z.uuid().nullish(),
  urgent: z.boolean().nullish(),
});

/** The language-free facts of an event, or null when its payload cannot be read. */
export function factsOf(e: ClaimedEvent): NotifyFacts | null {
  const parsed = Payload.safeParse(typeof e.payload === "string" ? JSON.parse(e.payload) : (e.payload ?? {}));
  if (!parsed.success) return null;
  const p = parsed.data;
  if (e.type === "attendance.recorded" && !p.status) return null;
  return {
    type: e.type,
    student: e.student_name,
    studentId: e.student_id,
    subject: e.subject,
    className: p.className ?? e.class_name,
    classId: e.class_id,
    title: p.title ?? null,
    dueAt: p.dueAt ?? null,
    late: p.late ?? false,
    scale: p.scale ?? null,
    score: p.score ?? null,
    level: p.level ?? null,
    maxPoints: p.maxPoints ?? null,
    platform: p.platform ?? null,
    status: p.status ?? null,
    minutes: p.minutes ?? null,
    authorName: p.authorName ?? null,
    excerpt: p.excerpt ?? null,
    threadId: p.threadId ?? null,
    announcementId: p.announcementId ?? null,
    urgent: e.type === "announcement.posted" && p.urgent === true,
  };
}

/** The facts without their empty fields (one copy per recipient is stored). */
function compact(f: NotifyFacts): Partial<NotifyFacts> {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== null && v !== undefined && v !== false && v !== "")) as Partial<NotifyFacts>;
}

const ids = (list: (number | string)[]) => JSON.stringify(list.map(String));
const idList = (json: string) => sql`select (value)::bigint from jsonb_array_elements_text(${json}::jsonb)`;

/** One batch, in one transaction. Returns null when no event was waiting. */
async function fanoutBatch(db: Db, config: NotifyConfig, now: Date, batch: number): Promise<Omit<FanoutResult, "batches"> | null> {
  return db.transaction(async (tx) => {
    const at = now.toISOString();
    const claimed = await selectRows<ClaimedEvent>(
      tx,
      sql`select e.id, e.type, e.school_id, e.class_id, e.student_id, e.actor_id, e.payload,
                 su.full_name as student_name, c.subject, c.name as class_name
          from events e
          left join users su on su.id = e.student_id
          left join classes c on c.id = e.class_id
          where e.processed_at is null
          order by e.id
          limit ${batch}
          for update of e skip locked`,
    );
    if (claimed.length === 0) return null;

    // Texts per event and language (2 languages): the recipients' rows then only pick theirs.
    const items: Record<string, unknown> = {};
    const facts = new Map<string, NotifyFacts>();
    let invalid = 0;
    for (const e of claimed) {
      const kind = EVENT_KIND[e.type];
      if (!kind) continue;
      const f = factsOf(e);
      if (!f) {
        invalid++;
        continue;
      }
      facts.set(String(e.id), f);
      for (const l of LOCALES) {
        const { title, body } = renderItem(f, l);
        items[`${e.id}:${l}`] = { kind, mode: DEFAULT_MODES[kind], title, body, link: itemPath(f), urgent: f.urgent ?? false, data: compact(f) };
      }
    }
    const valid = [...facts.keys()];
    let inserted = { notifications: 0, heard: 0, immediate: [] as { id: string; e: string }[] };
    if (valid.length) {
      const batchIds = ids(valid);
      const year = currentSchoolYear(now);
      const invalidPhones = invalidPhonesSql(sql`select user_id from ins`, config.configured, now);
      const [row] = await selectRows<{ notifications: number; heard: number; immediate: unknown }>(
        tx,
        sql`
        -- The texts: one object keyed "<event id>:<locale>", looked up per row (no join to plan).
        with texts as (select ${JSON.stringify(items)}::jsonb as t),
        batch as (select * from events where id in (${idList(batchIds)})),
        rcpt as (
          -- A student's fact (grade, work, attendance, a teacher's note or reply): the student's parents.
          select b.id as event_id, b.actor_id, pl.parent_id as user_id, b.student_id, b.student_id as child, false as teacher
          from batch b join parent_links pl on pl.student_id = b.student_id
          where b.student_id is not null and b.type <> 'announcement.posted'
            and not (b.type = 'thread.message' and b.payload->>'authorRole' = 'parent')
          union all
          -- A class's fact (new lesson or assignment, a class announcement): the parents of its students.
          select b.id, b.actor_id, pl.parent_id, cm.user_id, cm.user_id, false
          from batch b
          join class_members cm on cm.class_id = b.class_id and cm.role = 'student'
          join parent_links pl on pl.student_id = cm.user_id
          where b.student_id is null and b.class_id is not null
            and b.type in ('lesson.published', 'assignment.created', 'announcement.posted')
          union all
          -- A school announcement: every parent of the school's students (each child's choice counts).
          select b.id, b.actor_id, pl.parent_id, null::uuid, m.user_id, false
          from batch b
          join memberships m on m.org_id = b.school_id and m.role = 'student'
          join parent_links pl on pl.student_id = m.user_id
          where b.type = 'announcement.posted' and b.class_id is null and b.student_id is null
          union all
          -- A parent's reply in the contact book: the student's homeroom teacher…
          select b.id, b.actor_id, g.homeroom_teacher_id, b.student_id, b.student_id, true
          from batch b
          join class_group_members gm on gm.student_id = b.student_id
          join class_groups g on g.id = gm.group_id and g.school_year = ${year} and g.homeroom_teacher_id is not null
          where b.type = 'thread.message' and b.payload->>'authorRole' = 'parent'
          union all
          -- … and the teachers who joined the thread.
          select b.id, b.actor_id, tp.user_id, b.student_id, b.student_id, true
          from batch b
          join threads th on th.student_id = b.student_id
          join thread_participants tp on tp.thread_id = th.id
          join memberships m on m.user_id = tp.user_id and m.org_id = b.school_id and m.role = 'teacher'
          where b.type = 'thread.message' and b.payload->>'authorRole' = 'parent'
        ),
        texted as (
          select r.event_id, r.user_id, r.student_id, r.child, r.teacher, (select t from texts) -> (r.event_id::text || ':' || u.locale) as x
          from rcpt r
          join users u on u.id = r.user_id and u.deactivated_at is null
          where r.user_id is distinct from r.actor_id
        ),
        moded as (
          select r.*, coalesce(np.mode, r.x->>'mode') as mode
          from texted r
          -- A parent's choice is per child; a teacher's (how to hear of parents' replies) is one for
          -- all their students, kept under their own id (app/services/notify-settings.server.ts).
          left join notification_preferences np on np.user_id = r.user_id and np.student_id = case when r.teacher then r.user_id else r.child end and np.kind = r.x->>'kind'
          where r.x is not null
        ),
        chosen as (
          -- One item per person and fact: with two children concerned, the more eager choice wins.
          select distinct on (event_id, user_id) event_id, user_id, student_id, teacher, x, mode
          from moded where mode <> 'off'
          order by event_id, user_id, case mode when 'immediate' then 0 when 'daily' then 1 else 2 end, child
        ),
        ins as (
          insert into notifications (user_id, student_id, kind, mode, event_id, title, body, link, data, urgent, created_at, dispatched_at)
          select c.user_id, c.student_id, c.x->>'kind', c.mode, c.event_id, c.x->>'title', c.x->>'body',
                 replace(c.x->>'link', '{student}', coalesce(c.student_id::text, '')),
                 c.x->'data', (c.x->>'urgent')::boolean, ${at}::timestamptz,
                 case when c.mode = 'immediate' then ${at}::timestamptz end
          from chosen c
          on conflict (user_id, event_id) do nothing
          returning id, event_id, user_id, mode
        )${invalidPhones ? sql`, invalid_phones as (${invalidPhones})` : sql``}
        select count(*)::int as notifications,
               (select count(distinct event_id)::int from rcpt) as heard,
               coalesce(jsonb_agg(jsonb_build_object('id', id::text, 'e', event_id::text)) filter (where mode = 'immediate'), '[]'::jsonb) as immediate
        from ins`,
      );
      inserted = { notifications: Number(row.notifications), heard: Number(row.heard), immediate: json<{ id: string; e: string }[]>(row.immediate) };
    }

    let messages = 0;
    if (inserted.immediate.length > 0 && config.configured.size > 0) {
      // Only the events someone wants at once are rendered for the outside channels.
      const contents: Record<string, unknown>[] = [];
      for (const eventId of new Set(inserted.immediate.map((i) => i.e))) {
        const f = facts.get(eventId)!;
        for (const l of LOCALES) {
          const { title, body } = renderItem(f, l);
          for (const channel of EXTERNAL_CHANNELS_ORDER) {
            if (!config.configured.has(channel)) continue;
            contents.push({ e: eventId, l, c: channel, content: renderImmediate(channel, { title, body, path: itemPath(f), student: f.student, kind: EVENT_KIND[f.type] ?? undefined }, l, config, at) });
          }
        }
      }
      const quietEnd = quietHoursEndSql(now, "coalesce(s.quiet_start, " + DEFAULT_SETTINGS.quietStart + ")", "coalesce(s.quiet_end, " + DEFAULT_SETTINGS.quietEnd + ")");
      const [row] = await selectRows<{ n: number }>(
        tx,
        sql`
        with contents as (
          select (x->>'e')::bigint as event_id, x->>'l' as locale, x->>'c' as channel, x->'content' as content
          from jsonb_array_elements(${JSON.stringify(contents)}::jsonb) x
        ),
        imm as (
          select n.id, n.user_id, n.event_id, n.student_id, n.urgent, u.locale, e.school_id, ${sql.raw(quietEnd)} as quiet_end
          from notifications n
          join users u on u.id = n.user_id
          join events e on e.id = n.event_id
          left join notification_settings s on s.user_id = n.user_id
          where n.id in (${idList(JSON.stringify(inserted.immediate.map((i) => i.id)))})
        ),
        ch as (${channelsSql(sql`select user_id from imm`, config.configured)}),
        ins as (
          insert into outbound_messages (key, user_id, school_id, channel, address, kind, notification_id, locale, content, not_before, created_at, updated_at)
          select 'ev:' || imm.event_id || ':' || imm.user_id || ':' || ch.channel || coalesce(':' || ch.sub, ''),
                 imm.user_id, imm.school_id, ch.channel, ch.address, 'immediate', imm.id, imm.locale,
                 replace(c.content::text, '{student}', coalesce(imm.student_id::text, ''))::jsonb,
                 case when imm.urgent then ${at}::timestamptz else coalesce(imm.quiet_end, ${at}::timestamptz) end,
                 ${at}::timestamptz, ${at}::timestamptz
          from imm
          join ch on ch.user_id = imm.user_id
          join contents c on c.event_id = imm.event_id and c.locale = imm.locale and c.channel = ch.channel
          on conflict (key) do nothing
          returning 1
        )
        select count(*)::int as n from ins`,
      );
      messages = Number(row.n);
    }

    await tx.execute(sql`update events set processed_at = ${at}::timestamptz where id in (${idList(ids(claimed.map((e) => e.id)))})`);
    return {
      events: claimed.length,
      unheard: valid.length - inserted.heard,
      invalid,
      notifications: inserted.notifications,
      messages,
    };
  });
}

/**
 * Process waiting events in id order, `batch` at a time, until none is left (or `maxBatches`).
 * Two workers never take the same event (FOR UPDATE SKIP LOCKED).
 */
export async function runFanout(db: Db, config: NotifyConfig, opts: { now?: Date; batch?: number; maxBatches?: number } = {}): Promise<FanoutResult> {
  const total: FanoutResult = { events: 0, unheard: 0, invalid: 0, notifications: 0, messages: 0, batches: 0 };
  const batch = opts.batch ?? 500;
  for (let i = 0; i < (opts.maxBatches ?? Infinity); i++) {
    const r = await fanoutBatch(db, config, opts.now ?? new Date(), batch);
    if (!r) break;
    total.batches++;
    total.events += r.events;
    total.unheard += r.unheard;
    total.invalid += r.invalid;
    total.notifications += r.notifications;
    total.messages += r.messages;
  }
  return total;
}
