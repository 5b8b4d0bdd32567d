/** Outcome of a validated command: a value, or field errors as i18n message keys. */
export type Failure = {
  ok: false;
  errors: Record<string, string>;
  /** A throttled attempt: when it may be tried again. */
  retryAt?: Date;
};
export type Result<T> = { ok: true; value: T } | Failure;

export const ok = <T,>(value: T): Result<T> => ({ ok: true, value });
export const fail = (errors: Record<string, string>, retryAt?: Date): Failure => (retryAt ? { ok: false, errors, retryAt } : { ok: false, errors });

type Issue = { path: PropertyKey[]; message: string; code?: string; errors?: Issue[][] };

/** Flatten zod issues to { field: messageKey }; the schema's messages are i18n keys. */
export function zodErrors(issues: Issue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues) {
    const field = String(issue.path[0] ?? "form");
    if (!out[field]) out[field] = messageKey(issue);
  }
  return out;
}

/**
 * An issue's i18n key. When every branch of a union fails (e.g. `"" | phone`), zod reports a bare
 * "invalid_union": the reason that names what was wrong is inside one of its branches.
 */
function messageKey(issue: Issue): string {
  if (issue.message.startsWith("errors.")) return issue.message;
  for (const branch of issue.code === "invalid_union" ? (issue.errors ?? []) : []) {
    for (const inner of branch) {
      const key = messageKey(inner);
      if (key !== "errors.invalid") return key;
    }
  }
  return "errors.invalid";
}
