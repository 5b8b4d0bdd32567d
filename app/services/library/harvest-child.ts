/**
 * The child process of runHarvestApart (harvest-apart.server.ts): one harvest of one repository,
 * its outcome sent to the parent, then exit.
 */
import { openDatabase } from "../../../db/client.server.ts";
import type { HarvestChildInput, HarvestChildMessage } from "./harvest-apart.server.ts";
import { runHarvest } from "./harvest.server.ts";

const usage = () => {
  const u = process.resourceUsage();
  return { maxRssKb: u.maxRSS, cpuMs: Math.round((u.userCPUTime + u.systemCPUTime) / 1000) };
};
const send = (m: HarvestChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

async function main() {
  const input = JSON.parse(process.argv[2] ?? "{}") as HarvestChildInput;
  const url = process.env.LOPSO_HARVEST_DATABASE_URL;
  if (!url || !input.repositoryId || !process.send) throw new Error("harvest-child: run by runHarvestApart only");
  // The parent gone (restarted, stopped): stop too; the run resumes from its last committed page.
  process.once("disconnect", () => process.exit(1));
  const database = await openDatabase({ url, max: 2, prepare: process.env.LOPSO_HARVEST_PREPARE !== "0" });
  try {
    const out = await runHarvest(database.db, input.repositoryId, input.opts ?? {});
    await send({ outcome: { ...out, retryAt: out.retryAt?.toISOString() }, ...usage() });
  } catch (e) {
    await send({ error: (e as Error).message?.slice(0, 500) ?? String(e), ...usage() });
    process.exitCode = 1;
  } finally {
    await database.close();
  }
}

main().then(
  () => process.exit(),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
