/**
 * The outside channels this process can send on, built from the environment: email, Web Push,
 * Zalo and SMS, each from its adapter in integrations/channels/<name>/ (`registerChannel` replaces
 * one, as tests do). A channel whose factory returns null is not configured: its messages stay
 * queued and `notify status` says so.
 */
import type { Channel } from "../../../integrations/ports.ts";
import { createEmailChannel, emailConfigFromEnv } from "../../../integrations/channels/email/index.server.ts";
import type { ExternalChannel } from "../../../db/schema/notify.ts";
import { createPushChannel, pushConfigFromEnv } from "../../../integrations/channels/webpush/index.server.ts";
import { createZaloChannel, zaloConfigFromEnv } from "../../../integrations/channels/zalo/index.server.ts";
import { createSmsChannel, smsConfigFromEnv } from "../../../integrations/channels/sms/index.server.ts";
import { getDb } from "../../../db/client.server.ts";
import { channelEnv } from "../../env.server.ts";
import { dbTokenStore } from "../channel-tokens.server.ts";

export const EXTERNAL_CHANNELS: ExternalChannel[] = ["email", "push", "zalo", "sms"];

export type Env = Record<string, string | undefined>;

export type ChannelFactory = {
  /** The Channel, or null when the environment does not configure it. */
  create: (env: Env) => Channel | null;
  /** Sends per second across every process (0 = no limit). */
  ratePerSecond: (env: Env) => number;
  /** Sends in flight at once in one worker. */
  concurrency: (env: Env) => number;
};

const factories = new Map<ExternalChannel, ChannelFactory>();
const built = new Map<ExternalChannel, Channel | null>();

/** Make a channel available to the delivery (replaces an earlier registration of the same name). */
export function registerChannel(name: ExternalChannel, factory: ChannelFactory) {
  factories.set(name, factory);
  built.delete(name);
}

registerChannel("email", {
  create: (env) => {
    const config = emailConfigFromEnv(env);
    return config ? createEmailChannel(config) : null;
  },
  ratePerSecond: (env) => emailConfigFromEnv(env)?.ratePerSecond ?? 0,
  concurrency: (env) => emailConfigFromEnv(env)?.maxConnections ?? 1,
});
registerChannel("push", {
  create: (env) => {
    const config = pushConfigFromEnv(withVapid(env));
    return config ? createPushChannel(config) : null;
  },
  ratePerSecond: (env) => pushConfigFromEnv(withVapid(env))?.ratePerSecond ?? 0,
  // Each push is one HTTPS request to the browser vendor's service: several in flight.
  concurrency: () => 20,
});
registerChannel("zalo", {
  // The OA's tokens live in the hub's database (channel_tokens), renewed one at a time.
  create: (env) => {
    const config = zaloConfigFromEnv(env);
    return config ? createZaloChannel(config, { tokens: dbTokenStore(getDb()) }) : null;
  },
  ratePerSecond: (env) => zaloConfigFromEnv(env)?.ratePerSecond ?? 0,
  concurrency: () => 4,
});
registerChannel("sms", {
  create: (env) => {
    const config = smsConfigFromEnv(env);
    return config ? createSmsChannel(config) : null;
  },
  ratePerSecond: (env) => smsConfigFromEnv(env)?.ratePerSecond ?? 0,
  concurrency: () => 4,
});

/** The environment with the hub's VAPID key pair (generated into DATA_DIR when not set). */
function withVapid(env: Env): Env {
  if (env.VAPID_PUBLIC_KEY && env.VAPID_PRIVATE_KEY) return env;
  try {
    const hub = channelEnv();
    return { ...env, VAPID_PUBLIC_KEY: hub.VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: hub.VAPID_PRIVATE_KEY };
  } catch {
    return env;
  }
}

/** The process's Channel for `name` (built once), or null when it is not configured. */
export function channelFor(name: ExternalChannel, env: Env = process.env): Channel | null {
  if (!built.has(name)) built.set(name, factories.get(name)?.create(env) ?? null);
  return built.get(name)!;
}

export function channelLimits(name: ExternalChannel, env: Env = process.env): { ratePerSecond: number; concurrency: number } {
  const f = factories.get(name);
  return { ratePerSecond: f?.ratePerSecond(env) ?? 0, concurrency: Math.max(1, f?.concurrency(env) ?? 1) };
}

/** Close every channel built (at shutdown, or between tests). */
export async function closeChannels() {
  const all = [...built.values()];
  built.clear();
  await Promise.all(all.map((c) => c?.close?.()));
}
