/**
 * A local push service (RFC 8030) over HTTPS, as the browsers' push services behave: it accepts
 * POSTs to subscription endpoints, checks the request (TTL, Urgency, Topic, aes128gcm, VAPID), and
 * decrypts each message with the subscription's own private key, keeping what it read for tests.
 * Per endpoint it can be told to answer 404, 410, 413, 429 (with Retry-After), 500, or to hang.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Agent } from "undici";
import { decryptAes128gcm, DecryptError, newUaKeys, verifyVapid, VapidError, type UaKeys, type VapidClaims } from "./crypto.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
/**
 * Self-signed certificate for localhost / 127.0.0.1, for tests only. In-process tests give the
 * channel `fake.dispatcher()`; a hub started as a child process trusts it with
 * NODE_EXTRA_CA_CERTS=FAKE_PUSH_CA_FILE.
 */
export const FAKE_PUSH_CA_FILE = path.join(here, "localhost.cert.pem");
export const FAKE_PUSH_CA = fs.readFileSync(FAKE_PUSH_CA_FILE, "utf8");
const KEY = fs.readFileSync(path.join(here, "localhost.key.pem"), "utf8");

export type FakeSubscription = { endpoint: string; keys: { p256dh: string; auth: string } };

export type PushReceived = {
  subscriptionId: string;
  endpoint: string;
  /** The decrypted payload as text, and parsed when it is JSON. */
  text: string;
  json: unknown;
  ttl: number;
  urgency: string;
  topic: string | undefined;
  vapid: { claims: VapidClaims; key: string };
  receivedAt: Date;
};

export type PushAnswer = { status: number; retryAfter?: string; times?: number } | { hang: true; times?: number };

export type PushFake = {
  url: string;
  /** A new browser subscription on this service (its key pair is kept to decrypt). */
  subscribe(opts?: { vapidKey?: string }): FakeSubscription;
  /** Decrypted messages, in the order received. */
  received: PushReceived[];
  /** Requests refused, with the status given and why. */
  refused: { endpoint: string; status: number; reason: string }[];
  messagesFor(sub: FakeSubscription): PushReceived[];
  /** Answer this endpoint's next requests (all of them unless `times`) with a status, or not at all. */
  answer(sub: FakeSubscription, answer: PushAnswer): void;
  /** Forget a subscription: later pushes to it get 410 Gone, as after the browser unsubscribed. */
  unsubscribe(sub: FakeSubscription): void;
  /** An undici dispatcher trusting this service's certificate. */
  dispatcher(opts?: { timeoutMs?: number }): Agent;
  setNow(now: () => Date): void;
  close(): Promise<void>;
};

const URGENCIES = new Set(["very-low", "low", "normal", "high"]);

