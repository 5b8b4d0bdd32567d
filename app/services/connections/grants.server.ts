/**
 * The OAuth client behind each connection a person granted, and its refresh: a school's Google
 * Workspace connection uses the school's own client; a teacher's own Google or Zoom account the
 * hub's apps (GOOGLE_CLIENT_ID…, ZOOM_CLIENT_ID…); a teacher's delegated Microsoft sign-in the
 * school's Entra ID app, in the school's tenant.
 */
import { eq } from "drizzle-orm";
import type { DbOrTx } from "../../../db/client.server.ts";
import { connections, type Connection } from "../../../db/schema/index.ts";
import { env } from "../../env.server.ts";
import { IntegrationError } from "../../../integrations/errors.ts";
import { refreshGrant, revokeToken, type OidcClient } from "../../../integrations/oidc/flow.server.ts";
import { googleClient } from "../../../integrations/google/auth.server.ts";
import { organizationsClient, tenantOidcClient } from "../../../integrations/microsoft/auth.server.ts";
import { zoomUserClient } from "../../../integrations/zoom/auth.server.ts";
import { googleConfig, schoolGoogleClient } from "./google.server.ts";
import { microsoftConfig } from "./microsoft.server.ts";
import { readSecrets } from "./store.server.ts";
import { zoomConfig } from "./zoom.server.ts";
import type { Refresh } from "./tokens.server.ts";

/** The hub's own app for teachers' accounts at `provider`, when it is configured. */
export function hubApp(provider: "google" | "zoom" | "microsoft"): OidcClient | null {
  const e = env();
  if (provider === "microsoft") return e.MICROSOFT_CLIENT_ID && e.MICROSOFT_CLIENT_SECRET ? organizationsClient(microsoftConfig(), e.MICROSOFT_CLIENT_ID, e.MICROSOFT_CLIENT_SECRET) : null;
  if (provider === "google") return e.GOOGLE_CLIENT_ID && e.GOOGLE_CLIENT_SECRET ? googleClient(googleConfig(), e.GOOGLE_CLIENT_ID, e.GOOGLE_CLIENT_SECRET) : null;
  return e.ZOOM_CLIENT_ID && e.ZOOM_CLIENT_SECRET ? zoomUserClient(zoomConfig(), e.ZOOM_CLIENT_ID, e.ZOOM_CLIENT_SECRET) : null;
}

/** The client that a school's Entra ID app gives its teachers' delegated sign-ins. */
export function tenantClient(app: Pick<Connection, "id" | "provider" | "secrets" | "secretsKeyId" | "clientId" | "externalAccount">): OidcClient {
  return tenantOidcClient(microsoftConfig(), { tenantId: app.externalAccount ?? "", clientId: app.clientId ?? "", clientSecret: readSecrets(app).clientSecret ?? "" });
}

export async function grantClient(db: DbOrTx, row: Connection): Promise<OidcClient> {
  const missing = () => new IntegrationError({ code: "not_connected", provider: row.provider, operation: "token", providerMessage: "the app this grant was made with is not configured" });
  if (row.provider === "microsoft") {
    if (!row.appConnectionId) {
      const hub = hubApp("microsoft");
      if (!hub) throw missing();
      return hub;
    }
    const [app] = await db.select().from(connections).where(eq(connections.id, row.appConnectionId));
    if (!app) throw missing();
    return tenantClient(app);
  }
  if (row.teacherId) {
    const app = hubApp(row.provider);
    if (!app) throw missing();
    return app;
  }
  return schoolGoogleClient(row);
}

export const grantRefresh: Refresh = async (row, refreshToken, db) => refreshGrant(await grantClient(db, row), refreshToken);

/** Revoke a grant at its provider where it offers revocation (best effort: the row goes either way). */
export async function revokeGrant(db: DbOrTx, row: Connection): Promise<"revoked" | "unsupported" | "failed"> {
  if (row.kind !== "oauth_user") return "unsupported";
  const s = readSecrets(row);
  const token = s.refreshToken ?? s.accessToken;
  if (!token) return "unsupported";
  try {
    return await revokeToken(await grantClient(db, row), token);
  } catch {
    return "failed";
  }
}
