/**
 * Harvesting over OAI-PMH into the library, against the fake repository of tests/fakes/oai-pmh (and
 * the real recorded responses it can serve): paging to the end, incremental `from`, sets, deletions,
 * skipped records, the protocol's errors, HTTP flow control, bad answers, crash and resume, and the
 * same material from two repositories as one resource.
 */
import path from "node:path";
import { and, asc, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { harvestRuns, harvestSkips, organizations, repositories, resources, resourceSources } from "../../db/schema/index.ts";
import { OaiPmhClient } from "../../integrations/oai-pmh/client.server.ts";
import { registerRepository, requestHarvest, runHarvest, dueRepositories, RepositoryCheckError, type SourceFactory } from "../../app/services/library/harvest.server.ts";
import { serveFile, startFakeOai, type FakeOai, type FakeRecord, type FakeResponse } from "../fakes/oai-pmh/server.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";
import { runHarvestApart } from "../../app/services/library/harvest-apart.server.ts";

const SAMPLES = "/work/shared/samples/oaipmh";
let database: TestDatabase;
let provinceId: string;
const fakes: FakeOai[] = [];
/** No real sleeping in tests: Retry-After waits are recorded instead. */
const waits: number[] = [];
const source: SourceFactory = (url) => new OaiPmhClient(url, { sleep: async (ms) => void waits.push(ms), maxInlineWaitMs: 15_000, batchSize: 7 });

const SUBJECTS = [
  ["Toán", "lớp 6"],
  ["toan hoc", "lop 7"],
  ["Mathematics", "Grade 8"],
  ["Ngữ văn", "khối 9"],
  ["Khoa học tự nhiên", "THCS"],
  ["Vật lí", "lớp 10"],
  ["Tiếng Việt", "tiểu học"],
] as const;

function rec(i: number, extra: Partial<FakeRecord> = {}): FakeRecord {
  const [subject, grade] = SUBJECTS[i % SUBJECTS.length]!;
  const day = String(1 + (i % 28)).padStart(2, "0");
  return {
    identifier: `oai:kho.example.edu.vn:${i}`,
    datestamp: `2026-0${1 + Math.floor(i / 28) % 9}-${day}T0${i % 10}:00:00Z`,
    sets: [i % 2 ? "thcs" : "thpt"],
    dc: {
      title: [`Học liệu số ${i}: ${subject} ${grade}`],
      subject: [subject, grade],
      creator: ["Nguyễn Thị Lan"],
      description: [`Mô tả học liệu ${i}`],
      type: ["Bài giảng"],
      language: ["vie"],
      rights: ["https://creativecommons.org/licenses/by-sa/4.0/"],
      identifier: [`https://kho.example.edu.vn/item/${i}`],
    },
    ...extra,
  };
}

async function fake(opts: Parameters<typeof startFakeOai>[0]) {
  const f = await startFakeOai(opts);
  fakes.push(f);
  return f;
}

async function register(f: FakeOai, extra: Partial<Parameters<typeof registerRepository>[1]> = {}) {
  return (await registerRepository(database.db, { ownerOrgId: provinceId, baseUrl: f.url, ...extra }, source)).repository;
}

const db = () => database.db;
const sourcesOf = (repositoryId: string) => db().select().from(resourceSources).where(eq(resourceSources.repositoryId, repositoryId)).orderBy(asc(resourceSources.identifier));
const resourceRows = () => db().select().from(resources).orderBy(asc(resources.dedupeKey));

beforeAll(async () => {
  database = await freshDatabase();
  const [p] = await database.db.insert(organizations).values({ kind: "province", name: "Sở GD&ĐT Thử", code: "SO-THU" }).returning();
  provinceId = p!.id;
});

afterEach(async () => {
  while (fakes.length) await fakes.pop()!.close();
  await db().delete(repositories);
  await db().delete(resources);
  waits.length = 0;
});

afterAll(async () => {
  await database.drop();
});

describe("registering", () => {
  it("checks the base URL with Identify and ListMetadataFormats and stores what Identify says", async () => {
    const f = await fake({ granularity: "YYYY-MM-DDThh:mm:ssZ", formats: ["oai_dc", "lom"], deletedRecord: "transient" });
    const repo = await register(f, { metadataPrefix: "lom", sets: ["thcs"], schedule: "weekly" });
    expect(repo).toMatchObject({ name: "Kho học liệu thử", granularity: "YYYY-MM-DDThh:mm:ssZ", deletedRecord: "transient", metadataPrefix: "lom", sets: ["thcs"], schedule: "weekly", adminEmail: "kho@example.edu.vn" });
    expect(f.requests.map((q) => q.get("verb"))).toEqual(["Identify", "ListMetadataFormats"]);
  });

  it("refuses a format the repository does not offer, an HTML page, JSON and an unreachable address — in plain words", async () => {
    const f = await fake({});
    await expect(register(f, { metadataPrefix: "lom" })).rejects.toMatchObject({ key: "repositories.error.formatNotOffered" });
    f.override = () => ({ headers: { "content-type": "text/html; charset=utf-8" }, body: "<!DOCTYPE html><html><head><title>Trang chủ trường</title></head><body>Xin chào</body></html>" });
    await expect(register(f)).rejects.toMatchObject({ key: "repositories.error.html", detail: "Trang chủ trường" });
    f.override = () => ({ headers: { "content-type": "application/json" }, body: '{"status":"ok"}' });
    await expect(register(f)).rejects.toMatchObject({ key: "repositories.error.json" });
    f.override = () => ({ headers: { "content-type": "text/xml" }, body: "<rss><channel/></rss>" });
    await expect(register(f)).rejects.toMatchObject({ key: "repositories.error.notOai" });
    f.override = () => ({ headers: { "content-type": "text/html" }, status: 404, body: "<html><title>Not Found</title></html>" });
    await expect(register(f)).rejects.toMatchObject({ key: "repositories.error.html" });
    await expect(registerRepository(db(), { ownerOrgId: provinceId, baseUrl: "http://127.0.0.1:9/oai" }, source)).rejects.toMatchObject({ key: "repositories.error.unreachable" });
    await expect(registerRepository(db(), { ownerOrgId: provinceId, baseUrl: "ftp://kho/oai" }, source)).rejects.toBeInstanceOf(RepositoryCheckError);
    expect(await db().select().from(repositories)).toHaveLength(0);
  });
});

describe("in a process of its own, as the job and the CLI run it", () => {
  it("harvests as in this process, and a harvest killed midway resumes where it stopped with nothing doubled", async () => {
    const f = await fake({ records: Array.from({ length: 30 }, (_, i) => rec(i)), pageSize: 5 });
    const repo = await register(f);
    if (database.kind === "pglite") {
      // The embedded database allows one process: the harvest runs in this one.
      const out = await runHarvestApart(database, repo.id);
      expect(out).toMatchObject({ status: "succeeded", added: 30, pages: 6 });
      expect(out.maxRssKb).toBeUndefined();
      return;
    }
    // The fourth list request is answered "come back in 5 s": the child waits, and is killed meanwhile.
    const lists = () => f.requests.filter((q) => q.get("verb") === "ListRecords").length;
    f.override = (q) => (q.get("verb") === "ListRecords" && lists() >= 4 ? { status: 503, headers: { "retry-after": "5" }, body: "" } : undefined);
    let pid = 0;
    const first = runHarvestApart(database, repo.id, {}, { onChild: (p) => (pid = p) });
    first.catch(() => {});
    const pagesSaved = async () => (await db().select().from(harvestRuns).where(eq(harvestRuns.repositoryId, repo.id)))[0]?.pages ?? 0;
    for (let i = 0; i < 300 && (await pagesSaved()) < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await pagesSaved()).toBe(3);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, "SIGKILL");
    await expect(first).rejects.toThrow(/stopped \(SIGKILL\)/);
    expect(await sourcesOf(repo.id)).toHaveLength(15);
    const [open] = await db().select().from(harvestRuns).where(eq(harvestRuns.repositoryId, repo.id));
    expect(open).toMatchObject({ status: "running", pages: 3 });
    expect(open!.resumptionToken).toBeTruthy();

    f.override = null;
    const before = lists();
    const out = await runHarvestApart(database, repo.id);
    expect(out).toMatchObject({ runId: open!.id, status: "succeeded", added: 30, pages: 6 });
    expect(out.maxRssKb).toBeGreaterThan(10_000);
    expect(out.cpuMs).toBeGreaterThan(0);
    // Resumed with the saved token: the first request of the second child asks for page 4.
    const resumed = f.requests.filter((q) => q.get("verb") === "ListRecords")[before]!;
    expect(resumed.get("resumptionToken")).toBe(open!.resumptionToken);
    expect(await sourcesOf(repo.id)).toHaveLength(30);
    expect(await resourceRows()).toHaveLength(30);
  }, 60_000);
});

