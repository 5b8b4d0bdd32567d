/**
 * A teacher's own connections, through the real redirect flows against local fakes: their own
 * Google and Zoom accounts through the hub's apps while the school has none, and their delegated
 * Microsoft sign-in through the school's Entra ID app (with offline_access). Each serves only that
 * teacher's classes; rotating refresh tokens are kept; another person can neither test nor remove
 * them; disconnecting revokes where the provider can.
 */
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connections } from "../../db/schema/index.ts";
import { connectionFor } from "../../app/services/connections/teacher.server.ts";
import { accessTokenFor } from "../../app/services/connections/tokens.server.ts";
import { grantRefresh } from "../../app/services/connections/grants.server.ts";
import { readSecrets } from "../../app/services/connections/store.server.ts";
import { upsertMicrosoftConnection } from "../../app/services/connections/microsoft.server.ts";
import { demoLookup } from "../support/demo.ts";
import { htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google/server.ts";
import { startFakeMicrosoft, type FakeMicrosoft } from "../fakes/microsoft/server.ts";
import { startFakeZoom, type FakeZoom } from "../fakes/zoom/server.ts";

const DOMAIN = "nguyendu.lopso.demo";
const HUB_GOOGLE = { clientId: "lopso-hub.apps.googleusercontent.com", clientSecret: "GOCSPX-hub-secret" };
const HUB_ZOOM = { clientId: "lopsoZoomUserApp", clientSecret: "zoom-user-app-secret" };
const TENANT = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
const MS_APP = { clientId: "5a6b7c8d-1111-2222-3333-444455556666", clientSecret: "ms-app-secret" };
const HUB_MS = { clientId: "0f0e0d0c-9999-4000-8000-00000000ab12", clientSecret: "hub-ms-secret" };

let hub: Hub;
let google: FakeGoogle;
let zoom: FakeZoom;
let microsoft: FakeMicrosoft;
let thcs: string;
let lanId: string;
let minhId: string;
let lan: Client;

beforeAll(async () => {
  google = await startFakeGoogle({ clients: [HUB_GOOGLE], accounts: [{ sub: "g-lan", email: "lan.nguyen@gmail.com", name: "Nguyễn Thị Lan" }], courses: [] });
  zoom = await startFakeZoom([], { clients: [HUB_ZOOM], users: [{ sub: "zu-lan", email: "lan.nguyen@gmail.com", name: "Nguyễn Thị Lan" }] });
  microsoft = await startFakeMicrosoft(
    [
      { tenantId: TENANT, ...MS_APP, displayName: "THCS Nguyễn Du", domain: DOMAIN, accounts: [{ sub: "m-lan", email: `lan.nt@${DOMAIN}`, name: "Nguyễn Thị Lan" }] },
      // Another school's tenant, whose school has no app in the hub.
      { tenantId: "7d6c5b4a-0000-4000-8000-00000000c0de", clientId: "unused-app", clientSecret: "unused", displayName: "TH Kim Đồng", domain: "kimdong.lopso.demo", accounts: [{ sub: "m-hoa", email: "hoa.lt@kimdong.lopso.demo", name: "Lê Thị Hoa" }] },
    ],
    [HUB_MS],
  );
  Object.assign(process.env, {
    GOOGLE_ISSUER: google.url,
    GOOGLE_API_URL: `${google.url}/`,
    GOOGLE_CLIENT_ID: HUB_GOOGLE.clientId,
    GOOGLE_CLIENT_SECRET: HUB_GOOGLE.clientSecret,
    ZOOM_OAUTH_URL: zoom.url,
    ZOOM_API_URL: `${zoom.url}/v2`,
    ZOOM_CLIENT_ID: HUB_ZOOM.clientId,
    ZOOM_CLIENT_SECRET: HUB_ZOOM.clientSecret,
    MICROSOFT_LOGIN_URL: microsoft.url,
    MICROSOFT_CLIENT_ID: HUB_MS.clientId,
    MICROSOFT_CLIENT_SECRET: HUB_MS.clientSecret,
    MICROSOFT_GRAPH_URL: `${microsoft.url}/v1.0`,
  });
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  thcs = await find.school("79001");
  lanId = await find.user(`lan.nt@${DOMAIN}`);
  minhId = await find.user(`minh.tv@${DOMAIN}`);
  lan = await hub.as(`lan.nt@${DOMAIN}`);
});

afterAll(async () => {
  await hub?.close();
  await Promise.all([google?.close(), zoom?.close(), microsoft?.close()]);
});

const PAGE = "/account/connections";

async function own(provider: "google" | "microsoft" | "zoom", teacherId = lanId) {
  const [row] = await hub.database.db.select().from(connections).where(and(eq(connections.teacherId, teacherId), eq(connections.provider, provider)));
  return row;
}

/** Press "Kết nối" for `provider` and follow the provider's redirect back. */
async function connect(client: Client, provider: string) {
  const start = await client.post(PAGE, { intent: "connect", provider });
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get("location")!);
  const back = await fetch(authorize, { redirect: "manual" });
  expect(back.status).toBe(302);
  const res = await client.get(back.headers.get("location")!.slice(hub.url.length));
  return { authorize, res };
}

