/**
 * Zoom meetings through the real provider and the real token source, against the fake Zoom:
 * one meeting and a weekly series (Zoom's occurrences), updates and cancels of one occurrence
 * and of the whole, a 401 on a cached token, a per-second 429, the host's 100 daily writes,
 * attendance over pages, and finding a meeting again by its idempotency key.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgRateBudgets } from "../../app/services/connections/budgets.server.ts";
import { tokenSource } from "../../app/services/connections/token-source.server.ts";
import { upsertZoomConnection, zoomConfig } from "../../app/services/connections/zoom.server.ts";
import { seedDemo } from "../../db/seed.server.ts";
import { isIntegrationError, type IntegrationError } from "../../integrations/errors.ts";
import type { AttendanceRecord, ConnectionRef, MeetingProvider, Page } from "../../integrations/ports.ts";
import { createZoomMeetings } from "../../integrations/zoom/meetings.server.ts";
import { verifyZoomSignature } from "../../integrations/zoom/webhook.ts";
import { startFakeZoom, type FakeParticipant, type FakeZoom } from "../fakes/zoom/server.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";

const LAN = { id: "gv-lan-7a", email: "lan.nguyen@nguyendu.edu.vn", first_name: "Nguyễn Thị", last_name: "Lan" };
const BINH = { id: "gv-binh-8b", email: "binh.tran@nguyendu.edu.vn", first_name: "Trần Văn", last_name: "Bình" };
const ZOOM = {
  accountId: "acc_79001",
  clientId: "zoomS2S",
  clientSecret: "zoom-s2s-secret",
  user: { id: "host1", email: "hieutruong@nguyendu.edu.vn", first_name: "Vũ Thị", last_name: "Hạnh" },
  otherUsers: [LAN, BINH],
};
const TZ = "Asia/Ho_Chi_Minh";
/** Meeting numbers beyond 2^53: a number parsed as a double would lose the last digit. */
const FIRST_ID = 2n ** 53n + 1n;

let zoom: FakeZoom;
let database: TestDatabase;
let dataDir: string;
let conn: ConnectionRef;
let meetings: MeetingProvider;

beforeAll(async () => {
  zoom = await startFakeZoom([ZOOM], undefined, { firstMeetingId: FIRST_ID });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lopso-zoom-"));
  Object.assign(process.env, { ZOOM_OAUTH_URL: zoom.url, ZOOM_API_URL: `${zoom.url}/v2`, DATA_DIR: dataDir });
  process.env.SECRET_KEY ??= "test-secret-key-test-secret-key-0123456789";
  database = await freshDatabase();
  await seedDemo(database.db);
  const { id } = await upsertZoomConnection(database.db, { schoolCode: "79001", ...ZOOM, webhookSecret: "hook-secret-token" }, { actorId: null, address: "cli" });
  conn = { id, provider: "zoom", externalAccount: ZOOM.accountId, clientId: ZOOM.clientId };
  meetings = createZoomMeetings({ config: zoomConfig(), tokens: tokenSource(database.db), budgets: pgRateBudgets(database.db) });
});

