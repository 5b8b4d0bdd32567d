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

export function requireActor(request: Request, context: Readonly<RouterContextProvider>): Actor {
  const actor = context.get(actorContext);
  if (!actor) {
    const url = new URL(request.url);
    const next = url.pathname + url.search;
    const expired = context.get(sessionExpiredContext) ? "&expired=1" : "";
    throw redirect(`/login?next=${encodeURIComponent(next)}${expired}`);
  }
  return actor;
}

export function requireRole(request: Request, context: Readonly<RouterContextProvider>, ...roles: Role[]): Actor {
  const actor = requireActor(request, context);
  if (!hasRole(actor, ...roles)) throw forbidden();
  return actor;
}

export function forbidden(message = "forbidden") {
  return data({ message }, { status: 403 });
}

export function notFound(message = "not_found") {
  return data({ message }, { status: 404 });
}
