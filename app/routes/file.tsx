import fs from "node:fs";
import { Readable } from "node:stream";
import type { Route } from "./+types/file";
import { getDb } from "../../db/client.server.ts";
import { requireActor } from "../auth/guards.server.ts";
import { getAttachmentForDownload } from "../services/lessons.server.ts";
import { storedPath } from "../services/files.server.ts";

/** Attachments are served only to people who may see what they are attached to. */
export async function loader({ request, context, params }: Route.LoaderArgs) {
  const actor = requireActor(request, context);
  const file = await getAttachmentForDownload(getDb(), actor, params.attachmentId);
  const stream = Readable.toWeb(fs.createReadStream(storedPath(file.storageKey))) as ReadableStream;
  return new Response(stream, {
    headers: {
      "Content-Type": file.contentType,
      "Content-Length": String(file.size),
      "Content-Disposition": `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
      "Cache-Control": "private, no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