afterAll(async () => {
  await zoom?.close();
  await database?.drop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const requestsTo = (method: string, pathname: string) => zoom.requests.filter((r) => r.method === method && r.path === pathname);
const lastRequest = (method: string, pathname: string) => requestsTo(method, pathname).at(-1)!;

async function failure(p: Promise<unknown>): Promise<IntegrationError> {
  try {
    await p;
  } catch (e) {
    if (isIntegrationError(e)) return e;
    throw e;
  }
  throw new Error("expected the call to fail");
}

async function allPages<T>(pages: AsyncIterable<Page<T>>): Promise<Page<T>[]> {
  const out: Page<T>[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

// Tuesday 5 January 2027, 10:00 in Hà Nội.
const TUESDAY = new Date("2027-01-05T03:00:00Z");

describe("Zoom meetings", () => {
  let single: Awaited<ReturnType<MeetingProvider["createMeeting"]>>;
  let series: Awaited<ReturnType<MeetingProvider["createMeeting"]>>;

  it("says what Zoom offers", () => {
    expect(meetings).toMatchObject({ provider: "zoom", capabilities: { attendance: "both", recordings: true, recurrence: "platform" } });
  });

  it("creates one meeting (type 2) in local time with its zone; the id stays exact", async () => {
    single = await meetings.createMeeting(conn, { topic: "Toán 7A — ôn tập", startsAt: TUESDAY, durationMinutes: 45, timezone: TZ, agenda: "Chương 2: số thực" }, "lesson:7a:2027-01-05");
    expect(single.externalId).toBe(FIRST_ID.toString());
    const made = zoom.meetings.get(single.externalId)!;
    expect(single).toEqual({ provider: "zoom", externalId: made.id, joinUrl: made.join_url, hostUrl: made.start_url, passcode: made.password });
    const sent = lastRequest("POST", "/v2/users/me/meetings").body;
    expect(sent).toEqual({
      topic: "Toán 7A — ôn tập",
      type: 2,
      start_time: "2027-01-05T10:00:00",
      duration: 45,
      timezone: TZ,
      agenda: "Chương 2: số thực\n\n[lopso:lesson:7a:2027-01-05]",
    });
    expect(made.start_time).toBe("2027-01-05T03:00:00Z");
  });

  it("creates a weekly series on Tuesdays and Thursdays, ten times, with Zoom's occurrences", async () => {
    series = await meetings.createMeeting(conn, { topic: "Văn 8B", startsAt: TUESDAY, durationMinutes: 45, timezone: TZ, recurrence: { weekdays: [2, 4], count: 10 } }, "series:8b:hk2");
    expect(lastRequest("POST", "/v2/users/me/meetings").body).toMatchObject({
      type: 8,
      start_time: "2027-01-05T10:00:00",
      timezone: TZ,
      recurrence: { type: 2, repeat_interval: 1, weekly_days: "3,5", end_times: 10 },
    });
    const occ = series.occurrences!;
    expect(occ).toHaveLength(10);
    expect(occ.slice(0, 4).map((o) => o.startsAt.toISOString())).toEqual(["2027-01-05T03:00:00.000Z", "2027-01-07T03:00:00.000Z", "2027-01-12T03:00:00.000Z", "2027-01-14T03:00:00.000Z"]);
    expect(occ.at(-1)!.startsAt.toISOString()).toBe("2027-02-04T03:00:00.000Z");
    for (const o of occ) {
      expect(o.externalId).toBe(String(o.startsAt.getTime()));
      expect([2, 4]).toContain(o.startsAt.getUTCDay());
    }
  });

  it("moves one occurrence, then changes the whole series, keeping the key in the agenda", async () => {
    const third = series.occurrences![2]!;
    const moved = await meetings.updateMeeting(conn, series, { startsAt: new Date("2027-01-13T08:00:00Z"), durationMinutes: 60 }, third);
    const patch = lastRequest("PATCH", `/v2/meetings/${series.externalId}`);
    expect(patch.query).toEqual({ occurrence_id: third.externalId });
    expect(patch.body).toEqual({ start_time: "2027-01-13T15:00:00", timezone: TZ, duration: 60 });
    expect(moved.occurrences).toHaveLength(10);
    expect(moved.occurrences!.find((o) => o.externalId === third.externalId)!.startsAt.toISOString()).toBe("2027-01-13T08:00:00.000Z");
    expect(moved.occurrences![3]!.startsAt.toISOString()).toBe("2027-01-14T03:00:00.000Z");

    const whole = await meetings.updateMeeting(conn, series, { topic: "Ngữ văn 8B", durationMinutes: 40, agenda: "Học kỳ II" });
    expect(lastRequest("PATCH", `/v2/meetings/${series.externalId}`)).toMatchObject({ query: {}, body: { topic: "Ngữ văn 8B", duration: 40, agenda: "Học kỳ II\n\n[lopso:series:8b:hk2]" } });
    const m = zoom.meetings.get(series.externalId)!;
    expect(m).toMatchObject({ topic: "Ngữ văn 8B", duration: 40 });
    expect(whole.joinUrl).toBe(m.join_url);
    expect(whole.occurrences).toHaveLength(10);
    // The occurrence moved before stays where it was put.
    expect(whole.occurrences!.find((o) => o.externalId === third.externalId)!.startsAt.toISOString()).toBe("2027-01-13T08:00:00.000Z");
    expect(m.occurrences!.every((o) => o.duration === 40)).toBe(true);
  });

  it("cancels one occurrence, then the series; a meeting already gone is done", async () => {
    const second = series.occurrences![1]!;
    await meetings.cancelMeeting(conn, series, second);
    expect(lastRequest("DELETE", `/v2/meetings/${series.externalId}`).query).toEqual({ occurrence_id: second.externalId });
    const m = zoom.meetings.get(series.externalId)!;
    expect(m.occurrences!.filter((o) => o.status === "deleted").map((o) => o.occurrence_id)).toEqual([second.externalId]);
    const left = await meetings.updateMeeting(conn, series, {});
    expect(left.occurrences).toHaveLength(9);

    await meetings.cancelMeeting(conn, series);
    expect(zoom.meetings.has(series.externalId)).toBe(false);
    await expect(meetings.cancelMeeting(conn, series)).resolves.toBeUndefined();
    await expect(meetings.cancelMeeting(conn, { provider: "zoom", externalId: "81234567890", joinUrl: "x" })).resolves.toBeUndefined();
    const e = await failure(meetings.updateMeeting(conn, series, { topic: "x" }));
    expect(e).toMatchObject({ code: "not_found", providerCode: "3001" });
  });

  it("re-sends once with a new token after a 401 on the cached one", async () => {
    const tokens = zoom.calls.token;
    const posts = requestsTo("POST", "/v2/users/me/meetings").length;
    zoom.revokeTokens();
    const ref = await meetings.createMeeting(conn, { topic: "Sinh hoạt lớp", startsAt: TUESDAY, durationMinutes: 30, timezone: TZ }, "homeroom:6a1");
    expect(zoom.meetings.has(ref.externalId)).toBe(true);
    expect(zoom.calls.token - tokens).toBe(1);
    expect(requestsTo("POST", "/v2/users/me/meetings").length - posts).toBe(2);
  });

  it("waits out a per-second 429's Retry-After and sends again", async () => {
    const posts = requestsTo("POST", "/v2/users/me/meetings").length;
    zoom.throttleNext(1, "QPS", "1");
    const t0 = Date.now();
    const ref = await meetings.createMeeting(conn, { topic: "Tiếng Anh 6A1", startsAt: TUESDAY, durationMinutes: 45, timezone: TZ }, "english:6a1");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(zoom.meetings.has(ref.externalId)).toBe(true);
    expect(requestsTo("POST", "/v2/users/me/meetings").length - posts).toBe(2);
  });

  it("refuses a host's 101st create in a UTC day here, without asking Zoom", async () => {
    const pathname = `/v2/users/${encodeURIComponent(LAN.email)}/meetings`;
    let last;
    for (let i = 0; i < 100; i++) {
      last = await meetings.createMeeting(conn, { topic: `Bài ${i + 1}`, startsAt: TUESDAY, durationMinutes: 45, timezone: TZ, hostUserId: LAN.email }, `lan:${i}`);
    }
    expect(requestsTo("POST", pathname)).toHaveLength(100);
    expect(zoom.writesToday(LAN.id)).toBe(100);
    const e = await failure(meetings.createMeeting(conn, { topic: "Bài 101", startsAt: TUESDAY, durationMinutes: 45, timezone: TZ, hostUserId: LAN.email }, "lan:100"));
    const midnight = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1));
    expect(e).toMatchObject({ code: "rate_limited", budget: "per_user_day", retryAt: midnight, retryable: true });
    expect(requestsTo("POST", pathname)).toHaveLength(100);
    // An update is a write too, and the host's meetings are counted by host, not by the address used.
    const patches = zoom.requests.filter((r) => r.method === "PATCH").length;
    await expect(meetings.updateMeeting(conn, last!, { topic: "Đổi tên" })).rejects.toMatchObject({ code: "rate_limited", budget: "per_user_day" });
    expect(zoom.requests.filter((r) => r.method === "PATCH").length).toBe(patches);
  });

  it("Zoom's own daily 429 for a host closes that host's writes for every process until 00:00 UTC", async () => {
    zoom.setWritesToday(BINH.id, 100);
    const pathname = `/v2/users/${BINH.id}/meetings`;
    const e = await failure(meetings.createMeeting(conn, { topic: "Lý 8B", startsAt: TUESDAY, durationMinutes: 45, timezone: TZ, hostUserId: BINH.id }, "binh:1"));
    expect(e).toMatchObject({ code: "rate_limited", budget: "per_user_day", status: 429 });
    expect(e.providerMessage).toContain("daily rate limit (100) of Meeting Create/Update");
    expect(e.retryAt).toEqual(new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1)));
    const sent = requestsTo("POST", pathname).length;
    // Zoom sends this 429 without Retry-After, so the HTTP layer tries it up to three times.
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(3);
    await expect(meetings.createMeeting(conn, { topic: "Lý 8B", startsAt: TUESDAY, durationMinutes: 45, timezone: TZ, hostUserId: BINH.id }, "binh:2")).rejects.toMatchObject({
      code: "rate_limited",
      budget: "per_user_day",
    });
    expect(requestsTo("POST", pathname).length).toBe(sent);
    // Another host of the same account is not held back.
    await expect(meetings.createMeeting(conn, { topic: "Hoá 9A", startsAt: TUESDAY, durationMinutes: 45, timezone: TZ }, "host1:hoa")).resolves.toMatchObject({ provider: "zoom" });
  });

  it("reads attendance over two pages of Zoom's participants, a phone without email among them", async () => {
    const held: FakeParticipant[] = Array.from({ length: 450 }, (_, i) => ({
      id: `u${i}`,
      user_id: String(16778240 + i),
      name: `Học sinh ${i + 1}`,
      user_email: `hs${i + 1}@nguyendu.edu.vn`,
      join_time: "2027-01-05T03:00:05Z",
      leave_time: "2027-01-05T03:44:00Z",
      duration: 2635,
      status: "in_meeting",
    }));
    held[321] = { id: "", user_id: "16799999", name: "iPhone của An", user_email: "", join_time: "2027-01-05T03:05:00Z", leave_time: "2027-01-05T03:40:00Z", duration: 2100 };
    zoom.setParticipants(single.externalId, held);
    const window = { from: new Date("2027-01-05T02:50:00Z"), to: new Date("2027-01-05T04:00:00Z") };
    const pages = await allPages(meetings.readAttendance(conn, single, window));
    expect(pages.map((p) => p.items.length)).toEqual([300, 150]);
    expect(pages[0]!.nextCursor).toBeTruthy();
    expect(pages[1]!.nextCursor).toBeNull();
    const reads = requestsTo("GET", `/v2/past_meetings/${single.externalId}/participants`);
    expect(reads.map((r) => r.query)).toEqual([{ page_size: "300" }, { page_size: "300", next_page_token: pages[0]!.nextCursor }]);
    const all = pages.flatMap((p) => p.items);
    const an = all.find((r) => r.identities.some((i) => i.value === "iPhone của An"))!;
    expect(an).toEqual<AttendanceRecord>({
      identities: [
        { kind: "participant_id", value: "16799999" },
        { kind: "display_name", value: "iPhone của An" },
      ],
      joinedAt: new Date("2027-01-05T03:05:00Z"),
      leftAt: new Date("2027-01-05T03:40:00Z"),
      durationSeconds: 2100,
    });
    expect(all[0]!.identities).toContainEqual({ kind: "email", value: "hs1@nguyendu.edu.vn" });
    // A crashed read resumes from the page it saved.
    const resumed = await allPages(meetings.readAttendance(conn, single, window, pages[0]!.nextCursor!));
    expect(resumed.map((p) => p.items.length)).toEqual([150]);
  });

  it("reads one session of a series by its uuid (encoded twice when it holds //)", async () => {
    const weekly = await meetings.createMeeting(conn, { topic: "Sử 9A", startsAt: TUESDAY, durationMinutes: 45, timezone: TZ, recurrence: { weekdays: [2], count: 4 } }, "series:9a:su");
    zoom.setParticipants(weekly.externalId, [{ user_id: "1", name: "Tuần 1", join_time: "2027-01-05T03:00:00Z", duration: 60 }], { uuid: "week1Xy==", startTime: "2027-01-05T03:00:00Z" });
    zoom.setParticipants(weekly.externalId, [{ user_id: "2", name: "Tuần 2", user_email: "b@nguyendu.edu.vn", join_time: "2027-01-12T03:00:00Z", duration: 60 }], { uuid: "/w2//Ab+c==", startTime: "2027-01-12T03:00:00Z" });
    const first = await allPages(meetings.readAttendance(conn, weekly, { from: new Date("2027-01-05T02:00:00Z"), to: new Date("2027-01-05T05:00:00Z") }));
    expect(first.flatMap((p) => p.items).map((r) => r.identities.at(-1)!.value)).toEqual(["Tuần 1"]);
    const second = await allPages(meetings.readAttendance(conn, weekly, { from: new Date("2027-01-12T02:00:00Z"), to: new Date("2027-01-12T05:00:00Z") }));
    expect(second.flatMap((p) => p.items).map((r) => r.identities.at(-1)!.value)).toEqual(["Tuần 2"]);
    expect(requestsTo("GET", `/v2/past_meetings/${encodeURIComponent(encodeURIComponent("/w2//Ab+c=="))}/participants`)).toHaveLength(1);
    await expect(allPages(meetings.readAttendance(conn, weekly, { from: new Date("2027-01-19T02:00:00Z"), to: new Date("2027-01-19T05:00:00Z") }))).rejects.toMatchObject({ code: "not_found" });
  });

  it("finds a meeting created earlier by its idempotency key, and nothing for another key", async () => {
    const found = await meetings.findByKey(conn, "lesson:7a:2027-01-05", TUESDAY);
    expect(found).toMatchObject({ provider: "zoom", externalId: single.externalId, joinUrl: single.joinUrl });
    expect(requestsTo("GET", "/v2/users/me/meetings").at(-1)!.query).toMatchObject({ type: "upcoming", page_size: "300" });
    expect(await meetings.findByKey(conn, "lesson:7a:2027-01-06", TUESDAY)).toBeNull();
    // A key that is the start of another is not that key.
    expect(await meetings.findByKey(conn, "lesson:7a", TUESDAY)).toBeNull();
  });
});

