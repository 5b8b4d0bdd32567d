/**
 * A teacher's own connections: their Google or Zoom account when the school has connected none
 * (through the hub's own apps), and their delegated Microsoft sign-in through the school's Entra
 * ID app (Teams online meetings need a signed-in user). A teacher's connection serves only that
 * teacher's classes (`connectionFor`).
 */
import crypto from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { connections, type Connection, type ProviderName } from "../../../db/schema/index.ts";
import { googleAuthorizationUrl, googleExchange } from "../../../integrations/google/auth.server.ts";
import { GOOGLE_SCHOOL_SCOPES, type GoogleScopeName } from "../../../integrations/google/config.ts";
import { entraAuthorizationUrl, entraExchange, GRAPH_TEACHER_SCOPES } from "../../../integrations/microsoft/auth.server.ts";
import { authorizationUrl, exchangeOAuthCode } from "../../../integrations/oidc/flow.server.ts";
import { getSignedInUser } from "../../../integrations/microsoft/api.server.ts";
import { getMe } from "../../../integrations/zoom/api.server.ts";
import { zoomAuthorizationUrl, zoomExchange } from "../../../integrations/zoom/auth.server.ts";
import type { FlowSecrets, TokenSet } from "../../../integrations/oidc/flow.server.ts";
import type { IntegrationError } from "../../../integrations/errors.ts";
import type { OAuthRefusal } from "../../lib/oauth-refusals.ts";
import { hubApp, grantRefresh, tenantClient } from "./grants.server.ts";
import { microsoftConfig } from "./microsoft.server.ts";
import { testGoogleConnection } from "./google.server.ts";
import { zoomConfig } from "./zoom.server.ts";
import { zoomLightBudget } from "../../../integrations/zoom/index.server.ts";
import { audit, runGrantCheck, sealFor, type Actor, type CheckResult } from "./store.server.ts";
import { withAccessToken } from "./tokens.server.ts";
import { graphBudget } from "../../../integrations/microsoft/index.server.ts";

export const TEACHER_PROVIDERS: ProviderName[] = ["google", "microsoft", "zoom"];

async function schoolRow(db: Db, schoolId: string, provider: ProviderName): Promise<Connection | null> {
  const [row] = await db
    .select()
    .from(connections)
    .where(and(eq(connections.schoolId, schoolId), eq(connections.provider, provider), isNull(connections.teacherId)));
  return row ?? null;
}

export async function ownConnection(db: Db, teacherId: string, provider: ProviderName): Promise<Connection | null> {
  const [row] = await db
    .select()
    .from(connections)
    .where(and(eq(connections.teacherId, teacherId), eq(connections.provider, provider)));
  return row ?? null;
}

export type TeacherOption = {
  provider: ProviderName;
  /** How the teacher may connect: the hub's app, the school's Entra ID app, or not at all. */
  via: "hub" | "school_app" | null;
  /** The school's own connection covers the teacher's classes. */
  schoolConnected: boolean;
  /** `missingScopes`: a connected Google account that lacks scopes the hub asks for now (reading Forms quizzes, say). */
  own: (Pick<Connection, "id" | "status" | "statusMessage" | "accountName" | "lastOkAt" | "connectedAt"> & { missingScopes: GoogleScopeName[] }) | null;
};

export async function teacherOptions(db: Db, schoolId: string, teacherId: string): Promise<TeacherOption[]> {
  return Promise.all(
    TEACHER_PROVIDERS.map(async (provider) => {
      const [school, own, app] = await Promise.all([schoolRow(db, schoolId, provider), ownConnection(db, teacherId, provider), teacherApp(db, schoolId, provider)]);
      const via: TeacherOption["via"] = !app.available ? null : provider === "microsoft" && app.appConnectionId ? "school_app" : "hub";
      return {
        provider,
        via,
        schoolConnected: Boolean(school && school.status === "connected"),
        own: own
          ? {
              id: own.id,
              status: own.status,
              statusMessage: own.statusMessage,
              accountName: own.accountName,
              lastOkAt: own.lastOkAt,
              connectedAt: own.connectedAt,
              // A teacher's own grant never holds the domain's guardians scope.
              missingScopes:
                own.provider === "google" && own.status === "connected" ? GOOGLE_SCHOOL_SCOPES.filter((s) => s.name !== "guardians" && !own.scopes.includes(s.scope)).map((s) => s.name) : [],
            }
          : null,
      };
    }),
  );
}

