/**
 * Which outside channels the hub can send on, and the Web Push public key the browser subscribes
 * with. Each channel's adapter owns its settings (`<name>ConfigFromEnv(env)` in
 * integrations/channels/<name>/config.ts, null when not configured); this module asks them, for
 * the settings page, the fan-out and the delivery alike.
 */
import type { ExternalChannel } from "../../db/schema/index.ts";
import { channelEnv, vapidPublicKey as hubVapidPublicKey } from "../env.server.ts";
import { pushConfigFromEnv } from "../../integrations/channels/webpush/config.ts";
import { zaloConfigFromEnv } from "../../integrations/channels/zalo/config.ts";
import { smsConfigFromEnv } from "../../integrations/channels/sms/config.ts";
import { errorFields, logger } from "../server/log.ts";

type Source = Record<string, string | undefined>;

const warned = new Set<string>();

/** A channel's settings, or null when they are absent — or wrong (said once in the log, and at start-up). */
function configured<T>(name: ExternalChannel, read: () => T | null): T | null {
  try {
    return read();
  } catch (e) {
    if (!warned.has(name)) {
      warned.add(name);
      logger.error("channel not configured: invalid settings", { channel: name, ...errorFields(e) });
    }
    return null;
  }
}

/** The channels the hub is configured to send on (the in-app inbox always works). */
export function configuredChannels(source?: Source): Set<ExternalChannel> {
  const env = source ?? channelEnv();
  const out = new Set<ExternalChannel>();
  if (env.SMTP_URL?.trim() && env.MAIL_FROM?.trim()) out.add("email");
  if (configured("push", () => pushConfigFromEnv(env))) out.add("push");
  if (configured("zalo", () => zaloConfigFromEnv(env))) out.add("zalo");
  if (configured("sms", () => smsConfigFromEnv(env))) out.add("sms");
  return out;
}

/**
 * The VAPID public key (base64url, an uncompressed P-256 point: 65 bytes starting 0x04) the
 * browser passes as `applicationServerKey`: the configured one, or the pair generated into
 * DATA_DIR on first start. With `source`, read from it instead (tests).
 */
export function vapidPublicKey(source?: Source): string | null {
  const key = (source ? source.VAPID_PUBLIC_KEY : hubVapidPublicKey())?.trim();
  if (!key || !/^[A-Za-z0-9_-]+$/.test(key)) return null;
  const bytes = Buffer.from(key, "base64url");
  return bytes.length === 65 && bytes[0] === 0x04 ? key : null;
}
