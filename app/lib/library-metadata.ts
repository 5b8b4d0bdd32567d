/**
 * What the library derives from a harvested record's metadata (pure): the school subject of the
 * 2018 programme (app/lib/curriculum.ts codes), the grades 1–12 it is for, its kind, its language
 * and its licence, its dedupe key and its folded search text. Vietnamese with or without
 * diacritics, and English, are read alike (everything is compared folded, see `searchFold`).
 */
import { searchFold } from "./vn.ts";
import type { HarvestedRecord } from "../../integrations/ports.ts";

/** Folded phrases (no diacritics, lower case) → subject code; longer phrases are tried first. */
const SUBJECT_PHRASES: [string, string][] = [
  ["tieng viet", "tieng-viet"],
  ["vietnamese language", "tieng-viet"],
  ["toan hoc", "toan"],
  ["toan", "toan"],
  ["mathematics", "toan"],
  ["maths", "toan"],
  ["math", "toan"],
  ["algebra", "toan"],
  ["geometry", "toan"],
  ["dai so", "toan"],
  ["hinh hoc", "toan"],
  ["dao duc", "dao-duc"],
  ["ngoai ngu", "tieng-anh"],
  ["tieng anh", "tieng-anh"],
  ["english", "tieng-anh"],
  ["tu nhien va xa hoi", "tu-nhien-xa-hoi"],
  ["khoa hoc tu nhien", "khtn"],
  ["natural science", "khtn"],
  ["lich su va dia li", "lich-su-dia-li"],
  ["lich su va dia ly", "lich-su-dia-li"],
  ["lich su", "lich-su"],
  ["history", "lich-su"],
  ["dia li", "dia-li"],
  ["dia ly", "dia-li"],
  ["geography", "dia-li"],
  ["tin hoc va cong nghe", "tin-hoc-cong-nghe"],
  ["tin hoc", "tin-hoc"],
  ["informatics", "tin-hoc"],
  ["computer science", "tin-hoc"],
  ["lap trinh", "tin-hoc"],
  ["cong nghe", "cong-nghe"],
  ["technology", "cong-nghe"],
  ["giao duc the chat", "gdtc"],
  ["the duc", "gdtc"],
  ["physical education", "gdtc"],
  ["am nhac", "am-nhac"],
  ["music", "am-nhac"],
  ["mi thuat", "mi-thuat"],
  ["my thuat", "mi-thuat"],
  ["fine art", "mi-thuat"],
  ["hoat dong trai nghiem", "hdtn"],
  ["ngu van", "ngu-van"],
  ["van hoc", "ngu-van"],
  ["literature", "ngu-van"],
  ["giao duc cong dan", "gdcd"],
  ["civic education", "gdcd"],
  ["giao duc dia phuong", "gddp"],
  ["quoc phong", "gdqp"],
  ["kinh te va phap luat", "gdktpl"],
  ["vat li", "vat-li"],
  ["vat ly", "vat-li"],
  ["physics", "vat-li"],
  ["hoa hoc", "hoa-hoc"],
  ["chemistry", "hoa-hoc"],
  ["sinh hoc", "sinh-hoc"],
  ["biology", "sinh-hoc"],
  ["khoa hoc", "khoa-hoc"],
  ["science", "khoa-hoc"],
].sort((a, b) => b[0].length - a[0].length) as [string, string][];

const SUBJECT_RE = SUBJECT_PHRASES.map(([phrase, code]) => [phrase, new RegExp(`(^|[^a-z0-9])${phrase.replace(/ /g, "\\s+")}($|[^a-z0-9])`), code] as const);

/**
 * Folded phrases that are other words too ("an toàn" is safety, "toán" is mathematics): when the
 * text carries diacritics, they must be written this way.
 */
const WITH_DIACRITICS: Record<string, RegExp> = { toan: /toán/, "dia li": /địa l[íý]/, "dia ly": /địa l[íý]/ };
const HAS_MARKS = /[\u0300-\u036f]/;

