import { translate, type Locale, type MessageKey } from "../i18n/index.ts";

type Match = { id: string; data?: unknown } | undefined;

/** A page title in the reader's language: "Hôm nay · Lớp Số" / "Today · Lớp Số". */
export function pageTitle(matches: Match[], key: MessageKey) {
  const root = matches.find((m) => m?.id === "root")?.data as { locale?: Locale } | undefined;
  return [{ title: `${translate(root?.locale ?? "vi", key)} · Lớp Số` }];
}

/** A public page's title and its description for search engines and link previews. */
export function pageTitleAndDescription(matches: Match[], key: MessageKey) {
  const root = matches.find((m) => m?.id === "root")?.data as { locale?: Locale } | undefined;
  return [...pageTitle(matches, key), { name: "description", content: translate(root?.locale ?? "vi", "app.description") }];
}