/**
 * Whether a teacher of the school may connect `provider` now, and through which school app
 * (Microsoft's delegated sign-in goes through the school's Entra ID app).
 */
export async function teacherApp(db: Db, schoolId: string, provider: ProviderName): Promise<{ available: boolean; appConnectionId: string | null }> {
  const school = await schoolRow(db, schoolId, provider);
  if (provider === "microsoft") {
    // Through the school's Entra ID app when it has one; else the hub's own multi-tenant app.
    const ok = Boolean(school && school.kind === "server_to_server" && school.status !== "needs_reconnect");
    if (ok) return { available: true, appConnectionId: school!.id };
    return { available: !school && Boolean(hubApp("microsoft")), appConnectionId: null };
  }
  return { available: !school && Boolean(hubApp(provider)), appConnectionId: null };
}

/** Where to send the teacher to grant access (null when `teacherApp` says it is not available). */
export async function teacherConsent(db: Db, schoolId: string, provider: ProviderName, redirectUri: string, secrets: FlowSecrets, email?: string): Promise<string | null> {
  if (!(await teacherApp(db, schoolId, provider)).available) return null;
  if (provider === "microsoft") {
    const app = await schoolRow(db, schoolId, "microsoft");
    if (app) return entraAuthorizationUrl(tenantClient(app), { purpose: "delegated", redirectUri, secrets, loginHint: email });
    return authorizationUrl(hubApp("microsoft")!, { redirectUri, scopes: GRAPH_TEACHER_SCOPES, secrets, extra: email ? { login_hint: email } : {} });
  }
  const app = hubApp(provider)!;
  return provider === "google" ? googleAuthorizationUrl(app, { purpose: "teacher", redirectUri, secrets, loginHint: email }) : zoomAuthorizationUrl(app, { redirectUri, secrets });
}

type Granted = { tokens: TokenSet; accountName: string; externalAccount: string | null };

async function grantOf(db: Db, provider: ProviderName, appConnectionId: string | null, callbackUrl: URL, secrets: FlowSecrets): Promise<Granted | { refusal: OAuthRefusal; email?: string; message?: string }> {
  try {
    if (provider === "microsoft" && !appConnectionId) {
      const hub = hubApp("microsoft");
      if (!hub) return { refusal: "not_configured" };
      const tokens = await exchangeOAuthCode(hub, callbackUrl, secrets);
      const me = await getSignedInUser(microsoftConfig(), tokens.accessToken);
      return { tokens, accountName: me.email ?? me.name, externalAccount: null };
    }
    if (provider === "microsoft") {
      const [app] = await db.select().from(connections).where(eq(connections.id, appConnectionId!));
      if (!app) return { refusal: "not_configured" };
      const { tokens, account } = await entraExchange(tenantClient(app), callbackUrl, secrets);
      if (account.organization !== app.externalAccount) return { refusal: "wrong_domain", email: account.email ?? undefined };
      return { tokens, accountName: account.email ?? account.name ?? account.subject, externalAccount: account.organization };
    }
    const app = hubApp(provider);
    if (!app) return { refusal: "not_configured" };
    if (provider === "google") {
      const { tokens, account } = await googleExchange(app, callbackUrl, secrets);
      if (!account.emailVerified || !account.email) return { refusal: "email_unverified", email: account.email ?? undefined };
      return { tokens, accountName: account.email, externalAccount: account.organization ?? account.email.split("@")[1] ?? null };
    }
    const tokens = await zoomExchange(app, callbackUrl, secrets);
    const me = await getMe(zoomConfig(), tokens.accessToken);
    return { tokens, accountName: me.email ?? me.name, externalAccount: me.accountId };
  } catch (e) {
    const err = e as IntegrationError;
    return { refusal: "provider_refused", message: err.providerMessage ?? err.message };
  }
}

