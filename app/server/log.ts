/** Structured JSON logs, one object per line on stdout (errors on stderr). */
type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

let threshold: Level | "silent" = (process.env.LOG_LEVEL as Level) ?? "info";

export function setLogLevel(level: Level | "silent") {
  threshold = level;
}

/** Whether a message at this level would be written (to skip building it when not). */
export function isLogged(level: Level) {
  return ORDER[level] >= ORDER[threshold];
}

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}) {
  if (ORDER[level] < ORDER[threshold]) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, pid: process.pid, msg, ...fields });
  (level === "error" ? process.stderr : process.stdout).write(line + "\n");
}

export const logger = {
  debug: (msg: string, f?: Record<string, unknown>) => log("debug", msg, f),
  info: (msg: string, f?: Record<string, unknown>) => log("info", msg, f),
  warn: (msg: string, f?: Record<string, unknown>) => log("warn", msg, f),
  error: (msg: string, f?: Record<string, unknown>) => log("error", msg, f),
};

export function errorFields(e: unknown) {
  return e instanceof Error ? { error: e.message, stack: e.stack } : { error: String(e) };
}
