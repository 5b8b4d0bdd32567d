/**
 * `npm run bench:notify`: a school day's events for a whole generated province, fanned out to the
 * parents and summed up in their daily digests, on PostgreSQL.
 *
 * It writes the day's events (realistic counts per class and per student, below), runs the fan-out
 * (events → inbox items) and the daily digest at 19:00 (items → one message per parent and
 * channel), prints rows/s and seconds for each step, and deletes everything it wrote (events,
 * items, messages), then vacuums those tables so the page benchmarks are unaffected.
 *
 * Target: a school day's events for 1,000,000 parents into digest messages in ≤ 60 s.
 *
 * Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/lopso_bench, holding
 * a province made with `npm run cli -- generate`), BENCH_CHANNELS (configured outside channels,
 * default "email"), BENCH_KEEP=1 to leave the rows for inspection. The run refuses a database with
 * events or digest items waiting that are not its own: it would send them.
 */
import crypto from "node:crypto";
import { z } from "zod";
import { migrate, openDatabase } from "../../db/client.server.ts";
import type { ExternalChannel } from "../../db/schema/index.ts";
import { idRanges, runDigest, sumDigests } from "../../app/services/notify/digest.server.ts";
import { runFanout } from "../../app/services/notify/fanout.server.ts";
import { notifyConfig } from "../../app/services/notify/recipients.server.ts";

const Config = z.object({
  BENCH_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//).default("postgres://postgres@127.0.0.1:5432/lopso_bench"),
  BENCH_CHANNELS: z
    .string()
    .regex(/^(email|push|zalo|sms)(,(email|push|zalo|sms))*$/)
    .default("email"),
  BENCH_KEEP: z.enum(["0", "1"]).default("0"),
  BENCH_FANOUT_BATCH: z.coerce.number().int().min(1).default(2000),
  BENCH_DIGEST_BATCH: z.coerce.number().int().min(1).default(5000),
  /** Workers running the fan-out and the digest side by side (one per core). */
  BENCH_WORKERS: z.coerce.number().int().min(1).max(8).default(2),
});

/**
 * A school day, per class (a subject class of one class group) and per student in a class:
 * a lesson published in one class in four, a new assignment in one in eight; per student and
 * class, work handed in one day in ten, a grade one day in fifteen, missing work one in fifty
 * (each student is in several subject classes, so about 0.4 hand-ins, 0.25 grades and 0.08
 * missing pieces of work per student per day).
 */
const RATES = { lesson: 1 / 4, assignment: 1 / 8, received: 1 / 10, grade: 1 / 15, missing: 1 / 50 };

/** The bench's day, far from real data: 10:00 for the events, 19:00 for the digest (Vietnam time). */
const DAY = new Date("2030-01-15T10:00:00+07:00");
const DIGEST_AT = new Date("2030-01-15T19:00:00+07:00");

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const rate = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString("en");

