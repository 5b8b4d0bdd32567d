/**
 * From a record as read (its header and the leaf text of its metadata) to the neutral record of the
 * `RepositorySource` port: Dublin Core (oai_dc) field by field, IEEE LOM (lom, ims/lom) on a best
 * effort by the paths its binding uses. A record that cannot be taken gets a skip reason instead.
 */
import type { HarvestedRecord, HarvestSkip } from "../ports.ts";
import type { RawRecord } from "./parser.ts";

const DOI = /\b(10\.\d{4,9}\/[^\s"<>]+)/i;

export type Mapped = { kind: "record"; record: HarvestedRecord } | { kind: "deleted"; identifier: string; datestamp: string } | { kind: "skip"; skip: HarvestSkip };

export function mapRecord(raw: RawRecord): Mapped {
  const identifier = raw.identifier?.trim() ?? "";
  if (!identifier) return { kind: "skip", skip: { identifier: "", reason: "missing_identifier" } };
  if (raw.tooLarge) return { kind: "skip", skip: { identifier, reason: "too_large" } };
  const datestamp = raw.datestamp?.trim() ?? "";
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?Z)?$/.test(datestamp)) {
    return { kind: "skip", skip: { identifier, reason: datestamp ? "bad_datestamp" : "missing_datestamp", detail: datestamp.slice(0, 40) || undefined } };
  }
  if (raw.deleted) return { kind: "deleted", identifier, datestamp };
  if (!raw.metadataRoot) return { kind: "skip", skip: { identifier, reason: "no_metadata" } };
  const fields = raw.metadataRoot.local === "lom" ? fromLom(raw.fields) : fromDc(raw.fields);
  const title = fields.title.find((t) => t.trim());
  if (!title) return { kind: "skip", skip: { identifier, reason: "no_title" } };
  const identifiers = fields.identifiers;
  const urls = identifiers.filter((v) => /^https?:\/\//i.test(v));
  const doiSource = identifiers.map((v) => DOI.exec(v)?.[1]).find(Boolean);
  const url = urls.find((u) => !/doi\.org\//i.test(u)) ?? urls[0] ?? null;
  return {
    kind: "record",
    record: {
      identifier,
      datestamp,
      setSpecs: raw.setSpecs,
      title: title.trim(),
      description: fields.description.join("\n\n").trim(),
      subjects: fields.subjects,
      keywords: fields.keywords,
      authors: fields.authors,
      types: fields.types,
      languages: fields.languages,
      rights: fields.rights,
      url,
      doi: doiSource ? doiSource.replace(/[.,;]+$/, "").toLowerCase() : null,
      identifiers,
      dates: fields.dates,
      publisher: fields.publisher,
      metadata: raw.fields,
    },
  };
}

type Fields = Pick<HarvestedRecord, "subjects" | "keywords" | "authors" | "types" | "languages" | "rights" | "identifiers" | "dates"> & {
  title: string[];
  description: string[];
  publisher?: string;
};

const uniq = (xs: string[]) => [...new Set(xs.map((x) => x.replace(/\s+/g, " ").trim()).filter(Boolean))];

function fromDc(f: Record<string, string[]>): Fields {
  const get = (k: string) => f[k] ?? [];
  return {
    title: get("title"),
    description: uniq(get("description")),
    // dc:subject holds both classification terms and free keywords; split on ";" lists some repositories send.
    subjects: uniq(get("subject").flatMap((s) => s.split(/\s*;\s*/))),
    keywords: [],
    authors: uniq([...get("creator"), ...get("contributor")]),
    types: uniq(get("type")),
    languages: uniq(get("language")),
    rights: uniq(get("rights")),
    identifiers: uniq([...get("identifier"), ...get("relation").filter((r) => /^https?:\/\//.test(r))]),
    dates: uniq(get("date")),
    publisher: get("publisher")[0],
  };
}

/** IEEE LOM (its XML binding): the paths below <lom> that carry the fields we show. */
function fromLom(f: Record<string, string[]>): Fields {
  const pick = (...paths: string[]) => uniq(paths.flatMap((p) => f[p] ?? []));
  const vcards = [...(f["lifeCycle/contribute/entity"] ?? []), ...(f["lifecycle/contribute/entity"] ?? [])];
  return {
    title: pick("general/title/string", "general/title/langstring"),
    description: pick("general/description/string", "general/description/langstring", "educational/description/string"),
    subjects: pick("classification/taxonPath/taxon/entry/string", "classification/taxonpath/taxon/entry/langstring", "classification/keyword/string"),
    keywords: pick("general/keyword/string", "general/keyword/langstring"),
    authors: uniq(vcards.map(vcardName)),
    types: pick("educational/learningResourceType/value", "educational/learningresourcetype/value/langstring", "technical/format"),
    languages: pick("general/language", "educational/language"),
    rights: pick("rights/description/string", "rights/description/langstring", "rights/copyrightAndOtherRestrictions/value"),
    identifiers: pick("technical/location", "general/identifier/entry", "general/catalogentry/entry/langstring"),
    dates: pick("lifeCycle/contribute/date/dateTime", "lifecycle/contribute/date/datetime"),
    publisher: undefined,
  };
}

/** "BEGIN:VCARD … FN:Nguyễn Văn An …" → "Nguyễn Văn An"; plain text as it is. */
function vcardName(v: string): string {
  if (!/BEGIN:VCARD/i.test(v)) return v;
  const fn = /(?:^|\n|\s)FN:([^\n\r]+)/i.exec(v)?.[1];
  if (fn) return fn.trim();
  const n = /(?:^|\n|\s)N:([^\n\r]+)/i.exec(v)?.[1];
  return n ? n.split(";").filter(Boolean).reverse().join(" ").trim() : "";
}
