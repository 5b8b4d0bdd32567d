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
import { deriveKey, openSecrets, sealSecrets, type ConnectionSecrets, type SecretKey } from "./secrets.server.ts";

let cached: { from: string; key: SecretKey } | undefined;

/** The connection-secrets key of the configured SECRET_KEY (derived once). */
export function currentKey(): SecretKey {
  const secret = env().SECRET_KEY;
  if (cached?.from !== secret) cached = { from: secret, key: deriveKey(secret) };
  return cached.key;
}

export function readSecrets(row: Pick<Connection, "id" | "provider" | "secrets" | "secretsKeyId">): ConnectionSecrets {
  return openSecrets(currentKey(), row.id, row.provider, row.secrets, row.secretsKeyId);
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
export async function countCalls(db: DbOrTx, connectionId: string, n: { calls: number; failures?: number; throttled?: number }) {
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
export function callCounter() {
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

/** Record what a check found on the row: connected with the account's name, or why not. */
export async function recordCheck(db: DbOrTx, row: Pick<Connection, "id" | "schoolId" | "provider">, outcome: { accountName: string; detail?: string } | unknown, actor: Actor): Promise<CheckResult> {
  const now = new Date();
  if (outcome && typeof outcome === "object" && "accountName" in outcome) {
    const ok = outcome as { accountName: string; detail?: string };
    await db
      .update(connections)
      .set({ status: "connected", accountName: ok.accountName, statusReason: null, statusMessage: null, lastOkAt: now, updatedAt: now })
      .where(eq(connections.id, row.id));
    await audit(db, { schoolId: row.schoolId, connectionId: row.id, provider: row.provider }, "test", actor, "ok", { account: ok.accountName });
    return { ok: true, status: "connected", accountName: ok.accountName, detail: ok.detail };
  }
  const e = outcome;
  const reauth = isIntegrationError(e) && e.code === "reauth_required";
  const code = isIntegrationError(e) ? e.code : "transient";
  const reason = (isIntegrationError(e) && (e.providerCode ?? (e.status ? `http_${e.status}` : e.code))) || "error";
  const message = (isIntegrationError(e) ? e.providerMessage : undefined) ?? (e as Error)?.message ?? String(e);
  const status = reauth ? "needs_reconnect" : "error";
  await db.update(connections).set({ status, statusReason: reason, statusMessage: message.slice(0, 500), lastErrorAt: now, updatedAt: now }).where(eq(connections.id, row.id));
  await audit(db, { schoolId: row.schoolId, connectionId: row.id, provider: row.provider }, reauth ? "needs_reconnect" : "test", actor, reason);
  return { ok: false, status, code, reason, message };
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
