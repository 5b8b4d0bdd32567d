import type { Route } from "./+types/oai";
import { getDb } from "../../db/client.server.ts";
import { env } from "../env.server.ts";

/**
 * The province's OAI-PMH 2.0 repository: open lessons and files of its schools, for harvesters
 * (no sign-in). GET with the query, or POST application/x-www-form-urlencoded (the spec's two
 * ways); always HTTP 200 with text/xml, errors inside the document.
 */
async function answer(request: Request, url: URL, pairs: [string, string][]) {
  const { oaiResponse } = await import("../services/library/oai-provider.server.ts");
  const origin = env().APP_URL?.replace(/\/$/, "") ?? url.origin;
  const xml = await oaiResponse(getDb(), pairs, `${origin}/oai`, origin);
  return new Response(xml, {
    headers: { "Content-Type": "text/xml; charset=UTF-8", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache" },
  });
}

export async function loader({ request, url }: Route.LoaderArgs) {
  return answer(request, url, [...url.searchParams.entries()]);
}

/** At most this much of a POSTed request is read: a harvester's arguments are short. */
const MAX_BODY = 8 * 1024;

export async function action({ request, url }: Route.ActionArgs) {
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  if (!type.startsWith("application/x-www-form-urlencoded") || Number(request.headers.get("content-length") ?? "0") > MAX_BODY) {
    // Not a form the protocol allows: answered as a request without a (readable) verb.
    return answer(request, url, []);
  }
  const reader = request.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_BODY) {
      await reader.cancel();
      return answer(request, url, []);
    }
    chunks.push(value);
  }
  const body = Buffer.concat(chunks).toString("utf8");
  return answer(request, url, [...new URLSearchParams(body).entries()]);
}
