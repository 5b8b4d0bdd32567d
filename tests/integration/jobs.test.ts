/**
 * The missing-work sweep, called directly and through the real pg-boss worker (on PostgreSQL
 * through its own pool, on PGlite in-process on the same instance).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments, classes, events, submissions, users } from "../../db/schema/index.ts";
import { sweepMissing } from "../../app/services/assignments.server.ts";
import { startWorkers, type Workers } from "../../app/jobs/queue.server.ts";
import { firstId } from "../support/db.ts";
import { startHub, type Hub } from "../support/hub.ts";

let hub: Hub;
const ids: Record<string, string> = {};
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

async function addAssignment(classId: string, title: string, dueInMs: number) {
  const [row] = await hub.database.db
    .insert(assignments)
    .values({ classId, authorId: ids.lan, title, dueAt: new Date(Date.now() + dueInMs), scale: "ten_point" })
    .returning({ id: assignments.id });
  return row.id;
}

/** Every missing row as "assignment title / student name", sorted. */
async function missingPairs() {
  const rows = await hub.database.query<{ title: string; full_name: string }>(
    `select a.title, u.full_name from submissions s join assignments a on a.id = s.assignment_id join users u on u.id = s.student_id
     where s.status = 'missing'`,
  );
  return rows.map((r) => `${r.title} / ${r.full_name}`).sort();
}

async function missingEvents() {
  return hub.database.db.select().from(events).where(eq(events.type, "submission.missing"));
}

async function counts() {
  const [r] = await hub.database.query<{ s: number; e: number }>("select (select count(*)::int from submissions) as s, (select count(*)::int from events) as e");
  return r;
}

beforeAll(async () => {
  hub = await startHub();
  const db = hub.database.db;
  const one = firstId;
  ids.toan6 = await one(db.select({ id: classes.id }).from(classes).where(and(eq(classes.name, "6A1"), eq(classes.subject, "toan"))));
  ids.khtn7 = await one(db.select({ id: classes.id }).from(classes).where(eq(classes.name, "7A2")));
  ids.a1 = await one(db.select({ id: assignments.id }).from(assignments).where(eq(assignments.title, "Bài tập về tập hợp")));
  for (const [k, email] of Object.entries({
    lan: "lan.nt@nguyendu.lopso.demo",
    an: "an.nv@nguyendu.lopso.demo",
    binh: "binh.tt@nguyendu.lopso.demo",
    cuong: "cuong.lh@nguyendu.lopso.demo",
    khoa: "khoa.bd@nguyendu.lopso.demo",
  })) {
    ids[k] = await one(db.select({ id: users.id }).from(users).where(eq(users.email, email)));
  }
  // Past due an hour ago; Bình handed in (late) before the sweep.
  ids.overdue = await addAssignment(ids.toan6, "Bài quá hạn 1 giờ", -60 * MIN);
  await db.insert(submissions).values({ assignmentId: ids.overdue, studentId: ids.binh, status: "submitted", body: "Bài của Bình", submittedAt: new Date(), late: true });
  // Not due yet, and due long ago (outside the sweep's 60-day window): neither is swept.
  ids.future = await addAssignment(ids.toan6, "Bài chưa đến hạn", 2 * DAY);
  ids.ancient = await addAssignment(ids.toan6, "Bài của học kỳ trước", -90 * DAY);
});

afterAll(async () => {
  await hub?.close();
});

// The seed: "Bài tập về tập hợp" (Toán 6A1, due 2 days ago: An graded, Bình submitted) and
// "Viết 3–4 câu về ngày khai trường" (Tiếng Việt 3A1, due yesterday: Mai graded).
const FIRST_SWEEP = [
  "Bài quá hạn 1 giờ / Hoàng Thu Giang",
  "Bài quá hạn 1 giờ / Lê Hoàng Cường",
  "Bài quá hạn 1 giờ / Nguyễn Văn An",
  "Bài tập về tập hợp / Hoàng Thu Giang",
  "Bài tập về tập hợp / Lê Hoàng Cường",
  "Viết 3–4 câu về ngày khai trường / Võ Hải Nam",
];

