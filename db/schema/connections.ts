import { sql } from "drizzle-orm";
import { bigserial, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from "drizzle-orm/pg-core";
import { organizations } from "./orgs.ts";
import { users } from "./users.ts";

export const PROVIDERS = ["google", "microsoft", "zoom"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/**
 * How the hub holds the account: `server_to_server` (Zoom's Server-to-Server OAuth app, an Entra ID
 * app's client credentials) or `oauth_user` (a person's consent through the web flow: a Google
 * Workspace admin, a teacher's own account, a teacher's delegated Microsoft sign-in).
 */
export const CONNECTION_KINDS = ["server_to_server", "oauth_user"] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

/**
 * `pending`: saved, the web flow not finished yet; `connected`: the last call worked;
 * `needs_reconnect`: the provider refused our credentials for good (refresh token revoked or
 * expired, secret rotated) — a person must connect again; `error`: the last call failed for
 * another reason, with the provider's own message.
 */
export const CONNECTION_STATUSES = ["pending", "connected", "needs_reconnect", "error"] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/**
 * One school's (or one teacher's) account at an outside platform. Secrets and tokens are one
 * AES-256-GCM ciphertext (`secrets`, see app/services/connections/secrets.server.ts) whose
 * associated data is the row's id and provider, so it cannot be moved to another row.
 */
export const connections = pgTable(
  "connections",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    schoolId: uuid("school_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Set for a teacher's own connection: it serves only that teacher's classes. */
    teacherId: uuid("teacher_id").references(() => users.id, { onDelete: "cascade" }),
    /**
     * For a teacher's delegated Microsoft sign-in: the school's Entra ID app connection whose
     * client id and secret the flow uses.
     */
    appConnectionId: uuid("app_connection_id").references((): AnyPgColumn => connections.id, { onDelete: "cascade" }),
    provider: text("provider", { enum: PROVIDERS }).notNull(),
    kind: text("kind", { enum: CONNECTION_KINDS }).notNull(),
    /** Zoom account id, Entra tenant id, Google Workspace domain (as given at connect). */
    externalAccount: text("external_account"),
    /** The account's name as the provider reports it (Zoom account, organization, Google user). */
    accountName: text("account_name"),
    /** The OAuth client id (not a secret; shown to admins). */
    clientId: text("client_id"),
    scopes: text("scopes").array().notNull().default(sql`'{}'::text[]`),
    status: text("status", { enum: CONNECTION_STATUSES }).notNull().default("pending"),
    /** Machine reason for the status: invalid_grant, invalid_client, secret_rotated, http_403, … */
    statusReason: text("status_reason"),
    /** The provider's own message for the last failure, kept to show in plain words. */
    statusMessage: text("status_message"),
    lastOkAt: timestamp("last_ok_at", { withTimezone: true }),
    lastErrorAt: timestamp("last_error_at", { withTimezone: true }),
    /** Ciphertext of a JSON object { clientSecret?, webhookSecret?, accessToken?, refreshToken? }. */
    secrets: text("secrets"),
    /** Which SECRET_KEY `secrets` is under (see `keyId` in secrets.server.ts). */
    secretsKeyId: text("secrets_key_id"),
    accessTokenExpiresAt: timestamp("access_token_expires_at", { withTimezone: true }),
    /** Bumped with every stored token; a 401 expires a token only if its version is unchanged. */
    tokenVersion: integer("token_version").notNull().default(0),
    /** When a rotating refresh token was last used (idle ones are refreshed before they lapse). */
    refreshedAt: timestamp("refreshed_at", { withTimezone: true }),
    connectedBy: uuid("connected_by").references(() => users.id, { onDelete: "set null" }),
    connectedAt: timestamp("connected_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [
    // One school-wide connection per provider; one own connection per teacher and provider.
    uniqueIndex("connections_school_key").on(t.schoolId, t.provider).where(sql`${t.teacherId} is null`),
    uniqueIndex("connections_teacher_key").on(t.teacherId, t.provider).where(sql`${t.teacherId} is not null`),
    index("connections_status_idx").on(t.status),
  ],
);

export type Connection = typeof connections.$inferSelect;

export const AUDIT_ACTIONS = [
  "connect",
  "update",
  "reconnect",
  "disconnect",
  "test",
  "needs_reconnect",
  "identity_link",
  "identity_unlink",
  "sign_in",
  "rotate_key",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who connected, disconnected, reconnected or linked what, when and from where. Never updated. */
export const connectionAudit = pgTable(
  "connection_audit",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    schoolId: uuid("school_id").references(() => organizations.id, { onDelete: "cascade" }),
    /** Kept after a disconnect deletes the row, so no foreign key. */
    connectionId: uuid("connection_id"),
    provider: text("provider", { enum: PROVIDERS }).notNull(),
    /** Null for the CLI and for the hub itself (a refresh that found the grant revoked). */
    actorId: uuid("actor_id").references(() => users.id, { onDelete: "set null" }),
    action: text("action", { enum: AUDIT_ACTIONS }).notNull(),
    /** "ok", or the reason of a failure (never a secret). */
    outcome: text("outcome").notNull().default("ok"),
    detail: jsonb("detail").notNull().default(sql`'{}'::jsonb`),
    /** The client address of the request; "cli" for the command line. */
    address: text("address"),
    at: timestamp("at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("connection_audit_school_idx").on(t.schoolId, t.id)],
);

export const OAUTH_PURPOSES = ["connect", "teacher_connect", "sign_in", "link"] as const;
export type OAuthPurpose = (typeof OAUTH_PURPOSES)[number];

/**
 * One web-flow attempt (connect, sign-in, link). The browser holds `state`; we keep its SHA-256
 * only, with the PKCE verifier and nonce. Used once (`usedAt`), good for ten minutes, and bound to
 * the browser that started it (`browserBinding`: hash of a cookie set at start).
 */
export const oauthStates = pgTable("oauth_states", {
  stateHash: text("state_hash").primaryKey(),
  purpose: text("purpose", { enum: OAUTH_PURPOSES }).notNull(),
  provider: text("provider", { enum: PROVIDERS }).notNull(),
  connectionId: uuid("connection_id").references(() => connections.id, { onDelete: "cascade" }),
  userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
  browserBinding: text("browser_binding").notNull(),
  codeVerifier: text("code_verifier").notNull(),
  nonce: text("nonce").notNull(),
  /** Where to go afterwards (a path on this site). */
  returnTo: text("return_to"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }),
});

/** A Google or Microsoft identity linked to a hub user (sign-in with the school account). */
export const userIdentities = pgTable(
  "user_identities",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider", { enum: PROVIDERS }).notNull(),
    /** The ID token's `iss` (Entra: per tenant) and `sub` (Entra: `oid` is kept in `detail`). */
    issuer: text("issuer").notNull(),
    subject: text("subject").notNull(),
    email: text("email"),
    /** The school connection whose domain or tenant covered the person at linking. */
    connectionId: uuid("connection_id").references(() => connections.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("user_identities_subject_key").on(t.issuer, t.subject), index("user_identities_user_idx").on(t.userId)],
);

/** Calls made per connection and UTC day, for the sync-health pages. */
export const providerCalls = pgTable(
  "provider_calls",
  {
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    day: date("day", { mode: "string" }).notNull(),
    calls: integer("calls").notNull().default(0),
    failures: integer("failures").notNull().default(0),
    throttled: integer("throttled").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.day] })],
);

/**
 * Rate budgets shared by every web and worker process: a fixed window per key
 * (`zoom:account:<id>:medium`, `zoom:user:<id>:writes:<UTC date>`, `graph:tenant:<id>`,
 * `google:user:<id>`), and the time the provider told us to wait until.
 */
export const providerBudgets = pgTable("provider_budgets", {
  key: text("key").primaryKey(),
  windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
  used: integer("used").notNull().default(0),
  blockedUntil: timestamp("blocked_until", { withTimezone: true }),
  /** Sliding budgets: the times of the calls made in the last window, oldest first (at most `limit`). */
  recent: timestamp("recent", { withTimezone: true, mode: "string" }).array().notNull().default(sql`'{}'::timestamptz[]`),
});
