/**
 * Reading the registered repositories for the admin pages and the CLI: each with its owner, its
 * number of resources and its last harvest; one repository with its recent harvests and their
 * skipped records. Who may see which is decided by the caller (the owner organisations given).
 */
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "../../../db/client.server.ts";
import { harvestRuns, harvestSkips, organizations, repositories, type HarvestRun, type Repository } from "../../../db/schema/index.ts";

export type RepositoryRow = Repository & {
  ownerName: string;
  ownerCode: string;
  ownerKind: "province" | "school";
  resources: number;
  lastRun: HarvestRun | null;
};

/** Repositories owned by `ownerOrgIds` (null: all), newest first. */
export async function repositoryList(db: DbOrTx, ownerOrgIds: string[] | null): Promise<RepositoryRow[]> {
  if (ownerOrgIds && !ownerOrgIds.length) return [];
  const rows = await db
    .select({
      repo: repositories,
      ownerName: organizations.name,
      ownerCode: organizations.code,
      ownerKind: organizations.kind,
      resources: sql<number>`(select count(*)::int from resource_sources s where s.repository_id = repositories.id)`,
    })
    .from(repositories)
    .innerJoin(organizations, eq(organizations.id, repositories.ownerOrgId))
    .where(ownerOrgIds ? inArray(repositories.ownerOrgId, ownerOrgIds) : undefined)
    .orderBy(desc(repositories.createdAt));
  const ids = rows.map((r) => r.repo.id);
  const last = ids.length
    ? await db
        .selectDistinctOn([harvestRuns.repositoryId])
        .from(harvestRuns)
        .where(inArray(harvestRuns.repositoryId, ids))
        .orderBy(harvestRuns.repositoryId, desc(harvestRuns.startedAt))
    : [];
  const lastOf = new Map(last.map((r) => [r.repositoryId, r]));
  return rows.map((r) => ({ ...r.repo, ownerName: r.ownerName, ownerCode: r.ownerCode, ownerKind: r.ownerKind, resources: Number(r.resources), lastRun: lastOf.get(r.repo.id) ?? null }));
}

export type RunView = HarvestRun & { skips: { identifier: string; reason: string }[] };

/** One repository (if among `ownerOrgIds`, null: any) and its last `limit` harvests with their skipped records. */
export async function repositoryDetail(db: DbOrTx, id: string, ownerOrgIds: string[] | null, limit = 10): Promise<{ repository: RepositoryRow; runs: RunView[] } | null> {
  const [repository] = (await repositoryList(db, ownerOrgIds)).filter((r) => r.id === id);
  if (!repository) return null;
  const runs = await db.select().from(harvestRuns).where(eq(harvestRuns.repositoryId, id)).orderBy(desc(harvestRuns.startedAt)).limit(limit);
  const skips = runs.length
    ? await db.select({ runId: harvestSkips.runId, identifier: harvestSkips.identifier, reason: harvestSkips.reason }).from(harvestSkips).where(and(inArray(harvestSkips.runId, runs.map((r) => r.id)))).orderBy(harvestSkips.id).limit(2000)
    : [];
  return { repository, runs: runs.map((r) => ({ ...r, skips: skips.filter((s) => s.runId === r.id).map(({ identifier, reason }) => ({ identifier, reason })) })) };
}
