/**
 * The fan-out: each kind of event reaches the right people and nobody else, by their choices, in
 * their language, on their channels, with quiet hours; reruns, two workers at once and a crash in
 * the middle of a batch write nothing twice and nothing half.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, selectRows, type Database } from "../../db/client.server.ts";
import { contactChannels, notificationPreferences, notificationSettings, pushSubscriptions, threadParticipants, threads } from "../../db/schema/index.ts";
import { quietHoursEnd, quietHoursEndSql } from "../../app/services/notify/clock.ts";
import { runFanout } from "../../app/services/notify/fanout.server.ts";
import { freshDatabase, testDatabaseUrl, type TestDatabase } from "../support/db.ts";
import { buildWorld, config, inboxOf, messagesOf, type World } from "../support/notify.ts";

let database: TestDatabase;
let w: World;
const vn = (local: string) => new Date(`${local}+07:00`);
const DAY = vn("2026-11-25T10:00");
const cfg = config();

const who = (rows: { user_id: string }[]) => rows.map((r) => r.user_id).sort();
const ids = (...list: string[]) => [...list].sort();

beforeAll(async () => {
  database = await freshDatabase();
  w = await buildWorld(database.db, DAY);
});

afterAll(async () => {
  await database?.drop();
});

describe("recipients", () => {
  it("a grade reaches the child's parents only, in each one's language, waiting for the daily digest", async () => {
    const e = await w.ev.grade(w.p.an);
    const r = await runFanout(database.db, cfg, { now: DAY });
    expect(r.events).toBe(1);
    const inbox = await inboxOf(database.db, e);
    expect(who(inbox)).toEqual(ids(w.p.hung, w.p.thu));
    const byUser = new Map(inbox.map((i) => [i.user_id, i]));
    expect(byUser.get(w.p.hung)!.title).toBe("An có điểm Toán 8,5/10");
    expect(byUser.get(w.p.thu)!.title).toBe("An got 8.5/10 in Maths");
    expect(byUser.get(w.p.hung)!.link).toBe(`/children/${w.p.an}/classes/${w.toan.id}`);
    for (const i of inbox) {
      expect(i.mode).toBe("daily");
      expect(i.dispatched_at).toBeNull();
    }
    expect(await messagesOf(database.db, sql`key like ${`ev:${e}:%`}`)).toEqual([]);
  });

  it("a lesson reaches the parents of the class's students, once each, and no teacher, no other school", async () => {
    const toan = await w.ev.lesson(w.toan.id);
    const van = await w.ev.lesson(w.van.id);
    await runFanout(database.db, cfg, { now: DAY });
    // Hùng has two children in Toán: one item. Dũng has no parents.
    expect(who(await inboxOf(database.db, toan))).toEqual(ids(w.p.hung, w.p.thu, w.p.tam, w.p.nga));
    // Only Bình is in the Ngữ văn class: An's mother hears nothing.
    expect(who(await inboxOf(database.db, van))).toEqual(ids(w.p.hung, w.p.tam, w.p.nga));
    const hung = (await inboxOf(database.db, toan)).find((i) => i.user_id === w.p.hung)!;
    expect(hung.link).toMatch(new RegExp(`^/children/(${w.p.an}|${w.p.binh})/classes/${w.toan.id}$`));
  });

  it("a school announcement reaches every parent of the school and nobody of the other school; it goes out at once", async () => {
    const e = await w.ev.announcement(null);
    const other = await w.ev.announcement(null, false, w.s2.id);
    await runFanout(database.db, cfg, { now: DAY });
    expect(who(await inboxOf(database.db, e))).toEqual(ids(w.p.hung, w.p.thu, w.p.tam, w.p.nga));
    expect(who(await inboxOf(database.db, other))).toEqual([w.p.vy]);
    const messages = await messagesOf(database.db, sql`key like ${`ev:${e}:%`}`);
    // Hùng by email; Thu (a phone, no email) by Zalo; Tâm's phone is invalid; Nga has no contact.
    expect(messages.map((m) => [m.user_id, m.channel, m.address])).toEqual(
      [
        [w.p.hung, "email", expect.stringContaining("hung.")],
        [w.p.thu, "zalo", expect.stringMatching(/^\+849\d{8}$/)],
      ].sort((a, b) => `${e}:${a[0]}`.localeCompare(`${e}:${b[0]}`)),
    );
    for (const m of messages) {
      expect(m.kind).toBe("immediate");
      expect(m.key).toBe(`ev:${e}:${m.user_id}:${m.channel}`);
      expect(new Date(m.not_before)).toEqual(DAY);
    }
    const zalo = messages.find((m) => m.channel === "zalo")!;
    expect(zalo.locale).toBe("en");
    expect(zalo.content.template!.id).toBe("news");
    expect(zalo.content.subject).toBe("Announcement: Họp phụ huynh");
    const email = messages.find((m) => m.channel === "email")!;
    expect(email.content.subject).toBe("Thông báo: Họp phụ huynh");
    expect(email.content.link).toMatch(/^https:\/\/lopso\.example\.vn\//);
    for (const i of await inboxOf(database.db, e)) expect(i.dispatched_at).not.toBeNull();
  });

  it("an invalid phone gets no Zalo or SMS, and the reason is recorded for the settings page", async () => {
    const rows = await database.db.select().from(contactChannels).where(sql`${contactChannels.userId} = ${w.p.tam}`);
    expect(rows.map((r) => [r.channel, r.enabled, r.disabledReason]).sort()).toEqual([
      ["sms", false, "invalid_address"],
      ["zalo", false, "invalid_address"],
    ]);
    expect(await messagesOf(database.db, sql`user_id = ${w.p.tam}`)).toEqual([]);
  });

  it("a teacher's note reaches the child's parents at once; a reply by a teacher too, never its author", async () => {
    const note = await w.ev.note(w.p.an);
    const reply = await w.ev.message(w.p.an, w.p.lan, "teacher");
    await runFanout(database.db, cfg, { now: DAY });
    expect(who(await inboxOf(database.db, note))).toEqual(ids(w.p.hung, w.p.thu));
    expect(who(await inboxOf(database.db, reply))).toEqual(ids(w.p.hung, w.p.thu));
    expect((await inboxOf(database.db, note)).find((i) => i.user_id === w.p.hung)!.title).toBe("Giáo viên Nguyễn Thị Lan nhận xét về An");
    expect((await messagesOf(database.db, sql`key like ${`ev:${note}:%`}`)).map((m) => m.channel).sort()).toEqual(["email", "zalo"]);
  });

  it("a parent's reply reaches the homeroom teacher and the teachers in the thread, not the other parent nor other teachers", async () => {
    const [thread] = await database.db.insert(threads).values({ studentId: w.p.an, schoolId: w.s1.id }).returning();
    await database.db.insert(threadParticipants).values([{ threadId: thread.id, userId: w.p.minh }, { threadId: thread.id, userId: w.p.hung }]);
    const e = await w.ev.message(w.p.an, w.p.hung, "parent", thread.id);
    await runFanout(database.db, cfg, { now: DAY });
    const inbox = await inboxOf(database.db, e);
    expect(who(inbox)).toEqual(ids(w.p.lan, w.p.minh));
    expect(inbox[0].link).toBe(`/contact-book/${w.p.an}`);
  });

  it("a teacher's own choice for parents' replies (kept under the teacher's id) applies to every student", async () => {
    const [thread] = await database.db.select().from(threads).where(eq(threads.studentId, w.p.an));
    await database.db.insert(notificationPreferences).values({ userId: w.p.lan, studentId: w.p.lan, kind: "teacher_note", mode: "off" });
    const e = await w.ev.message(w.p.an, w.p.hung, "parent", thread.id);
    await runFanout(database.db, cfg, { now: DAY });
    // Lan (homeroom) chose not to hear of replies; Minh, in the thread, still does.
    expect(who(await inboxOf(database.db, e))).toEqual(ids(w.p.minh));
    await database.db.delete(notificationPreferences).where(eq(notificationPreferences.userId, w.p.lan));
  });

  it("an event about a student without parents is processed and counted; unreadable input is recorded, no crash", async () => {
    await w.ev.grade(w.p.dung);
    const bad = await w.event("attendance.recorded", { studentId: w.p.an, classId: w.toan.id, payload: { platform: "zoom", status: "asleep" } });
    const r = await runFanout(database.db, cfg, { now: DAY });
    expect(r).toMatchObject({ events: 2, unheard: 1, invalid: 1, notifications: 0 });
    expect(await inboxOf(database.db, bad)).toEqual([]);
    const [left] = await database.query<{ n: number }>("select count(*)::int as n from events where processed_at is null");
    expect(Number(left.n)).toBe(0);
  });
});

describe("choices", () => {
  it("per child and kind: off, immediate, weekly; a parent who set nothing gets the defaults", async () => {
    await database.db.insert(notificationPreferences).values([
      { userId: w.p.hung, studentId: w.p.an, kind: "grade", mode: "off" },
      { userId: w.p.hung, studentId: w.p.binh, kind: "work", mode: "immediate" },
      { userId: w.p.thu, studentId: w.p.an, kind: "grade", mode: "weekly" },
    ]);
    const gradeAn = await w.ev.grade(w.p.an);
    const gradeBinh = await w.ev.grade(w.p.binh, 6);
    const missingBinh = await w.ev.missing(w.p.binh);
    await runFanout(database.db, cfg, { now: DAY });
    expect((await inboxOf(database.db, gradeAn)).map((i) => [i.user_id, i.mode])).toEqual([[w.p.thu, "weekly"]]);
    // The same father still hears Bình's grade by default (daily).
    expect((await inboxOf(database.db, gradeBinh)).map((i) => [i.user_id, i.mode]).sort()).toEqual([
      [w.p.hung, "daily"],
      [w.p.nga, "daily"],
      [w.p.tam, "daily"],
    ].sort());
    const missing = await inboxOf(database.db, missingBinh);
    expect(missing.find((i) => i.user_id === w.p.hung)!.mode).toBe("immediate");
    expect(missing.find((i) => i.user_id === w.p.tam)!.mode).toBe("daily");
    expect((await messagesOf(database.db, sql`key like ${`ev:${missingBinh}:%`}`)).map((m) => [m.user_id, m.channel])).toEqual([[w.p.hung, "email"]]);
    const email = (await messagesOf(database.db, sql`key like ${`ev:${missingBinh}:%`}`))[0];
    expect(email.content.subject).toBe("Bình chưa nộp bài Toán hạn 25/11");
  });

  it("a school announcement follows each child's choice: off for both children → nothing; off for one → still heard", async () => {
    await database.db.insert(notificationPreferences).values([
      { userId: w.p.hung, studentId: w.p.an, kind: "announcement", mode: "off" },
      { userId: w.p.hung, studentId: w.p.binh, kind: "announcement", mode: "off" },
      { userId: w.p.thu, studentId: w.p.an, kind: "announcement", mode: "daily" },
    ]);
    const school = await w.ev.announcement(null);
    await runFanout(database.db, cfg, { now: DAY });
    expect((await inboxOf(database.db, school)).map((i) => [i.user_id, i.mode, i.student_id])).toEqual(
      [
        [w.p.nga, "immediate", null],
        [w.p.tam, "immediate", null],
        [w.p.thu, "daily", null],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    await database.db.delete(notificationPreferences).where(sql`${notificationPreferences.userId} = ${w.p.hung} and ${notificationPreferences.studentId} = ${w.p.binh} and ${notificationPreferences.kind} = 'announcement'`);
    const again = await w.ev.announcement(null);
    await runFanout(database.db, cfg, { now: DAY });
    expect((await inboxOf(database.db, again)).find((i) => i.user_id === w.p.hung)?.mode).toBe("immediate");
    await database.db.delete(notificationPreferences).where(sql`${notificationPreferences.kind} = 'announcement'`);
  });

  it("channels: a switched-off channel is skipped, push goes to each subscription, only configured channels are used", async () => {
    await database.db.insert(contactChannels).values([
      { userId: w.p.hung, channel: "email", enabled: false, disabledReason: "unsubscribed" },
      { userId: w.p.hung, channel: "sms", enabled: true },
    ]);
    // Hùng has no phone: an SMS choice without an address sends nothing.
    const [a, b] = await database.db
      .insert(pushSubscriptions)
      .values([
        { userId: w.p.hung, endpoint: "https://push.example/1", p256dh: "k1", auth: "a1" },
        { userId: w.p.hung, endpoint: "https://push.example/2", p256dh: "k2", auth: "a2" },
      ])
      .returning();
    const e = await w.ev.note(w.p.an);
    await runFanout(database.db, cfg, { now: DAY });
    const mine = await messagesOf(database.db, sql`key like ${`ev:${e}:%`} and user_id = ${w.p.hung}`);
    expect(mine.map((m) => [m.channel, m.address, m.key]).sort()).toEqual(
      [
        ["push", a.id, `ev:${e}:${w.p.hung}:push:${a.id}`],
        ["push", b.id, `ev:${e}:${w.p.hung}:push:${b.id}`],
      ].sort(),
    );
    expect(mine[0].content.link).toBe(`https://lopso.example.vn/contact-book/${w.p.an}`);
    // With only email configured, Thu (phone only) is in-app only.
    const e2 = await w.ev.note(w.p.an);
    await runFanout(database.db, config(["email"]), { now: DAY });
    expect(await messagesOf(database.db, sql`key like ${`ev:${e2}:%`}`)).toEqual([]);
    expect(who(await inboxOf(database.db, e2))).toEqual(ids(w.p.hung, w.p.thu));
    await database.db.delete(contactChannels).where(sql`${contactChannels.userId} = ${w.p.hung}`);
    await database.db.delete(pushSubscriptions).where(sql`${pushSubscriptions.userId} = ${w.p.hung}`);
  });
});

describe("quiet hours", () => {
  it("a message made at night waits for the end of quiet hours; an urgent announcement does not", async () => {
    const night = vn("2026-11-25T23:10");
    const calm = await w.ev.announcement(w.toan.id, false);
    const urgent = await w.ev.announcement(w.toan.id, true);
    await runFanout(database.db, cfg, { now: night });
    const calmMessages = await messagesOf(database.db, sql`key like ${`ev:${calm}:%`}`);
    expect(calmMessages.length).toBeGreaterThan(0);
    for (const m of calmMessages) expect(new Date(m.not_before)).toEqual(vn("2026-11-26T06:30"));
    const urgentMessages = await messagesOf(database.db, sql`key like ${`ev:${urgent}:%`}`);
    expect(urgentMessages.length).toBe(calmMessages.length);
    for (const m of urgentMessages) expect(new Date(m.not_before)).toEqual(night);
    expect(urgentMessages.find((m) => m.channel === "email")!.content.subject).toBe("Khẩn: Họp phụ huynh");
  });

  it("each person's own quiet hours (none for one who set equal times)", async () => {
    await database.db.insert(notificationSettings).values({ userId: w.p.hung, quietStart: 600, quietEnd: 600 });
    const night = vn("2026-11-25T22:00");
    const e = await w.ev.note(w.p.an);
    await runFanout(database.db, cfg, { now: night });
    const byUser = new Map((await messagesOf(database.db, sql`key like ${`ev:${e}:%`}`)).map((m) => [m.user_id, new Date(m.not_before)]));
    expect(byUser.get(w.p.hung)).toEqual(night);
    expect(byUser.get(w.p.thu)).toEqual(vn("2026-11-26T06:30"));
    await database.db.delete(notificationSettings);
  });

  it("the SQL twin of the quiet-hours rule agrees with the pure function", async () => {
    const windows = [
      [21 * 60, 6 * 60 + 30],
      [13 * 60, 14 * 60],
      [600, 600],
      [0, 1],
      [23 * 60 + 59, 0],
    ];
    const moments = ["00:00", "00:30", "06:29", "06:30", "12:00", "13:00", "13:59", "14:00", "20:59", "21:00", "23:59"].map((t) => vn(`2026-11-30T${t}`));
    for (const at of moments) {
      const values = windows.map(([s, e]) => `(${s}, ${e})`).join(", ");
      const rows = await selectRows<{ qs: number; qe: number; ends: Date | string | null }>(
        database.db,
        sql.raw(`select qs, qe, ${quietHoursEndSql(at, "qs", "qe")} as ends from (values ${values}) v(qs, qe) order by qs, qe`),
      );
      for (const r of rows) {
        const expected = quietHoursEnd(at, { quietStart: Number(r.qs), quietEnd: Number(r.qe) });
        expect(r.ends === null ? null : new Date(r.ends).toISOString(), `${at.toISOString()} ${r.qs}-${r.qe}`).toBe(expected?.toISOString() ?? null);
      }
    }
  });
});

describe("idempotency and crashes", () => {
  it("running again writes nothing twice", async () => {
    const e = await w.ev.announcement(null);
    const first = await runFanout(database.db, cfg, { now: DAY });
    expect(first.notifications).toBe(4);
    // Unprocess the batch as if the commit had been lost after the rows were written.
    await database.query("update events set processed_at = null where id = $1", [e]);
    const again = await runFanout(database.db, cfg, { now: DAY });
    expect(again).toMatchObject({ events: 1, notifications: 0, messages: 0 });
    expect((await inboxOf(database.db, e)).length).toBe(4);
  });

  it("a failing statement in the middle of a batch leaves nothing of it; the rerun completes", async () => {
    const e1 = await w.ev.note(w.p.an);
    const e2 = await w.ev.announcement(null);
    // The outbound insert fails after the notifications were written in the same transaction.
    await database.query(`create function notify_test_fail() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$`);
    await database.query(`create trigger notify_test_fail before insert on outbound_messages for each statement execute function notify_test_fail()`);
    await expect(runFanout(database.db, cfg, { now: DAY })).rejects.toThrow();
    for (const e of [e1, e2]) expect(await inboxOf(database.db, e)).toEqual([]);
    const [waiting] = await database.query<{ n: number }>("select count(*)::int as n from events where processed_at is null");
    expect(Number(waiting.n)).toBe(2);
    await database.query("drop trigger notify_test_fail on outbound_messages");
    await database.query("drop function notify_test_fail()");
    const r = await runFanout(database.db, cfg, { now: DAY });
    expect(r.events).toBe(2);
    expect(who(await inboxOf(database.db, e1))).toEqual(ids(w.p.hung, w.p.thu));
    expect((await messagesOf(database.db, sql`key like ${`ev:${e2}:%`}`)).length).toBe(2);
  });

  it("two workers at once (two connections) never take the same event nor duplicate a row", async () => {
    const made: number[] = [];
    for (let i = 0; i < 30; i++) made.push(i % 3 === 0 ? await w.ev.announcement(null) : i % 3 === 1 ? await w.ev.lesson() : await w.ev.note(w.p.an));
    let second: Database = database;
    if (database.kind === "postgres") {
      const url = new URL(testDatabaseUrl());
      url.pathname = `/${database.name}`;
      second = await openDatabase({ url: url.toString(), max: 2 });
    }
    try {
      const [a, b] = await Promise.all([runFanout(database.db, cfg, { now: DAY, batch: 4 }), runFanout(second.db, cfg, { now: DAY, batch: 4 })]);
      expect(a.events + b.events).toBe(30);
      if (database.kind === "postgres") expect(a.events).toBeGreaterThan(0);
    } finally {
      if (second !== database) await second.close();
    }
    const [counts] = await database.query<{ n: number; distinct_n: number }>(
      `select count(*)::int as n, count(distinct (user_id, event_id))::int as distinct_n from notifications where event_id = any($1::bigint[])`,
      [made],
    );
    expect(Number(counts.n)).toBe(Number(counts.distinct_n));
    // 10 announcements × 4 parents, 10 lessons × 4, 10 notes × 2.
    expect(Number(counts.n)).toBe(100);
    const [msgs] = await database.query<{ n: number }>(`select count(*)::int as n from outbound_messages o join notifications n on n.id = o.notification_id where n.event_id = any($1::bigint[])`, [made]);
    // Announcements and notes go out at once: Hùng by email, Thu by Zalo.
    expect(Number(msgs.n)).toBe(40);
  });
});
