/**
 * The HTTP front, on node:http: request ids and JSON access logs, security headers, CSRF origin
 * checks, health endpoints, static assets, then React Router. Each page request goes from the
 * socket to React Router and back with one Request, one Response and one write (docs/decisions/006).
 */
import crypto from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import compression from "compression";
import { createRequestHandler, RouterContextProvider, type ServerBuild } from "react-router";
import serveStatic from "serve-static";
import { migrationsApplied, type Database } from "../../db/client.server.ts";
import { uploadsWritable } from "../services/files.server.ts";
import { compress, COMPRESS_MIN_BYTES, compressStream, pickEncoding, type Encoding } from "./encoding.ts";
import { errorFields, isLogged, logger } from "./log.ts";
import { handleZoomWebhook, zoomWebhookTarget } from "./zoom-webhook.ts";

export type HttpOptions = {
  database: Database;
  build: ServerBuild;
  /** Public origin (APP_URL); requests whose Origin differs are refused. */
  appUrl?: string;
  clientDir?: string;
  /** Number of reverse-proxy hops whose X-Forwarded-* headers may be believed (0: none). */
  trustProxy?: number;
};

type Next = (err?: unknown) => void;
type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Headers a client may not choose: the server sets its own. */
const OWN_HEADERS = new Set(["x-request-id", "x-lopso-client-ip"]);
/** A fallback policy for responses that bring none of their own; pages send a nonce-based one. */
const FALLBACK_CSP = "default-src 'self'; frame-ancestors 'none'; object-src 'none'";
const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|[a-z.+-]*\+(json|xml))|image\/svg\+xml)/i;
/** Bodies up to this size with a known length are compressed in one call instead of as a stream. */
const BUFFER_LIMIT = 1 << 20;

