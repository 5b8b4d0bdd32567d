/**
 * For the webhook benchmark only: the hub's Zoom webhook handler (`receiveZoomWebhook`, unchanged)
 * served straight from node:http, without React Router in front of it — what the ingestion would
 * cost if the HTTP front answered `/webhooks/zoom/:id` itself. Not part of the hub.
 *
 *   PORT=… DATABASE_URL=… SECRET_KEY=… WEB_CONCURRENCY=2 node --import tsx tests/bench/zoom-webhook-direct.ts
 *
 * Prints `READY` once every process listens.
 */
import cluster from "node:cluster";
import http from "node:http";

const PROCESSES = Number(process.env.WEB_CONCURRENCY ?? 1);
const PORT = Number(process.env.PORT);
const MAX_BODY = 64 * 1024;

if (cluster.isPrimary && PROCESSES > 1) {
  let listening = 0;
  for (let i = 0; i < PROCESSES; i++) cluster.fork();
  cluster.on("listening", () => {
    if (++listening === PROCESSES) process.stdout.write("READY\n");
  });
  process.on("SIGTERM", () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill("SIGTERM");
    process.exit(0);
  });
} else {
  const { openDatabase } = await import("../../db/client.server.ts");
  const { receiveZoomWebhook } = await import("../../app/services/connections/zoom-webhook.server.ts");
  const database = await openDatabase({ url: process.env.DATABASE_URL!, max: 10 });
  const STATUS = { unknown: 404, unsigned: 401, malformed: 400, wrong_account: 403, validation: 200, stored: 200 } as const;
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    const m = /^\/webhooks\/zoom\/([^/?]{1,200})$/.exec(req.url ?? "");
    if (req.method !== "POST" || !m) return send(res, 404, { error: "not found" });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_BODY) return send(res, 413, { error: "body too large" });
      const h = (name: string) => (typeof req.headers[name] === "string" ? (req.headers[name] as string) : null);
      receiveZoomWebhook(database.db, { connectionId: m[1], raw: Buffer.concat(chunks), signature: h("x-zm-signature"), timestamp: h("x-zm-request-timestamp") }).then(
        (outcome) => send(res, STATUS[outcome.kind], outcome.kind === "validation" ? outcome.reply : outcome.kind === "stored" ? { ok: true } : { error: outcome.kind }),
        () => send(res, 500, { error: "internal" }),
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(PORT, "127.0.0.1", () => {
    if (PROCESSES === 1) process.stdout.write("READY\n");
  });
  process.on("SIGTERM", () => {
    server.close();
    void database.close().then(() => process.exit(0));
  });
}
