/**
 * The hub as an operator runs it: `tsx app/server/main.ts` in its own process. JSON logs with
 * request ids, readiness, and a graceful stop on SIGTERM that finishes in-flight requests and
 * releases the embedded database.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, testDatabaseUrl, testDbKind, type TestDatabase } from "../support/db.ts";

let child: ChildProcess;
let output = "";
let dataDir: string;
let pgDb: TestDatabase | undefined;
let base: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out; server output:\n${output}`);
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lopso-proc-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL: "info",
    DEMO: "1",
    SECRET_KEY: "process-test-secret-key-0123456789abcdef",
  };
  delete env.DATABASE_URL;
  if (testDbKind() === "postgres") {
    pgDb = await freshDatabase("postgres");
    await pgDb.close();
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${pgDb.name}`;
    env.DATABASE_URL = url.toString();
  }
  child = spawn(process.execPath, ["--import", "tsx", "app/server/main.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 60_000);
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  if (pgDb) {
    const postgres = (await import("postgres")).default;
    const admin = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${pgDb.name} with (force)`);
    await admin.end();
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("the hub process", () => {
  it("is ready, with migrations applied, on the configured database", async () => {
    const res = await fetch(`${base}/readyz`);
    expect(await res.json()).toEqual({ status: "ready", database: testDbKind() });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it("writes one JSON log line per request with the id it sends back", async () => {
    const res = await fetch(`${base}/login`);
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 100));
    const line = output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.reqId === id);
    expect(line).toMatchObject({ level: "info", msg: "request", method: "GET", path: "/login", status: 200 });
    expect(typeof line!.ms).toBe("number");
  });

  it.runIf(testDbKind() === "pglite")("holds the embedded database so a second process cannot open it", async () => {
    const lock = JSON.parse(fs.readFileSync(path.join(dataDir, "pglite.lock"), "utf8"));
    expect(lock.pid).toBe(child.pid);
  });

  it("stops gracefully on SIGTERM: in-flight requests finish, then the process exits 0", async () => {
    const inFlight = fetch(`${base}/login`).then((r) => r.status);
    await new Promise((r) => setTimeout(r, 5));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await inFlight).toBe(200);
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"stopped"');
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
    let log = "";
    const proc = spawn(process.execPath, ["--import", "tsx", "app/server/main.ts"], {
      env: {
        ...(process.env as Record<string, string>),
        NODE_ENV: "production",
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: dir,
        DATABASE_URL: url.toString(),
        WEB_CONCURRENCY: "2",
        LOG_LEVEL: "info",
        DEMO: "1",
        SECRET_KEY: "process-test-secret-key-0123456789abcdef",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc.stdout!.on("data", (d) => (log += d));
    proc.stderr!.on("data", (d) => (log += d));
    try {
      const started = Date.now();
      while (Date.now() - started < 60_000) {
        const n = (log.match(/"msg":"listening"/g) ?? []).length;
        if (n >= 2 && (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status).catch(() => 0)) === 200) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect((log.match(/"msg":"listening"/g) ?? []).length).toBe(2);
      expect(log).toContain('"msg":"primary started"');
      // The demo was seeded once, by the primary, and both processes serve it.
      for (let i = 0; i < 6; i++) expect((await fetch(`http://127.0.0.1:${port}/login`)).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
      proc.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect((log.match(/"msg":"stopped"/g) ?? []).length).toBe(3);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      const postgres = (await import("postgres")).default;
      const admin = postgres(testDatabaseUrl(), { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists ${db.name} with (force)`);
      await admin.end();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
