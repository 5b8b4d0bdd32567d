/** The library search's address: what /library?q=…&subject=…&grade=… asks for. Shared by server and browser. */

export type LibraryQuery = {
  q: string;
  subject: string[];
  grade: number[];
  type: string[];
  language: string[];
  licence: string[];
  source: string[];
  page: number;
};

export const LIBRARY_FACETS = ["subject", "grade", "type", "language", "licence", "source"] as const;

const values = (p: URLSearchParams, key: string) =>
  [...new Set(p.getAll(key).map((v) => v.trim()).filter((v) => v.length > 0 && v.length <= 200))].slice(0, 30);

/** Read a search from its address; anything malformed is dropped, never an error. */
export function libraryQuery(p: URLSearchParams, prefix = ""): LibraryQuery {
  const page = Number.parseInt(p.get(`${prefix}page`) ?? "1", 10);
  return {
    q: (p.get(`${prefix}q`) ?? "").normalize("NFC").slice(0, 200).trim(),
    subject: values(p, `${prefix}subject`),
    grade: values(p, `${prefix}grade`).map(Number).filter((g) => Number.isInteger(g) && g >= 1 && g <= 12),
    type: values(p, `${prefix}type`),
    language: values(p, `${prefix}language`),
    licence: values(p, `${prefix}licence`),
    source: values(p, `${prefix}source`),
    page: Number.isFinite(page) && page >= 1 ? page : 1,
  };
}

/** The address of a library search with some of it changed. */
export function libraryHref(query: LibraryQuery, change: Partial<LibraryQuery> = {}): string {
  const next = { ...query, ...change };
  const p = new URLSearchParams();
  if (next.q) p.set("q", next.q);
  for (const key of LIBRARY_FACETS) for (const v of next[key] ?? []) p.append(key, String(v));
  if (next.page && next.page > 1) p.set("page", String(next.page));
  const s = p.toString();
  return s ? `/library?${s}` : "/library";
}
