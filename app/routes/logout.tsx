import { redirect } from "react-router";
import type { Route } from "./+types/logout";
import { getDb } from "../../db/client.server.ts";
import { getActor } from "../auth/guards.server.ts";
import { secureCookies } from "../auth/request.server.ts";
import { blankSessionCookie, invalidateAllSessions, invalidateSession } from "../auth/session.server.ts";
import { readForm } from "./_form.server.ts";
import { BODY_LIMITS } from "../server/limits.ts";

export async function loader() {
  throw redirect("/");
}

/**
 * Sign out always works: whatever the body (none, JSON, a broken form, one too large), this
 * device's session ends. Only a readable form may ask for every device (`everywhere=1`).
 */
export async function action({ request, context }: Route.ActionArgs) {
  const actor = getActor(context);
  const everywhere = (await formField(request, context, "everywhere")) === "1";
  if (actor) {
    if (everywhere) await invalidateAllSessions(getDb(), actor.id);
    else await invalidateSession(getDb(), actor.sessionId);
  }
  throw redirect("/login?signedout=1", { headers: { "Set-Cookie": blankSessionCookie(secureCookies(request)) } });
}

async function formField(request: Request, context: Route.ActionArgs["context"], name: string): Promise<string | null> {
  try {
    const value = (await readForm(request, context, BODY_LIMITS.anonymous)).get(name);
    return typeof value === "string" ? value : null;
  } catch {
    return null; // unreadable or too large: signed out here only
  }
}
