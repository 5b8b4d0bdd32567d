import { createContext, useContext } from "react";
import { isLocale, type Locale } from "../i18n/index.ts";

/** The language the server chose for this request, for pages rendered without the root's data. */
export const RequestLocaleContext = createContext<Locale | undefined>(undefined);

/**
 * The page's language: the root loader's when it ran; otherwise (an error page after a failed
 * action) the one the server chose, and in the browser the one the server wrote on <html lang>.
 */
export function usePageLocale(fromRoot: Locale | undefined): Locale {
  const fromServer = useContext(RequestLocaleContext);
  if (fromRoot) return fromRoot;
  if (fromServer) return fromServer;
  if (typeof document !== "undefined" && isLocale(document.documentElement.lang)) return document.documentElement.lang;
  return "vi";
}
