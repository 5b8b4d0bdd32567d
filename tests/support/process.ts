/**
 * The hub as an operator starts it — `tsx app/server/main.ts` — in a process of its own, for
 * the tests about the process itself (logs, signals, locks, clusters, several servers).
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";

export type ServerProcess = {
  child: ChildProcess;
  /** Everything the process has written to stdout and stderr so far. */
  output: () => string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Poll until `check` holds; fails with the output if the process exits or time runs out. */
  waitUntil: (check: () => boolean | Promise<boolean>, ms?: number) => Promise<void>;
  /** Send a signal (SIGTERM by default) and wait for the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
};

/** Production refuses to start without one; every test process uses this. */
const SECRET_KEY = "process-test-secret-key-0123456789abcdef";

/** Node's flags as `npm run serve` sets them in package.json (docs/decisions/007). */
export const SERVE_NODE_FLAGS = ["--max-semi-space-size=64"];

/**
 * Start the server with the test runner's environment plus `env` (an undefined value unsets one),
 * and Node's flags as `npm run serve` has them unless `nodeFlags` says otherwise.
 */
export function spawnServer(env: Record<string, string | undefined>, nodeFlags: string[] = SERVE_NODE_FLAGS, cwd?: string): ServerProcess {
  let output = "";
  const child = spawn(process.execPath, [...nodeFlags, "--import", "tsx", "app/server/main.ts"], {
    env: { ...process.env, SECRET_KEY, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    cwd,
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async waitUntil(check, ms = 60_000) {
      const until = Date.now() + ms;
      for (;;) {
        if (await Promise.resolve().then(check).catch(() => false)) return;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited (${child.exitCode ?? child.signalCode}):\n${output}`);
        if (Date.now() > until) throw new Error(`timed out; server output:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Whether the server at `base` answers /readyz with 200. */
export function isReady(base: string): Promise<boolean> {
  return fetch(`${base}/readyz`).then(
    (r) => r.status === 200,
    () => false,
  );
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