/** The teacher came back with a code: keep their grant on their own connection, then check it. */
export async function finishTeacherConnect(
  db: Db,
  p: { schoolId: string; teacherId: string; provider: ProviderName; appConnectionId: string | null },
  callbackUrl: URL,
  secrets: FlowSecrets,
  actor: Actor,
): Promise<{ ok: true; check: CheckResult } | { ok: false; reason: OAuthRefusal; email?: string }> {
  const granted = await grantOf(db, p.provider, p.appConnectionId, callbackUrl, secrets);
  if ("refusal" in granted) {
    await audit(db, { schoolId: p.schoolId, connectionId: null, provider: p.provider }, "connect", actor, granted.refusal, { email: granted.email ?? null, teacher: true });
    return { ok: false, reason: granted.refusal, email: granted.email };
  }
  if (!granted.tokens.refreshToken) return { ok: false, reason: "no_refresh_token" };
  const now = new Date();
  const id = await db.transaction(async (tx) => {
    const [existing] = await tx.select().from(connections).where(and(eq(connections.teacherId, p.teacherId), eq(connections.provider, p.provider))).for("update");
    const rowId = existing?.id ?? crypto.randomUUID();
    const client = p.provider === "microsoft" && p.appConnectionId ? null : hubApp(p.provider);
    const values = {
      kind: "oauth_user" as const,
      appConnectionId: p.appConnectionId,
      externalAccount: granted.externalAccount,
      accountName: granted.accountName,
      clientId: client?.clientId ?? null,
      scopes: granted.tokens.scopes,
      status: "pending" as const,
      statusReason: null,
      statusMessage: null,
      ...sealFor(rowId, p.provider, { refreshToken: granted.tokens.refreshToken, accessToken: granted.tokens.accessToken }),
      accessTokenExpiresAt: granted.tokens.expiresAt,
      tokenVersion: (existing?.tokenVersion ?? 0) + 1,
      refreshedAt: now,
      connectedBy: actor.actorId,
      connectedAt: now,
      updatedAt: now,
    };
    if (existing) await tx.update(connections).set(values).where(eq(connections.id, rowId));
    else await tx.insert(connections).values({ id: rowId, schoolId: p.schoolId, teacherId: p.teacherId, provider: p.provider, ...values });
    await audit(tx, { schoolId: p.schoolId, connectionId: rowId, provider: p.provider }, existing ? "reconnect" : "connect", actor, "ok", { account: granted.accountName, teacher: true });
    return rowId;
  });
  const [row] = await db.select().from(connections).where(eq(connections.id, id));
  return { ok: true, check: row.provider === "google" ? await testGoogleConnection(db, row, actor) : await testGrantConnection(db, row, actor) };
}

/** "Kiểm tra kết nối" for a Microsoft or Zoom grant: Graph `GET /me`, Zoom `GET /users/me`. */
export function testGrantConnection(db: Db, row: Connection, actor: Actor): Promise<CheckResult> {
  return runGrantCheck(db, row, actor, async ({ onAttempt, budgets }) =>
    withAccessToken(db, row.id, grantRefresh, async (token) => {
      if (row.provider === "microsoft") {
        const me = await getSignedInUser(microsoftConfig(), token, { onAttempt, budget: graphBudget(budgets, row.externalAccount ?? row.id) });
        return { accountName: me.email ?? me.name };
      }
      const me = await getMe(zoomConfig(), token, { onAttempt, budget: zoomLightBudget(budgets, row.externalAccount ?? row.id) });
      return { accountName: me.email ?? me.name };
    }),
  );
}

/**
 * The connection a teacher's class uses for `provider`: the school's when it is connected, else
 * the teacher's own. Another teacher's own connection never serves this one's classes.
 */
export async function connectionFor(db: Db, p: { schoolId: string; teacherId: string; provider: ProviderName }): Promise<Connection | null> {
  const own = await ownConnection(db, p.teacherId, p.provider);
  // Online meetings in Teams are made by a signed-in teacher: the delegated grant comes first.
  if (p.provider === "microsoft" && own && own.status === "connected") return own;
  const school = await schoolRow(db, p.schoolId, p.provider);
  if (school && school.status === "connected") return school;
  return own && own.status !== "needs_reconnect" ? own : null;
}
