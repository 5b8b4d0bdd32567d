/**
 * The province's OAI-PMH 2.0 repository at /oai: every verb, every error code, paging with
 * resumption tokens to the end, from/until, sets, deleted records; each response validated
 * against the official OAI-PMH 2.0 and oai_dc schemas. And open lessons: opening, editing,
 * unpublishing and deleting, in one transaction each, only by the lesson's class teachers.
 */
import fs from "node:fs";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { validateXML } from "xmllint-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lessons, oaiRecords, organizations, resources } from "../../db/schema/index.ts";
import { demoLookup } from "../support/demo.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

const XSD_DIR = "/work/shared/samples/oaipmh/xsd";
const xsdFiles = ["OAI-PMH.local.xsd", "oai_dc.local.xsd", "oai-identifier.xsd", "simpledc20021212.local.xsd", "xml.xsd"].map((f) => ({
  fileName: f,
  contents: fs.readFileSync(path.join(XSD_DIR, f), "utf8"),
}));

async function valid(xml: string) {
  const result = await validateXML({ xml: [{ fileName: "response.xml", contents: xml }], schema: [xsdFiles[0]], preload: xsdFiles.slice(1) });
  expect(result.errors.map((e) => e.rawMessage)).toEqual([]);
  expect(result.valid).toBe(true);
}

let hub: Hub;
let anon: Client, lan: Client, minh: Client, an: Client;
let lookup: ReturnType<typeof demoLookup>;

async function oai(query: string) {
  const res = await anon.get(`/oai?${query}`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/xml; charset=UTF-8");
  const xml = await res.text();
  await valid(xml);
  return xml;
}
const errorCodes = (xml: string) => [...xml.matchAll(/<error code="([^"]+)"/g)].map((m) => m[1]);
const token = (xml: string) => /<resumptionToken[^>]*>([^<]*)<\/resumptionToken>/.exec(xml)?.[1];
const identifiers = (xml: string) => [...xml.matchAll(/<identifier>([^<]+)<\/identifier>/g)].map((m) => m[1]);

beforeAll(async () => {
  hub = await startHub();
  lookup = demoLookup(hub.database.db);
  anon = hub.client();
  [lan, minh, an] = await Promise.all([hub.as("lan.nt@nguyendu.lopso.demo"), hub.as("minh.tv@nguyendu.lopso.demo"), hub.as("an.nv@nguyendu.lopso.demo")]);
});

afterAll(async () => {
  await hub?.close();
});

describe("the demo's open lessons", () => {
  it("are served by Identify, ListRecords and GetRecord, and are in the library with their school as source", async () => {
    const identify = await oai("verb=Identify");
    expect(identify).toContain("<deletedRecord>persistent</deletedRecord>");
    expect(identify).toContain("<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>");
    expect(identify).toContain("<protocolVersion>2.0</protocolVersion>");
    const list = await oai("verb=ListRecords&metadataPrefix=oai_dc");
    expect(list).toContain("<dc:title>Bài 1. Nguyên tử</dc:title>");
    expect(list).toContain("<dc:title>Tập đọc: Ngày khai trường</dc:title>");
    expect(list).toContain("<dc:publisher>Trường Tiểu học Kim Đồng</dc:publisher>");
    expect(list).toContain("<dc:rights>https://creativecommons.org/licenses/by/4.0/</dc:rights>");
    expect(list).toContain("<dc:publisher>Trường THCS Nguyễn Du</dc:publisher>");
    expect(list).toContain("<setSpec>school:79001</setSpec>");
    expect(list).toContain("<setSpec>subject:khtn</setSpec>");
    const [id] = identifiers(list);
    const one = await oai(`verb=GetRecord&metadataPrefix=oai_dc&identifier=${encodeURIComponent(id)}`);
    expect(one).toContain("<GetRecord><record><header>");
    const lib = await hub.database.db.select().from(resources).where(eq(resources.dedupeKey, `lesson:${await lookup.lesson("Bài 1. Nguyên tử")}`));
    expect(lib).toHaveLength(1);
    expect(lib[0]).toMatchObject({ licence: "CC-BY-4.0", subject: "khtn", grades: [7], schoolId: await lookup.school("79001") });
    expect(lib[0].searchText).toContain("bai 1. nguyen tu");
  });

  it("answers ListMetadataFormats, ListSets and ListIdentifiers", async () => {
    expect(await oai("verb=ListMetadataFormats")).toContain("<metadataPrefix>oai_dc</metadataPrefix>");
    const sets = await oai("verb=ListSets");
    expect(sets).toContain("<setSpec>school:79001</setSpec><setName>Trường THCS Nguyễn Du</setName>");
    expect(sets).toContain("<setSpec>school:79002</setSpec><setName>Trường Tiểu học Kim Đồng</setName>");
    expect(sets).toContain("<setSpec>subject:tieng-viet</setSpec><setName>Tiếng Việt</setName>");
    const ids = await oai("verb=ListIdentifiers&metadataPrefix=oai_dc&set=subject:khtn");
    expect(identifiers(ids)).toHaveLength(1);
    expect(errorCodes(await oai("verb=ListIdentifiers&metadataPrefix=oai_dc&set=subject:toan"))).toEqual(["noRecordsMatch"]);
    const list = await oai("verb=ListRecords&metadataPrefix=oai_dc");
    const [id] = identifiers(list);
    expect(await oai(`verb=ListMetadataFormats&identifier=${encodeURIComponent(id)}`)).toContain("<ListMetadataFormats>");
  });

  it("answers a POST (application/x-www-form-urlencoded) as a GET", async () => {
    const res = await fetch(`${hub.url}/oai`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "verb=Identify" });
    expect(res.status).toBe(200);
    const xml = await res.text();
    await valid(xml);
    expect(xml).toContain("<Identify>");
  });
});

