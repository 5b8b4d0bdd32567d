/**
 * Course sync for one connection: the platform's CourseProvider (Google Classroom; Microsoft
 * Teams plugs in here) wired with the hub's token source, shared budgets and a call counter, and
 * the engine run over it. Also what the scheduler asks: which connections are due a sync.
 */
import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { connections, syncRuns, syncScopes, type Connection } from "../../../db/schema/index.ts";
import type { CourseProvider } from "../../../integrations/ports.ts";
import { createClassroomProvider } from "../../../integrations/google/classroom.server.ts";
import { pgRateBudgets } from "../connections/budgets.server.ts";
import { googleConfig } from "../connections/google.server.ts";
import { tokenSource } from "../connections/token-source.server.ts";
import { refOf } from "../live-session-platforms.server.ts";
import { runCourseSync, type SyncDeps, type SyncOutcome } from "./engine.server.ts";
import { createTeamsClasses } from "../../../integrations/microsoft/education.server.ts";
import { microsoftConfig } from "../connections/microsoft.server.ts";

export type ProviderFactory = (db: Db, onAttempt: () => void) => CourseProvider;

/** The course platforms the sync knows; a provider not listed here has no course sync (yet). */
export const COURSE_PROVIDERS: Partial<Record<Connection["provider"], ProviderFactory>> = {
  google: (db, onAttempt) => createClassroomProvider({ config: googleConfig(), tokens: tokenSource(db), budgets: pgRateBudgets(db), onAttempt }),
  microsoft: (db, onAttempt) => createTeamsClasses({ config: microsoftConfig(), tokens: tokenSource(db), budgets: pgRateBudgets(db), onAttempt }),
};

export const sourceOf = (c: Pick<Connection, "provider" | "id">) => `${c.provider}:${c.id}`;

/** Runs (or resumes) the sync of one connection. Null: not a connected course platform. */
export async function syncConnection(db: Db, connectionId: string, opts: Pick<SyncDeps, "signal" | "now"> = {}): Promise<SyncOutcome | null> {
  const [c] = await db.select().from(connections).where(eq(connections.id, connectionId));
  const factory = c && COURSE_PROVIDERS[c.provider];
  if (!c || !factory || c.status !== "connected" || !c.schoolId) return null;
  let calls = 0;
  const provider = factory(db, () => calls++);
  return runCourseSync(db, { connection: refOf(c), schoolId: c.schoolId, source: sourceOf(c) }, { provider, apiCalls: () => calls, ...opts });
}

/** "Đồng bộ ngay": a new run waiting to be picked up (nothing new if one is open already). */
export async function requestSync(db: Db, c: Pick<Connection, "id" | "provider" | "schoolId">): Promise<void> {
  const source = sourceOf(c);
  await db.transaction(async (tx) => {
    const [open] = await tx.select({ id: syncRuns.id }).from(syncRuns).where(and(eq(syncRuns.source, source), isNull(syncRuns.finishedAt))).for("update");
    if (!open) await tx.insert(syncRuns).values({ source, connectionId: c.id, schoolId: c.schoolId!, kind: "course-sync", cursor: { phase: "courses" } });
  });
}

/**
 * Connections whose sync is due: an open run (asked for now, stopped by a crash, or rate-limited
 * and past its wait), or a schedule whose time has come (hourly; daily; never for "manual").
 */
export async function dueConnections(db: Db, now = new Date()): Promise<string[]> {
  const providers = Object.keys(COURSE_PROVIDERS) as Connection["provider"][];
  const list = await db
    .select({ id: connections.id, provider: connections.provider, schedule: syncScopes.schedule })
    .from(connections)
    .leftJoin(syncScopes, eq(syncScopes.connectionId, connections.id))
    .where(and(eq(connections.status, "connected"), inArray(connections.provider, providers), sql`${connections.schoolId} is not null`));
  const due: string[] = [];
  for (const c of list) {
    const [last] = await db
      .select({ startedAt: syncRuns.startedAt, finishedAt: syncRuns.finishedAt, status: syncRuns.status, error: syncRuns.error })
      .from(syncRuns)
      .where(eq(syncRuns.source, sourceOf(c)))
      .orderBy(desc(syncRuns.startedAt))
      .limit(1);
    if (last && !last.finishedAt) {
      const wait = last.status === "rate_limited" && last.error?.startsWith("rate_limited:") ? new Date(last.error.slice(13)) : null;
      if (!wait || wait <= now) due.push(c.id);
      continue;
    }
    const every = (c.schedule ?? "daily") === "hourly" ? 3600_000 : (c.schedule ?? "daily") === "daily" ? 24 * 3600_000 : null;
    if (every && (!last || now.getTime() - last.startedAt.getTime() >= every)) due.push(c.id);
  }
  return due;
}
