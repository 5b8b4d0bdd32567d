import { translate, type Locale, type MessageKey } from "../i18n/index.ts";

type Match = { id: string; data?: unknown } | undefined;

/** A page title in the reader's language: "Hôm nay · Lớp Số" / "Today · Lớp Số". */
export function pageTitle(matches: Match[], key: MessageKey) {
  const root = matches.find((m) => m?.id === "root")?.data as { locale?: Locale } | undefined;
  return [{ title: `${translate(root?.locale ?? "vi", key)} · Lớp Số` }];
}
