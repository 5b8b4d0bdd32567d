/**
 * Web Push settings. The VAPID key pair identifies the hub to every push service; the hub
 * generates one into DATA_DIR on first start when VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY are unset
 * (app/env.server.ts), so this reads them like any other setting.
 */
import { z } from "zod";
import { ChannelConfigError, configIssues } from "../settings-error.ts";

export { ChannelConfigError };

const b64url = /^[A-Za-z0-9_-]+$/;
const octets = (n: number, what: string) =>
  z
    .string()
    .trim()
    .regex(b64url, `${what} must be base64url`)
    .refine((v) => Buffer.from(v, "base64url").length === n, `${what} must decode to ${n} octets`);

export const PushConfigSchema = z.object({
  /** Contact for the push services (RFC 8292 `sub`): a mailto: or https: address. */
  subject: z.string().regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, "VAPID_SUBJECT must be a mailto: or https: address"),
  publicKey: octets(65, "VAPID_PUBLIC_KEY").refine((v) => Buffer.from(v, "base64url")[0] === 4, "VAPID_PUBLIC_KEY must be an uncompressed P-256 point"),
  privateKey: octets(32, "VAPID_PRIVATE_KEY"),
  /** How long a push service keeps an undelivered notification (seconds). */
  ttlSeconds: z.coerce.number().int().min(0).max(2_419_200).default(2 * 24 * 3600),
  /** The most notifications per second the delivery job sends through this channel. */
  ratePerSecond: z.coerce.number().positive().max(10_000).default(50),
  /** Bound on connecting, on the answer's headers and on its body (milliseconds). */
  timeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
});

export type PushConfig = z.infer<typeof PushConfigSchema>;

const NAMES = {
  subject: "VAPID_SUBJECT",
  publicKey: "VAPID_PUBLIC_KEY",
  privateKey: "VAPID_PRIVATE_KEY",
  ttlSeconds: "PUSH_TTL_SECONDS",
  ratePerSecond: "PUSH_RATE_PER_SECOND",
  timeoutMs: "PUSH_TIMEOUT_MS",
};

/**
 * The Web Push configuration, or null when no VAPID key pair is set. The contact defaults to the
 * hub's address (APP_URL when https) or the sender of its mail (MAIL_FROM). Throws
 * ChannelConfigError naming the variable when a value is present but wrong.
 */
export function pushConfigFromEnv(env: Record<string, string | undefined>): PushConfig | null {
  const publicKey = env.VAPID_PUBLIC_KEY?.trim();
  const privateKey = env.VAPID_PRIVATE_KEY?.trim();
  if (!publicKey && !privateKey) return null;
  if (!publicKey || !privateKey) throw new ChannelConfigError("Invalid configuration:\n  VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: set both or neither");
  const mail = env.MAIL_FROM ? (/<([^<>]+)>\s*$/.exec(env.MAIL_FROM)?.[1] ?? env.MAIL_FROM).trim() : undefined;
  const subject =
    env.VAPID_SUBJECT?.trim() || (env.APP_URL?.startsWith("https://") ? env.APP_URL : mail ? `mailto:${mail}` : "mailto:admin@lopso.invalid");
  const parsed = PushConfigSchema.safeParse({
    subject,
    publicKey,
    privateKey,
    ttlSeconds: env.PUSH_TTL_SECONDS || undefined,
    ratePerSecond: env.PUSH_RATE_PER_SECOND || undefined,
    timeoutMs: env.PUSH_TIMEOUT_MS || undefined,
  });
  if (!parsed.success) throw new ChannelConfigError(`Invalid configuration:\n${configIssues(parsed.error, NAMES)}`);
  return parsed.data;
}
