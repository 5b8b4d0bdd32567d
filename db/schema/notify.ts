import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { organizations } from "./orgs.ts";
import { users } from "./users.ts";
import { classes } from "./classes.ts";

/**
 * What a parent can choose to hear about, per child:
 * - grade: a grade was posted;
 * - work: work handed in, missing or late;
 * - attendance: absent or late at a live session;
 * - class_news: a new lesson or assignment;
 * - teacher_note: a teacher wrote about this child (a note, or a reply in the contact book);
 * - announcement: a class or school announcement.
 */
export const NEWS_KINDS = ["grade", "work", "attendance", "class_news", "teacher_note", "announcement"] as const;
export type NewsKind = (typeof NEWS_KINDS)[number];

/** When news of a kind reaches the parent outside the in-app inbox. */
export const DELIVERY_MODES = ["immediate", "daily", "weekly", "off"] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

/** The channels a message can go out on; the in-app inbox is always on. */
export const CHANNELS = ["inapp", "email", "push", "zalo", "sms"] as const;
export type ChannelName = (typeof CHANNELS)[number];
export type ExternalChannel = Exclude<ChannelName, "inapp">;

/** A person's notification settings; no row means the defaults (see app/services/notify). */
export const notificationSettings = pgTable("notification_settings", {
  userId: uuid("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  /** Quiet hours in minutes after midnight, Vietnam time (21:00–06:30 by default); equal values mean none. */
  quietStart: smallint("quiet_start").notNull().default(21 * 60),
  quietEnd: smallint("quiet_end").notNull().default(6 * 60 + 30),
  /** The daily digest's time, minutes after midnight Vietnam time (19:00). */
  digestAt: smallint("digest_at").notNull().default(19 * 60),
  /** The weekly digest's day, 0 = Sunday … 6 = Saturday (Sunday by default), at `digestAt`. */
  weeklyDay: smallint("weekly_day").notNull().default(0),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
});

/** A parent's choice for one child and one kind of news; no row means that kind's default. */
export const notificationPreferences = pgTable(
  "notification_preferences",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    studentId: uuid("student_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: NEWS_KINDS }).notNull(),
    mode: text("mode", { enum: DELIVERY_MODES }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.userId, t.studentId, t.kind] })],
);

/**
 * A person's choice of an outside channel and its state. No row means the default: email when the
 * person has an address, otherwise Zalo (or SMS) for a phone where the hub has it configured.
 * A permanent failure (invalid address, unsubscribed, blocked, not on Zalo) switches the channel
 * off with its reason, which the settings page shows.
 */
export const contactChannels = pgTable(
  "contact_channels",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    channel: text("channel", { enum: ["email", "push", "zalo", "sms"] }).notNull(),
    enabled: boolean("enabled").notNull(),
    /** Why the hub turned it off: unsubscribed, invalid_address, bounced, blocked, not_on_zalo, … */
    disabledReason: text("disabled_reason"),
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.userId, t.channel] })],
);

/** A browser's Web Push subscription (RFC 8030 endpoint and RFC 8291 keys). */
export const pushSubscriptions = pgTable(
  "push_subscriptions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    endpoint: text("endpoint").notNull(),
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    userAgent: text("user_agent"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    lastSuccessAt: timestamp("last_success_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("push_subscriptions_endpoint_key").on(t.endpoint), index("push_subscriptions_user_idx").on(t.userId)],
);

/**
 * The in-app inbox: one item per fact per person ("Thông báo"), written by the fan-out. Items whose
 * mode is daily or weekly wait for their digest (`dispatchedAt` null); immediate ones are
 * dispatched to the outside channels at once (quiet hours permitting).
 */
export const notifications = pgTable(
  "notifications",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The child it is about (null for a school-wide announcement to a teacher, say). */
    studentId: uuid("student_id").references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: NEWS_KINDS }).notNull(),
    mode: text("mode", { enum: DELIVERY_MODES }).notNull(),
    /** The outbox event it came from; with `userId` unique, so a fact reaches a person once. */
    eventId: bigint("event_id", { mode: "number" }).notNull(),
    /** Short text in the person's language and the page it is about. */
    title: text("title").notNull(),
    body: text("body").notNull().default(""),
    link: text("link"),
    /** Facts a digest sums up (counts, subject, platform, due date…), in no language. */
    data: jsonb("data").notNull().default(sql`'{}'::jsonb`),
    urgent: boolean("urgent").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    readAt: timestamp("read_at", { withTimezone: true }),
    /** When its outside messages were queued (at once, or by the digest that included it). */
    dispatchedAt: timestamp("dispatched_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("notifications_once_key").on(t.userId, t.eventId),
    index("notifications_inbox_idx").on(t.userId, t.id),
    index("notifications_unread_idx").on(t.userId).where(sql`${t.readAt} is null`),
    index("notifications_undispatched_idx").on(t.mode, t.userId).where(sql`${t.dispatchedAt} is null`),
  ],
);

export const MESSAGE_STATUSES = ["queued", "sending", "sent", "delivered", "failed", "cancelled"] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/**
 * One message to one person on one outside channel: the delivery queue and its record.
 * `key` is the idempotency key — (event or digest, recipient, channel) — and becomes the email
 * Message-ID, Zalo's tracking_id, the SMS request id and the push Topic.
 */
