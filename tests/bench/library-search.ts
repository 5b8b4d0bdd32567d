/**
 * The library search at province scale: 1,000,000 generated Vietnamese resources in real
 * PostgreSQL (and 100,000 in PGlite), each query kind — narrow, broad one-word, subject + grade,
 * without diacritics, with a typo — run many times through searchLibrary WITH its facet counts;
 * p50/p95/p99 per kind and the plans' index use (auto_explain of one search of each kind).
 * Target: p95 ≤ 50 ms on PostgreSQL. `npm run bench:search`.
 *
 * BENCH_SEARCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/lopso_bench_search) is
 * generated once and reused while it holds BENCH_SEARCH_ROWS rows (BENCH_SEARCH_REGENERATE=1 to
 * make it afresh). BENCH_SEARCH_PGLITE_ROWS (default 100000; 0 skips PGlite). BENCH_SEARCH_RUNS
 * searches per kind (default 60).
 */
import { performance } from "node:perf_hooks";
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { sql } from "drizzle-orm";
import { migrate, openDatabase, selectRows, type Database, type Db } from "../../db/client.server.ts";
import * as schema from "../../db/schema/index.ts";
import { subjectsForGrade } from "../../app/lib/curriculum.ts";
import { searchLibrary, type SearchInput } from "../../app/services/library/search.server.ts";
import { refreshLibrarySampleIfStale } from "../../app/services/library/sample.server.ts";

const URL_ = process.env.BENCH_SEARCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/lopso_bench_search";
const ROWS = Number(process.env.BENCH_SEARCH_ROWS ?? 1_000_000);
const PGLITE_ROWS = Number(process.env.BENCH_SEARCH_PGLITE_ROWS ?? 100_000);
const RUNS = Number(process.env.BENCH_SEARCH_RUNS ?? 60);
const TARGET_MS = 50;

const TOPICS = [
  "Phân số", "Số nguyên", "Phương trình bậc hai", "Hàm số bậc nhất", "Định lí Pythagore", "Tam giác đồng dạng",
  "Hệ phương trình", "Thống kê và xác suất", "Phản ứng oxi hóa khử", "Bảng tuần hoàn các nguyên tố hóa học",
  "Axit, bazơ và muối", "Quang hợp ở thực vật", "Tế bào và sự sống", "Di truyền học Menđen", "Chuyển động thẳng đều",
  "Định luật Ôm", "Năng lượng và công suất", "Truyện Kiều của Nguyễn Du", "Văn nghị luận xã hội", "Thơ Đường luật",
  "Tiếng gà trưa", "Chiến dịch Điện Biên Phủ", "Cách mạng tháng Tám năm 1945", "Địa hình Việt Nam",
  "Khí hậu nhiệt đới gió mùa", "Thì hiện tại đơn", "Câu bị động", "Từ vựng chủ đề gia đình", "Lập trình Scratch",
  "Thuật toán sắp xếp", "Bảng tính điện tử", "Bảo vệ môi trường", "An toàn giao thông", "Kĩ năng sống",
  "Lòng biết ơn thầy cô", "Dân ca Quan họ Bắc Ninh", "Vẽ tranh phong cảnh quê hương", "Bóng đá mini", "Chữ cái tiếng Việt",
  "Vần và dấu thanh", "Phép cộng trong phạm vi 100", "Đo độ dài", "Hình học không gian", "Đạo hàm", "Nguyên hàm và tích phân",
  "Sóng cơ", "Điện từ trường", "Kinh tế thị trường", "Quyền và nghĩa vụ công dân", "Đồng bằng sông Cửu Long",
];
const TEMPLATES: [string, string][] = [
  ["Bài giảng {s} {g}: {t}", "Bài giảng"],
  ["Đề kiểm tra giữa kì I môn {s} lớp {g}", "Đề kiểm tra"],
  ["Đề thi học kì II {s} {g} có đáp án", "Đề kiểm tra"],
  ["Phiếu bài tập {s} lớp {g} – {t}", "Bài tập"],
  ["Video: {t} ({s} {g})", "Video"],
  ["Giáo án {s} {g} Kết nối tri thức: {t}", "Giáo án"],
  ["{t}", "Tài liệu tham khảo"],
  ["Chuyên đề {t} – {s} lớp {g}", "Tài liệu tham khảo"],
];
const FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"];
const MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Hữu"];
const GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khánh", "Lan", "Linh", "Minh", "Nam", "Ngọc", "Phương", "Quân", "Sơn", "Thảo", "Trang", "Tuấn"];
const LICENCES = ["CC BY 4.0", "CC BY 4.0", "CC BY 4.0", "CC BY-SA 4.0", "CC BY-SA 4.0", "CC BY-NC 4.0", "Bản quyền thuộc tác giả"];
const REPOSITORIES = ["Kho học liệu số ngành Giáo dục", "Thư viện Sở GD&ĐT", "Học liệu mở Việt Nam", "Kho bài giảng E-learning", "Thư viện trường THPT chuyên"];

