/** Helpers shared by route actions: reading forms within limits, and safe redirects. */
import {
  FormDataParseError,
  MaxFileSizeExceededError,
  MaxFilesExceededError,
  MaxHeaderSizeExceededError,
  MaxPartsExceededError,
  MaxTotalSizeExceededError,
  parseFormData,
} from "@remix-run/form-data-parser";
import { data, type RouterContextProvider } from "react-router";
import { actorContext, localeContext } from "../context.ts";
import { translate } from "../i18n/index.ts";
import { secondsUntil } from "../services/rate-limit.server.ts";
import type { Failure } from "../services/result.ts";
import { BODY_LIMITS, formatBytes, type BodyLimit } from "../server/limits.ts";

/**
 * Read a form body within the route's limit (BODY_LIMITS): bytes, fields and files. The body is
 * parsed as it streams in (multipart by a streaming parser), so no more than the limit is ever
 * read or held: past it, or past the number of fields, the request is refused with 413 and the
 * rest of the body is discarded by the HTTP front. Whatever limit a route asks for, a request
 * from someone not signed in gets at most BODY_LIMITS.anonymous. A body that is not a form (JSON,
 * text, a broken multipart body) is refused with 400 before it is read.
 */
export async function readForm(request: Request, context: Readonly<RouterContextProvider>, limit: BodyLimit = BODY_LIMITS.text): Promise<FormData> {
  const allowed = context.get(actorContext) ? limit : smaller(limit, BODY_LIMITS.anonymous);
  const tooLarge = () => data({ errors: { files: "errors.request_too_large" }, size: formatBytes(allowed.maxBytes) }, { status: 413 });
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > allowed.maxBytes) throw tooLarge();
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  const multipart = type.startsWith("multipart/form-data");
  if (!multipart && !type.startsWith("application/x-www-form-urlencoded")) throw data({ message: "bad_request" }, { status: 400 });
  if (multipart && !allowed.files) throw data({ message: "bad_request" }, { status: 400 });
  try {
    return await parseFormData(request, {
      maxTotalSize: allowed.maxBytes,
      maxParts: allowed.maxFields,
      // Each file's own size and the number of files are checked by checkFiles, beside the field.
      maxFileSize: allowed.maxBytes,
      maxFiles: allowed.maxFields,
      maxHeaderSize: 8 * 1024,
    });
  } catch (e) {
    if (e instanceof MaxTotalSizeExceededError || e instanceof MaxFileSizeExceededError) throw tooLarge();
    if (e instanceof MaxPartsExceededError || e instanceof MaxFilesExceededError) {
      throw data({ errors: { files: "errors.too_many_fields" }, size: formatBytes(allowed.maxBytes) }, { status: 413 });
    }
    // Not a form after all (a broken multipart body, a missing boundary, oversized part headers).
    if (e instanceof FormDataParseError || e instanceof MaxHeaderSizeExceededError) throw data({ message: "bad_request" }, { status: 400 });
    throw e;
  }
}

function smaller(a: BodyLimit, b: BodyLimit): BodyLimit {
  return { maxBytes: Math.min(a.maxBytes, b.maxBytes), maxFields: Math.min(a.maxFields, b.maxFields), files: b.files && a.files };
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

/** A throttled attempt's message in the reader's language, with how long to wait ("30 giây", "2 phút"). */
export function waitMessage(context: Readonly<RouterContextProvider>, key: string, retryAt: Date): string {
  const locale = context.get(localeContext);
  const seconds = secondsUntil(retryAt);
  const wait = seconds < 60 ? translate(locale, "errors.wait_seconds", { n: seconds }) : translate(locale, "errors.wait_minutes", { n: Math.ceil(seconds / 60) });
  return translate(locale, key, { wait });
}

/** A refused command's field errors, a throttled one's with how long to wait. */
export function failureErrors(context: Readonly<RouterContextProvider>, failure: Failure): Record<string, string> {
  const { retryAt } = failure;
  if (!retryAt) return failure.errors;
  return Object.fromEntries(Object.entries(failure.errors).map(([field, key]) => [field, waitMessage(context, key, retryAt)]));
}

/** A zod failure as the form shows it: each field's first message as the schema wrote it, by field name (result.ts's zodErrors maps messages to errors.* keys instead). */
export function fieldMessages(issues: readonly { path: readonly PropertyKey[]; message: string }[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const i of issues) errors[String(i.path[0])] ??= i.message;
  return errors;
}

export function badRequest<T>(body: T) {
  return data(body, { status: 400 });
}
