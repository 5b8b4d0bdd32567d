/** Vietnamese names, phone numbers and formats. Shared by server and browser. */

export const TIME_ZONE = "Asia/Ho_Chi_Minh";

/** Printable ASCII words with single spaces between them: already NFC and trimmed. */
const PLAIN = /^(?:[!-~]+(?: [!-~]+)*)?$/;

/** Text may arrive as NFD (decomposed diacritics); keep NFC everywhere. */
export function nfc(text: string): string {
  if (PLAIN.test(text)) return text;
  return text.normalize("NFC").replace(/\s+/g, " ").trim();
}

/** "Nguyễn Văn An" → "An". Vietnamese lists sort by the given name, the last word. */
export function givenName(fullName: string): string {
  const parts = nfc(fullName).split(" ");
  return parts[parts.length - 1] ?? "";
}

/** Tone marks, in the order Vietnamese dictionaries sort them: ngang, huyền, hỏi, ngã, sắc, nặng. */
const TONES = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"];
/** Marks that make a letter of its own (ă, â, ê, ô, ơ, ư), unlike tone marks. */
const LETTER_MARKS = /[\u0302\u0306\u031b]/;
/** Letters that follow their Latin base in the alphabet: a ă â, d đ, e ê, o ô ơ, u ư. */
const LETTER_CODES: Record<string, string> = { ă: "a1", â: "a2", đ: "d1", ê: "e1", ô: "o1", ơ: "o2", ư: "u1" };

/** A word's letters in alphabet order (two bytes a letter), and its tones as one digit a letter. */
function collation(word: string): { letters: string; tones: string } {
  let letters = "";
  let tones = "";
  for (const ch of word) {
    let c = charCollation.get(ch);
    if (!c) {
      const [base = "", ...marks] = ch.normalize("NFD");
      const letter = (base + marks.filter((m) => LETTER_MARKS.test(m)).join("")).normalize("NFC");
      c = [LETTER_CODES[letter] ?? `${base}0`, String(Math.max(0, ...marks.map((m) => TONES.indexOf(m))))];
      if (charCollation.size < 10_000) charCollation.set(ch, c);
    }
    letters += c[0];
    tones += c[1];
  }
  return { letters, tones };
}
/** A character's letter code and tone digit, worked out once (a roster import sorts a million names). */
const charCollation = new Map<string, [string, string]>();

/**
 * Key that sorts by given name, then by the whole name, ignoring case, in Vietnamese alphabetical
 * order (a ă â b c d đ …, tones after letters) when compared byte by byte — as the database's
 * "C" collation compares `users.sort_key`.
 */
export function nameSortKey(fullName: string): string {
  const name = nfc(fullName).toLocaleLowerCase("vi");
  const given = collation(givenName(name));
  const words = name.split(" ").map(collation);
  // Letters decide first and tones only break ties, for the given name and then for the whole name.
  return [given.letters + given.tones, words.map((w) => w.letters).join(" "), words.map((w) => w.tones).join(" ")].join(" ");
}

/** Vietnamese mobile prefixes after the trunk 0: 3x, 5x, 7x, 8x, 9x. */
const MOBILE = /^(3|5|7|8|9)\d{8}$/;

/**
 * Normalise a Vietnamese phone number to E.164: "0912 345 678", "+84 912345678", "84912345678"
 * → "+84912345678". Returns null when it is not a valid Vietnamese mobile number.
 */
export function normalizePhone(input: string): string | null {
  const digits = input.replace(/[\s.\-()]/g, "");
  let national: string;
  if (/^\+84\d+$/.test(digits)) national = digits.slice(3);
  else if (/^84\d{9}$/.test(digits)) national = digits.slice(2);
  else if (/^0\d{9}$/.test(digits)) national = digits.slice(1);
  else return null;
  return MOBILE.test(national) ? `+84${national}` : null;
}

/** "+84912345678" → "0912 345 678" as Vietnamese readers expect it. */
export function formatPhone(e164: string): string {
  if (!e164.startsWith("+84")) return e164;
  const n = "0" + e164.slice(3);
  return `${n.slice(0, 4)} ${n.slice(4, 7)} ${n.slice(7)}`;
}

