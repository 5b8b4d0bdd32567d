/**
 * Web Push: one notification `{title, body, url}` to one browser subscription, encrypted
 * aes128gcm and signed with the hub's VAPID key (RFC 8030 / 8291 / 8292), through the `web-push`
 * package's request builder and an undici request with timeouts.
 */
import webpush from "web-push";
import { request, type Dispatcher } from "undici";
import type { Channel, OutgoingMessage, PushTarget, SendResult } from "../../ports.ts";
import { boundedAgent, isTransportError } from "../http.server.ts";
import type { PushConfig } from "./config.ts";
import { MAX_PUSH_PAYLOAD_OCTETS, pushDelivery, pushResultFromStatus, pushTopic } from "./errors.ts";

export { pushConfigFromEnv, type PushConfig } from "./config.ts";
export { pushResultFromStatus, pushTopic, pushDelivery } from "./errors.ts";

export type PushChannel = Channel & { readonly name: "push"; readonly ratePerSecond: number };

export type PushDeps = {
  /** Where requests go (tests: an Agent trusting the fake push service's certificate). */
  dispatcher?: Dispatcher;
  now?: () => Date;
};

/** The JSON the service worker reads from a push event. */
export type PushPayload = { title: string; body: string; url?: string };

function isPushTarget(to: OutgoingMessage["to"]): to is PushTarget {
  return typeof to === "object" && to !== null && typeof to.endpoint === "string" && typeof to.keys?.p256dh === "string" && typeof to.keys?.auth === "string";
}

export function createPushChannel(config: PushConfig, deps: PushDeps = {}): PushChannel {
  const own = deps.dispatcher ? undefined : boundedAgent(config.timeoutMs);
  const dispatcher = deps.dispatcher ?? own!;
  const now = deps.now ?? (() => new Date());

  async function send(message: OutgoingMessage, idempotencyKey: string): Promise<SendResult> {
    const target = message.to;
    if (!isPushTarget(target) || !/^https:\/\//.test(target.endpoint)) {
      return { outcome: "failed", reason: "invalid_address", message: "not a Web Push subscription with an https endpoint", disableAddress: true };
    }
    const payload: PushPayload = { title: message.subject, body: message.text, ...(message.link ? { url: message.link } : {}) };
    const json = JSON.stringify(payload);
    if (Buffer.byteLength(json, "utf8") > MAX_PUSH_PAYLOAD_OCTETS) {
      return { outcome: "failed", reason: "too_long", message: `push payload is ${Buffer.byteLength(json)} octets, at most ${MAX_PUSH_PAYLOAD_OCTETS}`, disableAddress: false };
    }
    const { urgency, ttl } = pushDelivery(idempotencyKey, config.ttlSeconds);
    let details: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      details = webpush.generateRequestDetails(target, json, {
        vapidDetails: { subject: config.subject, publicKey: config.publicKey, privateKey: config.privateKey },
        TTL: ttl,
        urgency,
        topic: pushTopic(idempotencyKey),
        contentEncoding: "aes128gcm",
      });
    } catch (e) {
      // web-push checks the subscription's keys (p256dh 65 octets, auth ≥ 16) before encrypting.
      return { outcome: "failed", reason: "invalid_address", message: `subscription keys refused: ${(e as Error).message}`, disableAddress: true };
    }
    try {
      const res = await request(details.endpoint, {
        method: "POST",
        headers: Object.fromEntries(Object.entries(details.headers).map(([k, v]) => [k, String(v)])),
        body: details.body ?? undefined,
        dispatcher,
        headersTimeout: config.timeoutMs,
        bodyTimeout: config.timeoutMs,
      });
      await res.body.text().catch(() => "");
      return pushResultFromStatus(res.statusCode, res.headers, now());
    } catch (e) {
      if (isTransportError(e)) return { outcome: "retry", reason: "transient" };
      throw e;
    }
  }

  return {
    name: "push",
    ratePerSecond: config.ratePerSecond,
    send,
    async close() {
      await own?.close();
    },
  };
}
export { pushConfigFromEnv as webpushConfigFromEnv } from "./config.ts";
