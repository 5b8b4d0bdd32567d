/**
 * The library's one search (Thư viện học liệu): folded full text (with or without diacritics, đ = d)
 * over title, description, subjects, keywords and authors, the title weighted; misspelt words
 * corrected to the nearest word of the library (pg_trgm over `library_words`); facets with counts;
 * filters; pages. Built for broad queries over a million resources (docs/decisions/011-library-search.md):
 *
 * - a large library's match is first estimated from its standing sample (library_sample, a few
 *   thousand rows kept in memory; without one, a page sample of the table);
 * - a match estimated to be small is counted, faceted and wholly ranked in one statement;
 * - a broad one keeps the sample's estimates (shown as "khoảng") and ranks a bounded candidate set,
 *   read from the title's index first, never every match;
 * - subject and grade filters are lexemes of the same vectors, so words and filters meet in one
 *   GIN intersection.
 *
 * Query text never reaches SQL or tsquery syntax: it is folded and split into letters-and-digits
 * words, which are bound as parameters and quoted as tsquery lexemes.
 */
import { sql, type SQL } from "drizzle-orm";
import { json, selectRows, type DbOrTx } from "../../../db/client.server.ts";
import { searchFold } from "../../lib/vn.ts";
import { sampleGeneration, sampleState, SMALL_LIBRARY, type SampleState } from "./sample.server.ts";

export const PAGE_SIZE = 20;
/** Matches counted (and faceted) exactly; more are estimated. */
export const EXACT_CAP = 2000;
/** The best results a query shows (10 pages of 20); when there are more matches than EXACT_CAP, the candidates ranked. */
const CANDIDATES = 200;
/** Above this share of all titles holding the query's words, ranking reads titles in table order (rankedPage). */
const TITLE_DENSE = 0.02;
/** Rows a facet estimate looks at, about. */
const SAMPLE_ROWS = 5_000;
/** Of a sample's matches, how many have their sources looked up for the source facet. */
const SAMPLE_SOURCES = 300;
/** Of the ranked rows, how many best are ranked again with the title's trigram similarity (costly per row). */
const RERANKED = 100;
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

/**
 * One pass over the matching rows `m`: the total and every facet's counts. The source facet reads
 * `m.repository_ids` ("array", the standing sample) or resource_sources ("join"); with `sourcesOf`,
 * only that many rows are looked up and the counts scaled to all of them (a sample needs no more).
 */
function facetSelect(repos: "join" | "array" = "join", sourcesOf?: number): SQL {
  const repo =
    repos === "array"
      ? sql`select 'repo', x::text, count(*)::int from m, unnest(m.repository_ids) as x group by x`
      : sourcesOf
        ? sql`select 'repo', s.repository_id::text, round(count(distinct s.resource_id) * (select count(*) from m)::float8 / greatest(1, least(${sourcesOf}, (select count(*) from m))))::int
            from (select id from m limit ${sourcesOf}) m2 join resource_sources s on s.resource_id = m2.id group by s.repository_id`
        : sql`select 'repo', s.repository_id::text, count(distinct s.resource_id)::int from m join resource_sources s on s.resource_id = m.id group by s.repository_id`;
  return sql`select 'n' as f, null::text as v, count(*)::int as c from m
    union all select 'subject', subject, count(*)::int from m where subject is not null group by subject
    union all select 'grade', g::text, count(*)::int from m, unnest(m.grades) as g where g between 1 and 12 group by g
    union all select 'type', resource_type, count(*)::int from m where resource_type is not null group by resource_type
    union all select 'language', language, count(*)::int from m where language is not null group by language
    union all select 'licence', licence, count(*)::int from m where licence is not null group by licence
    union all select 'school', school_id::text, count(*)::int from m where school_id is not null group by school_id
    union all ${repo}`;
}

const FACET_COLUMNS = sql`r.id, r.subject, r.grades, r.resource_type, r.language, r.licence, r.school_id`;

