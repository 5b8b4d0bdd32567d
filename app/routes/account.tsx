import { data, Form, redirect, useActionData, useLoaderData, useSearchParams } from "react-router";
import { identitiesOf, linkConnectionFor, SSO_PROVIDERS, unlinkIdentity, type SsoProvider } from "../services/connections/sso.server.ts";
import { oauthRefusal } from "../lib/oauth-refusals.ts";
import { formatDateTime } from "../lib/vn.ts";
import { calendarToken } from "../services/calendar.server.ts";
import { env } from "../env.server.ts";
import type { Route } from "./+types/account";
import { getDb } from "../../db/client.server.ts";
import { requireActor, requireId } from "../auth/guards.server.ts";
import { clientAddress, secureCookies } from "../auth/request.server.ts";
import { PASSWORD_LENGTH } from "../lib/password.ts";
import { blankSessionCookie, invalidateAllSessions } from "../auth/session.server.ts";
import { changePassword } from "../services/users.server.ts";
import { Field, Notice } from "../components/forms.tsx";
import { Link } from "../components/link.tsx";
import { useT } from "../i18n/index.ts";
import { formatPhone } from "../lib/vn.ts";
import { badRequest, failureErrors, formObject, readForm } from "./_form.server.ts";
import { pageTitle } from "../lib/meta.ts";

export async function loader({ url, context }: Route.LoaderArgs) {
  const actor = requireActor(url, context);
  const db = getDb();
  const [identities, linkable] = await Promise.all([
    identitiesOf(db, actor.id),
    Promise.all(SSO_PROVIDERS.map(async (p) => ((await linkConnectionFor(db, actor.id, p)) ? p : null))),
  ]);
  const base = env().APP_URL ?? url.origin;
  const feedToken = await calendarToken(db, env().SECRET_KEY, actor.id);
  return {
    calendarUrl: `${base}/calendar/${feedToken}.ics`,
    identities: identities.map((i) => ({ id: i.id, provider: i.provider, email: i.email, createdAt: i.createdAt })),
    linkable: linkable.filter((p): p is SsoProvider => p !== null),
    fullName: actor.fullName,
    email: actor.email,
    phone: actor.phone ? formatPhone(actor.phone) : null,
    memberships: actor.memberships.map((m) => ({ role: m.role, orgName: m.orgName })),
  };
}

export async function action({ request, url, context }: Route.ActionArgs) {
  const actor = requireActor(url, context);
  const form = formObject(await readForm(request, context));
  if (form.intent === "calendar-renew") {
    await calendarToken(getDb(), env().SECRET_KEY, actor.id, true);
    return { errors: {} as Record<string, string>, changed: false, calendarRenewed: true };
  }
  if (form.intent === "unlink") {
    const ok = await unlinkIdentity(getDb(), actor.id, requireId(form.identityId), clientAddress(request));
    if (!ok) throw data({ message: "not_found" }, { status: 404 });
    return { errors: {} as Record<string, string>, changed: false, unlinked: true };
  }
  if (form.intent === "signout-all") {
    await invalidateAllSessions(getDb(), actor.id);
    throw redirect("/login?signedout=1", { headers: { "Set-Cookie": blankSessionCookie(secureCookies(request)) } });
  }
  const result = await changePassword(
    getDb(),
    actor.id,
    { current: form.currentPassword ?? "", next: form.newPassword ?? "" },
    { address: clientAddress(request), keepSessionId: actor.sessionId },
  );
  if (!result.ok) return badRequest({ errors: failureErrors(context, result), changed: false });
  return { errors: {} as Record<string, string>, changed: true };
}

