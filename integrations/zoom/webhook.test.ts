import { describe, expect, it } from "vitest";
import { WebhookEvent } from "./schemas.ts";
import { dedupeKey, urlValidationResponse, verifyZoomSignature, zoomSignature } from "./webhook.ts";

// Zoom's published vectors (Jericho/ZoomNet's tests, see /work/shared/samples/zoom/SOURCES.md).
const SECRET = "4fv1RkqGQUq5sWbEz6hA5A";
const VALIDATION_BODY = '{"payload":{"plainToken":"xys8n8PGS7mAU0m5-YJjRA"},"event_ts":1720705455858,"event":"endpoint.url_validation"}';
const VALIDATION_TS = "1720705455";
const VALIDATION_SIG = "v0=93a1a675965ceb9c5a50c5dfb31f20e50f763be37a54ef74cd2d16a1a8e5c0d6";
// Vector 2: literal \\uXXXX escapes next to raw UTF-8 (’ –); only the exact bytes verify.
const STARTED_BODY = String.raw`{"event":"meeting.started","payload":{"account_id":"VjZoEArIT5y-HlWxkV-tVA","object":{"duration":60,"start_time":"2024-07-11T14:12:55Z","timezone":"America/New_York","topic":"Test \uD83D\uDE92\uD83D\uDE92 ? - ’ - – \uD83D\uDE97 HOLA","id":"85393847045","type":2,"uuid":"jUh5o3dKQIytvcsfTtKBlg==","host_id":"8lzIwvZTSOqjndWPbPqzuA"}},"event_ts":1720707175904}`;
const STARTED_TS = "1720707175";
const STARTED_SIG = "v0=1a14e79349318fa1bead50ebbd3c185ae078e182d3bbd30ab8010fcb7f4357c7";
const at = (ts: string, offsetMs = 0) => Number(ts) * 1000 + offsetMs;

describe("verifyZoomSignature", () => {
  it("accepts Zoom's signed url_validation example", () => {
    const raw = Buffer.from(VALIDATION_BODY, "utf8");
    expect(verifyZoomSignature(raw, { signature: VALIDATION_SIG, timestamp: VALIDATION_TS }, SECRET, at(VALIDATION_TS))).toBe("ok");
    expect(verifyZoomSignature(raw, { signature: VALIDATION_SIG.toUpperCase().replace("V0=", "v0="), timestamp: VALIDATION_TS }, SECRET, at(VALIDATION_TS))).toBe("ok");
  });

  it("checks the raw bytes of a body with \\u escapes next to UTF-8", () => {
    const raw = Buffer.from(STARTED_BODY, "utf8");
    const headers = { signature: STARTED_SIG, timestamp: STARTED_TS };
    expect(verifyZoomSignature(raw, headers, SECRET, at(STARTED_TS))).toBe("ok");
    // The same JSON serialised again is other bytes, and does not verify.
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(STARTED_BODY)), "utf8");
    expect(reserialised.equals(raw)).toBe(false);
    expect(verifyZoomSignature(reserialised, headers, SECRET, at(STARTED_TS))).toBe("mismatch");
  });

  it("refuses another secret, another timestamp or a changed body", () => {
    const raw = Buffer.from(VALIDATION_BODY, "utf8");
    const now = at(VALIDATION_TS);
    expect(verifyZoomSignature(raw, { signature: VALIDATION_SIG, timestamp: VALIDATION_TS }, "another-secret", now)).toBe("mismatch");
    expect(verifyZoomSignature(raw, { signature: VALIDATION_SIG, timestamp: String(Number(VALIDATION_TS) + 1) }, SECRET, now)).toBe("mismatch");
    expect(verifyZoomSignature(Buffer.from(VALIDATION_BODY + " ", "utf8"), { signature: VALIDATION_SIG, timestamp: VALIDATION_TS }, SECRET, now)).toBe("mismatch");
  });

  it("refuses a missing or malformed header", () => {
    const raw = Buffer.from(VALIDATION_BODY, "utf8");
    const now = at(VALIDATION_TS);
    expect(verifyZoomSignature(raw, { signature: null, timestamp: VALIDATION_TS }, SECRET, now)).toBe("missing");
    expect(verifyZoomSignature(raw, { signature: VALIDATION_SIG, timestamp: undefined }, SECRET, now)).toBe("missing");
    expect(verifyZoomSignature(raw, { signature: VALIDATION_SIG.slice(3), timestamp: VALIDATION_TS }, SECRET, now)).toBe("missing");
    expect(verifyZoomSignature(raw, { signature: VALIDATION_SIG + "00", timestamp: VALIDATION_TS }, SECRET, now)).toBe("missing");
    expect(verifyZoomSignature(raw, { signature: VALIDATION_SIG, timestamp: "2024-07-11T14:12:55Z" }, SECRET, now)).toBe("missing");
  });

  it("refuses a timestamp more than 5 minutes old or ahead", () => {
    const raw = Buffer.from(VALIDATION_BODY, "utf8");
    const headers = { signature: VALIDATION_SIG, timestamp: VALIDATION_TS };
    expect(verifyZoomSignature(raw, headers, SECRET, at(VALIDATION_TS, 5 * 60_000))).toBe("ok");
    expect(verifyZoomSignature(raw, headers, SECRET, at(VALIDATION_TS, 5 * 60_000 + 1000))).toBe("stale");
    expect(verifyZoomSignature(raw, headers, SECRET, at(VALIDATION_TS, -5 * 60_000 - 1000))).toBe("stale");
  });

  it("signs what it verifies", () => {
    const raw = Buffer.from('{"event":"meeting.ended"}', "utf8");
    const timestamp = "1800000000";
    expect(verifyZoomSignature(raw, { signature: zoomSignature(raw, timestamp, "s3cret"), timestamp }, "s3cret", at(timestamp))).toBe("ok");
  });
});

