import { data, Form, redirect, useActionData, useLoaderData } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/admin.connections";
import { clientAddress, secureCookies } from "../auth/request.server.ts";
import { disconnect, schoolConnection, testConnection } from "../services/connections/check.server.ts";
import { upsertZoomConnection, zoomWebhookUrl } from "../services/connections/zoom.server.ts";
import { upsertMicrosoftConnection } from "../services/connections/microsoft.server.ts";
import { googleConsentUrl, upsertGoogleConnection } from "../services/connections/google.server.ts";
import { oauthRedirectUri, startFlow } from "../services/connections/oauth.server.ts";
import { GOOGLE_SCHOOL_SCOPES, type GoogleScopeName } from "../../integrations/google/config.ts";
import { Field } from "../components/forms.tsx";
import { ConnectionOutcome } from "../components/connection-outcome.tsx";
import { badRequest, fieldMessages } from "./_form.server.ts";
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

const text = (max: number) => z.string().trim().min(1, "errors.required").max(max, "errors.too_long");
const secret = text(500);

const Intent = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("test"), connectionId: z.uuid() }),
  z.object({ intent: z.literal("disconnect"), connectionId: z.uuid() }),
  z.object({ intent: z.literal("google_consent") }),
  z.object({
    intent: z.literal("save_google"),
    clientId: text(200).regex(/^[\w.-]+$/, "connections.form.badClientId"),
    clientSecret: secret,
    domain: z.string().trim().toLowerCase().max(253).regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, "connections.form.badDomain"),
  }),
  z.object({ intent: z.literal("save_zoom"), accountId: text(100), clientId: text(200), clientSecret: secret, webhookSecret: secret }),
  z.object({ intent: z.literal("save_microsoft"), tenantId: z.string().trim().regex(/^[A-Za-z0-9.-]{1,100}$/, "connections.form.badTenant"), clientId: z.string().trim().regex(/^[A-Za-z0-9-]{1,100}$/, "connections.form.badClientId"), clientSecret: secret }),
]);

/**
 * The school's admins: save a provider's app (then test it), grant Google its scopes through the
 * web flow, test one connection ("Kiểm tra kết nối"), or disconnect one.
 */
export async function action({ request, url, context, params }: Route.ActionArgs) {
  const { actor, db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const fields = formObject(await readForm(request, context));
  const parsed = Intent.safeParse(fields);
  if (!parsed.success) {
    const intent = typeof fields.intent === "string" && /^save_(google|zoom|microsoft)$/.test(fields.intent) ? fields.intent : null;
    if (!intent) throw data({ message: "bad_request" }, { status: 400 });
    const errors = fieldMessages(parsed.error.issues);
    return badRequest({ form: intent, errors });
  }
  const who = { actorId: actor.id, address: clientAddress(request) };
  const input = parsed.data;
  switch (input.intent) {
    case "test":
    case "disconnect": {
      const row = await schoolConnection(db, school.id, input.connectionId);
      if (!row) throw data({ message: "not_found" }, { status: 404 });
      if (input.intent === "disconnect") {
        const { revoked } = await disconnect(db, row, who);
        return { disconnected: row.provider, revoked };
      }
      return { tested: row.provider, result: await testConnection(db, row, who) };
    }
    case "google_consent": {
      const row = (await schoolConnections(db, school.id)).school.google;
      const full = row ? await schoolConnection(db, school.id, row.id) : null;
      if (!full) throw data({ message: "not_found" }, { status: 404 });
      const flow = await startFlow(db, request, { purpose: "connect", provider: "google", connectionId: full.id, userId: actor.id, returnTo: url.pathname }, secureCookies(request));
      const to = await googleConsentUrl(full, oauthRedirectUri(request), flow.secrets);
      throw redirect(to, { headers: { "Set-Cookie": flow.cookie } });
    }
    case "save_google": {
      const saved = await upsertGoogleConnection(db, { schoolCode: school.code, clientId: input.clientId, clientSecret: input.clientSecret, domain: input.domain }, who);
      return { saved: "google" as const, status: saved.status };
    }
    case "save_zoom":
    case "save_microsoft": {
      const saved =
        input.intent === "save_zoom"
          ? await upsertZoomConnection(db, { schoolCode: school.code, accountId: input.accountId, clientId: input.clientId, clientSecret: input.clientSecret, webhookSecret: input.webhookSecret }, who)
          : await upsertMicrosoftConnection(db, { schoolCode: school.code, tenantId: input.tenantId, clientId: input.clientId, clientSecret: input.clientSecret }, who);
      const row = await schoolConnection(db, school.id, saved.id);
      return { tested: row!.provider, result: await testConnection(db, row!, who) };
    }
  }
}

function StatusBadge({ status }: { status: ConnectionView["status"] | "none" }) {
  const t = useT();
  return (
    <span className={`badge status-${status}`} data-testid="connection-status" data-status={status}>
      {t(`connections.status.${status}`)}
    </span>
  );
}

function ConnectionCard({
  provider,
  connection,
  schoolCode,
  webhook,
  errors,
}: {
  provider: (typeof PROVIDERS)[number];
  connection: ConnectionView | null;
  schoolCode: string;
  webhook?: string | null;
  errors?: Record<string, string>;
}) {
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
      {provider === "google" && connection?.status === "connected" && connection.missingScopes.length > 0 ? <GoogleMoreScopes missing={connection.missingScopes} /> : null}
      {provider === "google" && connection ? <GoogleConsent connected={connection.status === "connected"} /> : null}
      {provider === "google" && connection?.status === "connected" ? (
        <p>
          <a href={`/admin/connections/${connection.id}/sync`} data-testid="classroom-sync">
            {t("courseSync.manage")}
          </a>
        </p>
      ) : null}
      {connection ? (
        <div className="actions">
          <Form method="post">
            <input type="hidden" name="intent" value="test" />
            <input type="hidden" name="connectionId" value={connection.id} />
            <button type="submit" data-testid="test-connection">
              {t("connections.test")}
            </button>
          </Form>
          <Form
            method="post"
            onSubmit={(e) => {
              if (!window.confirm(t("connections.disconnectConfirm", { provider: t(`connections.provider.${provider}`) }))) e.preventDefault();
            }}
          >
            <input type="hidden" name="intent" value="disconnect" />
            <input type="hidden" name="connectionId" value={connection.id} />
            <button type="submit" className="danger" data-testid="disconnect">
              {t("connections.disconnect")}
            </button>
          </Form>
        </div>
      ) : null}
      <AppForm provider={provider} open={!connection} errors={errors} />
      {!connection || connection.status === "needs_reconnect" ? (
        <div className="muted">
          <p>{t(`connections.how.${provider}`)}</p>
          <pre className="command">{connectCommand(provider, schoolCode)}</pre>
        </div>
      ) : null}
    </section>
  );
}

