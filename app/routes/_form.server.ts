/** Helpers shared by route actions: reading forms within limits, and safe redirects. */
import { data } from "react-router";

export const MAX_REQUEST_BYTES = 55 * 1024 * 1024;

/**
 * Read a form body, refusing oversized uploads: a declared length above the limit before reading
 * anything, a body sent without a length (chunked) as soon as it passes the limit — so no more
 * than `maxBytes` is ever held. Returns field errors in the same shape as validation errors so
 * the page shows them beside the form.
 */
export async function readForm(request: Request, maxBytes = MAX_REQUEST_BYTES): Promise<FormData> {
  const tooLarge = () => data({ errors: { files: "errors.request_too_large" }, mb: Math.round(maxBytes / 1024 / 1024) }, { status: 413 });
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > maxBytes) throw tooLarge();
  const body = await readAtMost(request, maxBytes);
  if (body === null) throw tooLarge();
  try {
    return await new Response(body, { headers: { "content-type": request.headers.get("content-type") ?? "" } }).formData();
  } catch {
    // Not a form at all (JSON, a broken multipart body, a missing boundary): the client's fault.
    throw data({ message: "bad_request" }, { status: 400 });
  }
}

/** The whole body, or null as soon as it passes `maxBytes` (the rest is left for the server to discard). */
async function readAtMost(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks) as Uint8Array<ArrayBuffer>; // a fresh (not shared) buffer
}

/** NUL cannot be stored in PostgreSQL text and no person types it: it is dropped. */
export function stripNul(value: string): string {
  return value.includes("\u0000") ? value.replaceAll("\u0000", "") : value;
}

export function formObject(form: FormData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form.entries()) if (typeof v === "string" && !(k in out)) out[k] = stripNul(v);
  return out;
}

/**
 * Only same-site paths: "/today" yes, "//evil.example" or "https://…" no. Control characters are
 * refused too: browsers drop tabs and newlines from a URL, so "/\t/evil.example" would become "//evil.example".
 * The path comes back fit for a Location header: what a URL may not carry as it is (non-ASCII
 * letters such as "Đ", spaces, quotes, a "%" that starts no escape) is percent-encoded as UTF-8,
 * as encodeURI does, while escapes already there ("%C4%90") are kept, not encoded twice.
 */
export function safeNext(value: unknown, fallback: string): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  if (/[\u0000-\u001f\u007f]/.test(value)) return fallback;
  try {
    return value.replace(/%(?![0-9a-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?#[\]%]/giu, (c) => encodeURIComponent(c));
  } catch {
    return fallback; // a lone surrogate: no character, nothing to encode
  }
}

export function badRequest<T>(body: T) {
  return data(body, { status: 400 });
}