const lit = (values: string[]) => `array[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(",")}]`;
/** Deterministic pick k of row i among n. */
const pick = (k: number, n: number | string) => `((hashint4(i + ${k * 1_000_003})::bigint & 2147483647) % ${n})`;

/** SQL that generates resources from..to (and their sources) with generate_series: no round trip per row. */
async function generate(query: (text: string) => Promise<unknown>, rows: number) {
  const combos: { code: string; name: string; grade: number }[] = [];
  for (let grade = 1; grade <= 12; grade++) {
    for (const s of subjectsForGrade(grade)) {
      const weight = ["toan", "ngu-van", "tieng-viet"].includes(s.code) ? 4 : s.code === "tieng-anh" ? 2 : 1;
      for (let w = 0; w < weight; w++) combos.push({ code: s.code, name: s.vi, grade });
    }
  }
  await query(`create temporary table bench_combos (n int primary key, code text, name text, grade smallint)`);
  await query(`insert into bench_combos values ${combos.map((c, n) => `(${n}, '${c.code}', '${c.name.replace(/'/g, "''")}', ${c.grade})`).join(",")}`);
  for (const [n, name] of REPOSITORIES.entries()) {
    await query(`insert into repositories (id, owner_org_id, name, base_url) values ('00000000-0000-4000-8000-00000000000${n}', (select id from organizations limit 1), '${name}', 'https://repo${n}.example/oai')`);
  }
  const batch = 100_000;
  for (let from = 1; from <= rows; from += batch) {
    const to = Math.min(rows, from + batch - 1);
    const started = performance.now();
    await query(`
      insert into resources (id, dedupe_key, title, description, subjects, keywords, authors, subject, grades, resource_type, language, licence, url, search_text, updated_at)
      select md5('r' || i)::uuid, 'bench:' || i, x.title, x.description, array[c.name], array[x.topic, x.type], array[x.author], c.code, array[c.grade]::smallint[],
        x.type, x.language, x.licence, 'https://hoclieu.example/r/' || i,
        library_fold(x.title || ' ' || x.description || ' ' || c.name || ' ' || x.topic || ' ' || x.type || ' ' || x.author),
        timestamptz '2026-11-01' - i * interval '1 minute'
      from generate_series(${from}, ${to}) as i
      join bench_combos c on c.n = ${pick(1, combos.length)}
      cross join lateral (
        select replace(replace(replace(tp[1], '{s}', c.name), '{g}', c.grade::text), '{t}', tp2.topic) as title,
          'Học liệu môn ' || c.name || ' dành cho học sinh lớp ' || c.grade || ', chủ đề ' || tp2.topic || '. '
            || (${lit(["Có hướng dẫn giải chi tiết.", "Dùng cho tiết ôn tập.", "Theo chương trình GDPT 2018.", "Kèm phiếu học tập.", "Phù hợp học trực tuyến."])})[1 + ${pick(5, 5)}] as description,
          tp2.topic, tp[2] as type,
          (${lit(FAMILY)})[1 + ${pick(6, FAMILY.length)}] || ' ' || (${lit(MIDDLE)})[1 + ${pick(7, MIDDLE.length)}] || ' ' || (${lit(GIVEN)})[1 + ${pick(8, GIVEN.length)}] as author,
          case when ${pick(9, 10)} = 0 then 'en' else 'vi' end as language,
          (${lit(LICENCES)})[1 + ${pick(10, LICENCES.length)}] as licence
        from (select array[(${lit(TEMPLATES.map((t) => t[0]))})[1 + ${pick(2, TEMPLATES.length)}], (${lit(TEMPLATES.map((t) => t[1]))})[1 + ${pick(2, TEMPLATES.length)}]] as tp) as tpl(tp)
        cross join lateral (select (${lit(TOPICS)})[1 + ${pick(3, TOPICS.length)}] as topic) as tp2
      ) as x`);
    await query(`
      insert into resource_sources (repository_id, identifier, resource_id, datestamp)
      select ('00000000-0000-4000-8000-00000000000' || ${pick(11, REPOSITORIES.length)})::uuid, 'oai:bench:' || i, md5('r' || i)::uuid, '2026-11-01'
      from generate_series(${from}, ${to}) as i
      union all
      select ('00000000-0000-4000-8000-00000000000' || ((${pick(11, REPOSITORIES.length)} + 1) % ${REPOSITORIES.length}))::uuid, 'oai:bench2:' || i, md5('r' || i)::uuid, '2026-11-01'
      from generate_series(${from}, ${to}) as i where ${pick(12, 10)} = 0`);
    process.stdout.write(`  ${to.toLocaleString("en")} rows (${Math.round(performance.now() - started)} ms)\n`);
  }
  await query(`analyze resources`);
  await query(`analyze resource_sources`);
  await query(`analyze library_words`);
}

