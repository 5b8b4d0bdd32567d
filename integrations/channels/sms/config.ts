/** SMS brandname gateway settings (eSMS-style HTTP API: keys in the JSON body, CodeResult answers). */
import { z } from "zod";
import { ChannelConfigError, configIssues } from "../settings-error.ts";

const boolish = z.enum(["1", "0", "true", "false", "yes", "no", "on", "off"]).transform((v) => ["1", "true", "yes", "on"].includes(v));

export const SmsConfigSchema = z.object({
  apiUrl: z.url({ message: "must be an http(s) URL" }).transform((v) => v.replace(/\/+$/, "")),
  apiKey: z.string().trim().min(1, "is required"),
  secretKey: z.string().trim().min(1, "is required with SMS_API_KEY"),
  /** The registered sender name (tên định danh): ≤ 11 letters, digits, '-', '_', '.', spaces, with a letter. */
  brandname: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._ -]{1,11}$/, "must be at most 11 letters, digits, '-', '_', '.' or spaces")
    .refine((v) => /[A-Za-z]/.test(v), "must contain a letter"),
  /** eSMS SmsType: "2" customer care (CSKH), the kind for notifications. */
  smsType: z.enum(["1", "2", "8"]).default("2"),
  /** Send Unicode (UCS-2, Vietnamese with its diacritics) instead of GSM-7 without diacritics. */
  unicode: boolish.default(false),
  maxSegments: z.coerce.number().int().min(1).max(10).default(2),
  longText: z.enum(["truncate", "refuse"]).default("truncate"),
  /** The gateway validates only (nothing delivered, nothing charged). */
  sandbox: boolish.default(false),
  callbackUrl: z.url().optional(),
  ratePerSecond: z.coerce.number().positive().max(1000).default(5),
  timeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
});

export type SmsConfig = z.infer<typeof SmsConfigSchema>;

const NAMES: Record<string, string> = {
  apiUrl: "SMS_API_URL",
  apiKey: "SMS_API_KEY",
  secretKey: "SMS_SECRET_KEY",
  brandname: "SMS_BRANDNAME",
  smsType: "SMS_TYPE",
  unicode: "SMS_UNICODE",
  maxSegments: "SMS_MAX_SEGMENTS",
  longText: "SMS_LONG_TEXT",
  sandbox: "SMS_SANDBOX",
  callbackUrl: "SMS_CALLBACK_URL",
  ratePerSecond: "SMS_RATE_PER_SECOND",
  timeoutMs: "SMS_TIMEOUT_MS",
};

/** The SMS configuration, or null when SMS_API_KEY is unset. Throws ChannelConfigError naming a wrong variable. */
export function smsConfigFromEnv(env: Record<string, string | undefined>): SmsConfig | null {
  if (!env.SMS_API_KEY?.trim()) return null;
  const opt = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);
  const parsed = SmsConfigSchema.safeParse({
    apiUrl: opt(env.SMS_API_URL) ?? "https://rest.esms.vn/MainService.svc/json",
    apiKey: env.SMS_API_KEY,
    secretKey: env.SMS_SECRET_KEY ?? "",
    brandname: env.SMS_BRANDNAME ?? "",
    smsType: opt(env.SMS_TYPE),
    unicode: opt(env.SMS_UNICODE),
    maxSegments: opt(env.SMS_MAX_SEGMENTS),
    longText: opt(env.SMS_LONG_TEXT),
    sandbox: opt(env.SMS_SANDBOX),
    callbackUrl: opt(env.SMS_CALLBACK_URL),
    ratePerSecond: opt(env.SMS_RATE_PER_SECOND),
    timeoutMs: opt(env.SMS_TIMEOUT_MS),
  });
  if (!parsed.success) throw new ChannelConfigError(`Invalid configuration:\n${configIssues(parsed.error, NAMES)}`);
  return parsed.data;
}
