import type { Route } from "./+types/gradebook-xlsx";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { gradebookForClass, gradebooksOfTeacher, termParam } from "../services/gradebook.server.ts";
import { gradebookFilename, gradebookWorkbook, XLSX_TYPE } from "../services/gradebook-xlsx.server.ts";
import { contentDisposition } from "../lib/content-disposition.ts";

/**
 * The gradebook as an .xlsx download for one term (`?term=1|2`): `/classes/:classId/gradebook.xlsx`
 * one class (who may open its gradebook may download it), `/classes/gradebook.xlsx` every class
 * the teacher teaches, one sheet each.
 */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const db = getDb();
  const term = termParam(url.searchParams.get("term"));
  const books = params.classId
    ? [await gradebookForClass(db, requireRole(url, context, "teacher", "school_admin", "province_admin"), params.classId)]
    : await gradebooksOfTeacher(db, requireRole(url, context, "teacher"));
  const body = await gradebookWorkbook(books, term);
  return new Response(new Uint8Array(body), {
    headers: {
      "Content-Type": XLSX_TYPE,
      "Content-Length": String(body.length),
      "Content-Disposition": contentDisposition("attachment", gradebookFilename(books, term)),
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "private, no-store",
    },
  });
}
