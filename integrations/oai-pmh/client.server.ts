/**
 * OAI-PMH 2.0 client (the `RepositorySource` port) over undici, reading every response as a stream
 * (integrations/oai-pmh/parser.ts). GET requests; a request with a resumptionToken carries only the
 * verb and the token. HTTP flow control: a 503 with Retry-After is waited out when short (else
 * `retryLater` with its time, for the job to re-schedule), other 5xx and network failures retried
 * with backoff. A token seen before in the same list is a loop and stops the harvest.
 */
import { request, type Dispatcher } from "undici";
import { boundedAgent, isTransportError, retryAfterDate } from "../channels/http.server.ts";
import { backoffDelay } from "../http/request.server.ts";
import type { Granularity, HarvestPage, HarvestRequest, MetadataFormat, RepositoryIdentity, RepositorySet, RepositorySource } from "../ports.ts";
import { isOaiErrorCode, OaiPmhError } from "./errors.ts";
import { mapRecord } from "./mapping.ts";
import { ForeignRootError, OaiResponseParser, type Envelope, type ParserLimits, type RawRecord } from "./parser.ts";

export type OaiClientOptions = {
  dispatcher?: Dispatcher;
  /** Longest Retry-After waited in the process (default 10 s); longer is `retryLater`. */
  maxInlineWaitMs?: number;
  /** Tries for a 5xx or a network failure (default 3). */
  maxTries?: number;
  /**
   * Records per yielded page part: a page of more is yielded in parts of about this size (default
   * 1,000, so that a page of up to 1,000 records, the usual largest, is written in one transaction).
   */
  batchSize?: number;
  /** Most pages in one list (default 1,000,000), against a repository that never ends. */
  maxPages?: number;
  limits?: Partial<ParserLimits>;
  sleep?: (ms: number) => Promise<void>;
  userAgent?: string;
};