describe("sweepMissing", () => {
  it("marks every enrolled student without a submission on past-due work, with one event each", async () => {
    const before = await hub.database.db.select().from(submissions);
    const marked = await sweepMissing(hub.database.db);
    expect(marked).toBe(FIRST_SWEEP.length);
    expect(await missingPairs()).toEqual(FIRST_SWEEP);

    const rows = await hub.database.db.select().from(submissions).where(eq(submissions.status, "missing"));
    for (const r of rows) {
      expect(r.missingAt).toBeInstanceOf(Date);
      expect(r.submittedAt).toBeNull();
      expect(r.body).toBe("");
    }
    const list = await missingEvents();
    expect(list).toHaveLength(FIRST_SWEEP.length);
    expect(new Set(list.map((e) => (e.payload as { submissionId: string }).submissionId))).toEqual(new Set(rows.map((r) => r.id)));
    const detail = await hub.database.query<{ ok: boolean }>(`
      select bool_and(e.student_id = s.student_id and e.class_id = a.class_id and e.school_id = c.school_id
                      and e.payload->>'assignmentId' = a.id::text and e.payload->>'title' = a.title and e.payload->>'className' = c.name) as ok
      from events e join submissions s on s.id = (e.payload->>'submissionId')::uuid join assignments a on a.id = s.assignment_id join classes c on c.id = a.class_id
      where e.type = 'submission.missing'`);
    expect(detail[0].ok).toBe(true);

    // Work that was handed in or graded is untouched.
    const after = await hub.database.db.select().from(submissions);
    for (const b of before) expect(after.find((a) => a.id === b.id)).toEqual(b);
    // Nothing for work not yet due, or due before the window.
    const untouched = await hub.database.db.select().from(submissions).where(inArray(submissions.assignmentId, [ids.future, ids.ancient]));
    expect(untouched).toEqual([]);
  });

  it("a second run writes nothing", async () => {
    const before = await counts();
    expect(await sweepMissing(hub.database.db)).toBe(0);
    expect(await counts()).toEqual(before);
    expect(await missingPairs()).toEqual(FIRST_SWEEP);
  });

  it("two (and three) concurrent runs write each missing row and event exactly once", async () => {
    await sweepMissing(hub.database.db); // settle anything earlier tests left (when run alone)
    await addAssignment(ids.toan6, "Bài quá hạn 30 phút", -30 * MIN);
    const before = await counts();
    const results = await Promise.all([sweepMissing(hub.database.db), sweepMissing(hub.database.db)]);
    expect(results[0] + results[1]).toBe(4);
    const after = await counts();
    expect(after.s - before.s).toBe(4);
    expect(after.e - before.e).toBe(4);

    await addAssignment(ids.toan6, "Bài quá hạn 20 phút", -20 * MIN);
    const three = await Promise.all([sweepMissing(hub.database.db), sweepMissing(hub.database.db), sweepMissing(hub.database.db)]);
    expect(three.reduce((a, b) => a + b, 0)).toBe(4);
    const dup = await hub.database.query("select subject_id from events where type = 'submission.missing' group by subject_id having count(*) > 1");
    expect(dup).toEqual([]);
    const [{ n }] = await hub.database.query<{ n: number }>("select count(*)::int as n from events where type = 'submission.missing'");
    const [{ m }] = await hub.database.query<{ m: number }>("select count(*)::int as m from submissions where status = 'missing'");
    expect(n).toBe(m);
  });

  it("concurrent sweeps in small batches over a big class mark everything once, without deadlocks", async () => {
    await sweepMissing(hub.database.db);
    const [school] = await hub.database.query<{ school_id: string }>("select school_id from classes where id = $1", [ids.toan6]);
    const [big] = await hub.database.db
      .insert(classes)
      .values({ schoolId: school.school_id, name: "6A9", grade: 6, subject: "toan", schoolYear: "2025-2026", joinCode: "BIG6A9X" })
      .returning({ id: classes.id });
    await hub.database.query(
      `with s as (
         insert into users (full_name, sort_key, email)
         select 'Học Sinh ' || i, 'sinh ' || i, 'hs' || i || '@lop6a9.lopso.demo' from generate_series(1, 60) i
         returning id)
       insert into class_members (class_id, user_id, role) select $1, id, 'student' from s`,
      [big.id],
    );
    for (let i = 1; i <= 5; i++) await addAssignment(big.id, `Bài 6A9 số ${i}`, -i * MIN);
    const before = await counts();
    const results = await Promise.all([1, 2, 3, 4].map(() => sweepMissing(hub.database.db, new Date(), 37)));
    expect(results.reduce((a, b) => a + b, 0)).toBe(300);
    const after = await counts();
    expect(after.s - before.s).toBe(300);
    expect(after.e - before.e).toBe(300);
    expect(await sweepMissing(hub.database.db, new Date(), 37)).toBe(0);
  });

  it("a late submission turns the missing row into submitted, late, and a later sweep leaves it alone", async () => {
    const cuong = await hub.as("cuong.lh@nguyendu.lopso.demo");
    const res = await cuong.post(`/assignments/${ids.a1}`, { body: "Em xin nộp muộn ạ." });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Em đã nộp bài (muộn).");
    const [row] = await hub.database.db.select().from(submissions).where(and(eq(submissions.assignmentId, ids.a1), eq(submissions.studentId, ids.cuong)));
    expect(row).toMatchObject({ status: "submitted", late: true, body: "Em xin nộp muộn ạ." });
    expect(row.submittedAt).toBeInstanceOf(Date);
    const received = await hub.database.db.select().from(events).where(and(eq(events.type, "submission.received"), eq(events.subjectId, row.id)));
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ studentId: ids.cuong, payload: { late: true } });

    expect(await sweepMissing(hub.database.db)).toBe(0);
    const [again] = await hub.database.db.select().from(submissions).where(eq(submissions.id, row.id));
    expect(again.status).toBe("submitted");
  });

  it("handles each assignment once: it is stamped, and a student who joins afterwards is not marked", async () => {
    await sweepMissing(hub.database.db);
    const [pending] = await hub.database.query<{ n: number }>(
      "select count(*)::int as n from assignments where swept_at is null and due_at < now() and due_at >= now() - interval '60 days'",
    );
    expect(pending.n).toBe(0);
    const [stamped] = await hub.database.db.select({ sweptAt: assignments.sweptAt }).from(assignments).where(eq(assignments.id, ids.overdue));
    expect(stamped.sweptAt).toBeInstanceOf(Date);
    // The not-yet-due and the long-past assignments are not stamped.
    const others = await hub.database.db.select({ sweptAt: assignments.sweptAt }).from(assignments).where(inArray(assignments.id, [ids.future, ids.ancient]));
    expect(others.map((o) => o.sweptAt)).toEqual([null, null]);

    const dung = await hub.as("dung.pm@nguyendu.lopso.demo");
    expect((await dung.post("/join", { code: "TOAN6A1" })).status).toBe(200);
    const before = await counts();
    expect(await sweepMissing(hub.database.db)).toBe(0);
    expect(await counts()).toEqual(before);
  });
});

