/**
 * A local Zalo: the OAuth v4 token endpoint for an Official Account and the ZNS template-message
 * endpoint, following the documented contract (messaging contract §1). Refresh tokens are single-use
 * and rotate (a used or unknown one gets error -14014); access tokens are accepted only in the
 * `access_token` header, last `expires_in` = "90000" seconds and can be expired on demand (-124);
 * sends check the phone (84 + 9 digits, -108), the template id (-109), its parameters (-132 missing,
 * -1121 over the limit) and return msg_id with the quota. A phone can be told to get a given error
 * code. Zalo's docs say nothing of deduplicating by tracking_id, so the fake records every send.
 * `webhookFor()` builds the signed `user_received_message` call Zalo would make.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export type FakeTemplate = { params: Record<string, { max: number; required?: boolean }> };

export type ZnsReceived = { msgId: string; phone: string; templateId: string; params: Record<string, string>; trackingId: string | undefined; mode?: string; accessToken: string; at: Date };

export type ZaloFake = {
  url: string;
  appId: string;
  appSecret: string;
  /** The refresh token the next refresh must present (rotates on every refresh). */
  readonly currentRefreshToken: string;
  /** The refresh token to configure at start (ZALO_OA_REFRESH_TOKEN). */
  initialRefreshToken: string;
  messages: ZnsReceived[];
  /** Every refresh request: which token it presented and whether it was accepted. */
  refreshes: { refreshToken: string; accepted: boolean }[];
  /** Answer sends to this phone (84… form) with an error code. */
  failPhone(phone: string, code: number, message?: string): void;
  /** Make the access tokens issued so far invalid (as after 25 hours). */
  expireAccessTokens(): void;
  /** Hold the answers to sends for this long (a slow or hanging Zalo). */
  delaySends(ms: number): void;
  /** Answer sends with this HTTP status instead (an outage). */
  failHttp(status: number | null): void;
  /** The body and headers of Zalo's delivery call for a message received here. */
  webhookFor(msgId: string, opts?: { secret?: string; deliveredAt?: Date }): { rawBody: string; headers: Record<string, string> };
  close(): Promise<void>;
};

const ERROR_TEXT: Record<number, string> = {
  [-108]: "Phone number invalid",
  [-109]: "Template ID invalid",
  [-112]: "Template data invalid",
  [-114]: "User is inactive, or reject the message, or using an outdated Zalo version, or other internal errors",
  [-118]: "Zalo account not existed",
  [-124]: "Access token invalid",
  [-132]: "Parameter invalid",
  [-1121]: "Parameter data exceeds max length",
};

