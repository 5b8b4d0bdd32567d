import { Form, useActionData } from "react-router";
import type { Route } from "./+types/join";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { joinClassByCode } from "../services/classes.server.ts";
import { Field, Notice } from "../components/forms.tsx";
import { useT } from "../i18n/index.ts";
import { badRequest, failureErrors, formObject, readForm } from "./_form.server.ts";
import { clientAddress } from "../auth/request.server.ts";
import { pageTitle } from "../lib/meta.ts";

export async function loader({ url, context }: Route.LoaderArgs) {
  requireRole(url, context, "student");
  return null;
}

export async function action({ request, url, context }: Route.ActionArgs) {
  const actor = requireRole(url, context, "student");
  const result = await joinClassByCode(getDb(), actor, formObject(await readForm(request, context)), clientAddress(request));
  if (!result.ok) return badRequest({ errors: failureErrors(context, result), joined: null });
  return { errors: {} as Record<string, string>, joined: result.value };
}

export default function Join() {
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <div className="narrow">
      <section className="card">
        <h1>{t("join.title")}</h1>
        {result?.joined ? (
          <Notice>
            {result.joined.kind === "group"
              ? t(result.joined.already ? "join.alreadyGroup" : "join.joinedGroup", { name: result.joined.name, n: result.joined.classes })
              : t(result.joined.already ? "join.already" : "join.joined", { name: result.joined.name })}
          </Notice>
        ) : null}
        <Form method="post" noValidate>
          <Field label={t("join.code")} hint={t("join.codeHint")} name="code" autoComplete="off" autoCapitalize="characters" required error={result?.errors?.code} />
          <button type="submit" className="primary">
            {t("join.submit")}
          </button>
        </Form>
      </section>
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "join.title");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
