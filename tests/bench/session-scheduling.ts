/**
 * A weekly live session for every class of a province, on Zoom, Google Meet and Teams, within each
 * platform's documented limits, on real PostgreSQL. `npm run bench:scheduling`.
 *
 * Classes of several schools, one teacher each, except one teacher who owns many classes (so
 * Zoom's 100 meeting creates per user per day is reached). Each school is connected through the
 * connection services to the local fakes — a Zoom Server-to-Server app, a Google grant for Meet,
 * an Entra ID app for Teams — which enforce the documented limits and count their 429s: Meet 100
 * space creates a minute per project and 10 per user; Zoom's per-second Light (30) and Medium (20)
 * limits per account (Pro) and 100 creates per host per UTC day; Graph's Teams limit per tenant.
 * Teachers schedule through `createLiveSession` (BENCH_CONCURRENCY at a time, schools mixed), and
 * the `sessions-sync` job's `syncPending` runs as its cron would (every BENCH_SYNC_INTERVAL_S,
 * each run at most 50 s) until every session is synced, or waits for its host's next UTC day.
 * See tests/bench/README.md.
 */
import { freshBenchDatabase } from "./bench-database.ts";
import crypto from "node:crypto";
import { performance } from "node:perf_hooks";

const URL_ = process.env.BENCH_SCHEDULING_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/lopso_bench_scheduling";
const CLASSES = Number(process.env.BENCH_CLASSES ?? 1000);
const SCHOOLS = Number(process.env.BENCH_SCHOOLS ?? 20);
/** Classes of the one teacher who teaches many (in the first school). */
const BIG = Math.min(Number(process.env.BENCH_BIG_TEACHER ?? 150), CLASSES - SCHOOLS);
const PLATFORMS = (process.env.BENCH_PLATFORMS ?? "zoom,microsoft,google").split(",").map((p) => p.trim()) as ("zoom" | "google" | "microsoft")[];
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const SYNC_INTERVAL_MS = Number(process.env.BENCH_SYNC_INTERVAL_S ?? 60) * 1000;
const MAX_MS = Number(process.env.BENCH_MAX_MINUTES ?? 30) * 60_000;

Object.assign(process.env, { LOG_LEVEL: process.env.LOG_LEVEL ?? "error", SECRET_KEY: process.env.SECRET_KEY ?? "bench-secret-key-bench-secret-key-0123456789" });

const { openDatabase, migrate } = await import("../../db/client.server.ts");
const { and, eq, inArray, sql } = await import("drizzle-orm");
const { classes, classMembers, liveSessions, organizations, providerBudgets, users } = await import("../../db/schema/index.ts");
const { startFakeZoom } = await import("../fakes/zoom/server.ts");
const { startFakeGoogle } = await import("../fakes/google/server.ts");
const { startFakeMicrosoft } = await import("../fakes/microsoft/server.ts");


