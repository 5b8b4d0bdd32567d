/**
 * Full Classroom sync of a generated fake domain, on real PostgreSQL: `--courses` (default 2000) ×
 * `--students` (35) × `--coursework` (20), every student with a submission of every coursework.
 * Reports wall time, the API calls made against the minimum the server's page caps allow (goal:
 * within 10 %), calls per course, and the calls of a re-sync with nothing changed. The shared
 * rate budgets are left out (`budgets` not given): at Classroom's 20 requests/s per user the
 * wall time would be the budget's, not the sync's. `npm run bench:classroom -- --courses 50`
 * (BENCH_CLASSROOM_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/lopso_bench_classroom,
 * dropped and made afresh).
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { openDatabase, migrate } from "../../db/client.server.ts";
import { organizations } from "../../db/schema/index.ts";
import { createClassroomProvider } from "../../integrations/google/classroom.server.ts";
import { runCourseSync } from "../../app/services/sync/engine.server.ts";
import { tokenSource } from "../../app/services/connections/token-source.server.ts";
import { startFakeGoogle } from "../fakes/google/server.ts";
import { seedClassroomDomain } from "../fakes/google/classroom-domain.ts";
import { connectedGoogleSchool } from "../support/connections.ts";

const { values } = parseArgs({ options: { courses: { type: "string", default: "2000" }, students: { type: "string", default: "35" }, coursework: { type: "string", default: "20" } } });
const N = { courses: Number(values.courses), students: Number(values.students), coursework: Number(values.coursework) };
const URL_ = process.env.BENCH_CLASSROOM_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/lopso_bench_classroom";
const A = "https://www.googleapis.com/auth/";
const SCOPES = `openid ${A}classroom.courses.readonly ${A}classroom.rosters.readonly ${A}classroom.profile.emails ${A}classroom.guardianlinks.students.readonly`;
const CLIENT = { clientId: "bench.apps.googleusercontent.com", clientSecret: "bench" };

const name = new URL(URL_).pathname.slice(1);
if (!/bench/.test(name)) throw new Error(`refusing to drop ${name}: the database must have "bench" in its name`);
const adminUrl = new URL(URL_);
adminUrl.pathname = "/postgres";
const sql = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
await sql.unsafe(`drop database if exists ${name} with (force)`);
await sql.unsafe(`create database ${name}`);
await sql.end();

process.env.SECRET_KEY ??= "bench-secret-key-bench-secret-key-0123456789";
const google = await startFakeGoogle({ clients: [CLIENT], accounts: [{ sub: "admin", email: "admin@bench.demo", name: "Admin", hd: "bench.demo" }] });
process.env.GOOGLE_ISSUER = google.url;
process.env.GOOGLE_API_URL = `${google.url}/`;
seedClassroomDomain(google.classroom, { domain: "bench.demo", ...N });
const database = await openDatabase({ url: URL_, max: 5 });
await migrate(database);
const db = database.db;
const [school] = await db.insert(organizations).values({ kind: "school", name: "THCS Bench", code: "99101", level: "thcs" }).returning();
const conn = await connectedGoogleSchool(db, google, { schoolId: school.id, client: CLIENT, admin: "admin@bench.demo", domain: "bench.demo", scope: SCOPES });
const [row] = await database.query<{ external_account: string }>(`select external_account from connections where id = '${conn}'`);

const caps = google.classroom.maxPageSize;
const pages = (n: number, cap: number) => Math.max(1, Math.ceil(n / cap));
const minimum =
  pages(N.courses, caps.courses) +
  N.courses * (1 + pages(N.students, caps.roster) + pages(N.coursework, caps.courseWork) + pages(N.students * N.coursework, caps.studentSubmissions)) +
  1; // guardians (none in the domain: one empty page)

async function run(label: string) {
  let calls = 0;
  const provider = createClassroomProvider({ config: { issuer: google.url, apiRoot: `${google.url}/` }, tokens: tokenSource(db), onAttempt: () => calls++ });
  google.classroom.resetCalls();
  const t0 = performance.now();
  const out = await runCourseSync(db, { connection: { id: conn, provider: "google", externalAccount: row.external_account, clientId: CLIENT.clientId }, schoolId: school.id, source: `google:${conn}` }, { provider, apiCalls: () => calls });
  const ms = performance.now() - t0;
  if (out.status !== "succeeded") throw new Error(`${label}: ${JSON.stringify(out)}`);
  console.log(`${label}: ${(ms / 1000).toFixed(1)} s wall, ${calls} API calls (${(calls / N.courses).toFixed(2)} per course); minimum the page caps allow: ${minimum} (${(((calls - minimum) / minimum) * 100).toFixed(1)} % over)`);
  return { ms, calls };
}

console.log(`Classroom sync bench: ${N.courses} courses × ${N.students} students × ${N.coursework} coursework = ${N.courses * N.students * N.coursework} submissions; page caps ${JSON.stringify(caps)}`);
await run("full sync");
await run("re-sync, nothing changed");
await database.close();
await google.close();
