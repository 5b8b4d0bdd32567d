/**
 * Uploaded files live under DATA_DIR/uploads; the database keeps their metadata. A file is
 * written under a temporary name, flushed, and moved to its key in the transaction that records
 * it (`transactionWithFiles`); a periodic sweep removes what no row refers to.
 */
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { Db, DbOrTx, Tx } from "../../db/client.server.ts";
import { assignments, attachments, lessons, submissions } from "../../db/schema/index.ts";
import { env } from "../env.server.ts";
import { UPLOAD_FILES } from "../server/limits.ts";

/** Files one upload form may carry, and the size of each (the same numbers bound the form's body). */
export const MAX_FILE_BYTES = UPLOAD_FILES.maxBytes;
export const MAX_FILES = UPLOAD_FILES.max;

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
const startsWith = (head: Uint8Array, bytes: number[], at = 0) => bytes.every((b, i) => head[at + i] === b);
const ZIP = [0x50, 0x4b, 0x03, 0x04]; // Office Open XML (docx, pptx, xlsx) is a zip
const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]; // doc, ppt, xls

/** Brands of an ISO BMFF file that hold HEIF still images (HEIC is HEIF with HEVC-coded pictures). */
const HEIF_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1"]);

/**
 * A HEIF image begins with an ISO BMFF `ftyp` box: its size (4 bytes, big-endian), "ftyp", the
 * major brand, a minor version, then compatible brands to the end of the box. One of the brands
 * (major or compatible) must be a HEIF image's; an MP4 video's (isom, mp41, avc1…) are not.
 */
function isHeif(head: Uint8Array): boolean {
  if (!startsWith(head, ascii("ftyp"), 4) || head.length < 12) return false;
  const size = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  if (size < 16) return false;
  const brand = (at: number) => String.fromCharCode(head[at], head[at + 1], head[at + 2], head[at + 3]);
  if (HEIF_BRANDS.has(brand(8))) return true;
  for (let at = 16; at + 4 <= Math.min(size, head.length); at += 4) if (HEIF_BRANDS.has(brand(at))) return true;
  return false;
}

type AllowedType = {
  /** File name extensions for the type (type and extension must agree). */
  extensions: string[];
  /** Whether the file's first bytes are how this type's contents begin (its "magic number"). */
  looksLike: (head: Uint8Array) => boolean;
  /**
   * Other types a browser may declare for such a file: the file is accepted under them too (the
   * stored type is still this one, and the contents are checked all the same).
   */
  declaredAs?: string[];
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
  // Photos from iPhones (and many Android phones). Browsers that do not know the type (Chrome and
  // Firefox on Windows or Linux without HEIF support) send no type, or a generic one.
  "image/heic": { extensions: [".heic"], looksLike: isHeif, declaredAs: ["image/heif", "image/heic-sequence", "image/heif-sequence", "application/octet-stream", ""] },
  "image/heif": { extensions: [".heif"], looksLike: isHeif, declaredAs: ["image/heic", "image/heic-sequence", "image/heif-sequence", "application/octet-stream", ""] },
};

/** How many first bytes are read to check a type's contents: text is checked further. */
const headBytes = (type: string) => (type === "text/plain" ? 8192 : 64);

export type FileProblem = { file: string; reason: "too_large" | "type_not_allowed" | "too_many" | "content_mismatch" };

const declaredType = (f: File) => (f.type || "").split(";")[0].trim().toLowerCase();

/**
 * Refuse what may not be attached: too many files, a file too large, a type or extension not on
 * the list, or contents that are not what the type says (a renamed .exe, an HTML page called
 * .pdf). The type stored and served is the server's own for the extension (`canonicalType`),
 * never the browser's string.
 */