export default function Account() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [search] = useSearchParams();
  const t = useT();
  const linked = search.get("linked");
  const oauthError = search.get("oauth_error");
  return (
    <div className="grid grid-2">
      <section className="card">
        <h1>{t("account.title")}</h1>
        <p>
          <strong>{data.fullName}</strong>
        </p>
        {data.email ? <p className="muted">{data.email}</p> : null}
        {data.phone ? <p className="muted">{data.phone}</p> : null}
        <p>
          <Link to="/account/notifications">{t("notifyUi.settings.title")}</Link>
        </p>
        {data.memberships.some((m) => m.role === "teacher") ? (
          <p>
            <Link to="/account/connections">{t("myConnections.title")}</Link>
          </p>
        ) : null}
        <h2>{t("account.memberships")}</h2>
        <ul className="list">
          {data.memberships.map((m) => (
            <li key={m.role + m.orgName}>
              {t(`roles.${m.role}` as never)} — {m.orgName}
            </li>
          ))}
        </ul>
        <h2 id="calendar-title">{t("account.calendarTitle")}</h2>
        <p className="muted">{t("account.calendarHint")}</p>
        {result && "calendarRenewed" in result ? <Notice>{t("account.calendarRenewed")}</Notice> : null}
        <p>
          <code data-testid="calendar-url" className="break">
            {data.calendarUrl}
          </code>
        </p>
        <Form method="post">
          <input type="hidden" name="intent" value="calendar-renew" />
          <button type="submit">{t("account.calendarRenew")}</button>
        </Form>
        <h2 id="identities-title">{t("account.identitiesTitle")}</h2>
        {linked === "google" || linked === "microsoft" ? <Notice>{t("account.identityLinked", { provider: t(`connections.provider.${linked}`) })}</Notice> : null}
        {result && "unlinked" in result ? <Notice>{t("account.identityUnlinked")}</Notice> : null}
        {oauthError ? (
          <p className="banner banner-error" role="alert" data-testid="oauth-result">
            {t(`oauth.refused.${oauthRefusal(oauthError)}`, { email: search.get("email") ?? "" })}
          </p>
        ) : null}
        {data.identities.length === 0 ? (
          <p className="muted">{t("account.identitiesNone")}</p>
        ) : (
          <ul className="list" aria-labelledby="identities-title" data-testid="identities">
            {data.identities.map((i) => (
              <li key={i.id} className="row">
                <span>
                  {t(`connections.provider.${i.provider}`)}: {i.email} <span className="muted">({t("account.identitySince", { when: formatDateTime(i.createdAt) })})</span>
                </span>
                <Form method="post">
                  <input type="hidden" name="intent" value="unlink" />
                  <input type="hidden" name="identityId" value={i.id} />
                  <button type="submit">{t("account.identityUnlink")}</button>
                </Form>
              </li>
            ))}
          </ul>
        )}
        {data.linkable.map((p) => (
          <Form key={p} method="post" action={`/auth/${p}`} reloadDocument>
            <input type="hidden" name="intent" value="link" />
            <button type="submit" data-testid={`link-${p}`}>
              {t("account.identityLink", { provider: t(`connections.provider.${p}`) })}
            </button>
          </Form>
        ))}
      </section>
      <section className="card">
        <h2>{t("account.changePassword")}</h2>
        {result?.changed ? <Notice>{t("account.passwordChanged")}</Notice> : null}
        <Form method="post" noValidate>
          <input type="hidden" name="intent" value="password" />
          <Field
            label={t("account.currentPassword")}
            name="currentPassword"
            type="password"
            autoComplete="current-password"
            error={result?.errors?.currentPassword}
          />
          <Field label={t("account.newPassword")} name="newPassword" type="password" autoComplete="new-password"
            minLength={PASSWORD_LENGTH.min}
            maxLength={PASSWORD_LENGTH.max}
            error={result?.errors?.newPassword}
          />
          <button type="submit" className="primary">
            {t("common.save")}
          </button>
        </Form>
        <hr />
        <h2>{t("account.signOutAll")}</h2>
        <p className="muted">{t("account.signOutAllHint")}</p>
        <Form method="post">
          <input type="hidden" name="intent" value="signout-all" />
          <button type="submit">{t("account.signOutAll")}</button>
        </Form>
      </section>
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "account.title");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
