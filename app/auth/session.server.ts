/**
 * Sessions as the Lucia guide describes them: a random token in an HttpOnly cookie; only the
 * SHA-256 of the token is stored (as the session id); lookups compare in constant time; the
 * expiry slides forward while the session is in use.
 */
import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.server.ts";
import { memberships, organizations, sessions, users } from "../../db/schema/index.ts";
import type { ActorMembership } from "./actor.server.ts";
import { unreadCountSql } from "../services/notify-inbox.server.ts";

export const SESSION_COOKIE = "lopso_session";
const DAY = 24 * 60 * 60 * 1000;
export const SESSION_TTL_MS = 30 * DAY;
/** Extend the expiry when less than this remains. */
const RENEW_WITHIN_MS = 15 * DAY;

export function generateSessionToken(): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}

export function sessionIdFromToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

export async function createSession(db: DbOrTx, token: string, userId: string) {
  const session = { id: sessionIdFromToken(token), userId, expiresAt: new Date(Date.now() + SESSION_TTL_MS) };
  await db.insert(sessions).values(session);
  return session;
}

export type SessionUser = {
  id: string;
  fullName: string;
  email: string | null;
  phone: string | null;
  locale: "vi" | "en";
  /** Signed in with a temporary password: every page asks for a new one first. */
  mustChangePassword: boolean;
};

export type SessionValidation =
  | { session: { id: string; expiresAt: Date; renewed: boolean }; user: SessionUser; memberships: ActorMembership[]; unread: number }
  | { session: null; user: null; expired: boolean };

/** Every page view looks its session up: the statement is built once per database handle. */
const sessionLookups = new WeakMap<DbOrTx, ReturnType<typeof prepareSessionLookup>>();

function prepareSessionLookup(db: DbOrTx) {
  return db
    .select({
      id: sessions.id,
      expiresAt: sessions.expiresAt,
      user: { id: users.id, fullName: users.fullName, email: users.email, phone: users.phone, locale: users.locale, mustChangePassword: users.mustChangePassword },
      // The person's roles come back with the session in the same round trip (every page needs them).
      memberships: sql<ActorMembership[]>`coalesce((
        select json_agg(json_build_object('orgId', m.org_id, 'role', m.role, 'orgName', o.name, 'orgKind', o.kind, 'parentId', o.parent_id))
        from ${memberships} m join ${organizations} o on o.id = m.org_id
        where m.user_id = ${users.id}), '[]'::json)`,
      // The menu's unread badge, from the inbox's partial index, capped (see notify-inbox).
      unread: unreadCountSql(users.id),
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    // A deactivated person's session stops working at once, even if one was left behind.
    .where(and(eq(sessions.id, sql.placeholder("id")), isNull(users.deactivatedAt)))
    .limit(1)
    .prepare("session_lookup");
}

function sessionLookup(db: DbOrTx) {
  let prepared = sessionLookups.get(db);
  if (!prepared) sessionLookups.set(db, (prepared = prepareSessionLookup(db)));
  return prepared;
}

export async function validateSessionToken(db: DbOrTx, token: string): Promise<SessionValidation> {
  if (!/^[a-z2-7]{32}$/.test(token)) return { session: null, user: null, expired: false };
  const id = sessionIdFromToken(token);
  const [row] = await sessionLookup(db).execute({ id });
  if (!row) return { session: null, user: null, expired: false };
  // The lookup was by hash; compare again in constant time so timing reveals nothing.
  if (!constantTimeEqual(new TextEncoder().encode(row.id), new TextEncoder().encode(id))) {
    return { session: null, user: null, expired: false };
  }
  const now = Date.now();
  if (row.expiresAt.getTime() <= now) {
    await db.delete(sessions).where(eq(sessions.id, id));
    return { session: null, user: null, expired: true };
  }
  let expiresAt = row.expiresAt;
  let renewed = false;
  if (expiresAt.getTime() - now < RENEW_WITHIN_MS) {
    expiresAt = new Date(now + SESSION_TTL_MS);
    renewed = true;
    await db.update(sessions).set({ expiresAt }).where(eq(sessions.id, id));
  }
  const roles = typeof row.memberships === "string" ? (JSON.parse(row.memberships) as ActorMembership[]) : row.memberships;
  return { session: { id, expiresAt, renewed }, user: row.user, memberships: roles, unread: Number(row.unread) };
}

export async function invalidateSession(db: DbOrTx, sessionId: string) {
  await db.delete(sessions).where(eq(sessions.id, sessionId));
}

/** Sign out everywhere. */
export async function invalidateAllSessions(db: DbOrTx, userId: string) {
  await db.delete(sessions).where(eq(sessions.userId, userId));
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${token}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Expires=${expiresAt.toUTCString()}`,
    secure ? "Secure" : "",
  ]
    .filter(Boolean)
    .join("; ");
}

/** A browser's own random id, kept for 400 days, by which sign-in recognises a browser it has seen. */
export const DEVICE_COOKIE = "lopso_device";

export function deviceCookie(deviceId: string, secure: boolean): string {
  return [`${DEVICE_COOKIE}=${deviceId}`, "Path=/login", "HttpOnly", "SameSite=Lax", `Max-Age=${400 * 86400}`, secure ? "Secure" : ""]
    .filter(Boolean)
    .join("; ");
}

export function blankSessionCookie(secure: boolean): string {
  return [`${SESSION_COOKIE}=`, "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=0", secure ? "Secure" : ""]
    .filter(Boolean)
    .join("; ");
}

export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(/;\s*/)) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i) === name) {
      // A malformed value (a stray "%") is an invalid token (cleared), not a server error on every page.
      try {
        return decodeURIComponent(part.slice(i + 1));
      } catch {
        return part.slice(i + 1);
      }
    }
  }
  return undefined;
}
