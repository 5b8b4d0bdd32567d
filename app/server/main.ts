/**
 * `npm start`: the web server and the job workers in one process.
 * SIGTERM/SIGINT: stop accepting connections, finish requests and running jobs, close the database.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "react-router";
import { ConfigError, env } from "../env.server.ts";
import { startWorkers, type Workers } from "../jobs/queue.server.ts";
import { bootDatabase, DatabaseBusyError } from "./boot.ts";
import { createApp } from "./http.ts";
import { errorFields, logger, setLogLevel } from "./log.ts";

async function main() {
  const config = env();
  setLogLevel(config.LOG_LEVEL);
  const database = await bootDatabase(config, "web server");
  const build = (await import(pathToFileURL(path.resolve("build/server/index.js")).href)) as ServerBuild;
  const { app, setShuttingDown } = createApp({ database, build, appUrl: config.APP_URL, trustProxy: config.TRUST_PROXY });
  let workers: Workers | undefined;
  if (config.WORKERS) workers = await startWorkers(database);

  const server = app.listen(config.PORT, config.HOST, () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.PORT;
    logger.info("listening", { url: `http://localhost:${port}`, database: database.kind, demo: config.DEMO, workers: Boolean(workers) });
  });
  server.keepAliveTimeout = 65_000;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    setShuttingDown();
    const force = setTimeout(() => {
      logger.error("forced exit after 30 s");
      process.exit(1);
    }, 30_000);
    force.unref();
    // Stop accepting; keep-alive connections are closed as soon as their last response is sent.
    const sweepIdle = setInterval(() => server.closeIdleConnections(), 100);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    clearInterval(sweepIdle);
    await workers?.stop();
    await database.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((e) => {
  if (e instanceof ConfigError || e instanceof DatabaseBusyError) {
    process.stderr.write(e.message + "\n");
  } else {
    logger.error("start-up failed", errorFields(e));
  }
  process.exit(1);
});
