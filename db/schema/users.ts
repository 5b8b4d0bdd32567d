import { sql } from "drizzle-orm";
import { boolean, date, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { organizations } from "./orgs.ts";

/**
 * Latin letters with tones and marks (all of Vietnamese, in NFC) and capitals, and what search
 * folds them to: `translate` is immutable, so the database can keep the folded name itself.
 */
export const FOLD_FROM =
  "ÀÁÂÃÄÅÈÉÊËÌÍÎÏÒÓÔÕÖÙÚÛÜÝàáâãäåèéêëìíîïòóôõöùúûüýÿĀāĂăĄąĎďĐđĒēĔĕĖėĘęĚěĨĩĪīĬĭĮįİŌōŎŏŐőŨũŪūŬŭŮůŰűŲųŶŷŸƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǪǫǬǭǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȔȕȖȗȦȧȨȩȪȫȬȭȮȯȰȱȲȳḀḁḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḬḭḮḯṌṍṎṏṐṑṒṓṲṳṴṵṶṷṸṹṺṻẎẏẙẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const FOLD_TO =
  "aaaaaaeeeeiiiiooooouuuuyaaaaaaeeeeiiiiooooouuuuyyaaaaaaddddeeeeeeeeeeiiiiiiiiioooooouuuuuuuuuuuuyyyoouuaaiioouuuuuuuuuuaaaaooooaaaaaaeeeeiiiioooouuuuaaeeooooooooyyaaddddddddddeeeeeeeeeeiiiioooooooouuuuuuuuuuyyyaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyyabcdefghijklmnopqrstuvwxyz";

/**
 * FOLD_FROM → FOLD_TO as `translate()` is given them: it looks each character of a name up in
 * `from` from the start, so the commonest come first — space and lower case (mapped to themselves),
 * capitals, Vietnamese lower case — and the rest after. The same result for every name, at a
 * fourth of the cost (it is paid on every insert of a user: 1,000,000 in a OneRoster import).
 */
const FOLD_VI_LOWER = "àáâãèéêìíòóôõùúýăđĩũơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ";
const foldPairs = (() => {
  const from = [...FOLD_FROM];
  const to = [...FOLD_TO];
  const pairs: [string, string][] = from.map((c, i) => [c, to[i]]);
  const same: [string, string][] = [..." abcdefghijklmnopqrstuvwxyz"].map((c) => [c, c]);
  const rank = (c: string) => (c >= "A" && c <= "Z" ? 0 : FOLD_VI_LOWER.includes(c) ? 1 : 2);
  return [...same, ...[0, 1, 2].flatMap((r) => pairs.filter(([c]) => rank(c) === r))];
})();
export const FOLD_SCAN_FROM = foldPairs.map(([c]) => c).join("");
export const FOLD_SCAN_TO = foldPairs.map(([, c]) => c).join("");

export const ROLES = ["province_admin", "school_admin", "teacher", "student", "parent"] as const;
export type Role = (typeof ROLES)[number];

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    fullName: text("full_name").notNull(),
    /** Vietnamese class lists sort by given name (the last word), then the full name. */
    sortKey: text("sort_key").notNull(),
    /**
     * The name without tones or case ("Đỗ Thị Ánh" → "do thi anh") for search; kept by the
     * database. `searchFold` in app/lib/vn.ts folds a query the same way.
     */
    searchName: text("search_name")
      .notNull()
      .generatedAlwaysAs(sql.raw(`translate(full_name, '${FOLD_SCAN_FROM}', '${FOLD_SCAN_TO}')`)),
    email: text("email"),
    /** E.164, e.g. +84912345678 */
    phone: text("phone"),
    passwordHash: text("password_hash"),
    /** Date of birth as a school list gives it (a calendar date, no time zone); optional. */
    birthDate: date("birth_date", { mode: "string" }),
    locale: text("locale", { enum: ["vi", "en"] }).notNull().default("vi"),
    /**
     * The password is a temporary one (made by an admin, a teacher or the CSV import): every page
     * asks for a new one until it is changed.
     */
    mustChangePassword: boolean("must_change_password").notNull().default(false),
    /**
     * When a school admin deactivated the account (null: active). A deactivated person cannot sign
     * in; their work, grades and family links stay.
     */
    deactivatedAt: timestamp("deactivated_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [
    uniqueIndex("users_email_key").on(t.email),
    uniqueIndex("users_phone_key").on(t.phone),
    index("users_sort_idx").on(t.sortKey),
  ],
);

export const memberships = pgTable(
  "memberships",
  {
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    orgId: uuid("org_id").notNull().references(() => organizations.id, { onDelete: "cascade" }),
    role: text("role", { enum: ROLES }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.userId, t.orgId, t.role] }), index("memberships_org_role_idx").on(t.orgId, t.role)],
);

/** Sessions as the Lucia guide describes: the id is the SHA-256 (hex) of the cookie token. */
export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/**
 * Password-reset links sent by email: only a keyed hash of the link's random token is stored,
 * with its expiry and the time it was used (a link works once).
 */
export const passwordResets = pgTable(
  "password_resets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [uniqueIndex("password_resets_token_key").on(t.tokenHash), index("password_resets_user_idx").on(t.userId)],
);

/**
 * Failure counters shared by every web process (sign-in, password and code throttling): failures
 * counted in a window from the first, and the time before which the key is refused (backoff).
 */
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
  count: integer("count").notNull(),
  blockedUntil: timestamp("blocked_until", { withTimezone: true }),
});

/**
 * Browsers (by their device cookie) and addresses that have signed in to an account, each kept as
 * a keyed hash. A correct password from one of them is not held back by failures from elsewhere.
 */
export const knownSignIns = pgTable(
  "known_sign_ins",
  {
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["device", "address"] }).notNull(),
    hash: text("hash").notNull(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind, t.hash] })],
);

export const parentLinks = pgTable(
  "parent_links",
  {
    parentId: uuid("parent_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    studentId: uuid("student_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    /**
     * The roster that made the link: a OneRoster import ("oneroster:<schoolId>"), whose next bundle
     * ends the links it no longer has, or a course sync's guardians (its source). Null when the hub
     * made it or a family confirmed it (a link code, the school's CSV import, an admin): no roster
     * ends those.
     */
    source: text("source"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [
    primaryKey({ columns: [t.parentId, t.studentId] }),
    index("parent_links_student_idx").on(t.studentId),
    index("parent_links_source_idx").on(t.source).where(sql`${t.source} is not null`),
  ],
);

/** Codes a school or teacher hands to a family so a parent can link to a child. */
export const linkCodes = pgTable(
  "link_codes",
  {
    code: text("code").primaryKey(),
    studentId: uuid("student_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    /** How many parents may link with the code (the issuer chooses; both parents by default). */
    maxUses: integer("max_uses").notNull().default(2),
    uses: integer("uses").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("link_codes_student_idx").on(t.studentId)],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type Membership = typeof memberships.$inferSelect;
export type Session = typeof sessions.$inferSelect;
