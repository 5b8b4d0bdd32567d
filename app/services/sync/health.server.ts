/** What the sync page shows and saves: the scope an admin chose, and the health of the last runs. */
import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { connections, syncRuns, syncScopes, syncSkips } from "../../../db/schema/index.ts";
import { COURSE_PROVIDERS } from "./course-sync.server.ts";
import type { SyncScope } from "./engine.server.ts";

/** A connection that has a course sync (a course platform's), with its school. */
export async function syncableConnection(db: Db, connectionId: string) {
  const [c] = await db.select().from(connections).where(eq(connections.id, connectionId));
  if (!c || !c.schoolId || !COURSE_PROVIDERS[c.provider]) return null;
  return c;
}

export async function syncHealth(db: Db, connectionId: string) {
  const [scope] = await db.select().from(syncScopes).where(eq(syncScopes.connectionId, connectionId));
  const runs = await db.select().from(syncRuns).where(and(eq(syncRuns.connectionId, connectionId), eq(syncRuns.kind, "course-sync"))).orderBy(desc(syncRuns.startedAt)).limit(5);
  const last = runs[0] ?? null;
  const skips = last ? await db.select().from(syncSkips).where(eq(syncSkips.runId, last.id)).orderBy(syncSkips.id).limit(500) : [];
  return {
    scope: scope ? { mode: scope.mode, selection: scope.selection, schedule: scope.schedule } : { mode: "all" as const, selection: [] as string[], schedule: "daily" as const },
    runs: runs.map((r) => ({
      id: r.id,
      status: r.status,
      startedAt: r.startedAt.toISOString(),
      finishedAt: r.finishedAt?.toISOString() ?? null,
      seconds: r.finishedAt ? Math.round((r.finishedAt.getTime() - r.startedAt.getTime()) / 100) / 10 : null,
      counts: r.counts as Record<string, number>,
      apiCalls: r.apiCalls,
      error: r.error,
    })),
    skips: skips.map((s) => {
      const i = s.reason.indexOf(":");
      return { kind: s.kind, externalId: s.externalId, code: i < 0 ? s.reason : s.reason.slice(0, i), detail: i < 0 ? "" : s.reason.slice(i + 1) };
    }),
  };
}

export async function saveScope(db: Db, connectionId: string, s: SyncScope & { schedule: "hourly" | "daily" | "manual" }) {
  const values = { mode: s.mode, selection: s.mode === "all" ? [] : s.selection, schedule: s.schedule, updatedAt: new Date() };
  await db.insert(syncScopes).values({ connectionId, ...values }).onConflictDoUpdate({ target: syncScopes.connectionId, set: values });
}
