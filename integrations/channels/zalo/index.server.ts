/**
 * Zalo ZNS: an approved template with its parameters to a parent's phone, through the Official
 * Account's access token. Parameters are checked against the template's limits before sending;
 * an access token Zalo refuses is refreshed once and the message resent once.
 */
import { request, type Dispatcher } from "undici";
import { z } from "zod";
import type { Channel, OutgoingMessage, SendResult } from "../../ports.ts";
import { boundedAgent, isTransportError, providerRequestId } from "../http.server.ts";
import { zaloPhone } from "../phone.ts";
import type { ZaloConfig } from "./config.ts";
import { znsOutcome } from "./errors.ts";
import { checkTemplateParams, describeProblems } from "./templates.ts";
import { tokenManager, ZaloAuthError, ZaloTemporaryError, type TokenStore } from "./tokens.ts";

export { zaloConfigFromEnv, type ZaloConfig } from "./config.ts";
export { znsOutcome } from "./errors.ts";
export { ZNS_TEMPLATES, checkTemplateParams, type ZnsTemplateName } from "./templates.ts";
export { memoryTokenStore, type TokenStore, type ZaloTokens } from "./tokens.ts";
export { verifyZnsWebhook, parseZnsDelivery, type ZnsDelivery } from "./webhook.ts";

export type ZaloChannel = Channel & { readonly name: "zalo"; readonly ratePerSecond: number; readonly tokenRefreshes: number };

export type ZaloDeps = { tokens: TokenStore; dispatcher?: Dispatcher; now?: () => Date };

/**
 * Zalo's tracking_id for an idempotency key: the key when it is at most 48 letters, digits or
 * underscores, otherwise 40 hex digits of its SHA-256. The delivery webhook echoes it back.
 */
export const znsTrackingId = (idempotencyKey: string) => providerRequestId(idempotencyKey, 48);

const SendAnswer = z.object({
  error: z.number().int(),
  message: z.string().optional(),
  data: z.object({ msg_id: z.string() }).passthrough().optional(),
});

export function createZaloChannel(config: ZaloConfig, deps: ZaloDeps): ZaloChannel {
  const own = deps.dispatcher ? undefined : boundedAgent(config.timeoutMs);
  const dispatcher = deps.dispatcher ?? own!;
  const now = deps.now ?? (() => new Date());
  const tokens = tokenManager(deps.tokens, config.refreshToken, {
    appId: config.appId,
    appSecret: config.appSecret,
    oauthUrl: config.oauthUrl,
    timeoutMs: config.timeoutMs,
    dispatcher,
    now,
  });

  async function post(accessToken: string, body: unknown) {
    const res = await request(`${config.apiUrl}/message/template`, {
      method: "POST",
      headers: { "content-type": "application/json", access_token: accessToken },
      body: JSON.stringify(body),
      dispatcher,
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) return { status: res.statusCode } as const;
    try {
      const parsed = SendAnswer.safeParse(JSON.parse(text));
      return parsed.success ? ({ status: 200, answer: parsed.data } as const) : ({ status: 200, unreadable: text } as const);
    } catch {
      return { status: 200, unreadable: text } as const;
    }
  }

  async function send(message: OutgoingMessage, idempotencyKey: string): Promise<SendResult> {
    const phone = typeof message.to === "string" ? zaloPhone(message.to) : null;
    if (!phone) return { outcome: "failed", reason: "invalid_address", message: "not a Vietnamese mobile number", disableAddress: true };
    if (!message.template) return { outcome: "failed", reason: "rejected", message: "Zalo sends only approved templates: the message has none", disableAddress: false };
    // The template is named by Zalo's id or by our name ("news", "digest").
    const templateId = config.templates[message.template.id] ? message.template.id : config.templateIds[message.template.id];
    const spec = templateId ? config.templates[templateId] : undefined;
    if (!templateId || !spec) return { outcome: "failed", reason: "rejected", message: `template ${message.template.id} is not one of the configured ZALO_TEMPLATE_ID_*`, disableAddress: false };
    const { params, problems } = checkTemplateParams(spec, message.template.params);
    if (problems.length) {
      const reason = problems.some((p) => p.problem === "too_long") ? "too_long" : "rejected";
      return { outcome: "failed", reason, message: `template ${spec.name}: ${describeProblems(problems)}`, disableAddress: false };
    }
    const body = {
      phone,
      template_id: templateId,
      template_data: params,
      tracking_id: znsTrackingId(idempotencyKey),
      ...(config.development ? { mode: "development" } : {}),
    };
    try {
      let token = await tokens.accessToken();
      for (let attempt = 0; ; attempt++) {
        const got = await post(token, body);
        if (got.status === 429) return { outcome: "retry", reason: "rate_limited", retryAt: new Date(now().getTime() + 60_000) };
        if (got.status >= 500) return { outcome: "retry", reason: "transient" };
        if (got.status !== 200) return { outcome: "failed", reason: "rejected", message: `Zalo answered HTTP ${got.status}`, disableAddress: false };
        if (!("answer" in got) || !got.answer) return { outcome: "retry", reason: "transient" };
        const outcome = znsOutcome(got.answer.error, got.answer.message, now());
        if (outcome.outcome === "token") {
          if (attempt > 0) return { outcome: "retry", reason: "transient", retryAt: new Date(now().getTime() + 15 * 60_000) };
          token = await tokens.refreshAfterRefusal(token);
          continue;
        }
        if (outcome.outcome === "sent") return { outcome: "sent", providerMessageId: got.answer.data?.msg_id };
        return outcome;
      }
    } catch (e) {
      if (e instanceof ZaloAuthError) return { outcome: "retry", reason: "not_configured", retryAt: new Date(now().getTime() + 3600_000) };
      if (e instanceof ZaloTemporaryError || isTransportError(e)) return { outcome: "retry", reason: "transient" };
      throw e;
    }
  }

  return {
    name: "zalo",
    ratePerSecond: config.ratePerSecond,
    get tokenRefreshes() {
      return tokens.refreshes;
    },
    send,
    async close() {
      await own?.close();
    },
  };
}
