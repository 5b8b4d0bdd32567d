import { useId } from "react";
import { useT, type MessageKey } from "../i18n/index.ts";

type FieldProps = {
  label: string;
  name: string;
  error?: string;
  hint?: string;
} & React.InputHTMLAttributes<HTMLInputElement>;

/** A labelled input whose error is announced and tied to it with aria-describedby. */
export function Field({ label, name, error, hint, ...rest }: FieldProps) {
  const id = useId();
  const t = useT();
  const hintId = hint ? `${id}-hint` : undefined;
  const errId = error ? `${id}-error` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      <input
        id={id}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={[hintId, errId].filter(Boolean).join(" ") || undefined}
        {...rest}
      />
      {error ? (
        <p id={errId} className="error" role="alert">
          {t(error as MessageKey)}
        </p>
      ) : null}
    </div>
  );
}

type TextAreaProps = { label: string; name: string; error?: string; hint?: string } & React.TextareaHTMLAttributes<HTMLTextAreaElement>;

export function TextArea({ label, name, error, hint, ...rest }: TextAreaProps) {
  const id = useId();
  const t = useT();
  const hintId = hint ? `${id}-hint` : undefined;
  const errId = error ? `${id}-error` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      <textarea id={id} name={name} aria-invalid={error ? true : undefined} aria-describedby={[hintId, errId].filter(Boolean).join(" ") || undefined} {...rest} />
      {error ? (
        <p id={errId} className="error" role="alert">
          {t(error as MessageKey)}
        </p>
      ) : null}
    </div>
  );
}

type SelectProps = { label: string; name: string; error?: string; options: { value: string; label: string }[] } & React.SelectHTMLAttributes<HTMLSelectElement>;

export function Select({ label, name, error, options, ...rest }: SelectProps) {
  const id = useId();
  const t = useT();
  const errId = error ? `${id}-error` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} name={name} aria-invalid={error ? true : undefined} aria-describedby={errId} {...rest}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {error ? (
        <p id={errId} className="error" role="alert">
          {t(error as MessageKey)}
        </p>
      ) : null}
    </div>
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
