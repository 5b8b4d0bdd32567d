/**
 * The production server as the benchmarks start it, and what they do with it: build it when
 * missing, start it on a free port as `npm run serve` would, sign in like the browser form.
 */
import { spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import autocannon from "autocannon";
import { freePort, isReady, SERVE_NODE_FLAGS, spawnServer } from "../support/process.ts";
import { targetEnv, type Page, type Target } from "./dataset.ts";

/** The value at percentile `p` of ascending `sorted` values. */
export function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux). */
export function processCpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, at 100 ticks/s
  } catch {
    return NaN;
  }
}

/** CPU time of a process and all its descendants (a cluster's primary and its web processes), in ms. */
export function processTreeCpuMs(root: number): number {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(fs.readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* the process is gone */
    }
  }
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    const ms = processCpuMs(pid);
    if (!Number.isNaN(ms)) total += ms;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
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
  /** Node's flags (default: as `npm run serve` has them). */
  nodeFlags?: string[];
  /** Another checkout of the hub to run (its own build), e.g. the commit before a change. */
  cwd?: string;
};

/** The production server (`npm run serve`: NODE_ENV=production, tsx app/server/main.ts) as a child process. */
export async function startServer(target: Target, opts: ServerOptions = {}): Promise<Server> {
  const port = await freePort();
  const proc = spawnServer(
    {
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
    opts.nodeFlags ?? SERVE_NODE_FLAGS,
    opts.cwd,
  );
  const origin = `http://127.0.0.1:${port}`;
  try {
    await proc.waitUntil(() => isReady(origin), 180_000);
  } catch (e) {
    await proc.stop("SIGKILL");
    throw e;
  }
  return {
    origin,
    child: proc.child,
    output: proc.output,
    async stop() {
      const timer = setTimeout(() => void proc.stop("SIGKILL"), 30_000);
      await proc.stop("SIGTERM");
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

/** Fail unless `page` answers 200 with the content it should (the right person, the right class). */
export async function checkPage(origin: string, page: Page, headers: Record<string, string>) {
  const res = await fetch(origin + page.path, { headers, redirect: "manual" });
  const html = await res.text();
  const missing = page.expect.filter((e) => !html.includes(e));
  if (res.status !== 200 || missing.length) {
    throw new Error(`${page.path}: expected 200 with ${JSON.stringify(missing)}, got ${res.status}:\n${html.slice(0, 400)}`);
  }
}

/** Load `url` with autocannon; every response's latency (ms), ascending, beside its result. */
export async function loadPage(url: string, headers: Record<string, string>, connections: number, duration: number) {
  const latencies: number[] = [];
  const instance = autocannon({ url, connections, duration, headers, timeout: 30 });
  instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return { result, latencies };
}