type Kind = { name: string; inputs: SearchInput[] };
const KINDS: Kind[] = [
  { name: "narrow", inputs: [{ q: "Đặng Quang Sơn" }, { q: "Bùi Hữu Quân phân số" }, { q: "Di truyền học Menđen lớp 9" }, { q: "Tiếng gà trưa lớp 7" }] },
  { name: "one topic (2%)", inputs: [{ q: "Định lí Pythagore" }, { q: "Tiếng gà trưa" }, { q: "Dân ca Quan họ" }] },
  { name: "broad one-word", inputs: [{ q: "toán" }, { q: "toan" }, { q: "hoa hoc" }, { q: "lop 6" }, { q: "học" }] },
  {
    name: "subject + grade",
    inputs: [{ subject: ["toan"], grade: [6] }, { q: "bài tập", subject: ["toan"], grade: [6] }, { q: "de kiem tra", subject: ["ngu-van"], grade: [9] }, { subject: ["tieng-viet"], grade: [1, 2] }],
  },
  { name: "no diacritics", inputs: [{ q: "toan lop 6" }, { q: "ngu van lop 9" }, { q: "de thi hoc ki" }, { q: "phuong trinh bac hai" }, { q: "dien bien phu" }] },
  { name: "typo", inputs: [{ q: "toam lop 6" }, { q: "phuong trinh bac hia" }, { q: "quang hopp" }, { q: "pythagor" }] },
  { name: "page 3 of broad", inputs: [{ q: "toan", page: 3 }, { q: "lop 6", page: 3 }] },
];

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(db: Db, label: string): Promise<boolean> {
  let pass = true;
  console.log(`\n${label}: ${RUNS} searches per kind, each with its facet counts`);
  console.log("kind                 p50 ms   p95 ms   p99 ms   (example: total)");
  for (const kind of KINDS) {
    for (const input of kind.inputs) await searchLibrary(db, input); // warm
    const times: number[] = [];
    let example = "";
    for (let i = 0; i < RUNS; i++) {
      const input = kind.inputs[i % kind.inputs.length];
      const t0 = performance.now();
      const r = await searchLibrary(db, input);
      times.push(performance.now() - t0);
      if (i === 0) example = `${JSON.stringify(input)} → ${r.estimated ? "≈" : ""}${r.total}, top "${r.hits[0]?.title ?? "-"}"`;
    }
    times.sort((a, b) => a - b);
    const p95 = percentile(times, 95);
    if (p95 > TARGET_MS) pass = false;
    console.log(
      `${kind.name.padEnd(20)} ${percentile(times, 50).toFixed(1).padStart(6)}   ${p95.toFixed(1).padStart(6)}   ${percentile(times, 99).toFixed(1).padStart(6)}   ${example}`,
    );
  }
  return pass;
}