export async function startZaloFake(opts: { templates?: Record<string, FakeTemplate>; appId?: string; appSecret?: string; webhookSecret?: string } = {}): Promise<ZaloFake> {
  const appId = opts.appId ?? "2074138120372622546";
  const appSecret = opts.appSecret ?? "fake-app-secret-0001";
  const webhookSecret = opts.webhookSecret ?? appSecret;
  const templates = opts.templates ?? {};
  const token = () => crypto.randomBytes(24).toString("base64url");
  const initialRefreshToken = token();
  let currentRefreshToken = initialRefreshToken;
  const validAccess = new Set<string>();
  const phoneErrors = new Map<string, { code: number; message?: string }>();
  const messages: ZnsReceived[] = [];
  const refreshes: ZaloFake["refreshes"] = [];
  let delayMs = 0;
  let httpStatus: number | null = null;
  const pending = new Set<http.ServerResponse>();
  let quota = 5000;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      const path = (req.url ?? "").split("?")[0];
      if (req.method === "POST" && path === "/v4/oa/access_token") {
        if (req.headers["secret_key"] !== appSecret) return json(200, { error: -14002, error_name: "Invalid app secret", error_description: "secret_key header is wrong" });
        const form = new URLSearchParams(body);
        if (form.get("app_id") !== appId) return json(200, { error: -14001, error_name: "Invalid app id" });
        if (form.get("grant_type") !== "refresh_token") return json(200, { error: -14003, error_name: "Unsupported grant type" });
        const presented = form.get("refresh_token") ?? "";
        const accepted = presented === currentRefreshToken;
        refreshes.push({ refreshToken: presented, accepted });
        if (!accepted) return json(200, { error: -14014, error_name: "Invalid refresh token.", error_reason: "Refresh token is invalid or has been used", error_description: "" });
        const access = token();
        currentRefreshToken = token();
        validAccess.add(access);
        return json(200, { access_token: access, refresh_token: currentRefreshToken, expires_in: "90000" });
      }
      if (req.method === "POST" && path === "/message/template") {
        const answer = (value: unknown) => {
          if (httpStatus) {
            res.writeHead(httpStatus, { "content-type": "text/html" });
            res.end("<html>error</html>");
            return;
          }
          if (!delayMs) return json(200, value);
          pending.add(res);
          const t = setTimeout(() => {
            pending.delete(res);
            if (!res.destroyed) json(200, value);
          }, delayMs);
          res.on("close", () => {
            clearTimeout(t);
            pending.delete(res);
          });
        };
        const fail = (code: number, message = ERROR_TEXT[code] ?? "Error") => answer({ error: code, message });
        const accessToken = req.headers["access_token"];
        if (typeof accessToken !== "string" || !validAccess.has(accessToken)) return fail(-124);
        if (req.headers["content-type"]?.split(";")[0] !== "application/json") return fail(-112, "Content-Type must be application/json");
        let msg: { phone?: unknown; template_id?: unknown; template_data?: unknown; tracking_id?: unknown; mode?: unknown };
        try {
          msg = JSON.parse(body);
        } catch {
          return fail(-112, "Body is not JSON");
        }
        const phone = typeof msg.phone === "string" ? msg.phone : "";
        if (!/^84[35789]\d{8}$/.test(phone)) return fail(-108);
        const templateId = String(msg.template_id ?? "");
        const template = templates[templateId];
        if (!template) return fail(-109);
        const data = msg.template_data;
        if (!data || typeof data !== "object" || Object.values(data).some((v) => typeof v !== "string")) return fail(-112);
        const params = data as Record<string, string>;
        for (const [name, rule] of Object.entries(template.params)) {
          const value = params[name];
          if (value === undefined || value === "") {
            if (rule.required !== false) return fail(-132, `Parameter ${name} is missing`);
            continue;
          }
          if ([...value.normalize("NFC")].length > rule.max) return fail(-1121);
        }
        const tracking = msg.tracking_id;
        if (tracking !== undefined && (typeof tracking !== "string" || tracking.length > 48 || !/^[A-Za-z0-9_-]*$/.test(tracking))) return fail(-112, "tracking_id invalid");
        const forced = phoneErrors.get(phone);
        if (forced) return fail(forced.code, forced.message);
        const msgId = crypto.randomBytes(10).toString("hex");
        quota--;
        messages.push({ msgId, phone, templateId, params, trackingId: tracking as string | undefined, mode: msg.mode as string | undefined, accessToken, at: new Date() });
        return answer({
          error: 0,
          message: "Success",
          data: { msg_id: msgId, sent_time: String(Date.now()), sending_mode: "1", quota: { dailyQuota: "5000", remainingQuota: String(quota) } },
        });
      }
      json(404, { error: -106, message: "Method unsupported" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    appId,
    appSecret,
    get currentRefreshToken() {
      return currentRefreshToken;
    },
    initialRefreshToken,
    messages,
    refreshes,
    failPhone(phone, code, message) {
      phoneErrors.set(phone, { code, message });
    },
    expireAccessTokens() {
      validAccess.clear();
    },
    delaySends(ms) {
      delayMs = ms;
    },
    failHttp(status) {
      httpStatus = status;
    },
    webhookFor(msgId, o = {}) {
      const m = messages.find((x) => x.msgId === msgId);
      if (!m) throw new Error(`no message ${msgId}`);
      const timestamp = String(Date.now());
      const rawBody = JSON.stringify({
        sender: { id: "2893352839501541173" },
        recipient: { id: m.phone },
        event_name: "user_received_message",
        message: { delivery_time: String((o.deliveredAt ?? new Date()).getTime()), msg_id: m.msgId, tracking_id: m.trackingId ?? "" },
        app_id: appId,
        timestamp,
      });
      const mac = crypto.createHash("sha256").update(appId + rawBody + timestamp + (o.secret ?? webhookSecret)).digest("hex");
      return { rawBody, headers: { "content-type": "application/json", "x-zevent-signature": `mac=${mac}`, "x-zevent-server": "ZNS" } };
    },
    async close() {
      for (const res of pending) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
