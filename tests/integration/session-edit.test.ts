/**
 * Editing live sessions over HTTP: a teacher renames and moves a weekly Zoom series (the fake Zoom
 * receives the PATCH with the new topic and time, cancelled weeks move with the series), moves one
 * occurrence (Zoom's occurrence PATCH; the calendar feed gets a RECURRENCE-ID override), edits a
 * Meet session and a "Liên kết" one (the hub's schedule; the link changes), sets when a late
 * arrival counts as late (attendance follows), and the form names a bad field. Students, parents
 * and another class's teacher cannot reach the edit page.
 */
import { and, eq } from "drizzle-orm";
import ICAL from "ical.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveSessionExceptions, liveSessions } from "../../db/schema/index.ts";
import { upsertZoomConnection } from "../../app/services/connections/zoom.server.ts";
import { connectionById, testConnection } from "../../app/services/connections/check.server.ts";
import { computeAttendance, recordJoins } from "../../app/services/attendance.server.ts";
import { calendarToken } from "../../app/services/calendar.server.ts";
import { env } from "../../app/env.server.ts";
import { vnDate } from "../../app/lib/sessions.ts";
import { demoLookup } from "../support/demo.ts";
import { fieldError, htmlText } from "../support/html.ts";
import { connectedGoogleSchool } from "../support/connections.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google/server.ts";
import { startFakeZoom, type FakeZoom } from "../fakes/zoom/server.ts";

const DOMAIN = "nguyendu.lopso.demo";
const GOOGLE = { clientId: "lopso-79001.apps.googleusercontent.com", clientSecret: "GOCSPX-edit" };
const ZOOM = { accountId: "acc_79001", clientId: "zoomS2S", clientSecret: "zoom-s2s-secret", user: { id: "zhost", email: `lan.nt@${DOMAIN}`, first_name: "Lan", last_name: "Nguyễn Thị" } };
const DAY = 86_400_000;

let hub: Hub;
let google: FakeGoogle;
let zoom: FakeZoom;
let toan6: string;
let lan: Client;

beforeAll(async () => {
  google = await startFakeGoogle({ clients: [GOOGLE], accounts: [{ sub: "g-admin", email: `hieutruong@${DOMAIN}`, name: "Vũ Thị Hạnh", hd: DOMAIN }] });
  zoom = await startFakeZoom([ZOOM]);
  Object.assign(process.env, { GOOGLE_ISSUER: google.url, GOOGLE_API_URL: `${google.url}/`, ZOOM_OAUTH_URL: zoom.url, ZOOM_API_URL: `${zoom.url}/v2` });
  hub = await startHub();
  const db = hub.database.db;
  const find = demoLookup(db);
  toan6 = await find.class("6A1", "toan");
  await connectedGoogleSchool(db, google, { schoolId: await find.school("79001"), client: GOOGLE, admin: `hieutruong@${DOMAIN}`, domain: DOMAIN });
  const cli = { actorId: null, address: "cli" };
  const saved = await upsertZoomConnection(db, { schoolCode: "79001", ...ZOOM, webhookSecret: "hook-secret-token" }, cli);
  expect((await testConnection(db, (await connectionById(db, saved.id))!, cli)).ok).toBe(true);
  lan = await hub.as(`lan.nt@${DOMAIN}`);
});

afterAll(async () => {
  await hub?.close();
  await Promise.all([google?.close(), zoom?.close()]);
});

/** Next week's Monday at 07:30 in Vietnam, as the form's day. */
function nextMonday(): string {
  const d = new Date(Date.now() + 7 * 3_600_000);
  const add = ((8 - (d.getUTCDay() || 7)) % 7) + 7;
  return new Date(d.getTime() + add * DAY).toISOString().slice(0, 10);
}

async function schedule(fields: Record<string, string>, weekdays: string[] = []) {
  const body = new URLSearchParams(fields);
  for (const d of weekdays) body.append("weekdays", d);
  const res = await lan.post(`/classes/${toan6}/sessions/new`, body);
  expect(res.status).toBe(302);
  return /\/sessions\/([0-9a-f-]{36})/.exec(res.headers.get("location") ?? "")![1];
}

async function row(id: string) {
  const [r] = await hub.database.db.select().from(liveSessions).where(eq(liveSessions.id, id));
  return r;
}

function form(fields: Record<string, string>, weekdays: string[] = []) {
  const body = new URLSearchParams(fields);
  for (const d of weekdays) body.append("weekdays", d);
  return body;
}

let zoomSession = "";

