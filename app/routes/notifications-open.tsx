import { redirect } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/notifications-open";
import { getDb } from "../../db/client.server.ts";
import { notFound, requireActor } from "../auth/guards.server.ts";
import { markRead } from "../services/notify-inbox.server.ts";
import { safeNext } from "./_form.server.ts";

/**
 * Opening an inbox item: it is marked read, and the person goes to the page it is about (only a
 * page of the hub: a stored link that is not a local path leads back to the inbox).
 */
export async function loader({ url, context }: Route.LoaderArgs) {
  const actor = requireActor(url, context);
  const id = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).safeParse(url.searchParams.get("id"));
  if (!id.success) throw notFound();
  const { found, link } = await markRead(getDb(), actor.id, id.data);
  if (!found) throw notFound();
  throw redirect(safeNext(link, "/notifications"));
}
