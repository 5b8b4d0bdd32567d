/**
 * The token source the platform providers use: an app's token (Zoom Server-to-Server, Entra ID
 * client credentials) is minted once and kept sealed until it is due; a 401 expires it only if no
 * newer token was stored; credentials the provider refuses turn the connection "needs reconnect".
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connections } from "../../db/schema/index.ts";
import { tokenSource } from "../../app/services/connections/token-source.server.ts";
import { upsertZoomConnection } from "../../app/services/connections/zoom.server.ts";
import { upsertMicrosoftConnection } from "../../app/services/connections/microsoft.server.ts";
import { startHub, type Hub } from "../support/hub.ts";
import { startFakeZoom, type FakeZoom } from "../fakes/zoom/server.ts";
import { startFakeMicrosoft, type FakeMicrosoft } from "../fakes/microsoft/server.ts";

const ZOOM = { accountId: "acc_79001", clientId: "zoomS2S", clientSecret: "zoom-s2s-secret", user: { id: "host1", email: "hieutruong@nguyendu.edu.vn", first_name: "Vũ Thị", last_name: "Hạnh" } };
const TENANT = { tenantId: "1a2b3c4d-0000-4000-8000-000000000001", clientId: "9f8e7d6c-0000-4000-8000-000000000002", clientSecret: "ms-app-secret", displayName: "THCS Nguyễn Du", domain: "nguyendu.edu.vn" };

let hub: Hub;
let zoom: FakeZoom;
let microsoft: FakeMicrosoft;

beforeAll(async () => {
  zoom = await startFakeZoom([ZOOM]);
  microsoft = await startFakeMicrosoft([TENANT]);
  Object.assign(process.env, { ZOOM_OAUTH_URL: zoom.url, ZOOM_API_URL: `${zoom.url}/v2`, MICROSOFT_LOGIN_URL: microsoft.url, MICROSOFT_GRAPH_URL: `${microsoft.url}/v1.0` });
  hub = await startHub();
});

afterAll(async () => {
  await hub?.close();
  await Promise.all([zoom?.close(), microsoft?.close()]);
});

const cli = { actorId: null, address: "cli" };

describe("tokenSource", () => {
  it("mints a Zoom Server-to-Server token once, keeps it, and mints again after a 401 on it", async () => {
    const { id } = await upsertZoomConnection(hub.database.db, { schoolCode: "79001", ...ZOOM, webhookSecret: "hook-secret-token" }, cli);
    const ref = { id, provider: "zoom" as const, externalAccount: ZOOM.accountId, clientId: ZOOM.clientId };
    const tokens = tokenSource(hub.database.db);
    const before = zoom.calls.token;
    const a = await tokens.accessToken(ref);
    const b = await tokens.accessToken(ref);
    expect(b).toEqual(a);
    expect(zoom.calls.token - before).toBe(1);
    // A 401 seen with an older version does not throw away a newer token.
    await tokens.rejected(ref, a.version - 1);
    expect(await tokens.accessToken(ref)).toEqual(a);
    await tokens.rejected(ref, a.version);
    const c = await tokens.accessToken(ref);
    expect(c.token).not.toBe(a.token);
    expect(c.version).toBe(a.version + 1);
    expect(zoom.calls.token - before).toBe(2);
  });

  it("an Entra ID app's token likewise; a secret the tenant refuses turns the connection 'needs reconnect'", async () => {
    const { id } = await upsertMicrosoftConnection(hub.database.db, { schoolCode: "79001", ...TENANT }, cli);
    const ref = { id, provider: "microsoft" as const, externalAccount: TENANT.tenantId, clientId: TENANT.clientId };
    const tokens = tokenSource(hub.database.db);
    const first = await tokens.accessToken(ref);
    expect(first.token).toBeTruthy();
    microsoft.tenants.get(TENANT.tenantId)!.clientSecret = "rotated-in-entra";
    await tokens.rejected(ref, first.version);
    await expect(tokens.accessToken(ref)).rejects.toMatchObject({ code: "reauth_required", providerCode: "invalid_client" });
    const [row] = await hub.database.db.select().from(connections).where(eq(connections.id, id));
    expect(row).toMatchObject({ status: "needs_reconnect", statusReason: "invalid_client" });
    // Work for it waits: no call goes out until someone reconnects.
    const calls = microsoft.calls.token;
    await expect(tokens.accessToken(ref)).rejects.toMatchObject({ code: "reauth_required" });
    expect(microsoft.calls.token).toBe(calls);
  });
});
