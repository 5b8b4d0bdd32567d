/**
 * Harvesting a registered repository into the library. A run is incremental (from the repository's
 * last fully harvested datestamp) or full. Each page's upserts (resources and their sources,
 * multi-row), its deletions, its skipped records and the run's saved cursor (resumption token,
 * counts, newest datestamp) commit in one transaction, so a run that stops anywhere resumes from
 * its last page with nothing doubled. The same material from two repositories is one resource (by
 * its DOI, else its URL, else its identifier) with one source row per repository record.
 */
import { and, desc, eq, sql } from "drizzle-orm";
import { selectRows, type Db, type DbOrTx, type Tx } from "../../../db/client.server.ts";
import { harvestRuns, harvestSkips, repositories, resources, resourceSources, type HarvestRun, type Repository } from "../../../db/schema/index.ts";
import { OaiPmhClient, normaliseBaseUrl } from "../../../integrations/oai-pmh/client.server.ts";
import { OaiPmhError } from "../../../integrations/oai-pmh/errors.ts";
import type { HarvestPage, HarvestedRecord, RepositorySource } from "../../../integrations/ports.ts";
import { deriveResource, type DerivedResource } from "../../lib/library-metadata.ts";

export type SourceFactory = (baseUrl: string) => RepositorySource & { datestampArg?: (v: string) => string };
export const defaultSource: SourceFactory = (baseUrl) => new OaiPmhClient(baseUrl);

export type RunParams = { metadataPrefix: string; from: string | null; until: string | null; sets: string[]; setIndex: number; restarts: number };

export type HarvestOutcome = {
  runId: string;
  repositoryId: string;
  status: "succeeded" | "failed" | "waiting" | "interrupted";
  mode: "incremental" | "full";
  added: number;
  updated: number;
  deleted: number;
  skipped: number;
  pages: number;
  skips: { identifier: string; reason: string }[];
  /** i18n key of the failure (`repositories.error.*`) and the repository's own words. */
  error?: { key: string; detail?: string };
  /** For `waiting`: when the repository asked us to come back (Retry-After). */
  retryAt?: Date;
};

export type HarvestOptions = {
  full?: boolean;
  /** Harvest only this set this time (instead of the repository's sets). */
  set?: string;
  prefix?: string;
  source?: SourceFactory;
  /** Checked after each committed page: aborted → the run stays open to be resumed. */
  signal?: AbortSignal;
  onPage?: (pages: number) => void;
};

/** Records that a skip, stored in harvest_skips.reason as "code" or "code: detail". */
export function skipReason(s: { reason: string; detail?: string }): string {
  return s.detail ? `${s.reason}: ${s.detail}` : s.reason;
}

/** The open run of a repository (interrupted, waiting or queued), if any. */
async function openRun(db: DbOrTx, repositoryId: string): Promise<HarvestRun | undefined> {
  const [run] = await db.select().from(harvestRuns).where(and(eq(harvestRuns.repositoryId, repositoryId), eq(harvestRuns.status, "running"))).orderBy(desc(harvestRuns.startedAt)).limit(1);
  return run;
}

