/**
 * Attendance comes back: Zoom's signed webhooks (stored at once, processed by the job, a
 * redelivery counted once) and Meet's conference records read once after the end become each
 * student's present / late / left early / absent with minutes; an email match is taken, a name or
 * a device name ("iPhone của An") goes to the teacher to confirm and is remembered; the teacher
 * corrects a row; `attendance.recorded` is written once per student.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { events, liveSessions, platformIdentities, sessionAttendance, sessionParticipants, providerEvents } from "../../db/schema/index.ts";
import { upsertZoomConnection } from "../../app/services/connections/zoom.server.ts";
import { connectionById, testConnection } from "../../app/services/connections/check.server.ts";
import { processZoomEvents, readEndedOccurrences } from "../../app/services/attendance.server.ts";
import { demoLookup } from "../support/demo.ts";
import { htmlText } from "../support/html.ts";
import { connectedGoogleSchool } from "../support/connections.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google/server.ts";
import { startFakeZoom, type FakeZoom } from "../fakes/zoom/server.ts";
import { sendZoomWebhook } from "../fakes/zoom/webhook.ts";

const DOMAIN = "nguyendu.lopso.demo";
const GOOGLE = { clientId: "lopso-79001.apps.googleusercontent.com", clientSecret: "GOCSPX-attendance" };
const ZOOM = { accountId: "acc_79001", clientId: "zoomS2S", clientSecret: "zoom-s2s-secret", user: { id: "zhost", email: `lan.nt@${DOMAIN}`, first_name: "Lan", last_name: "Nguyễn Thị" } };
const HOOK = "zoom-hook-secret-token";

let hub: Hub;
let google: FakeGoogle;
let zoom: FakeZoom;
let lan: Client;
let zoomConnection: string;
const ids: Record<string, string> = {};

/** Vietnam's day and time of an instant, as the scheduling form takes them. */
function local(at: Date) {
  const s = new Date(at.getTime() + 7 * 3_600_000).toISOString();
  return { day: s.slice(0, 10), time: s.slice(11, 16) };
}

beforeAll(async () => {
  google = await startFakeGoogle({ clients: [GOOGLE], accounts: [{ sub: "g-admin", email: `hieutruong@${DOMAIN}`, name: "Vũ Thị Hạnh", hd: DOMAIN }] });
  zoom = await startFakeZoom([ZOOM]);
  Object.assign(process.env, { GOOGLE_ISSUER: google.url, GOOGLE_API_URL: `${google.url}/`, ZOOM_OAUTH_URL: zoom.url, ZOOM_API_URL: `${zoom.url}/v2` });
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  const thcs = await find.school("79001");
  for (const k of ["an.nv", "binh.tt", "cuong.lh", "giang.ht"]) ids[k] = await find.user(`${k}@${DOMAIN}`);
  const cli = { actorId: null, address: "cli" };
  zoomConnection = (await upsertZoomConnection(hub.database.db, { schoolCode: "79001", ...ZOOM, webhookSecret: HOOK }, cli)).id;
  expect((await testConnection(hub.database.db, (await connectionById(hub.database.db, zoomConnection))!, cli)).ok).toBe(true);
  await connectedGoogleSchool(hub.database.db, google, { schoolId: thcs, client: GOOGLE, admin: `hieutruong@${DOMAIN}`, domain: DOMAIN });
  lan = await hub.as(`lan.nt@${DOMAIN}`);
});

afterAll(async () => {
  await hub?.close();
  await Promise.all([google?.close(), zoom?.close()]);
});

async function schedule(platform: string, start: Date, title: string) {
  const res = await lan.post(`/classes/${await demoLookup(hub.database.db).class("6A1", "toan")}/sessions/new`, { title, platform, ...local(start), duration: "45" });
  expect(res.status).toBe(302);
  const [row] = await hub.database.db.select().from(liveSessions).where(eq(liveSessions.title, title));
  expect(row.syncState).toBe("synced");
  return row;
}

const participant = (meetingId: string, p: Record<string, string>, event: string, ts: number) => ({
  event,
  event_ts: ts,
  payload: { account_id: ZOOM.accountId, object: { id: meetingId, uuid: "uuid-" + meetingId, host_id: "zhost", topic: "Toán", participant: p } },
});

