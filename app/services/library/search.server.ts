/**
 * The library's one search (Thư viện học liệu): folded full text (with or without diacritics, đ = d)
 * over title, description, subjects, keywords and authors, the title weighted; misspelt words
 * corrected to the nearest word of the library (pg_trgm over `library_words`); facets with counts;
 * filters; pages. Built for broad queries over a million resources (docs/decisions/011-library-search.md):
 *
 * - ranking looks at a bounded candidate set — the query's phrase in titles, all its words in titles,
 *   all its words anywhere, each taken up to a cap from the GIN indexes — never at every match;
 * - facet counts are exact up to EXACT_CAP matches, and beyond that estimated from a page sample of
 *   the table (TABLESAMPLE SYSTEM) and marked as estimates ("khoảng").
 *
 * Query text never reaches SQL or tsquery syntax: it is folded and split into letters-and-digits
 * words, which are bound as parameters and quoted as tsquery lexemes.
 */
import { sql, type SQL } from "drizzle-orm";
import { json, selectRows, type DbOrTx } from "../../../db/client.server.ts";
import { searchFold } from "../../lib/vn.ts";

export const PAGE_SIZE = 20;
/** Matches counted (and faceted) exactly; more are estimated. */
export const EXACT_CAP = 2000;
/** Candidates ranked per tier: the query's phrase in the title, all words in the title, all words anywhere. */
const TIER_CAPS = [100, 100, 300] as const;
/** Rows a facet estimate looks at, about. */
const SAMPLE_ROWS = 5_000;
const MAX_WORDS = 8;

export type FacetName = "subject" | "grade" | "type" | "language" | "licence" | "source";
export const FACETS: FacetName[] = ["subject", "grade", "type", "language", "licence", "source"];

export type SearchInput = {
  q?: string;
  subject?: string[];
  grade?: number[];
  type?: string[];
  language?: string[];
  licence?: string[];
  /** "repo:<uuid>" or "school:<uuid>". */
  source?: string[];
  page?: number;
  pageSize?: number;
};

export type ResultSource = { kind: "repository" | "school"; id: string; name: string; identifier: string | null };

export type SearchHit = {
  id: string;
  title: string;
  description: string;
  subject: string | null;
  grades: number[];
  resourceType: string | null;
  language: string | null;
  licence: string | null;
  url: string | null;
  lessonId: string | null;
  authors: string[];
  sources: ResultSource[];
};

export type FacetCount = { value: string; count: number; label?: string };

export type SearchResult = {
  hits: SearchHit[];
  /** Matches in all (estimated when `estimated`). */
  total: number;
  estimated: boolean;
  /** Pages that can be opened (ranking looks at a bounded set of the best candidates). */
  pages: number;
  page: number;
  facets: Record<FacetName, FacetCount[]>;
  /** Words of the query replaced by the library's nearest word. */
  corrections: { from: string; to: string }[];
  /** No resource had every word: results have some of them. */
  relaxed: boolean;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The query's words, folded: letters and digits only (every tsquery, regex and SQL sign dropped). */
export function queryWords(q: string): string[] {
  return searchFold(q.slice(0, 500))
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0 && w.length <= 40)
    .slice(0, MAX_WORDS);
}

/** A word as a tsquery lexeme: it holds only letters and digits, so quoting cannot be broken. */
const lexeme = (w: string) => `'${w}'`;

type Plan = { and: string; or: string; phrase: string | null; folded: string };

function tsPlans(words: { word: string; alternatives: string[] }[]): Plan {
  const one = (w: { word: string; alternatives: string[] }) => {
    const all = [w.word, ...w.alternatives];
    return all.length === 1 ? lexeme(all[0]) : `(${all.map(lexeme).join(" | ")})`;
  };
  const parts = words.map(one);
  return {
    and: parts.join(" & "),
    or: parts.join(" | "),
    phrase: words.length > 1 ? parts.join(" <-> ") : null,
    folded: words.map((w) => w.alternatives[0] ?? w.word).join(" "),
  };
}

