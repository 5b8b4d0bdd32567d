/**
 * What every provider's connection service shares: the current key, opening and sealing a row's
 * secrets, recording the result of a call (status, last good call, the day's call count) and the
 * audit trail. A secret never leaves this module except to the provider call that needs it.
 */
import crypto from "node:crypto";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../../db/client.server.ts";
import { connectionAudit, connections, organizations, providerCalls, type AuditAction, type Connection, type ProviderName } from "../../../db/schema/index.ts";
import { env } from "../../env.server.ts";
import { isIntegrationError } from "../../../integrations/errors.ts";
import type { RateBudgets } from "../../../integrations/ports.ts";
import { pgRateBudgets } from "./budgets.server.ts";
import { deriveKey, openSecrets, sealSecrets, type ConnectionSecrets, type SecretKey } from "./secrets.server.ts";

let cached: { from: string; key: SecretKey } | undefined;

/** The connection-secrets key of the configured SECRET_KEY (derived once). */
function currentKey(): SecretKey {
  const secret = env().SECRET_KEY;
  if (cached?.from !== secret) cached = { from: secret, key: deriveKey(secret) };
  return cached.key;
}

export function readSecrets(row: Pick<Connection, "id" | "provider" | "secrets" | "secretsKeyId">): ConnectionSecrets {
  return openSecrets(currentKey(), row.id, row.provider, row.secrets, row.secretsKeyId);
}

/** The secret token a provider signs its webhooks to this connection with, if one is set. */
export function webhookSecretOf(row: Pick<Connection, "id" | "provider" | "secrets" | "secretsKeyId">): string | null {
  return readSecrets(row).webhookSecret || null;
}

export function sealFor(id: string, provider: ProviderName, secrets: ConnectionSecrets) {
  return sealSecrets(currentKey(), id, provider, secrets);
}

export class UnknownSchoolError extends Error {}

export async function schoolByCode(db: DbOrTx, code: string) {
  const [school] = await db.select({ id: organizations.id, name: organizations.name }).from(organizations).where(eq(organizations.code, code));
  if (!school) throw new UnknownSchoolError(`Unknown school code "${code}".`);
  return school;
}

export type Actor = { actorId: string | null; address: string };

export async function audit(db: DbOrTx, row: { schoolId: string; connectionId: string | null; provider: ProviderName }, action: AuditAction, actor: Actor, outcome = "ok", detail: Record<string, unknown> = {}) {
  await db.insert(connectionAudit).values({ schoolId: row.schoolId, connectionId: row.connectionId, provider: row.provider, actorId: actor.actorId, action, outcome, detail, address: actor.address });
}

/** Count calls made for a connection today (UTC), with those that failed or were throttled. */
async function countCalls(db: DbOrTx, connectionId: string, n: { calls: number; failures?: number; throttled?: number }) {
  if (n.calls === 0) return;
  const day = new Date().toISOString().slice(0, 10);
  await db
    .insert(providerCalls)
    .values({ connectionId, day, calls: n.calls, failures: n.failures ?? 0, throttled: n.throttled ?? 0 })
    .onConflictDoUpdate({
      target: [providerCalls.connectionId, providerCalls.day],
      set: {
        calls: sql`${providerCalls.calls} + ${n.calls}`,
        failures: sql`${providerCalls.failures} + ${n.failures ?? 0}`,
        throttled: sql`${providerCalls.throttled} + ${n.throttled ?? 0}`,
      },
    });
}

/** A call's counter to hand to the HTTP layer. */
function callCounter() {
  const n = { calls: 0, failures: 0, throttled: 0 };
  return {
    n,
    onAttempt: (o: { status?: number; throttled: boolean }) => {
      n.calls++;
      if (o.throttled) n.throttled++;
      else if (o.status === undefined || o.status >= 400) n.failures++;
    },
  };
}

export type CheckResult =
  | { ok: true; status: "connected"; accountName: string; detail?: string }
  | { ok: false; status: "needs_reconnect" | "error"; code: string; reason: string; message: string };

type Check = { ok: { accountName: string; detail?: string } } | { error: unknown };

/** Record what a check found on the row: connected with the account's name, or why not. */
async function recordCheck(db: DbOrTx, row: Pick<Connection, "id" | "schoolId" | "provider">, check: Check, actor: Actor): Promise<CheckResult> {
  const now = new Date();
  const target = { schoolId: row.schoolId, connectionId: row.id, provider: row.provider };
  if ("ok" in check) {
    const { accountName, detail } = check.ok;
    await db.update(connections).set({ status: "connected", accountName, statusReason: null, statusMessage: null, lastOkAt: now, updatedAt: now }).where(eq(connections.id, row.id));
    await audit(db, target, "test", actor, "ok", { account: accountName });
    return { ok: true, status: "connected", accountName, detail };
  }
  const e = check.error;
  const known = isIntegrationError(e) ? e : undefined;
  const status = known?.code === "reauth_required" ? "needs_reconnect" : "error";
  const reason = known ? (known.providerCode ?? (known.status ? `http_${known.status}` : known.code)) : "error";
  const message = known?.providerMessage ?? (e as Error)?.message ?? String(e);
  await db.update(connections).set({ status, statusReason: reason, statusMessage: message.slice(0, 500), lastErrorAt: now, updatedAt: now }).where(eq(connections.id, row.id));
  await audit(db, target, status === "needs_reconnect" ? "needs_reconnect" : "test", actor, reason);
  return { ok: false, status, code: known?.code ?? "transient", reason, message };
}

