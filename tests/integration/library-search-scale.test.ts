/**
 * The library search on a library large enough for its broad-query paths (60,000 resources, over
 * the size where facet counts of many matches are estimated from a sample): a broad word is
 * estimated within a margin and its hits all match; words each common but rare together are
 * counted exactly; a topic's words, which always come together, are many although the planner
 * expects few; words with a subject and a grade meet in the vectors' facet lexemes; pages of a
 * broad query do not overlap. Every count is checked against the rows the library was made of.
 * The searches run twice: estimated from a page sample of the table, then from the standing sample
 * (library_sample) the job draws.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { organizations } from "../../db/schema/index.ts";
import { selectRows } from "../../db/client.server.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";
import { searchLibrary, type SearchInput } from "../../app/services/library/search.server.ts";
import { refreshLibrarySampleIfStale } from "../../app/services/library/sample.server.ts";
import { searchFold as searchFoldOf } from "../../app/lib/vn.ts";

const ROWS = 60_000;
const SUBJECTS = [
  ["toan", "Toán"],
  ["ngu-van", "Ngữ văn"],
  ["tieng-anh", "Tiếng Anh"],
  ["lich-su", "Lịch sử"],
] as const;
const FAMILY = ["Đặng", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ"];
const MIDDLE = ["Quang", "Văn", "Thị", "Minh", "Thu"];
const GIVEN = ["Sơn", "An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Lan", "Linh", "Nam"];

/** Row i of the library, as the SQL below makes it. */
function row(i: number) {
  const [subject, name] = SUBJECTS[i % 4];
  const grade = 1 + (Math.floor(i / 4) % 12);
  const kind = i % 10;
  const title =
    kind <= 5 ? `${name} lớp ${grade}: Bài ${i % 37}` : kind <= 8 ? `Phiếu bài tập ${name} ${grade}` : i % 20 === 9 ? "Định lí Pythagore" : "Ôn tập chương";
  const author = `${FAMILY[i % 7]} ${MIDDLE[i % 5]} ${GIVEN[i % 11]}`;
  return { subject, grade, title, author };
}
const rows = Array.from({ length: ROWS }, (_, k) => row(k + 1));
const count = (p: (r: ReturnType<typeof row>) => boolean) => rows.filter(p).length;

let database: TestDatabase;

beforeAll(async () => {
  database = await freshDatabase();
  const db = database.db;
  await db.insert(organizations).values({ kind: "province", name: "Sở GD&ĐT Thử", code: "TST" });
  const lit = (values: readonly string[]) => `array[${values.map((v) => `'${v}'`).join(",")}]`;
  await database.query(`
    insert into resources (id, dedupe_key, title, subjects, authors, subject, grades, resource_type, language, search_text)
    select md5('r' || i)::uuid, 'scale:' || i, x.title, array[x.name], array[x.author], x.subject, array[x.grade]::smallint[], 'Bài giảng', 'vi',
      library_fold(x.title || ' ' || x.name || ' ' || x.author)
    from generate_series(1, ${ROWS}) as i
    cross join lateral (
      select (${lit(SUBJECTS.map((s) => s[0]))})[1 + i % 4] as subject, (${lit(SUBJECTS.map((s) => s[1]))})[1 + i % 4] as name,
        1 + (i / 4) % 12 as grade,
        (${lit(FAMILY)})[1 + i % 7] || ' ' || (${lit(MIDDLE)})[1 + i % 5] || ' ' || (${lit(GIVEN)})[1 + i % 11] as author
    ) as s(subject, name, grade, author)
    cross join lateral (
      select s.subject, s.name, s.grade, s.author,
        case when i % 10 <= 5 then s.name || ' lớp ' || s.grade || ': Bài ' || (i % 37)
             when i % 10 <= 8 then 'Phiếu bài tập ' || s.name || ' ' || s.grade
             when i % 20 = 9 then 'Định lí Pythagore' else 'Ôn tập chương' end as title
    ) as x`);
  await database.query(`analyze resources`);
}, 240_000);

afterAll(async () => {
  await database?.drop();
});

const search = (input: SearchInput) => searchLibrary(database.db, input);
const near = (value: number, expected: number, margin: number) => {
  expect(value).toBeGreaterThanOrEqual(expected * (1 - margin));
  expect(value).toBeLessThanOrEqual(expected * (1 + margin));
};

/** First pages of dense-title queries as the first mode found them (the table's sample: titles read by index). */
const densePages = new Map<string, string[]>();

searches("a page sample of the table");

describe("the standing sample", () => {
  it("is drawn when the library has grown past the small size, and is stored with what estimates read", async () => {
    expect(await refreshLibrarySampleIfStale(database.db)).toMatchObject({ refreshed: true, libraryRows: ROWS });
    const [{ n, repos }] = await selectRows<{ n: number; repos: number }>(database.db, sql`select count(*)::int as n, count(*) filter (where search_tsv @@ 'toan'::tsquery)::int as repos from library_sample`);
    near(n, 10_000, 0.1);
    near(repos, n / 4, 0.15);
    // Drawn again only when the library drifts or a day passes.
    expect(await refreshLibrarySampleIfStale(database.db)).toEqual({ refreshed: false });
    expect((await refreshLibrarySampleIfStale(database.db, new Date(Date.now() + 25 * 3600_000))).refreshed).toBe(true);
  });
});

