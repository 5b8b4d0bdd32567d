/**
 * How much a request may send, by kind of form. The HTTP front refuses a declared body above
 * what any form of its kind accepts before routing it; `readForm` enforces the route's own limit
 * while it reads (a body sent without a length stops there too).
 */
export type BodyLimit = {
  /** The whole body, in bytes. */
  maxBytes: number;
  /** Form fields (and file parts) at most: each costs the parser work however small it is. */
  maxFields: number;
  /** Files at most, and the size of each; only upload forms accept files. */
  files?: { max: number; maxBytes: number };
};

const KB = 1024;
const MB = 1024 * KB;

/** At most this many files of this size are read from one upload form (attachments, CSV). */
export const UPLOAD_FILES = { max: 5, maxBytes: 10 * MB };

export const BODY_LIMITS = {
  /** Sign-in, the language switch, sign-out: everything an anonymous visitor can post. */
  anonymous: { maxBytes: 8 * KB, maxFields: 20 },
  /** Ordinary forms of a signed-in person: names, codes, a grade with its comment. */
  text: { maxBytes: 64 * KB, maxFields: 100 },
  /** A form holding a long Markdown text without files (assignment instructions, the preview). */
  longText: { maxBytes: 1 * MB, maxFields: 100 },
  /** Forms with files (lesson attachments, submitted work, a CSV roster). */
  upload: { maxBytes: UPLOAD_FILES.max * UPLOAD_FILES.maxBytes + 5 * MB, maxFields: 100, files: UPLOAD_FILES },
} satisfies Record<string, BodyLimit>;

/** The most any request may declare: the upload limit. */
export const MAX_REQUEST_BYTES = BODY_LIMITS.upload.maxBytes;

/** "8 kB", "1 MB", "55 MB": a limit as a person reads it. */
export function formatBytes(bytes: number): string {
  return bytes >= MB ? `${Math.round(bytes / MB)} MB` : `${Math.round(bytes / KB)} kB`;
}