describe("a weekly Zoom series", () => {
  it("renamed and moved to 08:00 with a longer period: Zoom gets the PATCH, the cancelled week moves with it", async () => {
    const day = nextMonday();
    zoomSession = await schedule({ title: "Toán 6A1 — Zoom", platform: "zoom", day, time: "07:30", duration: "45", repeat: "weekly", count: "6", lateAfterMinutes: "5" });
    const before = await row(zoomSession);
    expect(before).toMatchObject({ syncState: "synced", lateAfterMinutes: 5, sequence: 0 });
    const meeting = zoom.meetings.get(before.externalId!)!;
    expect(meeting.topic).toBe("Toán 6A1 — Zoom");
    // Cancel the second week, then move the whole series by half an hour.
    const second = new Date(before.startsAt.getTime() + 7 * DAY);
    expect((await lan.post(`/sessions/${zoomSession}`, { intent: "cancel", occurrence: second.toISOString() })).status).toBe(200);
    const patches = zoom.requests.filter((r) => r.method === "PATCH").length;
    const res = await lan.post(`/sessions/${zoomSession}/edit`, form({ title: "Toán 6A1 — ôn tập (Zoom)", day, time: "08:00", duration: "60", lateAfterMinutes: "15", count: "6", until: "" }));
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/sessions/${zoomSession}?saved=1`);
    const after = await row(zoomSession);
    expect(after).toMatchObject({ title: "Toán 6A1 — ôn tập (Zoom)", durationMinutes: 60, lateAfterMinutes: 15, syncState: "synced" });
    expect(after.startsAt.getTime() - before.startsAt.getTime()).toBe(30 * 60_000);
    expect(after.sequence).toBeGreaterThan(before.sequence);
    const patch = zoom.requests.filter((r) => r.method === "PATCH").slice(patches);
    expect(patch).toHaveLength(1);
    expect(patch[0].query.occurrence_id).toBeUndefined();
    expect(patch[0].body).toMatchObject({ topic: "Toán 6A1 — ôn tập (Zoom)", duration: 60 });
    expect(zoom.meetings.get(before.externalId!)!.topic).toBe("Toán 6A1 — ôn tập (Zoom)");
    const [ex] = await hub.database.db.select().from(liveSessionExceptions).where(eq(liveSessionExceptions.sessionId, zoomSession));
    expect(ex).toMatchObject({ cancelled: true });
    expect(ex.originalStart.toISOString()).toBe(new Date(second.getTime() + 30 * 60_000).toISOString());
    expect(htmlText((await lan.html(`/sessions/${zoomSession}?saved=1`)).text)).toContain("Đã lưu thay đổi.");
  });

  it("one occurrence moved to Wednesday 14:00: Zoom's occurrence PATCH, the feed's RECURRENCE-ID override", async () => {
    const s = await row(zoomSession);
    const third = new Date(s.startsAt.getTime() + 14 * DAY);
    const to = vnDate(new Date(third.getTime() + 2 * DAY));
    const patches = zoom.requests.filter((r) => r.method === "PATCH").length;
    const page = await lan.html(`/sessions/${zoomSession}/edit?occurrence=${encodeURIComponent(third.toISOString())}`);
    expect(page.status).toBe(200);
    expect(htmlText(page.text)).toContain("Dời một buổi học");
    const res = await lan.post(`/sessions/${zoomSession}/edit?occurrence=${encodeURIComponent(third.toISOString())}`, form({ day: to, time: "14:00", duration: "50" }));
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/sessions/${zoomSession}?moved=1`);
    const patch = zoom.requests.filter((r) => r.method === "PATCH").slice(patches);
    expect(patch).toHaveLength(1);
    expect(patch[0].query.occurrence_id).toBe(String(third.getTime()));
    expect(patch[0].body).toMatchObject({ start_time: `${to}T14:00:00`, duration: 50 });
    const [ex] = await hub.database.db.select().from(liveSessionExceptions).where(and(eq(liveSessionExceptions.sessionId, zoomSession), eq(liveSessionExceptions.cancelled, false)));
    expect(ex.startsAt!.toISOString()).toBe(new Date(`${to}T07:00:00Z`).toISOString());

    const an = await demoLookup(hub.database.db).user(`an.nv@${DOMAIN}`);
    const ics = await (await hub.client().get(`/calendar/${await calendarToken(hub.database.db, env().SECRET_KEY, an)}.ics`)).text();
    const cal = new ICAL.Component(ICAL.parse(ics));
    const mine = cal.getAllSubcomponents("vevent").filter((v) => v.getFirstPropertyValue("uid") === `${zoomSession}@lopso`);
    const override = mine.find((v) => v.hasProperty("recurrence-id"))!;
    expect(override).toBeTruthy();
    const event = new ICAL.Event(override);
    expect(event.startDate.toJSDate().toISOString()).toBe(new Date(`${to}T07:00:00Z`).toISOString());
    expect(event.recurrenceId.toJSDate().toISOString()).toBe(third.toISOString());
    expect(event.summary).toContain("Toán 6A1 — ôn tập (Zoom)");
  });

  it("the late threshold decides who was late", async () => {
    const s = await row(zoomSession);
    const db = hub.database.db;
    const find = demoLookup(db);
    const an = await find.user(`an.nv@${DOMAIN}`);
    const start = s.startsAt;
    // An joins 12 minutes late: under the 15 minutes set, present.
    await recordJoins(db, s.id, start, [{ personKey: `email:an.nv@${DOMAIN}`, displayName: "Nguyễn Văn An", email: `an.nv@${DOMAIN}`, joinedAt: new Date(start.getTime() + 12 * 60_000), leftAt: new Date(start.getTime() + 60 * 60_000) }]);
    let view = await computeAttendance(db, s, start);
    expect(view.rows.find((r) => r.studentId === an)?.status).toBe("present");
    await db.update(liveSessions).set({ lateAfterMinutes: 10 }).where(eq(liveSessions.id, s.id));
    view = await computeAttendance(db, await row(s.id), start);
    expect(view.rows.find((r) => r.studentId === an)?.status).toBe("late");
  });

  it("bad input names the field; a cancelled series cannot be edited", async () => {
    const day = nextMonday();
    const bad = await lan.post(`/sessions/${zoomSession}/edit`, form({ title: "", day, time: "25:00", duration: "5", lateAfterMinutes: "90", count: "6" }));
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(fieldError(html, "title")).toBeTruthy();
    expect(fieldError(html, "time")).toContain("Giờ không hợp lệ");
    expect(fieldError(html, "duration")).toContain("10 đến 300");
    expect(fieldError(html, "lateAfterMinutes")).toContain("0 đến 60");
    expect((await row(zoomSession)).title).toBe("Toán 6A1 — ôn tập (Zoom)");
    expect((await lan.html(`/sessions/${zoomSession}/edit?occurrence=not-a-date`)).status).toBe(404);
    expect((await lan.html(`/sessions/${zoomSession}/edit?occurrence=${encodeURIComponent(new Date().toISOString())}`)).status).toBe(404);
  });
});

