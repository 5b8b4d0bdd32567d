/**
 * SMS through a brandname gateway with eSMS's HTTP API (POST …/SendMultipleMessage_V4_post_json/,
 * ApiKey and SecretKey in the JSON body, the idempotency key as RequestId). The phone is checked
 * before anything is sent; the text is fitted to the gateway's encoding and parts (see text.ts).
 */
import { request, type Dispatcher } from "undici";
import { z } from "zod";
import type { Channel, OutgoingMessage, SendResult } from "../../ports.ts";
import { boundedAgent, isTransportError, providerRequestId, retryAfterDate } from "../http.server.ts";
import { nationalPhone } from "../phone.ts";
import type { SmsConfig } from "./config.ts";
import { smsOutcome } from "./errors.ts";
import { fitSms } from "./text.ts";

export { smsConfigFromEnv, type SmsConfig } from "./config.ts";
export { smsOutcome, parseSmsReport, type SmsReport } from "./errors.ts";
export { fitSms, smsLength, toGsm7 } from "./text.ts";

export type SmsChannel = Channel & { readonly name: "sms"; readonly ratePerSecond: number };

export type SmsDeps = { dispatcher?: Dispatcher; now?: () => Date };

/** The gateway's RequestId for an idempotency key (≤ 50 characters; a hash when the key is longer or punctuated). */
export const smsRequestId = (idempotencyKey: string) => providerRequestId(idempotencyKey, 50);

const Answer = z.object({ CodeResult: z.union([z.string(), z.number()]).transform(String), SMSID: z.string().optional(), ErrorMessage: z.string().optional() }).passthrough();

export function createSmsChannel(config: SmsConfig, deps: SmsDeps = {}): SmsChannel {
  const own = deps.dispatcher ? undefined : boundedAgent(config.timeoutMs);
  const dispatcher = deps.dispatcher ?? own!;
  const now = deps.now ?? (() => new Date());

  async function send(message: OutgoingMessage, idempotencyKey: string): Promise<SendResult> {
    const phone = typeof message.to === "string" ? nationalPhone(message.to) : null;
    if (!phone) return { outcome: "failed", reason: "invalid_address", message: "not a Vietnamese mobile number", disableAddress: true };
    const fitted = fitSms(message.text, message.link, { encoding: config.unicode ? "ucs2" : "gsm7", maxSegments: config.maxSegments, longText: config.longText });
    if (!fitted.ok) return { outcome: "failed", reason: "too_long", message: fitted.message, disableAddress: false };
    const body = {
      ApiKey: config.apiKey,
      SecretKey: config.secretKey,
      Phone: phone,
      Content: fitted.content,
      Brandname: config.brandname,
      SmsType: config.smsType,
      IsUnicode: config.unicode ? "1" : "0",
      Sandbox: config.sandbox ? "1" : "0",
      RequestId: smsRequestId(idempotencyKey),
      ...(config.callbackUrl ? { CallbackUrl: config.callbackUrl } : {}),
    };
    try {
      const res = await request(`${config.apiUrl}/SendMultipleMessage_V4_post_json/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        dispatcher,
        headersTimeout: config.timeoutMs,
        bodyTimeout: config.timeoutMs,
      });
      const text = await res.body.text();
      if (res.statusCode === 429) return { outcome: "retry", reason: "rate_limited", retryAt: retryAfterDate(res.headers["retry-after"], now()) ?? new Date(now().getTime() + 60_000) };
      if (res.statusCode >= 500) return { outcome: "retry", reason: "transient" };
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return res.statusCode >= 400 ? { outcome: "failed", reason: "rejected", message: `SMS gateway answered HTTP ${res.statusCode}`, disableAddress: false } : { outcome: "retry", reason: "transient" };
      }
      const answer = Answer.safeParse(json);
      if (!answer.success) return { outcome: "failed", reason: "rejected", message: `SMS gateway refused the request: ${text.slice(0, 200)}`, disableAddress: false };
      return smsOutcome(answer.data.CodeResult, answer.data, now());
    } catch (e) {
      if (isTransportError(e)) return { outcome: "retry", reason: "transient" };
      throw e;
    }
  }

  return {
    name: "sms",
    ratePerSecond: config.ratePerSecond,
    send,
    async close() {
      await own?.close();
    },
  };
}
