import { createContext } from "react-router";
import type { Actor } from "./auth/actor.server.ts";
import type { Locale } from "./i18n/index.ts";

/** The signed-in person (with their roles), or null. Set once per request by the root middleware. */
export const actorContext = createContext<Actor | null>(null);
/** CSP nonce for this response's inline scripts. */
export const nonceContext = createContext<string>("");
export const localeContext = createContext<Locale>("vi");
/** The request carried a session cookie that has expired or is no longer valid. */
export const sessionExpiredContext = createContext<boolean>(false);