/** Each statement of one search per kind, through auto_explain (sent back as notices): the nodes that touch tables. */
async function explain(url: string) {
  const notices: string[] = [];
  const client = postgres(url, { max: 1, onnotice: (n) => notices.push(String(n.message)) });
  const db = drizzle(client, { schema }) as unknown as Db;
  await client.unsafe(`load 'auto_explain'`);
  await client.unsafe(`set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on; set auto_explain.log_level = notice; set auto_explain.log_timing = on`);
  console.log("\nPlans (auto_explain, ANALYZE): how each statement reaches the rows");
  for (const kind of KINDS) {
    const input = kind.inputs[0];
    notices.length = 0;
    await searchLibrary(db, input);
    const lines = notices
      .flatMap((n) => n.split("\n"))
      .filter((l) => /Scan|Sample|Limit/.test(l) && !/Function Scan|CTE Scan|Subquery Scan|Values Scan/.test(l))
      .map((l) => l.replace(/\(cost=[^)]*\)\s*/, "").replace(/^\s+/, "").replace(/\s+/g, " "));
    console.log(`  ${kind.name} ${JSON.stringify(input)}:`);
    for (const l of [...new Set(lines)].slice(0, 14)) console.log(`    ${l}`);
  }
  await client.end();
}

async function postgresRun() {
  const name = new URL(URL_).pathname.slice(1);
  if (!/bench/.test(name)) throw new Error(`refusing to use ${name}: the database must have "bench" in its name`);
  const adminUrl = new URL(URL_);
  adminUrl.pathname = "/postgres";
  const admin = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
  const exists = (await admin.unsafe(`select 1 from pg_database where datname = '${name}'`)).length > 0;
  let reuse = false;
  if (exists && process.env.BENCH_SEARCH_REGENERATE !== "1") {
    const probe = postgres(URL_, { max: 1, onnotice: () => {} });
    try {
      const [{ n }] = await probe.unsafe(`select count(*)::int as n from resources`);
      reuse = n === ROWS;
    } catch {
      reuse = false;
    }
    await probe.end();
  }
  if (!reuse) {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  }
  await admin.end();
  const database = await openDatabase({ url: URL_, max: 4 });
  await migrate(database);
  if (!reuse) {
    console.log(`Generating ${ROWS.toLocaleString("en")} resources in PostgreSQL (${name})…`);
    const started = performance.now();
    await database.query(`insert into organizations (kind, name, code) values ('province', 'Sở GD&ĐT Bench', 'BENCH')`);
    // Indexes built once after the load are far cheaper than maintained row by row.
    const indexes = await database.query<{ indexdef: string; indexname: string }>(
      `select indexname, indexdef from pg_indexes where tablename in ('resources', 'library_words') and indexdef like '%gin%'`,
    );
    for (const i of indexes) await database.query(`drop index ${i.indexname}`);
    await database.query(`set maintenance_work_mem = '512MB'`);
    await generate((text) => database.query(text), ROWS);
    for (const i of indexes) await database.query(i.indexdef);
    await database.query(`vacuum analyze resources`);
    console.log(`Generated in ${Math.round((performance.now() - started) / 1000)} s`);
  }
  // What the library-sample job does after a harvest: the standing sample broad searches estimate from.
  console.log(`Standing sample: ${JSON.stringify(await refreshLibrarySampleIfStale(database.db))}`);
  await stats(database);
  const pass = await measure(database.db, `PostgreSQL, ${ROWS.toLocaleString("en")} resources`);
  await database.close();
  await explain(URL_);
  return pass;
}

async function stats(database: Database) {
  const [s] = await selectRows<{ rows: number; words: number; size: string }>(
    database.db,
    sql`select (select count(*)::int from resources) as rows, (select count(*)::int from library_words) as words,
      pg_size_pretty(pg_total_relation_size('resources')) as size`,
  );
  console.log(`${s.rows.toLocaleString("en")} resources, ${s.words.toLocaleString("en")} words in the lexicon, table with indexes ${s.size}`);
}

async function pgliteRun() {
  if (PGLITE_ROWS <= 0) return;
  console.log(`\nGenerating ${PGLITE_ROWS.toLocaleString("en")} resources in PGlite (memory)…`);
  const database = await openDatabase({ dataDir: "memory://" });
  await migrate(database);
  await database.query(`insert into organizations (kind, name, code) values ('province', 'Sở GD&ĐT Bench', 'BENCH')`);
  await generate((text) => database.query(text), PGLITE_ROWS);
  console.log(`Standing sample: ${JSON.stringify(await refreshLibrarySampleIfStale(database.db))}`);
  await stats(database);
  await measure(database.db, `PGlite, ${PGLITE_ROWS.toLocaleString("en")} resources`);
  await database.close();
}

const pass = await postgresRun();
await pgliteRun();
console.log(`\nPostgreSQL p95 ≤ ${TARGET_MS} ms for every kind: ${pass ? "PASS" : "MISS"} (figures taken on a machine shared with other work)`);
