import { sql } from "drizzle-orm";
import { bigserial, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { connections, PROVIDERS } from "./connections.ts";

/**
 * Inbox of the webhook events providers send to a connection's address (Zoom's meeting and
 * recording events), stored as received once their signature is checked, and processed later
 * (`processedAt`). Providers redeliver: `dedupeKey` is unique per connection, so a retry is
 * stored once.
 */
export const providerEvents = pgTable(
  "provider_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    provider: text("provider", { enum: PROVIDERS }).notNull(),
    /** The provider's event name: `meeting.participant_joined`, `recording.completed`, … */
    eventType: text("event_type").notNull(),
    /** When the provider says the event happened (Zoom's `event_ts`). */
    eventTs: timestamp("event_ts", { withTimezone: true }).notNull(),
    /** Hash of what identifies the event (see `dedupeKey` in integrations/zoom/webhook.ts). */
    dedupeKey: text("dedupe_key").notNull(),
    payload: jsonb("payload").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().default(sql`now()`),
    processedAt: timestamp("processed_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("provider_events_dedupe_key").on(t.connectionId, t.dedupeKey),
    index("provider_events_unprocessed_idx").on(t.receivedAt).where(sql`${t.processedAt} is null`),
  ],
);

export type ProviderEvent = typeof providerEvents.$inferSelect;
