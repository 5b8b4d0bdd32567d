/**
 * Configuration, parsed once from the environment (and an optional `.env` file) with zod.
 * Bad configuration stops the process with a message naming the variable.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

const boolish = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off", ""])
  .transform((v) => ["1", "true", "yes", "on"].includes(v));

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  APP_URL: z.url({ message: "must be an absolute URL such as https://lopso.example.vn" }).optional(),
  SECRET_KEY: z.string().min(32, "must be at least 32 characters").optional(),
  DEMO: boolish.optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** Run the job workers inside the web process (npm start). `npm run worker` runs them alone. */
  WORKERS: boolish.default(true),
  /** Web processes sharing the port (PostgreSQL only); the primary runs the job workers. */
  WEB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** Named prepared statements on PostgreSQL; turn off behind a transaction-mode connection pooler. */
  DATABASE_PREPARE: boolish.default(true),
  /** Reverse-proxy hops in front of the hub whose X-Forwarded-For is trusted (sign-in throttling per address). */
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  /**
   * The SMTP server for outgoing mail (password-reset links, parent notifications), e.g.
   * smtps://user:pass@smtp.example.vn:465 or smtp://relay.local:25. Unset: no mail is sent.
   */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, "must be an smtp:// or smtps:// URL")
    .refine((v) => URL.canParse(v), "must be an smtp:// or smtps:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  /** The sender of outgoing mail: an address, or a name and an address ("Lớp Số <no-reply@lopso.example.vn>"). */
  MAIL_FROM: z
    .string()
    .trim()
    .refine((v) => z.email().safeParse(/<([^<>]+)>\s*$/.exec(v)?.[1] ?? v).success, "must be an email address, or a name and <address>")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  /**
   * The hub's VAPID key pair for Web Push (base64url: the 65-octet public point, the 32-octet
   * private scalar). Unset: generated once into DATA_DIR/vapid.json. Several servers must share one.
   */
  /** Zoom's endpoints (OAuth host, REST base); tests and demos point them at a local fake. */
  ZOOM_OAUTH_URL: z.url().optional().or(z.literal("").transform(() => undefined)),
  ZOOM_API_URL: z.url().optional().or(z.literal("").transform(() => undefined)),
  /** Microsoft's endpoints (Entra ID authority, Graph); tests and demos point them at a local fake. */
  MICROSOFT_LOGIN_URL: z.url().optional().or(z.literal("").transform(() => undefined)),
  MICROSOFT_GRAPH_URL: z.url().optional().or(z.literal("").transform(() => undefined)),
  /** Google's OpenID issuer and one root for its APIs; tests and demos point them at a local fake. */
  GOOGLE_ISSUER: z.url().optional().or(z.literal("").transform(() => undefined)),
  GOOGLE_API_URL: z.url().optional().or(z.literal("").transform(() => undefined)),
  /**
   * The hub's own OAuth apps, for a teacher who connects their own account when the school has
   * none: a Google OAuth client (Web application) and a Zoom user-managed OAuth app.
   */
  GOOGLE_CLIENT_ID: z.string().trim().optional().or(z.literal("").transform(() => undefined)),
  GOOGLE_CLIENT_SECRET: z.string().trim().optional().or(z.literal("").transform(() => undefined)),
  ZOOM_CLIENT_ID: z.string().trim().optional().or(z.literal("").transform(() => undefined)),
  /** The hub's own multi-tenant Entra ID app, for a teacher's own Microsoft account when the school has no app. */
  MICROSOFT_CLIENT_ID: z.string().trim().optional().or(z.literal("").transform(() => undefined)),
  MICROSOFT_CLIENT_SECRET: z.string().trim().optional().or(z.literal("").transform(() => undefined)),
  ZOOM_CLIENT_SECRET: z.string().trim().optional().or(z.literal("").transform(() => undefined)),
  VAPID_PUBLIC_KEY: z.string().trim().regex(/^[A-Za-z0-9_-]{87}$/, "must be a base64url P-256 public key (87 characters)").optional().or(z.literal("").transform(() => undefined)),
  VAPID_PRIVATE_KEY: z.string().trim().regex(/^[A-Za-z0-9_-]{43}$/, "must be a base64url P-256 private key (43 characters)").optional().or(z.literal("").transform(() => undefined)),
});

export type Env = z.infer<typeof EnvSchema> & {
  DATA_DIR: string;
  SECRET_KEY: string;
  DEMO: boolean;
  APP_URL: string | undefined;
  VAPID_PUBLIC_KEY: string;
  VAPID_PRIVATE_KEY: string;
};