export const outboundMessages = pgTable(
  "outbound_messages",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    key: text("key").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    schoolId: uuid("school_id").references(() => organizations.id, { onDelete: "set null" }),
    channel: text("channel", { enum: ["email", "push", "zalo", "sms"] }).notNull(),
    /** Email address, phone in E.164, or push subscription id, as it was when queued. */
    address: text("address").notNull(),
    /** immediate (one fact) or daily / weekly digest. */
    kind: text("kind", { enum: ["immediate", "daily", "weekly"] }).notNull(),
    notificationId: bigint("notification_id", { mode: "number" }),
    locale: text("locale", { enum: ["vi", "en"] }).notNull().default("vi"),
    /** The rendered message: subject, text, html, link, template parameters — per channel. */
    content: jsonb("content").notNull(),
    status: text("status", { enum: MESSAGE_STATUSES }).notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    /** Not before this moment: quiet hours, backoff after a temporary failure, a rate limit. */
    notBefore: timestamp("not_before", { withTimezone: true }).notNull().default(sql`now()`),
    lastError: text("last_error"),
    /** Why it failed for good: invalid_address, unsubscribed, blocked, not_on_zalo, too_long, … */
    failureReason: text("failure_reason"),
    providerMessageId: text("provider_message_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [
    uniqueIndex("outbound_messages_key").on(t.key),
    index("outbound_messages_due_idx").on(t.channel, t.notBefore).where(sql`${t.status} in ('queued', 'sending')`),
    index("outbound_messages_school_day_idx").on(t.schoolId, t.createdAt),
    index("outbound_messages_user_idx").on(t.userId, t.createdAt),
  ],
);

/**
 * The electronic contact book: one thread per student between that student's parents and
 * teachers. Parents and the homeroom teacher belong to it implicitly; a subject teacher joins when
 * they write or are asked (a participant row).
 */
export const threads = pgTable(
  "threads",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    studentId: uuid("student_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    schoolId: uuid("school_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    lastMessageAt: timestamp("last_message_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("threads_student_key").on(t.studentId), index("threads_school_idx").on(t.schoolId, t.lastMessageAt)],
);

/** Who has read a thread up to when; also marks subject teachers who joined it. */
export const threadParticipants = pgTable(
  "thread_participants",
  {
    threadId: uuid("thread_id")
      .notNull()
      .references(() => threads.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    lastReadAt: timestamp("last_read_at", { withTimezone: true }),
    joinedAt: timestamp("joined_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.threadId, t.userId] }), index("thread_participants_user_idx").on(t.userId)],
);

/** A class or whole-school announcement (a school admin for the school; a teacher for a class). */
export const announcements = pgTable(
  "announcements",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    schoolId: uuid("school_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Null: the whole school. */
    classId: uuid("class_id").references(() => classes.id, { onDelete: "cascade" }),
    authorId: uuid("author_id")
      .notNull()
      .references(() => users.id),
    title: text("title").notNull(),
    body: text("body").notNull(),
    /** An urgent school announcement may break quiet hours. */
    urgent: boolean("urgent").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("announcements_school_idx").on(t.schoolId, t.createdAt), index("announcements_class_idx").on(t.classId, t.createdAt)],
);

/** One message in a student's thread: a reply, a teacher's note, or an announcement's copy. */
export const threadMessages = pgTable(
  "thread_messages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    threadId: uuid("thread_id")
      .notNull()
      .references(() => threads.id, { onDelete: "cascade" }),
    authorId: uuid("author_id")
      .notNull()
      .references(() => users.id),
    kind: text("kind", { enum: ["message", "note", "announcement"] }).notNull().default("message"),
    announcementId: uuid("announcement_id").references(() => announcements.id, { onDelete: "cascade" }),
    body: text("body").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("thread_messages_thread_idx").on(t.threadId, t.createdAt)],
);

export type NotificationSettings = typeof notificationSettings.$inferSelect;
export type Notification = typeof notifications.$inferSelect;
export type OutboundMessage = typeof outboundMessages.$inferSelect;
export type Thread = typeof threads.$inferSelect;
export type ThreadMessage = typeof threadMessages.$inferSelect;
export type Announcement = typeof announcements.$inferSelect;

/**
 * "Stop emails of this kind": a person's unsubscribe from one kind of news (a NEWS_KINDS value)
 * on one outside channel, from the link in a message (RFC 8058 one-click or the page's button).
 * The fan-out and the digest queue nothing on that channel for that kind; the delivery cancels
 * what was already queued. An unsubscribe from the digest switches the channel off instead
 * (contact_channels.disabled_reason = 'unsubscribed'). `created_at` counts unsubscribes per day.
 */
export const channelUnsubscribes = pgTable(
  "channel_unsubscribes",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    channel: text("channel", { enum: ["email", "push", "zalo", "sms"] }).notNull(),
    kind: text("kind").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.userId, t.channel, t.kind] }), index("channel_unsubscribes_day_idx").on(t.createdAt)],
);
