/** Outcome of a validated command: a value, or field errors as i18n message keys. */
export type Result<T> = { ok: true; value: T } | { ok: false; errors: Record<string, string> };

export const ok = <T,>(value: T): Result<T> => ({ ok: true, value });
export const fail = (errors: Record<string, string>): { ok: false; errors: Record<string, string> } => ({
  ok: false,
  errors,
});

/** Flatten zod issues to { field: messageKey }; the schema's messages are i18n keys. */
export function zodErrors(issues: { path: PropertyKey[]; message: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues) {
    const field = String(issue.path[0] ?? "form");
    if (!out[field]) out[field] = issue.message.startsWith("errors.") ? issue.message : "errors.invalid";
  }
  return out;
}
