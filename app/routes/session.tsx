/**
 * A live session's page: when and where, its coming occurrences, "Tham gia" while one is open.
 * Its classes' teachers also see the host's link, whether the platform has it, and cancel one
 * occurrence or the whole series; students and their parents see it read-only.
 */
import { data, Form, useActionData, useLoaderData, useSearchParams } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/session";
import { getDb } from "../../db/client.server.ts";
import { requireActor } from "../auth/guards.server.ts";
import { cancelSession, recordingsOf, sessionAccess, sessionOccurrences, setRecordingForParents } from "../services/live-sessions.server.ts";
import { joinOpen } from "../lib/sessions.ts";
import { formatDateTime } from "../lib/vn.ts";
import { Link } from "../components/link.tsx";
import { Notice } from "../components/forms.tsx";
import { useT, type MessageKey } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";
import { formObject, readForm } from "./_form.server.ts";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireActor(url, context);
  const db = getDb();
  const { session: s, role } = await sessionAccess(db, actor, params.sessionId);
  const now = new Date();
  const list = await sessionOccurrences(db, s, { from: new Date(now.getTime() - 3 * 3_600_000), to: new Date(now.getTime() + 120 * 86_400_000) });
  const past =
    role === "teacher"
      ? (await sessionOccurrences(db, s, { from: new Date(now.getTime() - 60 * 86_400_000), to: now }))
          .filter((o) => !o.cancelled && o.startsAt <= now)
          .reverse()
          .slice(0, 20)
          .map((o) => ({ originalStart: o.originalStart.toISOString(), startsAt: o.startsAt }))
      : [];
  const recordings = await recordingsOf(db, s.id, role);
  return {
    recordings,
    past,
    role,
    session: {
      id: s.id,
      title: s.title,
      platform: s.platform,
      durationMinutes: s.durationMinutes,
      weekly: Boolean(s.weekdays?.length),
      cancelled: Boolean(s.cancelledAt),
      syncState: s.syncState,
      syncMessage: role === "teacher" ? s.syncMessage : null,
      // The host's start link never leaves the teachers' view.
      hostUrl: role === "teacher" ? s.hostUrl : null,
      passcode: role === "parent" ? null : s.passcode,
    },
    occurrences: list.slice(0, 20).map((o) => ({ originalStart: o.originalStart.toISOString(), startsAt: o.startsAt, endsAt: o.endsAt, cancelled: o.cancelled, moved: o.moved, open: !s.cancelledAt && joinOpen(o, now) })),
  };
}

const Action = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("cancel"), occurrence: z.iso.datetime().optional().or(z.literal("").transform(() => undefined)) }),
  z.object({ intent: z.literal("recording-parents"), recordingId: z.uuid(), allow: z.enum(["1", "0"]) }),
]);

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireActor(url, context);
  const parsed = Action.safeParse(formObject(await readForm(request, context)));
  if (!parsed.success) throw data({ message: "bad_request" }, { status: 400 });
  const db = getDb();
  if (parsed.data.intent === "recording-parents") {
    await setRecordingForParents(db, actor, params.sessionId, parsed.data.recordingId, parsed.data.allow === "1");
    return { cancelled: null };
  }
  await cancelSession(db, actor, params.sessionId, parsed.data.occurrence ? new Date(parsed.data.occurrence) : null);
  return { cancelled: parsed.data.occurrence ? "occurrence" : "series" };
}

