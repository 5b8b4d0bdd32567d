import { sql } from "drizzle-orm";
import { bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { organizations } from "./orgs.ts";
import { users } from "./users.ts";
import { attachments, lessons } from "./classes.ts";

/**
 * The library (Thư viện học liệu): resources harvested over OAI-PMH from the repositories the province
 * and its schools register, and the lessons their teachers mark as open. One row per resource, however
 * many repositories hold it; `resource_sources` says where each copy came from.
 */

/** An OAI-PMH 2.0 repository an admin registered, for the province or for one school. */
export const repositories = pgTable(
  "repositories",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The province or the school that registered it (and whose admins manage it). */
    ownerOrgId: uuid("owner_org_id").notNull().references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    baseUrl: text("base_url").notNull(),
    /** metadataPrefix harvested: oai_dc, or lom where offered. */
    metadataPrefix: text("metadata_prefix").notNull().default("oai_dc"),
    /** setSpecs to harvest; empty: the whole repository. */
    sets: text("sets").array().notNull().default(sql`'{}'::text[]`),
    schedule: text("schedule", { enum: ["daily", "weekly", "manual"] }).notNull().default("daily"),
    /** From Identify. */
    granularity: text("granularity", { enum: ["YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ"] }).notNull().default("YYYY-MM-DD"),
    earliestDatestamp: text("earliest_datestamp"),
    deletedRecord: text("deleted_record", { enum: ["no", "transient", "persistent"] }).notNull().default("no"),
    adminEmail: text("admin_email"),
    /** The newest datestamp fully harvested: the next incremental harvest's `from`. */
    lastDatestamp: text("last_datestamp"),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [uniqueIndex("repositories_owner_url_key").on(t.ownerOrgId, t.baseUrl)],
);

/** One harvest of one repository: its progress (the saved cursor), its counts and its outcome. */
export const harvestRuns = pgTable(
  "harvest_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    repositoryId: uuid("repository_id").notNull().references(() => repositories.id, { onDelete: "cascade" }),
    mode: text("mode", { enum: ["incremental", "full"] }).notNull(),
    status: text("status", { enum: ["running", "succeeded", "failed"] }).notNull().default("running"),
    /** The request's arguments (from, until, set, metadataPrefix). */
    params: jsonb("params").notNull().default(sql`'{}'::jsonb`),
    /** The resumptionToken to continue with; null before the first page and after the last. */
    resumptionToken: text("resumption_token"),
    pages: integer("pages").notNull().default(0),
    added: integer("added").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    deleted: integer("deleted").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    /** The newest datestamp seen in this run so far. */
    maxDatestamp: text("max_datestamp"),
    error: text("error"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().default(sql`now()`),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("harvest_runs_repository_idx").on(t.repositoryId, t.startedAt)],
);

/** A record a harvest could not take, with the reason shown to the admin. */
export const harvestSkips = pgTable(
  "harvest_skips",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: uuid("run_id").notNull().references(() => harvestRuns.id, { onDelete: "cascade" }),
    identifier: text("identifier").notNull(),
    reason: text("reason").notNull(),
  },
  (t) => [index("harvest_skips_run_idx").on(t.runId)],
);

/**
 * One resource of the library. `dedupeKey` is the normalised DOI, URL or identifier shared by its
 * copies, so the same material from two repositories is one row with two sources.
 */
export const resources = pgTable(
  "resources",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    dedupeKey: text("dedupe_key").notNull(),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    /** Dublin Core subjects and keywords as the source wrote them. */
    subjects: text("subjects").array().notNull().default(sql`'{}'::text[]`),
    keywords: text("keywords").array().notNull().default(sql`'{}'::text[]`),
    authors: text("authors").array().notNull().default(sql`'{}'::text[]`),
    /** The school subject (VIETNAM.md code, e.g. "toan"), derived from the metadata; null when unknown. */
    subject: text("subject"),
    /** School grades 1–12 the resource is for, derived from the metadata. */
    grades: smallint("grades").array().notNull().default(sql`'{}'::smallint[]`),
    resourceType: text("resource_type"),
    language: text("language"),
    licence: text("licence"),
    /** Where to open it. */
    url: text("url"),
    /** An open lesson of a school of the province, when the resource is one. */
    lessonId: uuid("lesson_id").references(() => lessons.id, { onDelete: "cascade" }),
    schoolId: uuid("school_id").references(() => organizations.id, { onDelete: "cascade" }),
    /** Title, description, subjects, keywords and authors folded (lower case, no diacritics, đ → d). */
    searchText: text("search_text").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [uniqueIndex("resources_dedupe_key").on(t.dedupeKey), uniqueIndex("resources_lesson_key").on(t.lessonId)],
);

/** Where a resource came from: one row per repository record holding it. */
export const resourceSources = pgTable(
  "resource_sources",
  {
    repositoryId: uuid("repository_id").notNull().references(() => repositories.id, { onDelete: "cascade" }),
    /** The OAI identifier of the record. */
    identifier: text("identifier").notNull(),
    resourceId: uuid("resource_id").notNull().references(() => resources.id, { onDelete: "cascade" }),
    datestamp: text("datestamp").notNull(),
    setSpecs: text("set_specs").array().notNull().default(sql`'{}'::text[]`),
    /** The record's metadata as harvested (for a later re-derivation). */
    metadata: jsonb("metadata"),
    harvestedAt: timestamp("harvested_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.repositoryId, t.identifier] }), index("resource_sources_resource_idx").on(t.resourceId)],
);

/** A library resource a teacher attached to a lesson. */
export const lessonResources = pgTable(
  "lesson_resources",
  {
    lessonId: uuid("lesson_id").notNull().references(() => lessons.id, { onDelete: "cascade" }),
    resourceId: uuid("resource_id").notNull().references(() => resources.id, { onDelete: "cascade" }),
    position: integer("position").notNull().default(0),
    addedBy: uuid("added_by").references(() => users.id, { onDelete: "set null" }),
    addedAt: timestamp("added_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.lessonId, t.resourceId] }), index("lesson_resources_resource_idx").on(t.resourceId)],
);

/**
 * What the province serves back over OAI-PMH (/oai): every open lesson or attachment, with deletions
 * kept (deletedRecord = persistent) so that harvesters learn that a resource left.
 */
export const oaiRecords = pgTable(
  "oai_records",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** oai:<host>:lesson/<uuid> or oai:<host>:attachment/<uuid>, without the host part. */
    localId: text("local_id").notNull(),
    lessonId: uuid("lesson_id").references(() => lessons.id, { onDelete: "set null" }),
    attachmentId: uuid("attachment_id").references(() => attachments.id, { onDelete: "set null" }),
    schoolId: uuid("school_id").notNull().references(() => organizations.id, { onDelete: "cascade" }),
    subject: text("subject"),
    deleted: boolean("deleted").notNull().default(false),
    /** UTC, to the second: the record's datestamp. */
    datestamp: timestamp("datestamp", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [uniqueIndex("oai_records_local_key").on(t.localId), index("oai_records_datestamp_idx").on(t.datestamp, t.id)],
);

export type Repository = typeof repositories.$inferSelect;
export type HarvestRun = typeof harvestRuns.$inferSelect;
export type Resource = typeof resources.$inferSelect;
