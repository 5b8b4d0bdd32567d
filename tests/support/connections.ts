/** Test set-up for a school already connected to the fake Google (a grant the fake knows). */
import crypto from "node:crypto";
import type { Db } from "../../db/client.server.ts";
import { connections } from "../../db/schema/index.ts";
import { deriveKey, sealSecrets } from "../../app/services/connections/secrets.server.ts";
import { env } from "../../app/env.server.ts";
import type { FakeGoogle } from "../fakes/google/server.ts";

export const MEET_SCOPES = "openid https://www.googleapis.com/auth/meetings.space.created https://www.googleapis.com/auth/meetings.space.readonly";

export async function connectedGoogleSchool(
  db: Db,
  google: FakeGoogle,
  p: { schoolId: string; client: { clientId: string; clientSecret: string }; admin: string; domain: string; scope?: string },
): Promise<string> {
  const grant = google.oidc.mint(p.client.clientId, p.admin, p.scope ?? MEET_SCOPES, google.url);
  const id = crypto.randomUUID();
  await db.insert(connections).values({
    id,
    schoolId: p.schoolId,
    provider: "google",
    kind: "oauth_user",
    clientId: p.client.clientId,
    externalAccount: p.domain,
    accountName: p.admin,
    status: "connected",
    accessTokenExpiresAt: new Date(Date.now() + grant.expiresIn * 1000),
    ...sealSecrets(deriveKey(env().SECRET_KEY), id, "google", { clientSecret: p.client.clientSecret, refreshToken: grant.refreshToken, accessToken: grant.accessToken }),
  });
  return id;
}
