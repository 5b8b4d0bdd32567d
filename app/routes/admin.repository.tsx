import { data, Form, useActionData, useLoaderData } from "react-router";
import type { Route } from "./+types/admin.repository";
import { Link } from "../components/link.tsx";
import { useT, type MessageKey } from "../i18n/index.ts";
import { formatDateTime } from "../lib/vn.ts";
import { pageTitle } from "../lib/meta.ts";
import { formObject, readForm } from "./_form.server.ts";
import { requireRepositoryAdmin, requireRepositoryId } from "./_repositories.server.ts";

/** One repository: what Identify said, its last harvests with their counts, skipped records and errors. */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const { db, orgIds } = await requireRepositoryAdmin(url, context);
  const id = requireRepositoryId(params.repositoryId);
  const { repositoryDetail } = await import("../services/library/repositories.server.ts");
  const { parseErrorText } = await import("../services/library/harvest.server.ts");
  const found = await repositoryDetail(db, id, orgIds);
  if (!found) throw data({ message: "not_found" }, { status: 404 });
  const r = found.repository;
  return {
    repository: { id: r.id, name: r.name, baseUrl: r.baseUrl, ownerName: r.ownerName, metadataPrefix: r.metadataPrefix, sets: r.sets, schedule: r.schedule, granularity: r.granularity, deletedRecord: r.deletedRecord, lastDatestamp: r.lastDatestamp, resources: r.resources },
    runs: found.runs.map((h) => ({
      id: h.id,
      mode: h.mode,
      status: h.status,
      startedAt: h.startedAt.toISOString(),
      seconds: h.finishedAt ? Math.max(0, Math.round((h.finishedAt.getTime() - h.startedAt.getTime()) / 1000)) : null,
      added: h.added,
      updated: h.updated,
      deleted: h.deleted,
      skipped: h.skipped,
      error: parseErrorText(h.error),
      skips: h.skips.map((s) => {
        const [code, ...detail] = s.reason.split(": ");
        return { identifier: s.identifier, code: code!, detail: detail.join(": ") };
      }),
    })),
  };
}

/** "Thu thập ngay": an open run that the library-harvest job picks up within minutes. */
export async function action({ request, url, context, params }: Route.ActionArgs) {
  const { db, orgIds } = await requireRepositoryAdmin(url, context);
  const id = requireRepositoryId(params.repositoryId);
  const fields = formObject(await readForm(request, context));
  if (fields.intent !== "harvest") throw data({ message: "bad_request" }, { status: 400 });
  const { repositoryDetail } = await import("../services/library/repositories.server.ts");
  if (!(await repositoryDetail(db, id, orgIds, 0))) throw data({ message: "not_found" }, { status: 404 });
  const { requestHarvest } = await import("../services/library/harvest.server.ts");
  const asked = await requestHarvest(db, id, { full: fields.full === "1" });
  return { queued: !asked.alreadyOpen, alreadyOpen: asked.alreadyOpen };
}

export default function RepositoryPage() {
  const { repository: r, runs } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  return (
    <>
      <p>
        <Link to="/admin/repositories">← {t("repositories.title")}</Link>
      </p>
      <h1>{r.name}</h1>
      <dl className="facts">
        <dt>{t("repositories.detail.baseUrl")}</dt>
        <dd>{r.baseUrl}</dd>
        <dt>{t("repositories.col.owner")}</dt>
        <dd>{r.ownerName}</dd>
        <dt>{t("repositories.col.format")}</dt>
        <dd>{r.metadataPrefix}</dd>
        <dt>{t("repositories.detail.sets")}</dt>
        <dd>{r.sets.length ? r.sets.join(", ") : t("repositories.detail.allSets")}</dd>
        <dt>{t("repositories.col.schedule")}</dt>
        <dd>{t(`repositories.schedule.${r.schedule}` as MessageKey)}</dd>
        <dt>{t("repositories.detail.granularity")}</dt>
        <dd>{r.granularity}</dd>
        <dt>{t("repositories.detail.deletedRecord")}</dt>
        <dd>{r.deletedRecord}</dd>
        <dt>{t("repositories.detail.lastDatestamp")}</dt>
        <dd>{r.lastDatestamp ?? t("repositories.never")}</dd>
        <dt>{t("repositories.col.resources")}</dt>
        <dd data-testid="resources">{r.resources}</dd>
      </dl>
      <Form method="post">
        <input type="hidden" name="intent" value="harvest" />
        <button type="submit">{t("repositories.harvestNow")}</button>
      </Form>
      {result ? (
        <p role="status" data-testid="queued">
          {t(result.alreadyOpen ? "repositories.harvestAlreadyQueued" : "repositories.harvestQueued")}
        </p>
      ) : null}
      <h2>{t("repositories.detail.runs")}</h2>
      {runs.length === 0 ? <p>{t("repositories.detail.noRuns")}</p> : null}
      {runs.map((h) => (
        <section key={h.id} className="card" data-testid="run" data-status={h.status}>
          <h3>
            {formatDateTime(new Date(h.startedAt))} — {t(`repositories.run.status.${h.status}` as MessageKey)} ({t(`repositories.run.mode.${h.mode}` as MessageKey)}
            {h.seconds !== null ? `, ${t("repositories.run.seconds", { n: h.seconds })}` : ""})
          </h3>
          <p>
            {t("repositories.run.added")}: {h.added} · {t("repositories.run.updated")}: {h.updated} · {t("repositories.run.deleted")}: {h.deleted} · {t("repositories.run.skipped")}: {h.skipped}
          </p>
          {h.error ? (
            <p className="error" data-testid="run-error">
              {t(h.error.key as MessageKey)}
              {h.error.detail ? <span className="muted"> ({h.error.detail})</span> : null}
            </p>
          ) : null}
          {h.skips.length ? (
            <details>
              <summary>{t("repositories.run.skips")}</summary>
              <ul data-testid="skips">
                {h.skips.map((s, i) => (
                  <li key={i}>
                    <code>{s.identifier || t("repositories.run.noIdentifier")}</code>: {t(`repositories.skip.${s.code}` as MessageKey)}
                    {s.detail ? ` (${s.detail})` : ""}
                  </li>
                ))}
              </ul>
            </details>
          ) : null}
        </section>
      ))}
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "repositories.title");
