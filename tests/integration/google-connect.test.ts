/**
 * Google Workspace through the real redirect flow against a local Google (tests/fakes/google):
 * the admin saves the school's OAuth client on Kết nối, grants the scopes (PKCE, state, nonce,
 * offline access), and the connection is checked with Classroom courses.list; the callback refuses
 * a missing, reused or other browser's state, a wrong nonce, issuer or audience, an unverified or
 * personal account, and stores nothing. People sign in with their school account (linked only
 * within their school), link and unlink it; tokens are refreshed once even when two callers race;
 * a revoked grant turns the connection "needs reconnect" and tells the school's admins.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionAudit, connections, memberships, notifications, oauthStates, userIdentities, users } from "../../db/schema/index.ts";
import { accessTokenFor } from "../../app/services/connections/tokens.server.ts";
import { refreshIdleGrants } from "../../app/services/connections/idle.server.ts";
import { grantRefresh as googleRefresh } from "../../app/services/connections/grants.server.ts";
import { upsertMicrosoftConnection } from "../../app/services/connections/microsoft.server.ts";
import { readSecrets } from "../../app/services/connections/store.server.ts";
import { demoLookup } from "../support/demo.ts";
import { htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google/server.ts";
import { startFakeMicrosoft, type FakeMicrosoft } from "../fakes/microsoft/server.ts";

const DOMAIN = "nguyendu.lopso.demo";
const CLIENT = { clientId: "lopso-79001.apps.googleusercontent.com", clientSecret: "GOCSPX-google-secret-never-shown" };
const TENANT = "7f8e9d0c-1b2a-4c3d-8e9f-0a1b2c3d4e5f";

let hub: Hub;
let google: FakeGoogle;
let microsoft: FakeMicrosoft;
let thcs: string;
let admin: Client;
/** Everything the hub wrote to its logs while this file ran (at debug level). */
let logged = "";
const seenSecrets = new Set<string>([CLIENT.clientSecret]);

beforeAll(async () => {
  process.env.LOG_LEVEL = "debug";
  process.env.TEST_LOG_LEVEL = "debug";
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      // The hub's JSON log lines are kept here, not printed; anything else passes through.
      if (text.startsWith('{"time"')) {
        logged += text;
        return true;
      }
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  }
  google = await startFakeGoogle({
    clients: [CLIENT],
    accounts: [
      { sub: "g-admin", email: `hieutruong@${DOMAIN}`, name: "Vũ Thị Hạnh", hd: DOMAIN },
      { sub: "g-lan", email: `lan.nt@${DOMAIN}`, name: "Nguyễn Thị Lan", hd: DOMAIN },
      { sub: "g-minh", email: `minh.tv@${DOMAIN}`, name: "Trần Văn Minh", hd: DOMAIN },
      { sub: "g-nobody", email: `nobody@${DOMAIN}`, name: "Người Lạ", hd: DOMAIN },
      { sub: "g-other", email: `chuyen@${DOMAIN}`, name: "Giáo viên trường khác", hd: DOMAIN },
      { sub: "g-unverified", email: `an.nv@${DOMAIN}`, name: "Nguyễn Văn An", hd: DOMAIN, emailVerified: false },
      { sub: "g-personal", email: "hanh.vu@gmail.com", name: "Hạnh" },
    ],
    courses: [{ id: "123456789", name: "Toán 6A1", ownerId: "g-lan" }],
  });
  microsoft = await startFakeMicrosoft([
    {
      tenantId: TENANT,
      clientId: "3f2e1d0c-aaaa-bbbb-cccc-0123456789ab",
      clientSecret: "ms-secret",
      displayName: "THCS Nguyễn Du",
      domain: DOMAIN,
      accounts: [{ sub: "m-minh", email: `minh.tv@${DOMAIN}`, name: "Trần Văn Minh" }],
    },
  ]);
  process.env.GOOGLE_ISSUER = google.url;
  process.env.GOOGLE_API_URL = `${google.url}/`;
  process.env.MICROSOFT_LOGIN_URL = microsoft.url;
  process.env.MICROSOFT_GRAPH_URL = `${microsoft.url}/v1.0`;
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  thcs = await find.school("79001");
  const kimdong = await find.school("79002");
  // A teacher of another school whose address happens to be on this school's domain.
  const [other] = await hub.database.db.insert(users).values({ fullName: "Giáo viên trường khác", sortKey: "khac", email: `chuyen@${DOMAIN}` }).returning({ id: users.id });
  await hub.database.db.insert(memberships).values({ userId: other.id, orgId: kimdong, role: "teacher" });
  admin = await hub.as(`hieutruong@${DOMAIN}`);
});