// ---- the province: schools, teachers, classes --------------------------------------------------
type School = { id: string; code: string; domain: string; teachers: { id: string; email: string; zoomId: string }[]; classes: { id: string; teacherId: string }[] };
await freshBenchDatabase(URL_);
const database = await openDatabase({ url: URL_, max: 10 });
await migrate(database);
const db = database.db;
const [province] = await db.insert(organizations).values({ kind: "province", name: "Sở bench", code: "BENCHSCHED" }).returning();
const schools: School[] = [];
const SUBJECTS = ["toan", "ngu_van", "tieng_anh", "vat_li", "hoa_hoc", "sinh_hoc", "lich_su", "dia_li"];
/** The first school holds the big teacher's classes and as many again as the others hold. */
const even = Math.floor(CLASSES / SCHOOLS);
const firstSchool = Math.min(CLASSES - (SCHOOLS - 1), Math.max(even, BIG + Math.floor((CLASSES - BIG) / SCHOOLS)));
const classesOf = (s: number) => (s === 0 ? firstSchool : Math.floor((CLASSES - firstSchool) / (SCHOOLS - 1)) + (s - 1 < (CLASSES - firstSchool) % (SCHOOLS - 1) ? 1 : 0));
for (let s = 0; s < SCHOOLS; s++) {
  const n = classesOf(s);
  const code = String(98000 + s);
  const domain = `s${s}.bench.lopso.vn`;
  const [school] = await db.insert(organizations).values({ kind: "school", parentId: province.id, name: `THCS Bench ${s + 1}`, code, level: "thcs" }).returning();
  // One teacher per class, except the first school's first teacher, who teaches BIG classes.
  const teacherCount = s === 0 ? n - BIG + 1 : n;
  const teachers = await db
    .insert(users)
    .values(Array.from({ length: teacherCount }, (_, i) => ({ fullName: `Giáo viên ${s}-${i}`, sortKey: `gv ${s} ${i}`, email: `gv${i}@${domain}` })))
    .returning({ id: users.id, email: users.email });
  const rows = await db
    .insert(classes)
    .values(Array.from({ length: n }, (_, i) => ({ schoolId: school.id, name: `${6 + (i % 4)}A${Math.floor(i / 4) + 1}`, grade: 6 + (i % 4), subject: SUBJECTS[i % SUBJECTS.length], schoolYear: "2026-2027", joinCode: `B${s}X${i}` })))
    .returning({ id: classes.id });
  const owner = (i: number) => (s === 0 ? (i < BIG ? 0 : i - BIG + 1) : i);
  await db.insert(classMembers).values(rows.map((c, i) => ({ classId: c.id, userId: teachers[owner(i)].id, role: "teacher" as const })));
  schools.push({
    id: school.id,
    code,
    domain,
    teachers: teachers.map((t, i) => ({ id: t.id, email: t.email!, zoomId: `z${s}u${i}` })),
    classes: rows.map((c, i) => ({ id: c.id, teacherId: teachers[owner(i)].id })),
  });
}
const bigTeacher = schools[0].teachers[0];
console.log(`${CLASSES} classes in ${SCHOOLS} schools, ${schools.reduce((n, s) => n + s.teachers.length, 0)} teachers; ${bigTeacher.email} teaches ${BIG} classes`);

// ---- the platforms, with their documented limits -----------------------------------------------
const zoomAccounts = schools.map((s, i) => {
  const [admin, ...rest] = s.teachers.map((t) => ({ id: t.zoomId, email: t.email, first_name: "GV", last_name: t.email.split("@")[0] }));
  return { accountId: `acc_${i}`, clientId: `zoomS2S${i}`, clientSecret: `zoom-secret-${i}`, user: admin, otherUsers: rest };
});
const zoom = await startFakeZoom(zoomAccounts);
zoom.limits.lightPerSecond = 30;
zoom.limits.mediumPerSecond = 20;
const googleClients = schools.map((_, i) => ({ clientId: `lopso-${i}.apps.googleusercontent.com`, clientSecret: `GOCSPX-${i}` }));
const google = await startFakeGoogle({ clients: googleClients, accounts: schools.map((s, i) => ({ sub: `g-admin-${i}`, email: `hieutruong@${s.domain}`, name: `Hiệu trưởng ${i}`, hd: s.domain })) });
google.meet.createsPerMinutePerUser = 10;
const tenants = schools.map((s, i) => ({ tenantId: crypto.randomUUID(), clientId: crypto.randomUUID(), clientSecret: `ms-secret-${i}`, displayName: `THCS Bench ${i + 1}`, domain: s.domain }));
const microsoft = await startFakeMicrosoft(tenants);
microsoft.limits.teamsPerTenantPer10s = 15_000;
Object.assign(process.env, {
  ZOOM_OAUTH_URL: zoom.url,
  ZOOM_API_URL: `${zoom.url}/v2`,
  GOOGLE_ISSUER: google.url,
  GOOGLE_API_URL: `${google.url}/`,
  MICROSOFT_LOGIN_URL: microsoft.url,
  MICROSOFT_GRAPH_URL: `${microsoft.url}/v1.0`,
});