/** Asks for a harvest soon ("Thu thập ngay"): an open run the job (or the CLI) picks up. */
export async function requestHarvest(db: Db, repositoryId: string, opts: { full?: boolean } = {}): Promise<{ runId: string; alreadyOpen: boolean }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select id from repositories where id = ${repositoryId} for update`);
    const open = await openRun(tx, repositoryId);
    if (open) return { runId: open.id, alreadyOpen: true };
    const repo = (await tx.select().from(repositories).where(eq(repositories.id, repositoryId)))[0]!;
    const [run] = await tx.insert(harvestRuns).values({ repositoryId, mode: opts.full ? "full" : "incremental", params: initialParams(repo, opts) }).returning({ id: harvestRuns.id });
    return { runId: run!.id, alreadyOpen: false };
  });
}

function initialParams(repo: Repository, opts: Pick<HarvestOptions, "full" | "set" | "prefix">): RunParams {
  return {
    metadataPrefix: opts.prefix ?? repo.metadataPrefix,
    from: opts.full ? null : repo.lastDatestamp,
    until: null,
    sets: opts.set ? [opts.set] : repo.sets,
    setIndex: 0,
    restarts: 0,
  };
}

/** Runs (or resumes) a harvest of one repository to its end, page by page. */
export async function runHarvest(db: Db, repositoryId: string, opts: HarvestOptions = {}): Promise<HarvestOutcome> {
  const repo = (await db.select().from(repositories).where(eq(repositories.id, repositoryId)))[0];
  if (!repo) throw new Error(`no repository ${repositoryId}`);
  let run = await openRun(db, repositoryId);
  const fresh = !run || (run.pages === 0 && !run.resumptionToken && (opts.full || opts.set || opts.prefix));
  if (run && fresh) {
    // A queued request with nothing done yet takes this call's options.
    [run] = await db.update(harvestRuns).set({ mode: opts.full ? "full" : run.mode, params: initialParams(repo, { ...opts, full: opts.full ?? run.mode === "full" }) }).where(eq(harvestRuns.id, run.id)).returning();
  } else if (!run) {
    [run] = await db.insert(harvestRuns).values({ repositoryId, mode: opts.full ? "full" : "incremental", params: initialParams(repo, opts) }).returning();
  }
  const runId = run!.id;
  const params = { ...(run!.params as RunParams) };
  let cursor = run!.resumptionToken;
  const source = (opts.source ?? defaultSource)(repo.baseUrl);
  const outcome = (status: HarvestOutcome["status"], extra: Partial<HarvestOutcome> = {}) => finish(db, runId, repositoryId, status, extra);
  try {
    const identity = await source.identify();
    await db.update(repositories).set({ granularity: identity.granularity, deletedRecord: identity.deletedRecord, earliestDatestamp: identity.earliestDatestamp }).where(eq(repositories.id, repositoryId));
    const sets = params.sets.length ? params.sets : [undefined];
    let pages = run!.pages;
    while (params.setIndex < sets.length) {
      const set = sets[params.setIndex];
      let reachedEnd = false;
      const list = source.harvest({ format: params.metadataPrefix, from: params.from ?? undefined, until: params.until ?? undefined, set, cursor })[Symbol.asyncIterator]();
      try {
        // The next page is read (fetched, parsed, mapped) while this one is written: the database and
        // the parser work at the same time. Pages are still committed one by one, in order, each with
        // its cursor; a page read ahead and not committed is read again on resume.
        let ahead = readAhead(list);
        for (;;) {
          const step = await ahead;
          if (step.done) break;
          const page = step.value;
          ahead = readAhead(list);
          const lastOfSet = !page.partial && !page.cursor;
          const next: RunParams = lastOfSet ? { ...params, setIndex: params.setIndex + 1 } : params;
          await db.transaction((tx) => applyPage(tx, repo, runId, page, next, lastOfSet && next.setIndex >= sets.length));
          if (!page.partial) pages++;
          cursor = page.cursor;
          Object.assign(params, next);
          reachedEnd = lastOfSet;
          opts.onPage?.(pages);
          if (opts.signal?.aborted) return outcome("interrupted");
        }
      } catch (e) {
        if (e instanceof OaiPmhError && e.kind === "badResumptionToken" && cursor && params.restarts < 2) {
          // The token expired (or the repository forgot it): this set again from the last saved datestamp.
          params.restarts++;
          cursor = null;
          await db.update(harvestRuns).set({ resumptionToken: null, params }).where(eq(harvestRuns.id, runId));
          continue;
        }
        throw e;
      } finally {
        // Closes the list's answer (after the page being read ahead, if any), without waiting for it.
        list.return?.(undefined).catch(() => {});
      }
      if (!reachedEnd) {
        // noRecordsMatch: the set is done with nothing in it.
        params.setIndex++;
        cursor = null;
        const empty: HarvestPage = { records: [], deletions: [], skipped: [], cursor: null, requestCursor: null, partial: true };
        await db.transaction((tx) => applyPage(tx, repo, runId, empty, { ...params }, params.setIndex >= sets.length));
      }
    }
    return outcome("succeeded");
  } catch (e) {
    if (e instanceof OaiPmhError) {
      const error = { key: e.messageKey, detail: e.providerMessage };
      if (e.kind === "retryLater" && e.retryAt) {
        await db.update(harvestRuns).set({ error: errorText(error) }).where(eq(harvestRuns.id, runId));
        return outcome("waiting", { error, retryAt: e.retryAt });
      }
      await db.update(harvestRuns).set({ status: "failed", error: errorText(error), finishedAt: sql`now()` }).where(eq(harvestRuns.id, runId));
      return outcome("failed", { error });
    }
    const error = { key: "repositories.error.internal", detail: (e as Error).message?.slice(0, 300) };
    await db.update(harvestRuns).set({ status: "failed", error: errorText(error), finishedAt: sql`now()` }).where(eq(harvestRuns.id, runId));
    throw e;
  }
}

/** The list's next page, its failure kept for when it is awaited (not an unhandled rejection meanwhile). */
function readAhead(list: AsyncIterator<HarvestPage>): Promise<IteratorResult<ReadPage>> {
  const next = list.next().then((step): IteratorResult<ReadPage> => {
    if (step.done) return step;
    // Derived while the page before is being written, so that writing waits on the database only.
    const derived = new Map(step.value.records.map((r) => [r, deriveResource(r)]));
    return { done: false, value: { ...step.value, derived } };
  });
  next.catch(() => {});
  return next;
}

/** A page with the library row each of its records makes. */
type ReadPage = HarvestPage & { derived?: Map<HarvestedRecord, DerivedResource> };

export const errorText = (e: { key: string; detail?: string }) => (e.detail ? `${e.key}\n${e.detail}` : e.key);
export function parseErrorText(text: string | null): { key: string; detail?: string } | null {
  if (!text) return null;
  const [key, ...rest] = text.split("\n");
  return { key: key!, detail: rest.join("\n") || undefined };
}

async function finish(db: Db, runId: string, repositoryId: string, status: HarvestOutcome["status"], extra: Partial<HarvestOutcome>): Promise<HarvestOutcome> {
  const [run] = await db.select().from(harvestRuns).where(eq(harvestRuns.id, runId));
  const skips = await db.select({ identifier: harvestSkips.identifier, reason: harvestSkips.reason }).from(harvestSkips).where(eq(harvestSkips.runId, runId)).orderBy(harvestSkips.id).limit(1000);
  return { runId, repositoryId, status, mode: run!.mode, added: run!.added, updated: run!.updated, deleted: run!.deleted, skipped: run!.skipped, pages: run!.pages, skips, ...extra };
}

const BATCH = 1000;

/** One page in one transaction: resources and sources upserted, deletions applied, skips recorded, the cursor saved. */
async function applyPage(tx: Tx, repo: Repository, runId: string, page: ReadPage, params: RunParams, done: boolean): Promise<void> {
  let added = 0;
  let updated = 0;
  let deleted = 0;
  let maxDatestamp: string | null = null;
  const seen = (d: string) => {
    if (!maxDatestamp || d > maxDatestamp) maxDatestamp = d;
  };
  // The last word on an identifier within the page wins (a record then its deletion, or twice).
  const latest = new Map<string, { kind: "record"; r: HarvestedRecord } | { kind: "deleted"; datestamp: string }>();
  for (const r of page.records) latest.set(r.identifier, { kind: "record", r });
  for (const d of page.deletions) latest.set(d.identifier, { kind: "deleted", datestamp: d.datestamp });
  const records: HarvestedRecord[] = [];
  const deletions: string[] = [];
  for (const [id, v] of latest) {
    if (v.kind === "record") {
      records.push(v.r);
      seen(v.r.datestamp);
    } else {
      deletions.push(id);
      seen(v.datestamp);
    }
  }
  for (let i = 0; i < records.length; i += BATCH) {
    const r = await upsertRecords(tx, repo.id, records.slice(i, i + BATCH), page.derived);
    added += r.added;
    updated += r.updated;
  }
  for (let i = 0; i < deletions.length; i += BATCH) deleted += await removeSources(tx, repo.id, deletions.slice(i, i + BATCH));
  if (page.skipped.length) {
    await tx.insert(harvestSkips).values(page.skipped.map((s) => ({ runId, identifier: s.identifier.slice(0, 500), reason: skipReason(s).slice(0, 500) })));
  }
  const maxD = maxDatestamp as string | null;
  await tx
    .update(harvestRuns)
    .set({
      resumptionToken: page.cursor,
      params,
      pages: page.partial ? harvestRuns.pages : sql`${harvestRuns.pages} + 1`,
      added: sql`${harvestRuns.added} + ${added}`,
      updated: sql`${harvestRuns.updated} + ${updated}`,
      deleted: sql`${harvestRuns.deleted} + ${deleted}`,
      skipped: sql`${harvestRuns.skipped} + ${page.skipped.length}`,
      maxDatestamp: maxD ? sql`greatest(${harvestRuns.maxDatestamp}, ${maxD}::text)` : harvestRuns.maxDatestamp,
      ...(done ? { status: "succeeded" as const, finishedAt: sql`now()`, error: null } : {}),
    })
    .where(eq(harvestRuns.id, runId));
  if (done) {
    // The next incremental harvest starts from the newest datestamp this one saw (or where it started).
    await tx.execute(sql`
      update repositories r set last_datestamp = greatest(r.last_datestamp, h.max_datestamp)
      from harvest_runs h where h.id = ${runId} and r.id = h.repository_id`);
  }
}

/** Records into the library as a harvest page would put them (the demo seed uses it). */
export async function ingestRecords(tx: Tx, repositoryId: string, records: HarvestedRecord[]): Promise<{ added: number; updated: number }> {
  return upsertRecords(tx, repositoryId, records);
}

/**
 * A list as one bound parameter (JSON text, unpacked by the database): each statement below has one
 * text whatever the number of rows, so it is prepared once per connection instead of once per
 * distinct page size (postgres.js keeps every prepared statement of a connection), and binding is
 * one string instead of thousands of parameters.
 */
const jsonParam = (value: unknown) => sql`${JSON.stringify(value)}::text::jsonb`;
const textList = (values: string[]) => sql`(select jsonb_array_elements_text(${jsonParam(values)}))`;
const uuidList = (values: string[]) => sql`(select jsonb_array_elements_text(${jsonParam(values)})::uuid)`;

type IdRow = { id: string; dedupe_key: string };
type SourceRow = { identifier: string; existed: boolean; old_resource_id: string | null };

async function upsertRecords(tx: Tx, repositoryId: string, records: HarvestedRecord[], known?: Map<HarvestedRecord, DerivedResource>): Promise<{ added: number; updated: number }> {
  const derived = records.map((r) => ({ r, d: known?.get(r) ?? deriveResource(r) }));
  // One row per dedupe key in the statement (two records of the page may be the same material).
  const byKey = new Map<string, (typeof derived)[number]["d"]>();
  for (const { d } of derived) byKey.set(d.dedupeKey, d);
  const input = [...byKey.values()].map((d) => ({
    dedupe_key: d.dedupeKey,
    title: d.title,
    description: d.description,
    subjects: d.subjects,
    keywords: d.keywords,
    authors: d.authors,
    subject: d.subject,
    grades: d.grades,
    resource_type: d.resourceType,
    language: d.language,
    licence: d.licence,
    url: d.url,
    search_text: d.searchText,
  }));
  // Inserted or changed rows come back from the guarded upsert; unchanged ones are read in the
  // same statement (from its snapshot, where they already are).
  const rows = await selectRows<IdRow>(
    tx,
    sql`with input as (
        select * from jsonb_to_recordset(${jsonParam(input)}) as x(dedupe_key text, title text, description text, subjects text[], keywords text[], authors text[],
          subject text, grades smallint[], resource_type text, language text, licence text, url text, search_text text)
      ), up as (
        insert into resources (dedupe_key, title, description, subjects, keywords, authors, subject, grades, resource_type, language, licence, url, search_text)
        select dedupe_key, title, description, subjects, keywords, authors, subject, grades, resource_type, language, licence, url, search_text from input
        on conflict (dedupe_key) do update set title = excluded.title, description = excluded.description, subjects = excluded.subjects,
          keywords = excluded.keywords, authors = excluded.authors, subject = excluded.subject, grades = excluded.grades,
          resource_type = excluded.resource_type, language = excluded.language, licence = excluded.licence, url = excluded.url,
          search_text = excluded.search_text, updated_at = now()
        where resources.search_text is distinct from excluded.search_text or resources.subject is distinct from excluded.subject or resources.grades is distinct from excluded.grades
          or resources.url is distinct from excluded.url or resources.licence is distinct from excluded.licence or resources.language is distinct from excluded.language
          or resources.resource_type is distinct from excluded.resource_type
        returning id, dedupe_key
      )
      select coalesce(up.id, r.id) as id, input.dedupe_key from input left join up on up.dedupe_key = input.dedupe_key
        left join resources r on up.id is null and r.dedupe_key = input.dedupe_key`,
  );
  const idOf = new Map(rows.map((r) => [r.dedupe_key, r.id]));
  const sources = derived.map(({ r, d }) => ({ identifier: r.identifier, resource_id: idOf.get(d.dedupeKey)!, datestamp: r.datestamp, set_specs: r.setSpecs, metadata: r.metadata }));
  // The sources upserted (new or changed), each with the resource it held before (the statement's snapshot).
  const changed = await selectRows<SourceRow>(
    tx,
    sql`with input as (
        select * from jsonb_to_recordset(${jsonParam(sources)}) as x(identifier text, resource_id uuid, datestamp text, set_specs text[], metadata jsonb)
      ), before as (
        select s.identifier, s.resource_id from resource_sources s where s.repository_id = ${repositoryId} and s.identifier in (select identifier from input)
      ), up as (
        insert into resource_sources (repository_id, identifier, resource_id, datestamp, set_specs, metadata)
        select ${repositoryId}::uuid, identifier, resource_id, datestamp, coalesce(set_specs, '{}'), metadata from input
        on conflict (repository_id, identifier) do update set resource_id = excluded.resource_id, datestamp = excluded.datestamp,
          set_specs = excluded.set_specs, metadata = excluded.metadata, harvested_at = now()
        where resource_sources.resource_id is distinct from excluded.resource_id or resource_sources.datestamp is distinct from excluded.datestamp
          or resource_sources.metadata is distinct from excluded.metadata or resource_sources.set_specs is distinct from excluded.set_specs
        returning identifier, resource_id
      )
      select up.identifier, before.identifier is not null as existed, before.resource_id as old_resource_id
      from up left join before on before.identifier = up.identifier`,
  );
  let added = 0;
  let updated = 0;
  // A record whose DOI or URL changed moved to another resource: the old one goes when nothing holds it.
  const moved = new Set<string>();
  const now = new Map(sources.map((s) => [s.identifier, s.resource_id]));
  for (const c of changed) {
    if (!c.existed) {
      added++;
      continue;
    }
    updated++;
    if (c.old_resource_id && c.old_resource_id !== now.get(c.identifier)) moved.add(c.old_resource_id);
  }
  if (moved.size) await removeOrphans(tx, [...moved]);
  return { added, updated };
}

async function removeSources(tx: Tx, repositoryId: string, identifiers: string[]): Promise<number> {
  const gone = await tx
    .delete(resourceSources)
    .where(and(eq(resourceSources.repositoryId, repositoryId), sql`${resourceSources.identifier} in ${textList(identifiers)}`))
    .returning({ resourceId: resourceSources.resourceId });
  if (gone.length) await removeOrphans(tx, [...new Set(gone.map((g) => g.resourceId))]);
  return gone.length;
}

/** Resources no repository record holds any more (and that are not an open lesson of ours). */
async function removeOrphans(tx: Tx, ids: string[]) {
  await tx.delete(resources).where(
    and(sql`${resources.id} in ${uuidList(ids)}`, sql`${resources.lessonId} is null`, sql`not exists (select 1 from resource_sources s where s.resource_id = resources.id)`),
  );
}

// ---------------------------------------------------------------------------------------------
// Registering a repository

export class RepositoryCheckError extends Error {
  constructor(
    readonly key: string,
    readonly detail?: string,
  ) {
    super(detail ? `${key}: ${detail}` : key);
  }
}

export type RepositoryInput = {
  ownerOrgId: string;
  baseUrl: string;
  name?: string;
  metadataPrefix?: "oai_dc" | "lom";
  sets?: string[];
  schedule?: "daily" | "weekly" | "manual";
  createdBy?: string | null;
};

/** The formats an admin may pick among those a repository offers. */
export const HARVESTABLE_FORMATS = ["oai_dc", "lom"] as const;

/**
 * Checks a base URL with Identify and ListMetadataFormats, then saves the repository (for its owner).
 * Throws RepositoryCheckError (an i18n key and the repository's words) when it is not usable.
 */
export async function registerRepository(db: Db, input: RepositoryInput, source: SourceFactory = defaultSource): Promise<{ repository: Repository; created: boolean }> {
  let baseUrl: string;
  try {
    baseUrl = normaliseBaseUrl(input.baseUrl);
  } catch (e) {
    throw new RepositoryCheckError("repositories.error.badBaseUrl", (e as OaiPmhError).providerMessage);
  }
  const client = source(baseUrl);
  let identity;
  let formats;
  try {
    identity = await client.identify();
    formats = await client.listFormats();
  } catch (e) {
    if (e instanceof OaiPmhError) throw new RepositoryCheckError(e.messageKey, e.providerMessage);
    throw e;
  }
  const offered = formats.map((f) => f.prefix);
  const prefix = input.metadataPrefix ?? "oai_dc";
  if (!offered.includes(prefix)) throw new RepositoryCheckError("repositories.error.formatNotOffered", `${prefix} ∉ ${offered.join(", ")}`);
  const values = {
    ownerOrgId: input.ownerOrgId,
    name: (input.name?.trim() || identity.name).slice(0, 200),
    baseUrl,
    metadataPrefix: prefix,
    sets: input.sets ?? [],
    schedule: input.schedule ?? "daily",
    granularity: identity.granularity,
    earliestDatestamp: identity.earliestDatestamp,
    deletedRecord: identity.deletedRecord,
    adminEmail: identity.adminEmails[0] ?? null,
    createdBy: input.createdBy ?? null,
  };
  const existing = (await db.select().from(repositories).where(and(eq(repositories.ownerOrgId, input.ownerOrgId), eq(repositories.baseUrl, baseUrl))))[0];
  if (existing) {
    const [repository] = await db.update(repositories).set({ ...values, createdBy: existing.createdBy }).where(eq(repositories.id, existing.id)).returning();
    return { repository: repository!, created: false };
  }
  const [repository] = await db.insert(repositories).values(values).returning();
  return { repository: repository!, created: true };
}

/** What a base URL offers, for the add form's second step (formats and sets). */
export async function inspectRepository(baseUrl: string, source: SourceFactory = defaultSource) {
  let url: string;
  try {
    url = normaliseBaseUrl(baseUrl);
  } catch (e) {
    throw new RepositoryCheckError("repositories.error.badBaseUrl", (e as OaiPmhError).providerMessage);
  }
  const client = source(url);
  try {
    const identity = await client.identify();
    const formats = (await client.listFormats()).map((f) => f.prefix);
    const sets = await client.listSets().catch(() => []);
    return { baseUrl: url, identity, formats, harvestable: HARVESTABLE_FORMATS.filter((f) => formats.includes(f)), sets: sets.slice(0, 200) };
  } catch (e) {
    if (e instanceof OaiPmhError) throw new RepositoryCheckError(e.messageKey, e.providerMessage);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Schedules

const PERIOD_MS = { daily: 24 * 3600_000, weekly: 7 * 24 * 3600_000 } as const;

/**
 * Repositories to harvest now: an open run (queued, interrupted or waiting), or a schedule whose
 * period has passed since the last run started.
 */
export async function dueRepositories(db: DbOrTx, now = new Date()): Promise<string[]> {
  const rows = await db
    .select({
      id: repositories.id,
      schedule: repositories.schedule,
      last: sql<number | null>`(select extract(epoch from max(h.started_at))::float8 from harvest_runs h where h.repository_id = repositories.id)`,
      open: sql<boolean>`exists (select 1 from harvest_runs h where h.repository_id = repositories.id and h.status = 'running')`,
    })
    .from(repositories);
  return rows
    .filter((r) => r.open || (r.schedule !== "manual" && (r.last === null || now.getTime() - Number(r.last) * 1000 >= PERIOD_MS[r.schedule] - 5 * 60_000)))
    .map((r) => r.id);
}
