/**
 * Which outside channels the hub can send on, and the Web Push public key the browser subscribes
 * with. Each channel's adapter owns its settings (`<name>ConfigFromEnv(env)` in
 * integrations/channels/<name>/config.ts, null when not configured); this module is the one place
 * the settings page asks, so it follows those functions once they exist.
 */
import type { ExternalChannel } from "../../db/schema/index.ts";

type Source = Record<string, string | undefined>;

const set = (v: string | undefined) => typeof v === "string" && v.trim() !== "";

/** The channels the hub is configured to send on (the in-app inbox always works). */
export function configuredChannels(source: Source = process.env): Set<ExternalChannel> {
  const out = new Set<ExternalChannel>();
  if (set(source.SMTP_URL) && set(source.MAIL_FROM)) out.add("email");
  if (vapidPublicKey(source)) out.add("push");
  if (set(source.ZALO_APP_ID) && set(source.ZALO_SECRET_KEY)) out.add("zalo");
  if (set(source.SMS_URL) || set(source.SMS_API_KEY)) out.add("sms");
  return out;
}

/**
 * The VAPID public key (base64url, an uncompressed P-256 point: 65 bytes starting 0x04) the
 * browser passes as `applicationServerKey`, or null when Web Push is not configured.
 */
export function vapidPublicKey(source: Source = process.env): string | null {
  const key = source.VAPID_PUBLIC_KEY?.trim();
  if (!key || !/^[A-Za-z0-9_-]+$/.test(key)) return null;
  const bytes = Buffer.from(key, "base64url");
  return bytes.length === 65 && bytes[0] === 0x04 ? key : null;
}
