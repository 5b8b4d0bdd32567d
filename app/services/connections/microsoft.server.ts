/**
 * A school's Microsoft 365 connection: its Entra ID app (tenant id, client id, client secret),
 * created or updated in place, and checked with Graph `GET /organization`. The app token is kept
 * sealed with the secret until two minutes before it expires.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { connections, type Connection } from "../../../db/schema/index.ts";
import { env } from "../../env.server.ts";
import { checkMicrosoft, MICROSOFT_DEFAULTS, type AccessToken, type MicrosoftConfig } from "../../../integrations/microsoft/index.server.ts";
import { pgRateBudgets } from "./budgets.server.ts";
import { callCounter, countCalls, readSecrets, recordCheck, sealFor, upsertSchoolApp, type Actor, type CheckResult } from "./store.server.ts";

export function microsoftConfig(): MicrosoftConfig {
  const e = env();
  return { loginUrl: e.MICROSOFT_LOGIN_URL ?? MICROSOFT_DEFAULTS.loginUrl, graphUrl: e.MICROSOFT_GRAPH_URL ?? MICROSOFT_DEFAULTS.graphUrl };
}

export type MicrosoftApp = { schoolCode: string; tenantId: string; clientId: string; clientSecret: string };

/** Create the school's Microsoft connection, or update it in place (same id), and record who did. */
export function upsertMicrosoftConnection(db: Db, input: MicrosoftApp, actor: Actor) {
  return upsertSchoolApp(db, "microsoft", { schoolCode: input.schoolCode, externalAccount: input.tenantId, clientId: input.clientId, secrets: { clientSecret: input.clientSecret } }, actor);
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
