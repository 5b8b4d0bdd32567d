/**
 * A person's private iCalendar feed (`/calendar/<token>.ics`), for Google Calendar, Outlook and
 * Apple Calendar: no session needed, the token is the authority; an unknown or revoked one is 404.
 * The token is not a row id (the root checks every named parameter is one): a splat.
 */
import type { Route } from "./+types/calendar";
import { getDb } from "../../db/client.server.ts";
import { env } from "../env.server.ts";
import { calendarFeed, calendarOwner } from "../services/calendar.server.ts";

export async function loader({ params, request }: Route.LoaderArgs) {
  const m = /^([A-Za-z0-9_-]{59})\.ics$/.exec(params["*"] ?? "");
  const db = getDb();
  const userId = m ? await calendarOwner(db, env().SECRET_KEY, m[1]) : null;
  if (!userId) return new Response("Not found\n", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
  const base = env().APP_URL ?? new URL(request.url).origin;
  return new Response(await calendarFeed(db, userId, base), {
    headers: {
      "Content-Type": "text/calendar; charset=utf-8",
      "Content-Disposition": 'inline; filename="lopso.ics"',
      "Cache-Control": "private, no-store",
      "X-Robots-Tag": "noindex",
    },
  });
}
