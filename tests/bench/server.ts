/**
 * The production server as the benchmarks start it, and what they do with it: build it when
 * missing, start it on a free port as `npm run serve` would, sign in like the browser form.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { targetEnv, type Target } from "./dataset.ts";

/** Node's flags for the server, as `npm run serve` sets them (docs/decisions/007). */
export const SERVER_NODE_FLAGS = ["--max-semi-space-size=64"];

/** The value at percentile `p` of ascending `sorted` values. */
export function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function ensureBuild(log: (line: string) => void = (line) => process.stdout.write(line + "\n")) {
  if (fs.existsSync("build/server/index.js")) return;
  log("No production build: running `npm run build`…");
  const res = spawnSync("npm", ["run", "build", "--silent"], { stdio: "inherit", env: { ...process.env, NODE_ENV: "production" } });
  if (res.status !== 0) throw new Error("the build failed");
}

export type Server = { origin: string; child: ChildProcess; output: () => string; stop: () => Promise<void> };

export type ServerOptions = {
  /** Web processes (WEB_CONCURRENCY). */
  webProcesses?: number;
  /** Extra environment for the server, over the benchmark's own. */
  env?: Record<string, string>;
  /** Node's flags (default SERVER_NODE_FLAGS). */
  nodeFlags?: string[];
};

/** The production server (`npm run serve`: NODE_ENV=production, tsx app/server/main.ts) as a child process. */
export async function startServer(target: Target, opts: ServerOptions = {}): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? SERVER_NODE_FLAGS), "--import", "tsx", "app/server/main.ts"], {
    env: {
      ...process.env,
      ...targetEnv(target),
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      WORKERS: "0",
      LOG_LEVEL: "warn",
      DEMO: "0",
      WEB_CONCURRENCY: String(opts.webProcesses ?? 1),
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(`${origin}/readyz`);
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server did not become ready in 180 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    origin,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** POST /login like the sign-in form (with our Origin) and return the session cookie. */
export async function signIn(origin: string, login: string, password: string): Promise<string> {
  const res = await fetch(`${origin}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { origin, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ identifier: login, password }),
  });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("lopso_session="));
  if (res.status !== 302 || !cookie) throw new Error(`sign-in as ${login} failed: HTTP ${res.status}\n${(await res.text()).slice(0, 500)}`);
  return cookie.split(";")[0];
}