/** Read KEY=value lines from `.env` without overriding the real environment. */
function loadDotEnv(file = ".env") {
  if (!fs.existsSync(file)) return;
  for (const line of fs.readFileSync(file, "utf8").split(/\r?\n/)) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith("#")) continue;
    const value = m[2].replace(/^(['"])(.*)\1$/, "$2");
    if (process.env[m[1]] === undefined) process.env[m[1]] = value;
  }
}

export class ConfigError extends Error {}

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  if (env.SMTP_URL && !env.MAIL_FROM) {
    throw new ConfigError("Invalid configuration:\n  MAIL_FROM: required with SMTP_URL (the sender of outgoing mail)");
  }
  if (env.SMTP_URL && !env.APP_URL && env.NODE_ENV === "production") {
    // Links in mail must carry the public address, never one taken from a request's Host header.
    throw new ConfigError("Invalid configuration:\n  APP_URL: required with SMTP_URL in production (the address in links sent by mail)");
  }
  const dataDir = path.resolve(env.DATA_DIR);
  let secret = env.SECRET_KEY;
  if (!secret) {
    // A production deployment (NODE_ENV=production on a PostgreSQL server) must bring its own key;
    // the embedded demo generates one.
    if (env.NODE_ENV === "production" && env.DATABASE_URL) {
      throw new ConfigError("Invalid configuration:\n  SECRET_KEY: required in production with DATABASE_URL (at least 32 characters)");
    }
    secret = devSecret(dataDir);
  }
  if (!env.VAPID_PUBLIC_KEY !== !env.VAPID_PRIVATE_KEY) {
    throw new ConfigError("Invalid configuration:\n  VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: set both or neither (neither: generated into DATA_DIR)");
  }
  const vapid = env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY ? { publicKey: env.VAPID_PUBLIC_KEY, privateKey: env.VAPID_PRIVATE_KEY } : generatedVapidKeys(dataDir);
  return {
    ...env,
    DATA_DIR: dataDir,
    SECRET_KEY: secret,
    // Demo data is seeded by default only on the embedded database.
    DEMO: env.DEMO ?? !env.DATABASE_URL,
    APP_URL: env.APP_URL?.replace(/\/$/, ""),
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
  };
}

/** A fresh P-256 key pair in the form Web Push uses (base64url uncompressed point and scalar). */
export function newVapidKeys(): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const pub = publicKey.export({ format: "jwk" });
  const priv = privateKey.export({ format: "jwk" });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(pub.x!, "base64url"), Buffer.from(pub.y!, "base64url")]);
  return { publicKey: point.toString("base64url"), privateKey: priv.d! };
}

/**
 * The VAPID key pair generated once into DATA_DIR/vapid.json (mode 0600), so browser
 * subscriptions, which are bound to the public key, survive restarts. Processes starting together
 * agree: the file is created exclusively and a loser reads the winner's keys.
 */
function generatedVapidKeys(dataDir: string): { publicKey: string; privateKey: string } {
  const file = path.join(dataDir, "vapid.json");
  const read = () => {
    const keys = JSON.parse(fs.readFileSync(file, "utf8")) as { publicKey?: unknown; privateKey?: unknown };
    if (typeof keys.publicKey !== "string" || typeof keys.privateKey !== "string") throw new ConfigError(`Invalid VAPID key file ${file}: delete it to generate a new pair`);
    return { publicKey: keys.publicKey, privateKey: keys.privateKey };
  };
  try {
    return read();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const keys = newVapidKeys();
  try {
    fs.writeFileSync(file, JSON.stringify(keys) + "\n", { mode: 0o600, flag: "wx" });
    return keys;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return read();
    throw e;
  }
}

/** A development key generated once into DATA_DIR so sessions and encrypted data survive restarts. */
function devSecret(dataDir: string): string {
  const file = path.join(dataDir, "secret.key");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const key = crypto.randomBytes(32).toString("base64url");
    fs.writeFileSync(file, key + "\n", { mode: 0o600 });
    return key;
  }
}

let cached: Env | undefined;

export function env(): Env {
  if (!cached) {
    loadDotEnv();
    cached = parseEnv();
  }
  return cached;
}

/** The hub's VAPID public key, which the browser needs to subscribe to Web Push (applicationServerKey). */
export function vapidPublicKey(): string {
  return env().VAPID_PUBLIC_KEY;
}

/**
 * The settings the outside channels read (`pushConfigFromEnv`, `zaloConfigFromEnv`,
 * `smsConfigFromEnv`): the process environment with the hub's VAPID key pair, generated or not.
 */
export function channelEnv(): Record<string, string | undefined> {
  const config = env();
  return { ...process.env, APP_URL: config.APP_URL, VAPID_PUBLIC_KEY: config.VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: config.VAPID_PRIVATE_KEY };
}

/** Tests and the CLI may set the configuration explicitly. */
export function setEnv(value: Env | undefined) {
  cached = value;
}
