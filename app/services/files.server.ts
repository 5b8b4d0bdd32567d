/** Uploaded files live under DATA_DIR/uploads; the database keeps their metadata. */
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { env } from "../env.server.ts";

export const MAX_FILE_BYTES = 10 * 1024 * 1024;
export const MAX_FILES = 5;

/** What may be attached, by MIME type and extension (both must agree). */
export const ALLOWED_TYPES: Record<string, string[]> = {
  "application/pdf": [".pdf"],
  "image/png": [".png"],
  "image/jpeg": [".jpg", ".jpeg"],
  "image/webp": [".webp"],
  "text/plain": [".txt"],
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [".docx"],
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": [".pptx"],
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
  "application/msword": [".doc"],
  "application/vnd.ms-powerpoint": [".ppt"],
  "application/vnd.ms-excel": [".xls"],
  "audio/mpeg": [".mp3"],
  "video/mp4": [".mp4"],
};

export type FileProblem = { file: string; reason: "too_large" | "type_not_allowed" | "too_many" };

export function checkFiles(files: File[]): FileProblem | null {
  if (files.length > MAX_FILES) return { file: "", reason: "too_many" };
  for (const f of files) {
    if (f.size > MAX_FILE_BYTES) return { file: f.name, reason: "too_large" };
    const ext = path.extname(f.name).toLowerCase();
    const type = (f.type || "").split(";")[0].trim().toLowerCase();
    if (!ALLOWED_TYPES[type]?.includes(ext)) return { file: f.name, reason: "type_not_allowed" };
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
