/**
 * Access tokens of connections a person granted (a Google Workspace admin, a teacher's own
 * account, a delegated Microsoft sign-in), by the refresh protocol:
 * 1. a token valid for two more minutes is used as it is;
 * 2. otherwise one refresh per connection — shared by the callers of this process, and across
 *    processes by `SELECT … FOR UPDATE` on the row, looking again once the lock is held — storing
 *    the rotated refresh token and a new token version before commit;
 * 3. a refusal for good (`invalid_grant`, `invalid_client`) turns the connection "needs reconnect"
 *    in the same transaction, with an outbox event and an in-app notice to the school's admins; a
 *    network error or 5xx changes nothing;
 * 4. a 401 on a token we thought fresh expires it only if its version is unchanged (`rejected`).
 * Work for a connection that needs reconnecting fails as `reauth_required` and waits.
 */
import { and, eq, inArray } from "drizzle-orm";
import type { Db, DbOrTx } from "../../../db/client.server.ts";
import { connections, events, memberships, notifications, users, type Connection } from "../../../db/schema/index.ts";
import { IntegrationError, isIntegrationError } from "../../../integrations/errors.ts";
import type { TokenSet } from "../../../integrations/oidc/flow.server.ts";
import { translate } from "../../i18n/index.ts";
import { audit, readSecrets, sealFor } from "./store.server.ts";

/** A refresh grant for the row (`db` is the transaction that holds the row's lock). */
export type Refresh = (row: Connection, refreshToken: string, db: DbOrTx) => Promise<TokenSet>;
export type UsableToken = { token: string; version: number };

const FRESH_FOR_MS = 2 * 60_000;
const REFRESH_TIMEOUT_MS = 15_000;
const inflight = new Map<string, Promise<UsableToken>>();

function usable(row: Connection, now: number): UsableToken | null {
  if (!row.accessTokenExpiresAt || row.accessTokenExpiresAt.getTime() - now <= FRESH_FOR_MS) return null;
  const s = readSecrets(row);
  return s.accessToken ? { token: s.accessToken, version: row.tokenVersion } : null;
}

function refused(row: Pick<Connection, "provider">, operation: string, message: string) {
  return new IntegrationError({ code: "reauth_required", provider: row.provider, operation, providerCode: "needs_reconnect", providerMessage: message });
}

/**
 * `shared: false` leaves out the sharing between this process's callers, so that a test can race
 * two callers that share nothing but the database (as two processes do).
 */
export async function accessTokenFor(db: Db, connectionId: string, refresh: Refresh, opts: { shared?: boolean } = {}): Promise<UsableToken> {
  const [row] = await db.select().from(connections).where(eq(connections.id, connectionId));
  if (!row) throw new IntegrationError({ code: "not_connected", provider: "hub", operation: "token" });
  if (row.status === "needs_reconnect") throw refused(row, "token", row.statusMessage ?? "the connection needs reconnecting");
  const ready = usable(row, Date.now());
  if (ready) return ready;
  if (opts.shared === false) return refreshLocked(db, connectionId, refresh);
  let pending = inflight.get(connectionId);
  if (!pending) {
    pending = refreshLocked(db, connectionId, refresh).finally(() => inflight.delete(connectionId));
    inflight.set(connectionId, pending);
  }
  return pending;
}

function withTimeout<T>(p: Promise<T>, provider: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new IntegrationError({ code: "transient", provider, operation: "token.refresh", providerMessage: "refresh timed out" })), REFRESH_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function refreshLocked(db: Db, connectionId: string, refresh: Refresh, idleBefore?: Date): Promise<UsableToken> {
  let failure: unknown;
  const result = await db.transaction(async (tx) => {
    const [row] = await tx.select().from(connections).where(eq(connections.id, connectionId)).for("update");
    if (!row) {
      failure = new IntegrationError({ code: "not_connected", provider: "hub", operation: "token" });
      return null;
    }
    // Another process may have refreshed while this one waited for the lock.
    const ready = usable(row, Date.now());
    const idle = idleBefore && (row.refreshedAt ?? row.connectedAt ?? row.createdAt) < idleBefore;
    if (ready && !idle) return ready;
    if (row.status === "needs_reconnect") {
      failure = refused(row, "token", row.statusMessage ?? "the connection needs reconnecting");
      return null;
    }
    const secrets = readSecrets(row);
    // An app's credentials (Zoom Server-to-Server, Entra ID client credentials) mint a new token
    // with no refresh token; a person's grant needs its refresh token.
    if (row.kind === "oauth_user" && !secrets.refreshToken) {
      failure = refused(row, "token.refresh", "no refresh token");
      await markNeedsReconnect(tx, row, "no_refresh_token", "no refresh token");
      return null;
    }
    try {
      const t = await withTimeout(refresh(row, secrets.refreshToken ?? "", tx), row.provider);
      const now = new Date();
      await tx
        .update(connections)
        .set({
          ...sealFor(row.id, row.provider, { ...secrets, accessToken: t.accessToken, refreshToken: t.refreshToken ?? secrets.refreshToken }),
          accessTokenExpiresAt: t.expiresAt,
          tokenVersion: row.tokenVersion + 1,
          refreshedAt: now,
          updatedAt: now,
        })
        .where(eq(connections.id, row.id));
      return { token: t.accessToken, version: row.tokenVersion + 1 };
    } catch (e) {
      failure = e;
      if (isIntegrationError(e) && e.code === "reauth_required") {
        await markNeedsReconnect(tx, row, e.providerCode ?? "invalid_grant", e.providerMessage ?? e.message);
      }
      return null;
    }
  });
  if (!result) throw failure;
  return result;
}

