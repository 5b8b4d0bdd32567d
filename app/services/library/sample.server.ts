/**
 * The library's standing sample (migration 0022, docs/decisions/011-library-search.md): about
 * SAMPLE_TARGET resources drawn at random (Bernoulli, every row equally likely), with only what a
 * search's estimate reads. A broad query's count and facets are estimated from it: a scan of a
 * small table that stays in memory, instead of random pages of the whole library.
 *
 * The `library-sample` job refreshes it when the library has grown or shrunk by more than
 * DRIFT since the last draw, or a day has passed; a small library (every search exact) keeps none.
 */
import { sql } from "drizzle-orm";
import { selectRows, type Db, type DbOrTx } from "../../../db/client.server.ts";

/** Rows drawn into the sample, about. */
export const SAMPLE_TARGET = 10_000;
/** Below this many resources every search is counted exactly: no sample is kept. */
export const SMALL_LIBRARY = 50_000;
/** The share of change in the library's size after which the sample is drawn again. */
const DRIFT = 0.02;
const MAX_AGE_MS = 24 * 3600_000;

/** Draws made by this process: a search that kept the old state reads it again (other processes within a minute). */
let generation = 0;
export const sampleGeneration = () => generation;

export type SampleState = { libraryRows: number; sampleRows: number; refreshedAt: Date };

export async function sampleState(db: DbOrTx): Promise<SampleState | null> {
  const [row] = await selectRows<{ library_rows: string | number; sample_rows: number; refreshed_at: string | Date }>(
    db,
    sql`select library_rows, sample_rows, refreshed_at from library_sample_state where id = 1`,
  );
  return row ? { libraryRows: Number(row.library_rows), sampleRows: Number(row.sample_rows), refreshedAt: new Date(row.refreshed_at) } : null;
}

/** Draw the sample again (one transaction: searches see the old sample or the new one). */
export async function refreshLibrarySample(db: Db): Promise<{ libraryRows: number; sampleRows: number }> {
  const out = await db.transaction(async (tx) => {
    const [{ n }] = await selectRows<{ n: number }>(tx, sql`select count(*)::int as n from resources`);
    await tx.execute(sql`delete from library_sample`);
    let sampleRows = 0;
    if (n > SMALL_LIBRARY) {
      const percent = Math.min(100, (100 * SAMPLE_TARGET) / n);
      const inserted = await selectRows<{ n: number }>(
        tx,
        sql`with drawn as (
            insert into library_sample (id, subject, grades, resource_type, language, licence, school_id, repository_ids, search_tsv)
            select r.id, r.subject, r.grades, r.resource_type, r.language, r.licence, r.school_id,
              coalesce((select array_agg(s.repository_id order by s.repository_id) from resource_sources s where s.resource_id = r.id), '{}'),
              r.search_tsv
            from resources r tablesample bernoulli (${sql.raw(percent.toFixed(4))})
            returning 1)
          select count(*)::int as n from drawn`,
      );
      sampleRows = inserted[0]?.n ?? 0;
    }
    await tx.execute(sql`insert into library_sample_state (id, library_rows, sample_rows, refreshed_at) values (1, ${n}, ${sampleRows}, now())
      on conflict (id) do update set library_rows = excluded.library_rows, sample_rows = excluded.sample_rows, refreshed_at = excluded.refreshed_at`);
    return { libraryRows: n, sampleRows };
  });
  generation++;
  return out;
}

/** The job: draw again when the library's size has drifted or the sample is a day old. */
export async function refreshLibrarySampleIfStale(db: Db, now = new Date()): Promise<Record<string, unknown>> {
  const [{ rows }] = await selectRows<{ rows: number }>(db, sql`select greatest(reltuples, 0)::float8 as rows from pg_class where oid = 'resources'::regclass`);
  const state = await sampleState(db);
  const size = Number(rows);
  const stale =
    !state ||
    now.getTime() - state.refreshedAt.getTime() > MAX_AGE_MS ||
    Math.abs(size - state.libraryRows) > DRIFT * Math.max(state.libraryRows, 1) ||
    (state.sampleRows === 0 && size > SMALL_LIBRARY);
  if (!stale) return { refreshed: false };
  return { refreshed: true, ...(await refreshLibrarySample(db)) };
}