describe("the fake's webhook sender", () => {
  it("delivers the exact bytes with headers the hub's verifier accepts", async () => {
    const got: { raw: Buffer; headers: http.IncomingHttpHeaders }[] = [];
    const server = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      got.push({ raw: Buffer.concat(chunks), headers: req.headers });
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/zoom/x`;
      // Escapes next to raw UTF-8, as Zoom sends them: a string body goes out unchanged.
      const body = String.raw`{"event":"meeting.ended","payload":{"account_id":"acc_79001","object":{"id":"85393847045","topic":"Lớp 7A – ôn tập"}},"event_ts":1800000000123}`;
      const res = await zoom.sendWebhook(url, "hook-secret-token", body, { timestamp: 1800000000 });
      expect(res.status).toBe(204);
      const [d] = got;
      expect(d!.raw.toString("utf8")).toBe(body);
      expect(d!.headers["x-zm-request-timestamp"]).toBe("1800000000");
      const headers = { signature: String(d!.headers["x-zm-signature"]), timestamp: String(d!.headers["x-zm-request-timestamp"]) };
      expect(verifyZoomSignature(d!.raw, headers, "hook-secret-token", 1800000000_000)).toBe("ok");
      expect(verifyZoomSignature(d!.raw, headers, "another-secret", 1800000000_000)).toBe("mismatch");
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