describe("Meet and Liên kết", () => {
  it("a Meet session keeps its space and link; the hub's time changes", async () => {
    const day = nextMonday();
    const id = await schedule({ title: "Ngữ văn trên Meet", platform: "google", day, time: "09:00", duration: "40" });
    const before = await row(id);
    expect(before.externalId).toMatch(/^spaces\//);
    const res = await lan.post(`/sessions/${id}/edit`, form({ title: "Ngữ văn — đọc hiểu", day, time: "09:30", duration: "45", lateAfterMinutes: "10" }));
    expect(res.status).toBe(302);
    const after = await row(id);
    expect(after).toMatchObject({ title: "Ngữ văn — đọc hiểu", durationMinutes: 45, externalId: before.externalId, joinUrl: before.joinUrl, syncState: "synced" });
    expect(after.startsAt.getTime() - before.startsAt.getTime()).toBe(30 * 60_000);
  });

  it("a Liên kết session takes a new https link, not another scheme", async () => {
    const day = nextMonday();
    const id = await schedule({ title: "Sinh hoạt lớp", platform: "link", day, time: "15:00", duration: "30", linkUrl: "https://meet.example.vn/sh-6a1" });
    const bad = await lan.post(`/sessions/${id}/edit`, form({ title: "Sinh hoạt lớp", day, time: "15:00", duration: "30", lateAfterMinutes: "10", linkUrl: "javascript:alert(1)" }));
    expect(bad.status).toBe(400);
    expect(fieldError(await bad.text(), "linkUrl")).toContain("https://");
    const ok = await lan.post(`/sessions/${id}/edit`, form({ title: "Sinh hoạt lớp", day, time: "15:00", duration: "30", lateAfterMinutes: "10", linkUrl: "https://meet.example.vn/sh-6a1-moi" }));
    expect(ok.status).toBe(302);
    expect((await row(id)).joinUrl).toBe("https://meet.example.vn/sh-6a1-moi");
  });
});

describe("who may edit", () => {
  it("a student, a parent, another class's teacher and another school's teacher are refused; anonymous goes to sign in", async () => {
    const path = `/sessions/${zoomSession}/edit`;
    for (const who of [`an.nv@${DOMAIN}`, "0912345678", `khoa.bd@${DOMAIN}`]) {
      const c = await hub.as(who);
      expect((await c.get(path)).status).toBe(403);
      expect((await c.post(path, form({ title: "x", day: nextMonday(), time: "07:00", duration: "45", lateAfterMinutes: "10", count: "6" }))).status).toBe(403);
    }
    for (const who of [`minh.tv@${DOMAIN}`, "hoa.lt@kimdong.lopso.demo"]) {
      const c = await hub.as(who);
      expect((await c.get(path)).status).toBe(404);
      expect((await c.post(path, form({ title: "x", day: nextMonday(), time: "07:00", duration: "45", lateAfterMinutes: "10", count: "6" }))).status).toBe(404);
    }
    expect((await row(zoomSession)).title).toBe("Toán 6A1 — ôn tập (Zoom)");
    expect((await hub.client().get(path)).headers.get("location")).toMatch(/^\/login/);
  });
});
