/**
 * Push-out: a hub lesson or assignment of a class linked to a platform course (an
 * `external_links` row of kind `course` whose local id is the class) can also be posted there —
 * a Classroom course work material / course work, a Teams class module / assignment — with a
 * link back to the hub. Later edits update the copy; unpublishing or deleting removes it.
 *
 * The editors record what the teacher asked for (`requestPush`, `withdrawPush`) as rows of
 * `course_pushes`; the `course-push` job (`runCoursePushes`) does the calls. A failure the
 * platform may get over (a network error, a rate limit, a reply that never came) is tried again
 * with backoff; one it will not (a refusal, a class gone, a connection to reconnect) is shown to
 * the teacher in plain words. A retry never posts twice: the provider finds an item already
 * carrying the link back before it creates one, and the row's idempotency key stays the same.
 *
 * The post is made with the requesting teacher's connection (connectionFor: their own delegated
 * grant first for Teams, whose assignment writes need a signed-in user; the school's for Google),
 * which must be the course link's own connection or one of the same account (tenant, domain).
 */
import crypto from "node:crypto";
import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../../db/client.server.ts";
import { assignments, classes, connections, coursePushes, externalLinks, lessons, type CoursePush } from "../../../db/schema/index.ts";
import { isClassTeacher, type Actor } from "../../auth/actor.server.ts";
import { IntegrationError, isIntegrationError } from "../../../integrations/errors.ts";
import type { AssignmentInput, CoursePublisher, MaterialInput, ProviderName } from "../../../integrations/ports.ts";
import { createClassroomPublisher } from "../../../integrations/google/classroom-publish.server.ts";
import { createTeamsClasses } from "../../../integrations/microsoft/education.server.ts";
import { connectionFor } from "../connections/teacher.server.ts";
import { tokenSource } from "../connections/token-source.server.ts";
import { pgRateBudgets } from "../connections/budgets.server.ts";
import { googleBudget, googleConfig } from "../connections/google.server.ts";
import { microsoftConfig } from "../connections/microsoft.server.ts";
import { refOf } from "../live-session-platforms.server.ts";
import { publicBaseUrl } from "../notify/delivery-jobs.server.ts";
import { nextAttemptAt, type BackoffPolicy } from "../notify/backoff.ts";

export type PushKind = "lesson" | "assignment";
const PUSH_PROVIDERS = ["google", "microsoft"] as const;
type PushProvider = (typeof PUSH_PROVIDERS)[number];

/** At most this many tries of one change before it is shown as failed. */
export const MAX_PUSH_ATTEMPTS = 8;
const PUSH_BACKOFF: BackoffPolicy = { baseMs: 30_000, capMs: 30 * 60_000 };
const LEASE_MS = 2 * 60_000;

export type PushTarget = { source: string; provider: PushProvider; connectionId: string; courseExternalId: string; courseUrl: string | null };

function parseSource(source: string): { provider: PushProvider; connectionId: string } | null {
  const m = /^(google|microsoft):([0-9a-f-]{36})$/.exec(source);
  return m ? { provider: m[1] as PushProvider, connectionId: m[2] } : null;
}

/** The platform courses a class is linked to (none: the editors offer no push). */
export async function pushTargets(db: DbOrTx, classId: string): Promise<PushTarget[]> {
  const rows = await db
    .select({ source: externalLinks.source, externalId: externalLinks.externalId, webUrl: externalLinks.webUrl })
    .from(externalLinks)
    .where(and(eq(externalLinks.kind, "course"), eq(externalLinks.localId, classId), isNull(externalLinks.archivedAt)));
  return rows.flatMap((r) => {
    const s = parseSource(r.source);
    return s ? [{ source: r.source, ...s, courseExternalId: r.externalId, courseUrl: r.webUrl }] : [];
  });
}