let sharedAgent: Dispatcher | undefined;
const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The base URL as an admin typed it, checked: http(s), no query or fragment. */
export function normaliseBaseUrl(input: string): string {
  let u: URL;
  try {
    u = new URL(input.trim());
  } catch {
    throw new OaiPmhError("badBaseUrl", { operation: "baseUrl", providerMessage: input.slice(0, 200) });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new OaiPmhError("badBaseUrl", { operation: "baseUrl", providerMessage: input.slice(0, 200) });
  u.hash = "";
  u.search = "";
  return u.toString();
}

export class OaiPmhClient implements RepositorySource {
  readonly baseUrl: string;
  private readonly opts: Required<Omit<OaiClientOptions, "dispatcher" | "limits">> & Pick<OaiClientOptions, "dispatcher" | "limits">;
  /** Set by identify(): `from`/`until` are cut to it. */
  granularity: Granularity | null = null;

  constructor(baseUrl: string, opts: OaiClientOptions = {}) {
    this.baseUrl = normaliseBaseUrl(baseUrl);
    this.opts = {
      maxInlineWaitMs: 10_000,
      maxTries: 3,
      batchSize: 1000,
      maxPages: 1_000_000,
      sleep: realSleep,
      userAgent: "LopSo-harvester/1.0 (OAI-PMH 2.0)",
      ...opts,
    };
  }

  async identify(): Promise<RepositoryIdentity> {
    const env = await this.simple({ verb: "Identify" });
    const f = env.identify;
    const one = (k: string) => f[k]?.[0]?.trim() || null;
    if (!env.verb || env.verb !== "Identify" || !one("repositoryName") && !one("baseURL")) {
      throw new OaiPmhError("notOai", { operation: "Identify", providerMessage: "Identify without repositoryName/baseURL" });
    }
    const g = one("granularity");
    const granularity: Granularity = g === "YYYY-MM-DDThh:mm:ssZ" ? g : "YYYY-MM-DD";
    const d = one("deletedRecord");
    this.granularity = granularity;
    return {
      name: one("repositoryName") ?? this.baseUrl,
      baseUrl: one("baseURL") ?? this.baseUrl,
      granularity,
      earliestDatestamp: one("earliestDatestamp"),
      deletedRecord: d === "persistent" || d === "transient" ? d : "no",
      adminEmails: f.adminEmail ?? [],
      protocolVersion: one("protocolVersion") ?? "2.0",
    };
  }

  async listFormats(): Promise<MetadataFormat[]> {
    const env = await this.simple({ verb: "ListMetadataFormats" });
    return env.formats.map((f) => ({ prefix: f.metadataPrefix, schema: f.schema, namespace: f.metadataNamespace }));
  }

  async listSets(): Promise<RepositorySet[]> {
    const out: RepositorySet[] = [];
    let token: string | null = null;
    const seen = new Set<string>();
    for (let page = 0; page < 1000; page++) {
      let env: Envelope;
      try {
        env = await this.simple(token ? { verb: "ListSets", resumptionToken: token } : { verb: "ListSets" });
      } catch (e) {
        if (e instanceof OaiPmhError && e.kind === "noSetHierarchy") return [];
        throw e;
      }
      out.push(...env.sets.map((s) => ({ spec: s.setSpec, name: s.setName })));
      token = env.resumptionToken?.value ?? null;
      if (!token) return out;
      if (seen.has(token)) throw new OaiPmhError("loopingToken", { operation: "ListSets", providerMessage: token });
      seen.add(token);
    }
    return out;
  }

  /** A date cut to the repository's granularity (day granularity takes the date part). */
  datestampArg(value: string): string {
    if (this.granularity === "YYYY-MM-DDThh:mm:ssZ") return value.length === 10 ? `${value}T00:00:00Z` : value.replace(/\.\d+Z$/, "Z");
    return value.slice(0, 10);
  }

  async *harvest(req: HarvestRequest): AsyncGenerator<HarvestPage> {
    const seen = new Set<string>();
    let token = req.cursor ?? null;
    if (token) seen.add(token);
    for (let page = 0; ; page++) {
      if (page >= this.opts.maxPages) throw new OaiPmhError("tooManyPages", { operation: "ListRecords", providerMessage: String(page) });
      const params: Record<string, string> = token
        ? { verb: "ListRecords", resumptionToken: token }
        : {
            verb: "ListRecords",
            metadataPrefix: req.format,
            ...(req.from ? { from: this.datestampArg(req.from) } : {}),
            ...(req.until ? { until: this.datestampArg(req.until) } : {}),
            ...(req.set ? { set: req.set } : {}),
          };
      const requestCursor = token;
      const stream = this.stream(params);
      let env: Envelope;
      let rest: RawRecord[];
      for (;;) {
        const next = await stream.next();
        if (next.done) {
          ({ env, rest } = next.value);
          break;
        }
        // A part of a long page: committed with the cursor this page was asked with.
        yield { ...toPage(next.value), cursor: requestCursor, requestCursor, partial: true };
      }
      const failure = env.errors[0];
      if (failure) {
        if (failure.code === "noRecordsMatch") return;
        throw oaiError(failure, "ListRecords");
      }
      if (env.verb !== "ListRecords") throw new OaiPmhError("notOai", { operation: "ListRecords", providerMessage: `answer without <ListRecords>` });
      const nextToken = env.resumptionToken?.value ?? null;
      if (nextToken && seen.has(nextToken)) throw new OaiPmhError("loopingToken", { operation: "ListRecords", providerMessage: nextToken.slice(0, 200) });
      if (nextToken) seen.add(nextToken);
      yield { ...toPage(rest), cursor: nextToken, requestCursor, completeListSize: env.resumptionToken?.completeListSize };
      if (!nextToken) return;
      token = nextToken;
    }
  }

  /** A one-page verb: its envelope, the protocol's errors thrown. */
  private async simple(params: Record<string, string>): Promise<Envelope> {
    const it = this.stream(params);
    let n = await it.next();
    while (!n.done) n = await it.next();
    const { env } = n.value;
    if (env.errors[0]) throw oaiError(env.errors[0], params.verb!);
    return env;
  }

  /**
   * One request, read as a stream: yields batches of raw records as they are parsed, and returns
   * the envelope with the last records (committed with the page's new cursor).
   */
  private async *stream(params: Record<string, string>): AsyncGenerator<RawRecord[], { env: Envelope; rest: RawRecord[] }> {
    const operation = params.verb!;
    const url = new URL(this.baseUrl);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const res = await this.send(url.toString(), operation);
    const contentType = String(res.headers["content-type"] ?? "").toLowerCase();
    let done = false;
    try {
      if (/json/.test(contentType)) throw new OaiPmhError("json", { operation, status: res.statusCode, providerMessage: (await head(res)).slice(0, 160) });
      const parser = new OaiResponseParser(this.opts.limits);
      let decoder: TextDecoder | null = null;
      let pending: RawRecord[] = [];
      let sniffed = false;
      const feed = (text: string) => {
        if (!sniffed) {
          const start = text.replace(/^\uFEFF/, "").trimStart();
          if (!start) return;
          sniffed = true;
          if (start[0] === "{" || start[0] === "[") throw new OaiPmhError("json", { operation, status: res.statusCode, providerMessage: start.slice(0, 160) });
          if (start[0] !== "<") throw new OaiPmhError("notOai", { operation, status: res.statusCode, providerMessage: start.slice(0, 160) });
          if (/^<!doctype html|^<html/i.test(start)) throw new OaiPmhError("html", { operation, status: res.statusCode, providerMessage: titleOf(start) });
        }
        try {
          parser.write(text);
        } catch (e) {
          if (e instanceof ForeignRootError) {
            throw new OaiPmhError(/^html$/i.test(e.root) ? "html" : "notOai", { operation, status: res.statusCode, providerMessage: `<${e.root}>` });
          }
          throw new OaiPmhError("invalidXml", { operation, providerMessage: (e as Error).message.slice(0, 300), cause: e });
        }
      };
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        decoder ??= pickDecoder(contentType, chunk, operation);
        let text: string;
        try {
          text = decoder.decode(chunk, { stream: true });
        } catch (e) {
          throw new OaiPmhError("badEncoding", { operation, providerMessage: decoder.encoding, cause: e });
        }
        feed(text);
        if (parser.pending) pending.push(...parser.drainRecords());
        if (pending.length > this.opts.batchSize) {
          yield pending;
          pending = [];
        }
      }
      try {
        feed(decoder ? decoder.decode() : "");
      } catch (e) {
        if (e instanceof OaiPmhError) throw e;
        throw new OaiPmhError("badEncoding", { operation, providerMessage: decoder?.encoding, cause: e });
      }
      if (!sniffed) throw new OaiPmhError("notOai", { operation, status: res.statusCode, providerMessage: "empty answer" });
      let env: Envelope;
      try {
        env = parser.end();
      } catch (e) {
        throw new OaiPmhError("invalidXml", { operation, providerMessage: (e as Error).message.slice(0, 300), cause: e });
      }
      pending.push(...parser.drainRecords());
      if (res.statusCode !== 200 && !env.errors.length) throw new OaiPmhError("httpStatus", { operation, status: res.statusCode });
      for (const e of env.errors) if (!isOaiErrorCode(e.code) && !e.code) e.code = "unknownOaiError";
      done = true;
      return { env, rest: pending };
    } finally {
      if (!done) res.body.destroy();
    }
  }

  /** The request, with 503/Retry-After, 5xx and network retries; the answer's body still unread. */
  private async send(url: string, operation: string): Promise<Dispatcher.ResponseData> {
    const dispatcher = this.opts.dispatcher ?? (sharedAgent ??= boundedAgent(30_000));
    for (let attempt = 1; ; attempt++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, { method: "GET", dispatcher, headers: { accept: "text/xml, application/xml;q=0.9, */*;q=0.1", "user-agent": this.opts.userAgent } });
      } catch (e) {
        if (!isTransportError(e) && !(e instanceof TypeError)) throw e;
        if (attempt < this.opts.maxTries) {
          await this.opts.sleep(backoffDelay(attempt));
          continue;
        }
        throw new OaiPmhError("unreachable", { operation, providerMessage: `${(e as NodeJS.ErrnoException).code ?? ""} ${(e as Error).message}`.trim(), cause: e });
      }
      if (res.statusCode === 503 || res.statusCode === 429) {
        await res.body.dump().catch(() => {});
        // One "now" for both: "Retry-After: 3" is a wait of exactly 3 s, however long this took.
        const now = new Date();
        const retryAt = retryAfterDate(res.headers["retry-after"], now);
        const wait = retryAt ? retryAt.getTime() - now.getTime() : backoffDelay(attempt, 1000);
        if (wait > this.opts.maxInlineWaitMs) throw new OaiPmhError("retryLater", { operation, status: res.statusCode, retryAt: retryAt ?? new Date(Date.now() + wait) });
        if (attempt < this.opts.maxTries + 2) {
          await this.opts.sleep(Math.max(0, wait));
          continue;
        }
        throw new OaiPmhError("retryLater", { operation, status: res.statusCode, retryAt: new Date(Date.now() + 60_000) });
      }
      if (res.statusCode >= 500) {
        await res.body.dump().catch(() => {});
        if (attempt < this.opts.maxTries) {
          await this.opts.sleep(backoffDelay(attempt));
          continue;
        }
        throw new OaiPmhError("serverError", { operation, status: res.statusCode });
      }
      if (res.statusCode !== 200) {
        // 4xx pages are HTML or plain text almost always: say what came back.
        const body = (await head(res)).trimStart();
        if (/^<!doctype html|^<html/i.test(body)) throw new OaiPmhError("html", { operation, status: res.statusCode, providerMessage: `HTTP ${res.statusCode} ${titleOf(body)}`.trim() });
        throw new OaiPmhError("httpStatus", { operation, status: res.statusCode, providerMessage: body.slice(0, 160) });
      }
      return res;
    }
  }
}