type Stats = { tableRows: number; sample: SampleState | null };

/** The library's size (the planner's count) and its standing sample's state, read once a minute per database. */
const statsCache = new WeakMap<object, { at: number; generation: number; stats: Stats }>();
async function libraryStats(db: DbOrTx): Promise<Stats> {
  const kept = statsCache.get(db);
  if (kept && Date.now() - kept.at < 60_000 && kept.generation === sampleGeneration()) return kept.stats;
  const generation = sampleGeneration();
  const [[row], sample] = await Promise.all([
    selectRows<{ reltuples: number }>(db, sql`select greatest(reltuples, 0)::float8 as reltuples from pg_class where oid = 'resources'::regclass`),
    sampleState(db),
  ]);
  const stats = { tableRows: Number(row?.reltuples ?? 0), sample: sample && sample.sampleRows > 0 ? sample : null };
  statsCache.set(db, { at: Date.now(), generation, stats });
  return stats;
}

type Counted = { rows: FacetRow[]; total: number; estimated: boolean };
/** A sample's figures scaled to the library, and the share of the library whose titles match (the standing sample only). */
type Sampled = { rows: FacetRow[]; estimate: number; titleShare: number | null };

/**
 * A match's count and facets estimated from a sample, scaled to the library: the standing sample
 * (library_sample, kept in memory) when there is one, else a page sample of the table itself
 * (TABLESAMPLE SYSTEM, the same pages every time so that pages of one search agree).
 */
async function sampled(db: DbOrTx, stats: Stats, match: SQL, filters: SQL, titleMatch?: SQL): Promise<Sampled> {
  let rows: FacetRow[];
  let scale: number;
  let titleShare: number | null = null;
  if (stats.sample) {
    // One pass for the plain facets (grouping sets), one each for the two arrays (unnest in the
    // select list: no function scan per row).
    rows = await selectRows<FacetRow>(
      db,
      sql`with m as materialized (select r.subject, r.grades, r.resource_type, r.language, r.licence, r.school_id, r.repository_ids,
          ${titleMatch ?? sql`false`} as in_title
        from library_sample r where ${match} and ${filters})
      select case when grouping(subject) = 0 then 'subject' when grouping(resource_type) = 0 then 'type'
          when grouping(language) = 0 then 'language' when grouping(licence) = 0 then 'licence'
          when grouping(school_id) = 0 then 'school' else 'n' end as f,
        coalesce(subject, resource_type, language, licence, school_id::text) as v, count(*)::int as c
        from m group by grouping sets ((subject), (resource_type), (language), (licence), (school_id), ())
      union all select 'grade', g::text, count(*)::int from (select unnest(grades) as g from m) x where g between 1 and 12 group by g
      union all select 'repo', x::text, count(*)::int from (select unnest(repository_ids) as x from m) y group by x
      union all select 'title', null, count(*)::int from m where in_title`,
    );
    if (titleMatch) titleShare = Number(rows.find((r) => r.f === "title")?.c ?? 0) / stats.sample.sampleRows;
    rows = rows.filter((r) => r.f !== "title" && (r.f === "n" || r.v !== null));
    scale = Math.max(stats.tableRows, stats.sample.sampleRows) / stats.sample.sampleRows;
  } else {
    const percent = Math.min(100, Math.max(0.1, (100 * SAMPLE_ROWS) / Math.max(1, stats.tableRows)));
    rows = await selectRows<FacetRow>(
      db,
      sql`with p as materialized (select ${FACET_COLUMNS}, (${match} and ${filters}) as hit from resources r tablesample system (${sql.raw(percent.toFixed(3))}) repeatable (11)),
        m as materialized (select * from p where hit)
        select 'all' as f, null::text as v, count(*)::int as c from p union all ${facetSelect("join", SAMPLE_SOURCES)}`,
    );
    const all = Number(rows.find((r) => r.f === "all")?.c ?? 0);
    rows = rows.filter((r) => r.f !== "all");
    scale = all > 0 ? Math.max(stats.tableRows, all) / all : 1;
  }
  const scaled = rows.map((r) => ({ ...r, c: Math.round(Number(r.c) * scale) }));
  return { rows: scaled, estimate: Number(scaled.find((r) => r.f === "n")?.c ?? 0), titleShare };
}

