/**
 * A OneRoster bundle on disk — a folder or a .zip — and its CSV files read as streams of rows, each
 * with the line a spreadsheet shows it on. Zips are read entry by entry with yauzl: every name is
 * checked (no "..", no absolute paths, no drive letters) and sizes are bounded before anything is
 * read; yauzl also checks that an entry does not unpack to more than it declares (zip bombs).
 */
import fs from "node:fs";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { parse } from "csv-parse";
import yauzl from "yauzl";
import { recordStartLine, type RosterError } from "../../lib/oneroster.ts";

/** What a bundle may unpack to at most (all files together), and one file's compression ratio. */
export const BUNDLE_LIMITS = { maxUnpackedBytes: 2 * 1024 ** 3, maxEntries: 100, maxRatio: 1000 };

export class BundleError extends Error {
  constructor(readonly error: RosterError) {
    super(error.key);
  }
}

export type Bundle = {
  /** The CSV files by their name as written in the bundle. */
  names: string[];
  /** The bundle's file for a OneRoster name ("users.csv"), matched without case (exports write "userprofiles.csv"). */
  find(name: string): string | undefined;
  open(name: string): Promise<Readable>;
  close(): void;
};

function matcher(names: string[]) {
  return (wanted: string) => names.find((n) => n === wanted) ?? names.find((n) => n.toLowerCase() === wanted.toLowerCase());
}

export async function openBundle(location: string, limits = BUNDLE_LIMITS): Promise<Bundle> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(location);
  } catch {
    throw new BundleError({ file: path.basename(location), line: 0, column: 0, key: "notBundle" });
  }
  if (stat.isDirectory()) {
    const names = (await fs.promises.readdir(location)).filter((n) => n.toLowerCase().endsWith(".csv"));
    return { names, find: matcher(names), open: async (n) => fs.createReadStream(path.join(location, n)), close() {} };
  }
  return openZip(location, limits);
}

/** A name inside a zip is safe when it is relative, has no ".." or drive, and uses "/" only. */
export function unsafeZipName(name: string): boolean {
  return name.includes("\\") || name.startsWith("/") || /^[A-Za-z]:/.test(name) || name.split("/").some((p) => p === "..") || name.includes("\0");
}

async function openZip(file: string, limits: typeof BUNDLE_LIMITS): Promise<Bundle> {
  const base = path.basename(file);
  const bad = (key: RosterError["key"], vars?: Record<string, string | number>) => new BundleError({ file: base, line: 0, column: 0, key, vars });
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }, (e, z) => (e ? reject(e) : resolve(z!))),
    );
  } catch (e) {
    throw bad("zipBad", { detail: (e as Error).message });
  }
  const entries = new Map<string, yauzl.Entry>();
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on("entry", (entry: yauzl.Entry) => {
        const name = entry.fileName;
        if (unsafeZipName(name)) return reject(bad("zipUnsafeName", { value: name }));
        if (name.endsWith("/") || name.startsWith("__MACOSX/") || !name.toLowerCase().endsWith(".csv")) return zip.readEntry();
        total += entry.uncompressedSize;
        const ratio = entry.compressedSize > 0 ? entry.uncompressedSize / entry.compressedSize : entry.uncompressedSize > 0 ? Infinity : 0;
        if (total > limits.maxUnpackedBytes || ratio > limits.maxRatio) {
          return reject(bad("zipTooLarge", { value: `${Math.round(total / 1024 ** 2)} MB`, max: `${Math.round(limits.maxUnpackedBytes / 1024 ** 2)} MB` }));
        }
        if (entries.size >= limits.maxEntries) return reject(bad("zipTooLarge", { value: `${entries.size + 1} files`, max: `${limits.maxEntries}` }));
        entries.set(name, entry);
        zip.readEntry();
      });
      zip.once("end", () => resolve());
      zip.once("error", (e) => {
        // yauzl itself refuses some unsafe names ("invalid relative path: ../x", "absolute path: /x").
        const unsafe = /^(?:invalid relative path|absolute path|invalid characters in fileName): (.*)$/.exec((e as Error).message);
        reject(unsafe ? bad("zipUnsafeName", { value: unsafe[1] }) : bad("zipBad", { detail: (e as Error).message }));
      });
      zip.readEntry();
    });
  } catch (e) {
    zip.close();
    throw e;
  }
  // Files at the top level, or all in one folder (a zipped export folder).
  let names = [...entries.keys()];
  const dirs = new Set(names.map((n) => (n.includes("/") ? n.slice(0, n.lastIndexOf("/") + 1) : "")));
  const prefix = dirs.size === 1 ? [...dirs][0] : "";
  const byShort = new Map(names.filter((n) => n.startsWith(prefix) && !n.slice(prefix.length).includes("/")).map((n) => [n.slice(prefix.length), entries.get(n)!]));
  names = [...byShort.keys()];
  return {
    names,
    find: matcher(names),
    open: (n) => zip.openReadStreamPromise(byShort.get(n)!),
    close: () => zip.close(),
  };
}

/** CRLF and lone CR to LF, across chunk boundaries: line numbers then count as an editor does. */
function lineEnds(): Transform {
  let pendingCr = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      // Most exports end lines with LF alone: such a chunk passes as it is.
      if (!pendingCr && chunk.indexOf(13) === -1) return done(null, chunk);
      let s = chunk.toString("latin1");
      if (pendingCr) s = "\r" + s;
      pendingCr = s.endsWith("\r");
      if (pendingCr) s = s.slice(0, -1);
      done(null, Buffer.from(s.replace(/\r\n?/g, "\n"), "latin1"));
    },
    flush(done) {
      done(null, pendingCr ? Buffer.from("\n") : undefined);
    },
  });
}

export type CsvRecord = { cells: string[]; line: number };

/**
 * A CSV file's records, streamed: UTF-8 with or without a BOM, CRLF or LF, quoted fields with
 * commas and line breaks. A malformed file (an unclosed quote …) ends with a BundleError naming
 * its line.
 */
export async function* readCsv(stream: Readable, fileName: string): AsyncGenerator<CsvRecord> {
  const parser = stream.pipe(lineEnds()).pipe(
    parse({ bom: true, raw: true, info: true, relax_column_count: true, skip_empty_lines: true }),
  );
  let lastEnd = 0;
  try {
    for await (const r of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number } }>) {
      lastEnd = r.info.lines;
      yield { cells: r.record, line: recordStartLine(r.info.lines, r.raw) };
    }
  } catch (e) {
    const err = e as { lines?: number; code?: string; message: string };
    if (err.code?.startsWith("CSV_") || err.lines !== undefined) {
      // A quote left open runs to the end of the file: the record it spoils starts after the last good one.
      const line = err.code === "CSV_QUOTE_NOT_CLOSED" ? lastEnd + 1 : (err.lines ?? 1);
      throw new BundleError({ file: fileName, line, column: 1, key: "malformed", vars: { detail: err.code ?? err.message } });
    }
    throw e;
  } finally {
    stream.destroy();
  }
}
