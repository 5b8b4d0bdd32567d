/**
 * The `TokenSource` the platform providers are given: a valid access token for any connection —
 * an app's (Zoom Server-to-Server, Entra ID client credentials: a new token when the cached one
 * is due) or a person's grant (the refresh protocol of tokens.server.ts) — and the 401 hook that
 * expires a token only if no newer one was stored meanwhile.
 */
import type { Db } from "../../../db/client.server.ts";
import type { TokenSource } from "../../../integrations/ports.ts";
import { appToken } from "../../../integrations/microsoft/auth.server.ts";
import { s2sToken } from "../../../integrations/zoom/auth.server.ts";
import { grantRefresh } from "./grants.server.ts";
import { microsoftConfig } from "./microsoft.server.ts";
import { readSecrets } from "./store.server.ts";
import { accessTokenFor, expireToken, type Refresh } from "./tokens.server.ts";
import { zoomConfig } from "./zoom.server.ts";

/** A new token for any connection: an app's grant, or a person's refresh. */
export const anyRefresh: Refresh = async (row, refreshToken, tx) => {
  if (row.kind === "oauth_user") return grantRefresh(row, refreshToken, tx);
  const clientSecret = readSecrets(row).clientSecret ?? "";
  const t =
    row.provider === "zoom"
      ? await s2sToken(zoomConfig(), { accountId: row.externalAccount ?? "", clientId: row.clientId ?? "", clientSecret })
      : await appToken(microsoftConfig(), { tenantId: row.externalAccount ?? "", clientId: row.clientId ?? "", clientSecret });
  return { accessToken: t.accessToken, expiresAt: t.expiresAt, scopes: [] };
};

export function tokenSource(db: Db): TokenSource {
  return {
    accessToken: (connection) => accessTokenFor(db, connection.id, anyRefresh),
    rejected: (connection, version) => expireToken(db, connection.id, version),
  };
}
