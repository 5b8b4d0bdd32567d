import { sql } from "drizzle-orm";
import { index, pgTable, text, timestamp, uuid, type AnyPgColumn } from "drizzle-orm/pg-core";

/** Province → school tree. A school's `code` is its official mã trường. */
export const organizations = pgTable(
  "organizations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    parentId: uuid("parent_id").references((): AnyPgColumn => organizations.id),
    kind: text("kind", { enum: ["province", "school"] }).notNull(),
    name: text("name").notNull(),
    code: text("code").notNull().unique(),
    /** School level: tieu_hoc (1–5), thcs (6–9), thpt (10–12), lien_cap (mixed). */
    level: text("level", { enum: ["tieu_hoc", "thcs", "thpt", "lien_cap"] }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("organizations_parent_idx").on(t.parentId)],
);

export type Organization = typeof organizations.$inferSelect;
export type NewOrganization = typeof organizations.$inferInsert;