afterAll(async () => {
  await hub?.close();
  await google?.close();
  await microsoft?.close();
});

const page = () => `/admin/schools/${thcs}/connections`;

async function googleRow() {
  const [row] = await hub.database.db.select().from(connections).where(and(eq(connections.schoolId, thcs), eq(connections.provider, "google")));
  if (row?.secrets) {
    const s = readSecrets(row);
    for (const v of [s.refreshToken, s.accessToken]) if (v) seenSecrets.add(v);
  }
  return row;
}

/** Follow a flow started by `start` through the fake provider; returns the callback's answer. */
async function through(client: Client, start: Response) {
  expect(start.status).toBe(302);
  const authorize = start.headers.get("location")!;
  expect(authorize.startsWith(google.url) || authorize.startsWith(microsoft.url)).toBe(true);
  const back = await fetch(authorize, { redirect: "manual" });
  expect(back.status).toBe(302);
  const callback = back.headers.get("location")!;
  expect(callback.startsWith(`${hub.url}/oauth/callback?`)).toBe(true);
  const path = callback.slice(hub.url.length);
  return { path, authorize: new URL(authorize), res: await client.get(path) };
}

const grant = (client: Client) => client.post(page(), { intent: "google_consent" });

describe("connecting Google Workspace", () => {
  it("saves the school's OAuth client from the page; the grant button explains each scope", async () => {
    const bad = await admin.post(page(), { intent: "save_google", clientId: "bad id!", clientSecret: "", domain: "not a domain" });
    expect(bad.status).toBe(400);
    expect(await googleRow()).toBeUndefined();
    const res = await admin.post(page(), { intent: "save_google", ...CLIENT, domain: DOMAIN });
    expect(res.status).toBe(200);
    const row = await googleRow();
    expect(row).toMatchObject({ status: "pending", kind: "oauth_user", clientId: CLIENT.clientId, externalAccount: DOMAIN });
    const html = (await admin.html(page())).text;
    expect(html).toContain('data-testid="google-grant"');
    expect(htmlText(html)).toContain("Xem danh sách lớp học trên Google Classroom");
    expect(html).not.toContain(CLIENT.clientSecret);
  });

  it("refuses a personal account, an unverified address, a wrong nonce, issuer or audience, storing nothing", async () => {
    const cases: [() => void, string][] = [
      [() => (google.oidc.current = google.oidc.account("hanh.vu@gmail.com")), "not_workspace"],
      [() => (google.oidc.current = google.oidc.account(`an.nv@${DOMAIN}`)), "email_unverified"],
      [() => ((google.oidc.current = google.oidc.account(`hieutruong@${DOMAIN}`)), (google.oidc.tamper = { nonce: "someone-elses-nonce" })), "provider_refused"],
      [() => (google.oidc.tamper = { iss: "https://accounts.example.com" }), "provider_refused"],
      [() => (google.oidc.tamper = { aud: "another-client.apps.googleusercontent.com" }), "provider_refused"],
    ];
    for (const [arrange, reason] of cases) {
      arrange();
      const { res } = await through(admin, await grant(admin));
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toContain(`oauth_error=${reason}`);
      const row = await googleRow();
      expect(row.status).toBe("pending");
      expect(row.accountName).toBeNull();
    }
    const outcomes = await hub.database.db.select({ outcome: connectionAudit.outcome }).from(connectionAudit).where(eq(connectionAudit.provider, "google"));
    expect(outcomes.map((o) => o.outcome)).toEqual(expect.arrayContaining(["not_workspace", "email_unverified", "id_token.nonce", "id_token.iss", "id_token.aud"]));
  });

  it("the domain's admin grants access through the redirect flow; the check lists courses", async () => {
    google.oidc.current = google.oidc.account(`hieutruong@${DOMAIN}`);
    const start = await grant(admin);
    const { res, authorize, path } = await through(admin, start);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("access_type")).toBe("offline");
    expect(authorize.searchParams.get("prompt")).toBe("consent");
    expect(authorize.searchParams.get("hd")).toBe(DOMAIN);
    expect(authorize.searchParams.get("scope")).toContain("https://www.googleapis.com/auth/classroom.rosters.readonly");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`${page()}?connected=google`);
    const row = await googleRow();
    expect(row).toMatchObject({ status: "connected", accountName: `hieutruong@${DOMAIN}`, externalAccount: DOMAIN });
    expect(row.scopes).toContain("https://www.googleapis.com/auth/meetings.space.created");
    expect(google.calls.courses).toBeGreaterThan(0);
    const html = (await admin.html(`${page()}?connected=google`)).text;
    expect(htmlText(html)).toContain("Đã kết nối Google Workspace.");
    expect(html).not.toContain(row.secrets!.slice(0, 24));

    // The same callback a second time: the state was used.
    const again = await admin.get(path);
    expect(again.status).toBe(400);
    expect(htmlText(await again.text())).toContain("đã được dùng một lần");
  });

  it("refuses a callback without state, with a made-up state, or from another browser", async () => {
    const none = await admin.get("/oauth/callback?code=abc");
    expect(none.status).toBe(400);
    const unknown = await admin.get("/oauth/callback?code=abc&state=made-up-state");
    expect(unknown.status).toBe(400);
    expect(htmlText(await unknown.text())).toContain("không phải do Lớp Số tạo");
    // Someone else's browser finishing this admin's flow (a login CSRF): refused.
    const start = await grant(admin);
    const back = await fetch(start.headers.get("location")!, { redirect: "manual" });
    const attacker = await hub.as(`hieutruong@${DOMAIN}`);
    attacker.cookies.delete("lopso_oauth");
    const res = await attacker.get(back.headers.get("location")!.slice(hub.url.length));
    expect(res.status).toBe(400);
    expect(htmlText(await res.text())).toContain("trình duyệt khác");
  });

  it("refreshes an expired token once even when two callers race, and keeps the refresh token", async () => {
    const row = await googleRow();
    google.oidc.expireAccessTokens();
    await hub.database.db.update(connections).set({ accessTokenExpiresAt: new Date(Date.now() - 1000) }).where(eq(connections.id, row.id));
    google.oidc.refreshDelayMs = 200;
    const before = google.oidc.refreshes;
    const [a, b] = await Promise.all([accessTokenFor(hub.database.db, row.id, googleRefresh), accessTokenFor(hub.database.db, row.id, googleRefresh)]);
    google.oidc.refreshDelayMs = 0;
    expect(google.oidc.refreshes - before).toBe(1);
    expect(a.token).toBe(b.token);
    const after = await googleRow();
    expect(after.tokenVersion).toBe(row.tokenVersion + 1);
    expect(after.accessTokenExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 60_000);
    const test = await admin.post(page(), { intent: "test", connectionId: row.id });
    expect(htmlText(await test.text())).toContain("kết nối hoạt động");
  });

  it("two callers that share only the database (as two processes) refresh once: the row lock", async () => {
    const row = await googleRow();
    await hub.database.db.update(connections).set({ accessTokenExpiresAt: new Date(Date.now() - 1000) }).where(eq(connections.id, row.id));
    google.oidc.refreshDelayMs = 300;
    const before = google.oidc.refreshes;
    const alone = { shared: false };
    const [a, b] = await Promise.all([accessTokenFor(hub.database.db, row.id, googleRefresh, alone), accessTokenFor(hub.database.db, row.id, googleRefresh, alone)]);
    google.oidc.refreshDelayMs = 0;
    expect(google.oidc.refreshes - before).toBe(1);
    expect(a).toEqual(b);
    expect((await googleRow()).tokenVersion).toBe(row.tokenVersion + 1);
  });

  it("a 401 on a token thought fresh refreshes once and re-sends once; a 503 is retried; a 429 waits out Retry-After", async () => {
    const row = await googleRow();
    const test = async () => htmlText(await (await admin.post(page(), { intent: "test", connectionId: row.id })).text());
    google.oidc.expireAccessTokens();
    const refreshes = google.oidc.refreshes;
    const courses = google.calls.courses;
    expect(await test()).toContain("kết nối hoạt động");
    expect(google.oidc.refreshes - refreshes).toBe(1);
    expect(google.calls.courses - courses).toBe(2);
    google.failNext(1);
    expect(await test()).toContain("kết nối hoạt động");
    google.throttleNext(1);
    const started = Date.now();
    expect(await test()).toContain("kết nối hoạt động");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const [calls] = await hub.database.query<{ calls: number; failures: number; throttled: number }>(`select calls, failures, throttled from provider_calls where connection_id = '${row.id}'`);
    // The 503 and the 429 count as throttled, the 401 as a failure.
    expect(Number(calls.throttled)).toBeGreaterThanOrEqual(2);
    expect(Number(calls.failures)).toBeGreaterThanOrEqual(1);
  });

  it("the nightly job refreshes a grant idle for 30 days, and leaves a recently used one alone", async () => {
    const row = await googleRow();
    const before = google.oidc.refreshes;
    expect(await refreshIdleGrants(hub.database.db)).toEqual({ refreshed: 0, needsReconnect: 0, failed: 0 });
    await hub.database.db.update(connections).set({ refreshedAt: new Date(Date.now() - 31 * 86_400_000) }).where(eq(connections.id, row.id));
    expect(await refreshIdleGrants(hub.database.db)).toEqual({ refreshed: 1, needsReconnect: 0, failed: 0 });
    expect(google.oidc.refreshes - before).toBe(1);
    expect((await googleRow()).refreshedAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("a revoked grant turns the connection 'needs reconnect' and tells the school's admin in-app", async () => {
    const row = await googleRow();
    google.oidc.revokeAll();
    await hub.database.db.update(connections).set({ accessTokenExpiresAt: new Date(Date.now() - 1000) }).where(eq(connections.id, row.id));
    const res = await admin.post(page(), { intent: "test", connectionId: row.id });
    expect(res.status).toBe(200);
    const after = await googleRow();
    expect(after).toMatchObject({ status: "needs_reconnect", statusReason: "invalid_grant", statusMessage: "Token has been expired or revoked." });
    const [hanh] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.email, `hieutruong@${DOMAIN}`));
    const notices = await hub.database.db.select().from(notifications).where(eq(notifications.userId, hanh.id));
    expect(notices.find((n) => n.link === page())).toMatchObject({ title: "Google Workspace cần được kết nối lại", urgent: true });
    // Work waits: no token is handed out until someone reconnects.
    await expect(accessTokenFor(hub.database.db, row.id, googleRefresh)).rejects.toMatchObject({ code: "reauth_required" });

    // Reconnecting is one consent.
    const again = await through(admin, await grant(admin));
    expect(again.res.headers.get("location")).toBe(`${page()}?connected=google`);
    expect(await googleRow()).toMatchObject({ status: "connected" });
  });
});

