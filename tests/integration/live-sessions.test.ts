/**
 * Live sessions end to end over HTTP: a teacher schedules a weekly "Liên kết" session and a
 * Google Meet one (made on the fake Meet through the school's connection) and a Zoom one that
 * waits, "chưa đồng bộ", until the school connects Zoom; students join through the hub while an
 * occurrence is open (recorded), parents read, others are refused; the teacher cancels one
 * occurrence and a whole session; the host's link reaches only teachers; the iCalendar feed
 * parses with ical.js into the right local times, with the cancelled occurrence excluded.
 */
import { and, eq } from "drizzle-orm";
import ICAL from "ical.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveSessionExceptions, liveSessions, sessionJoins } from "../../db/schema/index.ts";
import { upsertZoomConnection } from "../../app/services/connections/zoom.server.ts";
import { connectionById, testConnection } from "../../app/services/connections/check.server.ts";
import { syncPending } from "../../app/services/live-sessions.server.ts";
import { calendarToken } from "../../app/services/calendar.server.ts";
import { env } from "../../app/env.server.ts";
import { vnDate, vnInstant } from "../../app/lib/sessions.ts";
import { demoLookup } from "../support/demo.ts";
import { htmlText } from "../support/html.ts";
import { connectedGoogleSchool } from "../support/connections.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google/server.ts";
import { startFakeZoom, type FakeZoom } from "../fakes/zoom/server.ts";

const DOMAIN = "nguyendu.lopso.demo";
const GOOGLE = { clientId: "lopso-79001.apps.googleusercontent.com", clientSecret: "GOCSPX-sessions" };
const ZOOM = { accountId: "acc_79001", clientId: "zoomS2S", clientSecret: "zoom-s2s-secret", user: { id: "zhost", email: `lan.nt@${DOMAIN}`, first_name: "Lan", last_name: "Nguyễn Thị" } };

let hub: Hub;
let google: FakeGoogle;
let zoom: FakeZoom;
let toan6: string;
let lan: Client;
let an: Client;

beforeAll(async () => {
  google = await startFakeGoogle({ clients: [GOOGLE], accounts: [{ sub: "g-admin", email: `hieutruong@${DOMAIN}`, name: "Vũ Thị Hạnh", hd: DOMAIN }] });
  zoom = await startFakeZoom([ZOOM]);
  Object.assign(process.env, { GOOGLE_ISSUER: google.url, GOOGLE_API_URL: `${google.url}/`, ZOOM_OAUTH_URL: zoom.url, ZOOM_API_URL: `${zoom.url}/v2` });
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  toan6 = await find.class("6A1", "toan");
  const thcs = await find.school("79001");
  await connectedGoogleSchool(hub.database.db, google, { schoolId: thcs, client: GOOGLE, admin: `hieutruong@${DOMAIN}`, domain: DOMAIN });
  lan = await hub.as(`lan.nt@${DOMAIN}`);
  an = await hub.as(`an.nv@${DOMAIN}`);
});

afterAll(async () => {
  await hub?.close();
  await Promise.all([google?.close(), zoom?.close()]);
});

const NEW = () => `/classes/${toan6}/sessions/new`;

/** A start five minutes ago (so the session is open now), as the form's day and time. */
function nowish() {
  const start = new Date(Math.floor((Date.now() - 5 * 60_000) / 60_000) * 60_000);
  const local = new Date(start.getTime() + 7 * 3_600_000).toISOString();
  return { start, day: local.slice(0, 10), time: local.slice(11, 16) };
}

async function schedule(fields: Record<string, string>, weekdays: string[] = []) {
  const body = new URLSearchParams(fields);
  for (const d of weekdays) body.append("weekdays", d);
  const res = await lan.post(NEW(), body);
  return res;
}

async function sessionId(res: Response) {
  expect(res.status).toBe(302);
  const m = /^\/sessions\/([0-9a-f-]{36})\?created=1$/.exec(res.headers.get("location") ?? "");
  expect(m).not.toBeNull();
  return m![1];
}

let linkSession = "";

