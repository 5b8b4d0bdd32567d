/**
 * A streaming reader of OAI-PMH 2.0 responses over saxes: text is written in chunks as it arrives,
 * finished records are taken out with `drainRecords()` while the rest of the page is still being
 * read, so memory stays flat however large a page is. Each record's text is bounded (a record over
 * the bound is kept only as "too large", to be skipped with its identifier).
 */
import { SaxesParser, type SaxesTagNS } from "saxes";

export const OAI_NS = "http://www.openarchives.org/OAI/2.0/";

export type RawRecord = {
  identifier: string | null;
  datestamp: string | null;
  setSpecs: string[];
  deleted: boolean;
  /** Namespace and local name of the metadata's root element (oai_dc:dc, lom, …). */
  metadataRoot: { uri: string; local: string } | null;
  /** Leaf text under the metadata root by path of local names: "title", "general/title/string". */
  fields: Record<string, string[]>;
  tooLarge: boolean;
};

export type ResumptionToken = { value: string; completeListSize?: number; cursor?: number; expirationDate?: string };

export type Envelope = {
  responseDate: string | null;
  errors: { code: string; message: string }[];
  verb: string | null;
  identify: Record<string, string[]>;
  formats: { metadataPrefix: string; schema: string; metadataNamespace: string }[];
  sets: { setSpec: string; setName: string }[];
  /** Present when the list goes on (an empty element or none at all both mean the list is complete). */
  resumptionToken: ResumptionToken | null;
  /** The root element, when it was not OAI-PMH. */
  foreignRoot: string | null;
};

export type ParserLimits = { maxRecordChars: number; maxValuesPerField: number; maxValueChars: number };
export const DEFAULT_LIMITS: ParserLimits = { maxRecordChars: 256 * 1024, maxValuesPerField: 100, maxValueChars: 20_000 };

const VERBS = new Set(["Identify", "ListMetadataFormats", "ListSets", "ListIdentifiers", "ListRecords", "GetRecord"]);

export class OaiResponseParser {
  private readonly sax: SaxesParser<{ xmlns: true }>;
  private readonly limits: ParserLimits;
  private readonly stack: string[] = [];
  private text = "";
  private textOverflow = false;
  private record: RawRecord | null = null;
  private recordChars = 0;
  /** Depth of the metadata root element in the stack, while inside one. */
  private metaDepth = -1;
  private format: Partial<Envelope["formats"][number]> | null = null;
  private set: Partial<Envelope["sets"][number]> | null = null;
  private tokenAttrs: Omit<ResumptionToken, "value"> = {};
  private records: RawRecord[] = [];
  readonly envelope: Envelope = { responseDate: null, errors: [], verb: null, identify: {}, formats: [], sets: [], resumptionToken: null, foreignRoot: null };

  constructor(limits: Partial<ParserLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.sax = new SaxesParser({ xmlns: true, position: true });
    this.sax.on("opentag", (tag) => this.open(tag as SaxesTagNS));
    this.sax.on("closetag", () => this.close());
    this.sax.on("text", (t) => this.addText(t));
    this.sax.on("cdata", (t) => this.addText(t));
  }

  /** Throws the parser's error (with line and column) on XML that is not well formed. */
  write(chunk: string): void {
    this.sax.write(chunk);
  }

  end(): Envelope {
    this.sax.close();
    return this.envelope;
  }

  /** The records finished since the last call. */
  drainRecords(): RawRecord[] {
    const out = this.records;
    this.records = [];
    return out;
  }

  get pending(): number {
    return this.records.length;
  }

  private addText(t: string) {
    if (this.textOverflow) return;
    if (this.record) {
      this.recordChars += t.length;
      if (this.recordChars > this.limits.maxRecordChars) {
        this.record.tooLarge = true;
        this.record.fields = {};
        this.text = "";
        return;
      }
    }
    if (this.text.length + t.length > this.limits.maxValueChars) {
      this.text += t.slice(0, Math.max(0, this.limits.maxValueChars - this.text.length));
      this.textOverflow = true;
      return;
    }
    this.text += t;
  }

