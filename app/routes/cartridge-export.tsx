import type { Route } from "./+types/cartridge-export";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { contentDisposition } from "../lib/content-disposition.ts";

/** The class's lessons as an IMS Common Cartridge 1.3 (.imscc), for the class's teachers. */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const { exportCartridge } = await import("../services/cartridge/export.server.ts");
  const { filename, body } = await exportCartridge(getDb(), actor, params.classId);
  return new Response(new Uint8Array(body), {
    headers: {
      "Content-Type": "application/vnd.ims.imsccv1p3",
      "Content-Length": String(body.length),
      "Content-Disposition": contentDisposition("attachment", filename),
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "private, no-store",
    },
  });
}
