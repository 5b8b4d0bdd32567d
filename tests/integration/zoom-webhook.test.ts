/**
 * Zoom's webhook at a connection's own address, through the production build: the URL
 * validation answered with the connection's secret token, a signed event stored once however
 * often Zoom redelivers it, and every refusal (bad or missing signature, a stale timestamp, another
 * connection's secret, an unknown id, another Zoom account, an oversize or malformed body)
 * storing nothing.
 */
import crypto from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connections, providerEvents, users } from "../../db/schema/index.ts";
import { deriveKey, sealSecrets } from "../../app/services/connections/secrets.server.ts";
import { upsertSchoolApp } from "../../app/services/connections/store.server.ts";
import { upsertZoomConnection, zoomWebhookUrl } from "../../app/services/connections/zoom.server.ts";
import { env } from "../../app/env.server.ts";
import { demoLookup } from "../support/demo.ts";
import { startHub, type Hub } from "../support/hub.ts";

let hub: Hub;
const CLI = { actorId: null, address: "cli" };
const NGUYEN_DU = { account: "VjZoEArIT5y-HlWxkV-tVA", secret: "nguyendu-webhook-secret-token-1" };
const KIM_DONG = { account: "KimDongZoomAcct-000001", secret: "kimdong-webhook-secret-token-2" };
let nguyenDu: string;
let kimDong: string;
let microsoft: string;
let noSecret: string;

beforeAll(async () => {
  hub = await startHub();
  const db = hub.database.db;
  nguyenDu = (await upsertZoomConnection(db, { schoolCode: "79001", accountId: NGUYEN_DU.account, clientId: "zoom-client-nd", clientSecret: "cs-nd", webhookSecret: NGUYEN_DU.secret }, CLI)).id;
  kimDong = (await upsertZoomConnection(db, { schoolCode: "79002", accountId: KIM_DONG.account, clientId: "zoom-client-kd", clientSecret: "cs-kd", webhookSecret: KIM_DONG.secret }, CLI)).id;
  microsoft = (await upsertSchoolApp(db, "microsoft", { schoolCode: "79001", externalAccount: "tenant-1", clientId: "app-1", secrets: { clientSecret: "ms-secret", webhookSecret: "ms-hook" } }, CLI)).id;
  // A teacher's own Zoom connection saved without a webhook secret token.
  const find = demoLookup(db);
  const [teacher] = await db.select({ id: users.id }).from(users).limit(1);
  noSecret = crypto.randomUUID();
  await db.insert(connections).values({
    id: noSecret,
    schoolId: await find.school("79001"),
    teacherId: teacher.id,
    provider: "zoom",
    kind: "server_to_server",
    externalAccount: NGUYEN_DU.account,
    clientId: "zoom-client-t",
    ...sealSecrets(deriveKey(env().SECRET_KEY), noSecret, "zoom", { clientSecret: "cs-t" }),
  });
});
afterAll(async () => {
  await hub?.close();
});

const nowSeconds = () => String(Math.floor(Date.now() / 1000));
const sign = (body: string, secret: string, timestamp = nowSeconds()) => ({
  "x-zm-request-timestamp": timestamp,
  "x-zm-signature": "v0=" + crypto.createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex"),
});

