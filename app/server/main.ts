/**
 * `npm start`: the web server and the job workers in one process.
 * With WEB_CONCURRENCY=N (PostgreSQL only) a primary process migrates, runs the job workers and
 * keeps N web processes sharing the port (Node's cluster), so rendering uses every core.
 * SIGTERM/SIGINT: stop accepting connections, finish requests and running jobs, close the database.
 */
import cluster from "node:cluster";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "react-router";
import { ConfigError, env, type Env } from "../env.server.ts";
import { startWorkers, type Workers } from "../jobs/queue.server.ts";
import { prepareUploads } from "../services/files.server.ts";
import { bootDatabase, DatabaseBusyError, openConfiguredDatabase } from "./boot.ts";
import { createApp } from "./http.ts";
import { errorFields, logger, setLogLevel } from "./log.ts";

async function main() {
  const config = env();
  setLogLevel(config.LOG_LEVEL);
  if (config.WEB_CONCURRENCY > 1 && !config.DATABASE_URL) {
    throw new ConfigError(
      "Invalid configuration:\n  WEB_CONCURRENCY: more than one web process needs DATABASE_URL (the embedded database allows one process)",
    );
  }
  if (config.WEB_CONCURRENCY > 1 && cluster.isPrimary) return primary(config);
  return serve(config);
}

/** The cluster's primary: migrations, the job workers, and N web processes kept running. */
async function primary(config: Env) {
  const database = await bootDatabase(config, "primary");
  const jobs = config.WORKERS ? await startWorkers(database) : undefined;
  let stopping = false;
  const fork = () => cluster.fork({ LOPSO_WEB_PROCESS: "1" });
  for (let i = 0; i < config.WEB_CONCURRENCY; i++) fork();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping || code === 0) return; // a clean exit is a requested one

    logger.error("web process exited; starting another", { pid: worker.process.pid, code, signal });
    fork();
  });
  logger.info("primary started", { webProcesses: config.WEB_CONCURRENCY, workers: Boolean(jobs) });
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    const running = Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead());
    await Promise.all(
      running.map((w) => new Promise<void>((resolve) => {
        w!.once("exit", () => resolve());
        w!.process.kill("SIGTERM");
      })),
    );
    await jobs?.stop();
    await database.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

/** One web server (and, outside a cluster, the job workers). */
async function serve(config: Env) {
  const inCluster = cluster.isWorker;
  // In a cluster the primary has migrated already; its web processes only connect.
  const database = inCluster ? await openConfiguredDatabase(config, "web server") : await bootDatabase(config, "web server");
  await prepareUploads(config.DATA_DIR);
  const build = (await import(pathToFileURL(path.resolve("build/server/index.js")).href)) as ServerBuild;
  const { server, setShuttingDown, drained } = createApp({ database, build, appUrl: config.APP_URL, trustProxy: config.TRUST_PROXY });
  let workers: Workers | undefined;
  if (config.WORKERS && !inCluster) workers = await startWorkers(database);

  server.listen(config.PORT, config.HOST, () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.PORT;
    logger.info("listening", { url: `http://localhost:${port}`, database: database.kind, demo: config.DEMO, workers: Boolean(workers) });
  });

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
    // A request whose client hung up is still running: let it finish before the database closes.
    await drained();
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
