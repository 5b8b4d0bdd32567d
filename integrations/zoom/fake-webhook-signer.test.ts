/**
 * The fake Zoom's webhook signer (tests/fakes/zoom) against Zoom's published vectors, and against
 * the hub's verifier: two independent implementations of one recipe.
 */
import { describe, expect, it } from "vitest";
import { signZoomEvent } from "../../tests/fakes/zoom/webhook.ts";
import { verifyZoomSignature } from "./webhook.ts";

// Copied from Jericho/ZoomNet's tests (see /work/shared/samples/zoom/webhook.signature.test-vectors.json).
const VECTORS = [
  {
    secret: "4fv1RkqGQUq5sWbEz6hA5A",
    timestamp: "1720705455",
    body: '{"payload":{"plainToken":"xys8n8PGS7mAU0m5-YJjRA"},"event_ts":1720705455858,"event":"endpoint.url_validation"}',
    signature: "v0=93a1a675965ceb9c5a50c5dfb31f20e50f763be37a54ef74cd2d16a1a8e5c0d6",
  },
  {
    secret: "4fv1RkqGQUq5sWbEz6hA5A",
    timestamp: "1720707175",
    body: String.raw`{"event":"meeting.started","payload":{"account_id":"VjZoEArIT5y-HlWxkV-tVA","object":{"duration":60,"start_time":"2024-07-11T14:12:55Z","timezone":"America/New_York","topic":"Test \uD83D\uDE92\uD83D\uDE92 ? - ’ - – \uD83D\uDE97 HOLA","id":"85393847045","type":2,"uuid":"jUh5o3dKQIytvcsfTtKBlg==","host_id":"8lzIwvZTSOqjndWPbPqzuA"}},"event_ts":1720707175904}`,
    signature: "v0=1a14e79349318fa1bead50ebbd3c185ae078e182d3bbd30ab8010fcb7f4357c7",
  },
];

describe("signZoomEvent (the fake's signer)", () => {
  it.each(VECTORS)("gives Zoom's published signature ($timestamp)", (v) => {
    expect(signZoomEvent(v.secret, v.body, v.timestamp)).toEqual({ "x-zm-signature": v.signature, "x-zm-request-timestamp": v.timestamp });
    expect(signZoomEvent(v.secret, Buffer.from(v.body, "utf8"), Number(v.timestamp))["x-zm-signature"]).toBe(v.signature);
  });
  it("signs what the hub's verifier accepts, and nothing else", () => {
    const body = '{"event":"meeting.ended","payload":{"account_id":"a","object":{"id":"1","topic":"Lớp 7A"}},"event_ts":1}';
    const h = signZoomEvent("s3cret", body, 1800000000);
    const headers = { signature: h["x-zm-signature"], timestamp: h["x-zm-request-timestamp"] };
    expect(verifyZoomSignature(Buffer.from(body, "utf8"), headers, "s3cret", 1800000000_000)).toBe("ok");
    expect(verifyZoomSignature(Buffer.from(body, "utf8"), headers, "other", 1800000000_000)).toBe("mismatch");
  });
});
