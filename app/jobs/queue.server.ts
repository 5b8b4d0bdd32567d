/**
 * Background jobs on pg-boss: on PostgreSQL through its own pool, on PGlite in-process through the
 * same instance. Each job is a named queue with a handler; scheduled jobs use pg-boss's cron.
 */
import PgBoss from "pg-boss";
import type { Database } from "../../db/client.server.ts";
import { sweepMissing } from "../services/assignments.server.ts";
import { sweepUploads } from "../services/files.server.ts";
import { runDigest } from "../services/notify/digest.server.ts";
import { runFanout } from "../services/notify/fanout.server.ts";
import { hubNotifyConfig } from "../services/notify/recipients.server.ts";
import { deliveryJobs } from "../services/notify/delivery-jobs.server.ts";
import { refreshIdleGrants } from "../services/connections/idle.server.ts";
import { syncPending } from "../services/live-sessions.server.ts";
import { processZoomEvents, readEndedOccurrences } from "../services/attendance.server.ts";
import { errorFields, logger } from "../server/log.ts";
import { courseSyncJobs } from "../services/sync/jobs.server.ts";
import { runCoursePushes } from "../services/sync/push.server.ts";
import { libraryHarvestJob } from "../services/library/harvest-job.server.ts";
import { refreshLibrarySampleIfStale } from "../services/library/sample.server.ts";
import { readDueQuizzes } from "../services/quizzes.server.ts";

export type JobDefinition = {
  name: string;
  /** Cron in Asia/Ho_Chi_Minh, when the job runs on a schedule. */
  cron?: string;
  /** pg-boss queue policy ("stately": one queued and one active job per singletonKey). */
  policy?: "standard" | "short" | "singleton" | "stately";
  /** `boss`: the queue, for jobs that queue others (absent when a test runs a job by itself). */
  run: (database: Database, data: unknown, boss?: PgBoss) => Promise<Record<string, unknown> | void>;
};

export const JOBS: JobDefinition[] = [
  {
    name: "sweep-missing",
    cron: "*/5 * * * *",
    async run(database) {
      const marked = await sweepMissing(database.db);
      return { marked };
    },
  },
  {
    // Files left by interrupted uploads, and files no attachment row refers to (an hour's grace).
    name: "sweep-uploads",
    cron: "17 * * * *",
    async run(database) {
      return sweepUploads(database.db);
    },
  },
  {
    // Events → inbox items and immediate outside messages (the delivery job sends them).
    name: "notify-fanout",
    cron: "* * * * *",
    async run(database) {
      return runFanout(database.db, hubNotifyConfig());
    },
  },
  {
    // Daily and weekly digests whose time has come (each person's digest time, Vietnam time).
    name: "notify-digest",
    cron: "*/15 * * * *",
    async run(database) {
      const r = await runDigest(database.db, hubNotifyConfig(), new Date());
      return { daily: r.daily.people, weekly: r.weekly.people, ...Object.fromEntries(Object.entries(r.daily.messages).map(([c, n]) => [c, n + r.weekly.messages[c as keyof typeof r.weekly.messages]])) };
    },
  },
  {
    // Grants nobody used for 30 days are refreshed before the provider lets them lapse.
    name: "connections-refresh-idle",
    cron: "20 3 * * *",
    async run(database) {
      return refreshIdleGrants(database.db);
    },
  },
  {
    // Live sessions the platform did not have yet (a connection made later, a rate limit, an outage).
    // Every minute, each run under a minute: sessions behind a per-minute quota (Meet's 10 creates
    // a minute per user) go as fast as the quota opens, not in bursts five minutes apart.
    name: "sessions-sync",
    cron: "* * * * *",
    async run(database) {
      return syncPending(database.db);
    },
  },
  {
    // Attendance: Zoom's stored webhook events, then each ended occurrence's record read once.
    name: "sessions-attendance",
    cron: "*/10 * * * *",
    async run(database) {
      const events = await processZoomEvents(database.db);
      const reads = await readEndedOccurrences(database.db);
      return { ...events, ...reads };
    },
  },
  {
    // Lessons and assignments posted to (or removed from) their class's Classroom / Teams course;
    // each change is retried with backoff by its own row (course_pushes), never posted twice.
    name: "course-push",
    cron: "* * * * *",
    async run(database) {
      return runCoursePushes(database.db);
    },
  },
  {
    // Shared learning repositories: a tick queues each due one (its schedule, or "Thu thập ngay") as a
    // job of its own with the repository as singletonKey; that job harvests it.
    name: "library-harvest",
    cron: "* * * * *",
    policy: "stately",
    async run(database, data, boss) {
      if (!boss) throw new Error("library-harvest queues each due repository: it runs on the queue");
      return libraryHarvestJob(database, data, boss);
    },
  },
  {
    // The library's standing sample (broad searches' estimates), drawn again when the library's
    // size has drifted or it is a day old; a harvest that changed the library asks at its end.
    name: "library-sample",
    cron: "37 * * * *",
    async run(database) {
      return refreshLibrarySampleIfStale(database.db);
    },
  },
  {
    // Google Forms quizzes of assignments past their due date: read once, then hourly for two
    // weeks (later and edited submissions); each quiz's outcome is recorded on it.
    name: "forms-quizzes-read",
    cron: "*/10 * * * *",
    async run(database) {
      return readDueQuizzes(database.db);
    },
  },
  // Outside messages: one queue per channel (notify-deliver-email, -push, -zalo, -sms).
  ...deliveryJobs(),
  // Course sync: the due connections every minute, each synced alone (one per connection at a time).
  ...courseSyncJobs(),
];

export type Workers = { boss: PgBoss; stop: () => Promise<void> };

export async function startWorkers(database: Database, opts: { schedule?: boolean } = {}): Promise<Workers> {
  const boss = new PgBoss({
    ...database.jobStoreOptions(),
    schema: "pgboss",
    // Maintenance and monitoring every few minutes is plenty for a school hub.
    maintenanceIntervalSeconds: 300,
  } as PgBoss.ConstructorOptions);
  boss.on("error", (e) => logger.error("job queue error", errorFields(e)));
  await boss.start();
  for (const job of JOBS) {
    await boss.createQueue(job.name, job.policy ? ({ name: job.name, policy: job.policy } as PgBoss.Queue) : undefined);
    if (job.cron && opts.schedule !== false) await boss.schedule(job.name, job.cron, {}, { tz: "Asia/Ho_Chi_Minh" });
    await boss.work(job.name, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([item]) => {
      const started = Date.now();
      try {
        const result = await job.run(database, item.data, boss);
        logger.info("job done", { job: job.name, id: item.id, ms: Date.now() - started, ...(result ?? {}) });
      } catch (e) {
        logger.error("job failed", { job: job.name, id: item.id, ...errorFields(e) });
        throw e;
      }
    });
  }
  return {
    boss,
    // Graceful: running handlers finish before the queue closes.
    stop: () => boss.stop({ graceful: true, wait: true, timeout: 30_000 }),
  };
}
