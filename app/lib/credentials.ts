/**
 * The one-time list of temporary passwords after an import, as a file to download: CSV in UTF-8
 * with a byte-order mark (so Excel shows Vietnamese letters), built in the page from the import's
 * response only — the hub keeps no copy of the passwords.
 */
export type CredentialRow = { fullName: string; classNames: string[]; login: string; password: string };

/** A cell as Excel should read it: quoted when needed, and never taken for a formula. */
function cell(value: string): string {
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",;\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function credentialsCsv(rows: CredentialRow[], headings: [string, string, string, string]): string {
  const lines = [headings, ...rows.map((r) => [r.fullName, r.classNames.join(", "), r.login, r.password])];
  return "\uFEFF" + lines.map((l) => l.map(cell).join(",")).join("\r\n") + "\r\n";
}

export function csvDataUrl(csv: string): string {
  return `data:text/csv;charset=utf-8,${encodeURIComponent(csv)}`;
}