export async function startWebPushFake(): Promise<PushFake> {
  const subs = new Map<string, { keys: UaKeys; vapidKey?: string; gone: boolean }>();
  const answers = new Map<string, PushAnswer[]>();
  const received: PushReceived[] = [];
  const refused: PushFake["refused"] = [];
  const hanging = new Set<import("node:http").ServerResponse>();
  let now = () => new Date();

  const server = https.createServer({ key: KEY, cert: FAKE_PUSH_CA }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const m = /^\/push\/([A-Za-z0-9_-]+)$/.exec(req.url ?? "");
      const refuse = (status: number, reason: string, headers: Record<string, string> = {}) => {
        refused.push({ endpoint: req.url ?? "", status, reason });
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify({ code: status, errno: 999, error: reason, message: reason }));
      };
      if (req.method !== "POST" || !m) return refuse(404, "no such push resource");
      const id = m[1];
      const sub = subs.get(id);
      if (!sub) return refuse(404, "unknown subscription");
      const queue = answers.get(id);
      if (queue?.length) {
        const next = queue[0];
        if (next.times !== undefined && --next.times <= 0) queue.shift();
        if ("hang" in next) {
          hanging.add(res);
          res.on("close", () => hanging.delete(res));
          return;
        }
        return refuse(next.status, `told to answer ${next.status}`, next.retryAfter ? { "retry-after": next.retryAfter } : {});
      }
      if (sub.gone) return refuse(410, "subscription expired or unsubscribed");
      // RFC 8030 §5.2: TTL is required, a non-negative integer.
      const ttlHeader = req.headers.ttl;
      if (typeof ttlHeader !== "string" || !/^\d+$/.test(ttlHeader)) return refuse(400, "TTL header missing or not a non-negative integer");
      const urgency = req.headers.urgency ?? "normal";
      if (typeof urgency !== "string" || !URGENCIES.has(urgency)) return refuse(400, "Urgency is not one of very-low, low, normal, high");
      const topic = req.headers.topic;
      if (topic !== undefined && (typeof topic !== "string" || !/^[A-Za-z0-9_-]{1,32}$/.test(topic))) return refuse(400, "Topic must be at most 32 URL-safe base64 characters");
      let vapid: { claims: VapidClaims; key: string };
      try {
        vapid = verifyVapid(req.headers.authorization, { audience: `https://${req.headers.host}`, now: now() });
      } catch (e) {
        if (e instanceof VapidError) return refuse(e.status, e.message);
        throw e;
      }
      if (sub.vapidKey && sub.vapidKey !== vapid.key) return refuse(403, "subscription was created for another application server key");
      if (body.length > 4096) return refuse(413, "payload larger than 4096 octets");
      if (req.headers["content-encoding"] !== "aes128gcm") return refuse(400, "Content-Encoding must be aes128gcm");
      let text: string;
      try {
        const out = decryptAes128gcm(body, sub.keys);
        if (out.keyid.toString("base64url") === vapid.key) return refuse(400, "the message's keyid is the VAPID key");
        text = out.plaintext.toString("utf8");
      } catch (e) {
        if (e instanceof DecryptError) return refuse(400, e.message);
        throw e;
      }
      let json: unknown = undefined;
      try {
        json = JSON.parse(text);
      } catch {
        /* not JSON: kept as text */
      }
      const messageId = crypto.randomBytes(12).toString("base64url");
      received.push({ subscriptionId: id, endpoint: `${url}/push/${id}`, text, json, ttl: Number(ttlHeader), urgency, topic, vapid, receivedAt: now() });
      res.writeHead(201, { location: `${url}/message/${messageId}`, ttl: ttlHeader });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://localhost:${(server.address() as AddressInfo).port}`;
  const idOf = (sub: FakeSubscription) => sub.endpoint.slice(sub.endpoint.lastIndexOf("/") + 1);
  const dispatchers: Agent[] = [];

  return {
    url,
    received,
    refused,
    subscribe(opts = {}) {
      const id = crypto.randomBytes(16).toString("base64url");
      const keys = newUaKeys();
      subs.set(id, { keys, vapidKey: opts.vapidKey, gone: false });
      return { endpoint: `${url}/push/${id}`, keys: { p256dh: keys.publicKey.toString("base64url"), auth: keys.authSecret.toString("base64url") } };
    },
    messagesFor: (sub) => received.filter((r) => r.subscriptionId === idOf(sub)),
    answer(sub, answer) {
      const id = idOf(sub);
      answers.set(id, [...(answers.get(id) ?? []), answer]);
    },
    unsubscribe(sub) {
      const s = subs.get(idOf(sub));
      if (s) s.gone = true;
    },
    dispatcher(opts = {}) {
      const t = opts.timeoutMs ?? 10_000;
      const agent = new Agent({ connect: { ca: FAKE_PUSH_CA, timeout: t }, headersTimeout: t, bodyTimeout: t });
      dispatchers.push(agent);
      return agent;
    },
    setNow(fn) {
      now = fn;
    },
    async close() {
      for (const res of hanging) res.destroy();
      await Promise.all(dispatchers.map((d) => d.close().catch(() => {})));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
