/** Zalo ZNS settings: the Zalo app linked to the school's Official Account, and its templates. */
import { z } from "zod";
import { ChannelConfigError, configIssues } from "../settings-error.ts";
import { ZNS_TEMPLATES, type TemplateSpec, type ZnsTemplateName } from "./templates.ts";

const httpUrl = z.url({ message: "must be an http(s) URL" }).transform((v) => v.replace(/\/+$/, ""));

export const ZaloConfigSchema = z.object({
  appId: z.string().trim().regex(/^\d+$/, "must be the Zalo app id (digits)"),
  appSecret: z.string().trim().min(8, "must be the Zalo app's secret key"),
  /** The first refresh token (from the OA's consent); later ones are kept in the token store. */
  refreshToken: z.string().trim().min(8, "must be a refresh token from the Official Account's consent"),
  /** The key that signs delivery webhooks (X-ZEvent-Signature); defaults to the app secret. */
  webhookSecret: z.string().trim().min(8),
  apiUrl: httpUrl.default("https://business.openapi.zalo.me"),
  oauthUrl: httpUrl.default("https://oauth.zaloapp.com"),
  /** Template id issued by Zalo → our template and its parameter limits. */
  templates: z.record(z.string(), z.object({ name: z.string(), params: z.record(z.string(), z.object({ max: z.number().int().positive(), required: z.boolean() })) })),
  /** Template ids by our names, for the fan-out to render `content.template`. */
  templateIds: z.record(z.string(), z.string()),
  ratePerSecond: z.coerce.number().positive().max(1000).default(10),
  timeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** "development": test sends that only reach the app's and OA's admins. */
  development: z.boolean().default(false),
});

export type ZaloConfig = z.infer<typeof ZaloConfigSchema>;

const NAMES: Record<string, string> = {
  appId: "ZALO_APP_ID",
  appSecret: "ZALO_APP_SECRET",
  refreshToken: "ZALO_OA_REFRESH_TOKEN",
  webhookSecret: "ZALO_WEBHOOK_SECRET",
  apiUrl: "ZALO_API_URL",
  oauthUrl: "ZALO_OAUTH_URL",
  templates: "ZALO_TEMPLATE_ID_*",
  templateIds: "ZALO_TEMPLATE_ID_*",
  ratePerSecond: "ZALO_RATE_PER_SECOND",
  timeoutMs: "ZALO_TIMEOUT_MS",
};

/**
 * The Zalo configuration, or null when ZALO_APP_ID is unset (the settings page then says Zalo is
 * not configured). Throws ChannelConfigError naming the variable when a value is wrong.
 */
export function zaloConfigFromEnv(env: Record<string, string | undefined>): ZaloConfig | null {
  if (!env.ZALO_APP_ID?.trim()) return null;
  const templates: ZaloConfig["templates"] = {};
  const templateIds: Record<string, string> = {};
  for (const name of Object.keys(ZNS_TEMPLATES) as ZnsTemplateName[]) {
    const id = env[`ZALO_TEMPLATE_ID_${name.toUpperCase()}`]?.trim();
    if (!id) continue;
    if (!/^[A-Za-z0-9]{1,64}$/.test(id)) throw new ChannelConfigError(`Invalid configuration:\n  ZALO_TEMPLATE_ID_${name.toUpperCase()}: must be the template id Zalo issued`);
    const spec: TemplateSpec = ZNS_TEMPLATES[name];
    templates[id] = { name, params: { ...spec.params } };
    templateIds[name] = id;
  }
  const parsed = ZaloConfigSchema.safeParse({
    appId: env.ZALO_APP_ID,
    appSecret: env.ZALO_APP_SECRET ?? "",
    refreshToken: env.ZALO_OA_REFRESH_TOKEN ?? "",
    webhookSecret: env.ZALO_WEBHOOK_SECRET || env.ZALO_APP_SECRET || "",
    apiUrl: env.ZALO_API_URL || undefined,
    oauthUrl: env.ZALO_OAUTH_URL || undefined,
    templates,
    templateIds,
    ratePerSecond: env.ZALO_RATE_PER_SECOND || undefined,
    timeoutMs: env.ZALO_TIMEOUT_MS || undefined,
    development: env.ZALO_MODE === "development",
  });
  if (!parsed.success) throw new ChannelConfigError(`Invalid configuration:\n${configIssues(parsed.error, NAMES)}`);
  if (Object.keys(templateIds).length === 0) throw new ChannelConfigError("Invalid configuration:\n  ZALO_TEMPLATE_ID_NEWS: at least one approved template id is needed (ZALO_TEMPLATE_ID_NEWS, ZALO_TEMPLATE_ID_DIGEST)");
  return parsed.data;
}