const { upsertZoomConnection } = await import("../../app/services/connections/zoom.server.ts");
const { upsertMicrosoftConnection } = await import("../../app/services/connections/microsoft.server.ts");
const { connectionById, testConnection } = await import("../../app/services/connections/check.server.ts");
const { connectedGoogleSchool } = await import("../support/connections.ts");
const { createLiveSession, syncPending, SYNC_RUN_MS } = await import("../../app/services/live-sessions.server.ts");
const { dailyWritesKey, DAILY_MEETING_WRITES_LIMIT } = await import("../../integrations/zoom/meetings.server.ts");
type Actor = import("../../app/auth/actor.server.ts").Actor;

const cli = { actorId: null, address: "cli" };
for (const [i, s] of schools.entries()) {
  if (PLATFORMS.includes("zoom")) {
    const z = await upsertZoomConnection(db, { schoolCode: s.code, accountId: zoomAccounts[i].accountId, clientId: zoomAccounts[i].clientId, clientSecret: zoomAccounts[i].clientSecret, webhookSecret: `hook-${i}` }, cli);
    if (!(await testConnection(db, (await connectionById(db, z.id))!, cli)).ok) throw new Error(`Zoom connection of ${s.code} failed its check`);
  }
  if (PLATFORMS.includes("microsoft")) {
    const m = await upsertMicrosoftConnection(db, { schoolCode: s.code, tenantId: tenants[i].tenantId, clientId: tenants[i].clientId, clientSecret: tenants[i].clientSecret }, cli);
    if (!(await testConnection(db, (await connectionById(db, m.id))!, cli)).ok) throw new Error(`Microsoft connection of ${s.code} failed its check`);
  }
  // Google's consent is a browser flow: the grant it leaves is stored as the flow stores it.
  if (PLATFORMS.includes("google")) await connectedGoogleSchool(db, google, { schoolId: s.id, client: googleClients[i], admin: `hieutruong@${s.domain}`, domain: s.domain });
}
// The checks' calls are not the benchmark's.
zoom.requests.length = 0;
await db.delete(providerBudgets);

