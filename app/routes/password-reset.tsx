import { Form, redirect, useActionData, useLoaderData } from "react-router";
import type { Route } from "./+types/password-reset";
import { getDb } from "../../db/client.server.ts";
import { completePasswordReset, resetLinkValid } from "../services/recovery.server.ts";
import { NewPasswordFields } from "../components/forms.tsx";
import { Link } from "../components/link.tsx";
import { useT, type MessageKey } from "../i18n/index.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";
import { BODY_LIMITS } from "../server/limits.ts";
import { pageTitle } from "../lib/meta.ts";

/** The link from the reset mail: /password/reset?token=… (valid 30 minutes, once). */
export async function loader({ url }: Route.LoaderArgs) {
  const token = url.searchParams.get("token") ?? "";
  return { token, valid: await resetLinkValid(getDb(), token) };
}

export async function action({ request, context, url }: Route.ActionArgs) {
  const form = formObject(await readForm(request, context, BODY_LIMITS.anonymous));
  const token = form.token ?? url.searchParams.get("token") ?? "";
  const result = await completePasswordReset(getDb(), token, { password: form.password ?? "", confirm: form.confirm ?? "" });
  if (!result.ok) return badRequest({ errors: result.errors });
  throw redirect("/login?reset=1");
}

export default function Reset() {
  const { token, valid } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const linkError = !valid || result?.errors.form;
  return (
    <div className="narrow">
      <meta name="referrer" content="no-referrer" />
      <section className="card">
        <h1>{t("recovery.resetTitle")}</h1>
        {linkError ? (
          <>
            <p className="banner banner-error" role="alert" data-testid="link-invalid">
              {t((result?.errors.form as MessageKey) ?? "recovery.linkInvalid")}
            </p>
            <p>
              <Link to="/password/forgot">{t("recovery.askAgain")}</Link>
            </p>
          </>
        ) : (
          <Form method="post" noValidate>
            <input type="hidden" name="token" value={token} />
            <NewPasswordFields errors={result?.errors} />
            <button type="submit" className="primary">
              {t("recovery.save")}
            </button>
          </Form>
        )}
      </section>
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "recovery.resetTitle");
