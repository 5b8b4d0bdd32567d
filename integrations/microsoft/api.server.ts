import { IntegrationError } from "../errors.ts";
import { jsonOf, providerRequest, type ProviderCall } from "../http/request.server.ts";
import type { MicrosoftConfig } from "./config.ts";
import { graphError } from "./errors.ts";
import { GraphMe, OrganizationList } from "./schemas.ts";

export type Organization = { id: string; displayName: string; defaultDomain: string | null };

/** `GET /organization`: the cheapest call that proves an app token works for the tenant. */
export async function getOrganization(cfg: MicrosoftConfig, token: string, opts: Pick<ProviderCall, "onAttempt" | "budget"> = {}): Promise<Organization> {
  const operation = "organization.get";
  const res = await providerRequest({
    provider: "microsoft",
    operation,
    method: "GET",
    url: `${cfg.graphUrl.replace(/\/$/, "")}/organization?$select=id,displayName,verifiedDomains`,
    headers: { authorization: `Bearer ${token}`, accept: "application/json" },
    idempotent: true,
    ...opts,
  });
  if (res.status !== 200) throw graphError(res, operation);
  const parsed = OrganizationList.safeParse(jsonOf(res, "microsoft", operation));
  if (!parsed.success) throw new IntegrationError({ code: "contract", provider: "microsoft", operation, providerMessage: parsed.error.issues[0]?.message });
  const org = parsed.data.value[0];
  return { id: org.id, displayName: org.displayName ?? org.id, defaultDomain: org.verifiedDomains.find((d) => d.isDefault)?.name ?? org.verifiedDomains[0]?.name ?? null };
}

/** `GET /me` with a teacher's delegated token: the cheapest call that proves it works. */
export async function getSignedInUser(cfg: MicrosoftConfig, token: string, opts: Pick<ProviderCall, "onAttempt" | "budget"> = {}): Promise<{ id: string; name: string; email: string | null }> {
  const operation = "me.get";
  const res = await providerRequest({
    provider: "microsoft",
    operation,
    method: "GET",
    url: `${cfg.graphUrl.replace(/\/$/, "")}/me?$select=id,displayName,mail,userPrincipalName`,
    headers: { authorization: `Bearer ${token}`, accept: "application/json" },
    idempotent: true,
    ...opts,
  });
  if (res.status !== 200) throw graphError(res, operation);
  const parsed = GraphMe.safeParse(jsonOf(res, "microsoft", operation));
  if (!parsed.success) throw new IntegrationError({ code: "contract", provider: "microsoft", operation, providerMessage: parsed.error.issues[0]?.message });
  const me = parsed.data;
  const email = me.mail ?? me.userPrincipalName ?? null;
  return { id: me.id, name: me.displayName ?? email ?? me.id, email };
}
