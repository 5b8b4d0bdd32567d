/**
 * A session's recording through the hub (`/sessions/:id/recordings/:recordingId`): for the class's
 * teachers and students, and parents when the teacher allows; the platform's address is only the
 * redirect's target, never shown on a page.
 */
import { data, redirect } from "react-router";
import { and, eq } from "drizzle-orm";
import type { Route } from "./+types/session-recording";
import { getDb } from "../../db/client.server.ts";
import { sessionRecordings } from "../../db/schema/index.ts";
import { requireActor } from "../auth/guards.server.ts";
import { sessionAccess } from "../services/live-sessions.server.ts";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireActor(url, context);
  const db = getDb();
  const { session, role } = await sessionAccess(db, actor, params.sessionId);
  const [rec] = await db.select().from(sessionRecordings).where(and(eq(sessionRecordings.id, params.recordingId), eq(sessionRecordings.sessionId, session.id)));
  if (!rec || (role === "parent" && !rec.parentsMaySee)) throw data({ message: "not_found" }, { status: 404 });
  throw redirect(rec.playUrl, { headers: { "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" } });
}
