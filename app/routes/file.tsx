import fs from "node:fs";
import { Readable } from "node:stream";
import type { Route } from "./+types/file";
import { getDb } from "../../db/client.server.ts";
import { getActor, requireActor } from "../auth/guards.server.ts";
import { getAttachmentForDownload, isOpenToVisitors } from "../services/lessons.server.ts";
import { FILE_RESPONSE_CSP, servedAs, storedPath } from "../services/files.server.ts";
import { contentDisposition } from "../lib/content-disposition.ts";

/**
 * Attachments are served only to people who may see what they are attached to, with a type the
 * server derives (never the uploader's), downloaded unless it is a picture, and under a
 * policy of their own that lets nothing in them run.
 */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  // An open lesson's files (or a file shared as open on its own) download without signing in.
  const actor = getActor(context);
  if (!actor && !(await isOpenToVisitors(getDb(), { attachmentId: params.attachmentId }))) requireActor(url, context);
  const file = await getAttachmentForDownload(getDb(), actor, params.attachmentId);
  const served = await servedAs(file.storageKey, file.filename);
  const stream = Readable.toWeb(fs.createReadStream(storedPath(file.storageKey))) as ReadableStream;
  return new Response(stream, {
    headers: {
      "Content-Type": served.contentType,
      "Content-Length": String(file.size),
      "Content-Disposition": contentDisposition(served.inline ? "inline" : "attachment", file.filename),
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": FILE_RESPONSE_CSP,
      "Cache-Control": "private, no-store",
    },
  });
}
