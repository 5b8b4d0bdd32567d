/**
 * A school's Microsoft 365 connection: its Entra ID app (tenant id, client id, client secret),
 * created or updated in place, and checked with Graph `GET /organization`. The app token is kept
 * sealed with the secret until two minutes before it expires.
 */
import type { Db } from "../../../db/client.server.ts";
import type { Connection } from "../../../db/schema/index.ts";
import { env } from "../../env.server.ts";
import { checkMicrosoft, MICROSOFT_DEFAULTS, type MicrosoftConfig } from "../../../integrations/microsoft/index.server.ts";
import { runCheck, upsertSchoolApp, type Actor, type CheckResult } from "./store.server.ts";

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
export function testMicrosoftConnection(db: Db, row: Connection, actor: Actor): Promise<CheckResult> {
  return runCheck(db, row, actor, (secrets, hooks) =>
    checkMicrosoft(microsoftConfig(), { tenantId: row.externalAccount ?? "", clientId: row.clientId ?? "", clientSecret: secrets.clientSecret ?? "" }, hooks),
  );
}
