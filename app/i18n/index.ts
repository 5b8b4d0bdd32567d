/**
 * Vietnamese by default, English selectable. A dictionary per language with the same keys;
 * `t("nav.today")` looks a key up, `{name}` placeholders are filled from `vars`.
 */
import { createContext, useContext } from "react";
import { vi, type Dictionary } from "./vi.ts";
import { en } from "./en.ts";

export type Locale = "vi" | "en";
export const LOCALES: Locale[] = ["vi", "en"];
export const LOCALE_COOKIE = "lang";

const dictionaries: Record<Locale, Dictionary> = { vi, en };

type Leaves<T, P extends string = ""> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : Leaves<T[K], `${P}${K}.`>;
}[keyof T & string];
export type MessageKey = Leaves<Dictionary>;

/** Each dictionary as one map from dotted key to message, built on first use. */
const flatDictionaries = new Map<Locale, Map<string, string>>();

function flatten(node: unknown, prefix: string, into: Map<string, string>) {
  for (const [name, value] of Object.entries(node as Record<string, unknown>)) {
    if (typeof value === "string") into.set(prefix + name, value);
    else if (value && typeof value === "object") flatten(value, `${prefix}${name}.`, into);
  }
  return into;
}

function messages(locale: Locale): Map<string, string> {
  let flat = flatDictionaries.get(locale);
  if (!flat) flatDictionaries.set(locale, (flat = flatten(dictionaries[locale], "", new Map())));
  return flat;
}

export function translate(locale: Locale, key: MessageKey | string, vars?: Record<string, string | number>): string {
  const text = messages(locale).get(key) ?? messages("vi").get(key);
  if (text === undefined) return key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

export function isLocale(value: unknown): value is Locale {
  return value === "vi" || value === "en";
}

/** The language from the `lang` cookie, else Accept-Language, else Vietnamese. */
export function localeFromRequest(request: Request): Locale {
  const cookie = request.headers.get("cookie") ?? "";
  const m = /(?:^|;\s*)lang=(vi|en)(?:;|$)/.exec(cookie);
  if (m) return m[1] as Locale;
  return "vi";
}

export const LocaleContext = createContext<Locale>("vi");

export function useLocale(): Locale {
  return useContext(LocaleContext);
}

export function useT() {
  const locale = useLocale();
  return (key: MessageKey, vars?: Record<string, string | number>) => translate(locale, key, vars);
}
