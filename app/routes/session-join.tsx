/**
 * "Tham gia" (`/sessions/:id/join`): for a student of the session's classes (or its teacher) while
 * an occurrence is open — 10 minutes before its start until its end — records who joined when and
 * redirects to the platform's join address (the host's start link for a teacher). Otherwise back
 * to the session's page, which says when it opens.
 */
import { redirect } from "react-router";
import type { Route } from "./+types/session-join";
import { getDb } from "../../db/client.server.ts";
import { requireActor } from "../auth/guards.server.ts";
import { joinSession } from "../services/live-sessions.server.ts";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireActor(url, context);
  const result = await joinSession(getDb(), actor, params.sessionId);
  if ("url" in result) throw redirect(result.url, { headers: { "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" } });
  throw redirect(`/sessions/${params.sessionId}?closed=1`);
}
