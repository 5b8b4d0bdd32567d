/**
 * Harvest ingest at province scale: a local OAI-PMH repository (the fake provider in generator
 * mode, in a child process) serves 1,000,000 generated Vietnamese oai_dc records — some deleted,
 * a few malformed, some the same material twice — in pages of 1,000 with resumptionTokens, made on
 * the fly from the record number. The repository is registered and harvested through the same
 * service the job and the CLI use (registerRepository, runHarvest: the real OAI-PMH client over
 * HTTP, the stream parser, the mapping, the per-page upserts into resources / resource_sources with
 * their GIN indexes and the library_words trigger) into a fresh PostgreSQL database.
 * Prints wall time, records/s (overall and per 100,000), the time spent reading pages (HTTP, parse,
 * map) against writing them (the page's transaction), peak RSS of this process (the harvester
 * alone: the provider runs in its own process) and the final row counts.
 * Target: ≥ 3,000 records/s and peak RSS ≤ 300 MB over 1,000,000 records.
 *
 *   npm run bench:harvest                        # 1,000,000 records
 *   npm run bench:harvest -- --records 100000    # a smaller run
 *   npm run bench:harvest -- --page-size 500
 *
 * BENCH_HARVEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/lopso_bench_harvest) is
 * dropped and made afresh.
 */
import { freshBenchDatabase } from "./bench-database.ts";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import v8 from "node:v8";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import readline from "node:readline";
import { sql } from "drizzle-orm";
import { migrate, openDatabase, selectRows } from "../../db/client.server.ts";
import { organizations } from "../../db/schema/index.ts";
import { OaiPmhClient } from "../../integrations/oai-pmh/client.server.ts";
import { registerRepository, runHarvest, type SourceFactory } from "../../app/services/library/harvest.server.ts";
import { HARVEST_HEAP_MB, runHarvestApart, type ApartOutcome } from "../../app/services/library/harvest-apart.server.ts";
import { startFakeOai, type FakeRecord } from "../fakes/oai-pmh/server.ts";

const { values } = parseArgs({ options: { records: { type: "string" }, "page-size": { type: "string" }, serve: { type: "boolean" }, "in-process": { type: "boolean" } } });
/** In this process (reads and writes timed apart), instead of the child process the job and the CLI start. */
const IN_PROCESS = values["in-process"] ?? false;
const RECORDS = Number((values.records ?? "1000000").replace(/[_,]/g, ""));
const PAGE_SIZE = Number(values["page-size"] ?? 1000);
const URL_ = process.env.BENCH_HARVEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/lopso_bench_harvest";
const TARGET_RATE = 3000;
const TARGET_MB = 300;

// ---------------------------------------------------------------------------------------------
// The generated repository (deterministic: record i is always the same record)

