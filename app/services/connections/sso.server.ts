/**
 * Signing in with the school account (Google Workspace, Microsoft 365) and linking it: OpenID
 * Connect with the school's own OAuth client, through its connection. A sign-in reaches a hub
 * user only through an identity linked before, or through a verified email whose Workspace domain
 * or Entra ID tenant is the connection's and whose person belongs to that school —
 * never across schools. Every sign-in and link is in the connection audit.
 */
import { and, asc, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { connectionAudit, connections, memberships, organizations, userIdentities, users, type Connection } from "../../../db/schema/index.ts";
import { googleAuthorizationUrl, googleExchange } from "../../../integrations/google/auth.server.ts";
import { entraAuthorizationUrl, entraExchange, tenantOidcClient } from "../../../integrations/microsoft/auth.server.ts";
import type { OidcClient, FlowSecrets } from "../../../integrations/oidc/flow.server.ts";
import type { SignedInAccount } from "../../../integrations/ports.ts";
import type { IntegrationError } from "../../../integrations/errors.ts";
import type { OAuthRefusal } from "../../lib/oauth-refusals.ts";
import { googleDomainRefusal, schoolGoogleClient } from "./google.server.ts";
import { microsoftConfig } from "./microsoft.server.ts";
import { audit, readSecrets, type Actor } from "./store.server.ts";

export type SsoProvider = "google" | "microsoft";
export const SSO_PROVIDERS: SsoProvider[] = ["google", "microsoft"];

/** A school's connection that people of that school may sign in through. */
export type SsoOption = { connectionId: string; schoolName: string; domain: string | null };

function ssoReady() {
  return and(isNull(connections.teacherId), ne(connections.status, "needs_reconnect"), sql`${connections.clientId} is not null`);
}

/** Which providers some school has set up for sign-in (the login page's buttons). */
export async function ssoProviders(db: Db): Promise<SsoProvider[]> {
  const rows = await db
    .selectDistinct({ provider: connections.provider })
    .from(connections)
    .where(and(ssoReady(), inArray(connections.provider, SSO_PROVIDERS)));
  return SSO_PROVIDERS.filter((p) => rows.some((r) => r.provider === p));
}

/** The schools a person may choose from for `provider` (by name), narrowed by an email's domain for Google. */
export async function ssoOptions(db: Db, provider: SsoProvider, email?: string): Promise<SsoOption[]> {
  const rows = await db
    .select({ connectionId: connections.id, schoolName: organizations.name, domain: connections.externalAccount })
    .from(connections)
    .innerJoin(organizations, eq(organizations.id, connections.schoolId))
    .where(and(ssoReady(), eq(connections.provider, provider)))
    .orderBy(asc(organizations.name));
  const domain = email?.split("@")[1]?.toLowerCase();
  if (provider === "google" && domain) {
    const byDomain = rows.filter((r) => r.domain?.toLowerCase() === domain);
    if (byDomain.length) return byDomain;
  }
  return provider === "google" ? rows.filter((r) => r.domain) : rows;
}

export function ssoClient(row: Connection): OidcClient {
  if (row.provider === "google") return schoolGoogleClient(row);
  return tenantOidcClient(microsoftConfig(), { tenantId: row.externalAccount ?? "", clientId: row.clientId ?? "", clientSecret: readSecrets(row).clientSecret ?? "" });
}

export function signInUrl(row: Connection, redirectUri: string, secrets: FlowSecrets, loginHint?: string): Promise<string> {
  const client = ssoClient(row);
  return row.provider === "google"
    ? googleAuthorizationUrl(client, { purpose: "sign_in", redirectUri, secrets, domain: row.externalAccount, loginHint })
    : entraAuthorizationUrl(client, { purpose: "sign_in", redirectUri, secrets, loginHint });
}

/** The person's email as the provider vouches for it for this connection, or why not. */
export function vouchedEmail(row: Connection, account: SignedInAccount): { email: string } | { refusal: OAuthRefusal } {
  if (row.provider === "google") {
    const refusal = googleDomainRefusal(row, account);
    return refusal ? { refusal } : { email: account.email! };
  }
  // Entra ID: the school's own tenant vouches for its accounts.
  if (!account.organization || account.organization !== row.externalAccount) return { refusal: "wrong_domain" };
  return account.email ? { email: account.email } : { refusal: "email_unverified" };
}

async function belongsTo(db: Db, userId: string, schoolId: string): Promise<boolean> {
  const [m] = await db
    .select({ orgId: memberships.orgId })
    .from(memberships)
    .where(and(eq(memberships.userId, userId), eq(memberships.orgId, schoolId)))
    .limit(1);
  return Boolean(m);
}

export type SsoOutcome = { ok: true; userId: string; linked: boolean } | { ok: false; reason: OAuthRefusal; email?: string; message?: string };

async function exchange(row: Connection, callbackUrl: URL, secrets: FlowSecrets) {
  try {
    const client = ssoClient(row);
    return { ok: true as const, ...(await (row.provider === "google" ? googleExchange : entraExchange)(client, callbackUrl, secrets)) };
  } catch (e) {
    const err = e as IntegrationError;
    return { ok: false as const, reason: "provider_refused" as const, code: err.providerCode ?? err.code, message: err.providerMessage ?? err.message };
  }
}

/** The callback of "Đăng nhập với Google / Microsoft". */
export async function finishSignIn(db: Db, row: Connection, callbackUrl: URL, secrets: FlowSecrets, address: string): Promise<SsoOutcome> {
  const target = { schoolId: row.schoolId, connectionId: row.id, provider: row.provider };
  const anonymous: Actor = { actorId: null, address };
  const ex = await exchange(row, callbackUrl, secrets);
  if (!ex.ok) {
    await audit(db, target, "sign_in", anonymous, ex.code);
    return { ok: false, reason: ex.reason, message: ex.message };
  }
  const { account } = ex;
  const vouched = vouchedEmail(row, account);
  if ("refusal" in vouched) {
    await audit(db, target, "sign_in", anonymous, vouched.refusal, { email: account.email });
    return { ok: false, reason: vouched.refusal, email: account.email ?? undefined };
  }
  const email = vouched.email;
  const [known] = await db
    .select({ id: userIdentities.id, userId: userIdentities.userId })
    .from(userIdentities)
    .where(and(eq(userIdentities.issuer, account.issuer), eq(userIdentities.subject, account.subject)));
  let userId = known?.userId;
  let linked = false;
  if (!userId) {
    const [byEmail] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
    if (!byEmail) {
      await audit(db, target, "sign_in", anonymous, "unknown_account", { email });
      return { ok: false, reason: "unknown_account", email };
    }
    userId = byEmail.id;
  }
  // An identity or an address of another school's person is never taken for this school's.
  if (!(await belongsTo(db, userId, row.schoolId))) {
    await audit(db, target, "sign_in", anonymous, "other_school", { email });
    return { ok: false, reason: "other_school", email };
  }
  const [person] = await db.select({ deactivatedAt: users.deactivatedAt }).from(users).where(eq(users.id, userId));
  if (person?.deactivatedAt) {
    await audit(db, target, "sign_in", { actorId: userId, address }, "deactivated");
    return { ok: false, reason: "deactivated", email };
  }
  await db.transaction(async (tx) => {
    if (known) {
      await tx.update(userIdentities).set({ lastUsedAt: new Date() }).where(eq(userIdentities.id, known.id));
    } else {
      const inserted = await tx
        .insert(userIdentities)
        .values({ userId: userId!, provider: row.provider, issuer: account.issuer, subject: account.subject, email, connectionId: row.id, lastUsedAt: new Date() })
        .onConflictDoNothing()
        .returning({ id: userIdentities.id });
      linked = inserted.length > 0;
      if (linked) await audit(tx, target, "identity_link", { actorId: userId!, address }, "ok", { email, by: "sign_in" });
    }
    await audit(tx, target, "sign_in", { actorId: userId!, address }, "ok", { email });
  });
  return { ok: true, userId, linked };
}

/** The callback of "Liên kết" on the account page: the signed-in person links this identity. */
export async function finishLink(db: Db, row: Connection, userId: string, callbackUrl: URL, secrets: FlowSecrets, address: string): Promise<SsoOutcome> {
  const target = { schoolId: row.schoolId, connectionId: row.id, provider: row.provider };
  const actor = { actorId: userId, address };
  const ex = await exchange(row, callbackUrl, secrets);
  if (!ex.ok) {
    await audit(db, target, "identity_link", actor, ex.code);
    return { ok: false, reason: ex.reason, message: ex.message };
  }
  const vouched = vouchedEmail(row, ex.account);
  if ("refusal" in vouched) {
    await audit(db, target, "identity_link", actor, vouched.refusal, { email: ex.account.email });
    return { ok: false, reason: vouched.refusal, email: ex.account.email ?? undefined };
  }
  if (!(await belongsTo(db, userId, row.schoolId))) return { ok: false, reason: "other_school", email: vouched.email };
  const [taken] = await db
    .select({ userId: userIdentities.userId })
    .from(userIdentities)
    .where(and(eq(userIdentities.issuer, ex.account.issuer), eq(userIdentities.subject, ex.account.subject)));
  if (taken && taken.userId !== userId) {
    await audit(db, target, "identity_link", actor, "identity_taken", { email: vouched.email });
    return { ok: false, reason: "identity_taken", email: vouched.email };
  }
  if (!taken) {
    await db.transaction(async (tx) => {
      await tx.insert(userIdentities).values({ userId, provider: row.provider, issuer: ex.account.issuer, subject: ex.account.subject, email: vouched.email, connectionId: row.id });
      await audit(tx, target, "identity_link", actor, "ok", { email: vouched.email, by: "account" });
    });
  }
  return { ok: true, userId, linked: !taken };
}

/** A person's linked identities, for the account page. */
export function identitiesOf(db: Db, userId: string) {
  return db
    .select({ id: userIdentities.id, provider: userIdentities.provider, email: userIdentities.email, createdAt: userIdentities.createdAt, lastUsedAt: userIdentities.lastUsedAt })
    .from(userIdentities)
    .where(eq(userIdentities.userId, userId))
    .orderBy(asc(userIdentities.createdAt));
}

/** The person's school connection for `provider` that linking would go through, or null. */
export async function linkConnectionFor(db: Db, userId: string, provider: SsoProvider): Promise<Connection | null> {
  const [row] = await db
    .select({ c: connections })
    .from(connections)
    .innerJoin(memberships, and(eq(memberships.orgId, connections.schoolId), eq(memberships.userId, userId)))
    .where(and(ssoReady(), eq(connections.provider, provider)))
    .limit(1);
  return row?.c ?? null;
}

export async function unlinkIdentity(db: Db, userId: string, identityId: string, address: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [gone] = await tx
      .delete(userIdentities)
      .where(and(eq(userIdentities.id, identityId), eq(userIdentities.userId, userId)))
      .returning({ provider: userIdentities.provider, connectionId: userIdentities.connectionId, email: userIdentities.email });
    if (!gone) return false;
    const [c] = gone.connectionId ? await tx.select({ schoolId: connections.schoolId }).from(connections).where(eq(connections.id, gone.connectionId)) : [];
    await tx.insert(connectionAudit).values({
      schoolId: c?.schoolId ?? null,
      connectionId: gone.connectionId,
      provider: gone.provider,
      actorId: userId,
      action: "identity_unlink",
      detail: { email: gone.email },
      address,
    });
    return true;
  });
}
