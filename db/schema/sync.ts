import { sql } from "drizzle-orm";
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { organizations } from "./orgs.ts";
import { connections } from "./connections.ts";

/**
 * Course sync and roster import: what the hub holds that came from an outside system, keyed by
 * that system's own ids, and the runs that brought it.
 *
 * `source` names the system and its scope, so that the same external id is never matched across
 * schools or tenants: `google:<connectionId>`, `microsoft:<connectionId>`, `oneroster:<schoolId>`.
 */
export const externalLinks = pgTable(
  "external_links",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    source: text("source").notNull(),
    /** course, user, enrollment, coursework, submission, guardian, material, form_response, … */
    kind: text("kind").notNull(),
    externalId: text("external_id").notNull(),
    /** The hub row it maps to (a class, user, assignment, submission, lesson …) by kind. */
    localId: uuid("local_id").notNull(),
    schoolId: uuid("school_id").notNull().references(() => organizations.id, { onDelete: "cascade" }),
    /** The platform's page for it (alternateLink, webUrl), shown as "open on the platform". */
    webUrl: text("web_url"),
    /** The provider's version of the record (updateTime, etag, a hash of the row) to detect change. */
    version: text("version"),
    /** Archived, removed from the platform or left the bundle: kept, never deleted. */
    archivedAt: timestamp("archived_at", { withTimezone: true }),
    lastSeenRunId: uuid("last_seen_run_id"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [
    uniqueIndex("external_links_key").on(t.source, t.kind, t.externalId),
    index("external_links_local_idx").on(t.kind, t.localId),
  ],
);

/** What an admin chose to sync for one connection. */
export const syncScopes = pgTable("sync_scopes", {
  connectionId: uuid("connection_id").primaryKey().references(() => connections.id, { onDelete: "cascade" }),
  /** all: every course; teachers: those taught by `selection` (emails); courses: `selection` (external ids). */
  mode: text("mode", { enum: ["all", "teachers", "courses"] }).notNull().default("all"),
  selection: text("selection").array().notNull().default(sql`'{}'::text[]`),
  schedule: text("schedule", { enum: ["hourly", "daily", "manual"] }).notNull().default("daily"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
});

/** One sync of one connection (or one roster import): progress, cursor, counts and outcome. */
export const syncRuns = pgTable(
  "sync_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    source: text("source").notNull(),
    connectionId: uuid("connection_id").references(() => connections.id, { onDelete: "cascade" }),
    schoolId: uuid("school_id").notNull().references(() => organizations.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    status: text("status", { enum: ["running", "succeeded", "failed", "rate_limited"] }).notNull().default("running"),
    /** Where to resume: the phase, the course being read and the page token. */
    cursor: jsonb("cursor").notNull().default(sql`'{}'::jsonb`),
    /** created / updated / archived / skipped per kind of record. */
    counts: jsonb("counts").notNull().default(sql`'{}'::jsonb`),
    apiCalls: integer("api_calls").notNull().default(0),
    error: text("error"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().default(sql`now()`),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("sync_runs_source_idx").on(t.source, t.startedAt)],
);

/** A record a sync or import skipped, with its reason in plain words and what to do. */
export const syncSkips = pgTable(
  "sync_skips",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: uuid("run_id").notNull().references(() => syncRuns.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    externalId: text("external_id").notNull(),
    reason: text("reason").notNull(),
  },
  (t) => [index("sync_skips_run_idx").on(t.runId)],
);

export type ExternalLink = typeof externalLinks.$inferSelect;
export type SyncRun = typeof syncRuns.$inferSelect;
