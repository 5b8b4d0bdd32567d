/**
 * Teams online meetings through the real provider and the real token source, against the local
 * Graph fake: a teacher's delegated grant on `/me/onlineMeetings` (and a school app's token on
 * `/users/{id}/onlineMeetings`); createOrGet makes a retried create return the same meeting; the
 * series is updated and cancelled (already gone counts as done); attendance comes report by
 * report and page by page, resumable from a cursor; a 401 on a token thought fresh refreshes once
 * (keeping the rotated refresh token) and re-sends; a 429 with a decimal Retry-After is waited out.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connections } from "../../db/schema/index.ts";
import { seedDemo } from "../../db/seed.server.ts";
import { pgRateBudgets } from "../../app/services/connections/budgets.server.ts";
import { upsertMicrosoftConnection } from "../../app/services/connections/microsoft.server.ts";
import { readSecrets } from "../../app/services/connections/store.server.ts";
import { tokenSource } from "../../app/services/connections/token-source.server.ts";
import { createTeamsMeetings } from "../../integrations/microsoft/meetings.server.ts";
import type { AttendanceRecord, ConnectionRef, MeetingProvider, Page } from "../../integrations/ports.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";
import { connectedMicrosoftTeacher } from "../support/connections.ts";
import { demoLookup } from "../support/demo.ts";
import { startFakeMicrosoft, type FakeMicrosoft } from "../fakes/microsoft/server.ts";

const DOMAIN = "nguyendu.lopso.demo";
const LAN = `lan.nt@${DOMAIN}`;
const TENANT = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
const MS_APP = { clientId: "5a6b7c8d-1111-2222-3333-444455556666", clientSecret: "ms-app-secret" };
const SCOPE = "openid profile email offline_access User.Read OnlineMeetings.ReadWrite OnlineMeetingArtifact.Read.All";

let microsoft: FakeMicrosoft;
let database: TestDatabase;
let teams: MeetingProvider;
let lan: ConnectionRef;
let school: ConnectionRef;

const input = { topic: "Toán 7A — ôn tập chương 2", startsAt: new Date("2026-09-07T00:30:00Z"), durationMinutes: 45, timezone: "Asia/Ho_Chi_Minh" };

async function row(id: string) {
  const [r] = await database.db.select().from(connections).where(eq(connections.id, id));
  return r;
}

async function pagesOf(pages: AsyncIterable<Page<AttendanceRecord>>) {
  const out: Page<AttendanceRecord>[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

beforeAll(async () => {
  microsoft = await startFakeMicrosoft([{ tenantId: TENANT, ...MS_APP, displayName: "THCS Nguyễn Du", domain: DOMAIN, accounts: [{ sub: "m-lan", email: LAN, name: "Nguyễn Thị Lan" }] }]);
  Object.assign(process.env, {
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "lopso-teams-")),
    DEMO: "1",
    MICROSOFT_LOGIN_URL: microsoft.url,
    MICROSOFT_GRAPH_URL: `${microsoft.url}/v1.0`,
  });
  process.env.SECRET_KEY ??= "test-secret-key-test-secret-key-0123456789";
  database = await freshDatabase();
  const db = database.db;
  await seedDemo(db);
  const find = demoLookup(db);
  const schoolId = await find.school("79001");
  const teacherId = await find.user(LAN);
  const app = await upsertMicrosoftConnection(db, { schoolCode: "79001", tenantId: TENANT, ...MS_APP }, { actorId: null, address: "cli" });
  school = { id: app.id, provider: "microsoft", externalAccount: TENANT, clientId: MS_APP.clientId };
  // Lan's delegated sign-in, as the connect flow leaves it: a sealed grant, fresh for an hour.
  const id = await connectedMicrosoftTeacher(db, microsoft, { schoolId, teacherId, appConnectionId: app.id, tenantId: TENANT, clientId: MS_APP.clientId, email: LAN, scope: SCOPE });
  lan = { id, provider: "microsoft", externalAccount: TENANT, clientId: MS_APP.clientId };
  teams = createTeamsMeetings({ config: { loginUrl: microsoft.url, graphUrl: `${microsoft.url}/v1.0` }, tokens: tokenSource(db), budgets: pgRateBudgets(db) });
});

afterAll(async () => {
  await database?.drop();
  await microsoft?.close();
});

describe("Teams online meetings", () => {
  it("declares polled attendance, no recordings, and series scheduled by the hub", () => {
    expect(teams.provider).toBe("microsoft");
    expect(teams.capabilities).toEqual({ attendance: "poll", recordings: false, recurrence: "hub" });
  });

  it("creates one meeting per key: a retried create returns the same meeting (createOrGet)", async () => {
    const before = microsoft.meetings.size;
    const ref = await teams.createMeeting(lan, input, "session-series-1");
    expect(ref).toMatchObject({ provider: "microsoft", joinUrl: expect.stringMatching(/^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//), passcode: expect.any(String) });
    const m = microsoft.meetings.get(ref.externalId)!;
    expect(m).toMatchObject({ owner: "me:m-lan", externalId: "session-series-1", subject: input.topic, startDateTime: "2026-09-07T00:30:00.000Z", endDateTime: "2026-09-07T01:15:00.000Z" });
    const again = await teams.createMeeting(lan, input, "session-series-1");
    expect(again).toEqual(ref);
    expect(microsoft.meetings.size).toBe(before + 1);
    const other = await teams.createMeeting(lan, input, "session-series-2");
    expect(other.externalId).not.toBe(ref.externalId);
    expect(microsoft.meetings.size).toBe(before + 2);
  });

  it("reconciles by key: the meeting made with it, or null (leaving nothing behind)", async () => {
    const ref = await teams.createMeeting(lan, input, "session-reconcile");
    expect(await teams.findByKey(lan, "session-reconcile", input.startsAt)).toEqual(ref);
    const size = microsoft.meetings.size;
    expect(await teams.findByKey(lan, "never-made", input.startsAt)).toBeNull();
    expect(microsoft.meetings.size).toBe(size);
  });

  it("updates the series' subject and time; an occurrence's change stays at the hub", async () => {
    const ref = await teams.createMeeting(lan, input, "session-update");
    const moved = await teams.updateMeeting(lan, ref, { topic: "Toán 7A — kiểm tra 15 phút", startsAt: new Date("2026-09-08T02:00:00Z") });
    expect(moved).toMatchObject({ externalId: ref.externalId, joinUrl: ref.joinUrl });
    expect(microsoft.meetings.get(ref.externalId)).toMatchObject({ subject: "Toán 7A — kiểm tra 15 phút", startDateTime: "2026-09-08T02:00:00.000Z", endDateTime: "2026-09-08T02:45:00.000Z" });
    await teams.updateMeeting(lan, ref, { durationMinutes: 90 });
    expect(microsoft.meetings.get(ref.externalId)?.endDateTime).toBe("2026-09-08T03:30:00.000Z");
    const patches = microsoft.calls.updateMeeting;
    expect(await teams.updateMeeting(lan, ref, { topic: "chỉ buổi này" }, { startsAt: new Date("2026-09-15T02:00:00Z") })).toEqual(ref);
    expect(microsoft.calls.updateMeeting).toBe(patches);
  });

  it("cancels one occurrence at the hub only; the series at Graph, and twice is still done", async () => {
    const ref = await teams.createMeeting(lan, input, "session-cancel");
    await teams.cancelMeeting(lan, ref, { startsAt: input.startsAt });
    expect(microsoft.meetings.has(ref.externalId)).toBe(true);
    await teams.cancelMeeting(lan, ref);
    expect(microsoft.meetings.has(ref.externalId)).toBe(false);
    await expect(teams.cancelMeeting(lan, ref)).resolves.toBeUndefined();
  });

  it("reads the session's attendance page by page across report pages, and resumes from a cursor", async () => {
    const ref = await teams.createMeeting(lan, input, "session-attendance");
    microsoft.setMeetingPageSizes({ reports: 1, records: 100 });
    const start = new Date("2026-09-07T00:30:00Z");
    const at = (min: number) => new Date(start.getTime() + min * 60_000);
    // Last week's session: outside the window.
    microsoft.addAttendanceReport(ref.externalId, { start: new Date(start.getTime() - 7 * 86400_000), end: new Date(start.getTime() - 7 * 86400_000 + 2700_000), records: [{ email: "old@nguyendu.lopso.demo", userId: "u-old", name: "Buổi trước", intervals: [[new Date(start.getTime() - 7 * 86400_000), new Date(start.getTime() - 7 * 86400_000 + 600_000)]] }] });
    const records = [
      { email: "lan.nt@nguyendu.lopso.demo", userId: "m-lan", name: "Nguyễn Thị Lan", role: "Organizer" as const, intervals: [[at(0), at(45)]] as [Date, Date][] },
      { email: "an.nv@nguyendu.lopso.demo", userId: "u-an", name: "Nguyễn Văn An", intervals: [[at(1), at(11)], [at(15), at(44)]] as [Date, Date][] },
      { email: null, userId: null, name: "Phụ huynh em Bình (Khách)", intervals: [[at(5), at(20)]] as [Date, Date][] },
      ...Array.from({ length: 227 }, (_, i) => ({ email: `hs${i}@nguyendu.lopso.demo`, userId: `u-${i}`, name: `Học sinh ${i}`, intervals: [[at(2), at(40)]] as [Date, Date][] })),
    ];
    microsoft.addAttendanceReport(ref.externalId, { start: at(-2), end: at(46), records });
    const window = { from: at(-30), to: at(120) };
    const pages = await pagesOf(teams.readAttendance(lan, ref, window));
    expect(pages.map((p) => p.items.length)).toEqual([100, 100, 30]);
    expect(pages[0].nextCursor).toMatch(/\$skiptoken=/);
    expect(pages[0].nextCursor!.startsWith(microsoft.url)).toBe(true);
    expect(pages[2].nextCursor).toBeNull();
    const all = pages.flatMap((p) => p.items);
    expect(all.some((r) => r.identities.some((i) => i.value === "old@nguyendu.lopso.demo"))).toBe(false);
    const an = all.find((r) => r.identities.some((i) => i.kind === "user_id" && i.value === "u-an"))!;
    expect(an).toEqual({
      identities: [
        { kind: "email", value: "an.nv@nguyendu.lopso.demo" },
        { kind: "user_id", value: "u-an" },
        { kind: "display_name", value: "Nguyễn Văn An" },
      ],
      joinedAt: at(1),
      leftAt: at(44),
      durationSeconds: (10 + 29) * 60,
    });
    const guest = all.find((r) => r.identities.some((i) => i.value === "Phụ huynh em Bình (Khách)"))!;
    expect(guest.identities).toEqual([{ kind: "display_name", value: "Phụ huynh em Bình (Khách)" }]);
    expect(guest.durationSeconds).toBe(15 * 60);
    // A crashed harvest resumes where its last saved page left off.
    const resumed = await pagesOf(teams.readAttendance(lan, ref, window, pages[0].nextCursor!));
    expect(resumed.map((p) => p.items.length)).toEqual([100, 30]);
    expect(resumed.flatMap((p) => p.items)).toEqual(all.slice(100));
    // Another window holds last week's session only.
    const last = await pagesOf(teams.readAttendance(lan, ref, { from: new Date(start.getTime() - 8 * 86400_000), to: new Date(start.getTime() - 6 * 86400_000) }));
    expect(last.flatMap((p) => p.items).map((r) => r.identities[0].value)).toEqual(["old@nguyendu.lopso.demo"]);
    microsoft.setMeetingPageSizes({ reports: 10, records: 100 });
  });

  it("a 401 on a token the row says is fresh refreshes once, keeps the rotated refresh token, and re-sends", async () => {
    const ref = await teams.createMeeting(lan, input, "session-401");
    const before = await row(lan.id);
    const oldRefresh = readSecrets(before).refreshToken;
    microsoft.oidc.expireAccessTokens();
    const refreshes = microsoft.oidc.refreshes;
    await teams.updateMeeting(lan, ref, { topic: "Toán 7A — sau khi làm mới" });
    expect(microsoft.meetings.get(ref.externalId)?.subject).toBe("Toán 7A — sau khi làm mới");
    expect(microsoft.oidc.refreshes - refreshes).toBe(1);
    const after = await row(lan.id);
    expect(after.tokenVersion).toBe(before.tokenVersion + 1);
    const secrets = readSecrets(after);
    expect(secrets.refreshToken).toBeTruthy();
    expect(secrets.refreshToken).not.toBe(oldRefresh);
    expect(secrets.accessToken).not.toBe(readSecrets(before).accessToken);
    expect(after.status).toBe("connected");
    // The next call uses the new token as it is.
    await teams.updateMeeting(lan, ref, { topic: "Toán 7A" });
    expect(microsoft.oidc.refreshes - refreshes).toBe(1);
  });

  it("waits out a 429 with a decimal Retry-After and succeeds", async () => {
    microsoft.throttleMeetingsNext(1, "1.5");
    const throttled = microsoft.calls.onlineMeetingsThrottled ?? 0;
    const t0 = Date.now();
    const ref = await teams.createMeeting(lan, input, "session-429");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(microsoft.calls.onlineMeetingsThrottled - throttled).toBe(1);
    expect(microsoft.meetings.get(ref.externalId)?.externalId).toBe("session-429");
  });

  it("re-sends once only: a token refused again is reauth_required; a grant without the scope is rejected; a deleted meeting is not_found", async () => {
    const cfg = { loginUrl: microsoft.url, graphUrl: `${microsoft.url}/v1.0` };
    const ref = await teams.createMeeting(lan, input, "session-errors");
    let rejected = 0;
    const dead = createTeamsMeetings({ config: cfg, tokens: { accessToken: async () => ({ token: "not-a-token", version: 7 }), rejected: async (_c, v) => void (rejected += v) } });
    const calls = microsoft.calls.onlineMeetings;
    await expect(dead.updateMeeting(lan, ref, { topic: "x" })).rejects.toMatchObject({ code: "reauth_required", status: 401 });
    expect(rejected).toBe(7);
    expect(microsoft.calls.onlineMeetings - calls).toBe(2);
    const narrow = microsoft.oidc.mint(MS_APP.clientId, LAN, "openid User.Read offline_access", `${microsoft.url}/${TENANT}/v2.0`);
    const unscoped = createTeamsMeetings({ config: cfg, tokens: { accessToken: async () => ({ token: narrow.accessToken, version: 1 }), rejected: async () => {} } });
    await expect(unscoped.createMeeting(lan, input, "session-forbidden")).rejects.toMatchObject({ code: "rejected", status: 403, providerCode: "Forbidden" });
    await teams.cancelMeeting(lan, ref);
    await expect(teams.updateMeeting(lan, ref, { topic: "đã hủy" })).rejects.toMatchObject({ code: "not_found", status: 404 });
  });

  it("with a school app's token, works on /users/{id}/onlineMeetings for the host", async () => {
    const host = "7e1f0000-aaaa-4bbb-8ccc-000000000042";
    const app = createTeamsMeetings({ config: { loginUrl: microsoft.url, graphUrl: `${microsoft.url}/v1.0` }, tokens: tokenSource(database.db), hostUserId: () => host });
    const ref = await app.createMeeting(school, { ...input, hostUserId: host }, "session-app");
    expect(microsoft.meetings.get(ref.externalId)).toMatchObject({ owner: host, externalId: "session-app" });
    expect(await app.createMeeting(school, { ...input, hostUserId: host }, "session-app")).toEqual(ref);
    await app.updateMeeting(school, ref, { topic: "Họp hội đồng" });
    expect(microsoft.meetings.get(ref.externalId)?.subject).toBe("Họp hội đồng");
    await app.cancelMeeting(school, ref);
    expect(microsoft.meetings.has(ref.externalId)).toBe(false);
  });
});