/** As Zoom's servers send it: no Origin, no cookie. */
function post(connectionId: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${hub.url}/webhooks/zoom/${connectionId}`, { method: "POST", body, headers: { "content-type": "application/json; charset=utf-8", "user-agent": "Zoom Marketplace/1.0a", ...headers } });
}

const stored = (connectionId: string) => hub.database.db.select().from(providerEvents).where(eq(providerEvents.connectionId, connectionId));

let joinCount = 0;
function participantJoined(account = NGUYEN_DU.account) {
  joinCount++;
  return JSON.stringify({
    event: "meeting.participant_joined",
    event_ts: 1764670000000 + joinCount,
    payload: {
      account_id: account,
      object: {
        id: "85393847045",
        uuid: "jUh5o3dKQIytvcsfTtKBlg==",
        host_id: "8lzIwvZTSOqjndWPbPqzuA",
        topic: "Toán 8A — Phương trình bậc nhất",
        type: 2,
        participant: { user_id: "16778240", user_name: "Nguyễn Văn Dũng", id: "iFxeBPYun6SAiWUzBcEkX", participant_uuid: `p-${joinCount}`, join_time: "2026-12-02T07:00:00Z" },
      },
    },
  });
}

describe("Zoom webhook", () => {
  it("is the address the Kết nối page shows", () => {
    expect(zoomWebhookUrl(nguyenDu, hub.url)).toBe(`${hub.url}/webhooks/zoom/${nguyenDu}`);
  });

  it("answers endpoint.url_validation with the token's HMAC under the connection's secret, storing nothing", async () => {
    const plainToken = "qgg8vlvZRS6UYooatFL8Aw";
    const body = JSON.stringify({ payload: { plainToken }, event_ts: Date.now(), event: "endpoint.url_validation" });
    const res = await post(nguyenDu, body, sign(body, NGUYEN_DU.secret));
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ plainToken, encryptedToken: crypto.createHmac("sha256", NGUYEN_DU.secret).update(plainToken).digest("hex") });
    expect(await stored(nguyenDu)).toHaveLength(0);
  });

  it("refuses an unsigned url_validation", async () => {
    const body = JSON.stringify({ payload: { plainToken: "abc" }, event_ts: Date.now(), event: "endpoint.url_validation" });
    expect((await post(nguyenDu, body)).status).toBe(401);
  });

  it("stores a signed participant_joined once, even delivered twice", async () => {
    const body = participantJoined();
    const first = await post(nguyenDu, body, sign(body, NGUYEN_DU.secret));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true });
    // Zoom's retry: the same body, signed again at a later time.
    const again = await post(nguyenDu, body, sign(body, NGUYEN_DU.secret, String(Number(nowSeconds()) + 1)));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: true });
    const rows = await stored(nguyenDu);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ provider: "zoom", eventType: "meeting.participant_joined", processedAt: null });
    expect(rows[0].eventTs.getTime()).toBe(JSON.parse(body).event_ts);
    expect(rows[0].payload).toEqual(JSON.parse(body));
  });

  it("refuses a bad or missing signature, a stale timestamp and another connection's secret with 401, storing nothing", async () => {
    const before = (await stored(nguyenDu)).length;
    const body = participantJoined();
    const good = sign(body, NGUYEN_DU.secret);
    const cases: Record<string, string>[] = [
      {},
      { "x-zm-request-timestamp": good["x-zm-request-timestamp"] },
      { ...good, "x-zm-signature": good["x-zm-signature"].replace(/.$/, (c) => (c === "0" ? "1" : "0")) },
      sign(body, NGUYEN_DU.secret, String(Math.floor(Date.now() / 1000) - 6 * 60)),
      sign(body, NGUYEN_DU.secret, String(Math.floor(Date.now() / 1000) + 6 * 60)),
      sign(body, KIM_DONG.secret),
    ];
    for (const headers of cases) {
      const res = await post(nguyenDu, body, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: "bad signature" });
    }
    // The signature covers the bytes: the same event with one byte changed is refused.
    expect((await post(nguyenDu, body.replace("Dũng", "Dung"), good)).status).toBe(401);
    expect(await stored(nguyenDu)).toHaveLength(before);
  });

  it("answers 404, the same for all, for an id that names no Zoom connection with a secret", async () => {
    const body = participantJoined();
    const answers = [];
    for (const id of [crypto.randomUUID(), microsoft, noSecret]) {
      const res = await post(id, body, sign(body, NGUYEN_DU.secret));
      answers.push({ status: res.status, body: await res.text() });
    }
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404]);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    // Not a uuid: refused by the app's id check before any lookup.
    expect((await post("not-a-connection", body, sign(body, NGUYEN_DU.secret))).status).toBe(404);
  });

  it("refuses another Zoom account's event with 403", async () => {
    const body = participantJoined(KIM_DONG.account);
    const res = await post(nguyenDu, body, sign(body, NGUYEN_DU.secret));
    expect(res.status).toBe(403);
    expect(await stored(nguyenDu)).toHaveLength(1);
    // The same event is Kim Đồng's own at Kim Đồng's address.
    expect((await post(kimDong, body, sign(body, KIM_DONG.secret))).status).toBe(200);
    expect(await stored(kimDong)).toHaveLength(1);
  });

  it("refuses a body over 64 KB with 413", async () => {
    const body = JSON.stringify({ event: "meeting.started", event_ts: Date.now(), payload: { account_id: NGUYEN_DU.account, object: { topic: "x".repeat(70 * 1024) } } });
    const res = await post(nguyenDu, body, sign(body, NGUYEN_DU.secret));
    expect(res.status).toBe(413);
  });

  it("refuses malformed JSON and a body that is not a Zoom event with 400 naming what is wrong", async () => {
    const notJson = '{"event": "meeting.started",';
    const res = await post(nguyenDu, notJson, sign(notJson, NGUYEN_DU.secret));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "body is not JSON" });
    const noAccount = JSON.stringify({ event: "meeting.started", event_ts: Date.now(), payload: { object: { id: 1 } } });
    const res2 = await post(nguyenDu, noAccount, sign(noAccount, NGUYEN_DU.secret));
    expect(res2.status).toBe(400);
    expect((await res2.json()).error).toContain("payload.account_id");
    expect(await stored(nguyenDu)).toHaveLength(1);
  });

  it("a burst of 300 deliveries at once, one in five a redelivery: every event stored once, every delivery answered 200", async () => {
    const before = (await stored(kimDong)).length;
    const unique = Array.from({ length: 250 }, () => participantJoined(KIM_DONG.account));
    const sends = [...unique, ...unique.slice(0, 50)];
    const answers = await Promise.all(sends.map((body) => post(kimDong, body, sign(body, KIM_DONG.secret))));
    expect(answers.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const rows = await stored(kimDong);
    expect(rows.length - before).toBe(250);
    expect(new Set(rows.map((r) => r.dedupeKey)).size).toBe(rows.length);
  });

  it("a secret token changed by another process holds at once: the new one is taken, the old one refused", async () => {
    const body = participantJoined(KIM_DONG.account);
    expect((await post(kimDong, body, sign(body, KIM_DONG.secret))).status).toBe(200);
    // Saved as another web process would (this process keeps the old secret for a while).
    await upsertSchoolApp(hub.database.db, "zoom", { schoolCode: "79002", externalAccount: KIM_DONG.account, clientId: "zoom-client-kd", secrets: { clientSecret: "cs-kd", webhookSecret: "kimdong-rotated-secret-3" } }, CLI);
    const next = participantJoined(KIM_DONG.account);
    expect((await post(kimDong, next, sign(next, "kimdong-rotated-secret-3"))).status).toBe(200);
    const old = participantJoined(KIM_DONG.account);
    expect((await post(kimDong, old, sign(old, KIM_DONG.secret))).status).toBe(401);
  });

  it("answers GET with 405", async () => {
    const res = await fetch(`${hub.url}/webhooks/zoom/${nguyenDu}`);
    expect(res.status).toBe(405);
  });
});
