import { data, type RouterContextProvider } from "react-router";
import { z } from "zod";
import { getDb } from "../../db/client.server.ts";
import { administeredSchoolIds, orgIdsWithRole } from "../auth/actor.server.ts";
import { requireRole } from "../auth/guards.server.ts";

/**
 * Who manages which repositories: a province admin those of the province and of its schools, a
 * school admin those of their school only. Returns the organisations the actor manages them for.
 */
export async function requireRepositoryAdmin(url: URL, context: Readonly<RouterContextProvider>) {
  const actor = requireRole(url, context, "school_admin", "province_admin");
  const db = getDb();
  const orgIds = [...new Set([...orgIdsWithRole(actor, "province_admin"), ...(await administeredSchoolIds(db, actor))])];
  return { actor, db, orgIds };
}

export function requireRepositoryId(value: string | undefined): string {
  if (!value || !z.uuid().safeParse(value).success) throw data({ message: "not_found" }, { status: 404 });
  return value;
}
