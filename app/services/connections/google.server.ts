/**
 * A school's Google Workspace connection: the school's OAuth client (client id and secret, the
 * Workspace domain), then the consent of an admin of that domain through the web flow (PKCE,
 * `state`, `nonce`, offline access), which gives the refresh token the hub keeps sealed. Checked with Classroom `courses.list` (pageSize 1).
 */
import crypto from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { connections, type Connection } from "../../../db/schema/index.ts";
import { env } from "../../env.server.ts";
import { GOOGLE_DEFAULTS, GOOGLE_SCHOOL_SCOPES, type GoogleConfig } from "../../../integrations/google/config.ts";
import { countVisibleCourses } from "../../../integrations/google/api.server.ts";
import { googleAuthorizationUrl, googleClient as oidcClientOf, googleExchange } from "../../../integrations/google/auth.server.ts";
import { revokeToken, type OidcClient } from "../../../integrations/oidc/flow.server.ts";
import { IntegrationError } from "../../../integrations/errors.ts";
import type { RateBudgets, SignedInAccount } from "../../../integrations/ports.ts";
import { audit, readSecrets, runGrantCheck, schoolByCode, sealFor, type Actor, type CheckResult } from "./store.server.ts";
import { withAccessToken } from "./tokens.server.ts";
import { grantRefresh } from "./grants.server.ts";
import type { FlowSecrets } from "../../../integrations/oidc/flow.server.ts";

export function googleConfig(): GoogleConfig {
  const e = env();
  return { issuer: e.GOOGLE_ISSUER ?? GOOGLE_DEFAULTS.issuer, apiRoot: e.GOOGLE_API_URL };
}

/** The school's own OAuth client. */
export function schoolGoogleClient(row: Pick<Connection, "id" | "provider" | "secrets" | "secretsKeyId" | "clientId">): OidcClient {
  return oidcClientOf(googleConfig(), row.clientId ?? "", readSecrets(row).clientSecret ?? "");
}

/** Google's per-user budget: Classroom allows 3,000 requests per minute per user of a project. */
export function googleBudget(store: RateBudgets, subject: string) {
  return { store, key: `google:user:${subject}`, limit: 3000, windowMs: 60_000 };
}

export type GoogleApp = { schoolCode: string; clientId: string; clientSecret: string; domain?: string };

/**
 * Create or update the school's Google client in place. The same client keeps its grant (running
 * the command again changes nothing); another client id or secret waits for a new consent.
 */
export async function upsertGoogleConnection(db: Db, input: GoogleApp, actor: Actor) {
  const domain = input.domain?.trim().toLowerCase() || null;
  return db.transaction(async (tx) => {
    const school = await schoolByCode(tx, input.schoolCode);
    const [existing] = await tx
      .select()
      .from(connections)
      .where(and(eq(connections.schoolId, school.id), eq(connections.provider, "google"), isNull(connections.teacherId)))
      .for("update");
    const id = existing?.id ?? crypto.randomUUID();
    const now = new Date();
    const old = existing ? readSecrets(existing) : {};
    const same = existing && existing.clientId === input.clientId && old.clientSecret === input.clientSecret && (domain === null || domain === existing.externalAccount);
    if (same) await tx.update(connections).set({ updatedAt: now }).where(eq(connections.id, id));
    else {
      const values = {
        kind: "oauth_user" as const,
        externalAccount: domain,
        clientId: input.clientId,
        status: "pending" as const,
        statusReason: null,
        statusMessage: null,
        accessTokenExpiresAt: null,
        scopes: [] as string[],
        ...sealFor(id, "google", { clientSecret: input.clientSecret }),
        connectedBy: actor.actorId,
        connectedAt: now,
        updatedAt: now,
      };
      if (existing) await tx.update(connections).set(values).where(eq(connections.id, id));
      else await tx.insert(connections).values({ id, schoolId: school.id, provider: "google", ...values });
    }
    if (!same) await audit(tx, { schoolId: school.id, connectionId: id, provider: "google" }, existing ? "update" : "connect", actor, "ok", { domain, clientId: input.clientId });
    const [row] = await tx.select({ status: connections.status }).from(connections).where(eq(connections.id, id));
    return { id, schoolId: school.id, status: row.status, created: !existing };
  });
}

/** Where to send the admin to grant the hub its scopes on the school's domain. */
export function googleConsentUrl(row: Connection, redirectUri: string, secrets: FlowSecrets, loginHint?: string): Promise<string> {
  return googleAuthorizationUrl(schoolGoogleClient(row), { purpose: "workspace", redirectUri, secrets, domain: row.externalAccount, loginHint });
}