/** Words absent from the library replaced by their nearest word (trigram similarity), when one is near enough. */
async function correct(db: DbOrTx, words: string[]) {
  const rows = await selectRows<{ tok: string; known: boolean; near: string | null }>(
    db,
    sql`select t.tok,
          exists (select 1 from library_words w where w.word = t.tok) as known,
          case when t.tok ~ '^[0-9]+$' or length(t.tok) < 3 then null
               when exists (select 1 from library_words w where w.word = t.tok) then null
               else (select w.word from library_words w where w.word % t.tok
                     order by similarity(w.word, t.tok) desc, abs(length(w.word) - length(t.tok)), w.word limit 1) end as near
        from unnest(array[${sql.join(
          words.map((w) => sql`${w}`),
          sql`, `,
        )}]::text[]) with ordinality as t(tok, n) order by t.n`,
  );
  return rows.map((r) => ({ word: r.tok, known: r.known, alternatives: r.near ? [r.near] : [] }));
}

function list(values: string[] | undefined): string[] {
  return [...new Set((values ?? []).map((v) => v.trim()).filter((v) => v.length > 0 && v.length <= 200))].slice(0, 30);
}

function inList(column: SQL, values: string[]): SQL {
  return sql`${column} in (${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )})`;
}

const gradeList = (input: SearchInput) => [...new Set((input.grade ?? []).filter((g) => Number.isInteger(g) && g >= 1 && g <= 12))];
/** A subject code as the vectors spell it ("toan", "ngu-van"): nothing else can be a facet lexeme. */
const SUBJECT_CODE = /^[a-z0-9-]{1,40}$/;

/**
 * The subject and grade filters as a tsquery over the facet lexemes the vectors carry (migration
 * 0021: "subject=toan", "grade=6"), so that words and filters meet in one GIN intersection; null
 * when neither filter is set. A subject list with no possible code matches nothing.
 */
export function facetQuery(input: SearchInput): string | null {
  const parts: string[] = [];
  const subjects = list(input.subject);
  if (subjects.length) {
    const codes = subjects.filter((s) => SUBJECT_CODE.test(s));
    parts.push(codes.length ? `(${codes.map((c) => `'subject=${c}'`).join(" | ")})` : `('subject=' & !'subject=')`);
  }
  const grades = gradeList(input);
  if (grades.length) parts.push(`(${grades.map((g) => `'grade=${g}'`).join(" | ")})`);
  return parts.length ? parts.join(" & ") : null;
}

/**
 * The filters' conditions on `r` (within a facet any value, across facets all). With `vector`, the
 * subject and grade filters are left to the full-text match (facetQuery) and not repeated here.
 */
export function filterSql(input: SearchInput, { vector = false }: { vector?: boolean } = {}): SQL {
  const parts: SQL[] = [];
  const subjects = list(input.subject);
  if (subjects.length && !vector) parts.push(inList(sql`r.subject`, subjects));
  const grades = gradeList(input);
  if (grades.length && !vector) parts.push(sql`r.grades && array[${sql.join(grades.map((g) => sql`${g}`), sql`, `)}]::smallint[]`);
  const types = list(input.type);
  if (types.length) parts.push(inList(sql`r.resource_type`, types));
  const languages = list(input.language);
  if (languages.length) parts.push(inList(sql`r.language`, languages));
  const licences = list(input.licence);
  if (licences.length) parts.push(inList(sql`r.licence`, licences));
  const sources = list(input.source);
  if (sources.length) {
    const repos = sources.filter((s) => s.startsWith("repo:")).map((s) => s.slice(5)).filter((id) => UUID.test(id));
    const schools = sources.filter((s) => s.startsWith("school:")).map((s) => s.slice(7)).filter((id) => UUID.test(id));
    const any: SQL[] = [];
    if (schools.length) any.push(sql`r.school_id in (${sql.join(schools.map((id) => sql`${id}::uuid`), sql`, `)})`);
    if (repos.length) {
      any.push(sql`exists (select 1 from resource_sources s where s.resource_id = r.id
        and s.repository_id in (${sql.join(repos.map((id) => sql`${id}::uuid`), sql`, `)}))`);
    }
    parts.push(any.length ? sql`(${sql.join(any, sql` or `)})` : sql`false`);
  }
  return parts.length ? sql.join(parts, sql` and `) : sql`true`;
}

type FacetRow = { f: string; v: string | null; c: number };

