import { Form, useActionData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/children-link";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { linkChild } from "../services/families.server.ts";
import { Field, Notice } from "../components/forms.tsx";
import { useT } from "../i18n/index.ts";
import { badRequest, failureErrors, formObject, readForm } from "./_form.server.ts";
import { clientAddress } from "../auth/request.server.ts";
import { pageTitle } from "../lib/meta.ts";

export async function loader({ url, context }: Route.LoaderArgs) {
  requireRole(url, context, "parent");
  return null;
}

export async function action({ request, url, context }: Route.ActionArgs) {
  const actor = requireRole(url, context, "parent");
  const result = await linkChild(getDb(), actor, formObject(await readForm(request, context)), clientAddress(request));
  if (!result.ok) return badRequest({ errors: failureErrors(context, result), linked: null });
  return { errors: {} as Record<string, string>, linked: result.value };
}

export default function LinkChild() {
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <div className="narrow">
      <section className="card">
        <h1>{t("parent.link")}</h1>
        {result?.linked ? (
          <Notice>
            {t(result.linked.already ? "parent.already" : "parent.linked", { name: result.linked.fullName })}{" "}
            <Link to={`/children/${result.linked.studentId}`}>{t("parent.view")}</Link>
          </Notice>
        ) : null}
        <Form method="post" noValidate>
          <Field label={t("parent.code")} hint={t("parent.codeHint")} name="code" autoComplete="off" autoCapitalize="characters" required error={result?.errors?.code} />
          <button type="submit" className="primary">
            {t("parent.submit")}
          </button>
        </Form>
      </section>
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "parent.link");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
