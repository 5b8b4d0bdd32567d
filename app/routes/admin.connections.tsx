import { data, Form, useActionData, useLoaderData } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/admin.connections";
import { clientAddress } from "../auth/request.server.ts";
import { schoolConnection, testConnection } from "../services/connections/check.server.ts";
import { zoomWebhookUrl } from "../services/connections/zoom.server.ts";
import { schoolAudit, schoolConnections, type ConnectionView } from "../services/connections/overview.server.ts";
import { useT, type MessageKey } from "../i18n/index.ts";
import { formatDateTime } from "../lib/vn.ts";
import { pageTitle } from "../lib/meta.ts";
import { formObject, readForm } from "./_form.server.ts";
import { requireSchoolAdmin } from "./_admin.server.ts";

const PROVIDERS = ["google", "microsoft", "zoom"] as const;

/** A school's connections to Google Workspace, Microsoft 365 and Zoom: its admins and the province's. */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const { db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const [connections, audit] = await Promise.all([schoolConnections(db, school.id), schoolAudit(db, school.id)]);
  const zoomWebhook = connections.school.zoom ? zoomWebhookUrl(connections.school.zoom.id) : null;
  return { school: { id: school.id, name: school.name, code: school.code }, connections, audit, zoomWebhook };
}

/** "Kiểm tra kết nối": one real call for one of this school's connections. */
export async function action({ request, url, context, params }: Route.ActionArgs) {
  const { actor, db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const fields = formObject(await readForm(request, context));
  const parsed = z.object({ intent: z.literal("test"), connectionId: z.uuid() }).safeParse(fields);
  if (!parsed.success) throw data({ message: "bad_request" }, { status: 400 });
  const row = await schoolConnection(db, school.id, parsed.data.connectionId);
  if (!row) throw data({ message: "not_found" }, { status: 404 });
  const result = await testConnection(db, row, { actorId: actor.id, address: clientAddress(request) });
  return { tested: row.provider, result };
}

function StatusBadge({ status }: { status: ConnectionView["status"] | "none" }) {
  const t = useT();
  return (
    <span className={`badge status-${status}`} data-testid="connection-status" data-status={status}>
      {t(`connections.status.${status}`)}
    </span>
  );
}

function ConnectionCard({ provider, connection, schoolCode, webhook }: { provider: (typeof PROVIDERS)[number]; connection: ConnectionView | null; schoolCode: string; webhook?: string | null }) {
  const t = useT();
  const titleId = `conn-${provider}`;
  return (
    <section className="card" aria-labelledby={titleId} data-testid="connection" data-provider={provider}>
      <h2 id={titleId}>
        {t(`connections.provider.${provider}`)} <StatusBadge status={connection?.status ?? "none"} />
      </h2>
      {connection ? (
        <dl className="facts">
          {connection.accountName ? (
            <>
              <dt>{t("connections.account")}</dt>
              <dd data-testid="account-name">{connection.accountName}</dd>
            </>
          ) : null}
          {connection.externalAccount ? (
            <>
              <dt>{t(`connections.external.${provider}`)}</dt>
              <dd>{connection.externalAccount}</dd>
            </>
          ) : null}
          {connection.clientId ? (
            <>
              <dt>{t("connections.clientId")}</dt>
              <dd>{connection.clientId}</dd>
            </>
          ) : null}
          {webhook ? (
            <>
              <dt>{t("connections.webhook")}</dt>
              <dd>
                <code data-testid="webhook-url">{webhook}</code>
              </dd>
            </>
          ) : null}
          <dt>{t("connections.lastOk")}</dt>
          <dd>{connection.lastOkAt ? formatDateTime(connection.lastOkAt) : t("connections.never")}</dd>
          <dt>{t("connections.connectedBy")}</dt>
          <dd>
            {connection.connectedAt
              ? t("connections.connectedByWhen", { who: connection.connectedBy ?? t("connections.operator"), when: formatDateTime(connection.connectedAt) })
              : t("connections.notYet")}
          </dd>
        </dl>
      ) : null}
      {connection?.status === "needs_reconnect" ? (
        <p className="notice warning" role="status" data-testid="connection-advice">
          {t(`connections.reconnect.${reconnectReason(connection.statusReason)}`)}
          {connection.statusMessage ? <> {t("connections.providerSaid", { message: connection.statusMessage })}</> : null}
        </p>
      ) : null}
      {connection?.status === "error" ? (
        <p className="notice error" role="status" data-testid="connection-advice">
          {t("connections.errorAdvice")}
          {connection.statusMessage ? <> {t("connections.providerSaid", { message: connection.statusMessage })}</> : null}
        </p>
      ) : null}
      {connection ? (
        <Form method="post" className="actions">
          <input type="hidden" name="intent" value="test" />
          <input type="hidden" name="connectionId" value={connection.id} />
          <button type="submit" data-testid="test-connection">
            {t("connections.test")}
          </button>
        </Form>
      ) : null}
      {!connection || connection.status === "needs_reconnect" ? (
        <div className="muted">
          <p>{t(`connections.how.${provider}`)}</p>
          <pre className="command">{connectCommand(provider, schoolCode)}</pre>
        </div>
      ) : null}
    </section>
  );
}

function reconnectReason(reason: string | null): "invalid_grant" | "invalid_client" | "other" {
  return reason === "invalid_grant" || reason === "invalid_client" ? reason : "other";
}

function connectCommand(provider: (typeof PROVIDERS)[number], code: string): string {
  switch (provider) {
    case "zoom":
      return `npm run cli -- connect zoom --school ${code} --account-id … --client-id … --client-secret … --webhook-secret …`;
    case "google":
      return `npm run cli -- connect google --school ${code} --client-id … --client-secret … --domain …`;
    case "microsoft":
      return `npm run cli -- connect microsoft --school ${code} --tenant-id … --client-id … --client-secret …`;
  }
}

export default function ConnectionsPage() {
  const { school, connections, audit, zoomWebhook } = useLoaderData<typeof loader>();
  const tested = useActionData<typeof action>();
  const t = useT();
  return (
    <>
      <h1>{t("connections.title")}</h1>
      <p className="muted">{school.name}</p>
      <p>{t("connections.intro")}</p>
      {tested ? (
        <p className={`banner ${tested.result.ok ? "banner-ok" : "banner-error"}`} role="status" data-testid="test-result">
          {tested.result.ok
            ? t("connections.testOk", { provider: t(`connections.provider.${tested.tested}`), account: tested.result.accountName })
            : t("connections.testFailed", { provider: t(`connections.provider.${tested.tested}`), message: tested.result.message })}
        </p>
      ) : null}
      {PROVIDERS.map((p) => (
        <ConnectionCard key={p} provider={p} connection={connections.school[p]} schoolCode={school.code} webhook={p === "zoom" ? zoomWebhook : null} />
      ))}
      <section className="card" aria-labelledby="teacher-conns">
        <h2 id="teacher-conns">{t("connections.teachersTitle")}</h2>
        {connections.teachers.length === 0 ? (
          <p className="muted">{t("connections.teachersNone")}</p>
        ) : (
          <ul data-testid="teacher-connections">
            {connections.teachers.map((c) => (
              <li key={c.id}>
                {c.teacher} — {t(`connections.provider.${c.provider}`)} <StatusBadge status={c.status} />
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="audit-title">
        <h2 id="audit-title">{t("connections.auditTitle")}</h2>
        {audit.length === 0 ? (
          <p className="muted">{t("connections.auditNone")}</p>
        ) : (
          <div className="table-wrap">
            <table data-testid="connection-audit">
              <caption className="visually-hidden">{t("connections.auditTitle")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("connections.auditWhen")}</th>
                  <th scope="col">{t("connections.auditWhat")}</th>
                  <th scope="col">{t("connections.auditWho")}</th>
                  <th scope="col">{t("connections.auditFrom")}</th>
                </tr>
              </thead>
              <tbody>
                {audit.map((a) => (
                  <tr key={a.id}>
                    <td>{formatDateTime(a.at)}</td>
                    <td>
                      {t(`connections.provider.${a.provider}`)}: {t(`connections.action.${a.action}` as MessageKey)}
                      {a.outcome !== "ok" ? ` (${a.outcome})` : ""}
                    </td>
                    <td>{a.actor ?? t("connections.operator")}</td>
                    <td>{a.address === "cli" ? t("connections.cli") : (a.address ?? "—")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "connections.title");
export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
