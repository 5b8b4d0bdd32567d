/**
 * "Đăng nhập với Google / Microsoft" (`/auth/google`, `/auth/microsoft`): POST starts the flow
 * through the school's own connection — chosen by the school picked, by the email's domain, or the
 * only school set up — and GET shows the choice of school when there are several. A signed-in
 * person links their account the same way (intent "link", from the account page).
 */
import { data, Form, redirect, useLoaderData } from "react-router";
import type { Route } from "./+types/auth.sso";
import { getDb } from "../../db/client.server.ts";
import { getActor } from "../auth/guards.server.ts";
import { secureCookies } from "../auth/request.server.ts";
import { connectionById } from "../services/connections/check.server.ts";
import { oauthRedirectUri, startFlow } from "../services/connections/oauth.server.ts";
import { linkConnectionFor, signInUrl, ssoOptions, type SsoProvider } from "../services/connections/sso.server.ts";
import { Field, Select } from "../components/forms.tsx";
import { useT } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";
import { formObject, readForm, safeNext } from "./_form.server.ts";
import { BODY_LIMITS } from "../server/limits.ts";

function providerOf(url: URL): SsoProvider {
  return url.pathname.endsWith("/microsoft") ? "microsoft" : "google";
}

const EMAIL = /^[^@\s]{1,64}@[^@\s]{1,253}$/;

export async function loader({ url }: Route.LoaderArgs) {
  const provider = providerOf(url);
  const email = url.searchParams.get("email") ?? "";
  const options = await ssoOptions(getDb(), provider, EMAIL.test(email) ? email : undefined);
  return { provider, email, next: safeNext(url.searchParams.get("next"), ""), options: options.map((o) => ({ value: o.connectionId, label: o.schoolName })) };
}

export async function action({ request, url, context }: Route.ActionArgs) {
  const provider = providerOf(url);
  const db = getDb();
  const form = formObject(await readForm(request, context, BODY_LIMITS.anonymous));
  const secure = secureCookies(request);
  const actor = getActor(context);
  if (form.intent === "link") {
    if (!actor) throw redirect(`/login?next=${encodeURIComponent("/account")}`);
    const row = await linkConnectionFor(db, actor.id, provider);
    if (!row) throw redirect("/account?oauth_error=not_configured");
    const flow = await startFlow(db, request, { purpose: "link", provider, connectionId: row.id, userId: actor.id, returnTo: "/account" }, secure);
    throw redirect(await signInUrl(row, oauthRedirectUri(request), flow.secrets, actor.email ?? undefined), { headers: { "Set-Cookie": flow.cookie } });
  }
  const email = typeof form.email === "string" && EMAIL.test(form.email.trim()) ? form.email.trim().toLowerCase() : undefined;
  const next = safeNext(form.next, "");
  const options = await ssoOptions(db, provider, email);
  const chosen = typeof form.school === "string" ? options.find((o) => o.connectionId === form.school) : options.length === 1 ? options[0] : undefined;
  if (options.length === 0) throw data({ message: "not_configured" }, { status: 404 });
  if (!chosen) {
    const q = new URLSearchParams({ ...(email ? { email } : {}), ...(next ? { next } : {}) });
    throw redirect(`${url.pathname}?${q}`);
  }
  const row = await connectionById(db, chosen.connectionId);
  if (!row) throw data({ message: "not_configured" }, { status: 404 });
  const flow = await startFlow(db, request, { purpose: "sign_in", provider, connectionId: row.id, userId: null, returnTo: next || undefined }, secure);
  throw redirect(await signInUrl(row, oauthRedirectUri(request), flow.secrets, email), { headers: { "Set-Cookie": flow.cookie } });
}

export default function ChooseSchool() {
  const { provider, email, next, options } = useLoaderData<typeof loader>();
  const t = useT();
  const name = t(`connections.provider.${provider}`);
  return (
    <div className="narrow">
      <section className="card">
        <h1>{t("oauth.chooseTitle", { provider: name })}</h1>
        {options.length === 0 ? (
          <p className="banner banner-error" role="alert">
            {t("oauth.refused.not_configured")}
          </p>
        ) : (
          <Form method="post" reloadDocument>
            <input type="hidden" name="next" value={next} />
            <Select label={t("oauth.chooseSchool")} name="school" options={options} required />
            <Field label={t("oauth.chooseEmail")} name="email" type="email" autoComplete="username" defaultValue={email} />
            <button type="submit" className="primary">
              {t("oauth.chooseSubmit")}
            </button>
          </Form>
        )}
      </section>
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "login.title");
