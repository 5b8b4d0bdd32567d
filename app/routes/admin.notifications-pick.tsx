import { redirect } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/admin.notifications-pick";
import { getDb } from "../../db/client.server.ts";
import { forbidden, requireRole } from "../auth/guards.server.ts";
import { listAdministeredSchools } from "../services/users.server.ts";

/** "/admin/notifications[?school=…]": the chosen school's delivery health, or the first one administered. */
export async function loader({ url, context }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "school_admin", "province_admin");
  const schools = await listAdministeredSchools(getDb(), actor);
  const wanted = z.uuid().safeParse(url.searchParams.get("school"));
  const school = wanted.success ? schools.find((s) => s.id === wanted.data) : schools[0];
  if (!school) throw forbidden();
  throw redirect(`/admin/schools/${school.id}/notifications`);
}