/** One pass over the matching rows `m`: the total and every facet's counts. */
function facetSelect(): SQL {
  return sql`select 'n' as f, null::text as v, count(*)::int as c from m
    union all select 'subject', subject, count(*)::int from m where subject is not null group by subject
    union all select 'grade', g::text, count(*)::int from m, unnest(m.grades) as g where g between 1 and 12 group by g
    union all select 'type', resource_type, count(*)::int from m where resource_type is not null group by resource_type
    union all select 'language', language, count(*)::int from m where language is not null group by language
    union all select 'licence', licence, count(*)::int from m where licence is not null group by licence
    union all select 'school', school_id::text, count(*)::int from m where school_id is not null group by school_id
    union all select 'repo', s.repository_id::text, count(distinct s.resource_id)::int from m join resource_sources s on s.resource_id = m.id group by s.repository_id`;
}

const FACET_COLUMNS = sql`r.id, r.subject, r.grades, r.resource_type, r.language, r.licence, r.school_id`;

/**
 * The planner's estimate of the matches, from the column statistics (most common words, grades,
 * subjects): no row is read. The statement is planned with its values inlined (escaped by Drizzle).
 */
async function plannedRows(db: DbOrTx, match: SQL, filters: SQL): Promise<number> {
  const rows = await selectRows<Record<string, unknown>>(db, sql`explain (format json) select 1 from resources r where ${match} and ${filters}`.inlineParams());
  const plan = json<{ Plan: { "Plan Rows": number } }[]>(Object.values(rows[0] ?? {})[0]);
  return Number(plan[0]?.Plan?.["Plan Rows"] ?? 0);
}

async function countAndFacets(db: DbOrTx, match: SQL, filters: SQL) {
  const [{ reltuples }] = await selectRows<{ reltuples: number }>(db, sql`select reltuples::float8 as reltuples from pg_class where oid = 'resources'::regclass`);
  const tableRows = Number(reltuples);
  // A broad query (by the planner's estimate) on a large table goes straight to the sample: its
  // first EXACT_CAP matches would each be a random heap read, only to learn that there are more.
  const broad = tableRows > 10 * SAMPLE_ROWS && (await plannedRows(db, match, filters)) > 4 * EXACT_CAP;
  if (!broad) {
    const exact = await selectRows<FacetRow>(
      db,
      sql`with m as materialized (select ${FACET_COLUMNS} from resources r where ${match} and ${filters} limit ${EXACT_CAP + 1}) ${facetSelect()}`,
    );
    const n = Number(exact.find((r) => r.f === "n")?.c ?? 0);
    if (n <= EXACT_CAP) return { rows: exact, total: n, estimated: false };
  }
  // Too many to count each time: a page sample of the table, scaled. The sample is the same for
  // every query (REPEATABLE), so the figures do not jump between pages of one search.
  const percent = Math.min(100, Math.max(0.1, (100 * SAMPLE_ROWS) / Math.max(1, tableRows)));
  const sampled = await selectRows<FacetRow>(
    db,
    sql`with m as materialized (select ${FACET_COLUMNS} from resources r tablesample system (${sql.raw(percent.toFixed(3))}) repeatable (11)
      where ${match} and ${filters}) ${facetSelect()}`,
  );
  const scale = 100 / percent;
  const rows = sampled.map((r) => ({ ...r, c: Math.round(Number(r.c) * scale) }));
  const estimate = Number(rows.find((r) => r.f === "n")?.c ?? 0);
  return { rows, total: roughly(Math.max(EXACT_CAP + 1, estimate)), estimated: true };
}

/** Two significant figures: an estimate does not pretend to more. */
export function roughly(n: number): number {
  if (n < 100) return n;
  const p = 10 ** (Math.floor(Math.log10(n)) - 1);
  return Math.round(n / p) * p;
}

type HitRow = {
  id: string;
  title: string;
  description: string;
  subject: string | null;
  grades: number[] | string;
  resource_type: string | null;
  language: string | null;
  licence: string | null;
  url: string | null;
  lesson_id: string | null;
  school_id: string | null;
  authors: string[] | string;
  candidates: number;
};

const HIT_COLUMNS = sql`r.id, r.title, left(r.description, 400) as description, r.subject, r.grades, r.resource_type, r.language,
  r.licence, r.url, r.lesson_id, r.school_id, r.authors`;

/** The query's words (a tsquery of quoted lexemes) and the facet filters (facetQuery) as one tsquery. */
function tsq(words: string | null, facet: string | null): SQL {
  if (words && facet) return sql`(to_tsquery('simple', ${words}) && ${facet}::tsquery)`;
  return words ? sql`to_tsquery('simple', ${words})` : sql`${facet ?? ""}::tsquery`;
}

