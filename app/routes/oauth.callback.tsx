/**
 * Where Google and Microsoft send the browser back (`/oauth/callback`, the one redirect URI every
 * app registers): the attempt named by `state` is taken once, then finished by its purpose —
 * connecting a school's Google Workspace, signing in, or linking an account. A refused callback
 * says why and stores nothing.
 */
import { data, redirect, useLoaderData } from "react-router";
import type { Route } from "./+types/oauth.callback";
import { getDb } from "../../db/client.server.ts";
import { getActor } from "../auth/guards.server.ts";
import { homePath, loadMemberships, orgIdsWithRole } from "../auth/actor.server.ts";
import { finishTeacherConnect } from "../services/connections/teacher.server.ts";
import { clientAddress, secureCookies } from "../auth/request.server.ts";
import { createSession, generateSessionToken, sessionCookie } from "../auth/session.server.ts";
import { takeFlow, OAUTH_COOKIE } from "../services/connections/oauth.server.ts";
import { connectionById } from "../services/connections/check.server.ts";
import { finishGoogleConnect } from "../services/connections/google.server.ts";
import { finishLink, finishSignIn } from "../services/connections/sso.server.ts";
import { audit } from "../services/connections/store.server.ts";
import { oauthRefusal, type OAuthRefusal } from "../lib/oauth-refusals.ts";
import { Link } from "../components/link.tsx";
import { useT } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";
import { safeNext } from "./_form.server.ts";

const clearBinding = (secure: boolean) => `${OAUTH_COOKIE}=; Path=/oauth; HttpOnly; SameSite=Lax; Max-Age=0${secure ? "; Secure" : ""}`;

function refused(reason: OAuthRefusal, email?: string, status = 400) {
  return data({ reason, email: email ?? "" }, { status, headers: { "Cache-Control": "no-store" } });
}

function withQuery(path: string, q: Record<string, string | undefined>) {
  const u = new URL(path, "http://x");
  for (const [k, v] of Object.entries(q)) if (v) u.searchParams.set(k, v);
  return u.pathname + u.search;
}

export async function loader({ request, url, context }: Route.LoaderArgs) {
  const db = getDb();
  const taken = await takeFlow(db, request, url.searchParams.get("state"));
  if (!taken.ok) return refused(taken.reason);
  const flow = taken.flow;
  const secure = secureCookies(request);
  const address = clientAddress(request);
  const providerError = url.searchParams.get("error");
  const actor = getActor(context);
  const back = flow.returnTo ?? "/";
  const headers = new Headers({ "Set-Cookie": clearBinding(secure) });

  if (flow.purpose === "teacher_connect") {
    const schoolId = actor ? orgIdsWithRole(actor, "teacher")[0] : undefined;
    if (!actor || actor.id !== flow.userId || !schoolId) return refused("state_foreign", undefined, 403);
    if (providerError) throw redirect(withQuery(back, { oauth_error: oauthRefusal(providerError) }), { headers });
    const r = await finishTeacherConnect(db, { schoolId, teacherId: actor.id, provider: flow.provider, appConnectionId: flow.connectionId }, url, flow.secrets, { actorId: actor.id, address });
    throw redirect(r.ok ? withQuery(back, { connected: flow.provider }) : withQuery(back, { oauth_error: r.reason, email: r.email }), { headers });
  }

  const row = flow.connectionId ? await connectionById(db, flow.connectionId) : null;
  if (!row) return refused("not_configured", undefined, 404);

  if (flow.purpose === "connect" || flow.purpose === "link") {
    // Only the person who started it may finish it, in their own session.
    if (!actor || actor.id !== flow.userId) return refused("state_foreign", undefined, 403);
    if (providerError) {
      await audit(db, { schoolId: row.schoolId, connectionId: row.id, provider: row.provider }, flow.purpose === "connect" ? "connect" : "identity_link", { actorId: actor.id, address }, providerError.slice(0, 60));
      throw redirect(withQuery(back, { oauth_error: oauthRefusal(providerError) }), { headers });
    }
    if (flow.purpose === "connect") {
      const r = await finishGoogleConnect(db, row, url, flow.secrets, { actorId: actor.id, address });
      throw redirect(r.ok ? withQuery(back, { connected: "google" }) : withQuery(back, { oauth_error: r.reason, email: r.email }), { headers });
    }
    const r = await finishLink(db, row, actor.id, url, flow.secrets, address);
    throw redirect(r.ok ? withQuery(back, { linked: row.provider }) : withQuery(back, { oauth_error: r.reason, email: r.email }), { headers });
  }

  // Signing in.
  if (providerError) return refused(oauthRefusal(providerError));
  const r = await finishSignIn(db, row, url, flow.secrets, address);
  if (!r.ok) return refused(r.reason, r.email, 403);
  const token = generateSessionToken();
  const session = await createSession(db, token, r.userId);
  const memberships = await loadMemberships(db, r.userId);
  headers.append("Set-Cookie", sessionCookie(token, session.expiresAt, secure));
  throw redirect(safeNext(flow.returnTo, homePath({ memberships })), { headers });
}

export default function OAuthCallback() {
  const { reason, email } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <div className="narrow">
      <section className="card">
        <h1>{t("oauth.title")}</h1>
        <p className="banner banner-error" role="alert" data-testid="oauth-refused" data-reason={reason}>
          {t(`oauth.refused.${reason}`, { email })}
        </p>
        <p>
          <Link to="/login">{t("oauth.back")}</Link>
        </p>
      </section>
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "oauth.title");
