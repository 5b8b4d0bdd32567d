/**
 * A harvest in a process of its own (docs/decisions/014-harvest-process.md). On PostgreSQL the job
 * and the CLI run each harvest in a child process with a bounded heap (HARVEST_HEAP_MB): parsing
 * a repository's XML then neither holds the web server's event loop nor grows its memory, and a
 * harvest of a million records stays within its own few hundred megabytes. The embedded database
 * (PGlite) allows one process only, so there the harvest runs in this one.
 *
 * The child reports its outcome over the IPC channel. A child that dies without one (killed, out
 * of memory) leaves its run open: the next harvest resumes it from its last committed page.
 */
import { fork } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Database } from "../../../db/client.server.ts";
import { runHarvest, type HarvestOptions, type HarvestOutcome } from "./harvest.server.ts";

/** The child's old-generation heap (MB): a page in flight and the one read ahead need a few tens. */
export const HARVEST_HEAP_MB = 160;

/** What the child is asked to do (its one argument, as JSON). */
export type HarvestChildInput = { repositoryId: string; opts: Pick<HarvestOptions, "full" | "set" | "prefix"> };

/** What the child answers before it exits. */
export type HarvestChildMessage = ({ outcome: Omit<HarvestOutcome, "retryAt"> & { retryAt?: string } } | { error: string }) & ChildUsage;

/** The child's peak resident memory (kB) and CPU time (ms). */
type ChildUsage = { maxRssKb: number; cpuMs: number };

/** The outcome, with the child's usage when the harvest ran in one. */
export type ApartOutcome = HarvestOutcome & Partial<ChildUsage>;

const besideThisFile = path.join(path.dirname(fileURLToPath(import.meta.url)), "harvest-child.ts");
/** The child's entry: beside this module when run from source, else from the project root. */
const CHILD = fs.existsSync(besideThisFile) ? besideThisFile : path.resolve("app/services/library/harvest-child.ts");

const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export async function runHarvestApart(
  database: Database,
  repositoryId: string,
  opts: HarvestChildInput["opts"] = {},
  hooks: { onChild?: (pid: number) => void } = {},
): Promise<ApartOutcome> {
  if (!database.connection) return runHarvest(database.db, repositoryId, opts);
  const input: HarvestChildInput = { repositoryId, opts };
  const child = fork(CHILD, [JSON.stringify(input)], {
    // tsx's loader by its path: the child may start from any working directory.
    execArgv: ["--import", TSX, `--max-old-space-size=${HARVEST_HEAP_MB}`],
    env: { ...process.env, LOPSO_HARVEST_DATABASE_URL: database.connection.url, LOPSO_HARVEST_PREPARE: database.connection.prepare ? "1" : "0" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  if (child.pid) hooks.onChild?.(child.pid);
  // This process ending (a restart, a deploy) ends the harvest too; its run resumes later.
  const stop = () => child.kill();
  process.once("exit", stop);
  let message: HarvestChildMessage | undefined;
  child.on("message", (m) => (message = m as HarvestChildMessage));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (c, s) => resolve([c, s]));
  }).finally(() => process.off("exit", stop));
  const usage = message ? { maxRssKb: message.maxRssKb, cpuMs: message.cpuMs } : {};
  if (message && "outcome" in message) {
    const { retryAt, ...rest } = message.outcome;
    return { ...rest, ...(retryAt ? { retryAt: new Date(retryAt) } : {}), ...usage };
  }
  if (message && "error" in message) throw new Error(`harvest of ${repositoryId} failed: ${message.error}`);
  throw new Error(`harvest of ${repositoryId} stopped (${signal ?? `exit code ${code}`}); its run resumes at the next harvest`);
}