/** The scopes Google will ask the domain's admin for, each explained, and the button to grant them. */
function GoogleConsent({ connected }: { connected: boolean }) {
  const t = useT();
  return (
    <div data-testid="google-consent">
      <p>{t("connections.googleConsentIntro")}</p>
      <ul>
        {GOOGLE_SCHOOL_SCOPES.map((s) => (
          <li key={s.name}>{t(`connections.googleScope.${s.name}`)}</li>
        ))}
      </ul>
      <Form method="post">
        <input type="hidden" name="intent" value="google_consent" />
        <button type="submit" className={connected ? undefined : "primary"} data-testid="google-grant">
          {connected ? t("connections.googleRegrant") : t("connections.googleGrant")}
        </button>
      </Form>
    </div>
  );
}

/**
 * "Cấp thêm quyền": a connected grant that lacks scopes the hub asks for now (a capability added
 * since, such as reading Forms quizzes) keeps working for the rest; its admin consents again
 * through the same flow, which adds the new scopes to the grant.
 */
function GoogleMoreScopes({ missing }: { missing: readonly GoogleScopeName[] }) {
  const t = useT();
  return (
    <div className="notice warning" role="status" data-testid="google-more-scopes">
      <p>{t("connections.googleMoreScopes")}</p>
      <ul>
        {missing.map((name) => (
          <li key={name} data-scope={name}>
            {t(`connections.googleScope.${name}`)}
          </li>
        ))}
      </ul>
      <p>{t("connections.googleMoreScopesAfter")}</p>
      <Form method="post">
        <input type="hidden" name="intent" value="google_consent" />
        <button type="submit" className="primary" data-testid="google-grant-more">
          {t("connections.googleMoreGrant")}
        </button>
      </Form>
    </div>
  );
}

const APP_FIELDS = {
  google: [
    { name: "clientId", type: "text" },
    { name: "clientSecret", type: "password" },
    { name: "domain", type: "text" },
  ],
  zoom: [
    { name: "accountId", type: "text" },
    { name: "clientId", type: "text" },
    { name: "clientSecret", type: "password" },
    { name: "webhookSecret", type: "password" },
  ],
  microsoft: [
    { name: "tenantId", type: "text" },
    { name: "clientId", type: "text" },
    { name: "clientSecret", type: "password" },
  ],
} as const;

/** The provider's app credentials; secrets are never shown back (each save sends them again). */
function AppForm({ provider, open, errors }: { provider: (typeof PROVIDERS)[number]; open: boolean; errors?: Record<string, string> }) {
  const t = useT();
  return (
    <details open={open || Boolean(errors)} data-testid={`app-form-${provider}`}>
      <summary>{open ? t("connections.form.add") : t("connections.form.update")}</summary>
      <Form method="post" autoComplete="off">
        <input type="hidden" name="intent" value={`save_${provider}`} />
        {APP_FIELDS[provider].map((f) => (
          <Field
            key={f.name}
            label={t(`connections.form.${f.name}`)}
            name={f.name}
            type={f.type}
            required
            autoComplete={f.type === "password" ? "new-password" : "off"}
            spellCheck={false}
            error={errors?.[f.name] as MessageKey | undefined}
          />
        ))}
        <button type="submit" className="primary">
          {t("connections.form.save")}
        </button>
      </Form>
    </details>
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
  const done = useActionData<typeof action>();
  const t = useT();
  return (
    <>
      <h1>{t("connections.title")}</h1>
      <p className="muted">{school.name}</p>
      <p>{t("connections.intro")}</p>
      <ConnectionOutcome done={done} connectedText={() => t("connections.googleConnected")} />
      {done && "saved" in done ? (
        <p className="banner banner-ok" role="status" data-testid="test-result">
          {t("connections.googleSaved")}
        </p>
      ) : null}
      {PROVIDERS.map((p) => (
        <ConnectionCard
          key={p}
          provider={p}
          connection={connections.school[p]}
          schoolCode={school.code}
          webhook={p === "zoom" ? zoomWebhook : null}
          errors={done && "form" in done && done.form === `save_${p}` ? done.errors : undefined}
        />
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