export type CachedToken = { accessToken: string; expiresAt: Date };

/**
 * "Kiểm tra kết nối" for one server-to-server connection: `call` gets the row's secrets, its
 * cached token and the HTTP layer's hooks; a token it renews is sealed back with the secrets, the
 * calls are counted for today, and the result is recorded on the row — in one transaction.
 */
export async function runCheck(
  db: Db,
  row: Connection,
  actor: Actor,
  call: (
    secrets: ConnectionSecrets,
    hooks: { cached?: CachedToken; onToken: (t: CachedToken) => void; onAttempt: (o: { status?: number; throttled: boolean }) => void; budgets: RateBudgets },
  ) => Promise<{ accountName: string; detail?: string }>,
): Promise<CheckResult> {
  const secrets = readSecrets(row);
  const cached = secrets.accessToken && row.accessTokenExpiresAt ? { accessToken: secrets.accessToken, expiresAt: row.accessTokenExpiresAt } : undefined;
  let renewed: CachedToken | undefined;
  const counter = callCounter();
  let check: Check;
  try {
    check = { ok: await call(secrets, { cached, onToken: (t) => (renewed = t), onAttempt: counter.onAttempt, budgets: pgRateBudgets(db) }) };
  } catch (error) {
    check = { error };
  }
  return db.transaction(async (tx) => {
    if (renewed) {
      await tx
        .update(connections)
        .set({ ...sealFor(row.id, row.provider, { ...secrets, accessToken: renewed.accessToken }), accessTokenExpiresAt: renewed.expiresAt, tokenVersion: row.tokenVersion + 1 })
        .where(eq(connections.id, row.id));
    }
    await countCalls(tx, row.id, counter.n);
    return recordCheck(tx, row, check, actor);
  });
}
/**
 * Create a school's server-to-server connection to `provider` (Zoom's S2S app, an Entra ID app),
 * or update it in place — same id, so webhook addresses and references stay — with its secrets
 * sealed and the change in the audit trail. It is "pending" until its first successful check.
 */
export async function upsertSchoolApp(
  db: Db,
  provider: ProviderName,
  input: { schoolCode: string; externalAccount: string; clientId: string; secrets: ConnectionSecrets },
  actor: Actor,
): Promise<{ id: string; schoolId: string; status: Connection["status"]; created: boolean }> {
  return db.transaction(async (tx) => {
    const school = await schoolByCode(tx, input.schoolCode);
    const [existing] = await tx
      .select({ id: connections.id })
      .from(connections)
      .where(and(eq(connections.schoolId, school.id), eq(connections.provider, provider), isNull(connections.teacherId)))
      .for("update");
    const id = existing?.id ?? crypto.randomUUID();
    const now = new Date();
    const values = {
      externalAccount: input.externalAccount,
      clientId: input.clientId,
      kind: "server_to_server" as const,
      status: "pending" as const,
      statusReason: null,
      statusMessage: null,
      accessTokenExpiresAt: null,
      ...sealFor(id, provider, input.secrets),
      connectedBy: actor.actorId,
      connectedAt: now,
      updatedAt: now,
    };
    if (existing) await tx.update(connections).set(values).where(eq(connections.id, id));
    else await tx.insert(connections).values({ id, schoolId: school.id, provider, ...values });
    await audit(tx, { schoolId: school.id, connectionId: id, provider }, existing ? "update" : "connect", actor, "ok", { account: input.externalAccount, clientId: input.clientId });
    return { id, schoolId: school.id, status: "pending", created: !existing };
  });
}

/**
 * "Kiểm tra kết nối" for a connection a person granted: `call` makes its calls with the hooks of
 * the HTTP layer (tokens come from tokens.server.ts); the calls are counted for today and the
 * result recorded on the row, in one transaction.
 */
export async function runGrantCheck(
  db: Db,
  row: Connection,
  actor: Actor,
  call: (hooks: { onAttempt: (o: { status?: number; throttled: boolean }) => void; budgets: RateBudgets }) => Promise<{ accountName: string; detail?: string }>,
): Promise<CheckResult> {
  const counter = callCounter();
  let check: Check;
  try {
    check = { ok: await call({ onAttempt: counter.onAttempt, budgets: pgRateBudgets(db) }) };
  } catch (error) {
    check = { error };
  }
  return db.transaction(async (tx) => {
    await countCalls(tx, row.id, counter.n);
    // A refusal for good was already recorded by the token refresh (with the admins' notice).
    const [now] = await tx.select({ status: connections.status }).from(connections).where(eq(connections.id, row.id));
    if ("error" in check && now?.status === "needs_reconnect") {
      const e = check.error;
      const known = isIntegrationError(e) ? e : undefined;
      return { ok: false as const, status: "needs_reconnect" as const, code: "reauth_required", reason: known?.providerCode ?? "needs_reconnect", message: known?.providerMessage ?? String(e) };
    }
    return recordCheck(tx, row, check, actor);
  });
}
