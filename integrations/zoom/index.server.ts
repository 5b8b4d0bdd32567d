/**
 * Zoom for a school: its Server-to-Server OAuth app's token and the connection check
 * ("Kiểm tra kết nối") as `GET /users/me`. A 401 on a cached token is re-sent once with a new one.
 */
import { isIntegrationError } from "../errors.ts";
import type { ProviderCall } from "../http/request.server.ts";
import type { ConnectionCheck, RateBudgets } from "../ports.ts";
import { getMe } from "./api.server.ts";
import { s2sToken, type AccessToken } from "./auth.server.ts";
import type { ZoomConfig, ZoomCredentials } from "./config.ts";

export { ZOOM_DEFAULTS, type ZoomConfig, type ZoomCredentials } from "./config.ts";
export type { AccessToken } from "./auth.server.ts";

/**
 * The account's Light budget: 30 requests per second, the Pro plan's (the smallest paid plan;
 * Business, Education and Enterprise allow 80). Shared by every app of the account.
 */
export function zoomLightBudget(store: RateBudgets, accountId: string) {
  return { store, key: `zoom:account:${accountId}:light`, limit: 30, windowMs: 1000, sliding: true };
}

/**
 * The account's Medium budget (meeting create, update, delete; lists of meetings and of past
 * participants): 20 requests per second on Pro (60 on Business and above).
 */
export function zoomMediumBudget(store: RateBudgets, accountId: string) {
  return { store, key: `zoom:account:${accountId}:medium`, limit: 20, windowMs: 1000, sliding: true };
}

export async function checkZoom(
  cfg: ZoomConfig,
  creds: ZoomCredentials,
  opts: { cached?: AccessToken; onToken?: (t: AccessToken) => void; onAttempt?: ProviderCall["onAttempt"]; budgets?: RateBudgets } = {},
): Promise<ConnectionCheck> {
  const call = { onAttempt: opts.onAttempt, budget: opts.budgets ? zoomLightBudget(opts.budgets, creds.accountId) : undefined };
  const fresh = async () => {
    const t = await s2sToken(cfg, creds, { onAttempt: opts.onAttempt });
    opts.onToken?.(t);
    return t;
  };
  // Zoom's tokens last an hour; one is used while it has more than a minute left.
  const usable = opts.cached && opts.cached.expiresAt.getTime() - Date.now() > 60_000 ? opts.cached : undefined;
  const check = async (t: AccessToken) => {
    const me = await getMe(cfg, t.accessToken, call);
    return { accountName: me.name, detail: me.email ?? undefined };
  };
  try {
    return await check(usable ?? (await fresh()));
  } catch (e) {
    if (!(usable && isIntegrationError(e) && e.status === 401)) throw e;
    return check(await fresh());
  }
}
