import {
  data,
  Links,
  Meta,
  Outlet,
  redirect,
  Scripts,
  ScrollRestoration,
  useRouteLoaderData,
  type MiddlewareFunction,
} from "react-router";
import type { ShouldRevalidateFunctionArgs } from "react-router";
import type { Route } from "./+types/root";
import { getDb } from "../db/client.server.ts";
import { authenticate, newNonce } from "./auth/request.server.ts";
import { SESSION_COOKIE } from "./auth/session.server.ts";
import { actorContext, localeContext, nonceContext, sessionExpiredContext } from "./context.ts";
import { isLocale, localeFromRequest, LocaleContext, type Locale } from "./i18n/index.ts";
import { useNonce } from "./components/nonce.tsx";
import { usePageLocale } from "./components/request-locale.tsx";
import { AppShell } from "./components/shell.tsx";
import { ErrorCard } from "./components/error-card.tsx";
import { homePath, hasRole } from "./auth/actor.server.ts";
import { requireIdParams } from "./auth/guards.server.ts";
import { env } from "./env.server.ts";
import { CHANGE_PASSWORD_PATH } from "./lib/password.ts";
import { ensureDatabase } from "./server/boot.ts";
import "./styles.css";

const session: MiddlewareFunction<Response> = async ({ request, context, params }, next) => {
  context.set(nonceContext, newNonce());
  await ensureDatabase();
  const auth = await authenticate(getDb(), request);
  context.set(actorContext, auth.actor);
  context.set(sessionExpiredContext, auth.expired);
  const cookieLocale = /(?:^|;\s*)lang=(vi|en)(?:;|$)/.exec(request.headers.get("cookie") ?? "")?.[1];
  const locale: Locale = isLocale(cookieLocale) ? cookieLocale : (auth.actor?.locale ?? localeFromRequest(request));
  context.set(localeContext, locale);
  if (auth.actor?.mustChangePassword) requirePasswordChange(request);
  // A malformed id in the URL is a 404 for every route, before its loader or action runs.
  requireIdParams(params);
  const response = await next();
  // One session cookie per response: an action that signs in or out has set its own, and the
  // browser would keep whichever came last (a stale token's clearing one would undo a sign-in).
  if (auth.setCookie && !setsSessionCookie(response)) response.headers.append("Set-Cookie", auth.setCookie);
  return response;
};

/** Where a person with a temporary password may go: the change itself, signing out, the language. */
const OPEN_WITH_TEMPORARY_PASSWORD = new Set([CHANGE_PASSWORD_PATH, "/logout", "/lang"]);

/** A temporary password is changed before anything else: every other page leads to the change. */
function requirePasswordChange(request: Request) {
  const url = new URL(request.url);
  url.searchParams.delete("_routes");
  url.searchParams.delete("index");
  // Client navigations ask for "/today.data" (and "/_root.data" for the home page).
  const path = url.pathname.replace(/\.data$/, "").replace(/^\/_root$/, "/");
  if (OPEN_WITH_TEMPORARY_PASSWORD.has(path)) return;
  const next = request.method === "GET" && path !== "/" ? `?next=${encodeURIComponent(path + url.search)}` : "";
  throw redirect(CHANGE_PASSWORD_PATH + next);
}

function setsSessionCookie(response: Response) {
  return response.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`));
}

export const middleware: Route.MiddlewareFunction[] = [session];

export async function loader({ context }: Route.LoaderArgs) {
  const actor = context.get(actorContext);
  return data({
    locale: context.get(localeContext),
    demo: env().DEMO,
    user: actor
      ? {
          fullName: actor.fullName,
          home: homePath(actor),
          roles: [...new Set(actor.memberships.map((m) => m.role))],
          isAdmin: hasRole(actor, "school_admin", "province_admin"),
          unread: actor.unread ?? 0,
        }
      : null,
  });
}

/** The lesson editor's live preview (a fetcher posting to /api/preview) changes nothing the frame shows. */
export function shouldRevalidate({ formAction, defaultShouldRevalidate }: ShouldRevalidateFunctionArgs) {
  return formAction === "/api/preview" ? false : defaultShouldRevalidate;
}

export type RootData = Awaited<ReturnType<typeof loader>>["data"];

export function useRootData() {
  return useRouteLoaderData<typeof loader>("root");
}

export function Layout({ children }: { children: React.ReactNode }) {
  const root = useRootData();
  const nonce = useNonce();
  const locale = usePageLocale(root?.locale);
  return (
    <html lang={locale}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="theme-color" content="#0b5cab" />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <Meta />
        <Links />
      </head>
      <body>
        <LocaleContext.Provider value={locale}>{children}</LocaleContext.Provider>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return (
    <AppShell>
      <Outlet />
    </AppShell>
  );
}

/** Errors of the root itself (its loader, or a page outside the frame): the frame is drawn here. */
export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  return (
    <AppShell>
      <ErrorCard error={error} />
    </AppShell>
  );
}
