/**
 * "Sửa buổi học": a teacher of the session's classes changes the whole session or series (title,
 * day and time, length, repeat, when a late arrival counts as late), or — with `?occurrence=` —
 * moves one occurrence of a series to another day, time or length. The platform follows (see
 * editSession / moveOccurrence); students' calendars update through the feed's SEQUENCE.
 */
import { Form, redirect, useActionData, useLoaderData } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/session-edit";
import { getDb } from "../../db/client.server.ts";
import { notFound, requireRole } from "../auth/guards.server.ts";
import { editSession, moveOccurrence, SessionInputError, sessionForTeacher, sessionOccurrences } from "../services/live-sessions.server.ts";
import { vnInstant } from "../lib/sessions.ts";
import { lateAfterMinutes, sessionFormInput, sessionLink, sessionRepeat, sessionTitle, sessionWhen, seriesWeekdays, untilNotBefore } from "../lib/session-form.ts";
import { formatDateTime, toLocalDateTimeInput } from "../lib/vn.ts";
import { Field, FormError } from "../components/forms.tsx";
import { SessionLateAfter, SessionRepeatDays, SessionWhen } from "../components/session-fields.tsx";
import { Link } from "../components/link.tsx";
import { useT, type MessageKey } from "../i18n/index.ts";
import { badRequest, readForm, fieldMessages } from "./_form.server.ts";
import { pageTitle } from "../lib/meta.ts";

function occurrenceParam(url: URL): Date | null {
  const raw = url.searchParams.get("occurrence");
  if (!raw) return null;
  const at = new Date(raw);
  if (!z.iso.datetime().safeParse(raw).success || Number.isNaN(at.getTime())) throw notFound();
  return at;
}

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const s = await sessionForTeacher(db, actor, params.sessionId);
  if (s.cancelledAt) throw notFound();
  const at = occurrenceParam(url);
  const occ = at ? (await sessionOccurrences(db, s)).find((o) => o.originalStart.getTime() === at.getTime()) : null;
  if (at && (!occ || occ.cancelled)) throw notFound();
  const start = toLocalDateTimeInput(occ ? occ.startsAt : s.startsAt);
  return {
    session: {
      id: s.id,
      title: s.title,
      platform: s.platform,
      weekly: Boolean(s.weekdays?.length),
      weekdays: s.weekdays ?? [],
      until: s.until ?? "",
      count: s.count ? String(s.count) : "",
      linkUrl: s.platform === "link" ? (s.joinUrl ?? "") : "",
      lateAfterMinutes: String(s.lateAfterMinutes),
    },
    occurrence: occ ? { originalStart: occ.originalStart.toISOString(), startsAt: occ.startsAt } : null,
    defaults: { day: start.slice(0, 10), time: start.slice(11, 16), duration: String(occ ? Math.round((occ.endsAt.getTime() - occ.startsAt.getTime()) / 60_000) : s.durationMinutes) },
  };
}

const Series = z
  .object({ ...sessionWhen, title: sessionTitle, lateAfterMinutes, ...sessionRepeat, linkUrl: sessionLink })
  .superRefine(untilNotBefore);

const Move = z.object(sessionWhen);

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const s = await sessionForTeacher(db, actor, params.sessionId);
  const { raw, values } = sessionFormInput(await readForm(request, context), ["weekdays"]);
  const at = occurrenceParam(url);
  try {
    if (at) {
      const parsed = Move.safeParse(raw);
      if (!parsed.success) return badRequest({ errors: fieldMessages(parsed.error.issues), values, platformError: null });
      const v = parsed.data;
      const done = await moveOccurrence(db, actor, s.id, at, { startsAt: vnInstant(v.day, v.time), durationMinutes: v.duration });
      if (done.platformError) return { errors: {}, values, platformError: done.platformError };
      throw redirect(`/sessions/${s.id}?moved=1`);
    }
    const parsed = Series.safeParse(raw);
    if (!parsed.success) return badRequest({ errors: fieldMessages(parsed.error.issues), values, platformError: null });
    const v = parsed.data;
    const weekly = Boolean(s.weekdays?.length);
    const startsAt = vnInstant(v.day, v.time);
    const weekdays = weekly ? seriesWeekdays(startsAt, v.weekdays) : null;
    const saved = await editSession(db, actor, s.id, {
      title: v.title,
      startsAt,
      durationMinutes: v.duration,
      lateAfterMinutes: v.lateAfterMinutes,
      weekdays,
      until: weekly ? (v.until ?? null) : null,
      count: weekly && !v.until ? (v.count ?? null) : null,
      linkUrl: s.platform === "link" ? (v.linkUrl ?? null) : null,
    });
    if (saved.syncState === "error") return { errors: {}, values, platformError: saved.syncMessage ?? "" };
    throw redirect(`/sessions/${s.id}?saved=1`);
  } catch (e) {
    if (e instanceof SessionInputError) return badRequest({ errors: { [e.field]: e.key }, values, platformError: null });
    throw e;
  }
}

export default function EditSession() {
  const { session: s, occurrence, defaults } = useLoaderData<typeof loader>();
  const done = useActionData<typeof action>();
  const t = useT();
  const errors = (done?.errors ?? {}) as Record<string, MessageKey>;
  const values = (done?.values ?? {}) as Record<string, string>;
  const chosenDays = new Set(values.weekdays !== undefined ? values.weekdays.split(",").filter(Boolean).map(Number) : s.weekdays);
  return (
    <>
      <p>
        <Link to={`/sessions/${s.id}`}>← {s.title}</Link>
      </p>
      <h1>{t(occurrence ? "sessionsMore.moveTitle" : "sessionsMore.editTitle")}</h1>
      <p className="muted">{occurrence ? t("sessionsMore.moveIntro", { when: formatDateTime(occurrence.startsAt) }) : s.weekly ? t("sessionsMore.seriesIntro") : null}</p>
      {done?.platformError ? (
        <p className="banner banner-error" role="alert" data-testid="platform-error">
          {t("sessionsMore.platformRefused", { message: done.platformError })}
        </p>
      ) : null}
      <Form method="post" noValidate className="card">
        <FormError message={Object.keys(errors).length ? "sessions.errors.check" : undefined} />
        {occurrence ? null : <Field label={t("sessions.fields.title")} name="title" required maxLength={200} defaultValue={values.title ?? s.title} error={errors.title} />}
        {!occurrence && s.platform === "link" ? (
          <Field label={t("sessions.fields.link")} name="linkUrl" type="url" inputMode="url" placeholder="https://" defaultValue={values.linkUrl ?? s.linkUrl} error={errors.linkUrl} />
        ) : null}
        <SessionWhen values={values} defaults={defaults} errors={errors} />
        {occurrence ? null : <SessionLateAfter value={values.lateAfterMinutes ?? s.lateAfterMinutes} error={errors.lateAfterMinutes} />}
        {!occurrence && s.weekly ? (
          <fieldset>
            <legend>{t("sessions.weekly")}</legend>
            <SessionRepeatDays chosen={chosenDays} values={{ until: s.until, count: s.count, ...values }} errors={errors} />
          </fieldset>
        ) : null}
        <button type="submit" className="primary">
          {t("sessionsMore.save")}
        </button>
      </Form>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "sessionsMore.editTitle");
export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
