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
import { vnDate, vnInstant, vnWeekday } from "../lib/sessions.ts";
import { Field, FormError } from "../components/forms.tsx";
import { Link } from "../components/link.tsx";
import { useLocale, useT, type MessageKey } from "../i18n/index.ts";
import { subjectName } from "../lib/curriculum.ts";
import { badRequest, readForm } from "./_form.server.ts";
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
    title: z.string().trim().min(1, "errors.required").max(200, "errors.too_long"),
    platform: z.enum(PLATFORMS, { error: "errors.required" }),
    day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "sessions.errors.day"),
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "sessions.errors.time"),
    duration: z.coerce.number({ error: "sessions.errors.duration" }).int("sessions.errors.duration").min(10, "sessions.errors.duration").max(300, "sessions.errors.duration"),
    repeat: z.literal("weekly").optional(),
    weekdays: z.array(z.coerce.number().int().min(1).max(7)).default([]),
    until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "sessions.errors.day").optional().or(z.literal("").transform(() => undefined)),
    count: z.coerce.number().int().min(1, "sessions.errors.count").max(200, "sessions.errors.count").optional().or(z.literal("").transform(() => undefined)),
    linkUrl: z
      .url({ protocol: /^https$/, error: "sessions.errors.link" })
      .max(1000, "errors.too_long")
      .optional()
      .or(z.literal("").transform(() => undefined)),
    classIds: z.array(z.uuid()).default([]),
    lateAfterMinutes: z
      .literal("")
      .transform(() => 10)
      .or(z.coerce.number({ error: "sessionsMore.errors.lateAfter" }).int("sessionsMore.errors.lateAfter").min(0, "sessionsMore.errors.lateAfter").max(60, "sessionsMore.errors.lateAfter"))
      .default(10),
  })
  .superRefine((v, ctx) => {
    if (v.platform === "link" && !v.linkUrl) ctx.addIssue({ code: "custom", path: ["linkUrl"], message: "sessions.errors.link" });
    if (v.repeat && !v.until && !v.count) ctx.addIssue({ code: "custom", path: ["until"], message: "sessions.errors.endRequired" });
    if (v.until && v.until < v.day) ctx.addIssue({ code: "custom", path: ["until"], message: "sessions.errors.untilBefore" });
  });

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const cls = await getClassForTeacher(db, actor, params.classId);
  const form = await readForm(request, context);
  const raw = {
    ...Object.fromEntries([...form.entries()].filter(([k, v]) => typeof v === "string" && k !== "weekdays" && k !== "classIds")),
    weekdays: form.getAll("weekdays").map(String),
    classIds: form.getAll("classIds").map(String),
  };
  const parsed = Form_.safeParse(raw);
  const values = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v ?? "")]));
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const i of parsed.error.issues) errors[String(i.path[0])] ??= i.message;
    return badRequest({ errors, values });
  }
  const v = parsed.data;
  const startsAt = vnInstant(v.day, v.time);
  // The first day always belongs to the series.
  const weekdays = v.repeat ? [...new Set([vnWeekday(startsAt), ...v.weekdays])].sort() : null;
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

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

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
        <div className="grid grid-3">
          <Field label={t("sessions.fields.day")} name="day" type="date" required defaultValue={values.day ?? defaults.day} error={errors.day} />
          <Field label={t("sessions.fields.time")} name="time" type="time" required defaultValue={values.time ?? defaults.time} error={errors.time} />
          <Field label={t("sessions.fields.duration")} name="duration" type="number" min={10} max={300} step={5} required defaultValue={values.duration ?? "45"} error={errors.duration} />
        </div>
        <Field
          label={t("sessionsMore.lateAfter")}
          name="lateAfterMinutes"
          type="number"
          min={0}
          max={60}
          defaultValue={values.lateAfterMinutes ?? "10"}
          error={errors.lateAfterMinutes}
          hint={t("sessionsMore.lateAfterHint")}
        />
        <fieldset>
          <legend>{t("sessions.fields.repeat")}</legend>
          <label className="choice">
            <input type="checkbox" name="repeat" value="weekly" defaultChecked={values.repeat === "weekly"} />
            {t("sessions.weekly")}
          </label>
          <p className="muted">{t("sessions.weeklyHint")}</p>
          <div className="choices">
            {WEEKDAYS.map((d) => (
              <label key={d} className="choice">
                <input type="checkbox" name="weekdays" value={d} defaultChecked={chosenDays.has(d)} />
                {t(`sessions.weekday.d${d}`)}
              </label>
            ))}
          </div>
          <div className="grid grid-2">
            <Field label={t("sessions.fields.until")} name="until" type="date" defaultValue={values.until} error={errors.until} />
            <Field label={t("sessions.fields.count")} name="count" type="number" min={1} max={200} defaultValue={values.count} error={errors.count} />
          </div>
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
