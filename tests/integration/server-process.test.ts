/**
 * The hub as an operator runs it: `tsx app/server/main.ts` in its own process. JSON logs with
 * request ids, readiness, and a graceful stop on SIGTERM that finishes in-flight requests and
 * releases the embedded database.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropTestDatabase, freshDatabase, testDatabaseUrl, testDbKind, type TestDatabase } from "../support/db.ts";
import { freePort, isReady, spawnServer, type ServerProcess } from "../support/process.ts";

let server: ServerProcess;
let dataDir: string;
let pgDb: TestDatabase | undefined;
let base: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lopso-proc-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: Record<string, string | undefined> = {
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL: "info",
    DEMO: "1",
    DATABASE_URL: undefined,
  };
  if (testDbKind() === "postgres") {
    pgDb = await freshDatabase("postgres");
    await pgDb.close();
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${pgDb.name}`;
    env.DATABASE_URL = url.toString();
  }
  server = spawnServer(env);
  await server.waitUntil(() => isReady(base));
}, 90_000);

afterAll(async () => {
  if (server) await server.stop("SIGKILL");
  if (pgDb) {
    await dropTestDatabase(pgDb.name);
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("the hub process", () => {
  it("is ready, with migrations applied, on the configured database", async () => {
    const res = await fetch(`${base}/readyz`);
    expect(await res.json()).toEqual({ status: "ready", database: testDbKind() });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it("writes one JSON log line per request with the id it sends back and the process that served it", async () => {
    const res = await fetch(`${base}/login`);
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 100));
    const line = server
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.reqId === id);
    expect(line).toMatchObject({ level: "info", msg: "request", method: "GET", path: "/login", status: 200, pid: server.child.pid });
    expect(typeof line!.ms).toBe("number");
  });

  it.runIf(testDbKind() === "pglite")("holds the embedded database so a second process cannot open it", async () => {
    const lock = JSON.parse(fs.readFileSync(path.join(dataDir, "pglite.lock"), "utf8"));
    expect(lock.pid).toBe(server.child.pid);
  });

  it("stops gracefully on SIGTERM: in-flight requests finish, then the process exits 0", async () => {
    const inFlight = fetch(`${base}/login`).then((r) => r.status);
    await new Promise((r) => setTimeout(r, 5));
    const exited = server.stop("SIGTERM");
    expect(await inFlight).toBe(200);
    expect(await exited).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
    if (testDbKind() === "pglite") expect(fs.existsSync(path.join(dataDir, "pglite.lock"))).toBe(false);
  });
});

describe.runIf(testDbKind() === "postgres")("several web processes (WEB_CONCURRENCY=2)", () => {
  it("serves from two processes on one port and stops them all on SIGTERM", async () => {
    const db = await freshDatabase("postgres");
    await db.close();
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${db.name}`;
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lopso-cluster-"));
    const proc = spawnServer({
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dir,
      DATABASE_URL: url.toString(),
      WEB_CONCURRENCY: "2",
      LOG_LEVEL: "info",
      DEMO: "1",
    });
    const listening = () => (proc.output().match(/"msg":"listening"/g) ?? []).length;
    try {
      await proc.waitUntil(async () => listening() >= 2 && (await isReady(`http://127.0.0.1:${port}`)));
      expect(listening()).toBe(2);
      expect(proc.output()).toContain('"msg":"primary started"');
      // The demo was seeded once, by the primary, and both processes serve it.
      for (let i = 0; i < 6; i++) expect((await fetch(`http://127.0.0.1:${port}/login`)).status).toBe(200);
      expect(await proc.stop("SIGTERM")).toBe(0);
      expect((proc.output().match(/"msg":"stopped"/g) ?? []).length).toBe(3);
    } finally {
      await proc.stop("SIGKILL");
      await dropTestDatabase(db.name);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
