/**
 * A school's Microsoft 365 connection: its Entra ID app (tenant id, client id, client secret),
 * created or updated in place, and checked with Graph `GET /organization`. The app token is kept
 * sealed with the secret until two minutes before it expires.
 */
import crypto from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { connections, type Connection } from "../../../db/schema/index.ts";
import { env } from "../../env.server.ts";
import { checkMicrosoft, MICROSOFT_DEFAULTS, type AccessToken, type MicrosoftConfig } from "../../../integrations/microsoft/index.server.ts";
import { pgRateBudgets } from "./budgets.server.ts";
import { audit, callCounter, countCalls, readSecrets, recordCheck, schoolByCode, sealFor, type Actor, type CheckResult } from "./store.server.ts";

export function microsoftConfig(): MicrosoftConfig {
  const e = env();
  return { loginUrl: e.MICROSOFT_LOGIN_URL ?? MICROSOFT_DEFAULTS.loginUrl, graphUrl: e.MICROSOFT_GRAPH_URL ?? MICROSOFT_DEFAULTS.graphUrl };
}

export type MicrosoftApp = { schoolCode: string; tenantId: string; clientId: string; clientSecret: string };

/** Create the school's Microsoft connection, or update it in place (same id), and record who did. */
export async function upsertMicrosoftConnection(db: Db, input: MicrosoftApp, actor: Actor): Promise<{ id: string; status: Connection["status"]; created: boolean }> {
  return db.transaction(async (tx) => {
    const school = await schoolByCode(tx, input.schoolCode);
    const [existing] = await tx
      .select({ id: connections.id, status: connections.status })
      .from(connections)
      .where(and(eq(connections.schoolId, school.id), eq(connections.provider, "microsoft"), isNull(connections.teacherId)))
      .for("update");
    const id = existing?.id ?? crypto.randomUUID();
    const sealed = sealFor(id, "microsoft", { clientSecret: input.clientSecret });
    const now = new Date();
    const values = {
      externalAccount: input.tenantId,
      clientId: input.clientId,
      kind: "server_to_server" as const,
      status: "pending" as const,
      statusReason: null,
      statusMessage: null,
      accessTokenExpiresAt: null,
      ...sealed,
      connectedBy: actor.actorId,
      connectedAt: now,
      updatedAt: now,
    };
    if (existing) await tx.update(connections).set(values).where(eq(connections.id, id));
    else await tx.insert(connections).values({ id, schoolId: school.id, provider: "microsoft", ...values });
    await audit(tx, { schoolId: school.id, connectionId: id, provider: "microsoft" }, existing ? "update" : "connect", actor, "ok", { tenant: input.tenantId, clientId: input.clientId });
    return { id, status: "pending", created: !existing };
  });
}

/** "Kiểm tra kết nối" for a Microsoft connection: one Graph call, its result recorded on the row. */
export async function testMicrosoftConnection(db: Db, row: Connection, actor: Actor): Promise<CheckResult> {
  const secrets = readSecrets(row);
  const cached: AccessToken | undefined =
    secrets.accessToken && row.accessTokenExpiresAt ? { accessToken: secrets.accessToken, expiresAt: row.accessTokenExpiresAt } : undefined;
  let renewed: AccessToken | undefined;
  const counter = callCounter();
  let outcome: unknown;
  try {
    outcome = await checkMicrosoft(
      microsoftConfig(),
      { tenantId: row.externalAccount ?? "", clientId: row.clientId ?? "", clientSecret: secrets.clientSecret ?? "" },
      { cached, onToken: (t) => (renewed = t), onAttempt: counter.onAttempt, budgets: pgRateBudgets(db) },
    );
  } catch (e) {
    outcome = e;
  }
  return db.transaction(async (tx) => {
    if (renewed) {
      await tx
        .update(connections)
        .set({ ...sealFor(row.id, "microsoft", { ...secrets, accessToken: renewed.accessToken }), accessTokenExpiresAt: renewed.expiresAt, tokenVersion: row.tokenVersion + 1 })
        .where(eq(connections.id, row.id));
    }
    await countCalls(tx, row.id, counter.n);
    return recordCheck(tx, row, outcome, actor);
  });
}
