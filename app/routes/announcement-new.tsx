import { Form, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/announcement-new";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { announcementTargets, postAnnouncement } from "../services/announcements.server.ts";
import { MAX_ANNOUNCEMENT_CHARS } from "../lib/contact-book.ts";
import { Field, TextArea } from "../components/forms.tsx";
import { subjectName } from "../lib/curriculum.ts";
import { useLocale, useT, type MessageKey } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";

const ROLES = ["teacher", "school_admin"] as const;

/** Write an announcement: a teacher to a class's parents, a school admin to the whole school. */
export async function loader({ url, context }: Route.LoaderArgs) {
  const actor = requireRole(url, context, ...ROLES);
  return { targets: await announcementTargets(getDb(), actor) };
}

export async function action({ request, url, context }: Route.ActionArgs) {
  const actor = requireRole(url, context, ...ROLES);
  const fields = formObject(await readForm(request, context));
  const result = await postAnnouncement(getDb(), actor, fields);
  if (!result.ok) return badRequest({ errors: result.errors, fields });
  throw redirect("/announcements?sent=1");
}

export default function AnnouncementNew() {
  const { targets } = useLoaderData<typeof loader>();
  const failed = useActionData<typeof action>();
  const navigation = useNavigation();
  const t = useT();
  const locale = useLocale();
  const anySchool = targets.some((x) => x.kind === "school");
  const urgentError = failed?.errors?.urgent;
  return (
    <>
      <p>
        <Link to="/announcements">← {t("announcements.title")}</Link>
      </p>
      <h1>{t("announcements.newTitle")}</h1>
      <Form method="post" className="card" noValidate>
        <div className="field">
          <label htmlFor="an-target">{t("announcements.target")}</label>
          <select
            id="an-target"
            name="target"
            defaultValue={failed?.fields?.target ?? ""}
            aria-invalid={failed?.errors?.target ? true : undefined}
            aria-describedby={failed?.errors?.target ? "an-target-error" : undefined}
          >
            <option value="">{t("announcements.chooseTarget")}</option>
            {targets.map((x) => (
              <option key={x.value} value={x.value}>
                {x.kind === "school" ? t("announcements.wholeSchool", { name: x.label }) : t("announcements.classTarget", { name: x.label, subject: subjectName(x.subject ?? "", locale) })}
              </option>
            ))}
          </select>
          {failed?.errors?.target ? (
            <p id="an-target-error" className="error" role="alert">
              {t(failed.errors.target as MessageKey)}
            </p>
          ) : null}
        </div>
        <Field label={t("announcements.heading")} name="title" maxLength={200} defaultValue={failed?.fields?.title ?? ""} error={failed?.errors?.title} />
        <TextArea label={t("announcements.body")} name="body" rows={6} maxLength={MAX_ANNOUNCEMENT_CHARS} defaultValue={failed?.fields?.body ?? ""} error={failed?.errors?.body} />
        {anySchool || urgentError ? (
          <div className="field">
            <label>
              <input
                type="checkbox"
                name="urgent"
                value="1"
                defaultChecked={Boolean(failed?.fields?.urgent)}
                aria-invalid={urgentError ? true : undefined}
                aria-describedby={urgentError ? "an-urgent-help an-urgent-error" : "an-urgent-help"}
              />{" "}
              {t("announcements.urgent")}
            </label>
            <p id="an-urgent-help" className="hint">
              {t("announcements.urgentHelp")}
            </p>
            {urgentError ? (
              <p id="an-urgent-error" className="error" role="alert">
                {t(urgentError as MessageKey)}
              </p>
            ) : null}
          </div>
        ) : null}
        <button type="submit" className="primary" disabled={navigation.state === "submitting"}>
          {t("announcements.send")}
        </button>
      </Form>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "announcements.newTitle");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