/**
 * The provider refused the grant for good: the tokens are dropped (the client secret stays, so
 * reconnecting is one consent), the row says why, and the school's admins get an in-app notice.
 */
export async function markNeedsReconnect(tx: DbOrTx, row: Connection, reason: string, message: string) {
  const now = new Date();
  const secrets = readSecrets(row);
  await tx
    .update(connections)
    .set({
      ...sealFor(row.id, row.provider, { clientSecret: secrets.clientSecret, webhookSecret: secrets.webhookSecret }),
      status: "needs_reconnect",
      statusReason: reason,
      statusMessage: message.slice(0, 500),
      accessTokenExpiresAt: null,
      tokenVersion: row.tokenVersion + 1,
      lastErrorAt: now,
      updatedAt: now,
    })
    .where(eq(connections.id, row.id));
  await audit(tx, { schoolId: row.schoolId, connectionId: row.id, provider: row.provider }, "needs_reconnect", { actorId: null, address: "hub" }, reason);
  const [event] = await tx
    .insert(events)
    .values({ type: "connection.needs_reconnect", schoolId: row.schoolId, subjectId: row.id, payload: { provider: row.provider, reason }, processedAt: now })
    .returning({ id: events.id });
  // The school's admins, and for a teacher's own connection that teacher.
  const admins = await tx
    .select({ id: users.id, locale: users.locale })
    .from(users)
    .where(
      row.teacherId
        ? eq(users.id, row.teacherId)
        : inArray(users.id, tx.select({ id: memberships.userId }).from(memberships).where(and(eq(memberships.orgId, row.schoolId), eq(memberships.role, "school_admin")))),
    );
  const link = row.teacherId ? "/account/connections" : `/admin/schools/${row.schoolId}/connections`;
  const provider = (l: "vi" | "en") => translate(l, `connections.provider.${row.provider}`);
  if (admins.length) {
    await tx
      .insert(notifications)
      .values(
        admins.map((a) => ({
          userId: a.id,
          kind: "announcement" as const,
          mode: "immediate" as const,
          eventId: event.id,
          title: translate(a.locale, "connections.notice.title", { provider: provider(a.locale) }),
          body: translate(a.locale, "connections.notice.body", { provider: provider(a.locale) }),
          link,
          urgent: true,
          dispatchedAt: now,
        })),
      )
      .onConflictDoNothing();
  }
}

/**
 * Refresh a grant that has not been used since `idleBefore`, so that a rotating refresh token does
 * not lapse while nobody uses it (Microsoft's expire after 90 days idle, over the summer holidays).
 */
export function refreshIdle(db: Db, connectionId: string, refresh: Refresh, idleBefore: Date): Promise<UsableToken> {
  return refreshLocked(db, connectionId, refresh, idleBefore);
}

/** A 401 on this token: expire it, unless another caller already stored a newer one. */
export async function expireToken(db: Db, connectionId: string, version: number) {
  await db
    .update(connections)
    .set({ accessTokenExpiresAt: new Date(0) })
    .where(and(eq(connections.id, connectionId), eq(connections.tokenVersion, version)));
}

/** Call with a fresh token; a 401 on a token we thought fresh refreshes once and re-sends once. */
export async function withAccessToken<T>(db: Db, connectionId: string, refresh: Refresh, call: (token: string) => Promise<T>): Promise<T> {
  const first = await accessTokenFor(db, connectionId, refresh);
  try {
    return await call(first.token);
  } catch (e) {
    if (!(isIntegrationError(e) && e.status === 401)) throw e;
    await expireToken(db, connectionId, first.version);
    const second = await accessTokenFor(db, connectionId, refresh);
    return call(second.token);
  }
}
