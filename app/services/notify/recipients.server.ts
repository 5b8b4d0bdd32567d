/**
 * Who hears about a fact, and on which outside channels — as SQL the fan-out and the digest run
 * set-based over a whole batch. Configuration (which channels the hub can send on, its public
 * origin, its Zalo templates) is passed in: see `notifyConfig`.
 */
import { channelEnv } from "../../env.server.ts";
import { configuredChannels } from "../notify-channels.server.ts";
import { sql, type SQL } from "drizzle-orm";
import type { ExternalChannel } from "../../../db/schema/index.ts";
import type { RenderConfig } from "./render.ts";

export type NotifyConfig = RenderConfig & {
  /** The outside channels the hub can send on at all (email: SMTP_URL is set; push: VAPID keys; …). */
  configured: ReadonlySet<ExternalChannel>;
};

/**
 * The notification configuration from the environment and the channels the integrator found
 * configured (`configured`; email is added when SMTP_URL is set). Zalo messages name the approved
 * templates "news" and "digest", whose ids the Zalo channel reads from ZALO_TEMPLATE_ID_*.
 */
export function notifyConfig(env: Record<string, string | undefined>, configured: ReadonlySet<ExternalChannel> = new Set()): NotifyConfig {
  const channels = new Set(configured);
  if (env.SMTP_URL) channels.add("email");
  return {
    configured: channels,
    baseUrl: (env.APP_URL ?? "http://localhost:3000").replace(/\/$/, ""),
  };
}

/**
 * What normalizePhone (app/lib/vn.ts) returns for a valid Vietnamese mobile number: a stored
 * phone that does not match was typed or imported wrong and gets no Zalo or SMS message.
 */
export const E164_VN = "^\\+84[35789][0-9]{8}$";

/**
 * Rows (user_id, channel, address, sub) of the outside channels each user of `users` (a SQL
 * expression yielding user ids) is reached on:
 * - a contact_channels row decides (enabled, or switched off with its reason);
 * - without one, `defaultChannels()` (app/lib/notify-defaults.ts): email when there is an
 *   address, else Zalo, else SMS, among the configured channels;
 * - push: one row per push subscription, unless push was switched off;
 * - an address that cannot be used (no email, an invalid phone) gives no row.
 */
export function channelsSql(users: SQL, configured: ReadonlySet<ExternalChannel>): SQL {
  const cfg = JSON.stringify([...configured].filter((c) => c !== "push"));
  const push = configured.has("push");
  const defaultChannel = sql`case
      when u.email is not null and 'email' = any(${sql.raw(arrayLiteral(configured))}) then 'email'
      when u.phone is not null and 'zalo' = any(${sql.raw(arrayLiteral(configured))}) then 'zalo'
      when u.phone is not null and 'sms' = any(${sql.raw(arrayLiteral(configured))}) then 'sms' end`;
  return sql`
    select u.id as user_id, ch.channel, case when ch.channel = 'email' then u.email else u.phone end as address, null::text as sub
    from users u
    cross join (select value as channel from jsonb_array_elements_text(${cfg}::jsonb)) ch
    left join contact_channels cc on cc.user_id = u.id and cc.channel = ch.channel
    where u.id in (${users}) and u.deactivated_at is null
      and (case when ch.channel = 'email' then u.email is not null else coalesce(u.phone ~ ${E164_VN}, false) end)
      and (cc.enabled is true or (cc.user_id is null and ch.channel = ${defaultChannel}))
    ${
      push
        ? sql`union all
    select ps.user_id, 'push', ps.id::text, ps.id::text
    from push_subscriptions ps
    join users u on u.id = ps.user_id and u.deactivated_at is null
    left join contact_channels cc on cc.user_id = ps.user_id and cc.channel = 'push'
    where ps.user_id in (${users}) and coalesce(cc.enabled, true)`
        : sql``
    }`;
}

/** A text[] literal of channel names (fixed words, safe to inline). */
function arrayLiteral(set: ReadonlySet<string>): string {
  const words = [...set].filter((c) => /^[a-z]+$/.test(c));
  return `array[${words.map((w) => `'${w}'`).join(",")}]::text[]`;
}

/**
 * Switch off Zalo and SMS with `invalid_address` for the users of `users` whose stored phone is not
 * a valid Vietnamese mobile number (the settings page shows why). Returns how many were switched off.
 */
export function invalidPhonesSql(users: SQL, configured: ReadonlySet<ExternalChannel>, at: Date): SQL | null {
  const phoneChannels = [...configured].filter((c) => c === "zalo" || c === "sms");
  if (!phoneChannels.length) return null;
  return sql`
    insert into contact_channels (user_id, channel, enabled, disabled_reason, disabled_at, updated_at)
    select u.id, ch.channel, false, 'invalid_address', ${at.toISOString()}::timestamptz, ${at.toISOString()}::timestamptz
    from users u
    cross join (select value as channel from jsonb_array_elements_text(${JSON.stringify(phoneChannels)}::jsonb)) ch
    where u.id in (${users}) and u.phone is not null and u.phone !~ ${E164_VN}
    on conflict (user_id, channel) do update
      set enabled = false, disabled_reason = excluded.disabled_reason, disabled_at = excluded.disabled_at, updated_at = excluded.updated_at
      where contact_channels.enabled`;
}

/** The configuration the jobs use: the hub's settings and the channels whose adapters are configured. */
export function hubNotifyConfig(): NotifyConfig {
  const env = channelEnv();
  return notifyConfig(env, configuredChannels(env));
}