describe("errors", () => {
  const cases: [string, string][] = [
    ["", "badVerb"],
    ["verb=Nope", "badVerb"],
    ["verb=Identify&verb=Identify", "badVerb"],
    ["verb=Identify&extra=1", "badArgument"],
    ["verb=ListRecords", "badArgument"],
    ["verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc", "badArgument"],
    ["verb=ListRecords&metadataPrefix=oai_dc&from=2024-13-01", "badArgument"],
    ["verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01&until=2024-01-01T00:00:00Z", "badArgument"],
    ["verb=ListRecords&metadataPrefix=oai_dc&from=2025-01-02&until=2025-01-01", "badArgument"],
    ["verb=ListRecords&resumptionToken=x&metadataPrefix=oai_dc", "badArgument"],
    ["verb=GetRecord&identifier=oai:lopso.local:lesson/x", "badArgument"],
    ["verb=ListRecords&resumptionToken=garbage", "badResumptionToken"],
    ["verb=ListIdentifiers&resumptionToken=WzEsIkxpc3RSZWNvcmRzIl0", "badResumptionToken"],
    ["verb=ListSets&resumptionToken=abc", "badResumptionToken"],
    ["verb=ListRecords&metadataPrefix=marc21", "cannotDisseminateFormat"],
    ["verb=GetRecord&metadataPrefix=lom&identifier=oai:lopso.local:lesson/x", "cannotDisseminateFormat"],
    ["verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:lopso.local:lesson/00000000-0000-0000-0000-000000000000", "idDoesNotExist"],
    ["verb=ListMetadataFormats&identifier=oai:other.org:1", "idDoesNotExist"],
    ["verb=ListRecords&metadataPrefix=oai_dc&from=1990-01-01&until=1990-12-31", "noRecordsMatch"],
    ["verb=ListIdentifiers&metadataPrefix=oai_dc&set=school:nope", "noRecordsMatch"],
  ];
  for (const [query, code] of cases) {
    it(`${query || "(no arguments)"} → ${code}`, async () => {
      const xml = await oai(query);
      expect(errorCodes(xml)).toContain(code);
      // badVerb and badArgument echo no arguments in <request>.
      if (code === "badVerb" || code === "badArgument") expect(xml).toMatch(/<request>[^<]+<\/request>/);
    });
  }

  it("noSetHierarchy when the repository has no record (so no set)", async () => {
    const db = hub.database.db;
    await db.transaction(async (tx) => {
      await tx.execute(sql`create temporary table saved_oai on commit drop as select * from oai_records`);
      await tx.delete(oaiRecords);
      const { oaiResponse } = await import("../../app/services/library/oai-provider.server.ts");
      const xml = await oaiResponse(tx, [["verb", "ListSets"]], "http://x.test/oai", "http://x.test");
      await valid(xml);
      expect(errorCodes(xml)).toEqual(["noSetHierarchy"]);
      tx.rollback();
    }).catch((e) => {
      if (!String(e).includes("Rollback")) throw e;
    });
    expect((await db.select().from(oaiRecords)).length).toBeGreaterThan(0);
  });
});

