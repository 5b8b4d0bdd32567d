/**
 * Google Meet through the real provider and the real token source, against the fake Google: one
 * space per series, an update that only confirms the space, cancelling an occurrence ends the
 * conference going on in it, attendance read page by page (and resumed from a cursor) across
 * conference records, participants and their sessions, a 401 on a token thought fresh refreshed
 * once and re-sent, and space creates kept under the project's 100 a minute.
 */
import crypto from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connections, providerBudgets } from "../../db/schema/index.ts";
import { seedDemo } from "../../db/seed.server.ts";
import { env } from "../../app/env.server.ts";
import { deriveKey, sealSecrets } from "../../app/services/connections/secrets.server.ts";
import { tokenSource } from "../../app/services/connections/token-source.server.ts";
import { pgRateBudgets } from "../../app/services/connections/budgets.server.ts";
import { googleConfig } from "../../app/services/connections/google.server.ts";
import { createMeetMeetings, MEET_CREATE_BUDGET, meetUserCreateBudget } from "../../integrations/google/meet.server.ts";
import type { AttendanceRecord, ConnectionRef, MeetingInput, MeetingProvider, Page, RateBudgets } from "../../integrations/ports.ts";
import { demoLookup } from "../support/demo.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google/server.ts";

const CLIENT = { clientId: "nguyendu-workspace.apps.googleusercontent.com", clientSecret: "school-client-secret" };
const ADMIN = { sub: "g-hanh", email: "hieutruong@nguyendu.edu.vn", name: "Vũ Thị Hạnh", hd: "nguyendu.edu.vn" };
const SCOPES = "openid email https://www.googleapis.com/auth/meetings.space.created https://www.googleapis.com/auth/meetings.space.readonly";

let google: FakeGoogle;
let database: TestDatabase;
let conn: ConnectionRef;
let meetings: MeetingProvider;

const series: MeetingInput = {
  topic: "Toán 9A — ôn tập",
  startsAt: new Date("2026-12-07T01:00:00Z"),
  durationMinutes: 45,
  timezone: "Asia/Ho_Chi_Minh",
  recurrence: { weekdays: [1, 3], count: 10 },
};

beforeAll(async () => {
  google = await startFakeGoogle({ clients: [CLIENT], accounts: [ADMIN] });
  process.env.GOOGLE_ISSUER = google.url;
  process.env.GOOGLE_API_URL = `${google.url}/`;
  process.env.SECRET_KEY ??= "test-secret-key-test-secret-key-0123456789";
  database = await freshDatabase();
  await seedDemo(database.db);
  const school = await demoLookup(database.db).school("79001");
  const grant = google.oidc.mint(CLIENT.clientId, ADMIN.email, SCOPES, google.url);
  const id = crypto.randomUUID();
  await database.db.insert(connections).values({
    id,
    schoolId: school,
    provider: "google",
    kind: "oauth_user",
    externalAccount: ADMIN.hd,
    accountName: ADMIN.email,
    clientId: CLIENT.clientId,
    scopes: SCOPES.split(" "),
    status: "connected",
    connectedAt: new Date(),
    accessTokenExpiresAt: new Date(Date.now() + grant.expiresIn * 1000),
    ...sealSecrets(deriveKey(env().SECRET_KEY), id, "google", { clientSecret: CLIENT.clientSecret, refreshToken: grant.refreshToken, accessToken: grant.accessToken }),
  });
  conn = { id, provider: "google", externalAccount: ADMIN.hd, clientId: CLIENT.clientId };
  meetings = createMeetMeetings({ config: googleConfig(), tokens: tokenSource(database.db), budgets: pgRateBudgets(database.db) });
});

afterAll(async () => {
  await database?.drop();
  await google?.close();
});