async function rankedPage(db: DbOrTx, plan: Plan, useOr: boolean, facet: string | null, filters: SQL, offset: number, limit: number) {
  const all = useOr ? plan.or : plan.and;
  const tiers: SQL[] = [];
  if (plan.phrase && !useOr) {
    tiers.push(sql`(select r.id, 3 as tier from resources r where r.title_tsv @@ ${tsq(plan.phrase, facet)} and ${filters} limit ${TIER_CAPS[0]})`);
  }
  tiers.push(sql`(select r.id, 2 as tier from resources r where r.title_tsv @@ ${tsq(all, facet)} and ${filters} limit ${TIER_CAPS[1]})`);
  tiers.push(sql`(select r.id, 1 as tier from resources r where r.search_tsv @@ ${tsq(all, facet)} and ${filters} limit ${TIER_CAPS[2]})`);
  return selectRows<HitRow>(
    db,
    sql`with c as (${sql.join(tiers, sql` union all `)}),
      best as (select id, max(tier) as tier from c group by id),
      scored as (
        select ${HIT_COLUMNS},
          b.tier * 0.5 + ts_rank(r.search_tsv, to_tsquery('simple', ${all})) + similarity(r.title_fold, ${plan.folded}) as score
        from best b join resources r on r.id = b.id)
      select r.*, count(*) over ()::int as candidates from scored r order by r.score desc, r.title, r.id limit ${limit} offset ${offset}`,
  );
}

async function browsePage(db: DbOrTx, filters: SQL, offset: number, limit: number) {
  return selectRows<HitRow>(
    db,
    sql`select ${HIT_COLUMNS}, 0 as candidates from resources r where ${filters} order by r.updated_at desc, r.id limit ${limit} offset ${offset}`,
  );
}

/** Where each resource came from: its repositories (with their record identifiers), or the school of an open lesson. */
export async function sourcesOf(db: DbOrTx, rows: { id: string; school_id: string | null }[]): Promise<Map<string, ResultSource[]>> {
  const out = new Map<string, ResultSource[]>(rows.map((r) => [r.id, []]));
  if (rows.length === 0) return out;
  const ids = rows.map((r) => sql`${r.id}::uuid`);
  const repos = await selectRows<{ resource_id: string; id: string; name: string; identifier: string }>(
    db,
    sql`select s.resource_id, p.id, p.name, s.identifier from resource_sources s join repositories p on p.id = s.repository_id
        where s.resource_id in (${sql.join(ids, sql`, `)}) order by p.name, s.identifier`,
  );
  for (const r of repos) out.get(r.resource_id)?.push({ kind: "repository", id: r.id, name: r.name, identifier: r.identifier });
  const schoolIds = [...new Set(rows.map((r) => r.school_id).filter((s): s is string => Boolean(s)))];
  if (schoolIds.length) {
    const names = new Map(
      (await selectRows<{ id: string; name: string }>(db, sql`select id, name from organizations where id in (${sql.join(schoolIds.map((id) => sql`${id}::uuid`), sql`, `)})`)).map((s) => [s.id, s.name]),
    );
    for (const r of rows) if (r.school_id) out.get(r.id)?.push({ kind: "school", id: r.school_id, name: names.get(r.school_id) ?? "", identifier: null });
  }
  return out;
}

function pgArray<T>(value: T[] | string, parse: (s: string) => T): T[] {
  if (Array.isArray(value)) return value;
  const inner = value.replace(/^\{|\}$/g, "");
  return inner ? inner.split(",").map((s) => parse(s.replace(/^"|"$/g, ""))) : [];
}

