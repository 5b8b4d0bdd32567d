import { sql } from "drizzle-orm";
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Credentials an outside channel renews by itself, one row per provider account (e.g. "zalo_oa":
 * the Zalo Official Account's access token and its single-use refresh token, which rotates on
 * every refresh). `version` goes up with each save, so a renewal can tell it read the latest row.
 */
export const channelTokens = pgTable("channel_tokens", {
  name: text("name").primaryKey(),
  accessToken: text("access_token").notNull(),
  refreshToken: text("refresh_token").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  version: integer("version").notNull().default(1),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
});

export type ChannelTokenRow = typeof channelTokens.$inferSelect;