describe("signing in with the school's Google account", () => {
  const signIn = (client: Client, email?: string) => client.post("/auth/google", email ? { email } : {});

  it("shows the button on the login page and signs a teacher in, linking the identity", async () => {
    const login = await hub.client().html("/login");
    expect(login.text).toContain('data-testid="sso-google"');
    google.oidc.current = google.oidc.account(`lan.nt@${DOMAIN}`);
    const lan = hub.client();
    const { res, authorize } = await through(lan, await signIn(lan));
    expect(authorize.searchParams.get("scope")).toBe("openid email profile");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/classes");
    const classes = await lan.html("/classes");
    expect(classes.status).toBe(200);
    expect(htmlText(classes.text)).toContain("Lớp của tôi");
    const ids = await hub.database.db.select().from(userIdentities).where(eq(userIdentities.subject, "g-lan"));
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatchObject({ provider: "google", issuer: google.url, email: `lan.nt@${DOMAIN}` });
  });

  it("an unknown account, another school's person and an unverified address are refused in plain words", async () => {
    for (const [email, text] of [
      [`nobody@${DOMAIN}`, `Tài khoản nobody@${DOMAIN} chưa có trong Lớp Số — hãy liên hệ nhà trường.`],
      [`chuyen@${DOMAIN}`, `Tài khoản chuyen@${DOMAIN} chưa có trong Lớp Số — hãy liên hệ nhà trường.`],
      [`an.nv@${DOMAIN}`, "chưa được nhà cung cấp xác minh"],
    ] as const) {
      google.oidc.current = google.oidc.account(email);
      const c = hub.client();
      const { res } = await through(c, await signIn(c));
      expect(res.status).toBe(403);
      expect(htmlText(await res.text())).toContain(text);
      expect(c.cookies.has("lopso_session")).toBe(false);
    }
    expect(await hub.database.db.select().from(userIdentities).where(eq(userIdentities.subject, "g-other"))).toHaveLength(0);
  });

  it("a teacher links and unlinks Google on the account page; password sign-in keeps working", async () => {
    google.oidc.current = google.oidc.account(`minh.tv@${DOMAIN}`);
    const minh = await hub.as(`minh.tv@${DOMAIN}`);
    const account = await minh.html("/account");
    expect(account.text).toContain('data-testid="link-google"');
    const { res } = await through(minh, await minh.post("/auth/google", { intent: "link" }));
    expect(res.headers.get("location")).toBe("/account?linked=google");
    const [identity] = await hub.database.db.select().from(userIdentities).where(eq(userIdentities.subject, "g-minh"));
    expect(identity).toBeDefined();
    // Another person cannot unlink it.
    const lan = await hub.as(`lan.nt@${DOMAIN}`);
    expect((await lan.post("/account", { intent: "unlink", identityId: identity.id })).status).toBe(404);
    expect((await minh.post("/account", { intent: "unlink", identityId: identity.id })).status).toBe(200);
    expect(await hub.database.db.select().from(userIdentities).where(eq(userIdentities.subject, "g-minh"))).toHaveLength(0);
    await hub.as(`minh.tv@${DOMAIN}`);
    const actions = await hub.database.db.select({ action: connectionAudit.action }).from(connectionAudit).where(eq(connectionAudit.provider, "google"));
    expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(["identity_link", "identity_unlink", "sign_in"]));
  });
});