async function facetLabels(db: DbOrTx, rows: FacetRow[]): Promise<Record<FacetName, FacetCount[]>> {
  const facets: Record<FacetName, FacetCount[]> = { subject: [], grade: [], type: [], language: [], licence: [], source: [] };
  const repoIds = rows.filter((r) => r.f === "repo" && r.v).map((r) => r.v!);
  const schoolIds = rows.filter((r) => r.f === "school" && r.v).map((r) => r.v!);
  const names = new Map<string, string>();
  if (repoIds.length) {
    for (const r of await selectRows<{ id: string; name: string }>(db, sql`select id, name from repositories where id in (${sql.join(repoIds.map((id) => sql`${id}::uuid`), sql`, `)})`)) {
      names.set(`repo:${r.id}`, r.name);
    }
  }
  if (schoolIds.length) {
    for (const r of await selectRows<{ id: string; name: string }>(db, sql`select id, name from organizations where id in (${sql.join(schoolIds.map((id) => sql`${id}::uuid`), sql`, `)})`)) {
      names.set(`school:${r.id}`, r.name);
    }
  }
  for (const r of rows) {
    if (r.v === null || r.f === "n") continue;
    const count = Number(r.c);
    if (r.f === "repo" || r.f === "school") {
      const value = `${r.f}:${r.v}`;
      facets.source.push({ value, count, label: names.get(value) ?? value });
    } else facets[r.f as FacetName]?.push({ value: r.v, count });
  }
  for (const f of FACETS) facets[f].sort((a, b) => (f === "grade" ? Number(a.value) - Number(b.value) : b.count - a.count || a.value.localeCompare(b.value)));
  return facets;
}

/** Search the library. Broad and narrow queries alike look at a bounded number of rows. */
export async function searchLibrary(db: DbOrTx, input: SearchInput): Promise<SearchResult> {
  const pageSize = Math.min(50, Math.max(1, input.pageSize ?? PAGE_SIZE));
  const maxPage = Math.ceil(TIER_CAPS.reduce((a, b) => a + b, 0) / pageSize);
  const page = Math.min(maxPage, Math.max(1, Math.floor(input.page ?? 1) || 1));
  const offset = (page - 1) * pageSize;
  // Subject and grade are matched in the vectors (one GIN intersection with the words); a list
  // with no words is ordered by date on the columns' own indexes.
  const facet = facetQuery(input);
  const filters = filterSql(input, { vector: true });
  const words = queryWords(input.q ?? "");

  if (words.length === 0) {
    const match = facet ? sql`r.search_tsv @@ ${tsq(null, facet)}` : sql`true`;
    const [counted, rows] = await Promise.all([countAndFacets(db, match, filters), browsePage(db, filterSql(input), offset, pageSize)]);
    return finish(db, rows, counted, page, Math.min(maxPage, Math.ceil(counted.total / pageSize)), [], false);
  }

  const corrected = await correct(db, words);
  const plan = tsPlans(corrected);
  let relaxed = false;
  let counted = await countAndFacets(db, sql`r.search_tsv @@ ${tsq(plan.and, facet)}`, filters);
  if (counted.total === 0 && corrected.length > 1) {
    relaxed = true;
    counted = await countAndFacets(db, sql`r.search_tsv @@ ${tsq(plan.or, facet)}`, filters);
  }
  const rows = counted.total === 0 ? [] : await rankedPage(db, plan, relaxed, facet, filters, offset, pageSize);
  const candidates = Number(rows[0]?.candidates ?? 0);
  const pages = Math.max(page > 1 && rows.length === 0 ? page - 1 : 0, Math.ceil(Math.min(counted.total, Math.max(candidates, rows.length ? offset + rows.length : 0)) / pageSize));
  const corrections = corrected.filter((w) => !w.known && w.alternatives.length).map((w) => ({ from: w.word, to: w.alternatives[0] }));
  return finish(db, rows, counted, page, pages, corrections, relaxed);
}

async function finish(
  db: DbOrTx,
  rows: HitRow[],
  counted: { rows: FacetRow[]; total: number; estimated: boolean },
  page: number,
  pages: number,
  corrections: SearchResult["corrections"],
  relaxed: boolean,
): Promise<SearchResult> {
  const [sources, facets] = await Promise.all([sourcesOf(db, rows), facetLabels(db, counted.rows)]);
  return {
    hits: rows.map((r) => ({
      id: r.id,
      title: r.title,
      description: r.description,
      subject: r.subject,
      grades: pgArray(r.grades, Number),
      resourceType: r.resource_type,
      language: r.language,
      licence: r.licence,
      url: r.url,
      lessonId: r.lesson_id,
      authors: pgArray(r.authors, String),
      sources: sources.get(r.id) ?? [],
    })),
    total: counted.total,
    estimated: counted.estimated,
    pages,
    page,
    facets,
    corrections,
    relaxed,
  };
}
