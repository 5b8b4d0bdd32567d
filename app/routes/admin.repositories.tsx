import { Form, useActionData, useLoaderData } from "react-router";
import { inArray } from "drizzle-orm";
import { z } from "zod";
import type { Route } from "./+types/admin.repositories";
import { Link } from "../components/link.tsx";
import { Field } from "../components/forms.tsx";
import { organizations } from "../../db/schema/index.ts";
import { useT, type MessageKey } from "../i18n/index.ts";
import { formatDateTime } from "../lib/vn.ts";
import { pageTitle } from "../lib/meta.ts";
import { badRequest, formObject, readForm, fieldMessages } from "./_form.server.ts";
import { requireRepositoryAdmin } from "./_repositories.server.ts";

/** The repositories an admin manages (the province's and its schools', or their school's) and the add form. */
export async function loader({ url, context }: Route.LoaderArgs) {
  const { db, orgIds } = await requireRepositoryAdmin(url, context);
  const { repositoryList } = await import("../services/library/repositories.server.ts");
  const rows = await repositoryList(db, orgIds);
  const owners = orgIds.length ? await db.select({ id: organizations.id, name: organizations.name, kind: organizations.kind }).from(organizations).where(inArray(organizations.id, orgIds)) : [];
  owners.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name, "vi") : a.kind === "province" ? -1 : 1));
  return {
    owners,
    repositories: rows.map((r) => ({
      id: r.id,
      name: r.name,
      baseUrl: r.baseUrl,
      ownerName: r.ownerName,
      metadataPrefix: r.metadataPrefix,
      schedule: r.schedule,
      resources: r.resources,
      lastRun: r.lastRun ? { status: r.lastRun.status, startedAt: r.lastRun.startedAt.toISOString(), added: r.lastRun.added, updated: r.lastRun.updated, deleted: r.lastRun.deleted, skipped: r.lastRun.skipped } : null,
    })),
  };
}

const AddForm = z.object({
  ownerOrgId: z.uuid("errors.required"),
  baseUrl: z.string().trim().min(1, "errors.required").max(500, "errors.too_long"),
  name: z.string().trim().max(200, "errors.too_long").optional(),
  metadataPrefix: z.enum(["oai_dc", "lom"]).default("oai_dc"),
  sets: z.string().max(2000, "errors.too_long").optional(),
  schedule: z.enum(["daily", "weekly", "manual"]).default("daily"),
});

/** Adds a repository after checking its base URL (Identify, ListMetadataFormats). */
export async function action({ request, url, context }: Route.ActionArgs) {
  const { actor, db, orgIds } = await requireRepositoryAdmin(url, context);
  const fields = formObject(await readForm(request, context));
  const parsed = AddForm.safeParse(fields);
  if (!parsed.success) {
    const errors = fieldMessages(parsed.error.issues);
    return badRequest({ errors, values: fields });
  }
  const input = parsed.data;
  if (!orgIds.includes(input.ownerOrgId)) return badRequest({ errors: { ownerOrgId: "repositories.error.notOwner" }, values: fields });
  const { registerRepository, RepositoryCheckError } = await import("../services/library/harvest.server.ts");
  try {
    const { repository } = await registerRepository(db, {
      ownerOrgId: input.ownerOrgId,
      baseUrl: input.baseUrl,
      name: input.name,
      metadataPrefix: input.metadataPrefix,
      sets: (input.sets ?? "").split(",").map((s) => s.trim()).filter(Boolean).slice(0, 50),
      schedule: input.schedule,
      createdBy: actor.id,
    });
    return { saved: { id: repository.id, name: repository.name } };
  } catch (e) {
    if (e instanceof RepositoryCheckError) return badRequest({ errors: { baseUrl: e.key }, detail: e.detail ?? null, values: fields });
    throw e;
  }
}

