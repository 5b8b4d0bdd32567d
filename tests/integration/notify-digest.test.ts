/**
 * The daily and weekly digests: one message per person and channel at their digest time, grouping
 * all children; nothing sent when there is nothing to say; reruns and two workers queue nothing
 * twice; the operator's `notify digest --at` for a missed run.
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, openDatabase, type Database } from "../../db/client.server.ts";
import { notificationPreferences, notificationSettings } from "../../db/schema/index.ts";
import { runDigest } from "../../app/services/notify/digest.server.ts";
import { runFanout } from "../../app/services/notify/fanout.server.ts";
import { freshDatabase, testDatabaseUrl, testDbKind, type TestDatabase } from "../support/db.ts";
import { buildWorld, config, messagesOf, type World } from "../support/notify.ts";

let database: TestDatabase;
let w: World;
const vn = (local: string) => new Date(`${local}+07:00`);
const MORNING = vn("2026-11-25T10:00");
const cfg = config();

async function count(where: string, params: unknown[] = []) {
  const [r] = await database.query<{ n: number }>(`select count(*)::int as n from ${where}`, params);
  return Number(r.n);
}

beforeAll(async () => {
  database = await freshDatabase();
  w = await buildWorld(database.db, MORNING);
});

afterAll(async () => {
  await database?.drop();
});

describe("the daily digest", () => {
  it("waits for the digest time, then sends one message per channel for all children", async () => {
    await w.ev.received(w.p.an);
    await w.ev.received(w.p.an);
    await w.ev.missing(w.p.an);
    await w.ev.grade(w.p.an);
    await w.ev.attendance(w.p.binh, "absent");
    await runFanout(database.db, cfg, { now: MORNING });
    const inbox = await count("notifications");

    const early = await runDigest(database.db, cfg, vn("2026-11-25T18:45"));
    expect(early.daily.items).toBe(0);
    expect(await count("outbound_messages")).toBe(0);

    const r = await runDigest(database.db, cfg, vn("2026-11-25T19:00"));
    expect(r.daily.messages).toEqual({ email: 1, push: 0, zalo: 1, sms: 0 });
    const messages = await messagesOf(database.db, sql`kind = 'daily'`);
    const hung = messages.find((m) => m.user_id === w.p.hung)!;
    expect(hung.key).toBe(`digest:daily:2026-11-25:${w.p.hung}:email`);
    expect(hung.content.text.split("\n")[0]).toBe("Hôm nay: An nộp 2 bài, thiếu 1 bài Toán hạn 25/11, có điểm Toán 8,5/10; Bình vắng buổi Toán trên Zoom");
    expect(hung.content.subject).toBe("Lớp Số: tin trong ngày 25/11/2026");
    expect(hung.content.html).toContain("<h3>Nguyễn Văn An</h3>");
    expect(hung.content.html).toContain("<h3>Trần Thị Bình</h3>");
    expect(hung.content.html).toContain(`href="https://lopso.example.vn/children/${w.p.an}/classes/${w.toan.id}"`);
    // An's mother reads English, on Zalo; she has no news of Bình.
    const thu = messages.find((m) => m.user_id === w.p.thu)!;
    expect(thu.channel).toBe("zalo");
    expect(thu.content.text).toBe("Today: An handed in 2 assignments, missing 1 in Maths due 25/11, got 8.5/10 in Maths");
    expect(thu.content.template).toMatchObject({ id: "digest", params: { student_name: "An", period: "today (25/11/2026)" } });
    // Tâm (invalid phone) and Nga (no contact) get nothing outside, but their items are done.
    expect(messages.filter((m) => m.user_id === w.p.tam || m.user_id === w.p.nga)).toEqual([]);
    expect(await count("notifications where mode = 'daily' and dispatched_at is null")).toBe(0);
    // No extra inbox item for the digest.
    expect(await count("notifications")).toBe(inbox);
  });

  it("a rerun (or a later run the same evening) queues nothing twice; news after the digest waits for tomorrow's", async () => {
    const before = await count("outbound_messages");
    const again = await runDigest(database.db, cfg, vn("2026-11-25T19:15"));
    expect(again.daily.items).toBe(0);
    await w.ev.grade(w.p.an, 9);
    await runFanout(database.db, cfg, { now: vn("2026-11-25T19:20") });
    await runDigest(database.db, cfg, vn("2026-11-25T21:00"));
    expect(await count("outbound_messages")).toBe(before);
    const tomorrow = await runDigest(database.db, cfg, vn("2026-11-26T19:00"));
    expect(tomorrow.daily.messages.email).toBe(1);
    const [m] = await messagesOf(database.db, sql`key = ${`digest:daily:2026-11-26:${w.p.hung}:email`}`);
    expect(m.content.text.split("\n")[0]).toBe("Hôm nay: An có điểm Toán 9/10");
  });

  it("a digest with nothing in it is not sent", async () => {
    await w.ev.attendance(w.p.an, "present");
    await runFanout(database.db, cfg, { now: vn("2026-11-27T09:00") });
    const r = await runDigest(database.db, cfg, vn("2026-11-27T19:00"));
    expect(r.daily.items).toBe(2);
    expect(r.daily.empty).toBe(2);
    expect(r.daily.messages).toEqual({ email: 0, push: 0, zalo: 0, sms: 0 });
    expect(await count("outbound_messages where key like 'digest:daily:2026-11-27:%'")).toBe(0);
    expect(await count("notifications where dispatched_at is null")).toBe(0);
  });

  it("each person's own digest time", async () => {
    await database.db.insert(notificationSettings).values({ userId: w.p.hung, digestAt: 7 * 60 });
    await w.ev.lesson(w.van.id);
    await runFanout(database.db, cfg, { now: vn("2026-11-28T09:00") });
    // 19:00 on the 28th: Tâm and Nga are due (no channel); Hùng's digest comes at 07:00 the next day.
    const evening = await runDigest(database.db, cfg, vn("2026-11-28T19:00"));
    expect(evening.daily.messages.email).toBe(0);
    const morning = await runDigest(database.db, cfg, vn("2026-11-29T07:00"));
    expect(morning.daily.messages.email).toBe(1);
    const [m] = await messagesOf(database.db, sql`key = ${`digest:daily:2026-11-29:${w.p.hung}:email`}`);
    expect(m.content.text.split("\n")[0]).toBe("Hôm nay: Bình có 1 bài học mới");
    await database.db.delete(notificationSettings);
  });
});

describe("the weekly digest", () => {
  it("gathers the week's items of a weekly choice on the chosen day, keyed by ISO week", async () => {
    await database.db.insert(notificationPreferences).values({ userId: w.p.thu, studentId: w.p.an, kind: "work", mode: "weekly" });
    await w.ev.missing(w.p.an, "2026-11-30T16:59:00.000Z");
    await w.ev.missing(w.p.an, "2026-12-01T16:59:00.000Z");
    await runFanout(database.db, cfg, { now: vn("2026-12-01T09:00") });
    const daily = await runDigest(database.db, cfg, vn("2026-12-01T19:00"));
    expect(daily.weekly.items).toBe(0);
    expect(await count("outbound_messages where user_id = $1 and key like 'digest:daily:2026-12-01:%'", [w.p.thu])).toBe(0);
    const sunday = await runDigest(database.db, cfg, vn("2026-12-06T19:00"));
    expect(sunday.weekly.messages.zalo).toBe(1);
    const [m] = await messagesOf(database.db, sql`key = ${`digest:weekly:2026-W49:${w.p.thu}:zalo`}`);
    expect(m.kind).toBe("weekly");
    expect(m.content.text).toBe("This week: An missing 2 in Maths");
  });
});

describe("idempotency", () => {
  it("two digest runs at once (two connections) queue each message once", async () => {
    await w.ev.grade(w.p.binh, 7);
    await w.ev.note(w.p.binh); // immediate: not in the digest
    await runFanout(database.db, cfg, { now: vn("2026-12-07T09:00") });
    let second: Database = database;
    if (database.kind === "postgres") {
      const url = new URL(testDatabaseUrl());
      url.pathname = `/${database.name}`;
      second = await openDatabase({ url: url.toString(), max: 2 });
    }
    try {
      const at = vn("2026-12-07T19:00");
      await Promise.all([runDigest(database.db, cfg, at, { batch: 1 }), runDigest(second.db, cfg, at, { batch: 1 })]);
    } finally {
      if (second !== database) await second.close();
    }
    expect(await count("outbound_messages where key like 'digest:daily:2026-12-07:%'")).toBe(1);
    const [m] = await messagesOf(database.db, sql`key like 'digest:daily:2026-12-07:%'`);
    expect(m.content.text.split("\n")[0]).toBe("Hôm nay: Bình có điểm Toán 7/10");
  });
});

// ---------------------------------------------------------------------------------------------
// The operator's command, as a child process on its own database.

describe(`npm run cli -- notify digest (${testDbKind()})`, () => {
  let dataDir: string;
  let databaseUrl = "";
  let dropDatabase = async () => {};
  let world: World;

  const open = () => (databaseUrl ? openDatabase({ url: databaseUrl, max: 2 }) : openDatabase({ dataDir: path.join(dataDir, "pglite") }));

  function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: databaseUrl, DEMO: "0", LOG_LEVEL: "warn", SMTP_URL: "smtp://127.0.0.1:2525", MAIL_FROM: "Lớp Số <no-reply@example.vn>", APP_URL: "https://lopso.example.vn" };
      const child = spawn(process.execPath, ["--import", "tsx", "app/cli.ts", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lopso-digest-"));
    if (testDbKind() === "postgres") {
      const base = new URL(testDatabaseUrl());
      const name = `lopso_dg_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
      const admin = postgres(base.toString(), { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database ${name}`);
      await admin.end();
      base.pathname = `/${name}`;
      databaseUrl = base.toString();
      dropDatabase = async () => {
        const a = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {} });
        await a.unsafe(`drop database if exists ${name} with (force)`);
        await a.end();
      };
    }
    const db = await open();
    try {
      await migrate(db);
      world = await buildWorld(db.db, MORNING);
      await world.ev.missing(world.p.an);
      await world.ev.grade(world.p.binh, 6.5);
      await runFanout(db.db, config(["email"]), { now: MORNING });
    } finally {
      await db.close();
    }
  });

  afterAll(async () => {
    await dropDatabase();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs a missed digest with --at, prints what was queued per channel, and sends nothing twice", async () => {
    const first = await cli("notify", "digest", "--at", "2026-11-25T19:30:00+07:00");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Digests for 2026-11-25T12:30:00.000Z");
    expect(first.stdout).toMatch(/daily: 4 people, 5 items; queued email 1, push 0, zalo 0, sms 0/);
    const second = await cli("notify", "digest", "--at", "2026-11-25T19:30:00+07:00");
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/daily: 0 people, 0 items; queued email 0, push 0, zalo 0, sms 0/);
    const db = await open();
    try {
      const rows = await db.query<{ key: string; content: { text: string } }>("select key, content from outbound_messages");
      expect(rows.map((r) => r.key)).toEqual([`digest:daily:2026-11-25:${world.p.hung}:email`]);
      expect(rows[0].content.text.split("\n")[0]).toBe("Hôm nay: An thiếu 1 bài Toán hạn 25/11; Bình có điểm Toán 6,5/10");
    } finally {
      await db.close();
    }
  });

  it("refuses a bad --at with the flag named", async () => {
    const bad = await cli("notify", "digest", "--at", "yesterday");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--at: must be an ISO date-time");
  });
});
