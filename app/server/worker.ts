/** `npm run worker`: the job workers alone, so web and workers scale separately. */
import { ConfigError, env } from "../env.server.ts";
import { startWorkers } from "../jobs/queue.server.ts";
import { bootDatabase, DatabaseBusyError } from "./boot.ts";
import { errorFields, logger, setLogLevel } from "./log.ts";

async function main() {
  const config = env();
  setLogLevel(config.LOG_LEVEL);
  const database = await bootDatabase(config, "worker");
  const workers = await startWorkers(database);
  logger.info("workers started", { database: database.kind });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    await workers.stop();
    await database.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((e) => {
  if (e instanceof ConfigError || e instanceof DatabaseBusyError) process.stderr.write(e.message + "\n");
  else logger.error("worker start-up failed", errorFields(e));
  process.exit(1);
});