// ---- per platform: schedule, then the sync job until done ----------------------------------------
type Platform = (typeof PLATFORMS)[number];
const actors = new Map<string, Actor>();
const actorOf = (id: string) => actors.get(id) ?? (actors.set(id, { id } as Actor), actors.get(id)!);
// Schools mixed, as teachers of many schools schedule in the same hour.
const order: { classId: string; teacherId: string }[] = [];
for (let i = 0; order.length < CLASSES; i++) for (const s of schools) if (s.classes[i]) order.push({ classId: s.classes[i].id, teacherId: s.classes[i].teacherId });
const firstMonday = (() => {
  const d = new Date(Date.now() + 7 * 86_400_000);
  const day = new Date(`${d.toISOString().slice(0, 10)}T08:00:00+07:00`);
  while (day.getUTCDay() !== 1) day.setTime(day.getTime() + 86_400_000);
  return day;
})();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (ms: number) => (ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${((ms % 60_000) / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(1)} s`);

/** What the documented limits imply at the least, and how it was computed. */
function implied(platform: Platform): { ms: number; how: string } {
  const perSchool = schools.map((s) => s.classes.length);
  if (platform === "google") {
    const project = Math.ceil(CLASSES / 100) - 1;
    const user = Math.max(...perSchool.map((n) => Math.ceil(n / 10) - 1));
    return { ms: Math.max(project, user) * 60_000, how: `${CLASSES} creates at 100/min/project: ${project} min after the first minute's 100; each school's grant (one user) ${Math.max(...perSchool)} at 10/min: ${user} min` };
  }
  if (platform === "zoom") {
    const creatable = schools.map((s, i) => (i === 0 ? s.classes.length - BIG + Math.min(BIG, DAILY_MEETING_WRITES_LIMIT) : s.classes.length));
    const medium = Math.max(...creatable.map((n) => Math.ceil(n / 20) - 1));
    const light = Math.max(...creatable.map((n) => Math.ceil(n / 30) - 1));
    const over = Math.max(0, BIG - DAILY_MEETING_WRITES_LIMIT);
    return {
      ms: Math.max(medium, light) * 1000,
      how: `per account (school) ≤ ${Math.max(...creatable)} creates at Medium 20/s (Pro): ${medium} s, as many host look-ups at Light 30/s: ${light} s; ${over ? `${over} of ${bigTeacher.email}'s ${BIG} over 100/user/day wait for 00:00 UTC` : "no host over 100/day"}`,
    };
  }
  const tenant = Math.max(...perSchool);
  return { ms: (tenant / 15_000) * 10_000, how: `≤ ${tenant} createOrGet per tenant at 15,000/10 s (Teams; the hub's own budget is 5,000/10 s): ${((tenant / 15_000) * 10).toFixed(2)} s; ${BIG} meetings for one user ≪ 2,000/user/month` };
}

function apiCalls(platform: Platform): { calls: number; throttled: number; detail: string } {
  if (platform === "zoom") {
    const creates = zoom.requests.filter((r) => r.method === "POST").length;
    return { calls: zoom.requests.length, throttled: zoom.throttled.qps + zoom.throttled.daily, detail: `${creates} meetings.create, ${zoom.requests.length - creates} users.get; 429: ${zoom.throttled.qps} per-second, ${zoom.throttled.daily} daily` };
  }
  if (platform === "google") {
    const c = google.meet.calls;
    return { calls: c["spaces.create"], throttled: c["spaces.create.429"] ?? 0, detail: `${c["spaces.create"]} spaces.create, ${google.calls.token} token` };
  }
  const c = microsoft.calls;
  return { calls: c.onlineMeetings ?? 0, throttled: c.onlineMeetingsThrottled ?? 0, detail: `${c.onlineMeetings ?? 0} onlineMeetings.createOrGet, ${c.token} token` };
}

type Result = { platform: Platform; sessions: number; synced: number; waitingForDay: number; failed: number; otherPending: number; scheduleMs: number; allMs: number; runs: number; implied: { ms: number; how: string }; api: ReturnType<typeof apiCalls> };
const results: Result[] = [];

for (const platform of PLATFORMS) {
  const t0 = performance.now();
  const wall0 = Date.now();
  let scheduling = true;
  let runs = 0;
  /** The sync job as its cron runs it: at t0, then every SYNC_INTERVAL_MS, one run at a time. */
  const job = (async () => {
    for (let tick = 0; ; tick++) {
      const due = wall0 + tick * SYNC_INTERVAL_MS;
      if (Date.now() < due) await sleep(due - Date.now());
      runs++;
      const r = await syncPending(db);
      const left = await stillToSync(platform);
      if (!scheduling && left === 0) return;
      if (Date.now() - wall0 > MAX_MS) return;
      if (process.env.BENCH_VERBOSE) console.log(`  run ${runs} at ${fmt(Date.now() - wall0)}: synced ${r.synced}, pending ${r.pending}, to sync ${left}`);
    }
  })();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < order.length; i = next++) {
        const c = order[i];
        await createLiveSession(db, actorOf(c.teacherId), {
          title: `Học trực tuyến ${platform} ${i}`,
          classIds: [c.classId],
          platform,
          startsAt: firstMonday,
          durationMinutes: 45,
          weekdays: [1],
          until: null,
          count: 15,
          linkUrl: null,
        });
      }
    }),
  );
  const scheduleMs = performance.now() - t0;
  scheduling = false;
  await job;
  const rows = await db
    .select({ state: liveSessions.syncState, message: liveSessions.syncMessage, createdBy: liveSessions.createdBy, updatedAt: liveSessions.updatedAt })
    .from(liveSessions)
    .where(eq(liveSessions.platform, platform));
  const synced = rows.filter((r) => r.state === "synced");
  const waiting = await waitingForDay(platform);
  const lastSynced = Math.max(...synced.map((r) => r.updatedAt.getTime()));
  results.push({
    platform,
    sessions: rows.length,
    synced: synced.length,
    waitingForDay: waiting,
    failed: rows.filter((r) => r.state === "error").length,
    otherPending: rows.filter((r) => r.state === "pending").length - waiting,
    scheduleMs,
    allMs: lastSynced - wall0,
    runs,
    implied: implied(platform),
    api: apiCalls(platform),
  });
  const r = results.at(-1)!;
  console.log(`${platform}: ${r.synced}/${r.sessions} synced in ${fmt(r.allMs)} (limits imply ≥ ${fmt(r.implied.ms)}), ${r.api.throttled} × 429, ${r.failed} failed, ${r.waitingForDay} waiting for the next UTC day`);
}

