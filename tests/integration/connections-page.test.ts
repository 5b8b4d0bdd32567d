/**
 * The "Kết nối" page: each provider's state, account, last good call and who connected it, what
 * to do when a connection needs reconnecting (with the provider's own words), the audit trail —
 * and never a secret, not even its ciphertext.
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionAudit, connections } from "../../db/schema/index.ts";
import { deriveKey, sealSecrets } from "../../app/services/connections/secrets.server.ts";
import { env } from "../../app/env.server.ts";
import { demoLookup } from "../support/demo.ts";
import { startHub, type Hub } from "../support/hub.ts";

let hub: Hub;
let thcs: string;
const zoomId = crypto.randomUUID();
const msId = crypto.randomUUID();
const CLIENT_SECRET = "zoom-client-secret-never-shown-42";
const REFRESH = "1//refresh-token-never-shown-42";
let sealedZoom = "";

beforeAll(async () => {
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  thcs = await find.school("79001");
  const hanh = await find.user("hieutruong@nguyendu.lopso.demo");
  const key = deriveKey(env().SECRET_KEY);
  const zoomSealed = sealSecrets(key, zoomId, "zoom", { clientSecret: CLIENT_SECRET, webhookSecret: "hook-secret", accessToken: "tok" });
  sealedZoom = zoomSealed.secrets;
  const connectedAt = new Date("2026-11-20T02:30:00Z");
  await hub.database.db.insert(connections).values([
    {
      id: zoomId,
      schoolId: thcs,
      provider: "zoom",
      kind: "server_to_server",
      externalAccount: "acc-123",
      clientId: "zoom-client-id",
      accountName: "THCS Nguyễn Du Zoom",
      status: "connected",
      lastOkAt: new Date("2026-12-01T01:00:00Z"),
      connectedBy: hanh,
      connectedAt,
      ...zoomSealed,
    },
    {
      id: msId,
      schoolId: thcs,
      provider: "microsoft",
      kind: "server_to_server",
      externalAccount: "tenant-1",
      status: "needs_reconnect",
      statusReason: "invalid_grant",
      statusMessage: "AADSTS700082: The refresh token has expired due to inactivity.",
      connectedAt,
      ...sealSecrets(key, msId, "microsoft", { clientSecret: "ms-secret", refreshToken: REFRESH }),
    },
  ]);
  await hub.database.db.insert(connectionAudit).values({ schoolId: thcs, connectionId: zoomId, provider: "zoom", actorId: hanh, action: "connect", address: "203.0.113.7" });
});

afterAll(async () => {
  await hub?.close();
});

describe("Kết nối", () => {
  it("shows each provider's state, account and advice, and the audit trail, to the school's admin", async () => {
    const admin = await hub.as("hieutruong@nguyendu.lopso.demo");
    const page = await admin.html(`/admin/schools/${thcs}/connections`);
    expect(page.status).toBe(200);
    const html = page.text;
    expect(html).toContain("<title>Kết nối");
    const card = (provider: string) => {
      const start = html.indexOf(`data-provider="${provider}"`);
      return html.slice(start, html.indexOf("</section>", start));
    };
    expect(card("zoom")).toContain('data-status="connected"');
    expect(card("zoom")).toContain("Đã kết nối");
    expect(card("zoom")).toContain("THCS Nguyễn Du Zoom");
    expect(card("zoom")).toContain("Vũ Thị Hạnh");
    expect(card("microsoft")).toContain('data-status="needs_reconnect"');
    expect(card("microsoft")).toContain("Quyền truy cập đã bị thu hồi hoặc hết hạn");
    expect(card("microsoft")).toContain("AADSTS700082");
    expect(card("microsoft")).toContain("npm run cli -- connect microsoft --school 79001");
    expect(card("google")).toContain('data-status="none"');
    expect(card("google")).toContain("Chưa kết nối");
    expect(html).toContain("203.0.113.7");
    for (const secret of [CLIENT_SECRET, REFRESH, "hook-secret", "ms-secret", sealedZoom.split(".")[2]]) expect(html).not.toContain(secret);
  });

  it("speaks English to an admin who chose it", async () => {
    const admin = await hub.as("hieutruong@nguyendu.lopso.demo");
    await admin.post("/lang", { lang: "en", next: "/" });
    const page = await admin.html(`/admin/schools/${thcs}/connections`);
    expect(page.status).toBe(200);
    const html = page.text;
    expect(html).toContain("Needs reconnecting");
    expect(html).toContain("Google Workspace");
    expect(html).toContain("Not connected");
  });
});
