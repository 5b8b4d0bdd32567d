/**
 * One web-flow attempt (connect, sign-in, link) from its start to its callback: the browser keeps
 * `state` and a binding cookie; the hub keeps the SHA-256 of both, with the PKCE verifier and the
 * nonce, for ten minutes. The callback takes the attempt once: a missing, unknown, used, expired
 * or other browser's `state` is refused with its reason and nothing is stored.
 */
import crypto from "node:crypto";
import { and, eq, gt, isNull, lt } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { oauthStates, type OAuthPurpose, type ProviderName } from "../../../db/schema/index.ts";
import { newFlowSecrets, type FlowSecrets } from "../../../integrations/oidc/flow.server.ts";
import { env } from "../../env.server.ts";
import { GOOGLE_DEFAULTS } from "../../../integrations/google/config.ts";
import { MICROSOFT_DEFAULTS } from "../../../integrations/microsoft/config.ts";
import { ZOOM_DEFAULTS } from "../../../integrations/zoom/config.ts";
import { readCookie } from "../../auth/session.server.ts";

export const OAUTH_COOKIE = "lopso_oauth";
const TTL_MS = 10 * 60_000;

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("base64url");

/** The one redirect URI every provider's app registers: `<APP_URL>/oauth/callback`. */
export function oauthRedirectUri(request?: Request): string {
  const base = env().APP_URL ?? (request ? new URL(request.url).origin : `http://localhost:${env().PORT}`);
  return `${base}/oauth/callback`;
}

let origins: { key: string; list: string[] } | undefined;

/** The providers' sign-in origins a form may redirect to (the page's CSP `form-action`). */
export function oauthOrigins(): string[] {
  const e = env();
  const urls = [e.GOOGLE_ISSUER ?? GOOGLE_DEFAULTS.issuer, e.MICROSOFT_LOGIN_URL ?? MICROSOFT_DEFAULTS.loginUrl, e.ZOOM_OAUTH_URL ?? ZOOM_DEFAULTS.oauthUrl];
  const key = urls.join(" ");
  if (origins?.key !== key) origins = { key, list: [...new Set(urls.map((u) => new URL(u).origin))] };
  return origins.list;
}

export type StartedFlow = { secrets: FlowSecrets; cookie: string };

/**
 * Record a new attempt. The binding cookie is reused when the browser has one (two tabs may start
 * two flows), else made; it is sent on the provider's redirect back (SameSite=Lax, a top-level GET).
 */
export async function startFlow(
  db: Db,
  request: Request,
  p: { purpose: OAuthPurpose; provider: ProviderName; connectionId: string | null; userId: string | null; returnTo?: string },
  secure: boolean,
): Promise<StartedFlow> {
  const existing = readCookie(request, OAUTH_COOKIE);
  const binding = existing && /^[A-Za-z0-9_-]{32,64}$/.test(existing) ? existing : crypto.randomBytes(24).toString("base64url");
  const secrets = newFlowSecrets();
  const now = Date.now();
  // Attempts nobody finished are kept only until they expire.
  await db.delete(oauthStates).where(lt(oauthStates.expiresAt, new Date(now - TTL_MS)));
  await db.insert(oauthStates).values({
    stateHash: sha256(secrets.state),
    purpose: p.purpose,
    provider: p.provider,
    connectionId: p.connectionId,
    userId: p.userId,
    browserBinding: sha256(binding),
    codeVerifier: secrets.codeVerifier,
    nonce: secrets.nonce,
    returnTo: p.returnTo ?? null,
    expiresAt: new Date(now + TTL_MS),
  });
  const cookie = `${OAUTH_COOKIE}=${binding}; Path=/oauth; HttpOnly; SameSite=Lax; Max-Age=${TTL_MS / 1000}${secure ? "; Secure" : ""}`;
  return { secrets, cookie };
}

export type TakenFlow = {
  purpose: OAuthPurpose;
  provider: ProviderName;
  connectionId: string | null;
  userId: string | null;
  returnTo: string | null;
  secrets: FlowSecrets;
};

export type FlowRefusal = "state_missing" | "state_unknown" | "state_used" | "state_expired" | "state_foreign";

/** Take the attempt named by the callback's `state`, once. */
export async function takeFlow(db: Db, request: Request, state: string | null): Promise<{ ok: true; flow: TakenFlow } | { ok: false; reason: FlowRefusal }> {
  if (!state || state.length > 200) return { ok: false, reason: "state_missing" };
  const hash = sha256(state);
  const now = new Date();
  const [taken] = await db
    .update(oauthStates)
    .set({ usedAt: now })
    .where(and(eq(oauthStates.stateHash, hash), isNull(oauthStates.usedAt), gt(oauthStates.expiresAt, now)))
    .returning();
  if (!taken) {
    const [row] = await db.select({ usedAt: oauthStates.usedAt, expiresAt: oauthStates.expiresAt }).from(oauthStates).where(eq(oauthStates.stateHash, hash));
    if (!row) return { ok: false, reason: "state_unknown" };
    return { ok: false, reason: row.usedAt ? "state_used" : "state_expired" };
  }
  const binding = readCookie(request, OAUTH_COOKIE);
  const a = Buffer.from(binding ? sha256(binding) : "");
  const b = Buffer.from(taken.browserBinding);
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return { ok: false, reason: "state_foreign" };
  return {
    ok: true,
    flow: {
      purpose: taken.purpose,
      provider: taken.provider,
      connectionId: taken.connectionId,
      userId: taken.userId,
      returnTo: taken.returnTo,
      secrets: { state, nonce: taken.nonce, codeVerifier: taken.codeVerifier },
    },
  };
}
