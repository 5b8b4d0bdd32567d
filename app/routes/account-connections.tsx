/**
 * A teacher's own connections ("Kết nối của tôi"): their Google or Zoom account when the school
 * has none, and their Microsoft sign-in for Teams online meetings; each serves only their classes.
 */
import { data, Form, redirect, useActionData, useLoaderData } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/account-connections";
import { getDb } from "../../db/client.server.ts";
import { orgIdsWithRole } from "../auth/actor.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { clientAddress, secureCookies } from "../auth/request.server.ts";
import { connectionById, disconnect, testConnection } from "../services/connections/check.server.ts";
import { oauthRedirectUri, startFlow } from "../services/connections/oauth.server.ts";
import { teacherApp, teacherConsent, teacherOptions } from "../services/connections/teacher.server.ts";
import { ConnectionOutcome } from "../components/connection-outcome.tsx";
import { formatDateTime } from "../lib/vn.ts";
import { useT } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";
import { formObject, readForm } from "./_form.server.ts";

const PROVIDER = z.enum(["google", "microsoft", "zoom"]);
const Intent = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("connect"), provider: PROVIDER }),
  z.object({ intent: z.literal("test"), connectionId: z.uuid() }),
  z.object({ intent: z.literal("disconnect"), connectionId: z.uuid() }),
]);

function teacherSchool(url: URL, context: Route.LoaderArgs["context"]) {
  const actor = requireRole(url, context, "teacher");
  return { actor, schoolId: orgIdsWithRole(actor, "teacher")[0] };
}

export async function loader({ url, context }: Route.LoaderArgs) {
  const { actor, schoolId } = teacherSchool(url, context);
  return { options: await teacherOptions(getDb(), schoolId, actor.id) };
}

export async function action({ request, url, context }: Route.ActionArgs) {
  const { actor, schoolId } = teacherSchool(url, context);
  const db = getDb();
  const parsed = Intent.safeParse(formObject(await readForm(request, context)));
  if (!parsed.success) throw data({ message: "bad_request" }, { status: 400 });
  const input = parsed.data;
  const who = { actorId: actor.id, address: clientAddress(request) };
  if (input.intent === "connect") {
    const app = await teacherApp(db, schoolId, input.provider);
    if (!app.available) throw data({ message: "not_available" }, { status: 409 });
    const flow = await startFlow(db, request, { purpose: "teacher_connect", provider: input.provider, connectionId: app.appConnectionId, userId: actor.id, returnTo: url.pathname }, secureCookies(request));
    const to = await teacherConsent(db, schoolId, input.provider, oauthRedirectUri(request), flow.secrets, actor.email ?? undefined);
    throw redirect(to!, { headers: { "Set-Cookie": flow.cookie } });
  }
  // Only the teacher's own connections are theirs to test or remove.
  const row = await connectionById(db, input.connectionId);
  if (!row || row.teacherId !== actor.id) throw data({ message: "not_found" }, { status: 404 });
  if (input.intent === "disconnect") {
    const { revoked } = await disconnect(db, row, who);
    return { disconnected: row.provider, revoked };
  }
  return { tested: row.provider, result: await testConnection(db, row, who) };
}

export default function MyConnections() {
  const { options } = useLoaderData<typeof loader>();
  const done = useActionData<typeof action>();
  const t = useT();
  return (
    <>
      <h1>{t("myConnections.title")}</h1>
      <p>{t("myConnections.intro")}</p>
      <ConnectionOutcome done={done} connectedText={(p) => t("myConnections.connected", { provider: t(`connections.provider.${p}`) })} />
      {options.map((o) => (
        <section key={o.provider} className="card" aria-labelledby={`my-${o.provider}`} data-testid="my-connection" data-provider={o.provider}>
          <h2 id={`my-${o.provider}`}>
            {t(`connections.provider.${o.provider}`)}{" "}
            <span className={`badge status-${o.own?.status ?? "none"}`} data-testid="connection-status">
              {t(`connections.status.${o.own?.status ?? "none"}`)}
            </span>
          </h2>
          {o.own ? (
            <dl className="facts">
              <dt>{t("connections.account")}</dt>
              <dd data-testid="account-name">{o.own.accountName ?? "—"}</dd>
              <dt>{t("connections.lastOk")}</dt>
              <dd>{o.own.lastOkAt ? formatDateTime(o.own.lastOkAt) : t("connections.never")}</dd>
            </dl>
          ) : null}
          {o.own?.status === "needs_reconnect" ? (
            <p className="notice warning" role="status">
              {t("connections.reconnect.other")}
              {o.own.statusMessage ? <> {t("connections.providerSaid", { message: o.own.statusMessage })}</> : null}
            </p>
          ) : null}
          {o.own && o.own.missingScopes.length > 0 ? (
            <div className="notice warning" role="status" data-testid="google-more-scopes">
              <p>{t("connections.googleMoreScopes")}</p>
              <ul>
                {o.own.missingScopes.map((name) => (
                  <li key={name} data-scope={name}>
                    {t(`connections.googleScope.${name}`)}
                  </li>
                ))}
              </ul>
              {o.via ? (
                <Form method="post" reloadDocument>
                  <input type="hidden" name="intent" value="connect" />
                  <input type="hidden" name="provider" value={o.provider} />
                  <button type="submit" className="primary" data-testid="google-grant-more">
                    {t("connections.googleMoreGrant")}
                  </button>
                </Form>
              ) : null}
            </div>
          ) : null}
          <p className="muted">
            {o.provider === "microsoft" && o.via !== "hub"
              ? t(o.via ? "myConnections.microsoftVia" : "myConnections.microsoftNone")
              : o.schoolConnected
                ? t("myConnections.schoolHas", { provider: t(`connections.provider.${o.provider}`) })
                : o.via
                  ? t("myConnections.own", { provider: t(`connections.provider.${o.provider}`) })
                  : t("myConnections.none", { provider: t(`connections.provider.${o.provider}`) })}
          </p>
          <div className="actions">
            {o.via ? (
              <Form method="post" reloadDocument>
                <input type="hidden" name="intent" value="connect" />
                <input type="hidden" name="provider" value={o.provider} />
                <button type="submit" className={o.own ? undefined : "primary"} data-testid={`connect-${o.provider}`}>
                  {t(o.own ? "myConnections.reconnect" : "myConnections.connect", { provider: t(`connections.provider.${o.provider}`) })}
                </button>
              </Form>
            ) : null}
            {o.own ? (
              <>
                <Form method="post">
                  <input type="hidden" name="intent" value="test" />
                  <input type="hidden" name="connectionId" value={o.own.id} />
                  <button type="submit">{t("connections.test")}</button>
                </Form>
                <Form method="post">
                  <input type="hidden" name="intent" value="disconnect" />
                  <input type="hidden" name="connectionId" value={o.own.id} />
                  <button type="submit" className="danger">
                    {t("connections.disconnect")}
                  </button>
                </Form>
              </>
            ) : null}
          </div>
        </section>
      ))}
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "myConnections.title");
export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
