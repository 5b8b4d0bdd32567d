/**
 * The `library-harvest` job. Without a repository (the scheduled tick) it queues one job per due
 * repository, keyed by the repository (pg-boss `stately` queue: at most one queued and one running
 * per repository); with one it harvests it (in a child process on PostgreSQL). A repository that
 * asked us to come back later (503 Retry-After beyond a short wait) is queued again for that time,
 * its run left open to resume.
 */
import type PgBoss from "pg-boss";
import type { Database } from "../../../db/client.server.ts";
import { dueRepositories } from "./harvest.server.ts";
import { runHarvestApart } from "./harvest-apart.server.ts";
import { refreshLibrarySampleIfStale } from "./sample.server.ts";

export const LIBRARY_HARVEST = "library-harvest";

export async function libraryHarvestJob(database: Database, data: unknown, boss: Pick<PgBoss, "send">): Promise<Record<string, unknown>> {
  const repositoryId = typeof data === "object" && data && typeof (data as { repositoryId?: unknown }).repositoryId === "string" ? (data as { repositoryId: string }).repositoryId : null;
  const due = await dueRepositories(database.db);
  if (!repositoryId) {
    let queued = 0;
    for (const id of due) if (await boss.send(LIBRARY_HARVEST, { repositoryId: id }, { singletonKey: id, retryLimit: 2, retryDelay: 300 })) queued++;
    return { due: due.length, queued };
  }
  // Queued twice (a tick while it ran): nothing to do unless it is still due.
  if (!due.includes(repositoryId)) return { repositoryId, skipped: "not due" };
  // In a process of its own on PostgreSQL (harvest-apart.server.ts).
  const out = await runHarvestApart(database, repositoryId);
  // A harvest that grew or shrank the library may leave the search's sample stale.
  if (out.added + out.deleted > 0) await refreshLibrarySampleIfStale(database.db);
  if (out.status === "waiting" && out.retryAt) {
    await boss.send(LIBRARY_HARVEST, { repositoryId }, { singletonKey: repositoryId, startAfter: out.retryAt });
  }
  return { repositoryId, status: out.status, added: out.added, updated: out.updated, deleted: out.deleted, skipped: out.skipped, ...(out.error ? { error: out.error.key } : {}) };
}