/** What the editors show: the targets and each one's state for this item. */
export async function pushState(db: Db, classId: string, kind: PushKind, itemId: string | null) {
  const targets = await pushTargets(db, classId);
  const rows = itemId && targets.length ? await db.select().from(coursePushes).where(and(eq(coursePushes.itemKind, kind), eq(coursePushes.itemId, itemId))) : [];
  return {
    targets: targets.map((t) => ({ provider: t.provider, source: t.source })),
    pushes: rows.map((r) => ({
      provider: parseSource(r.source)?.provider ?? "google",
      wanted: r.wanted,
      status: r.status,
      webUrl: r.status === "posted" ? r.webUrl : null,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
    })),
    /** The checkbox starts ticked when the item is posted (or being posted) somewhere. */
    posted: rows.some((r) => r.wanted === "posted"),
  };
}

export type PushView = Awaited<ReturnType<typeof pushState>>;

/** A new request: tried from scratch, at once; the revision tells a job's outcome it came late. */
const REQUESTED = {
  status: "pending" as const,
  attempts: 0,
  errorCode: null,
  errorMessage: null,
  get nextAttemptAt() {
    return new Date();
  },
  get updatedAt() {
    return new Date();
  },
};
const bump = { revision: sql`${coursePushes.revision} + 1` };

function keyOf(kind: PushKind, itemId: string, source: string) {
  return `course-push:${kind}:${itemId}:${crypto.createHash("sha256").update(source).digest("hex").slice(0, 16)}`;
}

/**
 * The teacher's choice for an item, after it was saved: `post` true posts it to every course the
 * class is linked to (or updates the copies), false removes copies already posted. The teacher
 * must teach the class. Returns the number of changes queued.
 */
export async function requestPush(db: Db, actor: Actor, p: { classId: string; kind: PushKind; itemId: string; post: boolean }): Promise<number> {
  if (!(await isClassTeacher(db, actor, p.classId))) return 0;
  const targets = await pushTargets(db, p.classId);
  if (!targets.length) return 0;
  const [cls] = await db.select({ schoolId: classes.schoolId }).from(classes).where(eq(classes.id, p.classId));
  const existing = await db.select().from(coursePushes).where(and(eq(coursePushes.itemKind, p.kind), eq(coursePushes.itemId, p.itemId)));
  let queued = 0;
  for (const t of targets) {
    const row = existing.find((r) => r.source === t.source);
    if (!p.post) {
      if (row && row.wanted === "posted") {
        await db.update(coursePushes).set({ ...REQUESTED, ...bump, wanted: "removed" }).where(eq(coursePushes.id, row.id));
        queued++;
      }
      continue;
    }
    const connection = await postingConnection(db, actor.id, cls.schoolId, t);
    const values = {
      ...REQUESTED,
      wanted: "posted" as const,
      errorCode: connection ? null : "not_connected",
      connectionId: connection?.id ?? null,
      requestedBy: actor.id,
      courseExternalId: t.courseExternalId,
    };
    const status = connection ? "pending" : "failed";
    await db
      .insert(coursePushes)
      .values({ ...values, status, schoolId: cls.schoolId, classId: p.classId, itemKind: p.kind, itemId: p.itemId, source: t.source, idempotencyKey: keyOf(p.kind, p.itemId, t.source) })
      .onConflictDoUpdate({ target: [coursePushes.itemKind, coursePushes.itemId, coursePushes.source], set: { ...values, ...bump, status } });
    if (connection) queued++;
  }
  return queued;
}

/** The item was unpublished or deleted: every copy posted is to be removed. */
export async function withdrawPush(db: DbOrTx, kind: PushKind, itemId: string): Promise<void> {
  await db
    .update(coursePushes)
    .set({ ...REQUESTED, ...bump, wanted: "removed" })
    .where(and(eq(coursePushes.itemKind, kind), eq(coursePushes.itemId, itemId), eq(coursePushes.wanted, "posted")));
}