describe("urlValidationResponse", () => {
  it("matches Zoom's documented example", () => {
    expect(urlValidationResponse("qgg8vlvZRS6UYooatFL8Aw", "UB_rdTwhTruoYCMr6x6-MQ")).toEqual({
      plainToken: "qgg8vlvZRS6UYooatFL8Aw",
      encryptedToken: "439d1ed256e8d5513d2acd195e0adc64bbbfeb6b795b9d1880534610b58c674c",
    });
  });
});

describe("WebhookEvent and dedupeKey", () => {
  const joined = {
    event: "meeting.participant_joined",
    event_ts: 1626230691572,
    payload: {
      account_id: "AAAAAABBBB",
      object: { id: "1234567890", uuid: "4444AAAiAAAAAiAiAiiAii==", participant: { user_id: "16778240", id: "iFxeBPYun6SAiWUzBcEkX", participant_uuid: "55555AAAiAAAAAiAiAiiAii" } },
    },
  };

  it("reads the envelope and normalises the meeting number to a string", () => {
    const e = WebhookEvent.parse({ ...joined, payload: { ...joined.payload, object: { ...joined.payload.object, id: 85393847045 } } });
    expect(e.payload.object.id).toBe("85393847045");
    expect(e.payload.account_id).toBe("AAAAAABBBB");
  });

  it("names what is missing", () => {
    const r = WebhookEvent.safeParse({ event: "meeting.started", event_ts: "soon", payload: { object: {} } });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["event_ts", "payload.account_id"]));
  });

  it("gives a retry the same key, and another participant or time another", () => {
    const key = dedupeKey(WebhookEvent.parse(joined));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(dedupeKey(WebhookEvent.parse(structuredClone(joined)))).toBe(key);
    const other = structuredClone(joined);
    other.payload.object.participant.participant_uuid = "66666";
    expect(dedupeKey(WebhookEvent.parse(other))).not.toBe(key);
    expect(dedupeKey(WebhookEvent.parse({ ...joined, event_ts: joined.event_ts + 1 }))).not.toBe(key);
    expect(dedupeKey(WebhookEvent.parse({ ...joined, event: "meeting.participant_left" }))).not.toBe(key);
  });
});
