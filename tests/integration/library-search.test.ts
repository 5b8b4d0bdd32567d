/**
 * The library search's relevance in Vietnamese, on a realistic set of 50 resources: queries with
 * and without diacritics find the same material ("toan lop 6" = "Toán lớp 6", đ = d, hoá = hóa),
 * the title outweighs the description, misspelt words are corrected to the library's nearest word,
 * a query with no resource holding all its words falls back to some of them, tsquery/SQL/regex signs
 * are harmless; facet counts are exact and filters narrow by each facet; the same resource from two
 * repositories is one result with both sources; pages do not overlap.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { organizations } from "../../db/schema/index.ts";
import { selectRows } from "../../db/client.server.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";
import { insertLibrary, LIBRARY, type LibraryFixture } from "../support/library.ts";
import { queryWords, searchLibrary, type SearchInput } from "../../app/services/library/search.server.ts";

let database: TestDatabase;
let lib: LibraryFixture;
const keyOf = new Map<string, string>();

beforeAll(async () => {
  database = await freshDatabase();
  const db = database.db;
  const [province] = await db.insert(organizations).values({ kind: "province", name: "Sở GD&ĐT Thử", code: "TST" }).returning();
  const [school] = await db.insert(organizations).values({ kind: "school", parentId: province.id, name: "THCS Nguyễn Du", code: "T001", level: "thcs" }).returning();
  lib = await insertLibrary(db, province.id, school.id);
  for (const [k, id] of Object.entries(lib.ids)) keyOf.set(id, k);
}, 120_000);

afterAll(async () => {
  await database?.drop();
});

const search = (input: SearchInput) => searchLibrary(database.db, input);
async function top(q: string, n = 3, input: SearchInput = {}) {
  const r = await search({ ...input, q });
  return r.hits.slice(0, n).map((h) => keyOf.get(h.id));
}

describe("Vietnamese with and without diacritics", () => {
  it("finds Toán lớp 6 typed as 'toan lop 6', the title's phrase first", async () => {
    const plain = await top("toan lop 6", 2);
    expect(new Set(plain)).toEqual(new Set(["toan6-phanso", "toan6-de"]));
    expect(await top("Toán lớp 6", 2)).toEqual(plain);
    expect(await top("TOÁN LỚP 6", 2)).toEqual(plain);
  });

  it("folds text that arrives decomposed (NFD) like composed text", async () => {
    expect(await top("Toán lớp 6".normalize("NFD"), 2)).toEqual(await top("toan lop 6", 2));
  });

  it("đ = d: 'dai so', 'Đại số' and 'đai so' find the algebra lesson", async () => {
    for (const q of ["dai so", "Đại số", "đai so", "DAI SO"]) expect((await top(q, 1))[0]).toBe("toan8-daiso");
    expect((await top("dien bien phu", 1))[0]).toBe("su12-dbp");
  });

  it("'hoa hoc' ranks chemistry (Hóa học, Hoá học) above other matches", async () => {
    const r = await search({ q: "hoa hoc", pageSize: 5 });
    expect(r.hits.slice(0, 5).every((h) => h.subject === "hoa-hoc")).toBe(true);
    expect(r.hits.map((h) => keyOf.get(h.id))).toContain("hoa11-nito"); // written "Hoá"
    expect((await top("hoá học", 5)).sort()).toEqual((await top("hóa học", 5)).sort());
  });

  it("weights the title above the description and the authors", async () => {
    // "Pythagore" is in one title and in that resource's description.
    expect((await top("pythagore", 1))[0]).toBe("toan9-pytago");
    expect((await top("nguyen du", 1))[0]).toBe("van9-kieu");
    expect((await top("le minh duc", 1))[0]).toBe("toan9-pytago"); // an author
    expect((await top("phân số", 1))[0]).toBe("toan6-phanso");
  });
});

describe("typos", () => {
  it("corrects a misspelt word to the library's nearest word and says so", async () => {
    const r = await search({ q: "toam lop 6" });
    expect(r.corrections).toEqual([{ from: "toam", to: "toan" }]);
    expect(new Set(r.hits.slice(0, 2).map((h) => keyOf.get(h.id)))).toEqual(new Set(["toan6-phanso", "toan6-de"]));
    expect((await top("pythagor", 1))[0]).toBe("toan9-pytago");
    expect((await top("quang hopp", 1))[0]).toBe("khtn7-quanghop");
    expect((await top("thuat toan sapxep", 1))[0]).toBe("tin11-sapxep");
  });

  it("with no resource holding every word, shows those with some of them", async () => {
    const r = await search({ q: "phuong trinh bac hai zzzz" });
    expect(r.relaxed).toBe(true);
    expect(keyOf.get(r.hits[0].id)).toBe("toan9-pt");
  });

  it("finds nothing for words far from every word of the library", async () => {
    const r = await search({ q: "xyzqwv" });
    expect(r.total).toBe(0);
    expect(r.hits).toEqual([]);
  });
});

describe("metacharacters are only text", () => {
  const cases = ["toan'", "toan & lop 6", "!toan", "toan:*", "toan\\", "toan | hoa", "(toan", "toan' or '1'='1", "toan); drop table resources; --", "to.*an", "[toan]", "%toan%"];
  for (const q of cases) {
    it(`searches ${JSON.stringify(q)} as its words`, async () => {
      const r = await search({ q });
      expect(r.total).toBeGreaterThan(0);
      expect(r.hits.every((h) => h.title.length > 0)).toBe(true);
    });
  }

  it("a query of signs alone lists the library", async () => {
    const r = await search({ q: `&|!():*'\\<->` });
    expect(r.total).toBe(LIBRARY.length);
    expect(queryWords(`&|!():*'\\<->`)).toEqual([]);
  });

  it("finds the resource whose own title is full of signs", async () => {
    expect((await top("C++ & Java (cơ bản) | nâng cao", 1))[0]).toBe("metachar");
  });

  it("the table is still there", async () => {
    expect((await search({})).total).toBe(LIBRARY.length);
  });
});

describe("facets and filters", () => {
  it("counts every facet of the whole library exactly", async () => {
    const r = await search({});
    expect(r.estimated).toBe(false);
    const count = (f: keyof typeof r.facets, v: string) => r.facets[f].find((x) => x.value === v)?.count;
    expect(count("subject", "toan")).toBe(12);
    expect(count("subject", "hoa-hoc")).toBe(5);
    expect(count("grade", "6")).toBe(8);
    expect(count("grade", "9")).toBe(5);
    expect(count("language", "en")).toBe(2);
    expect(count("licence", "CC BY-SA 4.0")).toBe(1);
    expect(count("licence", "CC BY 4.0")).toBe(48);
    expect(count("source", `repo:${lib.repoA}`)).toBe(48);
    expect(count("source", `repo:${lib.repoB}`)).toBe(2);
    expect(count("source", `school:${lib.schoolId}`)).toBe(2);
    expect(r.facets.source.find((s) => s.value === `school:${lib.schoolId}`)?.label).toBe("THCS Nguyễn Du");
    expect(r.facets.grade.map((g) => g.value)).toEqual([...r.facets.grade.map((g) => g.value)].sort((a, b) => Number(a) - Number(b)));
  });

  it("counts the facets of a query's matches, agreeing with its results", async () => {
    const r = await search({ q: "hoa hoc", pageSize: 50 });
    expect(r.total).toBe(r.hits.length);
    for (const f of r.facets.subject) expect(f.count).toBe(r.hits.filter((h) => h.subject === f.value).length);
    for (const g of r.facets.grade) expect(g.count).toBe(r.hits.filter((h) => h.grades.includes(Number(g.value))).length);
  });

  it("filters by subject and grade together (subject + grade)", async () => {
    const r = await search({ subject: ["toan"], grade: [6] });
    expect(r.hits.map((h) => keyOf.get(h.id)).sort()).toEqual(["toan6-de", "toan6-hinh", "toan6-phanso", "toan6-songuyen"]);
    const q = await search({ q: "de kiem tra", subject: ["toan"], grade: [6] });
    expect(keyOf.get(q.hits[0].id)).toBe("toan6-de");
    expect(q.total).toBe(1);
  });

  it("filters by type, language, licence and source; values of one facet add up", async () => {
    expect((await search({ language: ["en"] })).total).toBe(2);
    expect((await search({ licence: ["CC BY-SA 4.0"] })).hits.map((h) => keyOf.get(h.id))).toEqual(["toan6-de"]);
    expect((await search({ type: ["Video"] })).total).toBe(LIBRARY.filter((r) => r.type === "Video").length);
    expect((await search({ source: [`repo:${lib.repoB}`] })).total).toBe(2);
    expect((await search({ source: [`school:${lib.schoolId}`] })).hits.map((h) => keyOf.get(h.id)).sort()).toEqual(["khtn6-dodai", "khtn7-quanghop"]);
    expect((await search({ source: [`repo:${lib.repoB}`, `school:${lib.schoolId}`] })).total).toBe(4);
    expect((await search({ grade: [6, 9] })).total).toBe(13);
  });

  it("keeps the subject and grade filters in step with a resource whose metadata changes", async () => {
    const id = lib.ids["toan6-de"];
    const change = (subject: string, grades: number[]) =>
      database.db.execute(sql`update resources set subject = ${subject}, grades = ${`{${grades.join(",")}}`}::smallint[] where id = ${id}::uuid`);
    try {
      await change("vat-li", [7]);
      expect((await search({ q: "de kiem tra", subject: ["toan"], grade: [6] })).total).toBe(0);
      expect((await search({ q: "de kiem tra", subject: ["vat-li"], grade: [7] })).hits.map((h) => keyOf.get(h.id))).toContain("toan6-de");
      expect((await search({ subject: ["vat-li"], grade: [7] })).hits.map((h) => keyOf.get(h.id))).toContain("toan6-de");
    } finally {
      await change("toan", [6]);
    }
    expect((await search({ q: "de kiem tra", subject: ["toan"], grade: [6] })).total).toBe(1);
  });

  it("keeps the search vectors in step with a renamed title, and leaves them alone when nothing searched changes", async () => {
    const id = lib.ids["toan6-de"];
    const vectors = async () =>
      (await selectRows<{ fold: string; title: string; search: string }>(database.db, sql`select title_fold as fold, title_tsv::text as title, search_tsv::text as search from resources where id = ${id}::uuid`))[0]!;
    const before = await vectors();
    const [{ title, text }] = await selectRows<{ title: string; text: string }>(database.db, sql`select title, search_text as text from resources where id = ${id}::uuid`);
    try {
      await database.db.execute(sql`update resources set title = 'Ôn luyện Quỳnh Lưu', search_text = 'on luyen quynh luu' where id = ${id}::uuid`);
      expect((await search({ q: "quynh luu" })).hits.map((h) => keyOf.get(h.id))).toEqual(["toan6-de"]);
      expect((await vectors()).fold).toBe("on luyen quynh luu");
      // Another column changes, or the vectors are written directly: the vectors stand as the title makes them.
      const renamed = await vectors();
      await database.db.execute(sql`update resources set url = 'https://example.edu.vn/x', title_tsv = 'sai'::tsvector, search_tsv = 'sai'::tsvector, title_fold = 'sai' where id = ${id}::uuid`);
      expect(await vectors()).toEqual(renamed);
    } finally {
      await database.db.execute(sql`update resources set title = ${title}, search_text = ${text} where id = ${id}::uuid`);
    }
    expect(await vectors()).toEqual(before);
    expect((await search({ q: "quynh luu" })).hits.map((h) => keyOf.get(h.id))).not.toContain("toan6-de");
  });

  it("keeps filter lexemes out of the words a typo is corrected to", async () => {
    const [{ n }] = await selectRows<{ n: number }>(database.db, sql`select count(*)::int as n from library_words where word like '%=%'`);
    expect(n).toBe(0);
    expect((await search({ q: "subjec" })).corrections.every((c) => !c.to.includes("="))).toBe(true);
  });

  it("ignores malformed filter values instead of failing", async () => {
    expect((await search({ source: ["repo:not-a-uuid"] })).total).toBe(0);
    expect((await search({ grade: [0, 13, 2.5] })).total).toBe(LIBRARY.length);
    expect((await search({ subject: ["' or 1=1 --"] })).total).toBe(0);
  });
});

describe("one resource, several sources", () => {
  it("shows a resource held by two repositories once, with both", async () => {
    const r = await search({ q: "phan so", pageSize: 50 });
    const hits = r.hits.filter((h) => keyOf.get(h.id) === "toan6-phanso");
    expect(hits).toHaveLength(1);
    expect(hits[0].sources.map((s) => s.name).sort()).toEqual(["Kho học liệu số ngành Giáo dục", "Thư viện Học liệu mở"]);
    expect(hits[0].sources.map((s) => s.identifier).sort()).toEqual(["oai:a:toan6-phanso", "oai:b:toan6-phanso"]);
  });

  it("names the school of an open lesson as its source", async () => {
    const r = await search({ q: "quang hop" });
    expect(r.hits[0].sources).toEqual([{ kind: "school", id: lib.schoolId, name: "THCS Nguyễn Du", identifier: null }]);
  });
});

describe("pages", () => {
  it("pages through the whole library without overlap", async () => {
    const pages = await Promise.all([1, 2, 3].map((page) => search({ page, pageSize: 20 })));
    expect(pages[0].pages).toBe(3);
    expect(pages.map((p) => p.hits.length)).toEqual([20, 20, 10]);
    expect(new Set(pages.flatMap((p) => p.hits.map((h) => h.id))).size).toBe(LIBRARY.length);
  });

  it("pages through a query's ranked results without overlap", async () => {
    const first = await search({ q: "toan", pageSize: 5 });
    expect(first.pages).toBe(Math.ceil(first.total / 5));
    const all = [];
    for (let page = 1; page <= first.pages; page++) all.push(...(await search({ q: "toan", pageSize: 5, page })).hits.map((h) => h.id));
    expect(all).toHaveLength(first.total);
    expect(new Set(all).size).toBe(first.total);
  });

  it("a page past the end is the last page", async () => {
    const r = await search({ page: 999 });
    expect(r.page).toBeLessThanOrEqual(50);
  });
});
