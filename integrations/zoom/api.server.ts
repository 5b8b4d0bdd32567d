import { IntegrationError } from "../errors.ts";
import { jsonOf, providerRequest, type ProviderCall } from "../http/request.server.ts";
import type { ZoomConfig } from "./config.ts";
import { restError } from "./errors.ts";
import { Me } from "./schemas.ts";

export type ZoomUser = { id: string; email: string | null; name: string; accountId: string | null };

/** `GET /users/me` (a Light call): the user the app's token acts as. */
export async function getMe(cfg: ZoomConfig, token: string, opts: Pick<ProviderCall, "onAttempt" | "budget"> = {}): Promise<ZoomUser> {
  const operation = "users.me";
  const res = await providerRequest({
    provider: "zoom",
    operation,
    method: "GET",
    url: `${cfg.apiUrl.replace(/\/$/, "")}/users/me`,
    headers: { authorization: `Bearer ${token}`, accept: "application/json" },
    idempotent: true,
    ...opts,
  });
  if (res.status !== 200) throw restError(res, operation);
  const parsed = Me.safeParse(jsonOf(res, "zoom", operation));
  if (!parsed.success) throw new IntegrationError({ code: "contract", provider: "zoom", operation, providerMessage: parsed.error.issues[0]?.message });
  const u = parsed.data;
  const name = u.display_name?.trim() || [u.first_name, u.last_name].filter(Boolean).join(" ").trim() || u.email || u.id;
  return { id: u.id, email: u.email ?? null, name, accountId: u.account_id ?? null };
}
