import { data, Form, useActionData, useLoaderData } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/admin.connection-sync";
import { requireSchoolAdmin } from "./_admin.server.ts";
import { formObject, readForm } from "./_form.server.ts";
import { useT, type MessageKey } from "../i18n/index.ts";
import { formatDateTime } from "../lib/vn.ts";
import { pageTitle } from "../lib/meta.ts";

const KNOWN_REASONS = ["missing_field", "unknown_value", "invalid_value", "email_other_school", "no_teacher", "student_not_synced", "grade_without_max_points"];

async function load(url: URL, context: Route.LoaderArgs["context"], connectionId: string | undefined) {
  const { syncableConnection } = await import("../services/sync/health.server.ts");
  const { getDb } = await import("../../db/client.server.ts");
  if (!connectionId || !z.uuid().safeParse(connectionId).success) throw data({ message: "not_found" }, { status: 404 });
  const { requireRole } = await import("../auth/guards.server.ts");
  // Anonymous → sign in; not an admin → 403; then a connection that is not a course platform's is not found.
  requireRole(url, context, "school_admin", "province_admin");
  const c = await syncableConnection(getDb(), connectionId);
  if (!c) throw data({ message: "not_found" }, { status: 404 });
  return { ...(await requireSchoolAdmin(url, context, c.schoolId!)), connection: c };
}

/** A Google Workspace connection's course sync: what to sync, when, "sync now", and its health. */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const { db, school, connection } = await load(url, context, params.connectionId);
  const { syncHealth } = await import("../services/sync/health.server.ts");
  return { school: { id: school.id, name: school.name }, connection: { id: connection.id, domain: connection.externalAccount ?? "", status: connection.status }, ...(await syncHealth(db, connection.id)) };
}

const ScopeForm = z.object({
  intent: z.literal("scope"),
  mode: z.enum(["all", "teachers", "courses"]),
  selection: z.string().max(20_000).default(""),
  schedule: z.enum(["hourly", "daily", "manual"]),
});

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const { db, connection } = await load(url, context, params.connectionId);
  const fields = formObject(await readForm(request, context));
  if (fields.intent === "sync") {
    const { requestSync } = await import("../services/sync/course-sync.server.ts");
    await requestSync(db, connection);
    return { requested: true };
  }
  const parsed = ScopeForm.safeParse(fields);
  if (!parsed.success) throw data({ message: "bad_request" }, { status: 400 });
  const selection = [...new Set(parsed.data.selection.split(/[\s,;]+/).map((s) => s.trim().toLowerCase()).filter(Boolean))].slice(0, 500);
  if (parsed.data.mode !== "all" && selection.length === 0) return data({ error: "courseSync.badSelection" }, { status: 400 });
  const { saveScope } = await import("../services/sync/health.server.ts");
  await saveScope(db, connection.id, { mode: parsed.data.mode, selection, schedule: parsed.data.schedule });
  return { saved: true };
}

export default function ConnectionSync() {
  const d = useLoaderData<typeof loader>();
  const a = useActionData<typeof action>() as { saved?: boolean; requested?: boolean; error?: string } | undefined;
  const t = useT();
  const last = d.runs[0];
  const sum = (what: string) => Object.entries(last?.counts ?? {}).reduce((n, [k, v]) => (k.endsWith(`.${what}`) ? n + v : n), 0);
  return (
    <>
      <p>
        <a href={`/admin/schools/${d.school.id}/connections`}>{t("courseSync.back")}</a>
      </p>
      <h1>{t("courseSync.title")}</h1>
      <p>{t("courseSync.intro", { domain: d.connection.domain })}</p>
      {a?.saved ? <p role="status">{t("courseSync.saved")}</p> : null}
      {a?.requested ? <p role="status" data-testid="sync-requested">{t("courseSync.requested")}</p> : null}
      {a?.error ? <p role="alert">{t(a.error as MessageKey)}</p> : null}
      <Form method="post">
        <input type="hidden" name="intent" value="sync" />
        <button type="submit" className="primary" data-testid="sync-now">
          {t("courseSync.syncNow")}
        </button>
      </Form>
      <section>
        <h2>{t("courseSync.health")}</h2>
        {!last ? (
          <p>{t("courseSync.never")}</p>
        ) : (
          <dl data-testid="sync-health">
            <dt>{t("courseSync.lastRun")}</dt>
            <dd>{formatDateTime(last.startedAt)}</dd>
            <dt>{t("courseSync.status")}</dt>
            <dd data-testid="sync-status">{t(`courseSync.${last.status}`)}</dd>
            {last.seconds !== null ? (
              <>
                <dt>{t("courseSync.duration")}</dt>
                <dd>{t("courseSync.seconds", { n: last.seconds })}</dd>
              </>
            ) : null}
            {(["created", "updated", "archived"] as const).map((k) => (
              <span key={k}>
                <dt>{t(`courseSync.${k}`)}</dt>
                <dd data-testid={`sync-${k}`}>{sum(k)}</dd>
              </span>
            ))}
            <dt>{t("courseSync.skipped")}</dt>
            <dd data-testid="sync-skipped">{last.counts.skipped ?? 0}</dd>
            <dt>{t("courseSync.apiCalls")}</dt>
            <dd>{t("courseSync.quota", { calls: last.apiCalls })}</dd>
            {last.error ? (
              <>
                <dt>{t("courseSync.status")}</dt>
                <dd role="alert">
                  {t("courseSync.error", { error: last.error })} {t("courseSync.errorWhat")}
                </dd>
              </>
            ) : null}
          </dl>
        )}
        {last?.counts.guardiansNotExposed ? <p>{t("courseSync.guardiansNotExposed")}</p> : null}
        {last ? (
          <>
            <h3>{t("courseSync.skips")}</h3>
            {d.skips.length === 0 ? (
              <p>{t("courseSync.noSkips")}</p>
            ) : (
              <ul data-testid="sync-skips">
                {d.skips.map((s, i) => (
                  <li key={i}>
                    <strong>
                      {t(`courseSync.kind.${s.kind}` as MessageKey)} {s.externalId}
                    </strong>
                    : {t(`courseSync.reason.${KNOWN_REASONS.includes(s.code) ? s.code : "other"}` as MessageKey, { detail: KNOWN_REASONS.includes(s.code) ? s.detail : `${s.code} ${s.detail}` })}
                  </li>
                ))}
              </ul>
            )}
          </>
        ) : null}
      </section>
      <section>
        <h2>{t("courseSync.scope")}</h2>
        <Form method="post">
          <input type="hidden" name="intent" value="scope" />
          <fieldset>
            {(["all", "teachers", "courses"] as const).map((m) => (
              <label key={m}>
                <input type="radio" name="mode" value={m} defaultChecked={d.scope.mode === m} /> {t(`courseSync.mode${m[0].toUpperCase()}${m.slice(1)}` as MessageKey)}
              </label>
            ))}
          </fieldset>
          <label>
            {t("courseSync.selection")}
            <textarea name="selection" rows={4} defaultValue={d.scope.selection.join("\n")} />
          </label>
          <label>
            {t("courseSync.schedule")}
            <select name="schedule" defaultValue={d.scope.schedule}>
              <option value="hourly">{t("courseSync.scheduleHourly")}</option>
              <option value="daily">{t("courseSync.scheduleDaily")}</option>
              <option value="manual">{t("courseSync.scheduleManual")}</option>
            </select>
          </label>
          <button type="submit">{t("courseSync.save")}</button>
        </Form>
      </section>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "courseSync.title");
export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