export function looksLikePhone(input: string): boolean {
  return /^[+\d][\d\s.\-()]{7,}$/.test(input.trim());
}

// Vietnam keeps UTC+7 all year (no daylight saving), so dates and times are plain arithmetic on the
// shifted instant: far cheaper than Intl.DateTimeFormat, which pages call dozens of times.
const VN_OFFSET_MS = 7 * 3600_000;
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

function vietnamParts(value: Date | string) {
  const d = new Date(new Date(value).getTime() + VN_OFFSET_MS);
  return { day: d.getUTCDate(), month: d.getUTCMonth() + 1, year: d.getUTCFullYear(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
}

/** dd/MM/yyyy in Asia/Ho_Chi_Minh (Vietnamese readers and English ones alike). */
export function formatDate(value: Date | string): string {
  const p = vietnamParts(value);
  return `${pad2(p.day)}/${pad2(p.month)}/${p.year}`;
}

/** HH:mm dd/MM/yyyy (24-hour) in Asia/Ho_Chi_Minh. */
export function formatDateTime(value: Date | string): string {
  const p = vietnamParts(value);
  return `${pad2(p.hour)}:${pad2(p.minute)} ${pad2(p.day)}/${pad2(p.month)}/${p.year}`;
}

// Building an Intl.NumberFormat costs tens of microseconds; formatting with a built one is cheap.
const numberFormats = new Map<string, Intl.NumberFormat>();

/**
 * Vietnamese decimal comma: 8.5 → "8,5"; English keeps the point. Numbers under 1,000 (grades,
 * points) are formatted here, as Intl would, without a call into ICU: most pages show a handful.
 */
export function formatNumber(value: number, locale: "vi" | "en" = "vi", maxFractionDigits = 1): string {
  if (value >= 0 && value < 1000 && maxFractionDigits <= 3) {
    const plain = roundHalfUp(value, maxFractionDigits);
    if (plain !== null) return locale === "vi" ? plain.replace(".", ",") : plain;
  }
  const key = `${locale}:${maxFractionDigits}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: maxFractionDigits });
    numberFormats.set(key, format);
  }
  return format.format(value);
}

/**
 * `value` (0 ≤ value < 1000) with at most `digits` decimals, rounded half away from zero on its
 * shortest decimal form, as Intl.NumberFormat rounds ("8.35" → "8.4"), trailing zeros dropped;
 * null where Intl must do it: an exponent form (1e-7), or a result of 1,000 that needs grouping.
 */
function roundHalfUp(value: number, digits: number): string | null {
  const text = String(value);
  if (text.includes("e")) return null;
  const dot = text.indexOf(".");
  let whole = dot === -1 ? text : text.slice(0, dot);
  let fraction = dot === -1 ? "" : text.slice(dot + 1);
  if (fraction.length > digits) {
    const up = fraction.charCodeAt(digits) >= 53; // "5" or more
    fraction = fraction.slice(0, digits);
    if (up) {
      const scaled = String(Number(whole + fraction) + 1).padStart(whole.length + digits, "0");
      whole = scaled.slice(0, scaled.length - digits);
      fraction = scaled.slice(scaled.length - digits);
    }
  }
  if (whole.length > 3) return null;
  fraction = fraction.replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole;
}

/**
 * Parse a `datetime-local` value ("2026-11-30T17:00"), which users enter in Vietnamese time,
 * into an absolute instant. Vietnam has no daylight saving: always UTC+7.
 */
export function parseLocalDateTime(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00+07:00`);
  // Date rolls "02-30" over to March and "24:00" to the next day: only a real calendar time round-trips.
  if (Number.isNaN(d.getTime()) || toLocalDateTimeInput(d) !== value) return null;
  return d;
}

/** The inverse of parseLocalDateTime, for a form's default value. */
export function toLocalDateTimeInput(value: Date | string): string {
  const d = new Date(new Date(value).getTime() + 7 * 3600_000);
  return d.toISOString().slice(0, 16);
}

/**
 * Text folded for search as `users.search_name` is: no tones or marks, "đ" as "d", lower case,
 * single spaces ("  Đỗ THỊ Ánh " → "do thi anh").
 */
export function searchFold(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[đĐ]/g, "d")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}
