/**
 * Fitting a notification into brandname SMS. Vietnamese with its diacritics needs UCS-2 (70
 * characters in one SMS, 67 per part of a long one); written "không dấu" it fits GSM-7 (160, 153
 * per part), which is what most schools' brandname contracts price. In GSM-7 mode the text is
 * transliterated: tones and other marks stripped, đ → d, typographic quotes and dashes made plain,
 * anything else outside the GSM 03.38 alphabet replaced by '?'.
 *
 * Long text: by default the text is cut at a word boundary with an ellipsis so the message fits
 * SMS_MAX_SEGMENTS parts, keeping the link whole at the end (the page says the rest); with
 * SMS_LONG_TEXT=refuse it fails as too_long instead. A link that cannot fit is always too_long.
 */

export type SmsEncoding = "gsm7" | "ucs2";

const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENDED = "^{}\\[~]|€\f";
const BASIC = new Set([...GSM_BASIC]);
const EXTENDED = new Set([...GSM_EXTENDED]);

const PLAIN: Record<string, string> = {
  "\u2018": "'",
  "\u2019": "'",
  "\u201C": '"',
  "\u201D": '"',
  "\u201E": '"',
  "\u2013": "-",
  "\u2014": "-",
  "\u2026": "...",
  "\u00A0": " ",
  "\u2022": "-",
  "\t": " ",
};

/** Vietnamese without diacritics in the GSM-7 alphabet: "Điểm mới: Toán 8,5" → "Diem moi: Toan 8,5". */
export function toGsm7(text: string): string {
  const stripped = text
    .normalize("NFC")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .normalize("NFC");
  let out = "";
  for (const ch of stripped) {
    if (BASIC.has(ch) || EXTENDED.has(ch)) out += ch;
    else out += PLAIN[ch] ?? "?";
  }
  return out;
}

/** Units the text takes (GSM-7 septets, extended characters counting two; or UTF-16 code units) and the SMS parts. */
export function smsLength(text: string, encoding: SmsEncoding): { units: number; segments: number } {
  if (encoding === "ucs2") {
    const units = text.length;
    return { units, segments: units === 0 ? 1 : units <= 70 ? 1 : Math.ceil(units / 67) };
  }
  let units = 0;
  for (const ch of text) units += EXTENDED.has(ch) ? 2 : 1;
  return { units, segments: units <= 160 ? 1 : Math.ceil(units / 153) };
}

/** The most units `segments` parts carry. */
export function smsCapacity(segments: number, encoding: SmsEncoding): number {
  if (encoding === "ucs2") return segments <= 1 ? 70 : segments * 67;
  return segments <= 1 ? 160 : segments * 153;
}

export type FitOptions = { encoding: SmsEncoding; maxSegments: number; longText: "truncate" | "refuse" };
export type Fitted = { ok: true; content: string; segments: number; truncated: boolean } | { ok: false; message: string };

/** The SMS for `text` and an optional link, in the gateway's encoding and within its parts. */
export function fitSms(text: string, link: string | undefined, o: FitOptions): Fitted {
  const encode = (s: string) => (o.encoding === "gsm7" ? toGsm7(s) : s.normalize("NFC"));
  const body = encode(text).replace(/\s+/g, " ").trim();
  const tail = link && !text.includes(link) ? " " + encode(link) : "";
  const whole = body + tail;
  const capacity = smsCapacity(o.maxSegments, o.encoding);
  const size = (s: string) => smsLength(s, o.encoding).units;
  if (size(whole) <= capacity) return { ok: true, content: whole, segments: smsLength(whole, o.encoding).segments, truncated: false };
  if (o.longText === "refuse") return { ok: false, message: `SMS is ${size(whole)} characters, at most ${capacity} in ${o.maxSegments} part(s)` };
  const ellipsis = o.encoding === "gsm7" ? "..." : "…";
  const budget = capacity - size(tail) - size(ellipsis);
  if (budget < 20) return { ok: false, message: `the link leaves no room for the text in ${o.maxSegments} SMS part(s)` };
  // Cut at the last space that fits, unless that throws away most of the room (one long word).
  let cut = "";
  let used = 0;
  for (const ch of body) {
    const u = size(ch);
    if (used + u > budget) break;
    cut += ch;
    used += u;
  }
  const space = cut.lastIndexOf(" ");
  if (space > budget / 2) cut = cut.slice(0, space);
  cut = cut.replace(/[\s,.;:–-]+$/, "");
  const content = cut + ellipsis + tail;
  return { ok: true, content, segments: smsLength(content, o.encoding).segments, truncated: true };
}
