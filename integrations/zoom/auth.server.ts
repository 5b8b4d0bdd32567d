/**
 * Server-to-Server OAuth: `grant_type=account_credentials` for the app's own account, client id
 * and secret in HTTP Basic. Zoom's documentation puts the grant in the query string and its SDK in
 * a form body; we send the form body.
 */
import { IntegrationError } from "../errors.ts";
import { jsonOf, providerRequest, type ProviderCall } from "../http/request.server.ts";
import type { ZoomConfig, ZoomCredentials } from "./config.ts";
import { tokenError } from "./errors.ts";
import { TokenReply } from "./schemas.ts";

export type AccessToken = { accessToken: string; expiresAt: Date };

export async function s2sToken(cfg: ZoomConfig, creds: ZoomCredentials, opts: Pick<ProviderCall, "onAttempt"> = {}): Promise<AccessToken> {
  const operation = "token.account_credentials";
  const res = await providerRequest({
    provider: "zoom",
    operation,
    method: "POST",
    url: `${cfg.oauthUrl.replace(/\/$/, "")}/oauth/token`,
    headers: {
      authorization: `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`, "utf8").toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: new URLSearchParams({ grant_type: "account_credentials", account_id: creds.accountId }).toString(),
    // Asking for a token twice only mints two tokens.
    idempotent: true,
    ...opts,
  });
  if (res.status !== 200) throw tokenError(res, operation);
  const parsed = TokenReply.safeParse(jsonOf(res, "zoom", operation));
  if (!parsed.success) throw new IntegrationError({ code: "contract", provider: "zoom", operation, providerMessage: parsed.error.issues[0]?.message });
  return { accessToken: parsed.data.access_token, expiresAt: new Date(Date.now() + parsed.data.expires_in * 1000) };
}
