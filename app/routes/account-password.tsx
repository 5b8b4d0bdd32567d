import { Form, redirect, useActionData, useLoaderData } from "react-router";
import type { Route } from "./+types/account-password";
import { getDb } from "../../db/client.server.ts";
import { requireActor } from "../auth/guards.server.ts";
import { homePath } from "../auth/actor.server.ts";
import { replaceTemporaryPassword } from "../services/recovery.server.ts";
import { NewPasswordFields } from "../components/forms.tsx";
import { useT } from "../i18n/index.ts";
import { badRequest, formObject, readForm, safeNext } from "./_form.server.ts";
import { pageTitle } from "../lib/meta.ts";

/** The "Đổi mật khẩu" step every page leads to while the password is a temporary one. */
export async function loader({ url, context }: Route.LoaderArgs) {
  const actor = requireActor(url, context);
  if (!actor.mustChangePassword) throw redirect("/account");
  return { next: safeNext(url.searchParams.get("next"), "") };
}

export async function action({ request, url, context }: Route.ActionArgs) {
  const actor = requireActor(url, context);
  if (!actor.mustChangePassword) throw redirect("/account");
  const form = formObject(await readForm(request, context));
  const result = await replaceTemporaryPassword(getDb(), actor, { password: form.password ?? "", confirm: form.confirm ?? "" });
  if (!result.ok) return badRequest({ errors: result.errors });
  throw redirect(safeNext(form.next, homePath(actor)));
}

export default function ChangeTemporaryPassword() {
  const { next } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <div className="narrow">
      <section className="card">
        <h1>{t("recovery.changeTitle")}</h1>
        <p>{t("recovery.changeHelp")}</p>
        <Form method="post" noValidate>
          <input type="hidden" name="next" value={next} />
          <NewPasswordFields errors={result?.errors} />
          <button type="submit" className="primary">
            {t("common.save")}
          </button>
        </Form>
        <Form method="post" action="/logout">
          <button type="submit">{t("nav.signOut")}</button>
        </Form>
      </section>
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "recovery.changeTitle");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