describe("paging, dates, sets and deletions", () => {
  beforeAll(async () => {
    // 130 deleted records over three days, of both schools, as a harvester would see after years of use.
    const db = hub.database.db;
    const [thcs, th] = [await lookup.school("79001"), await lookup.school("79002")];
    const base = Date.UTC(2025, 0, 10, 0, 0, 0);
    await db.insert(oaiRecords).values(
      Array.from({ length: 130 }, (_, i) => ({
        localId: `lesson/00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
        schoolId: i % 2 ? thcs : th,
        subject: i % 3 ? "toan" : "tieng-viet",
        deleted: true,
        datestamp: new Date(base + Math.floor(i / 50) * 86_400_000 + (i % 5) * 1000),
      })),
    );
  });

  it("pages ListIdentifiers with resumption tokens to the end, every record once", async () => {
    let xml = await oai("verb=ListIdentifiers&metadataPrefix=oai_dc");
    const seen: string[] = identifiers(xml);
    const size = Number(/completeListSize="(\d+)"/.exec(xml)![1]);
    expect(size).toBe(132);
    let pages = 1;
    for (let t = token(xml); t; t = token(xml)) {
      xml = await oai(`verb=ListIdentifiers&resumptionToken=${encodeURIComponent(t)}`);
      expect(/cursor="(\d+)"/.exec(xml)![1]).toBe(String(seen.length));
      seen.push(...identifiers(xml));
      pages++;
    }
    expect(pages).toBe(3);
    expect(xml).toMatch(/<resumptionToken completeListSize="132" cursor="100"\/>/);
    expect(new Set(seen).size).toBe(132);
    expect(xml.match(/status="deleted"/g)?.length).toBeGreaterThan(0);
  });

  it("pages ListRecords too; a deleted record has a header and no metadata", async () => {
    let xml = await oai("verb=ListRecords&metadataPrefix=oai_dc");
    let n = 0;
    for (;;) {
      for (const rec of xml.match(/<record>[\s\S]*?<\/record>/g) ?? []) {
        n++;
        if (rec.includes('status="deleted"')) expect(rec).not.toContain("<metadata>");
        else expect(rec).toContain("<metadata>");
      }
      const t = token(xml);
      if (!t) break;
      xml = await oai(`verb=ListRecords&resumptionToken=${encodeURIComponent(t)}`);
    }
    expect(n).toBe(132);
    expect(errorCodes(await oai(`verb=ListIdentifiers&resumptionToken=${encodeURIComponent(token(await oai("verb=ListRecords&metadataPrefix=oai_dc"))!)}`))).toEqual(["badResumptionToken"]);
  });

  it("takes from/until by the day and by the second, and sets", async () => {
    expect(identifiers(await oai("verb=ListIdentifiers&metadataPrefix=oai_dc&from=2025-01-10&until=2025-01-10"))).toHaveLength(50);
    expect(identifiers(await oai("verb=ListIdentifiers&metadataPrefix=oai_dc&from=2025-01-11T00:00:00Z&until=2025-01-11T00:00:01Z"))).toHaveLength(20);
    expect(identifiers(await oai("verb=ListIdentifiers&metadataPrefix=oai_dc&from=2025-01-12&until=2025-01-31"))).toHaveLength(30);
    expect(await oai("verb=ListIdentifiers&metadataPrefix=oai_dc&until=2025-01-12&set=school:79002")).toContain('completeListSize="65" cursor="0"');
    expect(identifiers(await oai("verb=ListIdentifiers&metadataPrefix=oai_dc&until=2025-12-31&set=subject:tieng-viet"))).toHaveLength(44);
  });
});

describe("opening a lesson", () => {
  let lessonId: string;
  let classId: string;
  const record = async () => (await hub.database.db.select().from(oaiRecords).where(eq(oaiRecords.localId, `lesson/${lessonId}`)))[0];
  const resource = async () => (await hub.database.db.select().from(resources).where(eq(resources.dedupeKey, `lesson:${lessonId}`)))[0];

  beforeAll(async () => {
    lessonId = await lookup.lesson("Bài 2. Cách ghi số tự nhiên");
    classId = (await hub.database.db.select({ c: lessons.classId }).from(lessons).where(eq(lessons.id, lessonId)))[0].c;
  });

  it("is refused to another teacher, a student and an anonymous visitor, and to an unknown licence", async () => {
    expect((await minh.post(`/lessons/${lessonId}/licence`, { licence: "CC-BY-4.0" })).status).toBe(404);
    expect((await an.post(`/lessons/${lessonId}/licence`, { licence: "CC-BY-4.0" })).status).toBe(403);
    expect([302, 303]).toContain((await anon.post(`/lessons/${lessonId}/licence`, { licence: "CC-BY-4.0" })).status);
    const res = await lan.post(`/lessons/${lessonId}/licence`, { licence: "GPL-3.0" });
    expect(res.headers.get("location")).toContain("licence=oai.errors.licence_unknown");
    expect(await record()).toBeUndefined();
    expect(await resource()).toBeUndefined();
  });

  it("by its teacher sets the licence, the resource and the OAI record; the page shows the badge; a student of another class may read it", async () => {
    const res = await lan.post(`/lessons/${lessonId}/licence`, { licence: "CC-BY-SA-4.0" });
    expect(res.headers.get("location")).toBe(`/classes/${classId}/lessons/${lessonId}/edit?licence=opened`);
    expect((await record())).toMatchObject({ deleted: false, subject: "toan" });
    expect((await resource())).toMatchObject({ licence: "CC-BY-SA-4.0", title: "Bài 2. Cách ghi số tự nhiên", url: `/lessons/${lessonId}` });
    expect(await (await lan.get(`/lessons/${lessonId}`)).text()).toContain("Học liệu mở · CC BY-SA");
    const hoa = await hub.as("hoa.lt@kimdong.lopso.demo");
    expect((await hoa.get(`/lessons/${lessonId}`)).status).toBe(200);
  });

  it("editing bumps the datestamp and refreshes the resource", async () => {
    const before = await record();
    await hub.database.db.update(oaiRecords).set({ datestamp: new Date("2025-02-01T00:00:00Z") }).where(eq(oaiRecords.id, before.id));
    const saved = await lan.post(`/classes/${classId}/lessons/${lessonId}/edit`, { title: "Bài 2. Ghi số tự nhiên", bodyMd: "Hệ thập phân.", intent: "draft" });
    expect(saved.status).toBe(302);
    expect((await record()).datestamp.getTime()).toBeGreaterThan(new Date("2025-02-01T00:00:00Z").getTime());
    expect((await resource()).title).toBe("Bài 2. Ghi số tự nhiên");
  });

  it("un-opening keeps the record, deleted, and removes the resource; /oai shows it deleted", async () => {
    await lan.post(`/lessons/${lessonId}/licence`, { licence: "" });
    expect((await record()).deleted).toBe(true);
    expect(await resource()).toBeUndefined();
    const xml = await oai(`verb=GetRecord&metadataPrefix=oai_dc&identifier=${encodeURIComponent(`oai:lopso.local:lesson/${lessonId}`)}`);
    expect(xml).toContain('<header status="deleted">');
    expect(xml).not.toContain("<metadata>");
  });

  it("unpublishing and deleting an open lesson mark its record deleted", async () => {
    await lan.post(`/lessons/${lessonId}/licence`, { licence: "CC0-1.0" });
    expect((await record()).deleted).toBe(false);
    const { setLessonStatus } = await import("../../app/services/lessons.server.ts");
    const { loadMemberships } = await import("../../app/auth/actor.server.ts");
    const lanId = await lookup.user("lan.nt@nguyendu.lopso.demo");
    const actor = { id: lanId, memberships: await loadMemberships(hub.database.db, lanId) } as never;
    await setLessonStatus(hub.database.db, actor, classId, lessonId, false);
    expect((await record()).deleted).toBe(true);
    expect(await resource()).toBeUndefined();
    expect((await hub.database.db.select({ l: lessons.licence }).from(lessons).where(eq(lessons.id, lessonId)))[0].l).toBeNull();
    // Published again and opened again, then deleted.
    await setLessonStatus(hub.database.db, actor, classId, lessonId, true);
    await lan.post(`/lessons/${lessonId}/licence`, { licence: "CC-BY-NC-4.0" });
    expect((await record()).deleted).toBe(false);
    const del = await lan.post(`/classes/${classId}/lessons/${lessonId}/delete`, {});
    expect(del.status).toBe(302);
    const rec = await record();
    expect(rec).toMatchObject({ deleted: true, lessonId: null });
  });

  it("a draft cannot be opened", async () => {
    const draft = await lookup.lesson("Bài 3. Thứ tự trong tập hợp số tự nhiên");
    const res = await lan.post(`/lessons/${draft}/licence`, { licence: "CC-BY-4.0" });
    expect(res.headers.get("location")).toContain("licence=oai.errors.not_published");
    const rows = await hub.database.db.select().from(oaiRecords).where(and(eq(oaiRecords.localId, `lesson/${draft}`)));
    expect(rows).toHaveLength(0);
    void organizations;
  });
});