export function createApp(opts: HttpOptions) {
  let shuttingDown = false;
  // Requests still being handled. A client that hangs up does not stop its request's work (reads
  // run to the end), so a graceful stop waits for this, not only for the connections, before it
  // closes the database under them.
  let inFlight = 0;
  let onDrained: (() => void)[] = [];
  const settled = () => {
    if (--inFlight === 0 && onDrained.length > 0) {
      for (const resolve of onDrained) resolve();
      onDrained = [];
    }
  };
  const trustHops = opts.trustProxy ?? 0;
  const securityHeaders: [string, string][] = [
    ["X-Content-Type-Options", "nosniff"],
    ["X-Frame-Options", "DENY"],
    ["Referrer-Policy", "strict-origin-when-cross-origin"],
    ["Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"],
    ["Cross-Origin-Opener-Policy", "same-origin"],
    ["Content-Security-Policy", FALLBACK_CSP],
  ];
  if (opts.appUrl?.startsWith("https:")) securityHeaders.push(["Strict-Transport-Security", "max-age=31536000; includeSubDomains"]);

  const handleRequest = createRequestHandler(opts.build, process.env.NODE_ENV);
  const entry = opts.build.entry.module as {
    createLoadContext?: () => RouterContextProvider;
    renderedDocument?: (context: RouterContextProvider, response: Response) => Buffer | undefined;
  };
  const clientDir = opts.clientDir ?? path.resolve("build/client");
  // Fast gzip for static files: CPU is the scarce resource; a proxy in front may do better.
  const compressStatic = compression({ level: 1, threshold: COMPRESS_MIN_BYTES }) as unknown as Middleware;
  const assets = serveStatic(clientDir, { immutable: true, maxAge: "1y", index: false }) as unknown as Middleware;
  const otherStatic = [clientDir, path.resolve("public")].map((dir) => serveStatic(dir, { maxAge: "1h", index: false }) as unknown as Middleware);

  async function readyz(res: ServerResponse) {
    if (shuttingDown) return sendJson(res, 503, { status: "shutting-down" });
    try {
      await opts.database.query("select 1");
      const migrated = await migrationsApplied(opts.database);
      if (!migrated) return sendJson(res, 503, { status: "migrations-pending", database: opts.database.kind });
      // Every upload and download needs DATA_DIR/uploads.
      const uploads = await uploadsWritable();
      if (!uploads.ok) return sendJson(res, 503, { status: "uploads-not-writable", database: opts.database.kind, error: uploads.error });
      sendJson(res, 200, { status: "ready", database: opts.database.kind });
    } catch (e) {
      sendJson(res, 503, { status: "database-unreachable", error: errorFields(e).error });
    }
  }

  function serveStaticFile(req: IncomingMessage, res: ServerResponse, pathname: string, fallthrough: () => void) {
    const onError = (err?: unknown) => (err ? fail(req, res, err) : fallthrough());
    if (pathname === "/sw.js") {
      // The service worker controls every page (scope /) and a new version must reach browsers at
      // once: the browser checks it on each visit, so no cache may keep an old one.
      res.setHeader("Service-Worker-Allowed", "/");
      res.setHeader("Cache-Control", "no-cache");
      return otherStatic[1](req, res, onError);
    }
    compressStatic(req, res, (err) => {
      if (err) return onError(err);
      if (pathname.startsWith("/assets/")) return assets(req, res, onError);
      otherStatic[0](req, res, (e) => (e ? onError(e) : otherStatic[1](req, res, onError)));
    });
  }

  async function router(req: IncomingMessage, res: ServerResponse, client: Client) {
    const headers = new Headers();
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      if (!OWN_HEADERS.has(raw[i].toLowerCase())) headers.append(raw[i], raw[i + 1]);
    }
    headers.set("x-request-id", String(res.getHeader("X-Request-Id")));
    headers.set("x-lopso-client-ip", client.ip);
    const init: RequestInit & { duplex?: "half" } = { method: req.method, headers };
    if (req.method !== "GET" && req.method !== "HEAD") {
      // A mutation stops when its client goes away (reads are short and left to finish).
      const controller = new AbortController();
      res.once("close", () => {
        if (!res.writableFinished) controller.abort();
      });
      init.signal = controller.signal;
      init.body = requestBody(req);
      init.duplex = "half";
    }
    const request = new Request(`${client.proto}://${safeHost(client.host)}${req.url}`, init);
    const context = entry.createLoadContext ? entry.createLoadContext() : new RouterContextProvider();
    const response = await handleRequest(request, context);
    // What React Router answers (documents, `.data`, redirects, resource routes) may depend on the
    // session: no cache keeps it, so Back after signing out on a shared phone cannot show the
    // previous person's page. A response that chose its own caching keeps it; static files never
    // come here.
    if (!response.headers.has("cache-control")) res.setHeader("Cache-Control", "no-store");
    await sendResponse(req, res, response, entry.renderedDocument?.(context, response));
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const id = crypto.randomUUID();
    res.setHeader("X-Request-Id", id);
    for (const [name, value] of securityHeaders) res.setHeader(name, value);
    if (shuttingDown) res.setHeader("Connection", "close");
    const url = req.url ?? "/";
    if (!url.startsWith("/")) {
      res.writeHead(400, { "Content-Type": "text/plain; charset=utf-8" });
      return void res.end("Yêu cầu không hợp lệ / Bad request");
    }
    const q = url.indexOf("?");
    const pathname = q === -1 ? url : url.slice(0, q);
    if (isLogged("info") && !pathname.startsWith("/assets/")) {
      const started = process.hrtime.bigint();
      res.once("finish", () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        logger.info("request", { reqId: id, method: req.method, path: pathname, status: res.statusCode, ms: Math.round(ms * 10) / 10 });
      });
    }
    const client = clientOf(req.socket, req.headers, trustHops);

    // CSRF: every mutation must come from our own origin (SameSite=Lax cookies are the second layer).
    if (!SAFE_METHODS.has(req.method ?? "GET")) {
      const origin = req.headers.origin;
      const ok = origin
        ? origin === opts.appUrl || origin === `${client.proto}://${client.host}`
        : req.headers["sec-fetch-site"] === "same-origin" || oneClickUnsubscribe(req.method, pathname) || providerWebhook(req.method, pathname) || oaiHarvest(req.method, pathname);
      if (!ok) {
        logger.warn("csrf refused", { reqId: id, origin: origin ?? null, path: pathname });
        res.statusCode = 403;
        res.setHeader("Content-Type", "text/plain; charset=utf-8");
        return endResponse(req, res, Buffer.from("Yêu cầu bị từ chối: không đến từ trang của Lớp Số. / Request refused: cross-site request."));
      }
    }

    if (pathname === "/healthz") return sendJson(res, 200, { status: shuttingDown ? "shutting-down" : "ok" });
    if (pathname === "/readyz") return void readyz(res);
    const toRouter = () => {
      inFlight++;
      return router(req, res, client)
        .catch((err) => fail(req, res, err))
        .finally(settled);
    };
    const zoomConnection = zoomWebhookTarget(req.method, pathname);
    if (zoomConnection !== null) {
      inFlight++;
      return void handleZoomWebhook(req, res, opts.database.db, zoomConnection)
        .catch((err) => fail(req, res, err))
        .finally(settled);
    }
    // Static files all have an extension (favicon.svg, robots.txt, /assets/…): page URLs skip the disk.
    if ((req.method === "GET" || req.method === "HEAD") && path.extname(pathname)) return serveStaticFile(req, res, pathname, toRouter);
    void toRouter();
  };

  const server = http.createServer(listener);
  server.keepAliveTimeout = 65_000;
  return {
    server,
    setShuttingDown: () => void (shuttingDown = true),
    /** Resolves when no request is being handled any more (at once if none is). */
    drained: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => onDrained.push(resolve))),
    /** Requests being handled now. */
    inFlight: () => inFlight,
  };
}