function toPage(raws: RawRecord[]): Pick<HarvestPage, "records" | "deletions" | "skipped"> {
  const page: Pick<HarvestPage, "records" | "deletions" | "skipped"> = { records: [], deletions: [], skipped: [] };
  for (const raw of raws) {
    const m = mapRecord(raw);
    if (m.kind === "record") page.records.push(m.record);
    else if (m.kind === "deleted") page.deletions.push({ identifier: m.identifier, datestamp: m.datestamp });
    else page.skipped.push(m.skip);
  }
  return page;
}

function oaiError(e: { code: string; message: string }, operation: string): OaiPmhError {
  return new OaiPmhError(isOaiErrorCode(e.code) ? e.code : "unknownOaiError", { operation, providerMessage: [e.code, e.message].filter(Boolean).join(": ") });
}

/** The first 4 KB of a body, for the message; the rest is discarded. */
async function head(res: Dispatcher.ResponseData): Promise<string> {
  let out = "";
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    out += chunk.toString("utf8");
    if (out.length > 4096) break;
  }
  res.body.destroy();
  return out.slice(0, 4096);
}

function titleOf(html: string): string {
  return (/<title[^>]*>([^<]{0,160})/i.exec(html)?.[1] ?? "").trim();
}

/**
 * The charset of the Content-Type, else the XML declaration's encoding, else UTF-8 (XML's default);
 * decoding is strict, so bytes that are not in that encoding are an error rather than garbage text.
 */
function pickDecoder(contentType: string, first: Buffer, operation: string): TextDecoder {
  const fromHeader = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1];
  const decl = /^(?:\uFEFF|\xEF\xBB\xBF)?\s*<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)["']/i.exec(first.subarray(0, 256).toString("latin1"))?.[1];
  const label = (fromHeader ?? decl ?? "utf-8").toLowerCase();
  try {
    return new TextDecoder(label, { fatal: true });
  } catch {
    throw new OaiPmhError("unsupportedEncoding", { operation, providerMessage: label });
  }
}
