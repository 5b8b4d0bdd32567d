/**
 * Microsoft 365 for a school: an Entra ID app's client-credentials token, and the connection
 * check ("Kiểm tra kết nối") as `GET /organization`. A 401 on a fresh token is re-sent once with a
 * new token before it counts as refused.
 */
import { isIntegrationError } from "../errors.ts";
import type { ProviderCall } from "../http/request.server.ts";
import type { ConnectionCheck, RateBudgets } from "../ports.ts";
import { appToken, type AccessToken, type AppCredentials } from "./auth.server.ts";
import { getOrganization } from "./api.server.ts";
import type { MicrosoftConfig } from "./config.ts";

export { MICROSOFT_DEFAULTS, type MicrosoftConfig } from "./config.ts";
export { appToken, type AppCredentials, type AccessToken } from "./auth.server.ts";

/**
 * Graph's per-tenant budget for this app: 5,000 requests per 10 s, the tightest documented
 * per-tenant limit among the services the hub uses (assignments; Teams allows 15,000, education
 * rostering 50,000).
 */
export function graphBudget(store: RateBudgets, tenantId: string) {
  return { store, key: `graph:tenant:${tenantId}`, limit: 5000, windowMs: 10_000 };
}

export async function checkMicrosoft(
  cfg: MicrosoftConfig,
  creds: AppCredentials,
  opts: { cached?: AccessToken; onToken?: (t: AccessToken) => void; onAttempt?: ProviderCall["onAttempt"]; budgets?: RateBudgets } = {},
): Promise<ConnectionCheck> {
  const call = { onAttempt: opts.onAttempt, budget: opts.budgets ? graphBudget(opts.budgets, creds.tenantId) : undefined };
  const fresh = async () => {
    const t = await appToken(cfg, creds);
    opts.onToken?.(t);
    return t;
  };
  const usable = opts.cached && opts.cached.expiresAt.getTime() - Date.now() > 120_000 ? opts.cached : undefined;
  let token = usable ?? (await fresh());
  try {
    const org = await getOrganization(cfg, token.accessToken, call);
    return { accountName: org.displayName, detail: org.defaultDomain ?? undefined };
  } catch (e) {
    if (!(usable && isIntegrationError(e) && e.status === 401)) throw e;
    token = await fresh();
    const org = await getOrganization(cfg, token.accessToken, call);
    return { accountName: org.displayName, detail: org.defaultDomain ?? undefined };
  }
}
