/**
 * "Lên lịch buổi học trực tuyến": a teacher schedules a live session for this class (and, at
 * once, for others of theirs): title, day and time in Vietnam time, length, an optional weekly
 * repeat, and the platform — Zoom, Google Meet, Teams, or any link.
 */
import { Form, redirect, useActionData, useLoaderData } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/session-new";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { getClassForTeacher, listTeacherClasses } from "../services/classes.server.ts";
import { createLiveSession, SessionInputError } from "../services/live-sessions.server.ts";
import { teacherOptions } from "../services/connections/teacher.server.ts";
import { vnDate, vnInstant } from "../lib/sessions.ts";
import { Field, FormError } from "../components/forms.tsx";
import { SessionLateAfter, SessionRepeatDays, SessionWhen } from "../components/session-fields.tsx";
import { lateAfterMinutes, sessionFormInput, sessionLink, sessionRepeat, sessionTitle, sessionWhen, seriesWeekdays, untilNotBefore } from "../lib/session-form.ts";
import { Link } from "../components/link.tsx";
import { useLocale, useT, type MessageKey } from "../i18n/index.ts";
import { subjectName } from "../lib/curriculum.ts";
import { badRequest, readForm, fieldMessages } from "./_form.server.ts";
import { pageTitle } from "../lib/meta.ts";

const PLATFORMS = ["zoom", "google", "microsoft", "link"] as const;

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const cls = await getClassForTeacher(db, actor, params.classId);
  const [mine, options] = await Promise.all([listTeacherClasses(db, actor), teacherOptions(db, cls.schoolId, actor.id)]);
  const tomorrow = new Date(Date.now() + 86_400_000);
  return {
    class: { id: cls.id, name: cls.name, subject: cls.subject },
    others: mine.filter((c) => c.id !== cls.id && !c.archived && c.schoolYear === cls.schoolYear).map((c) => ({ id: c.id, name: c.name, subject: c.subject })),
    connected: Object.fromEntries(options.map((o) => [o.provider, o.schoolConnected || o.own?.status === "connected"])) as Record<"google" | "microsoft" | "zoom", boolean>,
    defaults: { day: vnDate(tomorrow), time: "07:30" },
  };
}

const Form_ = z
  .object({
    title: sessionTitle,
    platform: z.enum(PLATFORMS, { error: "errors.required" }),
    ...sessionWhen,
    repeat: z.literal("weekly").optional(),
    ...sessionRepeat,
    linkUrl: sessionLink,
    classIds: z.array(z.uuid()).default([]),
    lateAfterMinutes,
  })
  .superRefine((v, ctx) => {
    if (v.platform === "link" && !v.linkUrl) ctx.addIssue({ code: "custom", path: ["linkUrl"], message: "sessions.errors.link" });
    if (v.repeat && !v.until && !v.count) ctx.addIssue({ code: "custom", path: ["until"], message: "sessions.errors.endRequired" });
    untilNotBefore(v, ctx);
  });

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const cls = await getClassForTeacher(db, actor, params.classId);
  const { raw, values } = sessionFormInput(await readForm(request, context), ["weekdays", "classIds"]);
  const parsed = Form_.safeParse(raw);
  if (!parsed.success) return badRequest({ errors: fieldMessages(parsed.error.issues), values });
  const v = parsed.data;
  const startsAt = vnInstant(v.day, v.time);
  // The first day always belongs to the series.
  const weekdays = v.repeat ? seriesWeekdays(startsAt, v.weekdays) : null;
  try {
    const session = await createLiveSession(db, actor, {
      title: v.title,
      classIds: [cls.id, ...v.classIds.filter((id) => id !== cls.id)],
      platform: v.platform,
      startsAt,
      durationMinutes: v.duration,
      weekdays,
      until: v.repeat ? (v.until ?? null) : null,
      count: v.repeat && !v.until ? (v.count ?? null) : null,
      linkUrl: v.platform === "link" ? (v.linkUrl ?? null) : null,
      lateAfterMinutes: v.lateAfterMinutes,
    });
    throw redirect(`/sessions/${session.id}?created=1`);
  } catch (e) {
    if (e instanceof SessionInputError) return badRequest({ errors: { [e.field]: e.key }, values });
    throw e;
  }
}

export default function NewSession() {
  const { class: c, others, connected, defaults } = useLoaderData<typeof loader>();
  const done = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const errors = (done?.errors ?? {}) as Record<string, MessageKey>;
  const values = (done?.values ?? {}) as Record<string, string>;
  const chosenDays = new Set((values.weekdays ?? "").split(",").filter(Boolean).map(Number));
  return (
    <>
      <p>
        <Link to={`/classes/${c.id}`}>← {c.name} · {subjectName(c.subject, locale)}</Link>
      </p>
      <h1>{t("sessions.newTitle")}</h1>
      <Form method="post" noValidate className="card">
        <FormError message={Object.keys(errors).length ? "sessions.errors.check" : undefined} />
        <Field label={t("sessions.fields.title")} name="title" required maxLength={200} defaultValue={values.title} error={errors.title} />
        <fieldset>
          <legend>{t("sessions.fields.platform")}</legend>
          {PLATFORMS.map((p) => (
            <label key={p} className="choice">
              <input type="radio" name="platform" value={p} defaultChecked={(values.platform ?? "link") === p} />
              {t(`sessions.platform.${p}`)}
              {p !== "link" && !connected[p] ? <span className="muted"> — {t("sessions.notConnected")}</span> : null}
            </label>
          ))}
          {errors.platform ? <p className="field-error">{t(errors.platform)}</p> : null}
        </fieldset>
        <Field label={t("sessions.fields.link")} name="linkUrl" type="url" inputMode="url" placeholder="https://" defaultValue={values.linkUrl} error={errors.linkUrl} hint={t("sessions.linkHint")} />
        <SessionWhen values={values} defaults={{ ...defaults, duration: "45" }} errors={errors} />
        <SessionLateAfter value={values.lateAfterMinutes ?? "10"} error={errors.lateAfterMinutes} />
        <fieldset>
          <legend>{t("sessions.fields.repeat")}</legend>
          <label className="choice">
            <input type="checkbox" name="repeat" value="weekly" defaultChecked={values.repeat === "weekly"} />
            {t("sessions.weekly")}
          </label>
          <p className="muted">{t("sessions.weeklyHint")}</p>
          <SessionRepeatDays chosen={chosenDays} values={values} errors={errors} />
        </fieldset>
        {others.length ? (
          <fieldset>
            <legend>{t("sessions.fields.alsoFor")}</legend>
            {others.map((o) => (
              <label key={o.id} className="choice">
                <input type="checkbox" name="classIds" value={o.id} />
                {o.name} · {subjectName(o.subject, locale)}
              </label>
            ))}
          </fieldset>
        ) : null}
        <button type="submit" className="primary">
          {t("sessions.create")}
        </button>
      </Form>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "sessions.newTitle");
export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
