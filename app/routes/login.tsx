import { Form, redirect, useActionData, useLoaderData, useNavigation, useSearchParams } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/login";
import { getDb } from "../../db/client.server.ts";
import { getActor } from "../auth/guards.server.ts";
import { homePath, loadMemberships } from "../auth/actor.server.ts";
import { clientAddress, secureCookies } from "../auth/request.server.ts";
import { createSession, DEVICE_COOKIE, deviceCookie, generateSessionToken, readCookie, sessionCookie } from "../auth/session.server.ts";
import { newDeviceId, signIn } from "../services/sign-in.server.ts";
import { ssoProviders } from "../services/connections/sso.server.ts";
import { PASSWORD_LENGTH } from "../lib/password.ts";
import { env } from "../env.server.ts";
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from "../../db/demo.ts";
import { Field, Notice } from "../components/forms.tsx";
import { Link } from "../components/link.tsx";
import { translate, useT } from "../i18n/index.ts";
import { localeContext } from "../context.ts";
import { badRequest, formObject, safeNext, readForm, waitMessage, fieldMessages } from "./_form.server.ts";
import { BODY_LIMITS } from "../server/limits.ts";
import { pageTitleAndDescription } from "../lib/meta.ts";

const SignInSchema = z.object({
  identifier: z.string().trim().min(1, "errors.identifier_required").max(254, "errors.identifier_required"),
  // Longer than any password may be: refused at once, with no hash and no count.
  password: z.string().min(1, "errors.password_required").max(PASSWORD_LENGTH.max, "errors.signin_invalid"),
  next: z.string().optional(),
});

export async function loader({ context, url }: Route.LoaderArgs) {
  const actor = getActor(context);
  if (actor) throw redirect(homePath(actor));
  return {
    demo: env().DEMO ? { accounts: DEMO_ACCOUNTS, password: DEMO_PASSWORD } : null,
    next: safeNext(url.searchParams.get("next"), ""),
    sso: await ssoProviders(getDb()),
  };
}

export async function action({ request, context }: Route.ActionArgs) {
  const form = formObject(await readForm(request, context, BODY_LIMITS.anonymous));
  const parsed = SignInSchema.safeParse(form);
  if (!parsed.success) {
    const errors = fieldMessages(parsed.error.issues);
    return badRequest({ errors, identifier: form.identifier ?? "", formError: undefined as string | undefined });
  }
  const db = getDb();
  // The browser's device cookie: a browser that has signed in to an account before is not held
  // back by failures from elsewhere (see sign-in.server.ts).
  const knownDevice = readCookie(request, DEVICE_COOKIE);
  const deviceId = knownDevice && /^[A-Za-z0-9_-]{27}$/.test(knownDevice) ? knownDevice : newDeviceId();
  const result = await signIn(db, parsed.data.identifier, parsed.data.password, { address: clientAddress(request), deviceId });
  if (!result.ok) {
    return badRequest({
      errors: {} as Record<string, string>,
      identifier: parsed.data.identifier,
      formError: result.error === "errors.signin_throttled" ? waitMessage(context, result.error, result.retryAt) : translate(context.get(localeContext), result.error),
    });
  }
  const token = generateSessionToken();
  const session = await createSession(db, token, result.userId);
  const memberships = await loadMemberships(db, result.userId);
  const fallback = homePath({ memberships });
  const headers = new Headers({ "Set-Cookie": sessionCookie(token, session.expiresAt, secureCookies(request)) });
  if (deviceId !== knownDevice) headers.append("Set-Cookie", deviceCookie(deviceId, secureCookies(request)));
  throw redirect(safeNext(parsed.data.next, fallback), { headers });
}

export default function Login() {
  const { demo, next, sso } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const t = useT();
  return (
    <div className="narrow">
      <section className="card">
        <h1>{t("login.title")}</h1>
        {params.get("expired") ? <Notice>{t("login.expired")}</Notice> : null}
        {params.get("signedout") ? <Notice>{t("login.signedOut")}</Notice> : null}
        {params.get("reset") ? <Notice>{t("login.passwordReset")}</Notice> : null}
        {actionData?.formError ? (
          <p className="banner banner-error" role="alert">
            {actionData.formError}
          </p>
        ) : null}
        {sso.length ? (
          <div className="sso" data-testid="sso">
            {sso.map((p) => (
              <Form key={p} method="post" action={`/auth/${p}`} reloadDocument>
                <input type="hidden" name="next" value={next} />
                <button type="submit" className="wide" data-testid={`sso-${p}`}>
                  {t("login.withProvider", { provider: t(`connections.provider.${p}`) })}
                </button>
              </Form>
            ))}
            <p className="muted">{t("login.orPassword")}</p>
          </div>
        ) : null}
        <Form method="post" noValidate>
          <input type="hidden" name="next" value={next} />
          <Field
            label={t("login.identifier")}
            hint={t("login.identifierHint")}
            name="identifier"
            autoComplete="username"
            inputMode="email"
            required
            defaultValue={actionData?.identifier}
            error={actionData?.errors?.identifier}
          />
          <Field
            label={t("login.password")}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            error={actionData?.errors?.password}
          />
          <button type="submit" className="primary" disabled={navigation.state === "submitting"}>
            {t("login.submit")}
          </button>
        </Form>
        <p>
          <Link to="/password/forgot">{t("login.forgot")}</Link>
        </p>
      </section>
      {demo ? (
        <section className="card" aria-labelledby="demo-title">
          <h2 id="demo-title">{t("login.demoTitle")}</h2>
          <p>{t("login.demoHint", { password: demo.password })}</p>
          <ul className="list">
            {demo.accounts.map((a) => (
              <li key={a.login} className="row">
                <div>
                  <strong>{a.name}</strong>
                  <div className="muted">
                    {t(`roles.${a.role}` as never)} · {a.login}
                  </div>
                </div>
                <Form method="post">
                  <input type="hidden" name="identifier" value={a.login} />
                  <input type="hidden" name="password" value={demo.password} />
                  <input type="hidden" name="next" value={next} />
                  <button type="submit" aria-label={`${t("login.submit")}: ${a.name}`}>
                    {t("login.submit")}
                  </button>
                </Form>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitleAndDescription(matches, "login.title");