export async function checkFiles(files: File[]): Promise<FileProblem | null> {
  if (files.length > MAX_FILES) return { file: "", reason: "too_many" };
  for (const f of files) {
    if (f.size > MAX_FILE_BYTES) return { file: f.name, reason: "too_large" };
    const type = canonicalType(f.name);
    const declared = declaredType(f);
    if (!type || (declared !== type && !ALLOWED_TYPES[type].declaredAs?.includes(declared))) return { file: f.name, reason: "type_not_allowed" };
  }
  for (const f of files) {
    const type = canonicalType(f.name)!;
    const head = new Uint8Array(await f.slice(0, headBytes(type)).arrayBuffer());
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

/** DATA_DIR/uploads: stored files under `<first two characters of the key>/<key>`, uploads in progress under `tmp/`. */
export function uploadsDir(dataDir = env().DATA_DIR) {
  return path.join(dataDir, "uploads");
}

const TMP = "tmp";
const KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function storedPath(key: string): string {
  if (!/^[0-9a-f-]{36}$/.test(key)) throw new Error("bad storage key");
  return path.join(uploadsDir(), key.slice(0, 2), key);
}

function tempPath(key: string): string {
  return path.join(uploadsDir(), TMP, `${key}.part`);
}

/** Create DATA_DIR/uploads (and its folder for uploads in progress) at start-up. */
export async function prepareUploads(dataDir = env().DATA_DIR) {
  await fs.mkdir(path.join(uploadsDir(dataDir), TMP), { recursive: true });
}

/**
 * Whether uploads can be written now: DATA_DIR/uploads is a folder and a probe file can be
 * created, flushed and removed in it (a permission check alone says nothing when running as root,
 * or on a read-only or full file system). For /readyz.
 */
export async function uploadsWritable(): Promise<{ ok: true } | { ok: false; error: string }> {
  const dir = uploadsDir();
  const probe = path.join(dir, `.readyz-${process.pid}-${crypto.randomUUID()}`);
  try {
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) return { ok: false, error: `${dir} is not a folder` };
    const handle = await fs.open(probe, "wx");
    try {
      await handle.writeFile("ok");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rm(probe, { force: true });
    return { ok: true };
  } catch (e) {
    await fs.rm(probe, { force: true }).catch(() => {});
    return { ok: false, error: (e as Error).message };
  }
}

/** The type a file is stored and served as: the one its (checked) extension stands for. */
export function canonicalType(filename: string): string | null {
  const ext = path.extname(filename).toLowerCase();
  for (const [type, allowed] of Object.entries(ALLOWED_TYPES)) if (allowed.extensions.includes(ext)) return type;
  return null;
}

/** The policy of every file response: nothing in a file may load, run or submit anything. */
export const FILE_RESPONSE_CSP = "default-src 'none'; sandbox";

/**
 * Types shown in the browser (in a tab, or an <img>); everything else is downloaded. Not PDFs:
 * a browser's PDF viewer does not run in a sandboxed document, so a PDF opens in the device's own
 * viewer instead. Not HEIC/HEIF either: only Safari can show them, so they open on the device.
 */
const SHOWN_INLINE = new Set(["image/png", "image/jpeg", "image/webp"]);

/**
 * How a stored file is served. The type comes from the server's own list — by the file's
 * extension, confirmed by its first bytes — never from what a browser declared (rows stored before
 * this rule may hold any string). A file that is not what its name says, or whose name is not on
 * the list, goes out as application/octet-stream, to be downloaded.
 */
export async function servedAs(key: string, filename: string): Promise<{ contentType: string; inline: boolean }> {
  const type = canonicalType(filename);
  if (type) {
    const head = await readHead(storedPath(key), headBytes(type));
    if (ALLOWED_TYPES[type].looksLike(head)) {
      return { contentType: type === "text/plain" ? "text/plain; charset=utf-8" : type, inline: SHOWN_INLINE.has(type) };
    }
  }
  return { contentType: "application/octet-stream", inline: false };
}

async function readHead(file: string, bytes: number): Promise<Uint8Array> {
  const handle = await fs.open(file, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return new Uint8Array(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** An upload written to its temporary name, waiting for the transaction that records it. */
export type StagedFile = {
  key: string;
  filename: string;
  contentType: string;
  size: number;
  /** SHA-256 of the contents (hex): with the name and size, how a file already attached is recognised. */
  sha256: string;
  /** Set by `attachStaged` when the lesson or submission already carries this very file: it is not recorded, and its temporary copy is removed. */
  duplicate?: true;
};

/**
 * Write each (checked) file to `uploads/tmp/<key>.part` and flush it to disk. Nothing refers to a
 * staged file yet; `transactionWithFiles` moves it to its key.
 */
export async function stageFiles(files: File[]): Promise<StagedFile[]> {
  const staged: StagedFile[] = [];
  try {
    await fs.mkdir(path.join(uploadsDir(), TMP), { recursive: true });
    for (const file of files) {
      const key = crypto.randomUUID();
      const bytes = Buffer.from(await file.arrayBuffer());
      const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
      staged.push({ key, filename: displayName(file), contentType: canonicalType(file.name) ?? "application/octet-stream", size: file.size, sha256 });
      const handle = await fs.open(tempPath(key), "wx", 0o640);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    return staged;
  } catch (e) {
    await discard(staged);
    throw e;
  }
}

/** Remove staged files wherever they are (temporary name or key). */
async function discard(staged: StagedFile[]) {
  await Promise.all(staged.flatMap((s) => [fs.rm(tempPath(s.key), { force: true }), fs.rm(storedPath(s.key), { force: true })]));
}

/** Move staged files to their keys and make the renames durable (each folder flushed); drop duplicates. */
async function place(staged: StagedFile[]) {
  const dirs = new Set<string>();
  for (const s of staged) {
    if (s.duplicate) {
      await fs.rm(tempPath(s.key), { force: true });
      continue;
    }
    const final = storedPath(s.key);
    await fs.mkdir(path.dirname(final), { recursive: true });
    await fs.rename(tempPath(s.key), final);
    dirs.add(path.dirname(final));
  }
  for (const dir of dirs) {
    const handle = await fs.open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/**
 * Run `work` (which records the staged files' rows) in one transaction, and move the files to
 * their keys as its last step, just before the commit.
 *
 * Why then, and not after the commit: a row must never name a file that is not there. Moving
 * before the commit means that whatever a crash (kill -9, power loss) interrupts, what it leaves
 * behind is a file no row refers to — a temporary file, or a whole file under its key whose row
 * never committed — and `sweepUploads` removes those once they are older than its grace period.
 * Moving after the commit would leave committed rows without their file when the process dies in
 * between. A truncated file is never referenced: each file is flushed before it is moved.
 *
 * If `work` fails (or a move does), the staged files are removed at once. If the commit itself
 * fails the outcome may be unknown (a connection lost mid-commit), so the files are left to the
 * sweep, which keeps them when the rows did commit.
 */
export async function transactionWithFiles<T>(db: Db, staged: StagedFile[], work: (tx: Tx) => Promise<T>): Promise<T> {
  let placed = false;
  try {
    return await db.transaction(async (tx) => {
      const result = await work(tx);
      await place(staged);
      placed = true;
      return result;
    });
  } catch (e) {
    if (!placed) await discard(staged);
    throw e;
  }
}

/** What one lesson, assignment or submission may carry in all, the files already attached included. */
export const MAX_ATTACHED_FILES = 5;
export const MAX_ATTACHED_BYTES = 50 * 1024 * 1024;

/** The lesson, assignment or submission already carries as many files, or as many bytes, as it may. */
export class AttachmentLimitError extends Error {
  constructor(readonly reason: "total_count" | "total_bytes") {
    super(`attachment limit reached: ${reason}`);
  }
}

/**
 * Record staged files as attachments of a lesson, an assignment or a submission, inside the
 * caller's transaction. The parent row is locked first, so two requests adding files to the same
 * parent take turns and the second counts what the first attached: the limits hold for everything
 * attached, not per request. (An assignment's lock is "for no key update", which a student's
 * hand-in — needing only the key share lock of its foreign key — does not wait for.)
 *
 * Saving again never attaches what is already attached: a file with the same name, size and
 * contents as one the parent carries (or as another file of the same request) is marked
 * `duplicate` and left out, so a form sent again with its file still chosen changes nothing.
 */
export async function attachStaged(
  tx: Tx,
  parent: { lessonId: string } | { assignmentId: string } | { submissionId: string },
  ownerId: string,
  staged: StagedFile[],
) {
  if (staged.length === 0) return;
  let column;
  let link: { lessonId: string } | { assignmentId: string } | { submissionId: string };
  let parentId: string;
  if ("lessonId" in parent) {
    parentId = parent.lessonId;
    column = attachments.lessonId;
    link = { lessonId: parentId };
    await tx.select({ id: lessons.id }).from(lessons).where(eq(lessons.id, parentId)).for("update");
  } else if ("assignmentId" in parent) {
    parentId = parent.assignmentId;
    column = attachments.assignmentId;
    link = { assignmentId: parentId };
    await tx.select({ id: assignments.id }).from(assignments).where(eq(assignments.id, parentId)).for("no key update");
  } else {
    parentId = parent.submissionId;
    column = attachments.submissionId;
    link = { submissionId: parentId };
    await tx.select({ id: submissions.id }).from(submissions).where(eq(submissions.id, parentId)).for("update");
  }
  const ofParent = eq(column, parentId);
  const fresh = await markDuplicates(tx, ofParent, staged);
  if (fresh.length === 0) return;
  const [attached] = await tx
    .select({ files: sql<number>`count(*)::int`, bytes: sql<string>`coalesce(sum(${attachments.size}), 0)::bigint` })
    .from(attachments)
    .where(ofParent);
  if (attached.files + fresh.length > MAX_ATTACHED_FILES) throw new AttachmentLimitError("total_count");
  if (Number(attached.bytes) + fresh.reduce((n, s) => n + s.size, 0) > MAX_ATTACHED_BYTES) throw new AttachmentLimitError("total_bytes");
  await tx.insert(attachments).values(
    fresh.map((s) => ({
      ...link,
      ownerId,
      filename: s.filename,
      contentType: s.contentType,
      size: s.size,
      storageKey: s.key,
    })),
  );
}

/**
 * Mark the staged files that the parent already carries, or that an earlier file of the same
 * request is, and return the others. A stored file is read and hashed only when its name and
 * size are those of a staged one.
 */
async function markDuplicates(tx: Tx, ofParent: SQL, staged: StagedFile[]): Promise<StagedFile[]> {
  const names = [...new Set(staged.map((s) => s.filename))];
  const existing = await tx
    .select({ filename: attachments.filename, size: attachments.size, key: attachments.storageKey })
    .from(attachments)
    .where(and(ofParent, inArray(attachments.filename, names)));
  const hashes = new Map<string, Promise<string | null>>();
  const storedHash = (key: string) => {
    let hash = hashes.get(key);
    if (!hash) hashes.set(key, (hash = hashOfStored(key)));
    return hash;
  };
  const fresh: StagedFile[] = [];
  for (const s of staged) {
    const same = (o: { filename: string; size: number }) => o.filename === s.filename && o.size === s.size;
    let duplicate = fresh.some((o) => same(o) && o.sha256 === s.sha256);
    for (const e of existing) {
      if (duplicate) break;
      if (same(e) && (await storedHash(e.key)) === s.sha256) duplicate = true;
    }
    if (duplicate) s.duplicate = true;
    else fresh.push(s);
  }
  return fresh;
}

/** SHA-256 (hex) of a stored file, or null when it is not there. */
async function hashOfStored(key: string): Promise<string | null> {
  try {
    return crypto.createHash("sha256").update(await fs.readFile(storedPath(key))).digest("hex");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

export async function removeStored(keys: string[]) {
  await Promise.all(keys.map((k) => fs.rm(storedPath(k), { force: true })));
}

/** How long a file may sit unreferenced before the sweep removes it: far longer than any upload takes. */
export const SWEEP_GRACE_MS = 60 * 60 * 1000;

/**
 * Remove what no attachment row refers to: temporary files left by an interrupted upload, and
 * files under a key whose row never committed (or was deleted while the file could not be) —
 * only those last modified more than `graceMs` ago, so an upload in progress is never touched.
 * Other files in the folder are left alone.
 */
export async function sweepUploads(db: DbOrTx, opts: { now?: Date; graceMs?: number; dataDir?: string } = {}) {
  const root = uploadsDir(opts.dataDir);
  const before = (opts.now ?? new Date()).getTime() - (opts.graceMs ?? SWEEP_GRACE_MS);
  const old = async (file: string) => {
    const stat = await fs.stat(file).catch(() => null);
    return stat !== null && stat.isFile() && stat.mtimeMs < before;
  };
  let temporary = 0;
  let unreferenced = 0;
  let kept = 0;
  const entries = await fs.readdir(root, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return [];
    throw e;
  });
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    const names = await fs.readdir(dir);
    if (entry.name === TMP) {
      for (const name of names) {
        if (name.endsWith(".part") && (await old(path.join(dir, name)))) {
          await fs.rm(path.join(dir, name), { force: true });
          temporary++;
        }
      }
      continue;
    }
    if (!/^[0-9a-f]{2}$/.test(entry.name)) continue;
    const candidates: string[] = [];
    for (const name of names) {
      if (KEY.test(name) && name.startsWith(entry.name) && (await old(path.join(dir, name)))) candidates.push(name);
      else if (KEY.test(name)) kept++;
    }
    for (let i = 0; i < candidates.length; i += 500) {
      const batch = candidates.slice(i, i + 500);
      const referenced = new Set(
        (await db.select({ key: attachments.storageKey }).from(attachments).where(inArray(attachments.storageKey, batch))).map((r) => r.key),
      );
      for (const key of batch) {
        if (referenced.has(key)) {
          kept++;
          continue;
        }
        await fs.rm(path.join(dir, key), { force: true });
        unreferenced++;
      }
    }
  }
  return { temporary, unreferenced, kept };
}
