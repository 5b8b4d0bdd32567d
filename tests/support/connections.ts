/** Test set-up for connections the fakes already know: a school connected to Google, a teacher to Microsoft. */
import crypto from "node:crypto";
import type { Db } from "../../db/client.server.ts";
import { connections } from "../../db/schema/index.ts";
import { deriveKey, sealSecrets } from "../../app/services/connections/secrets.server.ts";
import { env } from "../../app/env.server.ts";
import type { FakeGoogle } from "../fakes/google/server.ts";
import type { FakeMicrosoft } from "../fakes/microsoft/server.ts";

export const MEET_SCOPES = "openid https://www.googleapis.com/auth/meetings.space.created https://www.googleapis.com/auth/meetings.space.readonly";
/** The read-only Forms scopes a quiz's scores are read with. */
export const FORMS_SCOPES = "https://www.googleapis.com/auth/forms.body.readonly https://www.googleapis.com/auth/forms.responses.readonly";

export async function connectedGoogleSchool(
  db: Db,
  google: FakeGoogle,
  p: { schoolId: string; client: { clientId: string; clientSecret: string }; admin: string; domain: string; scope?: string },
): Promise<string> {
  const scope = p.scope ?? MEET_SCOPES;
  const grant = google.oidc.mint(p.client.clientId, p.admin, scope, google.url);
  const id = crypto.randomUUID();
  await db.insert(connections).values({
    id,
    schoolId: p.schoolId,
    provider: "google",
    kind: "oauth_user",
    clientId: p.client.clientId,
    scopes: scope.split(" "),
    externalAccount: p.domain,
    accountName: p.admin,
    status: "connected",
    accessTokenExpiresAt: new Date(Date.now() + grant.expiresIn * 1000),
    ...sealSecrets(deriveKey(env().SECRET_KEY), id, "google", { clientSecret: p.client.clientSecret, refreshToken: grant.refreshToken, accessToken: grant.accessToken }),
  });
  return id;
}

/** A teacher's delegated Microsoft sign-in through the school's Entra ID app, as the connect flow leaves it: fresh for an hour. */
export async function connectedMicrosoftTeacher(
  db: Db,
  microsoft: FakeMicrosoft,
  p: { schoolId: string; teacherId: string; appConnectionId: string; tenantId: string; clientId: string; email: string; scope: string },
): Promise<string> {
  const grant = microsoft.oidc.mint(p.clientId, p.email, p.scope, `${microsoft.url}/${p.tenantId}/v2.0`);
  const id = crypto.randomUUID();
  await db.insert(connections).values({
    id,
    schoolId: p.schoolId,
    teacherId: p.teacherId,
    appConnectionId: p.appConnectionId,
    provider: "microsoft",
    kind: "oauth_user",
    externalAccount: p.tenantId,
    accountName: p.email,
    clientId: p.clientId,
    scopes: p.scope.split(" "),
    status: "connected",
    ...sealSecrets(deriveKey(env().SECRET_KEY), id, "microsoft", { refreshToken: grant.refreshToken, accessToken: grant.accessToken }),
    accessTokenExpiresAt: new Date(Date.now() + grant.expiresIn * 1000),
    tokenVersion: 1,
    connectedAt: new Date(),
  });
  return id;
}

/** A teacher's own Google account, as the connect flow leaves it: fresh for an hour, with `scope` granted. */
export async function connectedGoogleTeacher(db: Db, google: FakeGoogle, p: { schoolId: string; teacherId: string; clientId: string; email: string; scope: string }): Promise<string> {
  const grant = google.oidc.mint(p.clientId, p.email, p.scope, google.url);
  const id = crypto.randomUUID();
  await db.insert(connections).values({
    id,
    schoolId: p.schoolId,
    teacherId: p.teacherId,
    provider: "google",
    kind: "oauth_user",
    accountName: p.email,
    clientId: p.clientId,
    scopes: p.scope.split(" "),
    status: "connected",
    ...sealSecrets(deriveKey(env().SECRET_KEY), id, "google", { refreshToken: grant.refreshToken, accessToken: grant.accessToken }),
    accessTokenExpiresAt: new Date(Date.now() + grant.expiresIn * 1000),
    tokenVersion: 1,
    connectedAt: new Date(),
  });
  return id;
}
