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
import { vnInstant, vnWeekday } from "../lib/sessions.ts";
import { formatDateTime, toLocalDateTimeInput } from "../lib/vn.ts";
import { Field, FormError } from "../components/forms.tsx";
import { Link } from "../components/link.tsx";
import { useT, type MessageKey } from "../i18n/index.ts";
import { badRequest, readForm } from "./_form.server.ts";
import { pageTitle } from "../lib/meta.ts";

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

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

const When = {
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "sessions.errors.day"),
  time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "sessions.errors.time"),
  duration: z.coerce.number({ error: "sessions.errors.duration" }).int("sessions.errors.duration").min(10, "sessions.errors.duration").max(300, "sessions.errors.duration"),
};

const Series = z
  .object({
    ...When,
    title: z.string().trim().min(1, "errors.required").max(200, "errors.too_long"),
    lateAfterMinutes: z.coerce.number({ error: "sessionsMore.errors.lateAfter" }).int("sessionsMore.errors.lateAfter").min(0, "sessionsMore.errors.lateAfter").max(60, "sessionsMore.errors.lateAfter"),
    weekdays: z.array(z.coerce.number().int().min(1).max(7)).default([]),
    until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "sessions.errors.day").optional().or(z.literal("").transform(() => undefined)),
    count: z.coerce.number().int().min(1, "sessions.errors.count").max(200, "sessions.errors.count").optional().or(z.literal("").transform(() => undefined)),
    linkUrl: z
      .url({ protocol: /^https$/, error: "sessions.errors.link" })
      .max(1000, "errors.too_long")
      .optional()
      .or(z.literal("").transform(() => undefined)),
  })
  .superRefine((v, ctx) => {
    if (v.until && v.until < v.day) ctx.addIssue({ code: "custom", path: ["until"], message: "sessions.errors.untilBefore" });
  });

const Move = z.object(When);

function errorsOf(issues: z.core.$ZodIssue[]) {
  const errors: Record<string, string> = {};
  for (const i of issues) errors[String(i.path[0])] ??= i.message;
  return errors;
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const s = await sessionForTeacher(db, actor, params.sessionId);
  const form = await readForm(request, context);
  const raw = { ...Object.fromEntries([...form.entries()].filter(([k, v]) => typeof v === "string" && k !== "weekdays")), weekdays: form.getAll("weekdays").map(String) };
  const values = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v ?? "")]));
  const at = occurrenceParam(url);
  try {
    if (at) {
      const parsed = Move.safeParse(raw);
      if (!parsed.success) return badRequest({ errors: errorsOf(parsed.error.issues), values, platformError: null });
      const v = parsed.data;
      const done = await moveOccurrence(db, actor, s.id, at, { startsAt: vnInstant(v.day, v.time), durationMinutes: v.duration });
      if (done.platformError) return { errors: {}, values, platformError: done.platformError };
      throw redirect(`/sessions/${s.id}?moved=1`);
    }
    const parsed = Series.safeParse(raw);
    if (!parsed.success) return badRequest({ errors: errorsOf(parsed.error.issues), values, platformError: null });
    const v = parsed.data;
    const weekly = Boolean(s.weekdays?.length);
    const startsAt = vnInstant(v.day, v.time);
    const weekdays = weekly ? [...new Set([vnWeekday(startsAt), ...v.weekdays])].sort() : null;
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
        <div className="grid grid-3">
          <Field label={t("sessions.fields.day")} name="day" type="date" required defaultValue={values.day ?? defaults.day} error={errors.day} />
          <Field label={t("sessions.fields.time")} name="time" type="time" required defaultValue={values.time ?? defaults.time} error={errors.time} />
          <Field label={t("sessions.fields.duration")} name="duration" type="number" min={10} max={300} step={5} required defaultValue={values.duration ?? defaults.duration} error={errors.duration} />
        </div>
        {occurrence ? null : (
          <Field
            label={t("sessionsMore.lateAfter")}
            name="lateAfterMinutes"
            type="number"
            min={0}
            max={60}
            required
            defaultValue={values.lateAfterMinutes ?? s.lateAfterMinutes}
            error={errors.lateAfterMinutes}
            hint={t("sessionsMore.lateAfterHint")}
          />
        )}
        {!occurrence && s.weekly ? (
          <fieldset>
            <legend>{t("sessions.weekly")}</legend>
            <div className="choices">
              {WEEKDAYS.map((d) => (
                <label key={d} className="choice">
                  <input type="checkbox" name="weekdays" value={d} defaultChecked={chosenDays.has(d)} />
                  {t(`sessions.weekday.d${d}`)}
                </label>
              ))}
            </div>
            <div className="grid grid-2">
              <Field label={t("sessions.fields.until")} name="until" type="date" defaultValue={values.until ?? s.until} error={errors.until} />
              <Field label={t("sessions.fields.count")} name="count" type="number" min={1} max={200} defaultValue={values.count ?? s.count} error={errors.count} />
            </div>
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
