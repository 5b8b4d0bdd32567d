import { useId } from "react";
import { useT, type MessageKey } from "../i18n/index.ts";
import { PASSWORD_LENGTH } from "../lib/password.ts";

type Control = { id: string; "aria-invalid"?: true; "aria-describedby"?: string };

/**
 * The frame every form control shares: its label, an optional hint, and an error that is
 * announced (role="alert") and tied to the control with aria-describedby.
 */
function Labelled({
  label,
  hint,
  error,
  errorVars,
  children,
}: {
  label: string;
  hint?: string;
  error?: string;
  errorVars?: Record<string, string | number>;
  children: (control: Control) => React.ReactNode;
}) {
  const id = useId();
  const t = useT();
  const hintId = hint ? `${id}-hint` : undefined;
  const errId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errId].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      {children({ id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy })}
      {error ? (
        <p id={errId} className="error" role="alert">
          {t(error as MessageKey, errorVars)}
        </p>
      ) : null}
    </div>
  );
}

type Framed = { label: string; name: string; error?: string; hint?: string };

/** A labelled input. `errorVars` fill the error message's placeholders. */
export function Field({ label, name, error, errorVars, hint, ...rest }: Framed & { errorVars?: Record<string, string | number> } & React.InputHTMLAttributes<HTMLInputElement>) {
  return (
    <Labelled label={label} hint={hint} error={error} errorVars={errorVars}>
      {(control) => <input name={name} {...control} {...rest} />}
    </Labelled>
  );
}

export function TextArea({ label, name, error, hint, ...rest }: Framed & React.ComponentProps<"textarea">) {
  return (
    <Labelled label={label} hint={hint} error={error}>
      {(control) => <textarea name={name} {...control} {...rest} />}
    </Labelled>
  );
}

export function Select({
  label,
  name,
  error,
  hint,
  options,
  ...rest
}: Framed & { options: { value: string; label: string }[] } & React.SelectHTMLAttributes<HTMLSelectElement>) {
  return (
    <Labelled label={label} hint={hint} error={error}>
      {(control) => (
        <select name={name} {...control} {...rest}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Labelled>
  );
}

export function FormError({ message }: { message?: string }) {
  const t = useT();
  if (!message) return null;
  return (
    <p className="banner banner-error" role="alert">
      {t(message as MessageKey)}
    </p>
  );
}

export function Notice({ children }: { children: React.ReactNode }) {
  return (
    <p className="banner banner-ok" role="status">
      {children}
    </p>
  );
}

/** What the issuer of a parent code chooses: how many parents may use it, and for how long. */
export function CodeChoices() {
  const t = useT();
  return (
    <fieldset className="inline-choices">
      <legend>{t("classes.parentCodeChoices")}</legend>
      <label>
        {t("classes.parentCodeUses")}{" "}
        <select name="uses" defaultValue="2">
          {[1, 2, 3, 4].map((n) => (
            <option key={n} value={n}>
              {t("classes.parentCodeUsesOption", { n })}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("classes.parentCodeDays")}{" "}
        <select name="days" defaultValue="30">
          {[7, 30, 90].map((n) => (
            <option key={n} value={n}>
              {t("classes.parentCodeDaysOption", { n })}
            </option>
          ))}
        </select>
      </label>
    </fieldset>
  );
}

/** A new password typed twice, under the one password rule (app/lib/password.ts). */
export function NewPasswordFields({ errors }: { errors?: Record<string, string | undefined> }) {
  const t = useT();
  return (
    <>
      <Field
        label={t("recovery.newPassword")}
        name="password"
        type="password"
        autoComplete="new-password"
        required
        minLength={PASSWORD_LENGTH.min}
        maxLength={PASSWORD_LENGTH.max}
        error={errors?.password}
      />
      <Field label={t("recovery.confirm")} name="confirm" type="password" autoComplete="new-password" required error={errors?.confirm} />
    </>
  );
}