/** The first school subject named by the subjects/keywords (then by the title); null when none. */
export function deriveSubject(subjects: string[], keywords: string[] = [], title = ""): string | null {
  for (const group of [subjects, keywords, [title]]) {
    // The first text that names one; in it the longest phrase ("Khoa học tự nhiên" before "Khoa học").
    for (const raw of group) {
      const text = searchFold(raw);
      if (!text) continue;
      const marked = HAS_MARKS.test(raw.normalize("NFD")) ? raw.normalize("NFC").toLowerCase() : null;
      for (const [phrase, re, code] of SUBJECT_RE) {
        if (!re.test(text)) continue;
        const exact = WITH_DIACRITICS[phrase];
        if (marked && exact && !exact.test(marked)) continue;
        return code;
      }
    }
  }
  return null;
}

const LEVELS: [RegExp, number[]][] = [
  [/(^|[^a-z])(tieu hoc|primary school|primary education|elementary)([^a-z]|$)/, [1, 2, 3, 4, 5]],
  [/(^|[^a-z])(thcs|trung hoc co so|lower secondary|middle school)([^a-z]|$)/, [6, 7, 8, 9]],
  [/(^|[^a-z])(thpt|trung hoc pho thong|upper secondary|high school)([^a-z]|$)/, [10, 11, 12]],
];

/** "lớp 6", "lop 6", "Grade 6", "khối 7", "lớp 6A1", "lớp 6, 7", THCS (6–9), tiểu học (1–5), THPT (10–12). */
export function deriveGrades(texts: string[]): number[] {
  const grades = new Set<number>();
  for (const raw of texts) {
    const text = searchFold(raw);
    for (const m of text.matchAll(/(?:^|[^a-z])(?:lop|khoi|grade|class|year)\s*(\d{1,2})(?:\s*(-|–|,|va|and|to|den)\s*(\d{1,2}))?(?=[a-z]?\d?(?:[^0-9]|$))/g)) {
      const a = Number(m[1]);
      const b = m[3] ? Number(m[3]) : a;
      const range = m[2] === "-" || m[2] === "–" || m[2] === "to" || m[2] === "den";
      if (a >= 1 && a <= 12) grades.add(a);
      if (b >= 1 && b <= 12) {
        if (range && b > a) for (let g = a; g <= b; g++) grades.add(g);
        else grades.add(b);
      }
    }
    for (const [re, list] of LEVELS) if (re.test(text)) list.forEach((g) => grades.add(g));
  }
  return [...grades].sort((x, y) => x - y);
}

export const RESOURCE_TYPES = ["lesson", "exercise", "test", "video", "audio", "image", "presentation", "document", "book", "software", "dataset", "other"] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

const TYPE_RULES: [RegExp, ResourceType][] = [
  [/bai giang|giao an|lesson|lecture|ke hoach bai day/, "lesson"],
  [/bai tap|exercise|worksheet|phieu hoc tap|luyen tap|problem/, "exercise"],
  [/de thi|kiem tra|\bquiz|\btest\b|exam|assessment|questionnaire/, "test"],
  [/video|movingimage|moving image|phim/, "video"],
  [/audio|sound|am thanh/, "audio"],
  [/image|hinh anh|stillimage|picture|photo|tranh/, "image"],
  [/slide|trinh chieu|presentation|powerpoint/, "presentation"],
  [/sach|book|textbook|giao trinh/, "book"],
  [/software|phan mem|interactiveresource|interactive|simulation|mo phong/, "software"],
  [/dataset|du lieu/, "dataset"],
  [/text|van ban|tai lieu|document|article|report|narrative text|thesis/, "document"],
];

/** dc:type / LOM learningResourceType (then the title) → one of RESOURCE_TYPES; null when nothing says. */
export function deriveResourceType(types: string[], title = ""): ResourceType | null {
  for (const group of [types, [title]]) {
    for (const raw of group) {
      const text = searchFold(raw);
      for (const [re, type] of TYPE_RULES) if (re.test(text)) return type;
    }
  }
  return types.length ? "other" : null;
}

/** "vi", "vie", "Tiếng Việt", "Vietnamese", "vi-VN" → "vi"; "en", "eng", "English" → "en"; other ISO 639 codes as they are. */
export function deriveLanguage(languages: string[]): string | null {
  for (const raw of languages) {
    const text = searchFold(raw);
    if (!text) continue;
    if (/^(vi|vie|vi[-_]vn)$|tieng viet|vietnamese/.test(text)) return "vi";
    if (/^(en|eng|en[-_][a-z]{2})$|tieng anh|english/.test(text)) return "en";
    const code = /^([a-z]{2,3})(?:[-_][a-z]{2})?$/.exec(text)?.[1];
    if (code && code !== "other" && code !== "und") return code;
  }
  return null;
}

