import { sql } from "drizzle-orm";
import { index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { organizations } from "./orgs.ts";
import { classes } from "./classes.ts";
import { connections } from "./connections.ts";
import { users } from "./users.ts";

/**
 * Push-out of a hub lesson or assignment to the platform course its class is linked to (Google
 * Classroom, Teams): what the teacher asked for (`wanted`), where it stands, and the platform's
 * last refusal in its own words. The `course-push` job drains rows that are due; the item's id on
 * the platform is also kept in `external_links` (kind material / coursework). Not tied to the
 * lesson or assignment by a foreign key: a deleted item's row stays to remove its copy.
 */
export const coursePushes = pgTable(
  "course_pushes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    schoolId: uuid("school_id").notNull().references(() => organizations.id, { onDelete: "cascade" }),
    classId: uuid("class_id").notNull().references(() => classes.id, { onDelete: "cascade" }),
    itemKind: text("item_kind", { enum: ["lesson", "assignment"] }).notNull(),
    itemId: uuid("item_id").notNull(),
    /** The course link's source: `google:<connectionId>` or `microsoft:<connectionId>`. */
    source: text("source").notNull(),
    courseExternalId: text("course_external_id").notNull(),
    /** The connection that posts (the teacher's own or the school's, of the same account). */
    connectionId: uuid("connection_id").references(() => connections.id, { onDelete: "set null" }),
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    wanted: text("wanted", { enum: ["posted", "removed"] }).notNull(),
    status: text("status", { enum: ["pending", "posted", "removed", "failed"] }).notNull().default("pending"),
    externalId: text("external_id"),
    webUrl: text("web_url"),
    /** What went wrong last: an IntegrationError code and the provider's own message. */
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    attempts: integer("attempts").notNull().default(0),
    /** Raised by every request: a job's outcome settles the row only if no request came meanwhile. */
    revision: integer("revision").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().default(sql`now()`),
    /** A worker holds the row until then (a crashed worker's row comes back after it). */
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    /** Made from the item, the course and the kind: the same for every retry of one post. */
    idempotencyKey: text("idempotency_key").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [
    uniqueIndex("course_pushes_item_source").on(t.itemKind, t.itemId, t.source),
    index("course_pushes_due_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
  ],
);

export type CoursePush = typeof coursePushes.$inferSelect;
