/** Uploaded files live under DATA_DIR/uploads; the database keeps their metadata. */
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { env } from "../env.server.ts";

export const MAX_FILE_BYTES = 10 * 1024 * 1024;
export const MAX_FILES = 5;

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
const startsWith = (head: Uint8Array, bytes: number[], at = 0) => bytes.every((b, i) => head[at + i] === b);
const ZIP = [0x50, 0x4b, 0x03, 0x04]; // Office Open XML (docx, pptx, xlsx) is a zip
const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]; // doc, ppt, xls

type AllowedType = {
  /** File name extensions for the type (type and extension must agree). */
  extensions: string[];
  /** Whether the file's first bytes are how this type's contents begin (its "magic number"). */
  looksLike: (head: Uint8Array) => boolean;
};

/** What may be attached, by MIME type. */
export const ALLOWED_TYPES: Record<string, AllowedType> = {
  "application/pdf": { extensions: [".pdf"], looksLike: (h) => startsWith(h, ascii("%PDF-")) },
  "image/png": { extensions: [".png"], looksLike: (h) => startsWith(h, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  "image/jpeg": { extensions: [".jpg", ".jpeg"], looksLike: (h) => startsWith(h, [0xff, 0xd8, 0xff]) },
  "image/webp": { extensions: [".webp"], looksLike: (h) => startsWith(h, ascii("RIFF")) && startsWith(h, ascii("WEBP"), 8) },
  "text/plain": { extensions: [".txt"], looksLike: (h) => !h.includes(0) }, // text has no NUL bytes
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": { extensions: [".docx"], looksLike: (h) => startsWith(h, ZIP) },
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": { extensions: [".pptx"], looksLike: (h) => startsWith(h, ZIP) },
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { extensions: [".xlsx"], looksLike: (h) => startsWith(h, ZIP) },
  "application/msword": { extensions: [".doc"], looksLike: (h) => startsWith(h, OLE2) },
  "application/vnd.ms-powerpoint": { extensions: [".ppt"], looksLike: (h) => startsWith(h, OLE2) },
  "application/vnd.ms-excel": { extensions: [".xls"], looksLike: (h) => startsWith(h, OLE2) },
  // An ID3 tag, or straight into an MPEG audio frame (11 sync bits set).
  "audio/mpeg": { extensions: [".mp3"], looksLike: (h) => startsWith(h, ascii("ID3")) || (h[0] === 0xff && (h[1] & 0xe0) === 0xe0) },
  "video/mp4": { extensions: [".mp4"], looksLike: (h) => startsWith(h, ascii("ftyp"), 4) },
};

export type FileProblem = { file: string; reason: "too_large" | "type_not_allowed" | "too_many" | "content_mismatch" };

const declaredType = (f: File) => (f.type || "").split(";")[0].trim().toLowerCase();

/**
 * Refuse what may not be attached: too many files, a file too large, a type or extension not on
 * the list, or contents that are not what the type says (a renamed .exe, an HTML page called
 * .pdf) — the type stored and later served is the declared one, so it must be true.
 */
export async function checkFiles(files: File[]): Promise<FileProblem | null> {
  if (files.length > MAX_FILES) return { file: "", reason: "too_many" };
  for (const f of files) {
    if (f.size > MAX_FILE_BYTES) return { file: f.name, reason: "too_large" };
    const ext = path.extname(f.name).toLowerCase();
    if (!ALLOWED_TYPES[declaredType(f)]?.extensions.includes(ext)) return { file: f.name, reason: "type_not_allowed" };
  }
  for (const f of files) {
    const type = declaredType(f);
    const head = new Uint8Array(await f.slice(0, type === "text/plain" ? 8192 : 16).arrayBuffer());
    if (!ALLOWED_TYPES[type].looksLike(head)) return { file: f.name, reason: "content_mismatch" };
  }
  return null;
}

/** Non-empty files from a form field (browsers send an empty part when nothing was chosen). */
export function filesFrom(form: FormData, name: string): File[] {
  return form.getAll(name).filter((v): v is File => typeof v === "object" && v !== null && "size" in v && v.size > 0);
}

/** The name to keep for an upload: NFC, without control characters (NUL cannot be stored) or folders. */
export function displayName(file: File): string {
  const name = file.name.normalize("NFC").replace(/[\u0000-\u001f\u007f]/g, "");
  return name.split(/[\\/]/).pop()?.trim() || "tep";
}

function uploadsDir() {
  return path.join(env().DATA_DIR, "uploads");
}

export async function storeFile(file: File): Promise<string> {
  const key = crypto.randomUUID();
  const dir = path.join(uploadsDir(), key.slice(0, 2));
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, key), Buffer.from(await file.arrayBuffer()));
  return key;
}

export function storedPath(key: string): string {
  if (!/^[0-9a-f-]{36}$/.test(key)) throw new Error("bad storage key");
  return path.join(uploadsDir(), key.slice(0, 2), key);
}

export async function removeStored(keys: string[]) {
  await Promise.all(keys.map((k) => fs.rm(storedPath(k), { force: true })));
}