describe("attendance", () => {
  it("from Zoom's webhooks: email matches, a phone's name goes to the teacher, a redelivery counts once", async () => {
    // An occurrence that began an hour ago and has ended.
    const start = new Date(Math.floor((Date.now() - 60 * 60_000) / 60_000) * 60_000);
    const s = await schedule("zoom", start, "Toán trên Zoom — điểm danh");
    const at = (min: number) => new Date(start.getTime() + min * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const url = `${hub.url}/webhooks/zoom/${zoomConnection}`;
    const hooks = [
      participant(s.externalId!, { id: "p-an", user_id: "16778240", user_name: "Nguyễn Văn An", email: `an.nv@${DOMAIN}`, join_time: at(1) }, "meeting.participant_joined", 1),
      participant(s.externalId!, { id: "p-an", user_id: "16778240", user_name: "Nguyễn Văn An", email: `an.nv@${DOMAIN}`, leave_time: at(44) }, "meeting.participant_left", 2),
      participant(s.externalId!, { id: "p-binh", user_id: "16778241", user_name: "Trần Thị Bình", email: `binh.tt@${DOMAIN}`, join_time: at(15) }, "meeting.participant_joined", 3),
      participant(s.externalId!, { id: "p-phone", user_id: "16778242", user_name: "iPhone của Cường", join_time: at(0) }, "meeting.participant_joined", 4),
      participant(s.externalId!, { id: "p-phone", user_id: "16778242", user_name: "iPhone của Cường", leave_time: at(20) }, "meeting.participant_left", 5),
    ];
    for (const h of hooks) expect((await sendZoomWebhook(url, HOOK, h)).status).toBe(200);
    // Zoom delivers one again.
    expect((await sendZoomWebhook(url, HOOK, hooks[0])).status).toBe(200);
    expect(await hub.database.db.select().from(providerEvents).where(eq(providerEvents.connectionId, zoomConnection))).toHaveLength(5);
    expect(await processZoomEvents(hub.database.db)).toEqual({ processed: 5, ignored: 0 });
    expect(await hub.database.db.select().from(sessionParticipants).where(eq(sessionParticipants.sessionId, s.id))).toHaveLength(3);

    const page = `/sessions/${s.id}/attendance?at=${encodeURIComponent(s.startsAt.toISOString())}`;
    const html = await lan.html(page);
    expect(html.status).toBe(200);
    const text = htmlText(html.text);
    expect(text).toContain("Cần xác nhận");
    expect(text).toContain("iPhone của Cường");
    const rows = await hub.database.db.select().from(sessionAttendance).where(eq(sessionAttendance.sessionId, s.id));
    const statusOf = (k: string) => rows.find((r) => r.studentId === ids[k])?.status;
    expect([statusOf("an.nv"), statusOf("binh.tt"), statusOf("cuong.lh"), statusOf("giang.ht")]).toEqual(["present", "late", "absent", "absent"]);
    // While someone is unconfirmed, nobody is reported absent; the present and late are.
    const sent = await hub.database.db.select().from(events).where(eq(events.type, "attendance.recorded"));
    expect(sent.map((e) => (e.payload as { status: string }).status).sort()).toEqual(["late", "present"]);

    // The teacher confirms the phone was Cường: remembered, and he is left early (20 of 45 minutes).
    const minh = await hub.as(`minh.tv@${DOMAIN}`);
    expect((await minh.post(page, { intent: "confirm", personKey: "p-phone", studentId: ids["cuong.lh"] })).status).toBe(404);
    expect((await lan.post(page, { intent: "confirm", personKey: "p-phone", studentId: ids["cuong.lh"] })).status).toBe(200);
    expect(await hub.database.db.select().from(platformIdentities).where(eq(platformIdentities.personKey, "p-phone"))).toMatchObject([{ provider: "zoom", studentId: ids["cuong.lh"] }]);
    const [cuong] = await hub.database.db.select().from(sessionAttendance).where(and(eq(sessionAttendance.sessionId, s.id), eq(sessionAttendance.studentId, ids["cuong.lh"])));
    expect(cuong).toMatchObject({ status: "left_early", minutes: 20 });
    // Now everyone is known: Giang's absence is reported too, and nobody twice.
    const after = await hub.database.db.select().from(events).where(eq(events.type, "attendance.recorded"));
    expect(after).toHaveLength(4);
    expect(after.find((e) => e.studentId === ids["giang.ht"])?.payload).toMatchObject({ status: "absent", platform: "zoom" });

    // The teacher corrects Giang (she was there by phone call); the correction stays on recompute.
    expect((await lan.post(page, { intent: "correct", studentId: ids["giang.ht"], status: "present" })).status).toBe(200);
    await lan.html(page);
    const [giang] = await hub.database.db.select().from(sessionAttendance).where(and(eq(sessionAttendance.sessionId, s.id), eq(sessionAttendance.studentId, ids["giang.ht"])));
    expect(giang).toMatchObject({ status: "present", source: "teacher" });

    // An's father sees it on An's page.
    const hung = await hub.as("0912345678");
    const child = htmlText((await hung.html(`/children/${ids["an.nv"]}`)).text);
    expect(child).toContain("Điểm danh buổi học trực tuyến");
    expect(child).toContain("Toán trên Zoom — điểm danh");
    expect(child).toMatch(/Có mặt \(\d+ phút\)/);
  });

  it("a recording reaches the class through the hub's link; parents only when the teacher allows", async () => {
    const [s] = await hub.database.db.select().from(liveSessions).where(eq(liveSessions.title, "Toán trên Zoom — điểm danh"));
    const event = {
      event: "recording.completed",
      event_ts: Date.now(),
      payload: {
        account_id: ZOOM.accountId,
        object: {
          id: s.externalId,
          uuid: "rec-uuid",
          start_time: s.startsAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
          duration: 44,
          share_url: "https://zoom.example/share/never-shown",
          recording_files: [
            { id: "f-audio", file_type: "M4A", status: "completed", play_url: "https://zoom.example/rec/play/audio", recording_start: s.startsAt.toISOString() },
            { id: "f-video", file_type: "MP4", status: "completed", play_url: "https://zoom.example/rec/play/video", recording_start: s.startsAt.toISOString() },
          ],
        },
      },
    };
    expect((await sendZoomWebhook(`${hub.url}/webhooks/zoom/${zoomConnection}`, HOOK, event)).status).toBe(200);
    expect((await processZoomEvents(hub.database.db)).processed).toBe(1);
    const an = await hub.as(`an.nv@${DOMAIN}`);
    const page = (await an.html(`/sessions/${s.id}`)).text;
    const link = /href="(\/sessions\/[0-9a-f-]+\/recordings\/[0-9a-f-]+)"/.exec(page)![1];
    expect(page).not.toContain("zoom.example");
    const go = await an.get(link);
    expect(go.status).toBe(302);
    expect(go.headers.get("location")).toBe("https://zoom.example/rec/play/video");
    const hung = await hub.as("0912345678");
    expect((await hung.get(link)).status).toBe(404);
    expect((await (await hub.as("khoa.bd@nguyendu.lopso.demo")).get(link)).status).toBe(404);
    const recordingId = link.split("/").pop()!;
    expect((await lan.post(`/sessions/${s.id}`, { intent: "recording-parents", recordingId, allow: "1" })).status).toBe(200);
    expect((await hung.get(link)).headers.get("location")).toBe("https://zoom.example/rec/play/video");
  });

  it("from Meet's conference record, read once after the end by the job", async () => {
    const start = new Date(Math.floor((Date.now() - 90 * 60_000) / 60_000) * 60_000);
    const s = await schedule("google", start, "Toán trên Meet — điểm danh");
    const at = (min: number) => new Date(start.getTime() + min * 60_000);
    google.meet.addConference(s.externalId!, {
      start: at(0),
      end: at(45),
      participants: [
        { displayName: "Hoàng Thu Giang", user: "users/giang", sessions: [{ start: at(2), end: at(20) }, { start: at(22), end: at(45) }] },
        { displayName: "Trần Thị Bình", sessions: [{ start: at(0), end: at(45) }] },
      ],
    });
    const first = await readEndedOccurrences(hub.database.db);
    expect(first.read).toBeGreaterThanOrEqual(1);
    const joins = await hub.database.db.select().from(sessionParticipants).where(eq(sessionParticipants.sessionId, s.id));
    expect(joins.map((j) => j.displayName).sort()).toEqual(["Hoàng Thu Giang", "Trần Thị Bình"]);
    // Nobody is matched by name alone: both go to the teacher.
    const view = htmlText((await lan.html(`/sessions/${s.id}/attendance?at=${encodeURIComponent(s.startsAt.toISOString())}`)).text);
    expect(view).toContain("Cần xác nhận");
    // Read once: the job does not read it again.
    const calls = google.meet.calls["conferenceRecords.list"];
    await readEndedOccurrences(hub.database.db);
    expect(google.meet.calls["conferenceRecords.list"]).toBe(calls);
  });
});