/** A sample's figures as a search's: marked estimated, the total with two significant figures. */
const estimated = (s: Sampled): Counted => ({ rows: s.rows, total: roughly(Math.max(EXACT_CAP + 1, s.estimate)), estimated: true });

/**
 * Up to EXACT_CAP matches, counted, faceted and ranked in one statement: every match is ranked (the
 * query's phrase in the title first, then all its words in the title, then elsewhere). Null when
 * there are more (the caller samples and ranks a bounded candidate set instead).
 */
async function exactMatches(db: DbOrTx, q: RankQuery, match: SQL, filters: SQL, offset: number, limit: number): Promise<{ counted: Counted; rows: HitRow[] } | null> {
  const [out] = await selectRows<{ n: number; facets: [string, string | null, number][] | string; hits: HitRow[] | string | null }>(
    db,
    sql`with m as materialized (
        select ${FACET_COLUMNS}, r.title_fold, ${tierOf(q, sql`r`)} * 0.5 + ts_rank(r.search_tsv, ${tsq(q.all, null)}) as rank
        from resources r where ${match} and ${filters} limit ${EXACT_CAP + 1}),
      n as (select count(*)::int as n from m),
      f as (${facetSelect()}),
      scored as (${rerank(q, sql`(select m.id, m.rank, m.title_fold from m, n where n.n <= ${EXACT_CAP})`)}),
      page as (${pageOf(sql`scored`, offset, limit)})
      select (select n from n) as n,
        (select coalesce(json_agg(json_build_array(f.f, f.v, f.c)), '[]'::json) from f) as facets,
        (select json_agg(p order by p.score desc, p.title_fold, p.id) from page p) as hits`,
  );
  const n = Number(out?.n ?? 0);
  if (n > EXACT_CAP) return null;
  const facets = json<[string, string | null, number][]>(out.facets);
  const rows = out.hits ? json<HitRow[]>(out.hits) : [];
  return { counted: { rows: facets.map(([f, v, c]) => ({ f, v, c: Number(c) })), total: n, estimated: false }, rows };
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

/** What ranking needs of a query: all its words (ANDed, or ORed when relaxed), its phrase, its folded text. */
type RankQuery = { all: string; phrase: string | null; folded: string; facet: string | null };

/**
 * Rows (id, rank) ordered by rank, the best RERANKED of them with the trigram similarity of their
 * title to the query added (it rewards the closest titles, and misspellings' nearest).
 */
function rerank(q: RankQuery, ranked: SQL): SQL {
  return sql`select x.id, x.title_fold, x.rank + case when x.k <= ${RERANKED} then similarity(x.title_fold, ${q.folded}) + 2 else 0 end as score
    from (select id, rank, title_fold, row_number() over (order by rank desc, id) as k from ${ranked} y) x`;
}

/** The page of `scored` (id, title_fold, score) asked for, then only its rows read in full. */
function pageOf(scored: SQL, offset: number, limit: number): SQL {
  return sql`select ${HIT_COLUMNS}, p.title_fold, p.score, p.candidates from (
      select id, title_fold, score, count(*) over ()::int as candidates from ${scored} z order by score desc, title_fold, id limit ${limit} offset ${offset}) p
    join resources r on r.id = p.id`;
}

/** A row's tier: the query's phrase in its title 3, all the words in its title 2, elsewhere 1. */
function tierOf(q: RankQuery, row: SQL): SQL {
  const inTitle = sql`${row}.title_tsv @@ to_tsquery('simple', ${q.all})`;
  return q.phrase ? sql`(case when ${row}.title_tsv @@ to_tsquery('simple', ${q.phrase}) then 3 when ${inTitle} then 2 else 1 end)` : sql`(case when ${inTitle} then 2 else 1 end)`;
}

/**
 * More matches than can be ranked each time: CANDIDATES rows are ranked, read from the title's index
 * first (titles holding every word); only when titles hold fewer does the whole text's index add
 * its matches (the second read is never started otherwise).
 *
 * When the sample says the words are in more than TITLE_DENSE of all titles ("de thi hoc ki": 12 %),
 * the titles are read in table order instead: CANDIDATES matches come within a few thousand rows,
 * where the index would first intersect several posting lists of a hundred thousand rows each.
 */
async function rankedPage(db: DbOrTx, q: RankQuery, filters: SQL, offset: number, limit: number, titleShare: number | null) {
  const candidates = (vector: "title_tsv" | "search_tsv") => sql`(select r.id, r.title_fold, ${tierOf(q, sql`r`)} * 0.5 + ts_rank(r.search_tsv, ${tsq(q.all, null)}) as rank
      from resources r where r.${sql.raw(vector)} @@ ${tsq(q.all, q.facet)} and ${filters} limit ${CANDIDATES})`;
  const ranked = (c: SQL) => sql`with c as (${c}),
      best as (select distinct on (id) id, title_fold, rank from c order by id),
      scored as (${rerank(q, sql`best`)}),
      page as (${pageOf(sql`scored`, offset, limit)})
      select * from page order by score desc, title_fold, id`;
  const dense = titleShare !== null && titleShare > TITLE_DENSE;
  // Which 200 rows are the candidates is the order the table is read in, so that order must be the
  // same for every page of a query: one process, and a sequential read from the table's first page
  // (a synchronised scan starts where the last one of the table was, or another is).
  const settings: Record<string, string> = { synchronize_seqscans: "off", max_parallel_workers_per_gather: "0" };
  if (dense) {
    // GIN indexes are read by bitmap only: without bitmaps the title branch reads the table in
    // order and stops at its LIMIT.
    const rows = await withSettings(db, { ...settings, enable_bitmapscan: "off" }, (tx) => selectRows<HitRow>(tx, ranked(candidates("title_tsv"))));
    // Fewer than a page's worth of candidates after all (the sample was wrong): the usual reads below.
    if (Number(rows[0]?.candidates ?? 0) >= CANDIDATES) return rows;
  }
  return withSettings(db, settings, (tx) =>
    selectRows<HitRow>(tx, ranked(sql`select * from (${candidates("title_tsv")} union all ${candidates("search_tsv")}) u limit ${CANDIDATES}`)),
  );
}

/**
 * `work` in a transaction with these planner settings, put back after it (the caller's own
 * transaction, when this is a savepoint in one, keeps its settings).
 */
async function withSettings<T>(db: DbOrTx, settings: Record<string, string>, work: (tx: DbOrTx) => Promise<T>): Promise<T> {
  const names = Object.keys(settings);
  return db.transaction(async (tx) => {
    const [before] = await selectRows<{ values: string[] }>(
      tx,
      sql`select array[${sql.join(names.map((n) => sql`current_setting(${n})`), sql`, `)}] as values, ${sql.join(names.map((n) => sql`set_config(${n}, ${settings[n]!}, true)`), sql`, `)}`,
    );
    const out = await work(tx);
    const values = pgArray(before!.values, String);
    await tx.execute(sql`select ${sql.join(names.map((n, i) => sql`set_config(${n}, ${values[i]!}, true)`), sql`, `)}`);
    return out;
  });
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

/** A list's count and facets, exactly, when it has at most EXACT_CAP matches (null when more). */
async function exactFacets(db: DbOrTx, match: SQL, filters: SQL): Promise<Counted | null> {
  const exact = await selectRows<FacetRow>(
    db,
    sql`with m as materialized (select ${FACET_COLUMNS} from resources r where ${match} and ${filters} limit ${EXACT_CAP + 1}) ${facetSelect()}`,
  );
  const n = Number(exact.find((r) => r.f === "n")?.c ?? 0);
  return n <= EXACT_CAP ? { rows: exact, total: n, estimated: false } : null;
}

/** Below this estimate a list (filters, no words) is counted exactly (the estimate's margin kept under EXACT_CAP). */
const LIKELY_FEW = 0.8 * EXACT_CAP;
/**
 * Below this estimate a query's matches are counted and every one of them ranked. Ranking costs
 * ≈ 28 µs a match on 1,000,000 resources (1,650 matches took 46–57 ms), so this path stops at
 * 1,200 and its worst case stays near 40 ms.
 */
const LIKELY_FEW_RANKED = 0.6 * EXACT_CAP;

/** Search the library. Broad and narrow queries alike look at a bounded number of rows. */
export async function searchLibrary(db: DbOrTx, input: SearchInput): Promise<SearchResult> {
  const pageSize = Math.min(50, Math.max(1, input.pageSize ?? PAGE_SIZE));
  const maxPage = Math.ceil(CANDIDATES / pageSize);
  const page = Math.min(maxPage, Math.max(1, Math.floor(input.page ?? 1) || 1));
  const offset = (page - 1) * pageSize;
  // Subject and grade are matched in the vectors (one GIN intersection with the words); a list
  // with no words is ordered by date on the columns' own indexes.
  const facet = facetQuery(input);
  const filters = filterSql(input, { vector: true });
  const words = queryWords(input.q ?? "");

  if (words.length === 0) {
    const match = facet ? sql`r.search_tsv @@ ${tsq(null, facet)}` : sql`true`;
    const count = async (): Promise<Counted> => {
      const stats = await libraryStats(db);
      if (stats.tableRows <= SMALL_LIBRARY) return (await exactFacets(db, match, filters)) ?? estimated(await sampled(db, stats, match, filters));
      const s = await sampled(db, stats, match, filters);
      return (s.estimate <= LIKELY_FEW && (await exactFacets(db, match, filters))) || estimated(s);
    };
    const [counted, rows] = await Promise.all([count(), browsePage(db, filterSql(input), offset, pageSize)]);
    return finish(db, rows, counted, page, Math.min(maxPage, Math.ceil(counted.total / pageSize)), [], false);
  }

  const [corrected, stats] = await Promise.all([correct(db, words), libraryStats(db)]);
  const plan = tsPlans(corrected);
  // A small library is counted exactly; a large one is first estimated from its sample (a few
  // milliseconds), then counted exactly only when the estimate is small.
  const run = async (relaxed: boolean): Promise<{ counted: Counted; rows: HitRow[] }> => {
    const q: RankQuery = { all: relaxed ? plan.or : plan.and, phrase: relaxed ? null : plan.phrase, folded: plan.folded, facet };
    const match = sql`r.search_tsv @@ ${tsq(q.all, facet)}`;
    // The same words in the title: the title's words are the A-weighted lexemes of search_tsv.
    const titleMatch = sql`r.search_tsv @@ ${tsq(q.all.replace(/'([^']+)'/g, "'$1':A"), facet)}`;
    const s = stats.tableRows <= SMALL_LIBRARY ? null : await sampled(db, stats, match, filters, titleMatch);
    if (!s || s.estimate <= LIKELY_FEW_RANKED) {
      const exact = await exactMatches(db, q, match, filters, offset, pageSize);
      if (exact) return exact;
    }
    const [counts, rows] = await Promise.all([s ?? sampled(db, stats, match, filters), rankedPage(db, q, filters, offset, pageSize, s?.titleShare ?? null)]);
    return { counted: estimated(counts), rows };
  };
  let relaxed = false;
  let found = await run(false);
  if (found.counted.total === 0 && corrected.length > 1) {
    relaxed = true;
    found = await run(true);
  }
  const { counted } = found;
  const rows = counted.total === 0 ? [] : found.rows;
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
