/**
 * What became of the last connection action on a page: the provider's redirect back
 * (`?connected=…` or `?oauth_error=…`), a test call's result, or a disconnect.
 */
import { useSearchParams } from "react-router";
import { useT } from "../i18n/index.ts";
import { oauthRefusal } from "../lib/oauth-refusals.ts";

type Provider = "google" | "microsoft" | "zoom";
type Done =
  | { tested: Provider; result: { ok: true; accountName: string } | { ok: false; message: string } }
  | { disconnected: Provider; revoked: "revoked" | "unsupported" | "failed" };

export function ConnectionOutcome({ done, connectedText }: { done: unknown; connectedText: (provider: Provider) => string }) {
  const [search] = useSearchParams();
  const t = useT();
  const connected = search.get("connected");
  const oauthError = search.get("oauth_error");
  const d = (done && typeof done === "object" && ("tested" in done || "disconnected" in done) ? done : null) as Done | null;
  return (
    <>
      {connected === "google" || connected === "microsoft" || connected === "zoom" ? (
        <p className="banner banner-ok" role="status" data-testid="oauth-result">
          {connectedText(connected)}
        </p>
      ) : null}
      {oauthError ? (
        <p className="banner banner-error" role="alert" data-testid="oauth-result">
          {t(`oauth.refused.${oauthRefusal(oauthError)}`, { email: search.get("email") ?? "" })}
        </p>
      ) : null}
      {d && "disconnected" in d ? (
        <p className="banner banner-ok" role="status" data-testid="test-result">
          {t(d.revoked === "revoked" ? "connections.disconnectedRevoked" : "connections.disconnected", { provider: t(`connections.provider.${d.disconnected}`) })}
        </p>
      ) : null}
      {d && "tested" in d ? (
        <p className={`banner ${d.result.ok ? "banner-ok" : "banner-error"}`} role="status" data-testid="test-result">
          {d.result.ok
            ? t("connections.testOk", { provider: t(`connections.provider.${d.tested}`), account: d.result.accountName })
            : t("connections.testFailed", { provider: t(`connections.provider.${d.tested}`), message: d.result.message })}
        </p>
      ) : null}
    </>
  );
}
