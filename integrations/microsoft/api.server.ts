import { IntegrationError } from "../errors.ts";
import type { ProviderCall } from "../http/request.server.ts";
import type { MicrosoftConfig } from "./config.ts";
import { graphCall } from "./graph.server.ts";
import { GraphMe, OrganizationList } from "./schemas.ts";

export type Organization = { id: string; displayName: string; defaultDomain: string | null };
type CallOptions = Pick<ProviderCall, "onAttempt" | "budget">;

function contract(operation: string, message?: string) {
  return new IntegrationError({ code: "contract", provider: "microsoft", operation, providerMessage: message });
}

/** `GET /organization`: the cheapest call that proves an app token works for the tenant. */
export async function getOrganization(cfg: MicrosoftConfig, token: string, opts: CallOptions = {}): Promise<Organization> {
  const operation = "organization.get";
  const body: unknown = await graphCall(cfg, token, { provider: "microsoft", operation, idempotent: true, ...opts }, (c) => c.api("/organization").select(["id", "displayName", "verifiedDomains"]).get());
  const parsed = OrganizationList.safeParse(body);
  if (!parsed.success) throw contract(operation, parsed.error.issues[0]?.message);
  const org = parsed.data.value[0];
  return { id: org.id, displayName: org.displayName ?? org.id, defaultDomain: org.verifiedDomains.find((d) => d.isDefault)?.name ?? org.verifiedDomains[0]?.name ?? null };
}

/** `GET /me` with a teacher's delegated token: the cheapest call that proves it works. */
export async function getSignedInUser(cfg: MicrosoftConfig, token: string, opts: CallOptions = {}): Promise<{ id: string; name: string; email: string | null }> {
  const operation = "me.get";
  const body: unknown = await graphCall(cfg, token, { provider: "microsoft", operation, idempotent: true, ...opts }, (c) => c.api("/me").select(["id", "displayName", "mail", "userPrincipalName"]).get());
  const parsed = GraphMe.safeParse(body);
  if (!parsed.success) throw contract(operation, parsed.error.issues[0]?.message);
  const me = parsed.data;
  const email = me.mail ?? me.userPrincipalName ?? null;
  return { id: me.id, name: me.displayName ?? email ?? me.id, email };
}