describe("a teacher's own connections", () => {
  it("is a teacher's page: students, parents and admins are refused", async () => {
    expect((await lan.html(PAGE)).status).toBe(200);
    for (const login of ["an.nv@nguyendu.lopso.demo", "hieutruong@nguyendu.lopso.demo"]) {
      expect((await (await hub.as(login)).get(PAGE)).status).toBe(403);
    }
    expect((await hub.client().get(PAGE)).headers.get("location")).toMatch(/^\/login/);
  });

  it("connects her own Google account while the school has none; her classes use it, a colleague's do not", async () => {
    const page = htmlText((await lan.html(PAGE)).text);
    expect(page).toContain("Trường chưa kết nối Google Workspace. Bạn có thể kết nối tài khoản của riêng mình.");
    expect(page).toContain("Trường chưa kết nối Microsoft 365");
    const { authorize, res } = await connect(lan, "google");
    expect(authorize.searchParams.get("client_id")).toBe(HUB_GOOGLE.clientId);
    expect(authorize.searchParams.get("scope")).not.toContain("guardianlinks");
    expect(res.headers.get("location")).toBe(`${PAGE}?connected=google`);
    const row = await own("google");
    expect(row).toMatchObject({ status: "connected", kind: "oauth_user", accountName: "lan.nguyen@gmail.com", schoolId: thcs, clientId: HUB_GOOGLE.clientId });
    expect(google.calls.courses).toBeGreaterThan(0);
    expect((await connectionFor(hub.database.db, { schoolId: thcs, teacherId: lanId, provider: "google" }))?.id).toBe(row.id);
    expect(await connectionFor(hub.database.db, { schoolId: thcs, teacherId: minhId, provider: "google" })).toBeNull();
    // The school's admin sees it among the teachers' own connections.
    const admin = await hub.as("hieutruong@nguyendu.lopso.demo");
    expect(htmlText((await admin.html(`/admin/schools/${thcs}/connections`)).text)).toContain("Nguyễn Thị Lan — Google Workspace");
  });

  it("connects her own Zoom account; a rotated refresh token replaces the old one", async () => {
    const { res } = await connect(lan, "zoom");
    expect(res.headers.get("location")).toBe(`${PAGE}?connected=zoom`);
    const row = await own("zoom");
    expect(row).toMatchObject({ status: "connected", accountName: "lan.nguyen@gmail.com", externalAccount: "acct-zu-lan" });
    const first = readSecrets(row).refreshToken;
    await hub.database.db.update(connections).set({ accessTokenExpiresAt: new Date(0) }).where(eq(connections.id, row.id));
    await accessTokenFor(hub.database.db, row.id, grantRefresh);
    const second = readSecrets(await own("zoom")).refreshToken;
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);
    const test = await lan.post(PAGE, { intent: "test", connectionId: row.id });
    expect(htmlText(await test.text())).toContain("Zoom: kết nối hoạt động — lan.nguyen@gmail.com.");
  });

  it("signs in to Microsoft through the school's app (delegated, offline_access) once the school has one", async () => {
    await upsertMicrosoftConnection(hub.database.db, { schoolCode: "79001", tenantId: TENANT, ...MS_APP }, { actorId: null, address: "cli" });
    const { authorize, res } = await connect(lan, "microsoft");
    expect(authorize.pathname).toBe(`/${TENANT}/oauth2/v2.0/authorize`);
    expect(authorize.searchParams.get("scope")!.split(" ")).toEqual(expect.arrayContaining(["offline_access", "OnlineMeetings.ReadWrite"]));
    expect(res.headers.get("location")).toBe(`${PAGE}?connected=microsoft`);
    const row = await own("microsoft");
    const [app] = await hub.database.db.select().from(connections).where(and(eq(connections.provider, "microsoft"), isNull(connections.teacherId)));
    expect(row).toMatchObject({ status: "connected", appConnectionId: app.id, accountName: `lan.nt@${DOMAIN}`, externalAccount: TENANT });
    expect(readSecrets(row).refreshToken).toBeTruthy();
    // Teams meetings for her classes are made with her own delegated grant.
    expect((await connectionFor(hub.database.db, { schoolId: thcs, teacherId: lanId, provider: "microsoft" }))?.id).toBe(row.id);
  });

  it("a teacher whose school has no Microsoft app connects her own account through the hub's app", async () => {
    const hoa = await hub.as("hoa.lt@kimdong.lopso.demo");
    expect(htmlText((await hoa.html(PAGE)).text)).toContain("Trường chưa kết nối Microsoft 365. Bạn có thể kết nối tài khoản của riêng mình.");
    const { authorize, res } = await connect(hoa, "microsoft");
    expect(authorize.pathname).toBe("/organizations/oauth2/v2.0/authorize");
    expect(authorize.searchParams.get("client_id")).toBe(HUB_MS.clientId);
    expect(authorize.searchParams.get("scope")!.split(" ")).toEqual(expect.arrayContaining(["offline_access", "OnlineMeetings.ReadWrite"]));
    expect(res.headers.get("location")).toBe(`${PAGE}?connected=microsoft`);
    const hoaId = await demoLookup(hub.database.db).user("hoa.lt@kimdong.lopso.demo");
    const row = await own("microsoft", hoaId);
    expect(row).toMatchObject({ status: "connected", appConnectionId: null, accountName: "hoa.lt@kimdong.lopso.demo", clientId: HUB_MS.clientId });
    // Refreshing goes through the same app (the refresh token rotates).
    const first = readSecrets(row).refreshToken;
    await hub.database.db.update(connections).set({ accessTokenExpiresAt: new Date(0) }).where(eq(connections.id, row.id));
    await accessTokenFor(hub.database.db, row.id, grantRefresh);
    expect(readSecrets(await own("microsoft", hoaId)).refreshToken).not.toBe(first);
  });

  it("another teacher can neither test nor remove her connections", async () => {
    const minh = await hub.as(`minh.tv@${DOMAIN}`);
    const row = await own("google");
    expect((await minh.post(PAGE, { intent: "test", connectionId: row.id })).status).toBe(404);
    expect((await minh.post(PAGE, { intent: "disconnect", connectionId: row.id })).status).toBe(404);
    expect(await own("google")).toBeDefined();
  });

  it("disconnecting her Zoom revokes the grant at Zoom and deletes the row", async () => {
    const row = await own("zoom");
    const res = await lan.post(PAGE, { intent: "disconnect", connectionId: row.id });
    expect(res.status).toBe(200);
    expect(zoom.calls.revoke).toBe(1);
    expect(await own("zoom")).toBeUndefined();
  });
});