describe("signing in with Microsoft 365", () => {
  it("signs a teacher in through the school's tenant; an ID token of another tenant is refused", async () => {
    await upsertMicrosoftConnection(hub.database.db, { schoolCode: "79001", tenantId: TENANT, clientId: "3f2e1d0c-aaaa-bbbb-cccc-0123456789ab", clientSecret: "ms-secret" }, { actorId: null, address: "cli" });
    microsoft.oidc.current = microsoft.oidc.account(`minh.tv@${DOMAIN}`);
    const c = hub.client();
    const { res } = await through(c, await c.post("/auth/microsoft", {}));
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/classes");
    microsoft.oidc.tamper = { tid: "00000000-0000-0000-0000-000000000001" };
    const d = hub.client();
    const refused = await through(d, await d.post("/auth/microsoft", {}));
    expect(refused.res.status).toBe(403);
    expect(htmlText(await refused.res.text())).toContain("không thuộc tên miền hoặc tổ chức của trường");
  });
});

describe("disconnecting", () => {
  it("revokes the grant at Google, deletes the credentials, keeps the audit", async () => {
    const row = await googleRow();
    const before = google.calls.revoke;
    const res = await admin.post(page(), { intent: "disconnect", connectionId: row.id });
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain("thu hồi quyền ở nhà cung cấp");
    expect(google.calls.revoke).toBe(before + 1);
    expect(await googleRow()).toBeUndefined();
    const audit = await hub.database.db.select().from(connectionAudit).where(and(eq(connectionAudit.connectionId, row.id), eq(connectionAudit.action, "disconnect")));
    expect(audit).toHaveLength(1);
    expect(await hub.database.db.select().from(oauthStates).where(eq(oauthStates.connectionId, row.id))).toHaveLength(0);
  });
});

describe("logs", () => {
  it("never carry a client secret, a refresh token or an access token", () => {
    expect(logged).toContain('"msg":"request"');
    expect(seenSecrets.size).toBeGreaterThan(3);
    for (const secret of seenSecrets) expect(logged.includes(secret), `a secret (${secret.slice(0, 4)}…) was logged`).toBe(false);
  });
});
