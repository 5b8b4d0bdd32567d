/**
 * Attendance for a 1,000-participant meeting, on real PostgreSQL: a session of a 1,000-student
 * class, 1,150 participations (900 students by verified email, 100 of them rejoining; 100 by a
 * confirmed identity; 50 by name only, to confirm), computed from the stored participations —
 * matching, each student's status and minutes, the upserts and the outbox events in one
 * transaction. Target: ≤ 200 ms. `npm run bench:attendance` (BENCH_ATTENDANCE_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/lopso_bench_attendance, dropped and made afresh).
 */
import { performance } from "node:perf_hooks";
import postgres from "postgres";
import { classes, classMembers, liveSessionClasses, liveSessions, organizations, platformIdentities, sessionParticipants, users } from "../../db/schema/index.ts";
import { openDatabase, migrate } from "../../db/client.server.ts";
import { computeAttendance } from "../../app/services/attendance.server.ts";
import { nameSortKey } from "../../app/lib/vn.ts";

const URL_ = process.env.BENCH_ATTENDANCE_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/lopso_bench_attendance";
const STUDENTS = 1000;
const TARGET_MS = 200;

async function freshDatabase() {
  const name = new URL(URL_).pathname.slice(1);
  if (!/bench/.test(name)) throw new Error(`refusing to drop ${name}: the database must have "bench" in its name`);
  const admin = new URL(URL_);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  await sql.unsafe(`drop database if exists ${name} with (force)`);
  await sql.unsafe(`create database ${name}`);
  await sql.end();
}

await freshDatabase();
const database = await openDatabase({ url: URL_, max: 5 });
await migrate(database);
const db = database.db;
const [province] = await db.insert(organizations).values({ kind: "province", name: "Sở bench", code: "BENCH" }).returning();
const [school] = await db.insert(organizations).values({ kind: "school", parentId: province.id, name: "THCS Bench", code: "99001", level: "thcs" }).returning();
const [teacher] = await db.insert(users).values({ fullName: "Giáo viên Bench", sortKey: "bench", email: "gv@bench.vn" }).returning();
const [cls] = await db.insert(classes).values({ schoolId: school.id, name: "9A1", grade: 9, subject: "toan", schoolYear: "2026-2027", joinCode: "BENCH91" }).returning();
const GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khánh", "Lan", "Linh", "Minh", "Nam", "Ngọc", "Phương", "Quân", "Thảo", "Trang", "Tuấn", "Vy"];
const FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"];
const students = await db
  .insert(users)
  .values(
    Array.from({ length: STUDENTS }, (_, i) => {
      const fullName = `${FAMILY[i % 10]} Văn ${GIVEN[Math.floor(i / 10) % 20]}`;
      return { fullName, sortKey: nameSortKey(fullName), email: `hs${i}@bench.vn` };
    }),
  )
  .returning({ id: users.id, email: users.email, fullName: users.fullName });
await db.insert(classMembers).values([{ classId: cls.id, userId: teacher.id, role: "teacher" as const }, ...students.map((s) => ({ classId: cls.id, userId: s.id, role: "student" as const }))]);
const start = new Date(Date.now() - 2 * 3_600_000);
const [session] = await db
  .insert(liveSessions)
  .values({ schoolId: school.id, createdBy: teacher.id, title: "Bench", platform: "zoom", startsAt: start, durationMinutes: 45, externalId: "1", joinUrl: "https://zoom.example/j/1", syncState: "synced" })
  .returning();
await db.insert(liveSessionClasses).values({ sessionId: session.id, classId: cls.id });
const at = (min: number) => new Date(start.getTime() + min * 60_000);
const joins = [
  ...students.slice(0, 900).map((s, i) => ({ personKey: `p${i}`, displayName: s.fullName, email: s.email, joinedAt: at(i % 15), leftAt: at(i < 100 ? 20 : 45) })),
  ...students.slice(0, 100).map((s, i) => ({ personKey: `p${i}`, displayName: s.fullName, email: s.email, joinedAt: at(25), leftAt: at(45) })),
  ...students.slice(900, 1000).map((s, i) => ({ personKey: `known${i}`, displayName: `iPhone ${i}`, email: null, joinedAt: at(1), leftAt: at(44) })),
  ...Array.from({ length: 50 }, (_, i) => ({ personKey: `name:${i}`, displayName: students[i * 3].fullName, email: null, joinedAt: at(2), leftAt: at(40) })),
];
await db.insert(sessionParticipants).values(joins.map((j) => ({ sessionId: session.id, occurrenceStart: start, ...j })));
await db.insert(platformIdentities).values(students.slice(900, 1000).map((s, i) => ({ provider: "zoom" as const, personKey: `known${i}`, studentId: s.id })));

const times: number[] = [];
let last;
for (let run = 0; run < 7; run++) {
  const t0 = performance.now();
  last = await computeAttendance(db, session, start);
  times.push(performance.now() - t0);
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const counts = last!.rows.reduce<Record<string, number>>((m, r) => ((m[r.status] = (m[r.status] ?? 0) + 1), m), {});
const [{ n: eventsWritten }] = await database.query<{ n: number }>("select count(*)::int as n from events where type = 'attendance.recorded'");
console.log(`Attendance of a ${STUDENTS}-participant meeting (${joins.length} participations), PostgreSQL`);
console.log(`  first run ${times[0].toFixed(1)} ms (writes ${STUDENTS} rows and their events); median of the next six ${median.toFixed(1)} ms; max ${sorted.at(-1)!.toFixed(1)} ms`);
console.log(`  statuses ${JSON.stringify(counts)}; to confirm ${last!.toConfirm.length}; attendance.recorded events ${eventsWritten}`);
const ok = times[0] <= TARGET_MS && median <= TARGET_MS;
console.log(`${ok ? "PASS" : "MISS"}: target ≤ ${TARGET_MS} ms`);
await database.close();
process.exit(ok ? 0 : 1);