/** The connection that posts for this teacher to this course: the link's own account only. */
async function postingConnection(db: Db, teacherId: string, schoolId: string, t: PushTarget) {
  const [linked] = await db.select().from(connections).where(eq(connections.id, t.connectionId));
  if (!linked || linked.schoolId !== schoolId) return null;
  const chosen = await connectionFor(db, { schoolId, teacherId, provider: t.provider });
  if (!chosen) return null;
  if (chosen.id === linked.id) return chosen;
  // Another connection of the same Google domain / Entra tenant reaches the same course.
  return chosen.externalAccount && chosen.externalAccount === linked.externalAccount ? chosen : null;
}

function publisherFor(db: Db, provider: PushProvider): CoursePublisher {
  const tokens = tokenSource(db);
  const budgets = pgRateBudgets(db);
  if (provider === "google") return createClassroomPublisher({ config: googleConfig(), tokens, budget: (c) => googleBudget(budgets, c.id) });
  return createTeamsClasses({ config: microsoftConfig(), tokens, budgets });
}

const plain = (md: string) => md.replace(/\r\n/g, "\n").trim().slice(0, 4000);

/** What is posted for the item; null when it is gone (or, for a lesson, no longer published). */
async function inputOf(db: Db, row: CoursePush): Promise<(MaterialInput & Partial<AssignmentInput>) | null> {
  const base = publicBaseUrl().replace(/\/$/, "");
  if (row.itemKind === "lesson") {
    const [l] = await db.select().from(lessons).where(eq(lessons.id, row.itemId));
    if (!l || l.status !== "published") return null;
    return { title: l.title, description: plain(l.bodyMd), links: [`${base}/lessons/${l.id}`] };
  }
  const [a] = await db.select().from(assignments).where(eq(assignments.id, row.itemId));
  if (!a || a.archivedAt) return null;
  const maxPoints = a.scale === "points" && a.maxPoints !== null ? Number(a.maxPoints) : a.scale === "ten_point" ? 10 : null;
  return { title: a.title, description: plain(a.instructionsMd), links: [`${base}/assignments/${a.id}`], dueAt: a.dueAt, maxPoints };
}

const linkKind = (kind: PushKind) => (kind === "lesson" ? "material" : "coursework");

async function keepLink(db: DbOrTx, row: CoursePush, externalId: string, webUrl: string | null) {
  await db
    .insert(externalLinks)
    .values({ source: row.source, kind: linkKind(row.itemKind), externalId, localId: row.itemId, schoolId: row.schoolId, webUrl, updatedAt: new Date() })
    .onConflictDoUpdate({ target: [externalLinks.source, externalLinks.kind, externalLinks.externalId], set: { localId: row.itemId, webUrl, archivedAt: null, updatedAt: new Date() } });
}

async function dropLink(db: DbOrTx, row: CoursePush, externalId: string) {
  await db
    .update(externalLinks)
    .set({ archivedAt: new Date(), updatedAt: new Date() })
    .where(and(eq(externalLinks.source, row.source), eq(externalLinks.kind, linkKind(row.itemKind)), eq(externalLinks.externalId, externalId)));
}

