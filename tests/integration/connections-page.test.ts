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
import { startFakeMicrosoft, type FakeMicrosoft } from "../fakes/microsoft/server.ts";

let hub: Hub;
let microsoft: FakeMicrosoft;
let th: string;
let thcs: string;
const zoomId = crypto.randomUUID();
const msId = crypto.randomUUID();
const CLIENT_SECRET = "zoom-client-secret-never-shown-42";
const REFRESH = "1//refresh-token-never-shown-42";
let sealedZoom = "";

beforeAll(async () => {
  microsoft = await startFakeMicrosoft([{ tenantId: "tenant-1", clientId: "app-1", clientSecret: "ms-secret", displayName: "Trường THCS Nguyễn Du (M365)", domain: "nguyendu.edu.vn" }]);
  process.env.MICROSOFT_LOGIN_URL = microsoft.url;
  process.env.MICROSOFT_GRAPH_URL = `${microsoft.url}/v1.0`;
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  thcs = await find.school("79001");
  th = await find.school("79002");
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
      clientId: "app-1",
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
  await microsoft?.close();
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
    expect(card("zoom")).toContain(`/webhooks/zoom/${zoomId}</code>`);
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

  it("tests a connection for real and shows the result; only the school's admins may", async () => {
    const teacher = await hub.as("lan.nt@nguyendu.lopso.demo");
    expect((await teacher.post(`/admin/schools/${thcs}/connections`, { intent: "test", connectionId: msId })).status).toBe(403);
    const province = await hub.as("so@lopso.demo");
    // Another school's page cannot reach this school's connection.
    expect((await province.post(`/admin/schools/${th}/connections`, { intent: "test", connectionId: msId })).status).toBe(404);
    expect((await province.post(`/admin/schools/${thcs}/connections`, { intent: "nope", connectionId: msId })).status).toBe(400);
    const graphBefore = microsoft.calls.organization;

    const admin = await hub.as("hieutruong@nguyendu.lopso.demo");
    await admin.post("/lang", { lang: "vi", next: "/" });
    const res = await admin.post(`/admin/schools/${thcs}/connections`, { intent: "test", connectionId: msId });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Microsoft 365: kết nối hoạt động — Trường THCS Nguyễn Du (M365).");
    expect(microsoft.calls.organization - graphBefore).toBe(1);
    const page = (await admin.html(`/admin/schools/${thcs}/connections`)).text;
    const start = page.indexOf('data-provider="microsoft"');
    expect(page.slice(start, page.indexOf("</section>", start))).toContain('data-status="connected"');
    expect(page).toMatch(/kiểm tra kết nối/);
    expect(page).not.toContain("ms-secret");

    // The secret is rotated at Microsoft and the cached token revoked: the 401 asks for a new
    // token once, which Entra refuses.
    microsoft.tenants.get("tenant-1")!.clientSecret = "rotated";
    microsoft.revokeTokens();
    const failed = await (await admin.post(`/admin/schools/${thcs}/connections`, { intent: "test", connectionId: msId })).text();
    expect(failed).toContain("Microsoft 365: kiểm tra không thành công — AADSTS7000215");
  });
});
