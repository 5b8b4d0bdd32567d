/**
 * The course-sync engine, the same for every course platform: it reads a connection's courses,
 * rosters, coursework, submissions and guardians through the `CourseProvider` port and brings
 * them into the hub (./apply.server.ts), page by page. Each page's upserts and the cursor that
 * points after it commit in one transaction, so a run that stops (a crash, a deploy, a rate limit)
 * resumes where it stopped, and re-reading a page changes nothing: records are found again by
 * (source, kind, external id) and unchanged versions are not written.
 *
 * Phases, each resumable from the cursor saved in `sync_runs.cursor`:
 *   courses    — the courses in scope (all; those of chosen teachers; chosen courses) → classes
 *   course     — per synced course, in external-id order: roster, coursework, submissions
 *   guardians  — the platform's guardian links → parents
 *   archive    — classes whose course was not seen (removed from the platform) are archived
 * One sync per connection at a time: the job queue's singleton key, and here a row lock on the run.
 */
import { and, asc, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { Db, Tx } from "../../../db/client.server.ts";
import { externalLinks, syncRuns, syncScopes, syncSkips, type SyncRun } from "../../../db/schema/index.ts";
import { IntegrationError } from "../../../integrations/errors.ts";
import type { ConnectionRef, CourseProvider, Page, SkippedRecord } from "../../../integrations/ports.ts";
import {
  applyCourse,
  applyCoursework,
  applyGuardians,
  applyMembers,
  applySubmissions,
  archiveUnseenCourses,
  archiveUnseenCoursework,
  linksOf,
  schoolLevel,
  type ApplyContext,
  type SyncCounts,
} from "./apply.server.ts";

export type SyncCursor =
  | { phase: "courses"; teacher?: number; page?: string | null }
  | { phase: "course"; course: string; step: "roster" | "coursework" | "submissions"; page?: string | null; work?: string | null }
  | { phase: "course"; after: string }
  | { phase: "guardians"; page?: string | null }
  | { phase: "archive" };

export type SyncScope = { mode: "all" | "teachers" | "courses"; selection: string[] };

export type SyncTarget = {
  connection: ConnectionRef;
  schoolId: string;
  /** `<provider>:<connectionId>`: the external links' source. */
  source: string;
};

export type SyncDeps = {
  provider: CourseProvider;
  /** Calls the provider made so far (its HTTP layer counts them). */
  apiCalls?: () => number;
  /** Stops the run between pages (a test's "crash"; a shutdown): the run stays resumable. */
  signal?: AbortSignal;
  now?: () => Date;
};

export type SyncOutcome =
  | { status: "succeeded"; runId: string; counts: SyncCounts; apiCalls: number }
  | { status: "rate_limited"; runId: string; retryAt: Date }
  | { status: "failed"; runId: string; error: string };

export class SyncAborted extends Error {}

/** The scope an admin chose (default: every course, daily). */
export async function scopeOf(db: Db | Tx, connectionId: string): Promise<SyncScope & { schedule: string }> {
  const [s] = await db.select().from(syncScopes).where(eq(syncScopes.connectionId, connectionId));
  return s ? { mode: s.mode, selection: s.selection, schedule: s.schedule } : { mode: "all", selection: [], schedule: "daily" };
}

/** The run to continue (one left unfinished: crashed, stopped or rate-limited), else a new one. */
async function openRun(db: Db, target: SyncTarget): Promise<SyncRun> {
  const [open] = await db
    .select()
    .from(syncRuns)
    .where(and(eq(syncRuns.source, target.source), eq(syncRuns.kind, "course-sync"), isNull(syncRuns.finishedAt)))
    .orderBy(desc(syncRuns.startedAt))
    .limit(1);
  if (open) {
    await db.update(syncRuns).set({ status: "running", error: null }).where(eq(syncRuns.id, open.id));
    return open;
  }
  const [run] = await db
    .insert(syncRuns)
    .values({ source: target.source, connectionId: target.connection.id, schoolId: target.schoolId, kind: "course-sync", cursor: { phase: "courses" } })
    .returning();
  return run;
}

export async function runCourseSync(db: Db, target: SyncTarget, deps: SyncDeps): Promise<SyncOutcome> {
  const run = await openRun(db, target);
  const now = deps.now ?? (() => new Date());
  const scope = await scopeOf(db, target.connection.id);
  const callsAtStart = deps.apiCalls?.() ?? 0;
  const counts: SyncCounts = { ...(run.counts as SyncCounts) };
  let cursor = (run.cursor as SyncCursor) ?? { phase: "courses" };
  const conn = target.connection;
  const p = deps.provider;

  /** One page's work and the cursor after it, in one transaction. */
  async function commit(next: SyncCursor, work: (ctx: ApplyContext) => Promise<void>, skipped: SkippedRecord[] = []) {
    if (deps.signal?.aborted) throw new SyncAborted("stopped");
    await db.transaction(async (tx) => {
      // The run's row is locked for the page: a second worker on the same connection waits here.
      await tx.select({ id: syncRuns.id }).from(syncRuns).where(eq(syncRuns.id, run.id)).for("update");
      const ctx: ApplyContext = { tx, runId: run.id, source: target.source, schoolId: target.schoolId, now: now(), counts, skips: [...skipped] };
      if (skipped.length) counts.skipped = (counts.skipped ?? 0) + skipped.length;
      await work(ctx);
      if (ctx.skips.length) await tx.insert(syncSkips).values(ctx.skips.map((s) => ({ runId: run.id, kind: s.kind, externalId: s.externalId, reason: s.reason })));
      await tx
        .update(syncRuns)
        .set({ cursor: next, counts, apiCalls: run.apiCalls + ((deps.apiCalls?.() ?? 0) - callsAtStart) })
        .where(eq(syncRuns.id, run.id));
    });
    cursor = next;
  }

  async function* from<T>(pages: AsyncIterable<Page<T>>): AsyncIterable<Page<T>> {
    for await (const page of pages) {
      if (deps.signal?.aborted) throw new SyncAborted("stopped");
      yield page;
    }
  }

  try {
    // ---- courses
    if (cursor.phase === "courses") {
      const level = await db.transaction((tx) => schoolLevel(tx, target.schoolId));
      const teachers = scope.mode === "teachers" ? scope.selection : [undefined];
      const chosen = new Set(scope.mode === "courses" ? scope.selection : []);
      for (let i = cursor.teacher ?? 0; i < teachers.length; i++) {
        const start: string | undefined = (i === (cursor as { teacher?: number }).teacher ? (cursor as { page?: string | null }).page : null) ?? undefined;
        let done = false;
        for await (const page of from(p.listCourses(conn, start, teachers[i] ? { teacher: teachers[i] } : undefined))) {
          const next: SyncCursor = page.nextCursor ? { phase: "courses", teacher: i, page: page.nextCursor } : i + 1 < teachers.length ? { phase: "courses", teacher: i + 1, page: null } : { phase: "course", after: "" };
          await commit(
            next,
            async (ctx) => {
              const items = page.items.filter((c) => scope.mode !== "courses" || chosen.has(c.externalId));
              const links = await linksOf(ctx, "course", items.map((c) => c.externalId));
              for (const c of items) await applyCourse(ctx, c, links.get(c.externalId), level);
            },
            page.skipped,
          );
          done = !page.nextCursor;
        }
        if (!done) await commit(i + 1 < teachers.length ? { phase: "courses", teacher: i + 1, page: null } : { phase: "course", after: "" }, async () => {});
      }
    }

    // ---- each course: roster, coursework, submissions
    while (cursor.phase === "course") {
      let c = cursor;
      if ("after" in c) {
        const after = c.after;
        const [nextCourse] = await db
          .select({ externalId: externalLinks.externalId })
          .from(externalLinks)
          .where(and(eq(externalLinks.source, target.source), eq(externalLinks.kind, "course"), eq(externalLinks.lastSeenRunId, run.id), isNull(externalLinks.archivedAt), gt(externalLinks.externalId, after)))
          .orderBy(asc(externalLinks.externalId))
          .limit(1);
        if (!nextCourse) {
          await commit(p.listGuardians ? { phase: "guardians", page: null } : { phase: "archive" }, async () => {});
          break;
        }
        c = { phase: "course", course: nextCourse.externalId, step: "roster", page: null };
      }
      await syncCourse(c);
    }

    async function syncCourse(c: Extract<SyncCursor, { step: string }>) {
      const courseId = c.course;
      const [link] = await db
        .select({ localId: externalLinks.localId })
        .from(externalLinks)
        .where(and(eq(externalLinks.source, target.source), eq(externalLinks.kind, "course"), eq(externalLinks.externalId, courseId)));
      const classId = link.localId;
      const nextStep = (step: "coursework" | "submissions"): SyncCursor => ({ phase: "course", course: courseId, step, page: null });
      if (c.step === "roster") {
        for await (const page of from(p.listRoster(conn, courseId, c.page ?? undefined))) {
          await commit(page.nextCursor ? { ...c, page: page.nextCursor } : nextStep("coursework"), (ctx) => applyMembers(ctx, classId, page.items), page.skipped);
        }
        c = nextStep("coursework") as typeof c;
      }
      if (c.step === "coursework") {
        for await (const page of from(p.listCoursework(conn, courseId, c.page ?? undefined))) {
          const last = !page.nextCursor;
          await commit(
            last ? nextStep("submissions") : { ...c, page: page.nextCursor },
            async (ctx) => {
              await applyCoursework(ctx, courseId, classId, page.items);
              // The listing is complete: coursework no longer on the platform is archived.
              if (last) await archiveUnseenCoursework(ctx, courseId);
            },
            page.skipped,
          );
        }
        c = nextStep("submissions") as typeof c;
      }
      if (c.step === "submissions") {
        const done: SyncCursor = { phase: "course", after: courseId };
        if (p.capabilities?.submissionsPerCourse) {
          for await (const page of from(p.listSubmissions(conn, courseId, "-", c.page ?? undefined))) {
            await commit(page.nextCursor ? { ...c, page: page.nextCursor } : done, (ctx) => applySubmissions(ctx, courseId, page.items), page.skipped);
          }
        } else {
          // Coursework by coursework, in external-id order (the cursor names the one being read).
          const works = await db
            .select({ externalId: externalLinks.externalId })
            .from(externalLinks)
            .where(and(eq(externalLinks.source, target.source), eq(externalLinks.kind, "coursework"), sql`${externalLinks.externalId} like ${`${courseId}/%`}`, isNull(externalLinks.archivedAt)))
            .orderBy(asc(externalLinks.externalId));
          const ids = works.map((w) => w.externalId.slice(courseId.length + 1));
          let i = c.work ? Math.max(0, ids.indexOf(c.work)) : 0;
          for (; i < ids.length; i++) {
            const start = ids[i] === c.work ? (c.page ?? undefined) : undefined;
            for await (const page of from(p.listSubmissions(conn, courseId, ids[i], start))) {
              const next: SyncCursor = page.nextCursor ? { ...c, work: ids[i], page: page.nextCursor } : i + 1 < ids.length ? { ...c, work: ids[i + 1], page: null } : done;
              await commit(next, (ctx) => applySubmissions(ctx, courseId, page.items), page.skipped);
            }
          }
        }
        if (!(cursor.phase === "course" && "after" in cursor)) await commit(done, async () => {});
      }
    }

    // ---- guardians
    if (cursor.phase === "guardians" && p.listGuardians) {
      for await (const page of p.listGuardians(conn, cursor.page ?? undefined)) {
        if (deps.signal?.aborted) throw new SyncAborted("stopped");
        await commit(
          page.nextCursor ? { phase: "guardians", page: page.nextCursor } : { phase: "archive" },
          async (ctx) => {
            if (page.notExposed) ctx.counts.guardiansNotExposed = 1;
            else await applyGuardians(ctx, page.items);
          },
          page.skipped,
        );
      }
      if (cursor.phase === "guardians") await commit({ phase: "archive" }, async () => {});
    }

    // ---- archive: courses no longer on the platform (only a complete listing can tell)
    if (cursor.phase === "archive" || cursor.phase === "guardians") {
      await commit({ phase: "archive" }, async (ctx) => {
        if (scope.mode === "all") await archiveUnseenCourses(ctx);
      });
    }
    const apiCalls = run.apiCalls + ((deps.apiCalls?.() ?? 0) - callsAtStart);
    await db.update(syncRuns).set({ status: "succeeded", finishedAt: now(), apiCalls, counts }).where(eq(syncRuns.id, run.id));
    return { status: "succeeded", runId: run.id, counts, apiCalls };
  } catch (e) {
    if (e instanceof SyncAborted) throw e;
    const apiCalls = run.apiCalls + ((deps.apiCalls?.() ?? 0) - callsAtStart);
    if (e instanceof IntegrationError && e.code === "rate_limited") {
      const retryAt = e.retryAt ?? new Date(Date.now() + 60_000);
      await db.update(syncRuns).set({ status: "rate_limited", error: `rate_limited:${retryAt.toISOString()}`, apiCalls }).where(eq(syncRuns.id, run.id));
      return { status: "rate_limited", runId: run.id, retryAt };
    }
    const error = e instanceof IntegrationError ? `${e.code}:${e.operation}:${e.providerMessage ?? ""}` : `internal:${(e as Error).message}`;
    // A failed run is finished; the next one starts over (its records are found again, unchanged).
    await db.update(syncRuns).set({ status: "failed", error: error.slice(0, 500), finishedAt: now(), apiCalls }).where(eq(syncRuns.id, run.id));
    return { status: "failed", runId: run.id, error };
  }
}