export default function Repositories() {
  const { repositories, owners } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as { saved?: { id: string; name: string }; errors?: Record<string, string>; detail?: string | null; values?: Record<string, string> } | undefined;
  const t = useT();
  const errors = result?.errors ?? {};
  const values = result?.errors ? (result.values ?? {}) : {};
  return (
    <>
      <h1>{t("repositories.title")}</h1>
      <p className="muted">{t("repositories.intro")}</p>
      {repositories.length === 0 ? (
        <p>{t("repositories.none")}</p>
      ) : (
        <table className="table" data-testid="repositories">
          <thead>
            <tr>
              <th>{t("repositories.col.name")}</th>
              <th>{t("repositories.col.owner")}</th>
              <th>{t("repositories.col.format")}</th>
              <th>{t("repositories.col.schedule")}</th>
              <th>{t("repositories.col.resources")}</th>
              <th>{t("repositories.col.lastHarvest")}</th>
            </tr>
          </thead>
          <tbody>
            {repositories.map((r) => (
              <tr key={r.id} data-testid="repository">
                <td>
                  <Link to={`/admin/repositories/${r.id}`}>{r.name}</Link>
                  <br />
                  <span className="muted">{r.baseUrl}</span>
                </td>
                <td>{r.ownerName}</td>
                <td>{r.metadataPrefix}</td>
                <td>{t(`repositories.schedule.${r.schedule}` as MessageKey)}</td>
                <td>{r.resources}</td>
                <td>
                  {r.lastRun
                    ? `${formatDateTime(new Date(r.lastRun.startedAt))} — ${t(`repositories.run.status.${r.lastRun.status}` as MessageKey)} (+${r.lastRun.added} ~${r.lastRun.updated} −${r.lastRun.deleted}, ${t("repositories.run.skipped")} ${r.lastRun.skipped})`
                    : t("repositories.never")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <section className="card" aria-labelledby="add-repo">
        <h2 id="add-repo">{t("repositories.add.title")}</h2>
        {result?.saved ? (
          <p role="status" data-testid="saved">
            {t("repositories.add.saved", { name: result.saved.name })} <Link to={`/admin/repositories/${result.saved.id}`}>{t("repositories.harvestNow")}</Link>
          </p>
        ) : null}
        <Form method="post">
          <div className="field">
            <label htmlFor="ownerOrgId">{t("repositories.add.owner")}</label>
            <select id="ownerOrgId" name="ownerOrgId" defaultValue={values.ownerOrgId ?? owners[0]?.id}>
              {owners.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
            {errors.ownerOrgId ? <p className="error" role="alert">{t(errors.ownerOrgId as MessageKey)}</p> : null}
          </div>
          <Field label={t("repositories.add.baseUrl")} name="baseUrl" type="url" required defaultValue={values.baseUrl} hint={t("repositories.add.baseUrlHint")} error={errors.baseUrl} />
          {errors.baseUrl && result?.detail ? <p className="muted" data-testid="detail">{result.detail}</p> : null}
          <Field label={t("repositories.add.name")} name="name" defaultValue={values.name} error={errors.name} />
          <fieldset>
            <legend>{t("repositories.add.format")}</legend>
            {(["oai_dc", "lom"] as const).map((f) => (
              <label key={f}>
                <input type="radio" name="metadataPrefix" value={f} defaultChecked={(values.metadataPrefix ?? "oai_dc") === f} /> {t(`repositories.format.${f}`)}
              </label>
            ))}
          </fieldset>
          <Field label={t("repositories.add.sets")} name="sets" defaultValue={values.sets} error={errors.sets} />
          <div className="field">
            <label htmlFor="schedule">{t("repositories.add.schedule")}</label>
            <select id="schedule" name="schedule" defaultValue={values.schedule ?? "daily"}>
              {(["daily", "weekly", "manual"] as const).map((s) => (
                <option key={s} value={s}>
                  {t(`repositories.schedule.${s}`)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">{t("repositories.add.submit")}</button>
        </Form>
      </section>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "repositories.title");
