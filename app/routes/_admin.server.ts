import { data, type RouterContextProvider } from "react-router";
import { z } from "zod";
import { getDb } from "../../db/client.server.ts";
import { canAdministerSchool } from "../auth/actor.server.ts";
import { forbidden, requireRole } from "../auth/guards.server.ts";
import { listAdministeredSchools } from "../services/users.server.ts";

/** An admin route for one school: the actor must administer it (directly or via the province). */
export async function requireSchoolAdmin(url: URL, context: Readonly<RouterContextProvider>, schoolId: string | undefined) {
  const actor = requireRole(url, context, "school_admin", "province_admin");
  if (!schoolId || !z.uuid().safeParse(schoolId).success) throw data({ message: "not_found" }, { status: 404 });
  const db = getDb();
  if (!(await canAdministerSchool(db, actor, schoolId))) throw forbidden();
  const school = (await listAdministeredSchools(db, actor)).find((s) => s.id === schoolId)!;
  return { actor, db, school };
}