  private open(tag: SaxesTagNS) {
    const depth = this.stack.length;
    this.stack.push(tag.local);
    this.text = "";
    this.textOverflow = false;
    if (depth === 0) {
      if (tag.local !== "OAI-PMH") {
        this.envelope.foreignRoot = tag.prefix ? `${tag.prefix}:${tag.local}` : tag.local;
        throw new ForeignRootError(this.envelope.foreignRoot);
      }
      return;
    }
    if (depth === 1) {
      if (tag.local === "error") this.envelope.errors.push({ code: attr(tag, "code") ?? "", message: "" });
      else if (VERBS.has(tag.local)) this.envelope.verb = tag.local;
      return;
    }
    if (this.metaDepth >= 0) return;
    const parent = this.stack[depth - 1];
    if (tag.local === "record" && depth === 2) {
      this.record = { identifier: null, datestamp: null, setSpecs: [], deleted: false, metadataRoot: null, fields: {}, tooLarge: false };
      this.recordChars = 0;
    } else if (tag.local === "header" && (this.record || this.envelope.verb === "ListIdentifiers")) {
      this.record ??= { identifier: null, datestamp: null, setSpecs: [], deleted: false, metadataRoot: null, fields: {}, tooLarge: false };
      if (attr(tag, "status") === "deleted") this.record.deleted = true;
    } else if (parent === "metadata" && this.record && depth === 4) {
      this.metaDepth = depth;
      this.record.metadataRoot = { uri: tag.uri, local: tag.local };
    } else if (tag.local === "metadataFormat") {
      this.format = {};
    } else if (tag.local === "set" && depth === 2) {
      this.set = {};
    } else if (tag.local === "resumptionToken") {
      this.tokenAttrs = {
        completeListSize: num(attr(tag, "completeListSize")),
        cursor: num(attr(tag, "cursor")),
        expirationDate: attr(tag, "expirationDate"),
      };
    }
  }

  private close() {
    const depth = this.stack.length - 1;
    const local = this.stack.pop()!;
    const value = this.text.trim();
    this.text = "";
    this.textOverflow = false;
    if (depth === 1) {
      if (local === "responseDate") this.envelope.responseDate = value;
      else if (local === "error") this.envelope.errors[this.envelope.errors.length - 1]!.message = value;
      return;
    }
    const rec = this.record;
    if (this.metaDepth >= 0 && rec) {
      if (depth === this.metaDepth) {
        this.metaDepth = -1;
        return;
      }
      if (value && !rec.tooLarge) {
        const path = this.stack.slice(this.metaDepth + 1).concat(local).join("/");
        const list = (rec.fields[path] ??= []);
        if (list.length < this.limits.maxValuesPerField) list.push(value);
      }
      return;
    }
    const parent = this.stack[depth - 1];
    if (rec && parent === "header") {
      if (local === "identifier") rec.identifier = value || null;
      else if (local === "datestamp") rec.datestamp = value || null;
      else if (local === "setSpec" && value && !rec.setSpecs.includes(value)) rec.setSpecs.push(value);
      return;
    }
    if (local === "record" && depth === 2 && rec) {
      this.records.push(rec);
      this.record = null;
    } else if (local === "header" && this.envelope.verb === "ListIdentifiers" && depth === 2 && rec) {
      this.records.push(rec);
      this.record = null;
    } else if (parent === "Identify" && depth === 2) {
      (this.envelope.identify[local] ??= []).push(value);
    } else if (this.format && parent === "metadataFormat") {
      if (local === "metadataPrefix" || local === "schema" || local === "metadataNamespace") this.format[local] = value;
    } else if (local === "metadataFormat" && this.format) {
      if (this.format.metadataPrefix) this.envelope.formats.push({ metadataPrefix: this.format.metadataPrefix, schema: this.format.schema ?? "", metadataNamespace: this.format.metadataNamespace ?? "" });
      this.format = null;
    } else if (this.set && parent === "set") {
      if (local === "setSpec" || local === "setName") this.set[local] = value;
    } else if (local === "set" && this.set) {
      if (this.set.setSpec) this.envelope.sets.push({ setSpec: this.set.setSpec, setName: this.set.setName ?? this.set.setSpec });
      this.set = null;
    } else if (local === "resumptionToken") {
      this.envelope.resumptionToken = value ? { value, ...this.tokenAttrs } : null;
    }
  }
}

/** The document's root element is not OAI-PMH (an HTML page, an RSS feed, …). */
export class ForeignRootError extends Error {
  constructor(readonly root: string) {
    super(`root element <${root}> is not <OAI-PMH>`);
  }
}

function attr(tag: SaxesTagNS, local: string): string | undefined {
  for (const a of Object.values(tag.attributes)) if (a.local === local && !a.prefix) return a.value;
  return undefined;
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}
