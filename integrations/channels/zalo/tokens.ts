/**
 * The Official Account's OAuth v4 tokens. The access token lives about 25 hours; the refresh token
 * is single-use — every refresh returns a new one and the old one stops working — so the new pair
 * must be saved before anything else uses it, and only one refresh may run at a time: in this
 * process (one shared in-flight promise) and across processes (the store's lock).
 */
import { request, type Dispatcher } from "undici";
import { z } from "zod";

export type ZaloTokens = { accessToken: string; refreshToken: string; expiresAt: Date };

/** Where the rotating tokens are kept (PostgreSQL in the hub: app/services/channel-tokens.server.ts). */
export interface TokenStore {
  get(): Promise<ZaloTokens | null>;
  save(tokens: ZaloTokens): Promise<void>;
  /**
   * Run `renew` holding an exclusive lock on the stored tokens (SELECT … FOR UPDATE), giving it
   * the tokens as stored at that moment, and save what it returns before releasing the lock.
   * Optional: without it the channel reads and saves around the refresh.
   */
  renew?(renew: (current: ZaloTokens | null) => Promise<ZaloTokens>): Promise<ZaloTokens>;
}

/** Tokens kept in memory only (tests; a single process that can re-consent after a restart). */
export function memoryTokenStore(initial: ZaloTokens | null = null): TokenStore & { saves: number } {
  let current = initial;
  let chain: Promise<unknown> = Promise.resolve();
  const store = {
    saves: 0,
    async get() {
      return current;
    },
    async save(tokens: ZaloTokens) {
      current = tokens;
      store.saves++;
    },
    renew(renew: (c: ZaloTokens | null) => Promise<ZaloTokens>) {
      const run = chain.then(async () => {
        const next = await renew(current);
        await store.save(next);
        return next;
      });
      chain = run.catch(() => {});
      return run;
    },
  };
  return store;
}

/** Zalo refused the refresh token: nothing will send until the Official Account grants access again. */
export class ZaloAuthError extends Error {}
/** The token endpoint failed in a way worth retrying (5xx). */
export class ZaloTemporaryError extends Error {}

const TokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.union([z.string().regex(/^\d+$/), z.number().int()]).transform(Number),
});

export type OAuthOptions = { appId: string; appSecret: string; oauthUrl: string; timeoutMs: number; dispatcher: Dispatcher; now: () => Date };

/** POST /v4/oa/access_token with grant_type=refresh_token; the app secret goes in the `secret_key` header. */
export async function refreshTokens(refreshToken: string, o: OAuthOptions): Promise<ZaloTokens> {
  const res = await request(`${o.oauthUrl}/v4/oa/access_token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", secret_key: o.appSecret },
    body: new URLSearchParams({ refresh_token: refreshToken, app_id: o.appId, grant_type: "refresh_token" }).toString(),
    dispatcher: o.dispatcher,
    headersTimeout: o.timeoutMs,
    bodyTimeout: o.timeoutMs,
  });
  const text = await res.body.text();
  if (res.statusCode >= 500) throw new ZaloTemporaryError(`Zalo OAuth answered ${res.statusCode}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = TokenResponse.safeParse(body);
  if (!parsed.success) {
    const err = body as { error?: unknown; error_name?: unknown; message?: unknown } | undefined;
    const detail = err?.error !== undefined ? ` (${String(err.error)} ${String(err.error_name ?? err.message ?? "")})`.trimEnd() : text ? "" : " (empty answer)";
    throw new ZaloAuthError(`Zalo refused the refresh token${detail}: the Official Account must grant access again`);
  }
  return {
    accessToken: parsed.data.access_token,
    refreshToken: parsed.data.refresh_token,
    expiresAt: new Date(o.now().getTime() + parsed.data.expires_in * 1000),
  };
}

/** Renew this long before the access token's stated expiry. */
const EARLY_MS = 5 * 60_000;

export type TokenManager = {
  /** A usable access token, refreshing first when there is none or it is about to expire. */
  accessToken(): Promise<string>;
  /** Zalo refused `stale`: refresh unless another caller already replaced it. */
  refreshAfterRefusal(stale: string): Promise<string>;
  readonly refreshes: number;
};

export function tokenManager(store: TokenStore, initialRefreshToken: string, o: OAuthOptions): TokenManager {
  let inFlight: Promise<ZaloTokens> | undefined;
  let refreshes = 0;
  const usable = (t: ZaloTokens | null, stale?: string): boolean => !!t && t.accessToken !== stale && t.expiresAt.getTime() - EARLY_MS > o.now().getTime();

  const renewFrom = async (current: ZaloTokens | null, stale?: string): Promise<ZaloTokens> => {
    // Another process may have refreshed while we waited for the lock: use its tokens.
    if (current && usable(current, stale)) return current;
    refreshes++;
    const stored = current?.refreshToken ?? initialRefreshToken;
    try {
      return await refreshTokens(stored, o);
    } catch (e) {
      // After the Official Account grants access again, the operator puts the new refresh token in
      // ZALO_OA_REFRESH_TOKEN: when the stored one is refused, that one is tried once.
      if (!(e instanceof ZaloAuthError) || stored === initialRefreshToken) throw e;
      refreshes++;
      return refreshTokens(initialRefreshToken, o);
    }
  };

  const refresh = (stale?: string): Promise<ZaloTokens> => {
    inFlight ??= (async () => {
      try {
        if (store.renew) return await store.renew((current) => renewFrom(current, stale));
        const current = await store.get();
        const next = await renewFrom(current, stale);
        if (next !== current) await store.save(next);
        return next;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  return {
    async accessToken() {
      if (inFlight) return (await inFlight).accessToken;
      const current = await store.get();
      if (current && usable(current)) return current.accessToken;
      return (await refresh()).accessToken;
    },
    async refreshAfterRefusal(stale) {
      return (await refresh(stale)).accessToken;
    },
    get refreshes() {
      return refreshes;
    },
  };
}