/**
 * A Creative Commons licence, from its URL ("http://creativecommons.org/licenses/by-sa/4.0/" →
 * "CC-BY-SA-4.0") or its name ("CC BY-NC 4.0"); CC0 and the public domain mark; else null.
 */
export function deriveLicence(rights: string[]): string | null {
  for (const raw of rights) {
    const text = raw.toLowerCase();
    const url = /creativecommons\.org\/licenses\/([a-z-]+)\/(\d\.\d)/.exec(text);
    if (url) return `CC-${url[1]!.toUpperCase()}-${url[2]}`;
    if (/creativecommons\.org\/publicdomain\/zero|\bcc0\b/.test(text)) return "CC0-1.0";
    if (/creativecommons\.org\/publicdomain\/mark/.test(text)) return "PDM-1.0";
    const name = /\bcc[\s-]+(by(?:[\s-]+(?:nc|sa|nd)){0,2})(?:[\s-]+(\d\.\d))?/.exec(text);
    if (name) return `CC-${name[1]!.replace(/\s+/g, "-").toUpperCase()}${name[2] ? `-${name[2]}` : ""}`;
  }
  return null;
}

/** The normalised DOI (doi:10.x/…, https://doi.org/10.x/…, lower case), else the URL without scheme, "www." or trailing slash, else the OAI identifier. */
export function dedupeKey(input: { doi?: string | null; url?: string | null; identifier: string }): string {
  const doi = input.doi?.trim().toLowerCase().replace(/^(https?:\/\/(dx\.)?doi\.org\/|doi:)/, "");
  if (doi && /^10\.\d{4,9}\//.test(doi)) return `doi:${doi}`;
  if (input.url) {
    try {
      const u = new URL(input.url.trim());
      u.hash = "";
      const host = u.hostname.toLowerCase().replace(/^www\./, "");
      const path = u.pathname.replace(/\/+$/, "");
      return `url:${host}${u.port ? `:${u.port}` : ""}${path}${u.search}`;
    } catch {
      /* not a URL: the identifier below */
    }
  }
  return `oai:${input.identifier.trim()}`;
}

/** The resource's search text: its title, description, subjects, keywords and authors folded. */
export function searchTextOf(r: { title: string; description: string; subjects: string[]; keywords: string[]; authors: string[] }): string {
  return searchFold([r.title, r.description, ...r.subjects, ...r.keywords, ...r.authors].join(" "));
}

export type DerivedResource = {
  dedupeKey: string;
  title: string;
  description: string;
  subjects: string[];
  keywords: string[];
  authors: string[];
  subject: string | null;
  grades: number[];
  resourceType: ResourceType | null;
  language: string | null;
  licence: string | null;
  url: string | null;
  searchText: string;
};

/** Everything the library row needs, from a harvested record's neutral fields. */
export function deriveResource(
  r: Pick<HarvestedRecord, "identifier" | "title" | "description" | "subjects" | "keywords" | "authors" | "types" | "languages" | "rights" | "url" | "doi"> & { setSpecs?: string[] },
): DerivedResource {
  const title = r.title.normalize("NFC").slice(0, 1000);
  const description = r.description.normalize("NFC").slice(0, 20_000);
  const subjects = r.subjects.map((s) => s.normalize("NFC").slice(0, 300)).slice(0, 50);
  const keywords = r.keywords.map((s) => s.normalize("NFC").slice(0, 300)).slice(0, 50);
  const authors = r.authors.map((s) => s.normalize("NFC").slice(0, 300)).slice(0, 50);
  return {
    dedupeKey: dedupeKey(r),
    title,
    description,
    subjects,
    keywords,
    authors,
    subject: deriveSubject(subjects, keywords, title),
    grades: deriveGrades([...subjects, ...keywords, title]),
    resourceType: deriveResourceType(r.types, title),
    language: deriveLanguage(r.languages),
    licence: deriveLicence(r.rights),
    url: r.url,
    searchText: searchTextOf({ title, description, subjects, keywords, authors }),
  };
}
