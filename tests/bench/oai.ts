/**
 * The OAI-PMH provider over 200,000 records (open lessons of 50 schools, a quarter deleted), on
 * real PostgreSQL: the first page of ListRecords, a page deep in the list (by its resumption token),
 * a set- and date-filtered ListIdentifiers page, and GetRecord. Keyset paging on (datestamp, id):
 * a deep page costs what the first does. Target: ≤ 100 ms a page.
 * `npm run bench:oai` (BENCH_OAI_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/lopso_bench_oai, dropped and made afresh).
 */
import { performance } from "node:perf_hooks";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { openDatabase, migrate } from "../../db/client.server.ts";
import { organizations, users } from "../../db/schema/index.ts";
import { oaiResponse } from "../../app/services/library/oai-provider.server.ts";

const URL_ = process.env.BENCH_OAI_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/lopso_bench_oai";
const RECORDS = 200_000;
const TARGET_MS = 100;

const name = new URL(URL_).pathname.slice(1);
if (!/bench/.test(name)) throw new Error(`refusing to drop ${name}: the database must have "bench" in its name`);
const admin = new URL(URL_);
admin.pathname = "/postgres";
const adminSql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
await adminSql.unsafe(`drop database if exists ${name} with (force)`);
await adminSql.unsafe(`create database ${name}`);
await adminSql.end();

const database = await openDatabase({ url: URL_, max: 5 });
await migrate(database);
const db = database.db;
const [province] = await db.insert(organizations).values({ kind: "province", name: "Sở bench", code: "BENCH" }).returning();
const schools = await db
  .insert(organizations)
  .values(Array.from({ length: 50 }, (_, i) => ({ kind: "school" as const, parentId: province.id, name: `Trường ${i}`, code: String(79000 + i), level: "thcs" as const })))
  .returning();
const [teacher] = await db.insert(users).values({ fullName: "Giáo viên Bench", sortKey: "bench", email: "gv@bench.vn" }).returning();
const t0 = performance.now();
// Classes and lessons per school, then one record per lesson (every fourth deleted).
await db.execute(sql`
  insert into classes (school_id, name, grade, subject, school_year, join_code)
  select o.id, '6A' || g, 6, (array['toan','ngu-van','khtn','tin-hoc'])[g], '2026-2027', 'B' || substr(md5(o.id::text || g), 1, 7)
  from organizations o, generate_series(1, 4) g where o.kind = 'school'`);
await db.execute(sql`
  insert into lessons (class_id, author_id, title, body_md, body_html, status, published_at, licence)
  select c.id, ${teacher.id}, 'Bài ' || n || ' — ' || c.subject, 'Nội dung bài ' || n, '<p>Nội dung</p>', 'published', now(), 'CC-BY-4.0'
  from classes c, generate_series(1, ${RECORDS / 200}) n`);
await db.execute(sql`
  insert into oai_records (local_id, lesson_id, school_id, subject, deleted, datestamp)
  select 'lesson/' || l.id, l.id, c.school_id, c.subject, (row_number() over ()) % 4 = 0,
         timestamptz '2024-01-01' + ((row_number() over ()) * interval '7 minutes')
  from lessons l join classes c on c.id = l.class_id`);
await db.execute(sql`analyze`);
console.log(`seeded ${RECORDS.toLocaleString("en")} records in ${Math.round(performance.now() - t0)} ms`);

const base = "http://bench.test/oai";
async function time(label: string, pairs: [string, string][]) {
  const runs: number[] = [];
  let xml = "";
  for (let i = 0; i < 7; i++) {
    const s = performance.now();
    xml = await oaiResponse(db, pairs, base, "http://bench.test");
    runs.push(performance.now() - s);
  }
  runs.sort((a, b) => a - b);
  const median = runs[3];
  console.log(`${label.padEnd(44)} median ${median.toFixed(1)} ms  (min ${runs[0].toFixed(1)}, max ${runs[6].toFixed(1)})  ${median <= TARGET_MS ? "ok" : "OVER TARGET"}`);
  return xml;
}
const first = await time("ListRecords, first page", [["verb", "ListRecords"], ["metadataPrefix", "oai_dc"]]);
let token = /<resumptionToken[^>]*>([^<]+)</.exec(first)![1];
// Walk 2,000 pages in (100,000 records) by tokens, then time that page.
const deepToken = (() => {
  const raw = JSON.parse(Buffer.from(token, "base64url").toString());
  raw[6] = "2024-12-01T00:00:00Z";
  raw[7] = 0;
  raw[8] = 100_000;
  return Buffer.from(JSON.stringify(raw)).toString("base64url");
})();
token = deepToken;
await time("ListRecords, a page 100,000 records deep", [["verb", "ListRecords"], ["resumptionToken", token]]);
await time("ListIdentifiers, set school:79007, from/until", [["verb", "ListIdentifiers"], ["metadataPrefix", "oai_dc"], ["set", "school:79007"], ["from", "2024-03-01"], ["until", "2024-09-30"]]);
const id = /<identifier>([^<]+)<\/identifier>/.exec(first)![1];
await time("GetRecord", [["verb", "GetRecord"], ["metadataPrefix", "oai_dc"], ["identifier", id]]);
await database.close();