export default function SessionPage() {
  const { role, session: s, occurrences, past, recordings } = useLoaderData<typeof loader>();
  const done = useActionData<typeof action>();
  const [search] = useSearchParams();
  const t = useT();
  const open = occurrences.find((o) => o.open);
  return (
    <>
      <h1>{s.title}</h1>
      {search.get("created") ? <Notice>{t("sessions.created")}</Notice> : null}
      {search.get("closed") ? <Notice>{t("sessions.notOpen")}</Notice> : null}
      {search.get("saved") ? <Notice>{t("sessionsMore.saved")}</Notice> : null}
      {search.get("moved") ? <Notice>{t("sessionsMore.moved")}</Notice> : null}
      {done?.cancelled ? <Notice>{t(done.cancelled === "series" ? "sessions.cancelledSeries" : "sessions.cancelledOne")}</Notice> : null}
      <section className="card">
        <dl className="facts">
          <dt>{t("sessions.fields.platform")}</dt>
          <dd data-testid="session-platform">{t(`sessions.platform.${s.platform}`)}</dd>
          <dt>{t("sessions.fields.duration")}</dt>
          <dd>{t("sessions.minutes", { n: s.durationMinutes })}</dd>
          {s.passcode ? (
            <>
              <dt>{t("sessions.passcode")}</dt>
              <dd>{s.passcode}</dd>
            </>
          ) : null}
          {role === "teacher" ? (
            <>
              <dt>{t("sessions.sync")}</dt>
              <dd data-testid="sync-state" data-state={s.syncState}>
                {t(`sessions.syncState.${s.syncState}`)}
                {s.syncMessage ? ` — ${t(`sessions.syncWhy.${syncWhy(s.syncMessage)}` as MessageKey, { message: s.syncMessage })}` : ""}
              </dd>
            </>
          ) : null}
        </dl>
        {s.cancelled ? (
          <p className="banner banner-error" role="status">
            {t("sessions.seriesCancelled")}
          </p>
        ) : role !== "parent" ? (
          open ? (
            <a className="button primary" href={`/sessions/${s.id}/join`} data-testid="join">
              {t("sessions.join")}
            </a>
          ) : (
            <p className="muted">{t("sessions.joinOpensAt")}</p>
          )
        ) : null}
        {role === "teacher" && !s.cancelled ? (
          <p>
            <Link to={`/sessions/${s.id}/edit`} data-testid="edit-session">
              {t(s.weekly ? "sessionsMore.editSeries" : "sessionsMore.edit")}
            </Link>
          </p>
        ) : null}
        {role === "teacher" && s.hostUrl ? (
          <p>
            <a href={s.hostUrl} rel="noreferrer" data-testid="host-link">
              {t("sessions.hostLink")}
            </a>
          </p>
        ) : null}
      </section>
      <section className="card" aria-labelledby="occ-title">
        <h2 id="occ-title">{t(s.weekly ? "sessions.occurrences" : "sessions.when")}</h2>
        <ul className="list" data-testid="occurrences">
          {occurrences.map((o) => (
            <li key={o.originalStart} className="row" data-cancelled={o.cancelled ? "1" : undefined}>
              <span>
                {formatDateTime(o.startsAt)}
                {o.cancelled ? <strong> — {t("sessions.cancelledMark")}</strong> : o.moved ? <em> — {t("sessions.movedMark")}</em> : null}
              </span>
              {role === "teacher" && s.weekly && !o.cancelled && !s.cancelled ? (
                <Link to={`/sessions/${s.id}/edit?occurrence=${encodeURIComponent(o.originalStart)}`}>{t("sessionsMore.moveOne")}</Link>
              ) : null}
              {role === "teacher" && s.weekly && !o.cancelled && !s.cancelled ? (
                <Form method="post">
                  <input type="hidden" name="intent" value="cancel" />
                  <input type="hidden" name="occurrence" value={o.originalStart} />
                  <button type="submit">{t("sessions.cancelOne")}</button>
                </Form>
              ) : null}
            </li>
          ))}
        </ul>
        {role === "teacher" && !s.cancelled ? (
          <Form
            method="post"
            onSubmit={(e) => {
              if (!window.confirm(t("sessions.cancelSeriesConfirm"))) e.preventDefault();
            }}
          >
            <input type="hidden" name="intent" value="cancel" />
            <button type="submit" className="danger">
              {t(s.weekly ? "sessions.cancelSeries" : "sessions.cancelSingle")}
            </button>
          </Form>
        ) : null}
      </section>
      {recordings.length ? (
        <section className="card" aria-labelledby="rec-title">
          <h2 id="rec-title">{t("sessions.recordings")}</h2>
          <ul className="list" data-testid="recordings">
            {recordings.map((r) => (
              <li key={r.id} className="row">
                <a href={`/sessions/${s.id}/recordings/${r.id}`} rel="noreferrer">
                  {t("sessions.recordingOf", { when: formatDateTime(r.recordedAt) })}
                </a>
                {role === "teacher" ? (
                  <Form method="post">
                    <input type="hidden" name="intent" value="recording-parents" />
                    <input type="hidden" name="recordingId" value={r.id} />
                    <input type="hidden" name="allow" value={r.parentsMaySee ? "0" : "1"} />
                    <button type="submit">{t(r.parentsMaySee ? "sessions.recordingHideParents" : "sessions.recordingShowParents")}</button>
                  </Form>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {past.length ? (
        <section className="card" aria-labelledby="past-title">
          <h2 id="past-title">{t("attendance.past")}</h2>
          <ul className="list" data-testid="past-occurrences">
            {past.map((o) => (
              <li key={o.originalStart} className="row">
                <span>{formatDateTime(o.startsAt)}</span>
                <Link to={`/sessions/${s.id}/attendance?at=${encodeURIComponent(o.originalStart)}`}>{t("attendance.link")}</Link>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <p>
        <Link to={role === "teacher" ? "/classes" : role === "student" ? "/today" : "/children"}>{t("common.back")}</Link>
      </p>
    </>
  );
}

const SYNC_WHY = ["not_connected", "platform_unavailable", "reauth_required", "rate_limited", "daily_limit", "account_daily_limit"] as const;
function syncWhy(message: string): (typeof SYNC_WHY)[number] | "other" {
  return (SYNC_WHY as readonly string[]).includes(message) ? (message as (typeof SYNC_WHY)[number]) : "other";
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "sessions.title");
export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
