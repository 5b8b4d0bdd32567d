/**
 * A school's Zoom connection: its Server-to-Server OAuth app (account id, client id, client
 * secret) and the webhook secret token that verifies Zoom's events at the connection's own
 * address, `/webhooks/zoom/<id>`. Checked with `GET /users/me`; the hour-long token is kept sealed
 * until a minute before it ends.
 */
import type { Db } from "../../../db/client.server.ts";
import type { Connection } from "../../../db/schema/index.ts";
import { env } from "../../env.server.ts";
import { checkZoom, ZOOM_DEFAULTS, type ZoomConfig } from "../../../integrations/zoom/index.server.ts";
import { runCheck, upsertSchoolApp, type Actor, type CheckResult } from "./store.server.ts";
import { forgetZoomWebhookTarget } from "./zoom-webhook.server.ts";

export function zoomConfig(): ZoomConfig {
  const e = env();
  return { oauthUrl: e.ZOOM_OAUTH_URL ?? ZOOM_DEFAULTS.oauthUrl, apiUrl: e.ZOOM_API_URL ?? ZOOM_DEFAULTS.apiUrl };
}

export type ZoomApp = { schoolCode: string; accountId: string; clientId: string; clientSecret: string; webhookSecret: string };

export async function upsertZoomConnection(db: Db, input: ZoomApp, actor: Actor) {
  const saved = await upsertSchoolApp(
    db,
    "zoom",
    { schoolCode: input.schoolCode, externalAccount: input.accountId, clientId: input.clientId, secrets: { clientSecret: input.clientSecret, webhookSecret: input.webhookSecret } },
    actor,
  );
  forgetZoomWebhookTarget(saved.id);
  return saved;
}

/** The address Zoom's event subscription for this connection must use. */
export function zoomWebhookUrl(connectionId: string, baseUrl = env().APP_URL ?? `http://localhost:${env().PORT}`): string {
  return `${baseUrl}/webhooks/zoom/${connectionId}`;
}

export function testZoomConnection(db: Db, row: Connection, actor: Actor): Promise<CheckResult> {
  return runCheck(db, row, actor, (secrets, hooks) =>
    checkZoom(zoomConfig(), { accountId: row.externalAccount ?? "", clientId: row.clientId ?? "", clientSecret: secrets.clientSecret ?? "" }, hooks),
  );
}