const SUBJECTS = ["Toán", "Toán", "Toán", "Ngữ văn", "Ngữ văn", "Tiếng Anh", "Khoa học tự nhiên", "Vật lí", "Hóa học", "Sinh học", "Lịch sử", "Địa lí", "Tin học", "Công nghệ", "Giáo dục công dân", "Âm nhạc", "Mĩ thuật", "Tiếng Việt"];
const TOPICS = [
  "Phân số", "Số nguyên", "Phương trình bậc hai", "Hàm số bậc nhất", "Định lí Pythagore", "Tam giác đồng dạng", "Hệ phương trình",
  "Thống kê và xác suất", "Phản ứng oxi hóa khử", "Bảng tuần hoàn các nguyên tố hóa học", "Axit, bazơ và muối", "Quang hợp ở thực vật",
  "Tế bào và sự sống", "Di truyền học Menđen", "Chuyển động thẳng đều", "Định luật Ôm", "Năng lượng và công suất", "Truyện Kiều của Nguyễn Du",
  "Văn nghị luận xã hội", "Thơ Đường luật", "Chiến dịch Điện Biên Phủ", "Cách mạng tháng Tám năm 1945", "Địa hình Việt Nam",
  "Khí hậu nhiệt đới gió mùa", "Thì hiện tại đơn", "Câu bị động", "Lập trình Scratch", "Thuật toán sắp xếp", "Bảng tính điện tử",
  "Bảo vệ môi trường", "An toàn giao thông", "Dân ca Quan họ Bắc Ninh", "Vẽ tranh phong cảnh quê hương", "Phép cộng trong phạm vi 100",
  "Đo độ dài", "Hình học không gian", "Đạo hàm", "Nguyên hàm và tích phân", "Sóng cơ", "Điện từ trường", "Đồng bằng sông Cửu Long",
];
const TEMPLATES: [string, string][] = [
  ["Bài giảng {s} lớp {g}: {t}", "Bài giảng"],
  ["Đề kiểm tra giữa kì I môn {s} lớp {g}", "Đề kiểm tra"],
  ["Đề thi học kì II {s} {g} có đáp án – {t}", "Đề kiểm tra"],
  ["Phiếu bài tập {s} lớp {g} – {t}", "Bài tập"],
  ["Video: {t} ({s} {g})", "Video"],
  ["Giáo án {s} {g} Kết nối tri thức: {t}", "Giáo án"],
  ["Chuyên đề {t} – {s} lớp {g}", "Tài liệu tham khảo"],
  ["Bài trình chiếu {s} {g}: {t}", "Trình chiếu"],
];
const FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"];
const MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Hữu"];
const GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khánh", "Lan", "Linh", "Minh", "Nam", "Ngọc", "Phương", "Quân", "Sơn", "Thảo", "Trang", "Tuấn"];
const LICENCES = ["CC BY 4.0", "CC BY 4.0", "CC BY-SA 4.0", "CC BY-NC 4.0", "Bản quyền thuộc tác giả"];
const PUBLISHERS = ["Sở GD&ĐT Bench", "Nhà xuất bản Giáo dục Việt Nam", "Trường THCS Nguyễn Du", "Trường THPT Lê Quý Đôn"];
const SENTENCES = [
  "Tài liệu được biên soạn theo chương trình giáo dục phổ thông 2018.",
  "Gồm phần lí thuyết trọng tâm, ví dụ minh họa và bài tập tự luyện có lời giải chi tiết.",
  "Phù hợp cho học sinh ôn tập trước kì kiểm tra và cho giáo viên tham khảo khi soạn bài.",
  "Có hướng dẫn tổ chức hoạt động nhóm và phiếu đánh giá theo năng lực.",
  "Các câu hỏi được sắp xếp từ nhận biết, thông hiểu đến vận dụng và vận dụng cao.",
];
const HOST = "kho.bench.edu.vn";
const EPOCH = Date.UTC(2021, 0, 1);

/** A deterministic pseudo-random pick k of record i among n. */
const pick = (i: number, k: number, n: number) => ((Math.imul(i + 1, 2654435761) ^ Math.imul(k + 7, 40503)) >>> 0) % n;

