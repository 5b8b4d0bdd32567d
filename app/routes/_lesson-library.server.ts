/** The lesson editor's library panel: the lesson's resources, a library search, attaching and removing. */
import { redirect } from "react-router";
import type { Db } from "../../db/client.server.ts";
import type { Actor } from "../auth/actor.server.ts";
import { libraryQuery } from "../lib/library-query.ts";
import { searchLibrary } from "../services/library/search.server.ts";
import { attachResource, detachResource, resourcesOfLesson } from "../services/library/lesson-resources.server.ts";

/** The editor's search uses its own parameters (libq, libpage) beside the editor's. */
const PREFIX = "lib";

export async function lessonLibraryData(db: Db, url: URL, lessonId: string) {
  const attached = await resourcesOfLesson(db, lessonId);
  const query = libraryQuery(url.searchParams, PREFIX);
  let found = null;
  let failed = false;
  if (query.q) {
    try {
      found = await searchLibrary(db, { q: query.q, page: query.page, pageSize: 10 });
    } catch (error) {
      console.error("library search failed", error);
      failed = true;
    }
  }
  const notice = url.searchParams.get("library");
  return { attached, q: query.q, found, failed, notice: notice === "attached" || notice === "detached" ? (notice as "attached" | "detached") : null };
}

export async function lessonLibraryAction(db: Db, actor: Actor, url: URL, classId: string, lessonId: string, fields: Record<string, string | undefined>) {
  const resourceId = fields.resourceId ?? "";
  if (fields.intent === "attach-resource") await attachResource(db, actor, classId, lessonId, resourceId);
  else await detachResource(db, actor, classId, lessonId, resourceId);
  const back = new URLSearchParams(url.searchParams);
  back.delete("saved");
  back.delete("index");
  back.set("library", fields.intent === "attach-resource" ? "attached" : "detached");
  throw redirect(`/classes/${classId}/lessons/${lessonId}/edit?${back.toString()}`);
}
