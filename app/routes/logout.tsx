import { redirect } from "react-router";
import type { Route } from "./+types/logout";
import { getDb } from "../../db/client.server.ts";
import { getActor } from "../auth/guards.server.ts";
import { secureCookies } from "../auth/request.server.ts";
import { blankSessionCookie, invalidateAllSessions, invalidateSession } from "../auth/session.server.ts";
import { readForm } from "./_form.server.ts";

export async function loader() {
  throw redirect("/");
}

/** The sign-out form has one small field; a larger body is not read. */
const MAX_LOGOUT_BYTES = 16 * 1024;

/**
 * Sign out always works: whatever the body (none, JSON, a broken form, one too large), this
 * device's session ends. Only a readable form may ask for every device (`everywhere=1`).
 */
export async function action({ request, context }: Route.ActionArgs) {
  const actor = getActor(context);
  const everywhere = (await formField(request, "everywhere")) === "1";
  if (actor) {
    if (everywhere) await invalidateAllSessions(getDb(), actor.id);
    else await invalidateSession(getDb(), actor.sessionId);
  }
  throw redirect("/login?signedout=1", { headers: { "Set-Cookie": blankSessionCookie(secureCookies(request)) } });
}

async function formField(request: Request, name: string): Promise<string | null> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) return null;
  try {
    const value = (await readForm(request, MAX_LOGOUT_BYTES)).get(name);
    return typeof value === "string" ? value : null;
  } catch {
    return null; // unreadable or too large: signed out here only
  }
}