export type Client = { ip: string; proto: string; host: string | undefined };

/**
 * The client's address, scheme and host, believing the X-Forwarded-* headers of `trustHops`
 * proxies in front (as Express's "trust proxy" N): the address is the one `trustHops` steps back
 * along X-Forwarded-For from the connection's peer.
 */
export function clientOf(
  socket: { remoteAddress?: string; encrypted?: boolean },
  headers: http.IncomingHttpHeaders,
  trustHops: number,
): Client {
  const remote = socket.remoteAddress ?? "unknown";
  const ownProto = socket.encrypted ? "https" : "http";
  if (trustHops === 0) return { ip: remote, proto: ownProto, host: headers.host };
  const forwarded = String(headers["x-forwarded-for"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .reverse();
  const chain = [remote, ...forwarded];
  const first = (name: string) => String(headers[name] ?? "").split(",")[0].trim();
  const proto = first("x-forwarded-proto").toLowerCase();
  return {
    ip: chain[Math.min(trustHops, chain.length - 1)],
    proto: proto === "http" || proto === "https" ? proto : ownProto,
    host: first("x-forwarded-host") || headers.host,
  };
}

/**
 * Write a Fetch Response: a document rendered by the server entry, and other bodies of known
 * length up to BUFFER_LIMIT, in one write (compressed when worth it); the rest streamed.
 */
async function sendResponse(req: IncomingMessage, res: ServerResponse, response: Response, document?: Buffer) {
  if (res.destroyed || res.writableEnded) {
    await response.body?.cancel();
    return;
  }
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("Set-Cookie", cookies);
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  if (!document && !response.body) return endResponse(req, res);

  const type = response.headers.get("content-type") ?? "";
  const compressible = !response.headers.has("content-encoding") && COMPRESSIBLE.test(type);
  // Whether this client gets it compressed or not, the answer depends on Accept-Encoding.
  if (compressible) res.appendHeader("Vary", "Accept-Encoding");
  const encoding = compressible ? pickEncoding(req.headers["accept-encoding"]) : null;
  if (document) return endResponse(req, res, encodeWhole(res, document, encoding));
  const length = Number(response.headers.get("content-length") ?? NaN);
  if (length <= BUFFER_LIMIT) return endResponse(req, res, encodeWhole(res, Buffer.from(await response.arrayBuffer()), encoding));
  if (/text\/event-stream/i.test(type)) res.flushHeaders();

  // Unknown or large length: stream (flushing each chunk, so data sent later arrives as it comes).
  if (bodyLeftUnread(req)) res.setHeader("Connection", "close");
  const source = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream);
  if (!encoding) return pipeline(source, res).catch((err) => streamFailed(res, err));
  res.removeHeader("Content-Length");
  res.setHeader("Content-Encoding", encoding);
  const zip = compressStream(encoding);
  return pipeline(source, zip, res).catch((err) => streamFailed(res, err));
}

/** A whole body, compressed in one call when the client accepts it and it is worth it. */
function encodeWhole(res: ServerResponse, body: Buffer, encoding: Encoding | null): Buffer {
  if (!encoding || body.length < COMPRESS_MIN_BYTES) return body;
  const compressed = compress(body, encoding);
  res.setHeader("Content-Encoding", encoding);
  res.setHeader("Content-Length", compressed.length);
  return compressed;
}

/** How long, and how much, of an unwanted request body is read and thrown away before closing. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 16 * 1024 * 1024;

/**
 * Send the whole answer and end the response. A request whose body is still arriving (an upload
 * refused half-way, a refused cross-site post) also closes its connection — the unread rest would
 * otherwise wedge the next request on that keep-alive socket — after lingerThenEnd.
 */
function endResponse(req: IncomingMessage, res: ServerResponse, body?: Buffer) {
  if (!bodyLeftUnread(req)) return void res.end(body);
  res.setHeader("Connection", "close");
  lingerThenEnd(req, res, body);
}

function bodyLeftUnread(req: IncomingMessage) {
  const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
  return hasBody && !req.complete;
}

/**
 * Answer a request whose body is still arriving (an upload refused half-way), then close — but
 * only after reading and discarding what the client keeps sending for a moment ("lingering
 * close"): closing a socket with unread data makes the kernel reset the connection, and the
 * client would report a network error instead of our answer. The answer is complete as soon as
 * it is written (it has a Content-Length); the connection closes when the client stops sending,
 * after LINGER_MS, or after LINGER_BYTES.
 */
function lingerThenEnd(req: IncomingMessage, res: ServerResponse, body?: Buffer) {
  res.setHeader("Content-Length", body?.length ?? 0);
  if (body) res.write(body);
  else res.flushHeaders();
  let discarded = 0;
  const done = () => {
    clearTimeout(timer);
    req.off("data", discard);
    if (!res.writableEnded) res.end();
  };
  const discard = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) done();
  };
  const timer = setTimeout(done, LINGER_MS);
  req.on("data", discard);
  req.once("end", done);
  req.once("error", done);
  req.resume();
}