export type ConnectRefusal = "email_unverified" | "wrong_domain" | "not_workspace" | "no_refresh_token" | "provider_refused";

/** Why an account does not speak for this school's Workspace domain, or null when it does. */
export function googleDomainRefusal(row: Pick<Connection, "externalAccount">, account: SignedInAccount): "email_unverified" | "wrong_domain" | "not_workspace" | null {
  if (!account.emailVerified || !account.email) return "email_unverified";
  if (!account.organization) return "not_workspace";
  if (row.externalAccount && account.organization !== row.externalAccount.toLowerCase()) return "wrong_domain";
  if (account.email.split("@")[1] !== account.organization) return "wrong_domain";
  return null;
}

/**
 * The admin came back with a code: exchange it, check who granted it, keep the grant sealed and
 * run the check. Nothing is stored when the grant is refused.
 */
export async function finishGoogleConnect(
  db: Db,
  row: Connection,
  callbackUrl: URL,
  secrets: FlowSecrets,
  actor: Actor,
): Promise<{ ok: true; check: CheckResult; missingScopes: string[] } | { ok: false; reason: ConnectRefusal; message?: string; email?: string }> {
  let result;
  try {
    result = await googleExchange(schoolGoogleClient(row), callbackUrl, secrets);
  } catch (e) {
    const err = e as IntegrationError;
    await audit(db, { schoolId: row.schoolId, connectionId: row.id, provider: "google" }, "connect", actor, err.providerCode ?? err.code);
    return { ok: false, reason: "provider_refused", message: err.providerMessage ?? err.message };
  }
  const { tokens, account } = result;
  const refusal = googleDomainRefusal(row, account) ?? (tokens.refreshToken ? null : "no_refresh_token");
  if (refusal) {
    await audit(db, { schoolId: row.schoolId, connectionId: row.id, provider: "google" }, "connect", actor, refusal, { email: account.email });
    // What was granted is given back at once.
    await revokeToken(schoolGoogleClient(row), tokens.refreshToken ?? tokens.accessToken).catch(() => undefined);
    return { ok: false, reason: refusal, email: account.email ?? undefined };
  }
  const now = new Date();
  const wasConnected = row.status !== "pending";
  await db.transaction(async (tx) => {
    const [current] = await tx.select().from(connections).where(eq(connections.id, row.id)).for("update");
    const clientSecret = readSecrets(current).clientSecret;
    await tx
      .update(connections)
      .set({
        ...sealFor(row.id, "google", { clientSecret, refreshToken: tokens.refreshToken, accessToken: tokens.accessToken }),
        accessTokenExpiresAt: tokens.expiresAt,
        tokenVersion: current.tokenVersion + 1,
        refreshedAt: now,
        scopes: tokens.scopes,
        externalAccount: account.organization,
        accountName: account.email,
        status: "pending",
        statusReason: null,
        statusMessage: null,
        connectedBy: actor.actorId,
        connectedAt: now,
        updatedAt: now,
      })
      .where(eq(connections.id, row.id));
    await audit(tx, { schoolId: row.schoolId, connectionId: row.id, provider: "google" }, wasConnected ? "reconnect" : "connect", actor, "ok", { email: account.email, domain: account.organization });
  });
  const [fresh] = await db.select().from(connections).where(eq(connections.id, row.id));
  const missingScopes = GOOGLE_SCHOOL_SCOPES.filter((s) => !tokens.scopes.includes(s.scope)).map((s) => s.name);
  return { ok: true, check: await testGoogleConnection(db, fresh, actor), missingScopes };
}

export function testGoogleConnection(db: Db, row: Connection, actor: Actor): Promise<CheckResult> {
  if (row.status === "pending" && !readSecrets(row).refreshToken) {
    return Promise.resolve({ ok: false, status: "error", code: "not_connected", reason: "consent_missing", message: "the domain's admin has not granted access yet" });
  }
  return runGrantCheck(db, row, actor, async ({ onAttempt, budgets }) => {
    await withAccessToken(db, row.id, grantRefresh, (token) => countVisibleCourses(googleConfig(), token, { onAttempt, budget: googleBudget(budgets, row.id) }));
    return { accountName: row.accountName ?? row.externalAccount ?? "Google Workspace", detail: row.externalAccount ?? undefined };
  });
}
