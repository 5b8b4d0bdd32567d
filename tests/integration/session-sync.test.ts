/**
 * The sessions-sync job under rate limits, through the real services against the fake Google and
 * Zoom: one run goes on past its first batch and waits out a rate limit that opens within the run
 * (a thousand sessions are not left at 50 per 5-minute run); the job and a teacher's save racing
 * for one session make one meeting; a Zoom host whose day of creates is spent keeps the session
 * "chưa đồng bộ" (rate_limited), no call is sent, and the run does not wait for 00:00 UTC.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveSessionClasses, liveSessions, type SessionPlatform } from "../../db/schema/index.ts";
import { seedDemo } from "../../db/seed.server.ts";
import type { Actor } from "../../app/auth/actor.server.ts";
import { pgRateBudgets } from "../../app/services/connections/budgets.server.ts";
import { connectionById, testConnection } from "../../app/services/connections/check.server.ts";
import { upsertZoomConnection } from "../../app/services/connections/zoom.server.ts";
import { createLiveSession, syncPending, syncSession } from "../../app/services/live-sessions.server.ts";
import { MEET_CREATE_BUDGET } from "../../integrations/google/meet.server.ts";
import { dailyWritesKey } from "../../integrations/zoom/meetings.server.ts";
import { nextUtcMidnight } from "../../integrations/zoom/mapping.ts";
import { connectedGoogleSchool } from "../support/connections.ts";
import { demoLookup } from "../support/demo.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google/server.ts";
import { startFakeZoom, type FakeZoom } from "../fakes/zoom/server.ts";

const DOMAIN = "nguyendu.lopso.demo";
const LAN = `lan.nt@${DOMAIN}`;
const GOOGLE = { clientId: "lopso-79001.apps.googleusercontent.com", clientSecret: "GOCSPX-sync" };
const ZOOM = { accountId: "acc_sync", clientId: "zoomS2Ssync", clientSecret: "zoom-sync-secret", user: { id: "zadmin", email: `hieutruong@${DOMAIN}`, first_name: "Hạnh", last_name: "Vũ Thị" }, otherUsers: [{ id: "zlan", email: LAN, first_name: "Lan", last_name: "Nguyễn Thị" }] };

let database: TestDatabase;
let google: FakeGoogle;
let zoom: FakeZoom;
let lan: Actor;
let toan6: string;
let schoolId: string;

beforeAll(async () => {
  google = await startFakeGoogle({ clients: [GOOGLE], accounts: [{ sub: "g-admin", email: `hieutruong@${DOMAIN}`, name: "Vũ Thị Hạnh", hd: DOMAIN }] });
  google.meet.createsPerMinutePerUser = 10;
  zoom = await startFakeZoom([ZOOM]);
  zoom.limits.lightPerSecond = 30;
  zoom.limits.mediumPerSecond = 20;
  Object.assign(process.env, { GOOGLE_ISSUER: google.url, GOOGLE_API_URL: `${google.url}/`, ZOOM_OAUTH_URL: zoom.url, ZOOM_API_URL: `${zoom.url}/v2` });
  process.env.SECRET_KEY ??= "test-secret-key-test-secret-key-0123456789";
  database = await freshDatabase();
  const db = database.db;
  await seedDemo(db);
  const find = demoLookup(db);
  const school = await find.school("79001");
  schoolId = school;
  toan6 = await find.class("6A1", "toan");
  lan = { id: await find.user(LAN) } as Actor;
  await connectedGoogleSchool(db, google, { schoolId: school, client: GOOGLE, admin: `hieutruong@${DOMAIN}`, domain: DOMAIN });
  const cli = { actorId: null, address: "cli" };
  const z = await upsertZoomConnection(db, { schoolCode: "79001", ...ZOOM, webhookSecret: "hook-sync" }, cli);
  expect((await testConnection(db, (await connectionById(db, z.id))!, cli)).ok).toBe(true);
});

afterAll(async () => {
  await database?.drop();
  await Promise.all([google?.close(), zoom?.close()]);
});

const weekly = (platform: SessionPlatform, title: string) => ({
  title,
  classIds: [toan6],
  platform,
  startsAt: new Date("2027-01-04T01:00:00Z"),
  durationMinutes: 45,
  weekdays: [1],
  until: null,
  count: 10,
  linkUrl: null,
});

describe("the sessions-sync job under rate limits", () => {
  it("goes on past its first batch and waits out a rate limit that opens within the run", async () => {
    const db = database.db;
    // Google told every process to wait 8 s: the saves keep their sessions, "chưa đồng bộ".
    const opens = Date.now() + 8000;
    await pgRateBudgets(db).block(MEET_CREATE_BUDGET.key, new Date(opens));
    const before = google.meet.calls["spaces.create"];
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await createLiveSession(db, lan, weekly("google", `Toán — buổi ${i + 1}`));
      expect(s).toMatchObject({ syncState: "pending", syncMessage: "rate_limited" });
      ids.push(s.id);
    }
    expect(google.meet.calls["spaces.create"]).toBe(before);
    const run = await syncPending(db, { batch: 3 });
    expect(run).toEqual({ synced: 4, pending: 0 });
    // Made once the limit opened, in the same run.
    expect(Date.now()).toBeGreaterThanOrEqual(opens);
    expect(google.meet.calls["spaces.create"] - before).toBe(4);
    expect(google.meet.calls["spaces.create.429"] ?? 0).toBe(0);
    for (const id of ids) {
      const [row] = await db.select().from(liveSessions).where(eq(liveSessions.id, id));
      expect(row).toMatchObject({ syncState: "synced", syncMessage: null });
      expect(row.joinUrl).toMatch(/^https:\/\/meet\.google\.com\//);
      expect(row.updatedAt.getTime()).toBeLessThanOrEqual(Date.now());
    }
  });

  it("makes one meeting when the job and a save sync the same session at once", async () => {
    const db = database.db;
    const [s] = await db.insert(liveSessions).values({ schoolId, createdBy: lan.id, title: "Toán — cùng lúc", platform: "zoom", startsAt: new Date("2027-01-05T01:00:00Z"), durationMinutes: 45, weekdays: [2], count: 5, syncState: "pending" }).returning();
    await db.insert(liveSessionClasses).values({ sessionId: s.id, classId: toan6 });
    const creates = () => zoom.requests.filter((r) => r.method === "POST" && r.path.endsWith("/meetings")).length;
    const before = creates();
    const [a, b] = await Promise.all([syncSession(db, s.id), syncSession(db, s.id)]);
    expect(creates() - before).toBe(1);
    expect([a.syncState, b.syncState].sort()).toEqual(["pending", "synced"]);
    const [row] = await db.select().from(liveSessions).where(eq(liveSessions.id, s.id));
    expect(row).toMatchObject({ syncState: "synced" });
    expect(row.updatedAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("keeps a Zoom session pending while its host's 100 creates of the day are spent, and does not wait for the next day", async () => {
    const db = database.db;
    await pgRateBudgets(db).block(dailyWritesKey("zlan"), nextUtcMidnight());
    const before = zoom.requests.filter((r) => r.method === "POST").length;
    const s = await createLiveSession(db, lan, weekly("zoom", "Toán trên Zoom — hết lượt hôm nay"));
    expect(s).toMatchObject({ syncState: "pending", syncMessage: "daily_limit", externalId: null });
    const t0 = Date.now();
    const run = await syncPending(db);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(run).toEqual({ synced: 0, pending: 1 });
    expect(zoom.requests.filter((r) => r.method === "POST").length).toBe(before);
    expect(zoom.throttled).toEqual({ qps: 0, daily: 0 });
  });
});