/** Sessions of the platform still pending, other than those whose host's day of Zoom writes is spent. */
async function stillToSync(platform: Platform): Promise<number> {
  const [{ n }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(liveSessions)
    .where(and(eq(liveSessions.platform, platform), eq(liveSessions.syncState, "pending")));
  return n - (await waitingForDay(platform));
}

/** Zoom sessions pending because their host's 100 creates of this UTC day are spent. */
async function waitingForDay(platform: Platform): Promise<number> {
  if (platform !== "zoom") return 0;
  const spent: { key: string; teacher: string }[] = [];
  for (const s of schools) for (const t of s.teachers) spent.push({ key: dailyWritesKey(t.zoomId), teacher: t.id });
  const keys = await db.select({ key: providerBudgets.key, used: providerBudgets.used, blockedUntil: providerBudgets.blockedUntil }).from(providerBudgets).where(inArray(providerBudgets.key, spent.map((s) => s.key)));
  const full = new Set(keys.filter((k) => k.used >= DAILY_MEETING_WRITES_LIMIT || (k.blockedUntil && k.blockedUntil > new Date())).map((k) => spent.find((s) => s.key === k.key)!.teacher));
  if (full.size === 0) return 0;
  const [{ n }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(liveSessions)
    .where(and(eq(liveSessions.platform, "zoom"), eq(liveSessions.syncState, "pending"), inArray(liveSessions.createdBy, [...full])));
  return n;
}

// ---- the figures -----------------------------------------------------------------------------------
console.log(`\nA weekly session for ${CLASSES} classes (${SCHOOLS} schools; one teacher with ${BIG} classes), PostgreSQL; ${CONCURRENCY} teachers scheduling at once; sessions-sync every ${SYNC_INTERVAL_MS / 1000} s, each run ≤ ${SYNC_RUN_MS / 1000} s`);
console.log("| platform | sessions | synced | waiting for 00:00 UTC | failed | limits imply | scheduling | all synced | sync runs | API calls | 429s |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(`| ${r.platform} | ${r.sessions} | ${r.synced} | ${r.waitingForDay} | ${r.failed} | ≥ ${fmt(r.implied.ms)} | ${fmt(r.scheduleMs)} | ${fmt(r.allMs)} | ${r.runs} | ${r.api.calls} | ${r.api.throttled} |`);
}
for (const r of results) console.log(`- ${r.platform}: limits: ${r.implied.how}. Calls: ${r.api.detail}.${r.otherPending ? ` ${r.otherPending} still pending for another reason.` : ""}`);
const ok = results.every((r) => r.failed === 0 && r.otherPending === 0);
console.log(ok ? "PASS: no session failed; every one is synced or waits for its host's next UTC day" : "MISS: some sessions failed or are still pending");
await Promise.all([zoom.close(), google.close(), microsoft.close()]);
await database.close();
process.exit(ok ? 0 : 1);
