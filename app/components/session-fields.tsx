/** The fields a live session's two forms share: when, the late threshold, and a weekly repeat's days and end. */
import { Field } from "./forms.tsx";
import { useT, type MessageKey } from "../i18n/index.ts";
import { WEEKDAYS } from "../lib/session-form.ts";

type Values = Record<string, string | undefined>;
type Errors = Record<string, MessageKey>;

export function SessionWhen({ values, defaults, errors }: { values: Values; defaults: { day: string; time: string; duration: string }; errors: Errors }) {
  const t = useT();
  return (
    <div className="grid grid-3">
      <Field label={t("sessions.fields.day")} name="day" type="date" required defaultValue={values.day ?? defaults.day} error={errors.day} />
      <Field label={t("sessions.fields.time")} name="time" type="time" required defaultValue={values.time ?? defaults.time} error={errors.time} />
      <Field label={t("sessions.fields.duration")} name="duration" type="number" min={10} max={300} step={5} required defaultValue={values.duration ?? defaults.duration} error={errors.duration} />
    </div>
  );
}

export function SessionLateAfter({ value, error }: { value: string; error?: MessageKey }) {
  const t = useT();
  return <Field label={t("sessionsMore.lateAfter")} name="lateAfterMinutes" type="number" min={0} max={60} defaultValue={value} error={error} hint={t("sessionsMore.lateAfterHint")} />;
}

/** The days of the week to repeat on, and the series' end (a last day, or a number of sessions). */
export function SessionRepeatDays({ chosen, values, errors }: { chosen: Set<number>; values: Values; errors: Errors }) {
  const t = useT();
  return (
    <>
      <div className="choices">
        {WEEKDAYS.map((d) => (
          <label key={d} className="choice">
            <input type="checkbox" name="weekdays" value={d} defaultChecked={chosen.has(d)} />
            {t(`sessions.weekday.d${d}`)}
          </label>
        ))}
      </div>
      <div className="grid grid-2">
        <Field label={t("sessions.fields.until")} name="until" type="date" defaultValue={values.until} error={errors.until} />
        <Field label={t("sessions.fields.count")} name="count" type="number" min={1} max={200} defaultValue={values.count} error={errors.count} />
      </div>
    </>
  );
}
