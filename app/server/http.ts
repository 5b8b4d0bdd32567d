/**
 * The HTTP front: request ids and JSON access logs, security headers, CSRF origin checks,
 * health endpoints, static assets, then React Router.
 */
import crypto from "node:crypto";
import path from "node:path";
import compression from "compression";
import express from "express";
import { createRequestHandler } from "@react-router/express";
import { RouterContextProvider, type ServerBuild } from "react-router";
import { migrationsApplied, type Database } from "../../db/client.server.ts";
import { errorFields, logger } from "./log.ts";

export type HttpOptions = {
  database: Database;
  build: ServerBuild;
  /** Public origin (APP_URL); requests whose Origin differs are refused. */
  appUrl?: string;
  clientDir?: string;
  /** Number of reverse-proxy hops whose X-Forwarded-For may be believed (0: none). */
  trustProxy?: number;
};

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function createApp(opts: HttpOptions) {
  const app = express();
  app.disable("x-powered-by");
  // Behind a load balancer, TRUST_PROXY=N trusts N hops of X-Forwarded-For for the client address.
  app.set("trust proxy", opts.trustProxy ?? 0);

  let shuttingDown = false;
  const state = { setShuttingDown: () => (shuttingDown = true) };

  app.use((req, res, next) => {
    const id = crypto.randomUUID();
    const started = process.hrtime.bigint();
    req.headers["x-request-id"] = id;
    // Our own notion of the client address; a client-supplied value is overwritten.
    req.headers["x-lopso-client-ip"] = req.ip ?? req.socket.remoteAddress ?? "unknown";
    res.setHeader("X-Request-Id", id);
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (req.path.startsWith("/assets/")) return;
      logger.info("request", { reqId: id, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 });
    });
    if (shuttingDown) res.setHeader("Connection", "close");
    next();
  });

  app.use((req, res, next) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Referrer-Policy", "strict-origin-when-cross-origin");
    res.setHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    if (opts.appUrl?.startsWith("https:")) res.setHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    // A fallback CSP for responses that bring none of their own. It is added just before the headers
    // are written: React Router's adapter *appends* the document's nonce-based policy, and two CSP
    // headers are both enforced, so setting the fallback up front blocked every inline script (no hydration).
    const writeHead = res.writeHead;
    res.writeHead = function (this: express.Response, ...args: Parameters<typeof writeHead>) {
      if (!this.hasHeader("Content-Security-Policy")) this.setHeader("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; object-src 'none'");
      return writeHead.apply(this, args);
    } as typeof writeHead;
    next();
  });

  // A response written before the request body was read (a 413 for an oversized upload, a refused
  // POST) closes the connection: the unread rest of the body would otherwise stay in the socket and
  // wedge the next request the browser sends on that keep-alive connection.
  app.use((req, res, next) => {
    const writeHead = res.writeHead;
    res.writeHead = function (this: express.Response, ...args: Parameters<typeof writeHead>) {
      const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
      if (hasBody && !req.complete && !this.headersSent) this.setHeader("Connection", "close");
      return writeHead.apply(this, args);
    } as typeof writeHead;
    next();
  });

  // CSRF: every mutation must come from our own origin (SameSite=Lax cookies are the second layer).
  app.use((req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const origin = req.headers.origin;
    const allowed = new Set<string>();
    if (opts.appUrl) allowed.add(opts.appUrl);
    if (req.headers.host) allowed.add(`${req.protocol}://${req.headers.host}`);
    const fetchSite = req.headers["sec-fetch-site"];
    const ok = origin ? allowed.has(origin) : fetchSite === "same-origin";
    if (!ok) {
      logger.warn("csrf refused", { reqId: req.headers["x-request-id"], origin: origin ?? null, path: req.path });
      res.status(403).type("text/plain; charset=utf-8").send("Yêu cầu bị từ chối: không đến từ trang của Lớp Số. / Request refused: cross-site request.");
      return;
    }
    next();
  });

  app.get("/healthz", (_req, res) => {
    res.json({ status: shuttingDown ? "shutting-down" : "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    if (shuttingDown) return void res.status(503).json({ status: "shutting-down" });
    try {
      await opts.database.query("select 1");
      const migrated = await migrationsApplied(opts.database);
      res.status(migrated ? 200 : 503).json({ status: migrated ? "ready" : "migrations-pending", database: opts.database.kind });
    } catch (e) {
      res.status(503).json({ status: "database-unreachable", ...errorFields(e), stack: undefined });
    }
  });

  // Fast gzip: dynamic pages are small and CPU is the scarce resource; a proxy in front may do better.
  app.use(compression({ level: 1, threshold: 1024 }));
  const clientDir = opts.clientDir ?? path.resolve("build/client");
  app.use("/assets", express.static(path.join(clientDir, "assets"), { immutable: true, maxAge: "1y", index: false }));
  // Other static files all have an extension (favicon.svg, robots.txt): page URLs skip the disk.
  const staticFiles = [express.static(clientDir, { maxAge: "1h", index: false }), express.static(path.resolve("public"), { maxAge: "1h", index: false })];
  app.use((req, res, next) => {
    if ((req.method !== "GET" && req.method !== "HEAD") || !path.extname(req.path)) return next();
    staticFiles[0](req, res, () => staticFiles[1](req, res, next));
  });

  app.all(
    "/{*splat}",
    createRequestHandler({
      build: opts.build,
      getLoadContext: () => {
        const entry = opts.build.entry.module as { createLoadContext?: () => RouterContextProvider };
        return entry.createLoadContext ? entry.createLoadContext() : new RouterContextProvider();
      },
    }),
  );

  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    logger.error("unhandled", { reqId: req.headers["x-request-id"], ...errorFields(err) });
    if (!res.headersSent) res.status(500).type("text/plain; charset=utf-8").send("Lỗi máy chủ / Server error");
  });

  return { app, ...state };
}