/** One change of one row against its platform; the row is updated with the outcome. */
async function pushOne(db: Db, row: CoursePush): Promise<"posted" | "removed" | "retry" | "failed"> {
  const s = parseSource(row.source)!;
  const publisher = publisherFor(db, s.provider);
  const [conn] = row.connectionId ? await db.select().from(connections).where(eq(connections.id, row.connectionId)) : [];
  /**
   * The outcome on the row. When a request came while this one was under way (the revision
   * moved), the platform's id is still kept but the row stays pending for the next run.
   */
  const done = async (set: Partial<CoursePush>, tx: DbOrTx = db) => {
    const { status, wanted, attempts, nextAttemptAt: next, errorCode, errorMessage, ...always } = set;
    await tx.update(coursePushes).set({ ...always, leaseUntil: null, updatedAt: new Date() }).where(eq(coursePushes.id, row.id));
    await tx
      .update(coursePushes)
      .set({ status, wanted, attempts, nextAttemptAt: next, errorCode, errorMessage })
      .where(and(eq(coursePushes.id, row.id), eq(coursePushes.revision, row.revision)));
  };
  try {
    const input = row.wanted === "posted" ? await inputOf(db, row) : null;
    if (!input) {
      // Removal (asked for, or the item is gone or unpublished meanwhile).
      if (row.externalId) {
        if (!conn || conn.status === "needs_reconnect") throw new IntegrationError({ code: "not_connected", provider: s.provider, operation: "unpublish" });
        await publisher.unpublish(refOf(conn), row.courseExternalId, linkKind(row.itemKind), row.externalId);
        await dropLink(db, row, row.externalId);
      }
      await done({ wanted: "removed", status: "removed", externalId: null, webUrl: null, errorCode: null, errorMessage: null });
      return "removed";
    }
    if (!conn || conn.status === "needs_reconnect") throw new IntegrationError({ code: "not_connected", provider: s.provider, operation: "publish" });
    const ref = refOf(conn);
    const isAssignment = row.itemKind === "assignment";
    let result: { externalId: string; link?: string } | null = null;
    if (row.externalId) {
      try {
        result = isAssignment
          ? await publisher.updateAssignment(ref, row.courseExternalId, row.externalId, input as AssignmentInput)
          : await publisher.updateMaterial(ref, row.courseExternalId, row.externalId, input);
      } catch (e) {
        // Removed on the platform meanwhile: posted again below.
        if (!(isIntegrationError(e) && e.code === "not_found")) throw e;
        await dropLink(db, row, row.externalId);
      }
    }
    result ??= isAssignment
      ? await publisher.publishAssignment(ref, row.courseExternalId, input as AssignmentInput, row.idempotencyKey)
      : await publisher.publishMaterial(ref, row.courseExternalId, input, row.idempotencyKey);
    const webUrl = result.link ?? (row.externalId === result.externalId ? row.webUrl : null);
    await db.transaction(async (tx) => {
      await keepLink(tx, row, result.externalId, webUrl);
      await done({ status: "posted", externalId: result.externalId, webUrl, errorCode: null, errorMessage: null }, tx);
    });
    return "posted";
  } catch (e) {
    const err = isIntegrationError(e) ? e : new IntegrationError({ code: "transient", provider: s.provider, operation: "push", providerMessage: (e as Error)?.message, cause: e });
    const attempts = row.attempts + 1;
    const message = err.providerMessage?.slice(0, 500) ?? null;
    if ((err.retryable || err.code === "ambiguous_write") && attempts < MAX_PUSH_ATTEMPTS) {
      await done({ attempts, errorCode: err.code, errorMessage: message, nextAttemptAt: nextAttemptAt(new Date(), attempts, err.retryAt, PUSH_BACKOFF) });
      return "retry";
    }
    await done({ attempts, status: "failed", errorCode: err.code, errorMessage: message });
    return "failed";
  }
}

/**
 * The `course-push` job: the rows that are due, each held by a lease so that two workers never
 * send the same change at once (a crashed worker's row comes back when its lease ends).
 */
export async function runCoursePushes(db: Db, opts: { limit?: number; now?: Date } = {}) {
  const now = opts.now ?? new Date();
  const due = await db
    .select({ id: coursePushes.id })
    .from(coursePushes)
    .where(and(eq(coursePushes.status, "pending"), lte(coursePushes.nextAttemptAt, now), or(isNull(coursePushes.leaseUntil), lte(coursePushes.leaseUntil, now))))
    .orderBy(coursePushes.nextAttemptAt)
    .limit(opts.limit ?? 50);
  const counts = { posted: 0, removed: 0, retry: 0, failed: 0 };
  if (!due.length) return counts;
  const leaseUntil = new Date(now.getTime() + LEASE_MS);
  const claimed = await db
    .update(coursePushes)
    .set({ leaseUntil })
    .where(and(inArray(coursePushes.id, due.map((d) => d.id)), eq(coursePushes.status, "pending"), or(isNull(coursePushes.leaseUntil), lte(coursePushes.leaseUntil, now))))
    .returning();
  for (const row of claimed) counts[await pushOne(db, row)]++;
  return counts;
}

export type { ProviderName };
export { PUSH_PROVIDERS };
