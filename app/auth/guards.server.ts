/**
 * Guards that throw: a route calls them first and cannot forget to stop.
 * Signed out → redirect to /login; wrong role → 403; someone else's thing → 404 (we do not
 * reveal that it exists).
 */
import { data, redirect, type RouterContextProvider } from "react-router";
import type { Role } from "../../db/schema/index.ts";
import { actorContext, sessionExpiredContext } from "../context.ts";
import { hasRole, type Actor } from "./actor.server.ts";

export function getActor(context: Readonly<RouterContextProvider>): Actor | null {
  return context.get(actorContext);
}

/**
 * `url` is the loader's or action's `url` argument: the address the user asked for, without React
 * Router's own details (`.data`, `_routes`, `index`), so that signing in leads back to the page.
 */
export function requireActor(url: URL, context: Readonly<RouterContextProvider>): Actor {
  const actor = context.get(actorContext);
  if (!actor) {
    const next = url.pathname + url.search;
    const expired = context.get(sessionExpiredContext) ? "&expired=1" : "";
    throw redirect(`/login?next=${encodeURIComponent(next)}${expired}`);
  }
  return actor;
}

export function requireRole(url: URL, context: Readonly<RouterContextProvider>, ...roles: Role[]): Actor {
  const actor = requireActor(url, context);
  if (!hasRole(actor, ...roles)) throw forbidden();
  return actor;
}

export function forbidden(message = "forbidden") {
  return data({ message }, { status: 403 });
}

export function notFound(message = "not_found") {
  return data({ message }, { status: 404 });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every id in this app (rows' primary keys) is a UUID; anything else names nothing. */
export function isId(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

/**
 * An id from a URL or a form, or 404: a malformed id names nothing that exists, and it never
 * reaches the database (PostgreSQL would refuse it as a uuid with an error).
 */
export function requireId(value: unknown): string {
  if (!isId(value)) throw notFound();
  return value;
}

/**
 * The root middleware's check of the URL's parameters: every route parameter of this app is a
 * row's id (`:classId`, `:lessonId`, …), so a parameter that is not a UUID is a 404 before any
 * loader or action runs.
 */
export function requireIdParams(params: Readonly<Record<string, string | undefined>>) {
  // "*" is the catch-all route's rest of the path, not an id: that route answers 404 itself.
  for (const [name, value] of Object.entries(params)) if (name !== "*" && value !== undefined) requireId(value);
}
