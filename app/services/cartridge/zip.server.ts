/**
 * Reading an uploaded zip safely, entry by entry (yauzl): refuse zip bombs (too many entries, an
 * entry or the whole too large once inflated, a compression ratio no real file has), unsafe names
 * (absolute paths, `..`, backslashes) and symbolic links — before anything is written anywhere.
 */
import yauzl from "yauzl";

export const ZIP_LIMITS = {
  maxEntries: 5000,
  maxEntryBytes: 30 * 1024 * 1024,
  maxTotalBytes: 200 * 1024 * 1024,
  /** Inflated ÷ compressed, for entries above 1 MB inflated. */
  maxRatio: 200,
};

export class ZipRefused extends Error {
  constructor(readonly reason: "not_zip" | "too_many" | "too_large" | "bomb" | "traversal" | "symlink", readonly entry = "") {
    super(`zip refused: ${reason}${entry ? ` (${entry})` : ""}`);
  }
}

const JUNK = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$)/;

function unsafeName(name: string) {
  return name.includes("\\") || name.startsWith("/") || /^[a-zA-Z]:/.test(name) || name.split("/").some((s) => s === "..") || name.includes("\u0000");
}

/** Every file of the zip (folders and junk left out), by its path inside the zip. */
export async function readZip(buffer: Buffer, limits = ZIP_LIMITS): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    // Names are checked here (not by yauzl) so that each refusal says what it was.
    yauzl.fromBuffer(buffer, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true }, (err, z) => (err || !z ? reject(new ZipRefused("not_zip")) : resolve(z))),
  );
  const files = new Map<string, Buffer>();
  let total = 0;
  let count = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on("error", (e) => reject(e instanceof ZipRefused ? e : new ZipRefused("not_zip")));
      zip.on("end", () => resolve());
      zip.on("entry", (entry: yauzl.Entry) => {
        const raw = entry.fileName as unknown as Buffer;
        const name = (entry.generalPurposeBitFlag & 0x800 ? raw.toString("utf8") : raw.toString("latin1")).normalize("NFC");
        if (++count > limits.maxEntries) return reject(new ZipRefused("too_many"));
        if (unsafeName(name)) return reject(new ZipRefused("traversal", name));
        const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
        if (mode === 0o120000) return reject(new ZipRefused("symlink", name));
        if (name.endsWith("/") || JUNK.test(name)) return zip.readEntry();
        if (entry.uncompressedSize > limits.maxEntryBytes) return reject(new ZipRefused("too_large", name));
        if (entry.uncompressedSize > 1024 * 1024 && entry.uncompressedSize > limits.maxRatio * Math.max(1, entry.compressedSize)) return reject(new ZipRefused("bomb", name));
        total += entry.uncompressedSize;
        if (total > limits.maxTotalBytes) return reject(new ZipRefused("too_large", name));
        zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(new ZipRefused("not_zip", name));
          const chunks: Buffer[] = [];
          let size = 0;
          stream.on("data", (c: Buffer) => {
            size += c.length;
            // The sizes in the directory are the zip's own claims: the bytes are counted too.
            if (size > limits.maxEntryBytes) stream.destroy(new ZipRefused("too_large", name));
            else chunks.push(c);
          });
          stream.on("error", (e) => reject(e instanceof ZipRefused ? e : new ZipRefused("bomb", name)));
          stream.on("end", () => {
            files.set(name, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return files;
}