/**
 * The request body as a web stream that reads only when asked. Unlike Readable.toWeb, cancelling
 * it does not destroy the socket: an action that stops reading an oversized upload leaves the
 * rest to lingerThenEnd, and the client still gets the answer.
 */
function requestBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        return new Promise<void>((resolve) => {
          const cleanup = () => {
            req.off("readable", tryRead);
            req.off("end", onEnd);
            req.off("error", onError);
          };
          const tryRead = () => {
            const chunk = req.read() as Buffer | null;
            if (chunk === null) return;
            cleanup();
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            resolve();
          };
          const onEnd = () => {
            cleanup();
            controller.close();
            resolve();
          };
          const onError = (err: Error) => {
            cleanup();
            controller.error(err);
            resolve();
          };
          if (req.readableEnded) return onEnd();
          req.on("readable", tryRead);
          req.on("end", onEnd);
          req.on("error", onError);
          tryRead();
        });
      },
      cancel() {
        // Nothing to do: what is left is drained, or the connection closed, by the response.
      },
    },
    { highWaterMark: 0 },
  );
}

function streamFailed(res: ServerResponse, err: unknown) {
  if (res.destroyed) return; // the client went away
  logger.error("response stream failed", errorFields(err));
  res.destroy();
}

function fail(req: IncomingMessage, res: ServerResponse, err: unknown) {
  logger.error("unhandled", { reqId: res.getHeader("X-Request-Id"), method: req.method, path: req.url, ...errorFields(err) });
  if (res.headersSent) return void res.destroy();
  res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
  res.end("Lỗi máy chủ / Server error");
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

/**
 * A Host header fit for a URL, else "localhost" (a malformed one would make the request
 * unparsable): a DNS name or IPv4 address, or a bracketed IPv6 address, and an optional port
 * from 1 to 65535.
 */
export function safeHost(host: string | undefined): string {
  const m = host ? /^(?:[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9-]{1,63})*\.?|\[[0-9a-f:.]{2,45}\])(?::(\d{1,5}))?$/i.exec(host) : null;
  if (!m || host!.length > 255) return "localhost";
  if (m[1] !== undefined && (Number(m[1]) < 1 || Number(m[1]) > 65535)) return "localhost";
  try {
    new URL(`http://${host}/`);
  } catch {
    return "localhost";
  }
  return host!;
}

/**
 * RFC 8058 one-click unsubscribe: mail providers POST `List-Unsubscribe=One-Click` to the link in
 * the List-Unsubscribe header from their own servers, without cookies, Origin or Sec-Fetch-Site.
 * Only that route is let through without an Origin (a foreign Origin is still refused): its signed
 * token is the whole authority, and it reads no session.
 */
export function oneClickUnsubscribe(method: string | undefined, pathname: string): boolean {
  return method === "POST" && /^\/unsubscribe\/[A-Za-z0-9_-]{1,200}$/.test(pathname);
}

/**
 * OAI-PMH harvesters may POST their requests (application/x-www-form-urlencoded) to /oai from
 * their own servers: it reads no session and changes nothing.
 */
export function oaiHarvest(method: string | undefined, pathname: string): boolean {
  return method === "POST" && pathname === "/oai";
}

/**
 * Webhooks that providers POST from their own servers (no Origin, no cookies): Zalo's delivery
 * receipts and Zoom's events at a connection's address — only these exact routes, each of which
 * checks its own signature and reads no session.
 */
export function providerWebhook(method: string | undefined, pathname: string): boolean {
  return method === "POST" && (pathname === "/webhooks/zalo" || /^\/webhooks\/zoom\/[^/]{1,200}$/.test(pathname));
}