describe("scheduling", () => {
  it("refuses a link session without an https link, and a repeat without an end, naming the field", async () => {
    const { day, time } = nowish();
    const noLink = await schedule({ title: "Ôn tập", platform: "link", day, time, duration: "45", linkUrl: "http://example.com/x" });
    expect(noLink.status).toBe(400);
    expect(htmlText(await noLink.text())).toContain("Cần một địa chỉ bắt đầu bằng https://.");
    const noEnd = await schedule({ title: "Ôn tập", platform: "link", day, time, duration: "45", linkUrl: "https://meet.example.vn/on-tap", repeat: "weekly" });
    expect(noEnd.status).toBe(400);
    expect(htmlText(await noEnd.text())).toContain("Buổi học lặp lại cần ngày kết thúc hoặc số buổi.");
    // Only the demo's weekly session: nothing was stored.
    expect(await hub.database.db.select().from(liveSessions)).toHaveLength(1);
  });

  it("schedules a weekly link session for the class; the student sees it on Hôm nay with Tham gia", async () => {
    const { day, time, start } = nowish();
    linkSession = await sessionId(await schedule({ title: "Toán — ôn tập", platform: "link", day, time, duration: "45", linkUrl: "https://meet.example.vn/toan-6a1", repeat: "weekly", count: "4" }));
    const [row] = await hub.database.db.select().from(liveSessions).where(eq(liveSessions.id, linkSession));
    expect(row).toMatchObject({ platform: "link", syncState: "synced", count: 4, durationMinutes: 45, joinUrl: "https://meet.example.vn/toan-6a1" });
    expect(row.startsAt.toISOString()).toBe(start.toISOString());
    const today = await an.html("/today");
    expect(today.text).toContain(`href="/sessions/${linkSession}/join"`);
    expect(htmlText(today.text)).toContain("Toán — ôn tập");
  });

  it("Tham gia records the join and goes to the link; a parent reads but cannot join; others are refused", async () => {
    const res = await an.get(`/sessions/${linkSession}/join`);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://meet.example.vn/toan-6a1");
    expect(await hub.database.db.select().from(sessionJoins).where(eq(sessionJoins.sessionId, linkSession))).toHaveLength(1);
    const hung = await hub.as("0912345678");
    expect((await hung.get(`/sessions/${linkSession}`)).status).toBe(200);
    expect((await hung.get(`/sessions/${linkSession}/join`)).status).toBe(403);
    for (const other of ["khoa.bd@nguyendu.lopso.demo", "hoa.lt@kimdong.lopso.demo"]) {
      const c = await hub.as(other);
      expect((await c.get(`/sessions/${linkSession}`)).status).toBe(404);
      expect((await c.get(`/sessions/${linkSession}/join`)).status).toBe(404);
    }
    expect((await hub.client().get(`/sessions/${linkSession}/join`)).headers.get("location")).toMatch(/^\/login/);
  });

  it("makes a Google Meet session on the school's connection; a Zoom one waits until Zoom is connected", async () => {
    const { day, time } = nowish();
    const meet = await sessionId(await schedule({ title: "Ngữ văn trên Meet", platform: "google", day, time, duration: "40" }));
    const [m] = await hub.database.db.select().from(liveSessions).where(eq(liveSessions.id, meet));
    expect(m).toMatchObject({ syncState: "synced" });
    expect(m.externalId).toMatch(/^spaces\//);
    expect(m.joinUrl).toMatch(/^https:\/\/meet\.google\.com\//);

    const z = await sessionId(await schedule({ title: "Toán trên Zoom", platform: "zoom", day, time, duration: "45", repeat: "weekly", until: vnDate(new Date(Date.now() + 21 * 86_400_000)) }));
    let [row] = await hub.database.db.select().from(liveSessions).where(eq(liveSessions.id, z));
    expect(row).toMatchObject({ syncState: "pending", syncMessage: "not_connected", externalId: null });
    expect(htmlText((await lan.html(`/sessions/${z}`)).text)).toContain("chưa đồng bộ — chưa có kết nối tới nền tảng này");
    // The school connects Zoom; the sync job makes the meeting with what the teacher typed.
    const cli = { actorId: null, address: "cli" };
    const saved = await upsertZoomConnection(hub.database.db, { schoolCode: "79001", ...ZOOM, webhookSecret: "hook-secret-token" }, cli);
    expect((await testConnection(hub.database.db, (await connectionById(hub.database.db, saved.id))!, cli)).ok).toBe(true);
    const synced = await syncPending(hub.database.db);
    [row] = await hub.database.db.select().from(liveSessions).where(eq(liveSessions.id, z));
    expect({ synced: synced.synced, message: row.syncMessage }).toEqual({ synced: 1, message: null });
    [row] = await hub.database.db.select().from(liveSessions).where(eq(liveSessions.id, z));
    expect(row).toMatchObject({ syncState: "synced", title: "Toán trên Zoom" });
    expect(row.joinUrl).toBeTruthy();
    expect(row.hostUrl).toBeTruthy();
    // The host's start link: on the teacher's page, never on the student's.
    expect((await lan.html(`/sessions/${z}`)).text).toContain('data-testid="host-link"');
    const studentPage = (await an.html(`/sessions/${z}`)).text;
    expect(studentPage).not.toContain(row.hostUrl!);
    expect(studentPage).not.toContain("host-link");
  });

  it("cancels one occurrence of the weekly session, then a whole session; Tham gia then says it is closed", async () => {
    const [row] = await hub.database.db.select().from(liveSessions).where(eq(liveSessions.id, linkSession));
    const second = new Date(row.startsAt.getTime() + 7 * 86_400_000);
    const minh = await hub.as(`minh.tv@${DOMAIN}`);
    expect((await minh.post(`/sessions/${linkSession}`, { intent: "cancel", occurrence: second.toISOString() })).status).toBe(404);
    const res = await lan.post(`/sessions/${linkSession}`, { intent: "cancel", occurrence: second.toISOString() });
    expect(res.status).toBe(200);
    expect(await hub.database.db.select().from(liveSessionExceptions).where(and(eq(liveSessionExceptions.sessionId, linkSession), eq(liveSessionExceptions.cancelled, true)))).toHaveLength(1);
    // An occurrence the series does not have: not found.
    expect((await lan.post(`/sessions/${linkSession}`, { intent: "cancel", occurrence: new Date(second.getTime() + 3_600_000).toISOString() })).status).toBe(404);

    const [meet] = await hub.database.db.select().from(liveSessions).where(eq(liveSessions.title, "Ngữ văn trên Meet"));
    expect((await lan.post(`/sessions/${meet.id}`, { intent: "cancel" })).status).toBe(200);
    const closed = await an.get(`/sessions/${meet.id}/join`);
    expect(closed.headers.get("location")).toBe(`/sessions/${meet.id}?closed=1`);
  });
});

describe("the calendar feed", () => {
  it("parses with ical.js: the weekly series at its local time, the cancelled week excluded, stable UIDs", async () => {
    const token = await calendarToken(hub.database.db, env().SECRET_KEY, (await demoLookup(hub.database.db).user(`an.nv@${DOMAIN}`)));
    const res = await hub.client().get(`/calendar/${token}.ics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/calendar");
    const text = await res.text();
    const cal = new ICAL.Component(ICAL.parse(text));
    expect(cal.getFirstSubcomponent("vtimezone")?.getFirstPropertyValue("tzid")).toBe("Asia/Ho_Chi_Minh");
    const events = cal.getAllSubcomponents("vevent").map((v) => new ICAL.Event(v));
    const series = events.find((e) => e.uid === `${linkSession}@lopso`)!;
    expect(series.summary).toContain("Toán — ôn tập");
    expect(series.isRecurring()).toBe(true);
    const [row] = await hub.database.db.select().from(liveSessions).where(eq(liveSessions.id, linkSession));
    const it = series.iterator();
    const starts: string[] = [];
    for (let next = it.next(); next && starts.length < 10; next = it.next()) {
      const exdates = series.component.getAllProperties("exdate").map((p) => (p.getFirstValue() as ICAL.Time).toUnixTime());
      if (!exdates.includes(next.toUnixTime())) starts.push(new Date(next.toUnixTime() * 1000).toISOString());
    }
    // Four weekly occurrences, the second cancelled: three remain, each at the first one's time.
    expect(starts).toEqual([0, 14, 21].map((d) => new Date(row.startsAt.getTime() + d * 86_400_000).toISOString()));
    expect(series.component.getFirstPropertyValue("url")).toBe(`${hub.url}/sessions/${linkSession}/join`);
    // The Zoom session is a series too; the cancelled Meet one says so.
    const meet = events.find((e) => e.summary.includes("Ngữ văn trên Meet"))!;
    expect(meet.component.getFirstPropertyValue("status")).toBe("CANCELLED");
    expect(vnInstant(vnDate(row.startsAt), "00:00").getTime()).toBeLessThanOrEqual(row.startsAt.getTime());
  });

  it("a wrong or renewed token is not found", async () => {
    const anId = await demoLookup(hub.database.db).user(`an.nv@${DOMAIN}`);
    const old = await calendarToken(hub.database.db, env().SECRET_KEY, anId);
    expect((await hub.client().get(`/calendar/${old.slice(0, -1)}${old.endsWith("A") ? "B" : "A"}.ics`)).status).toBe(404);
    const renewed = await calendarToken(hub.database.db, env().SECRET_KEY, anId, true);
    expect((await hub.client().get(`/calendar/${old}.ics`)).status).toBe(404);
    expect((await hub.client().get(`/calendar/${renewed}.ics`)).status).toBe(200);
  });
});