describe("the pg-boss worker", () => {
  let workers: Workers | undefined;

  afterAll(async () => {
    await workers?.stop();
  });

  it(`runs sweep-missing sent to the queue, then stops gracefully (${process.env.TEST_DB === "postgres" ? "PostgreSQL" : "PGlite, in-process"})`, async () => {
    await addAssignment(ids.khtn7, "Bài KHTN quá hạn", -10 * MIN);
    workers = await startWorkers(hub.database);
    const jobId = await workers.boss.send("sweep-missing", {});
    expect(jobId).toBeTruthy();

    const deadline = Date.now() + 20_000;
    let pairs: string[] = [];
    while (Date.now() < deadline) {
      pairs = await missingPairs();
      if (pairs.includes("Bài KHTN quá hạn / Bùi Đăng Khoa")) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(pairs).toContain("Bài KHTN quá hạn / Bùi Đăng Khoa");
    const khoaEvents = (await missingEvents()).filter((e) => e.studentId === ids.khoa);
    expect(khoaEvents).toHaveLength(1);

    // The job is recorded as completed by pg-boss.
    let state = "";
    while (Date.now() < deadline) {
      const job = await workers.boss.getJobById("sweep-missing", jobId!);
      state = job?.state ?? "";
      if (state === "completed") break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(state).toBe("completed");

    const stopping = workers.stop();
    await expect(Promise.race([stopping.then(() => "stopped"), new Promise((r) => setTimeout(() => r("timeout"), 35_000))])).resolves.toBe("stopped");
    workers = undefined;

    // The application's database is still open and usable after the queue stopped.
    expect((await hub.client().get("/readyz")).status).toBe(200);
  });

  it("a graceful stop waits for a running job to finish", async () => {
    await addAssignment(ids.khtn7, "Bài KHTN quá hạn lần 2", -5 * MIN);
    workers = await startWorkers(hub.database, { schedule: false });
    const jobId = await workers.boss.send("sweep-missing", {});
    // Stop as soon as the worker has picked the job up.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const job = await workers.boss.getJobById("sweep-missing", jobId!);
      if (job && job.state !== "created") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const w = workers;
    await w.stop();
    workers = undefined;
    const job = await hub.database.query<{ state: string }>("select state from pgboss.job where id = $1", [jobId]);
    expect(job[0].state).toBe("completed");
    expect(await missingPairs()).toContain("Bài KHTN quá hạn lần 2 / Bùi Đăng Khoa");
  });
});

describe("the development server", () => {
  it("opens the database on the first request and starts the job workers with it, once", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lopso-dev-"));
    const script = path.join(dir, "first-request.mts");
    fs.writeFileSync(
      script,
      `import { ensureDatabase } from ${JSON.stringify(path.resolve("app/server/boot.ts"))};
import { getDatabase } from ${JSON.stringify(path.resolve("db/client.server.ts"))};
await Promise.all([ensureDatabase(), ensureDatabase()]);
await ensureDatabase();
const schedules = await getDatabase().query("select name, cron from pgboss.schedule order by name");
const queues = await getDatabase().query("select name from pgboss.queue where left(name, 2) <> '__' order by name"); // not pg-boss's own
console.log(JSON.stringify({ schedules, queues }));
process.exit(0);
`,
    );
    try {
      const run = spawnSync(process.execPath, ["--import", "tsx", script], {
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, NODE_ENV: "development", DATA_DIR: dir, DATABASE_URL: "", DEMO: "0", WORKERS: "1", LOG_LEVEL: "info" },
      });
      expect(run.status, run.stderr).toBe(0);
      const lines = run.stdout.trim().split("\n");
      expect(JSON.parse(lines.at(-1)!)).toEqual({
        schedules: [
          { name: "connections-refresh-idle", cron: "20 3 * * *" },
          { name: "course-push", cron: "* * * * *" },
          { name: "course-sync-due", cron: "* * * * *" },
          { name: "forms-quizzes-read", cron: "*/10 * * * *" },
          { name: "library-harvest", cron: "* * * * *" },
          { name: "library-sample", cron: "37 * * * *" },
          { name: "notify-deliver-email", cron: "* * * * *" },
          { name: "notify-deliver-push", cron: "* * * * *" },
          { name: "notify-deliver-sms", cron: "* * * * *" },
          { name: "notify-deliver-zalo", cron: "* * * * *" },
          { name: "notify-digest", cron: "*/15 * * * *" },
          { name: "notify-fanout", cron: "* * * * *" },
          { name: "sessions-attendance", cron: "*/10 * * * *" },
          { name: "sessions-sync", cron: "* * * * *" },
          { name: "sweep-missing", cron: "*/5 * * * *" },
          { name: "sweep-uploads", cron: "17 * * * *" },
        ],
        queues: [
          { name: "connections-refresh-idle" },
          { name: "course-push" },
          { name: "course-sync" },
          { name: "course-sync-due" },
          { name: "forms-quizzes-read" },
          { name: "library-harvest" },
          { name: "library-sample" },
          { name: "notify-deliver-email" },
          { name: "notify-deliver-push" },
          { name: "notify-deliver-sms" },
          { name: "notify-deliver-zalo" },
          { name: "notify-digest" },
          { name: "notify-fanout" },
          { name: "sessions-attendance" },
          { name: "sessions-sync" },
          { name: "sweep-missing" },
          { name: "sweep-uploads" },
        ],
      });
      // Three concurrent and later first requests: one database, one set of workers.
      expect(lines.filter((l) => l.includes('"msg":"job workers started"'))).toHaveLength(1);
      expect(lines.filter((l) => l.includes('"msg":"database ready"'))).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