describe("harvesting", () => {
  it("pages through resumptionTokens to the end; each token request carries only verb and resumptionToken", async () => {
    const f = await fake({ records: Array.from({ length: 53 }, (_, i) => rec(i)), pageSize: 10 });
    const repo = await register(f);
    const out = await runHarvest(db(), repo.id, { source });
    expect(out).toMatchObject({ status: "succeeded", added: 53, updated: 0, deleted: 0, skipped: 0, pages: 6 });
    const lists = f.requests.filter((q) => q.get("verb") === "ListRecords");
    expect(lists).toHaveLength(6);
    expect([...lists[0]!.keys()].sort()).toEqual(["metadataPrefix", "verb"]);
    for (const q of lists.slice(1)) expect([...q.keys()].sort()).toEqual(["resumptionToken", "verb"]);
    expect(await sourcesOf(repo.id)).toHaveLength(53);
    const rows = await resourceRows();
    expect(rows).toHaveLength(53);
    const r6 = rows.find((r) => r.title.startsWith("Học liệu số 0:"))!;
    expect(r6).toMatchObject({ subject: "toan", grades: [6], resourceType: "lesson", language: "vi", licence: "CC-BY-SA-4.0", url: "https://kho.example.edu.vn/item/0", dedupeKey: "url:kho.example.edu.vn/item/0" });
    expect(r6.searchText).toBe("hoc lieu so 0: toan lop 6 mo ta hoc lieu 0 toan lop 6 nguyen thi lan");
    expect(rows.find((r) => r.title.startsWith("Học liệu số 4:"))).toMatchObject({ subject: "khtn", grades: [6, 7, 8, 9] });
    expect(rows.find((r) => r.title.startsWith("Học liệu số 2:"))).toMatchObject({ subject: "toan", grades: [8] });
    const [repoAfter] = await db().select().from(repositories).where(eq(repositories.id, repo.id));
    expect(repoAfter!.lastDatestamp).toBe("2026-02-25");
  });

  it("harvests incrementally from the last datestamp at the announced granularity; --full from the start", async () => {
    for (const granularity of ["YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ"] as const) {
      const records = Array.from({ length: 12 }, (_, i) => rec(i));
      const f = await fake({ records, pageSize: 5, granularity });
      const repo = await register(f);
      await runHarvest(db(), repo.id, { source });
      const [r1] = await db().select().from(repositories).where(eq(repositories.id, repo.id));
      expect(r1!.lastDatestamp).toBe(granularity === "YYYY-MM-DD" ? "2026-01-12" : "2026-01-12T01:00:00Z");
      records.push(rec(40, { datestamp: "2026-03-01T10:00:00Z" }));
      records[3] = rec(3, { datestamp: "2026-03-01T10:00:00Z", dc: { ...rec(3).dc!, title: ["Học liệu số 3 (sửa): Ngữ văn lớp 9"] } });
      f.requests.length = 0;
      const out = await runHarvest(db(), repo.id, { source });
      const first = f.requests.find((q) => q.get("verb") === "ListRecords")!;
      expect(first.get("from")).toBe(granularity === "YYYY-MM-DD" ? "2026-01-12" : "2026-01-12T01:00:00Z");
      // The last day's record again (unchanged, not counted), the edited one and the new one.
      expect(out).toMatchObject({ status: "succeeded", added: 1, updated: 1, deleted: 0 });
      const full = await runHarvest(db(), repo.id, { source, full: true });
      expect(full).toMatchObject({ status: "succeeded", mode: "full", added: 0, updated: 0 });
      expect(f.requests.filter((q) => q.get("verb") === "ListRecords").at(-1)!.has("from")).toBe(false);
      await db().delete(repositories);
      await db().delete(resources);
    }
  });

  it("harvests only the chosen sets, one after the other", async () => {
    const f = await fake({ records: Array.from({ length: 20 }, (_, i) => rec(i)), pageSize: 4, sets: [{ spec: "thcs", name: "THCS" }, { spec: "thpt", name: "THPT" }] });
    const repo = await register(f, { sets: ["thcs"] });
    expect(await runHarvest(db(), repo.id, { source })).toMatchObject({ status: "succeeded", added: 10 });
    expect(f.requests.filter((q) => q.get("set")).every((q) => q.get("set") === "thcs")).toBe(true);
    expect(await runHarvest(db(), repo.id, { source, set: "thpt", full: true })).toMatchObject({ status: "succeeded", added: 10 });
    expect(await sourcesOf(repo.id)).toHaveLength(20);
  });

  it("removes deleted records' sources, and the resource once no source holds it", async () => {
    const records = Array.from({ length: 8 }, (_, i) => rec(i));
    const f = await fake({ records, pageSize: 3 });
    const repo = await register(f);
    await runHarvest(db(), repo.id, { source });
    records[2] = { identifier: records[2]!.identifier, datestamp: "2026-03-02T00:00:00Z", deleted: true };
    records[5] = { identifier: records[5]!.identifier, datestamp: "2026-03-02T00:00:00Z", deleted: true };
    const out = await runHarvest(db(), repo.id, { source });
    expect(out).toMatchObject({ status: "succeeded", deleted: 2, added: 0 });
    expect((await sourcesOf(repo.id)).map((s) => s.identifier)).not.toContain("oai:kho.example.edu.vn:2");
    expect(await resourceRows()).toHaveLength(6);
    // A deletion of a record never harvested changes nothing.
    records.push({ identifier: "oai:kho.example.edu.vn:999", datestamp: "2026-03-03T00:00:00Z", deleted: true });
    expect(await runHarvest(db(), repo.id, { source })).toMatchObject({ status: "succeeded", deleted: 0 });
  });

  it("skips malformed records with their identifier and reason, and takes the rest", async () => {
    const records = Array.from({ length: 10 }, (_, i) => rec(i));
    records[1] = rec(1, { dc: { description: ["Không có nhan đề"] } });
    records[4] = rec(4, { rawHeader: `<header><datestamp>2026-01-05</datestamp></header>` });
    records[6] = rec(6, { rawHeader: `<header><identifier>oai:kho.example.edu.vn:6</identifier><datestamp>hôm qua</datestamp></header>` });
    records[8] = rec(8, { rawMetadata: `<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${"Rất dài ".repeat(40_000)}</dc:title></oai_dc:dc>` });
    const f = await fake({ records, pageSize: 4 });
    const repo = await register(f);
    const out = await runHarvest(db(), repo.id, { source });
    expect(out).toMatchObject({ status: "succeeded", added: 6, skipped: 4 });
    expect(out.skips).toEqual([
      { identifier: "oai:kho.example.edu.vn:1", reason: "no_title" },
      { identifier: "", reason: "missing_identifier" },
      { identifier: "oai:kho.example.edu.vn:6", reason: "bad_datestamp: hôm qua" },
      { identifier: "oai:kho.example.edu.vn:8", reason: "too_large" },
    ]);
    expect(await db().select().from(harvestSkips).where(eq(harvestSkips.runId, out.runId))).toHaveLength(4);
  });

  it("takes noRecordsMatch as a successful harvest of nothing", async () => {
    const f = await fake({ records: [rec(1)] });
    const repo = await register(f);
    await db().update(repositories).set({ lastDatestamp: "2027-01-01" }).where(eq(repositories.id, repo.id));
    expect(await runHarvest(db(), repo.id, { source })).toMatchObject({ status: "succeeded", added: 0, pages: 0 });
  });

  it("restarts from the last saved datestamp after a badResumptionToken", async () => {
    const f = await fake({ records: Array.from({ length: 9 }, (_, i) => rec(i)), pageSize: 3 });
    const repo = await register(f);
    let refused = 0;
    f.expireToken = () => refused++ === 0;
    const out = await runHarvest(db(), repo.id, { source });
    expect(out).toMatchObject({ status: "succeeded", added: 9 });
    const lists = f.requests.filter((q) => q.get("verb") === "ListRecords");
    expect(lists.filter((q) => q.has("metadataPrefix"))).toHaveLength(2);
  });

  it("waits out a 503 with Retry-After (seconds or an HTTP date); a long wait re-schedules the harvest, which then resumes", async () => {
    const f = await fake({ records: Array.from({ length: 6 }, (_, i) => rec(i)), pageSize: 2 });
    const repo = await register(f);
    let n = 0;
    f.override = (q): FakeResponse | undefined => {
      if (q.get("verb") !== "ListRecords") return undefined;
      n++;
      if (n === 1) return { status: 503, headers: { "retry-after": "3", "content-type": "text/html" }, body: "<html>busy</html>" };
      if (n === 3) return { status: 503, headers: { "retry-after": new Date(Date.now() + 8000).toUTCString() }, body: "" };
      if (n === 5) return { status: 503, headers: { "retry-after": "3600" }, body: "" };
      return undefined;
    };
    const first = await runHarvest(db(), repo.id, { source });
    expect(first.status).toBe("waiting");
    expect(first.retryAt!.getTime()).toBeGreaterThan(Date.now() + 3_000_000);
    expect(first.error?.key).toBe("repositories.error.retryLater");
    expect(waits[0]).toBe(3000);
    expect(waits[1]).toBeGreaterThan(2000);
    const [open] = await db().select().from(harvestRuns).where(eq(harvestRuns.repositoryId, repo.id));
    expect(open).toMatchObject({ status: "running", added: 4 });
    expect(await dueRepositories(db())).toContain(repo.id);
    const second = await runHarvest(db(), repo.id, { source });
    expect(second).toMatchObject({ status: "succeeded", runId: first.runId, added: 6 });
  });

  it("retries other 5xx with backoff, then fails in plain words", async () => {
    const f = await fake({ records: [rec(1)] });
    const repo = await register(f);
    let n = 0;
    f.override = (q) => (q.get("verb") === "ListRecords" && n++ < 2 ? { status: 502, body: "Bad gateway" } : undefined);
    expect(await runHarvest(db(), repo.id, { source })).toMatchObject({ status: "succeeded", added: 1 });
    f.override = (q) => (q.get("verb") === "ListRecords" ? { status: 500, body: "oops" } : undefined);
    const out = await runHarvest(db(), repo.id, { source, full: true });
    expect(out).toMatchObject({ status: "failed", error: { key: "repositories.error.serverError" } });
    const [run] = await db().select().from(harvestRuns).where(eq(harvestRuns.id, out.runId));
    expect(run!.status).toBe("failed");
    expect(run!.error).toMatch(/^repositories\.error\.serverError/);
  });

  it("fails with a clear reason on an HTML page, JSON, invalid XML, a wrong encoding, a looping token, an unreachable repository", async () => {
    const f = await fake({ records: Array.from({ length: 6 }, (_, i) => rec(i)), pageSize: 2 });
    const repo = await register(f);
    const cases: [FakeOai["override"], string][] = [
      [(q) => (q.get("verb") === "ListRecords" ? { headers: { "content-type": "text/html" }, body: "<!doctype html><html><title>Lỗi</title></html>" } : undefined), "html"],
      [(q) => (q.get("verb") === "ListRecords" ? { headers: { "content-type": "application/json" }, body: "[]" } : undefined), "json"],
      [(q) => (q.get("verb") === "ListRecords" ? { body: `<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><header>` } : undefined), "invalidXml"],
      [(q) => (q.get("verb") === "ListRecords" ? { body: `<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords></OAI-PMH>` } : undefined), "invalidXml"],
      [(q) => (q.get("verb") === "ListRecords" ? { headers: { "content-type": "text/xml" }, body: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><header><identifier>a</identifier><datestamp>2026-01-01</datestamp></header><metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>To\u00e1n l\u1edbp 6</dc:title></oai_dc:dc></metadata></record></ListRecords></OAI-PMH>`.replace("\u1edb", "o"), "latin1") } : undefined), "badEncoding"],
      [(q) => (q.get("verb") === "ListRecords" ? { body: `<?xml version="1.0" encoding="x-unknown-42"?><OAI-PMH/>`, headers: { "content-type": "text/xml" } } : undefined), "unsupportedEncoding"],
      [(q) => (q.get("verb") === "ListRecords" ? { body: `<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>${`<record><header><identifier>oai:x:${q.get("resumptionToken") ?? 0}</identifier><datestamp>2026-01-01</datestamp></header><metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Lặp</dc:title></oai_dc:dc></metadata></record>`}<resumptionToken>${q.get("resumptionToken") === "B" ? "A" : q.get("resumptionToken") === "A" ? "B" : "A"}</resumptionToken></ListRecords></OAI-PMH>` } : undefined), "loopingToken"],
    ];
    for (const [override, kind] of cases) {
      f.override = override;
      const out = await runHarvest(db(), repo.id, { source, full: true });
      expect(out, kind).toMatchObject({ status: "failed", error: { key: `repositories.error.${kind}` } });
    }
    // Latin-1 declared as such is read (the declaration is honoured).
    f.override = (q) => (q.get("verb") === "ListRecords" ? { headers: { "content-type": "text/xml" }, body: Buffer.from(`<?xml version="1.0" encoding="ISO-8859-1"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><header><identifier>oai:latin:1</identifier><datestamp>2026-01-01</datestamp></header><metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Math\u00e9matiques</dc:title></oai_dc:dc></metadata></record></ListRecords></OAI-PMH>`, "latin1") } : undefined);
    expect(await runHarvest(db(), repo.id, { source, full: true })).toMatchObject({ status: "succeeded", added: 1 });
    expect((await resourceRows()).some((r) => r.title === "Mathématiques")).toBe(true);
    await f.close();
    const out = await runHarvest(db(), repo.id, { source, full: true });
    expect(out).toMatchObject({ status: "failed", error: { key: "repositories.error.unreachable" } });
  });

  it("maps IEEE LOM where the repository offers it", async () => {
    const f = await fake({ records: [rec(0), rec(3)], formats: ["oai_dc", "lom"] });
    const repo = await register(f, { metadataPrefix: "lom" });
    expect(await runHarvest(db(), repo.id, { source })).toMatchObject({ status: "succeeded", added: 2 });
    expect(f.requests.find((q) => q.get("verb") === "ListRecords")!.get("metadataPrefix")).toBe("lom");
    const rows = await resourceRows();
    expect(rows.find((r) => r.title.startsWith("Học liệu số 3"))).toMatchObject({ subject: "ngu-van", grades: [9], authors: ["Nguyễn Thị Lan"], keywords: ["Ngữ văn", "khối 9"], resourceType: "lesson", language: "vi", licence: "CC-BY-SA-4.0", url: "https://kho.example.edu.vn/item/3" });
  });
});

describe("crash and resume", () => {
  it("interrupted after page N, resumed, ends with the same rows as an uninterrupted harvest", async () => {
    const records = Array.from({ length: 47 }, (_, i) => rec(i));
    records[10] = { identifier: records[10]!.identifier, datestamp: records[10]!.datestamp, deleted: true };
    const f1 = await fake({ records, pageSize: 5 });
    const f2 = await fake({ records, pageSize: 5 });
    const a = await register(f1, { name: "A" });
    const b = await register(f2, { name: "B" });
    const whole = await runHarvest(db(), a.id, { source });
    for (const stopAt of [1, 4]) {
      const controller = new AbortController();
      const part = await runHarvest(db(), b.id, { source, signal: controller.signal, onPage: (p) => p === stopAt && controller.abort() });
      expect(part.status).toBe("interrupted");
      expect(part.pages).toBe(stopAt);
    }
    const resumed = await runHarvest(db(), b.id, { source });
    expect(resumed).toMatchObject({ status: "succeeded", added: whole.added, updated: 0, pages: whole.pages });
    const strip = (rows: Awaited<ReturnType<typeof sourcesOf>>) => rows.map((r) => ({ identifier: r.identifier, resourceId: r.resourceId, datestamp: r.datestamp, setSpecs: r.setSpecs, metadata: r.metadata }));
    expect(strip(await sourcesOf(b.id))).toEqual(strip(await sourcesOf(a.id)));
    // Both repositories hold the same material (same URLs): one resource per record, two sources.
    expect(await resourceRows()).toHaveLength(46);
    const runs = await db().select().from(harvestRuns).where(eq(harvestRuns.repositoryId, b.id));
    expect(runs).toHaveLength(1);
  });
});

describe("dedupe across repositories", () => {
  it("the same material (DOI, else URL) from two repositories is one resource with two sources; deleted from one, it stays", async () => {
    const shared = (i: number, id: string, extra: Record<string, string[]> = {}) => rec(i, { identifier: id, dc: { ...rec(i).dc!, ...extra } });
    const f1 = await fake({ records: [shared(1, "oai:a:1"), shared(2, "oai:a:2", { identifier: ["https://doi.org/10.5555/ABC.1", "https://kho-a.vn/2"] })] });
    const f2 = await fake({ records: [shared(1, "oai:b:x"), shared(5, "oai:b:y", { identifier: ["doi:10.5555/abc.1"] })] });
    const a = await register(f1);
    const b = await register(f2);
    await runHarvest(db(), a.id, { source });
    await runHarvest(db(), b.id, { source });
    const rows = await resourceRows();
    expect(rows.map((r) => r.dedupeKey)).toEqual(["doi:10.5555/abc.1", "url:kho.example.edu.vn/item/1"]);
    const byKey = Object.fromEntries(rows.map((r) => [r.dedupeKey, r.id]));
    const sources = await db().select().from(resourceSources).where(eq(resourceSources.resourceId, byKey["url:kho.example.edu.vn/item/1"]!));
    expect(sources.map((s) => s.identifier).sort()).toEqual(["oai:a:1", "oai:b:x"]);
    f1.records[0] = { identifier: "oai:a:1", datestamp: "2026-06-01T00:00:00Z", deleted: true };
    await runHarvest(db(), a.id, { source });
    expect(await db().select().from(resources).where(eq(resources.id, byKey["url:kho.example.edu.vn/item/1"]!))).toHaveLength(1);
    f2.records[0] = { identifier: "oai:b:x", datestamp: "2026-06-01T00:00:00Z", deleted: true };
    await runHarvest(db(), b.id, { source });
    expect(await db().select().from(resources).where(eq(resources.id, byKey["url:kho.example.edu.vn/item/1"]!))).toHaveLength(0);
  });
});

describe("recorded responses of real repositories", () => {
  it("sickle's four-page chain (the last page without a token, a deleted header missing its identifier)", async () => {
    const f = await fake({});
    const repo = await register(f);
    f.override = (q) => (q.get("verb") === "ListRecords" ? serveFile(path.join(SAMPLES, "sickle", q.get("resumptionToken") ?? "ListRecords.xml")) : undefined);
    const out = await runHarvest(db(), repo.id, { source });
    expect(out).toMatchObject({ status: "succeeded", pages: 4, skipped: 1 });
    expect(out.skips).toEqual([{ identifier: "", reason: "missing_identifier" }]);
    expect(out.added).toBeGreaterThan(0);
  });

  it("DSpace 2003 (one complete page, duplicate setSpecs) and a deleted GetRecord header", async () => {
    const f = await fake({});
    const repo = await register(f);
    f.override = (q) => (q.get("verb") === "ListRecords" ? serveFile(path.join(SAMPLES, "pyoai-dspace-real/ListRecords.oai_dc.dspace.ubib.eur.nl.2003.xml")) : q.get("verb") === "Identify" ? serveFile(path.join(SAMPLES, "pyoai-dspace-real/Identify.dspace.ubib.eur.nl.2003.xml")) : undefined);
    const out = await runHarvest(db(), repo.id, { source });
    expect(out).toMatchObject({ status: "succeeded", added: 16, pages: 1 });
    const [r] = await db().select().from(repositories).where(eq(repositories.id, repo.id));
    expect(r!.granularity).toBe("YYYY-MM-DDThh:mm:ssZ");
  });

  it("arXiv: the first answer 503 with Retry-After: 10 and an HTML body, then the records", async () => {
    const f = await fake({});
    const repo = await register(f);
    const base = path.join(SAMPLES, "paperhive-recorded/oaipmh-listrecords---should-list-identifiers-from-arxiv");
    let n = 0;
    f.override = (q) => (q.get("verb") === "ListRecords" ? (n++ === 0 ? serveFile(`${base}.response1.status503.html`, { "retry-after": "10" }) : serveFile(`${base}.response2.status200.xml`)) : undefined);
    const out = await runHarvest(db(), repo.id, { source });
    expect(out).toMatchObject({ status: "succeeded" });
    expect(waits).toContain(10_000);
  });

  it("the spec's error documents: badArgument, cannotDisseminateFormat become typed failures", async () => {
    const f = await fake({});
    const repo = await register(f);
    for (const code of ["badArgument", "cannotDisseminateFormat"]) {
      f.override = (q) => (q.get("verb") === "ListRecords" ? serveFile(path.join(SAMPLES, "sickle", `${code}.xml`)) : undefined);
      expect(await runHarvest(db(), repo.id, { source, full: true })).toMatchObject({ status: "failed", error: { key: `repositories.error.${code}` } });
    }
    f.override = (q) => (q.get("verb") === "ListRecords" ? serveFile(path.join(SAMPLES, "sickle", "noRecordsMatch.xml")) : undefined);
    expect(await runHarvest(db(), repo.id, { source, full: true })).toMatchObject({ status: "succeeded", added: 0 });
  });
});

describe("scheduling", () => {
  it("a repository is due by its schedule, or when a harvest was asked for", async () => {
    const f = await fake({ records: [rec(1)] });
    const daily = await register(f);
    const manual = await register(await fake({ records: [rec(2)] }), { schedule: "manual" });
    expect(await dueRepositories(db())).toEqual([daily.id]);
    await runHarvest(db(), daily.id, { source });
    expect(await dueRepositories(db())).toEqual([]);
    expect(await dueRepositories(db(), new Date(Date.now() + 25 * 3600_000))).toEqual([daily.id]);
    const asked = await requestHarvest(db(), manual.id);
    expect(asked.alreadyOpen).toBe(false);
    expect((await requestHarvest(db(), manual.id)).alreadyOpen).toBe(true);
    expect(await dueRepositories(db())).toEqual([manual.id]);
    const out = await runHarvest(db(), manual.id, { source });
    expect(out).toMatchObject({ runId: asked.runId, status: "succeeded" });
    void and;
  });
});
