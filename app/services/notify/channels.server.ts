/**
 * The outside channels this process can send on, built from the environment. Email is built
 * here; Web Push, Zalo and SMS register their factories with `registerChannel` (the integrator
 * adds one line each below, from integrations/channels/<name>/). A channel whose factory returns
 * null is not configured: its messages stay queued and `notify status` says so.
 */
import type { Channel } from "../../../integrations/ports.ts";
import { createEmailChannel, emailConfigFromEnv } from "../../../integrations/channels/email/index.server.ts";
import type { ExternalChannel } from "../../../db/schema/notify.ts";

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
// registerChannel("push", { create: (env) => { const c = pushConfigFromEnv(env); return c ? createPushChannel(c) : null; }, ratePerSecond: (env) => pushConfigFromEnv(env)?.ratePerSecond ?? 0, concurrency: () => 20 });
// registerChannel("zalo", …createZaloChannel(config, deps)…); registerChannel("sms", …createSmsChannel(config)…);

/** The process's Channel for `name` (built once), or null when it is not configured. */
export function channelFor(name: ExternalChannel, env: Env = process.env): Channel | null {
  if (!built.has(name)) built.set(name, factories.get(name)?.create(env) ?? null);
  return built.get(name)!;
}

export function channelLimits(name: ExternalChannel, env: Env = process.env): { ratePerSecond: number; concurrency: number } {
  const f = factories.get(name);
  return { ratePerSecond: f?.ratePerSecond(env) ?? 0, concurrency: Math.max(1, f?.concurrency(env) ?? 1) };
}

/** Which channels are configured in this environment (without opening any connection). */
export function configuredChannels(env: Env = process.env): Record<ExternalChannel, boolean> {
  const out = {} as Record<ExternalChannel, boolean>;
  for (const name of EXTERNAL_CHANNELS) {
    const f = factories.get(name);
    if (!f) {
      out[name] = false;
      continue;
    }
    try {
      const c = f.create(env);
      out[name] = c !== null;
      void c?.close?.();
    } catch {
      out[name] = false;
    }
  }
  return out;
}

/** Close every channel built (at shutdown, or between tests). */
export async function closeChannels() {
  const all = [...built.values()];
  built.clear();
  await Promise.all(all.map((c) => c?.close?.()));
}