async function collect(pages: AsyncIterable<Page<AttendanceRecord>>) {
  const out: Page<AttendanceRecord>[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

const at = (hhmm: string, day = "2026-12-09") => new Date(`${day}T${hhmm}:00+07:00`);

describe("Google Meet meetings", () => {
  it("says what it can do: attendance by polling, no recordings, the hub schedules the series", () => {
    expect(meetings.provider).toBe("google");
    expect(meetings.capabilities).toEqual({ attendance: "poll", recordings: false, recurrence: "hub" });
  });

  it("creates one TRUSTED space for a whole series; its name is the key, the meeting code is only in the link", async () => {
    const before = google.meet.calls["spaces.create"];
    const ref = await meetings.createMeeting(conn, series, "series-toan-9a");
    expect(google.meet.calls["spaces.create"] - before).toBe(1);
    expect(ref.provider).toBe("google");
    expect(ref.externalId).toMatch(/^spaces\/[A-Za-z0-9_-]+$/);
    const space = google.meet.spaces.get(ref.externalId)!;
    expect(space.config.accessType).toBe("TRUSTED");
    expect(ref.joinUrl).toBe(space.meetingUri);
    expect(ref.externalId).not.toContain(space.meetingCode);
    expect(ref.occurrences).toBeUndefined();
    expect(ref.hostUrl).toBeUndefined();
  });

  it("an update changes nothing at Meet but confirms the space still exists; a space that is gone is not_found", async () => {
    const ref = await meetings.createMeeting(conn, series, "series-update");
    const gets = google.meet.calls["spaces.get"];
    const creates = google.meet.calls["spaces.create"];
    const updated = await meetings.updateMeeting(conn, ref, { topic: "Toán 9A — đổi giờ", startsAt: new Date("2026-12-07T02:00:00Z") }, { startsAt: series.startsAt });
    expect(updated).toEqual(ref);
    expect(google.meet.calls["spaces.get"] - gets).toBe(1);
    expect(google.meet.calls["spaces.create"]).toBe(creates);
    await expect(meetings.updateMeeting(conn, { ...ref, externalId: "spaces/doesNotExist1" }, { topic: "x" })).rejects.toMatchObject({ code: "not_found", status: 404 });
  });

  it("cancelling one occurrence ends the conference going on in the space, and only then; the whole series needs nothing at Meet", async () => {
    const ref = await meetings.createMeeting(conn, series, "series-cancel");
    const record = google.addConference(ref.externalId, {
      start: new Date(Date.now() - 10 * 60_000),
      participants: [{ displayName: "Nguyễn Văn An", user: "users/1001", sessions: [{ start: new Date(Date.now() - 9 * 60_000) }] }],
    });
    expect(google.meet.spaces.get(ref.externalId)!.activeConference).toBe(record);
    const ends = google.meet.calls["spaces.endActiveConference"];
    await meetings.cancelMeeting(conn, ref, { startsAt: new Date(Date.now() - 10 * 60_000) });
    expect(google.meet.calls["spaces.endActiveConference"] - ends).toBe(1);
    expect(google.meet.spaces.get(ref.externalId)!.activeConference).toBeNull();
    const conf = google.meet.conferences.find((c) => c.name === record)!;
    expect(conf.end).not.toBeNull();
    expect(conf.participants[0].sessions[0].end).not.toBeNull();
    // No conference now: nothing to end.
    await meetings.cancelMeeting(conn, ref, { startsAt: series.startsAt });
    expect(google.meet.calls["spaces.endActiveConference"] - ends).toBe(1);
    // The whole series: no call at all (a space cannot be deleted in Meet v2).
    const all = Object.values(google.meet.calls).reduce((a, b) => a + b, 0);
    await meetings.cancelMeeting(conn, ref);
    expect(Object.values(google.meet.calls).reduce((a, b) => a + b, 0)).toBe(all);
    // A space that is gone counts as cancelled.
    await expect(meetings.cancelMeeting(conn, { ...ref, externalId: "spaces/goneAway" }, { startsAt: series.startsAt })).resolves.toBeUndefined();
  });

  it("reads a session's attendance page by page over two conference records and 250 participants, and resumes from a cursor", async () => {
    const ref = await meetings.createMeeting(conn, series, "series-attendance");
    // The lesson of 9 December, 08:00–08:45: the teacher restarted the call at 08:20.
    const first = Array.from({ length: 250 }, (_, i) => ({
      displayName: `Học sinh ${i + 1}`,
      user: `users/${200000 + i}`,
      sessions: [{ start: at("08:01"), end: at("08:19") }],
    }));
    // Bình dropped out and came back: two sessions, 08:02–08:10 and 08:12–08:19.
    first[7] = { displayName: "Trần Thị Bình", user: "users/300007", sessions: [{ start: at("08:02"), end: at("08:10") }, { start: at("08:12"), end: at("08:19") }] };
    google.addConference(ref.externalId, { start: at("08:00"), end: at("08:19"), participants: first });
    google.addConference(ref.externalId, {
      start: at("08:20"),
      end: at("08:45"),
      participants: [
        { displayName: "iPhone của An", sessions: [{ start: at("08:21"), end: at("08:44") }] },
        { displayName: "Cô Lan", user: "users/100001", sessions: [{ start: at("08:20"), end: at("08:45") }] },
      ],
    });
    // Another day's lesson in the same space is not this session's.
    google.addConference(ref.externalId, { start: at("08:00", "2026-12-07"), end: at("08:45", "2026-12-07"), participants: [{ displayName: "Lê Văn Cường", user: "users/999", sessions: [{ start: at("08:00", "2026-12-07"), end: at("08:40", "2026-12-07") }] }] });
    google.meet.maxPageSize.conferenceRecords = 1; // the server may give fewer than asked: two pages of records
    try {
      const window = { from: at("07:55"), to: at("08:50") };
      const before = { ...google.meet.calls };
      const pages = await collect(meetings.readAttendance(conn, ref, window));
      // Newest record first: the restarted call (one page), then the first call's 250 in pages of 100.
      expect(pages.map((p) => p.items.length)).toEqual([2, 100, 100, 50]);
      expect(pages.slice(0, -1).every((p) => p.nextCursor)).toBe(true);
      expect(pages.at(-1)!.nextCursor).toBeNull();
      expect(google.meet.calls["conferenceRecords.list"] - before["conferenceRecords.list"]).toBe(2);
      expect(google.meet.calls["participants.list"] - before["participants.list"]).toBe(4);
      expect(google.meet.calls["participantSessions.list"] - before["participantSessions.list"]).toBe(252);

      const all = pages.flatMap((p) => p.items);
      const byName = (n: string) => all.find((r) => r.identities.some((i) => i.kind === "display_name" && i.value === n))!;
      const an = byName("iPhone của An");
      expect(an.identities.filter((i) => i.kind !== "participant_id")).toEqual([{ kind: "display_name", value: "iPhone của An" }]);
      expect(an).toMatchObject({ joinedAt: at("08:21"), leftAt: at("08:44"), durationSeconds: 23 * 60 });
      const binh = byName("Trần Thị Bình");
      expect(binh.identities).toContainEqual({ kind: "user_id", value: "users/300007" });
      expect(binh).toMatchObject({ joinedAt: at("08:02"), leftAt: at("08:19"), durationSeconds: 15 * 60 });
      expect(all.some((r) => r.identities.some((i) => i.value === "users/999"))).toBe(false);
      expect(new Set(all.map((r) => r.identities.find((i) => i.kind === "participant_id")!.value)).size).toBe(252);

      // A crashed read resumes from the cursor saved after its second page.
      const rest = await collect(meetings.readAttendance(conn, ref, window, pages[1].nextCursor!));
      expect(rest.map((p) => p.items.length)).toEqual([100, 50]);
      expect(rest.flatMap((p) => p.items)).toEqual(pages.slice(2).flatMap((p) => p.items));

      // Nothing held in a window: one empty, last page.
      expect(await collect(meetings.readAttendance(conn, ref, { from: at("13:00"), to: at("14:00") }))).toEqual([{ items: [], nextCursor: null }]);
    } finally {
      google.meet.maxPageSize.conferenceRecords = 100;
    }
  });

  it("a page token the server no longer knows fails the read instead of skipping people", async () => {
    const ref = await meetings.createMeeting(conn, series, "series-expired-token");
    google.addConference(ref.externalId, {
      start: at("10:00"),
      end: at("10:45"),
      participants: Array.from({ length: 120 }, (_, i) => ({ displayName: `HS ${i}`, user: `users/5${i}`, sessions: [{ start: at("10:01"), end: at("10:40") }] })),
    });
    const window = { from: at("09:55"), to: at("10:50") };
    const it = meetings.readAttendance(conn, ref, window)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value!.items).toHaveLength(100);
    google.meet.expirePageTokens();
    await expect(it.next()).rejects.toMatchObject({ code: "rejected", status: 400, providerCode: "INVALID_ARGUMENT" });
  });

  it("a 401 on a token the connection row still thinks fresh refreshes it once and sends the call again", async () => {
    const ref = await meetings.createMeeting(conn, series, "series-401");
    const [row] = await database.db.select().from(connections).where(eq(connections.id, conn.id));
    expect(row.accessTokenExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 5 * 60_000);
    google.oidc.expireAccessTokens();
    const tokens = google.calls.token;
    const gets = google.meet.calls["spaces.get"];
    const refused = google.meet.calls.unauthenticated;
    expect(await meetings.updateMeeting(conn, ref, { topic: "Toán 9A" })).toEqual(ref);
    expect(google.calls.token - tokens).toBe(1);
    expect(google.meet.calls.unauthenticated - refused).toBe(1);
    expect(google.meet.calls["spaces.get"] - gets).toBe(1);
    const [after] = await database.db.select().from(connections).where(eq(connections.id, conn.id));
    expect(after.tokenVersion).toBeGreaterThan(row.tokenVersion);
    expect(after.status).toBe("connected");
    // The new token serves the next calls without another refresh.
    await meetings.updateMeeting(conn, ref, {});
    expect(google.calls.token - tokens).toBe(1);
  });

  it("Google's 429 on the 101st space create in a minute is rate_limited, with when to try again", async () => {
    const open: RateBudgets = { take: async () => ({ ok: true }), block: async () => {} };
    const unbudgeted = createMeetMeetings({ config: googleConfig(), tokens: tokenSource(database.db), budgets: open });
    google.meet.resetCreateQuota();
    for (let i = 0; i < 100; i++) await unbudgeted.createMeeting(conn, series, `bulk-${i}`);
    const creates = google.meet.calls["spaces.create"];
    const err = await unbudgeted.createMeeting(conn, series, "bulk-100").catch((e) => e);
    expect(err).toMatchObject({ code: "rate_limited", status: 429, providerCode: "RESOURCE_EXHAUSTED", budget: "burst" });
    expect(err.retryAt.getTime()).toBeGreaterThan(Date.now() + 10_000);
    // Not sent again in the process: the wait is the caller's (its job re-schedules itself).
    expect(google.meet.calls["spaces.create"] - creates).toBe(1);
    google.meet.resetCreateQuota();
  });

  it("refuses a create locally when the project's shared minute of creates is spent", async () => {
    const budgets = pgRateBudgets(database.db);
    for (let i = 0; i < MEET_CREATE_BUDGET.limit; i++) if (!(await budgets.take(MEET_CREATE_BUDGET.key, MEET_CREATE_BUDGET.limit, MEET_CREATE_BUDGET.windowMs, { sliding: true })).ok) break;
    const creates = google.meet.calls["spaces.create"];
    const err = await meetings.createMeeting(conn, series, "over-budget").catch((e) => e);
    expect(err).toMatchObject({ code: "rate_limited", provider: "google", operation: "spaces.create", providerMessage: "budget google:meet:creates is spent" });
    expect(err.retryAt.getTime()).toBeGreaterThan(Date.now());
    expect(google.meet.calls["spaces.create"]).toBe(creates);
  });

  it("and when the user's own 10 creates a minute are spent", async () => {
    const budgets = pgRateBudgets(database.db);
    // The project's minute (spent above) is taken first: a new minute for it.
    await database.db.delete(providerBudgets).where(eq(providerBudgets.key, MEET_CREATE_BUDGET.key));
    const user = meetUserCreateBudget(conn.id);
    for (let i = 0; i < user.limit; i++) if (!(await budgets.take(user.key, user.limit, user.windowMs, { sliding: true })).ok) break;
    const creates = google.meet.calls["spaces.create"];
    const err = await meetings.createMeeting(conn, series, "over-user-budget").catch((e) => e);
    expect(err).toMatchObject({ code: "rate_limited", operation: "spaces.create", providerMessage: `budget ${user.key} is spent` });
    expect(google.meet.calls["spaces.create"]).toBe(creates);
  });

  it("a 429 on a read with a long Retry-After is rate_limited for the caller, not slept on", async () => {
    // Without shared budgets (no key is blocked for the other tests here).
    const alone = createMeetMeetings({ config: googleConfig(), tokens: tokenSource(database.db) });
    const name = [...google.meet.spaces.keys()][0];
    const gets = google.meet.calls["spaces.get"];
    google.throttleNext(1);
    const err = await alone.updateMeeting(conn, { provider: "google", externalId: name, joinUrl: "https://meet.google.com/x" }, {}).catch((e) => e);
    expect(err).toMatchObject({ code: "rate_limited", status: 429, providerCode: "RESOURCE_EXHAUSTED" });
    expect(err.retryAt.getTime()).toBeGreaterThan(Date.now() + 20_000);
    expect(google.meet.calls["spaces.get"]).toBe(gets);
    // The next call goes through.
    await expect(alone.updateMeeting(conn, { provider: "google", externalId: name, joinUrl: "https://meet.google.com/x" }, {})).resolves.toMatchObject({ externalId: name });
  });

  it("a create without the meetings.space.created scope is refused by Google as rejected", async () => {
    const grant = google.oidc.mint(CLIENT.clientId, ADMIN.email, "openid email https://www.googleapis.com/auth/meetings.space.readonly", google.url);
    const readOnly = createMeetMeetings({
      config: googleConfig(),
      tokens: { accessToken: async () => ({ token: grant.accessToken, version: 1 }), rejected: async () => {} },
      budgets: { take: async () => ({ ok: true }), block: async () => {} },
    });
    await expect(readOnly.createMeeting(conn, series, "no-scope")).rejects.toMatchObject({ code: "rejected", status: 403, providerCode: "PERMISSION_DENIED" });
  });
});