/** Record i: 2 % deleted, 0.2 % malformed (no title, bad datestamp, no identifier), 1 % the same URL as an earlier record. */
export function makeRecord(i: number): FakeRecord {
  const identifier = `oai:${HOST}:tai-lieu/${i}`;
  const datestamp = new Date(EPOCH + i * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
  if (i % 50 === 7) return { identifier, datestamp, deleted: true };
  if (i % 1000 === 11) return { identifier, datestamp, rawHeader: `<header><identifier></identifier><datestamp>${datestamp}</datestamp></header>` };
  if (i % 1000 === 511) return { identifier, datestamp, rawHeader: `<header><identifier>${identifier}</identifier><datestamp>04/12/2026</datestamp></header>` };
  const subject = SUBJECTS[pick(i, 1, SUBJECTS.length)]!;
  const grade = 1 + pick(i, 2, 12);
  const topic = TOPICS[pick(i, 3, TOPICS.length)]!;
  const [template, type] = TEMPLATES[pick(i, 4, TEMPLATES.length)]!;
  const title = template.replace("{s}", subject).replace("{g}", String(grade)).replace("{t}", topic);
  const person = (k: number) => `${FAMILY[pick(i, k, FAMILY.length)]} ${MIDDLE[pick(i, k + 1, MIDDLE.length)]} ${GIVEN[pick(i, k + 2, GIVEN.length)]}`;
  // The same material as record i − 1,000 (another copy of it): one resource, two sources.
  const same = i % 100 === 42 && i >= 1000 ? i - 1000 : i;
  const identifiers = [`https://${HOST}/tai-lieu/${same}`];
  if (i % 10 === 3) identifiers.push(`https://doi.org/10.5555/bench.${same}`);
  const dc: Record<string, string[]> = {
    title: i % 1000 === 911 ? [] : [title],
    creator: i % 3 === 0 ? [person(10), person(20)] : [person(10)],
    subject: [subject, `Lớp ${grade}`, topic],
    description: [`${SENTENCES[pick(i, 5, SENTENCES.length)]} ${SENTENCES[pick(i, 6, SENTENCES.length)]}`],
    publisher: [PUBLISHERS[pick(i, 7, PUBLISHERS.length)]!],
    date: [datestamp.slice(0, 10)],
    type: [type],
    format: [type === "Video" ? "video/mp4" : "application/pdf"],
    identifier: identifiers,
    language: ["vi"],
    rights: [LICENCES[pick(i, 8, LICENCES.length)]!],
  };
  return { identifier, datestamp, sets: [`mon:${pick(i, 1, SUBJECTS.length)}`], dc };
}

if (values.serve) {
  // The child: the repository, until its parent closes stdin.
  const fake = await startFakeOai({ granularity: "YYYY-MM-DDThh:mm:ssZ", pageSize: PAGE_SIZE, deletedRecord: "persistent", name: "Kho học liệu Bench", generate: { count: RECORDS, make: makeRecord } });
  console.log(JSON.stringify({ url: fake.url }));
  process.stdin.resume();
  process.stdin.on("end", () => void fake.close().then(() => process.exit(0)));
} else {
  await main();
}

// ---------------------------------------------------------------------------------------------


/** CPU seconds (user + system) a process has used so far, from /proc (0 where unreadable). */
function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function startProvider(): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, "--serve", "--records", String(RECORDS), "--page-size", String(PAGE_SIZE)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const [line] = (await once(lines, "line")) as [string];
  const { url } = JSON.parse(line) as { url: string };
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

async function main() {
  const mb = (b: number) => `${Math.round(b / 1024 ** 2)} MB`;
  const fmt = (n: number) => Math.round(n).toLocaleString("en");
  console.log(`Harvest bench: ${fmt(RECORDS)} generated oai_dc records, pages of ${PAGE_SIZE}, into ${URL_.replace(/\/\/[^@]*@/, "//")}`);
  const provider = await startProvider();
  await freshBenchDatabase(URL_);
  const database = await openDatabase({ url: URL_ });
  await migrate(database);
  const db = database.db;
  const [province] = await db.insert(organizations).values({ kind: "province", name: "Sở GD&ĐT Bench", code: "BENCH" }).returning();
  const { repository } = await registerRepository(db, { ownerOrgId: province!.id, baseUrl: provider.url, schedule: "manual" });

  // The real client, counting what each committed page held; the time spent reading pages (HTTP,
  // parse, map) and writing them (the page's transaction), which the harvester overlaps.
  let seen = 0;
  let readMs = 0;
  let writeMs = 0;
  const marks: { at: number; ms: number }[] = [];
  const read: number[] = [];
  const started = { t: 0 };
  const source: SourceFactory = (baseUrl) => {
    const client = new OaiPmhClient(baseUrl);
    const harvest = client.harvest.bind(client);
    client.harvest = async function* (req) {
      const it = harvest(req);
      for (;;) {
        const t = performance.now();
        const next = await it.next();
        readMs += performance.now() - t;
        if (next.done) return;
        const p = next.value;
        read.push(p.records.length + p.deletions.length + p.skipped.length);
        yield p;
      }
    };
    return client;
  };
  const transaction = db.transaction.bind(db);
  db.transaction = (async (fn: Parameters<typeof transaction>[0], config?: Parameters<typeof transaction>[1]) => {
    const t = performance.now();
    const result = await transaction(fn, config);
    writeMs += performance.now() - t;
    return result;
  }) as typeof db.transaction;
  // Called after each committed page, in order: the records it held are the oldest read.
  const onPage = () => {
    const before = seen;
    seen += read.shift() ?? 0;
    if (Math.floor(seen / 100_000) > Math.floor(before / 100_000)) marks.push({ at: seen, ms: performance.now() - started.t });
    if (process.env.BENCH_HARVEST_HEAP && Math.floor(seen / 10_000) > Math.floor(before / 10_000)) {
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      if (process.env.BENCH_HARVEST_HEAP === "snap" && (seen === 10_000 || seen === 30_000)) console.log(v8.writeHeapSnapshot(`/tmp/harvest-${seen}.heapsnapshot`));
      console.log(`  ${fmt(seen)}: rss ${mb(m.rss)}, heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, external ${mb(m.external)}, array buffers ${mb(m.arrayBuffers)}`);
    }
  };
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const cpu0 = process.cpuUsage();
  const providerCpu0 = cpuSeconds(provider.pid);
  const dbCpu0 = (await selectRows<{ pid: number }>(db, sql`select pid from pg_stat_activity where datname = current_database()`)).reduce((n, b) => n + cpuSeconds(b.pid), 0);
  let dbCpuSeen = 0;
  started.t = performance.now();
  let out: ApartOutcome;
  if (IN_PROCESS) {
    out = await runHarvest(db, repository.id, { full: true, source, onPage });
  } else {
    // As the job and the CLI run it: in a child process. Progress is read from the run's row, and
    // the database's CPU from its backends as it goes (the child's backend ends with the child).
    const progress = setInterval(async () => {
      const [run] = await selectRows<{ pages: number }>(db, sql`select pages from harvest_runs where repository_id = ${repository.id} order by started_at desc limit 1`);
      const at = Math.min(RECORDS, (run?.pages ?? 0) * PAGE_SIZE);
      if (Math.floor(at / 100_000) > Math.floor(seen / 100_000)) marks.push({ at: Math.floor(at / 100_000) * 100_000, ms: performance.now() - started.t });
      seen = at;
      const backends = await selectRows<{ pid: number }>(db, sql`select pid from pg_stat_activity where datname = current_database()`);
      dbCpuSeen = Math.max(dbCpuSeen, backends.reduce((n, b) => n + cpuSeconds(b.pid), 0));
    }, 250);
    try {
      out = await runHarvestApart(database, repository.id, { full: true });
    } finally {
      clearInterval(progress);
    }
    seen = RECORDS;
    if (marks.at(-1)?.at !== RECORDS) marks.push({ at: RECORDS, ms: performance.now() - started.t });
  }
  const ms = performance.now() - started.t;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const cpu = process.cpuUsage(cpu0);
  const providerCpu = cpuSeconds(provider.pid) - providerCpu0;
  const backends = await selectRows<{ pid: number }>(db, sql`select pid from pg_stat_activity where datname = current_database()`);
  const dbCpu = Math.max(dbCpuSeen, backends.reduce((n, b) => n + cpuSeconds(b.pid), 0)) - dbCpu0;
  await provider.stop();
  // Out of process, the harvester is the child: its own peak resident memory (getrusage) and CPU.
  if (!IN_PROCESS) peak = (out.maxRssKb ?? 0) * 1024;
  const harvesterCpuS = IN_PROCESS ? (cpu.user + cpu.system) / 1e6 : (out.cpuMs ?? 0) / 1000;

  const rate = (seen * 1000) / ms;
  console.log(`harvest ${out.status}: ${fmt(seen)} records in ${(ms / 1000).toFixed(1)} s = ${fmt(rate)} records/s; ${out.pages} pages`);
  console.log(`  added ${fmt(out.added)}, updated ${fmt(out.updated)}, deleted ${fmt(out.deleted)}, skipped ${fmt(out.skipped)} (${[...new Set(out.skips.map((s) => s.reason.split(":")[0]))].join(", ")})`);
  if (IN_PROCESS) console.log(`  reading pages (HTTP, parse, map) ${(readMs / 1000).toFixed(1)} s, writing them (the pages' transactions) ${(writeMs / 1000).toFixed(1)} s, overlapped in ${(ms / 1000).toFixed(1)} s`);
  else console.log(`  in a child process, as the job and the CLI run it (old-generation heap ${HARVEST_HEAP_MB} MB)`);
  const perRecord = (sec: number) => `${sec.toFixed(1)} s (${Math.round((sec * 1e6) / Math.max(1, seen))} µs/record)`;
  console.log(`  CPU: harvester ${perRecord(harvesterCpuS)}, PostgreSQL backends ${perRecord(dbCpu)}, provider ${perRecord(providerCpu)}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  let prev = { at: 0, ms: 0 };
  for (const m of marks) {
    console.log(`  ${fmt(prev.at).padStart(9)} – ${fmt(m.at).padEnd(9)} ${fmt(((m.at - prev.at) * 1000) / (m.ms - prev.ms)).padStart(6)} records/s`);
    prev = m;
  }
  const [c] = await selectRows<Record<string, string | number>>(db, sql`select
      (select count(*) from resources)::int as resources, (select count(*) from resource_sources)::int as sources,
      (select count(*) from library_words)::int as words, (select count(*) from harvest_skips)::int as skips,
      pg_size_pretty(pg_total_relation_size('resources') + pg_total_relation_size('resource_sources')) as size`);
  console.log(`  rows: resources ${fmt(Number(c!.resources))}, resource_sources ${fmt(Number(c!.sources))}, library_words ${fmt(Number(c!.words))}, harvest_skips ${fmt(Number(c!.skips))}; tables with indexes ${c!.size}`);
  console.log(IN_PROCESS ? `  peak RSS of the harvester ${mb(peak)} (${mb(rss0)} before the harvest began)` : `  peak RSS of the harvester (the child process) ${mb(peak)}`);
  const full = RECORDS >= 1_000_000;
  console.log(
    `${rate >= TARGET_RATE ? "PASS" : "MISS"} records/s ${fmt(rate)} (target ≥ ${fmt(TARGET_RATE)}); ${peak <= TARGET_MB * 1024 ** 2 ? "PASS" : "MISS"} peak RSS ${mb(peak)} (target ≤ ${TARGET_MB} MB)${full ? "" : ` — at ${fmt(RECORDS)} records, the target is for 1,000,000`}`,
  );
  await database.close();
  if (out.status !== "succeeded") process.exitCode = 1;
}
