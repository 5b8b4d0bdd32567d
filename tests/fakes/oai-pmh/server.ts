/**
 * A fake OAI-PMH 2.0 repository (openarchives.org/OAI/openarchivesprotocol.html), for tests and the
 * benchmark: Identify, ListMetadataFormats (oai_dc, lom), ListSets, ListRecords and GetRecord over
 * GET, paged with resumptionTokens (completeListSize, cursor), exclusive tokens (any other argument
 * with a token is badArgument), from/until at the announced granularity (mixing them is
 * badArgument), sets, deleted records, and the protocol's errors. Tests can make it misbehave
 * (`override`: 503 with Retry-After, HTML, JSON, broken XML, a looping token) or serve the real
 * recorded responses of /work/shared/samples/oaipmh (`serveFile`). Records may be generated on the
 * fly (`generate`) so a million-record harvest needs no memory here.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";

export type FakeRecord = {
  identifier: string;
  /** Full UTC seconds: 2026-01-05T08:00:00Z (shown as the date alone at day granularity). */
  datestamp: string;
  sets?: string[];
  deleted?: boolean;
  dc?: Record<string, string[]>;
  /** Metadata XML written as it is (a broken record, a LOM document). */
  rawMetadata?: string;
  /** Header XML written as it is (a header without identifier, …). */
  rawHeader?: string;
};

export type FakeResponse = { status?: number; headers?: Record<string, string>; body: string | Buffer };

export type FakeOaiOptions = {
  granularity?: "YYYY-MM-DD" | "YYYY-MM-DDThh:mm:ssZ";
  pageSize?: number;
  deletedRecord?: "no" | "transient" | "persistent";
  formats?: string[];
  sets?: { spec: string; name: string }[];
  records?: FakeRecord[];
  /** Generated records (index 0…count-1), instead of `records`. */
  generate?: { count: number; make: (i: number) => FakeRecord };
  name?: string;
};

export type FakeOai = {
  url: string;
  options: FakeOaiOptions;
  records: FakeRecord[];
  /** Every request's query string, in order. */
  requests: URLSearchParams[];
  /** A response instead of the protocol's for this request (undefined: answer normally). */
  override: ((q: URLSearchParams, n: number) => FakeResponse | undefined) | null;
  /** Tokens refused as expired (badResumptionToken) while this returns true. */
  expireToken: ((token: string) => boolean) | null;
  close(): Promise<void>;
};

const NS = `xmlns="http://www.openarchives.org/OAI/2.0/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"`;

