/**
 * A local brandname SMS gateway with eSMS's API (messaging contract §3.1): POST
 * /SendMultipleMessage_V4_post_json/ with ApiKey, SecretKey, Phone, Content, Brandname, SmsType,
 * IsUnicode, Sandbox, RequestId as strings; answers CodeResult 100 with an SMSID, 101 for wrong
 * keys, 104 for an unregistered brandname, 108 for a bad phone, 118 for another SmsType, 124 for a
 * RequestId seen in the last 24 hours. Sandbox requests are checked but not kept. A phone can be
 * told to get a given code; the gateway can be slowed down or made to fail with an HTTP status.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export type SmsReceived = { smsId: string; phone: string; content: string; brandname: string; smsType: string; unicode: boolean; requestId: string | undefined; at: Date };

export type SmsFake = {
  url: string;
  apiKey: string;
  secretKey: string;
  brandname: string;
  messages: SmsReceived[];
  /** Every request's CodeResult, in order. */
  answers: string[];
  failPhone(phone: string, code: string, errorMessage?: string): void;
  delay(ms: number): void;
  failHttp(status: number | null, headers?: Record<string, string>): void;
  close(): Promise<void>;
};

export async function startSmsFake(opts: { apiKey?: string; secretKey?: string; brandname?: string } = {}): Promise<SmsFake> {
  const apiKey = opts.apiKey ?? "FAKEAPIKEY0001";
  const secretKey = opts.secretKey ?? "FAKESECRET0001";
  const brandname = opts.brandname ?? "LOPSO";
  const messages: SmsReceived[] = [];
  const answers: string[] = [];
  const requestIds = new Map<string, number>();
  const phoneCodes = new Map<string, { code: string; errorMessage?: string }>();
  let delayMs = 0;
  let httpFail: { status: number; headers: Record<string, string> } | null = null;
  const pending = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const reply = (value: Record<string, unknown>) => {
        const out = () => {
          if (res.destroyed) return;
          if (typeof value.CodeResult === "string") answers.push(value.CodeResult);
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify(value));
        };
        if (!delayMs) return out();
        pending.add(res);
        const t = setTimeout(() => {
          pending.delete(res);
          out();
        }, delayMs);
        res.on("close", () => clearTimeout(t));
      };
      if (req.method !== "POST" || req.url !== "/SendMultipleMessage_V4_post_json/") {
        res.writeHead(404);
        return res.end();
      }
      if (httpFail) {
        res.writeHead(httpFail.status, { "content-type": "text/plain", ...httpFail.headers });
        return res.end("error");
      }
      let b: Record<string, unknown>;
      try {
        b = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return reply({ error: "Invalid request" });
      }
      const str = (k: string) => (typeof b[k] === "string" ? (b[k] as string) : undefined);
      const fail = (code: string, ErrorMessage: string, extra: Record<string, unknown> = {}) => reply({ CodeResult: code, CountRegenerate: 0, ErrorMessage, ...extra });
      if (str("ApiKey") !== apiKey || str("SecretKey") !== secretKey) return fail("101", "Authorize Failed");
      if (str("Brandname") !== brandname) return fail("104", "Brand name code is not exist");
      if (!str("SmsType")) return fail("300", "Missing SmsType");
      if (str("SmsType") !== "2") return fail("118", "Message type is not supported");
      const phone = str("Phone") ?? "";
      if (!/^(0|84)(3\d|5[25689]|7[06-9]|8[1-9]|9\d)\d{7}$/.test(phone)) return fail("108", "Phone number is invalid");
      const content = str("Content") ?? "";
      if (!content) return fail("118", "Content is empty");
      const requestId = str("RequestId");
      if (requestId !== undefined && requestId.length > 50) return fail("118", "RequestId is longer than 50 characters");
      const forced = phoneCodes.get(phone);
      if (forced) return fail(forced.code, forced.errorMessage ?? "Error");
      const nowMs = Date.now();
      if (requestId) {
        const seen = requestIds.get(requestId);
        if (seen !== undefined && nowMs - seen < 24 * 3600_000) return fail("124", "Request exist 1", { SendStatus: "5" });
      }
      const smsId = crypto.randomBytes(16).toString("hex");
      if (str("Sandbox") !== "1") {
        if (requestId) requestIds.set(requestId, nowMs);
        messages.push({ smsId, phone, content, brandname: str("Brandname")!, smsType: str("SmsType")!, unicode: str("IsUnicode") === "1", requestId, at: new Date(nowMs) });
      }
      reply({ CodeResult: "100", CountRegenerate: 0, SMSID: smsId });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    apiKey,
    secretKey,
    brandname,
    messages,
    answers,
    failPhone(phone, code, errorMessage) {
      phoneCodes.set(phone, { code, errorMessage });
    },
    delay(ms) {
      delayMs = ms;
    },
    failHttp(status, headers = {}) {
      httpFail = status ? { status, headers } : null;
    },
    async close() {
      for (const r of pending) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
