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

export async function action({ request, context }: Route.ActionArgs) {
  const actor = getActor(context);
  const form = await readForm(request, context, BODY_LIMITS.anonymous);
  if (actor) {
    if (form.get("everywhere") === "1") await invalidateAllSessions(getDb(), actor.id);
    else await invalidateSession(getDb(), actor.sessionId);
  }
  throw redirect("/login?signedout=1", { headers: { "Set-Cookie": blankSessionCookie(secureCookies(request)) } });
}