export const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export async function startFakeOai(options: FakeOaiOptions = {}): Promise<FakeOai> {
  const fake: FakeOai = {
    url: "",
    options,
    records: options.records ?? [],
    requests: [],
    override: null,
    expireToken: null,
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const q = url.searchParams;
    fake.requests.push(q);
    const forced = fake.override?.(q, fake.requests.length);
    if (forced) {
      res.writeHead(forced.status ?? 200, { "content-type": "text/xml; charset=UTF-8", ...forced.headers });
      res.end(forced.body);
      return;
    }
    res.writeHead(200, { "content-type": "text/xml;charset=UTF-8" });
    respond(fake, q, `${fake.url}`, (s) => res.write(s)).then(
      () => res.end(),
      (e) => res.destroy(e),
    );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oai`;
  fake.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return fake;
}

/** A recorded response file served as it is (its status taken from the name's ".statusNNN."). */
export function serveFile(file: string, headers: Record<string, string> = {}): FakeResponse {
  const status = Number(/\.status(\d{3})\./.exec(file)?.[1] ?? 200);
  return { status, headers: { "content-type": file.endsWith(".html") ? "text/html" : "text/xml;charset=UTF-8", ...headers }, body: fs.readFileSync(file) };
}

const count = (fake: FakeOai) => fake.options.generate?.count ?? fake.records.length;
const at = (fake: FakeOai, i: number) => fake.options.generate ? fake.options.generate.make(i) : fake.records[i]!;

function envelope(fake: FakeOai, q: URLSearchParams, base: string, inner: string): string {
  const attrs = [...q.entries()].filter(([k]) => /^(verb|identifier|metadataPrefix|from|until|set|resumptionToken)$/.test(k)).map(([k, v]) => ` ${k}="${esc(v)}"`).join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH ${NS}>\n<responseDate>${new Date().toISOString().replace(/\.\d+Z$/, "Z")}</responseDate>\n<request${attrs}>${esc(base)}</request>\n${inner}\n</OAI-PMH>\n`;
}

const error = (code: string, message = "") => `<error code="${code}">${esc(message)}</error>`;

type TokenState = { offset: number; prefix: string; from?: string; until?: string; set?: string };

function granular(fake: FakeOai, d: string) {
  return fake.options.granularity === "YYYY-MM-DDThh:mm:ssZ" ? d : d.slice(0, 10);
}

function validDate(fake: FakeOai, v: string): boolean {
  const seconds = fake.options.granularity === "YYYY-MM-DDThh:mm:ssZ";
  return /^\d{4}-\d{2}-\d{2}$/.test(v) || (seconds && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(v));
}

async function respond(fake: FakeOai, q: URLSearchParams, base: string, write: (s: string) => void): Promise<void> {
  const verb = q.get("verb");
  const keys = [...q.keys()];
  const formats = fake.options.formats ?? ["oai_dc"];
  if (new Set(keys).size !== keys.length) return void write(envelope(fake, q, base, error("badArgument", "repeated argument")));
  switch (verb) {
    case "Identify":
      if (keys.length > 1) return void write(envelope(fake, q, base, error("badArgument")));
      return void write(
        envelope(
          fake,
          q,
          base,
          `<Identify><repositoryName>${esc(fake.options.name ?? "Kho học liệu thử")}</repositoryName><baseURL>${esc(base)}</baseURL><protocolVersion>2.0</protocolVersion><adminEmail>kho@example.edu.vn</adminEmail><earliestDatestamp>${granular(fake, "2020-01-01T00:00:00Z")}</earliestDatestamp><deletedRecord>${fake.options.deletedRecord ?? "persistent"}</deletedRecord><granularity>${fake.options.granularity ?? "YYYY-MM-DD"}</granularity></Identify>`,
        ),
      );
    case "ListMetadataFormats": {
      const list = formats
        .map((p) =>
          p === "lom"
            ? `<metadataFormat><metadataPrefix>lom</metadataPrefix><schema>http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd</schema><metadataNamespace>http://ltsc.ieee.org/xsd/LOM</metadataNamespace></metadataFormat>`
            : `<metadataFormat><metadataPrefix>${p}</metadataPrefix><schema>http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema><metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace></metadataFormat>`,
        )
        .join("");
      return void write(envelope(fake, q, base, `<ListMetadataFormats>${list}</ListMetadataFormats>`));
    }
    case "ListSets": {
      const sets = fake.options.sets ?? [];
      if (!sets.length) return void write(envelope(fake, q, base, error("noSetHierarchy", "This repository does not support sets")));
      return void write(envelope(fake, q, base, `<ListSets>${sets.map((s) => `<set><setSpec>${esc(s.spec)}</setSpec><setName>${esc(s.name)}</setName></set>`).join("")}</ListSets>`));
    }
    case "GetRecord": {
      const id = q.get("identifier");
      const prefix = q.get("metadataPrefix");
      if (!id || !prefix) return void write(envelope(fake, q, base, error("badArgument")));
      for (let i = 0; i < count(fake); i++) {
        const r = at(fake, i);
        if (r.identifier === id) return void write(envelope(fake, q, base, `<GetRecord>${recordXml(fake, r, prefix)}</GetRecord>`));
      }
      return void write(envelope(fake, q, base, error("idDoesNotExist", id)));
    }
    case "ListRecords":
    case "ListIdentifiers": {
      let state: TokenState;
      const token = q.get("resumptionToken");
      if (token !== null) {
        if (keys.length !== 2) return void write(envelope(fake, q, base, error("badArgument", "resumptionToken is exclusive")));
        try {
          state = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as TokenState;
          if (typeof state.offset !== "number") throw new Error("bad");
        } catch {
          return void write(envelope(fake, q, base, error("badResumptionToken", "The value of the resumptionToken argument is invalid or expired.")));
        }
        if (fake.expireToken?.(token)) return void write(envelope(fake, q, base, error("badResumptionToken", "expired")));
      } else {
        const prefix = q.get("metadataPrefix");
        if (!prefix || keys.some((k) => !["verb", "metadataPrefix", "from", "until", "set"].includes(k))) return void write(envelope(fake, q, base, error("badArgument")));
        if (!formats.includes(prefix)) return void write(envelope(fake, q, base, error("cannotDisseminateFormat", prefix)));
        const from = q.get("from") ?? undefined;
        const until = q.get("until") ?? undefined;
        if ((from && !validDate(fake, from)) || (until && !validDate(fake, until)) || (from && until && from.length !== until.length)) {
          return void write(envelope(fake, q, base, error("badArgument", "bad granularity")));
        }
        const set = q.get("set") ?? undefined;
        if (set && !(fake.options.sets ?? []).length) return void write(envelope(fake, q, base, error("noSetHierarchy")));
        state = { offset: 0, prefix, from, until, set };
      }
      const pageSize = fake.options.pageSize ?? 100;
      const match = (r: FakeRecord) => {
        const d = granular(fake, r.datestamp);
        if (state.from && d < granular(fake, state.from.length === 10 ? `${state.from}T00:00:00Z` : state.from)) return false;
        if (state.until && d > granular(fake, state.until.length === 10 ? `${state.until}T23:59:59Z` : state.until)) return false;
        if (state.set && !(r.sets ?? []).some((s) => s === state.set || s.startsWith(`${state.set}:`))) return false;
        return true;
      };
      // Counting the matches first, as a repository's index does (the generator makes records cheaply).
      let total = 0;
      let i = 0;
      let emitted = 0;
      const parts: string[] = [];
      const n = count(fake);
      if (fake.options.generate && !state.from && !state.until && !state.set) {
        // Every generated record matches: only this page's records are made.
        total = n;
        for (i = state.offset; i < n && emitted < pageSize; i++, emitted++) {
          const r = at(fake, i);
          parts.push(verb === "ListRecords" ? recordXml(fake, r, state.prefix) : headerXml(fake, r));
        }
        i = n;
      }
      for (; i < n; i++) {
        const r = at(fake, i);
        if (!match(r)) continue;
        if (total >= state.offset && emitted < pageSize) {
          parts.push(verb === "ListRecords" ? recordXml(fake, r, state.prefix) : headerXml(fake, r));
          emitted++;
        }
        total++;
      }
      if (total === 0) return void write(envelope(fake, q, base, error("noRecordsMatch")));
      if (state.offset >= total) return void write(envelope(fake, q, base, error("badResumptionToken", "past the end")));
      const next = state.offset + emitted;
      const tokenXml =
        next < total
          ? `<resumptionToken completeListSize="${total}" cursor="${state.offset}">${Buffer.from(JSON.stringify({ ...state, offset: next })).toString("base64url")}</resumptionToken>`
          : state.offset > 0
            ? `<resumptionToken completeListSize="${total}" cursor="${state.offset}"/>`
            : "";
      const head = envelope(fake, q, base, "\u0000").split("\u0000");
      write(head[0]! + `<${verb}>`);
      for (let k = 0; k < parts.length; k += 200) write(parts.slice(k, k + 200).join(""));
      write(`${tokenXml}</${verb}>` + head[1]!);
      return;
    }
    default:
      return void write(envelope(fake, q, base, error("badVerb", "Illegal OAI verb")));
  }
}

function headerXml(fake: FakeOai, r: FakeRecord): string {
  if (r.rawHeader !== undefined) return r.rawHeader;
  const sets = (r.sets ?? []).map((s) => `<setSpec>${esc(s)}</setSpec>`).join("");
  return `<header${r.deleted ? ` status="deleted"` : ""}><identifier>${esc(r.identifier)}</identifier><datestamp>${granular(fake, r.datestamp)}</datestamp>${sets}</header>`;
}

function recordXml(fake: FakeOai, r: FakeRecord, prefix: string): string {
  if (r.deleted) return `<record>${headerXml(fake, r)}</record>`;
  let metadata = r.rawMetadata;
  if (metadata === undefined) metadata = prefix === "lom" ? lomXml(r.dc ?? {}) : dcXml(r.dc ?? {});
  return `<record>${headerXml(fake, r)}<metadata>${metadata}</metadata></record>`;
}

export function dcXml(dc: Record<string, string[]>): string {
  const body = Object.entries(dc)
    .flatMap(([k, vs]) => vs.map((v) => `<dc:${k}>${esc(v)}</dc:${k}>`))
    .join("");
  return `<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd">${body}</oai_dc:dc>`;
}

/** The same fields in IEEE LOM's XML binding (general, lifeCycle, technical, educational, rights, classification). */
export function lomXml(dc: Record<string, string[]>): string {
  const s = (v: string, lang = "vi") => `<string language="${lang}">${esc(v)}</string>`;
  const g = (k: string) => dc[k] ?? [];
  return (
    `<lom xmlns="http://ltsc.ieee.org/xsd/LOM">` +
    `<general>${g("identifier").map((i) => `<identifier><catalog>URI</catalog><entry>${esc(i)}</entry></identifier>`).join("")}` +
    g("title").map((t) => `<title>${s(t)}</title>`).join("") +
    g("language").map((l) => `<language>${esc(l)}</language>`).join("") +
    g("description").map((d) => `<description>${s(d)}</description>`).join("") +
    g("subject").map((k) => `<keyword>${s(k)}</keyword>`).join("") +
    `</general><lifeCycle>${g("creator").map((c) => `<contribute><role><source>LOMv1.0</source><value>author</value></role><entity>BEGIN:VCARD\nVERSION:3.0\nFN:${esc(c)}\nEND:VCARD</entity></contribute>`).join("")}</lifeCycle>` +
    `<technical>${g("identifier").filter((i) => /^https?:/.test(i)).map((i) => `<location>${esc(i)}</location>`).join("")}</technical>` +
    `<educational>${g("type").map((t) => `<learningResourceType><source>LOMv1.0</source><value>${esc(t)}</value></learningResourceType>`).join("")}</educational>` +
    `<rights>${g("rights").map((r) => `<description>${s(r, "en")}</description>`).join("")}</rights>` +
    `</lom>`
  );
}
