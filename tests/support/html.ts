/** The text of an HTML fragment: tags removed, the entities React escapes turned back. */
export function htmlText(s: string) {
  return s
    .replace(/<[^>]+>/g, "")
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .trim();
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The error message tied to the control named `name`: the control carries aria-invalid="true" and
 * its aria-describedby points at the element holding the message. null when there is none.
 */
export function fieldError(html: string, name: string): string | null {
  const re = new RegExp(`<(input|textarea|select)\\b[^>]*\\bname="${escapeRe(name)}"[^>]*>`, "g");
  for (const m of html.matchAll(re)) {
    const tag = m[0];
    if (!/\baria-invalid="true"/.test(tag)) continue;
    const described = /\baria-describedby="([^"]+)"/.exec(tag)?.[1].split(/\s+/) ?? [];
    for (const id of described) {
      const el = new RegExp(`<(p|div|span)\\b[^>]*\\bid="${escapeRe(id)}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
      if (el && /class="error"/.test(el[0])) return htmlText(el[2]);
    }
  }
  return null;
}