async function main() {
  const cfg = Config.parse(process.env);
  const database = await openDatabase({ url: cfg.BENCH_DATABASE_URL, max: cfg.BENCH_WORKERS + 2 });
  const run = crypto.randomUUID();
  const config = notifyConfig({ APP_URL: "https://lopso.example.vn" }, new Set(cfg.BENCH_CHANNELS.split(",") as ExternalChannel[]));
  const q = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => database.query<T>(text, params);
  const num = async (text: string, params: unknown[] = []) => Number((await q<{ n: number }>(text, params))[0].n);
  let wrote = false;
  try {
    await migrate(database);
    const waiting = await num("select count(*)::int as n from events where processed_at is null");
    const undispatched = await num("select count(*)::int as n from notifications where dispatched_at is null and mode in ('daily', 'weekly')");
    if (waiting || undispatched) {
      throw new Error(`The database has ${waiting} events and ${undispatched} digest items waiting that are not this run's; run the fan-out and digest first (npm run cli -- notify digest), or use another database.`);
    }
    const parents = await num("select count(distinct parent_id)::int as n from parent_links");
    console.log(`Database ${new URL(cfg.BENCH_DATABASE_URL).pathname.slice(1)}: ${parents.toLocaleString("en")} parents; channels ${cfg.BENCH_CHANNELS}; ${cfg.BENCH_WORKERS} workers`);

    // 1. The day's events, written by the database itself (as the services would, one per fact).
    let t = Date.now();
    wrote = true;
    await q(
      `insert into events (type, occurred_at, school_id, class_id, subject_id, payload)
       select t.type, $1::timestamptz, c.school_id, c.id, gen_random_uuid(),
              jsonb_build_object('title', 'Bài mới', 'className', c.name, 'dueAt', ($1::timestamptz + interval '3 days')::text, 'bench', $2::text)
       from classes c
       cross join (values ('lesson.published', 'L', ${RATES.lesson}), ('assignment.created', 'A', ${RATES.assignment})) t(type, salt, p)
       where (hashtext(c.id::text || t.salt || $2::text) & 65535) < round(t.p * 65536)`,
      [DAY.toISOString(), run],
    );
    await q(
      `insert into events (type, occurred_at, school_id, class_id, student_id, subject_id, payload)
       select t.type, $1::timestamptz, c.school_id, c.id, cm.user_id, gen_random_uuid(),
              case t.type
                when 'grade.posted' then jsonb_build_object('assignmentId', gen_random_uuid(), 'title', 'Bài kiểm tra', 'className', c.name, 'scale', 'ten_point', 'score', 5 + (hashtext(cm.user_id::text) & 7) * 0.5, 'bench', $2::text)
                when 'submission.missing' then jsonb_build_object('assignmentId', gen_random_uuid(), 'title', 'Bài tập', 'className', c.name, 'dueAt', ($1::timestamptz - interval '1 day')::text, 'bench', $2::text)
                else jsonb_build_object('assignmentId', gen_random_uuid(), 'title', 'Bài tập', 'className', c.name, 'late', false, 'bench', $2::text)
              end
       from class_members cm
       join classes c on c.id = cm.class_id
       cross join (values ('submission.received', 'R', ${RATES.received}), ('grade.posted', 'G', ${RATES.grade}), ('submission.missing', 'M', ${RATES.missing})) t(type, salt, p)
       where cm.role = 'student' and (hashtext(cm.class_id::text || cm.user_id::text || t.salt || $2::text) & 65535) < round(t.p * 65536)`,
      [DAY.toISOString(), run],
    );
    const events = await num("select count(*)::int as n from events where payload->>'bench' = $1", [run]);
    const writeMs = Date.now() - t;
    console.log(`Events written: ${events.toLocaleString("en")} in ${seconds(writeMs)} s (not counted in the target)`);

    // 2. The fan-out.
    t = Date.now();
    const fans = await Promise.all(Array.from({ length: cfg.BENCH_WORKERS }, () => runFanout(database.db, config, { now: DAY, batch: cfg.BENCH_FANOUT_BATCH })));
    const fan = fans.reduce((a, b) => ({ events: a.events + b.events, notifications: a.notifications + b.notifications, messages: a.messages + b.messages, batches: a.batches + b.batches, unheard: 0, invalid: 0 }));
    const fanMs = Date.now() - t;
    console.log(`Fan-out: ${fan.events.toLocaleString("en")} events → ${fan.notifications.toLocaleString("en")} inbox items, ${fan.messages} immediate messages in ${seconds(fanMs)} s (${rate(fan.notifications, fanMs)} rows/s, ${fan.batches} batches)`);

    // 3. The daily digest at 19:00.
    t = Date.now();
    const digest = sumDigests(
      await Promise.all(idRanges(cfg.BENCH_WORKERS).map((range) => runDigest(database.db, config, DIGEST_AT, { periods: ["daily"], batch: cfg.BENCH_DIGEST_BATCH, range }))),
    );
    const digestMs = Date.now() - t;
    const sent = Object.values(digest.daily.messages).reduce((a, b) => a + b, 0);
    console.log(
      `Digest: ${digest.daily.people.toLocaleString("en")} parents, ${digest.daily.items.toLocaleString("en")} items → ${sent.toLocaleString("en")} messages (${Object.entries(digest.daily.messages)
        .map(([c, n]) => `${c} ${n}`)
        .join(", ")}) in ${seconds(digestMs)} s (${rate(digest.daily.items, digestMs)} items/s, ${rate(digest.daily.people, digestMs)} parents/s)`,
    );
    const total = fanMs + digestMs;
    const perMillion = parents ? (total / 1000) * (1_000_000 / parents) : 0;
    console.log(`Total (fan-out + digest): ${seconds(total)} s for ${parents.toLocaleString("en")} parents${parents < 900_000 ? ` (≈ ${perMillion.toFixed(0)} s per 1,000,000 parents if it scales linearly)` : ""}`);
    console.log(`Target ≤ 60 s for 1,000,000 parents: ${parents >= 900_000 ? (total <= 60_000 ? "PASS" : "MISS") : "not measured at that scale"}`);
  } finally {
    if (wrote && cfg.BENCH_KEEP === "0") {
      const t = Date.now();
      await q(`delete from outbound_messages where key like $1`, [`digest:daily:2030-01-15:%`]);
      await q(
        `delete from outbound_messages where notification_id in (select n.id from notifications n join events e on e.id = n.event_id where e.payload->>'bench' = $1)`,
        [run],
      );
      await q(`delete from notifications where event_id in (select id from events where payload->>'bench' = $1)`, [run]);
      await q(`delete from contact_channels where disabled_at = $1::timestamptz`, [DAY.toISOString()]);
      await q(`delete from events where payload->>'bench' = $1`, [run]);
      for (const table of ["events", "notifications", "outbound_messages", "contact_channels"]) await q(`vacuum analyze ${table}`);
      console.log(`Cleaned up in ${seconds(Date.now() - t)} s.`);
    }
    await database.close();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