searches("the standing sample");
function searches(mode: string) {
describe(`a library of 60,000 resources, estimated from ${mode}`, () => {
  it("holds what the test expects", async () => {
    const [{ n }] = await selectRows<{ n: number }>(database.db, sql`select count(*)::int as n from resources where subject = 'toan'`);
    expect(n).toBe(count((r) => r.subject === "toan"));
  });

  it("estimates a broad word's matches and facets from a sample, and every hit has the word", async () => {
    const expected = count((r) => r.subject === "toan");
    const r = await search({ q: "toán" });
    expect(r.estimated).toBe(true);
    near(r.total, expected, 0.25);
    expect(r.hits).toHaveLength(20);
    for (const h of r.hits) expect(h.title).toMatch(/Toán/);
    near(r.facets.subject.find((f) => f.value === "toan")!.count, expected, 0.25);
    expect(r.facets.subject.find((f) => f.value === "ngu-van")).toBeUndefined();
    const grades = r.facets.grade.reduce((sum, g) => sum + g.count, 0);
    near(grades, expected, 0.25);
  });

  it("counts words that are each common but rare together exactly", async () => {
    const expected = count((r) => r.author === "Đặng Quang Sơn");
    expect(expected).toBeLessThan(2000);
    const r = await search({ q: "dang quang son", pageSize: 50 });
    expect(r.estimated).toBe(false);
    expect(r.total).toBe(expected);
    expect(r.hits).toHaveLength(50);
    for (const h of r.hits) expect(h.authors).toEqual(["Đặng Quang Sơn"]);
    expect(r.facets.subject.reduce((sum, f) => sum + f.count, 0)).toBe(expected);
  });

  it("finds a topic whose words always come together: many, its phrase first", async () => {
    const expected = count((r) => r.title === "Định lí Pythagore");
    expect(expected).toBeGreaterThan(2000);
    const r = await search({ q: "dinh li pythagore" });
    expect(r.estimated).toBe(true);
    near(r.total, expected, 0.4);
    for (const h of r.hits) expect(h.title).toBe("Định lí Pythagore");
  });

  it("narrows words by subject and grade through the vectors, exactly when few", async () => {
    const expected = count((r) => r.title.startsWith("Phiếu bài tập") && r.subject === "toan" && r.grade === 6);
    const r = await search({ q: "phieu bai tap", subject: ["toan"], grade: [6], pageSize: 50 });
    expect(r.estimated).toBe(false);
    expect(r.total).toBe(expected);
    for (const h of r.hits) {
      expect(h.subject).toBe("toan");
      expect(h.grades).toEqual([6]);
      expect(h.title).toBe("Phiếu bài tập Toán 6");
    }
    const list = await search({ subject: ["toan"], grade: [6] });
    expect(list.estimated).toBe(false);
    expect(list.total).toBe(count((x) => x.subject === "toan" && x.grade === 6));
    for (const h of list.hits) expect([h.subject, h.grades]).toEqual(["toan", [6]]);
    // Well under the estimate's threshold for counting exactly, whatever the sample drawn.
    const several = await search({ q: "phieu bai tap", subject: ["toan", "lich-su"], grade: [6] });
    const many = count((x) => x.title.startsWith("Phiếu bài tập") && ["toan", "lich-su"].includes(x.subject) && x.grade === 6);
    expect(many).toBeLessThan(1000);
    expect(several.total).toBe(many);
  });

  it("ranks a query whose words fill many titles the same whether titles are read by index or in table order", async () => {
    // "phieu bai tap" is in 30 % of titles: with the standing sample's title share the titles are
    // read in table order; with the table's sample (no share), by the title index.
    for (const q of ["phieu bai tap", "toan lop"]) {
      for (const page of [1, 3]) {
        const r = await search({ q, page });
        expect(r.estimated).toBe(true);
        expect(r.hits).toHaveLength(20);
        for (const h of r.hits) expect(searchFoldOf(h.title)).toContain(q.split(" ")[0]);
        const ids = r.hits.map((h) => h.id);
        const key = `${q}#${page}`;
        if (densePages.has(key)) expect(ids).toEqual(densePages.get(key));
        else densePages.set(key, ids);
      }
    }
  });

  it("pages through a broad query's best results without overlap", async () => {
    const one = await search({ q: "toan", page: 1 });
    const two = await search({ q: "toan", page: 2 });
    expect(two.hits).toHaveLength(20);
    const first = new Set(one.hits.map((h) => h.id));
    expect(two.hits.filter((h) => first.has(h.id))).toEqual([]);
    expect(one.pages).toBe(10);
  });
});
}
