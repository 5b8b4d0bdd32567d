import { data, Form, redirect, useActionData, useLoaderData } from "react-router";
import type { Route } from "./+types/password-forgot";
import { getDb } from "../../db/client.server.ts";
import { getActor } from "../auth/guards.server.ts";
import { homePath } from "../auth/actor.server.ts";
import { clientAddress } from "../auth/request.server.ts";
import { env } from "../env.server.ts";
import { mailConfigured } from "../services/mail.server.ts";
import { requestPasswordReset } from "../services/recovery.server.ts";
import { Field, Notice } from "../components/forms.tsx";
import { Link } from "../components/link.tsx";
import { useT } from "../i18n/index.ts";
import { badRequest, formObject, readForm, waitMessage } from "./_form.server.ts";
import { BODY_LIMITS } from "../server/limits.ts";
import { pageTitle } from "../lib/meta.ts";

export async function loader({ context }: Route.LoaderArgs) {
  const actor = getActor(context);
  if (actor) throw redirect(homePath(actor));
  return { mail: mailConfigured() };
}

export async function action({ request, context }: Route.ActionArgs) {
  const form = formObject(await readForm(request, context, BODY_LIMITS.anonymous));
  const origin = env().APP_URL ?? new URL(request.url).origin;
  const outcome = await requestPasswordReset(getDb(), { email: form.email ?? "" }, { address: clientAddress(request), origin });
  switch (outcome.status) {
    case "no_mail":
      return { sent: false, error: null as string | null, formError: null as string | null, email: "" };
    case "invalid":
      return badRequest({ sent: false, error: outcome.errors.email as string | null, formError: null as string | null, email: form.email ?? "" });
    case "throttled":
      return data(
        { sent: false, error: null as string | null, formError: waitMessage(context, "errors.reset_throttled", outcome.retryAt) as string | null, email: form.email ?? "" },
        { status: 429 },
      );
    case "accepted":
      return { sent: true, error: null as string | null, formError: null as string | null, email: "" };
  }
}

export default function Forgot() {
  const { mail } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <div className="narrow">
      <section className="card">
        <h1>{t("recovery.forgotTitle")}</h1>
        {!mail ? (
          <p className="banner" data-testid="no-mail">
            {t("recovery.noMail")}
          </p>
        ) : result?.sent ? (
          <Notice>
            <span data-testid="reset-sent">{t("recovery.sent")}</span>
          </Notice>
        ) : (
          <>
            <p>{t("recovery.forgotHelp")}</p>
            {result?.formError ? (
              <p className="banner banner-error" role="alert">
                {result.formError}
              </p>
            ) : null}
            <Form method="post" noValidate>
              <Field
                label={t("common.email")}
                name="email"
                type="email"
                autoComplete="email"
                inputMode="email"
                required
                defaultValue={result?.email}
                error={result?.error ?? undefined}
              />
              <button type="submit" className="primary">
                {t("recovery.send")}
              </button>
            </Form>
            <p className="muted">{t("recovery.noEmailAccount")}</p>
          </>
        )}
        <p>
          <Link to="/login">{t("recovery.backToLogin")}</Link>
        </p>
      </section>
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "recovery.forgotTitle");
