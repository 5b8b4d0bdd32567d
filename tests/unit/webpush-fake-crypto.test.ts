/**
 * The fake push service's decryption and VAPID check are the verifiers of our Web Push channel,
 * so they are checked first against the RFCs' own examples (RFC 8291 §5 / Appendix A, RFC 8292
 * §2.4) and against a request made by web-push itself.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import webpush from "web-push";
import { decryptAes128gcm, DecryptError, deriveKeys, verifyVapid, VapidError } from "../fakes/webpush/crypto.ts";

const SAMPLES = new URL("../fakes/webpush/vectors", import.meta.url).pathname;
const v = JSON.parse(fs.readFileSync(`${SAMPLES}/rfc8291.aes128gcm.test-vector.json`, "utf8")) as Record<string, string>;
const vapidExample = JSON.parse(fs.readFileSync(`${SAMPLES}/rfc8292.vapid.example.decoded.json`, "utf8"));
const generated = JSON.parse(fs.readFileSync(`${SAMPLES}/webpush-3.6.7.request.generated.json`, "utf8"));
const b = (s: string) => Buffer.from(s, "base64url");
const ua = { privateKey: b(v.ua_private), publicKey: b(v.ua_public), authSecret: b(v.auth_secret) };

describe("aes128gcm decryption (RFC 8291)", () => {
  it("recomputes every intermediate value of Appendix A", () => {
    const k = deriveKeys(ua, b(v.as_public), b(v.salt));
    expect(k.ecdhSecret.toString("base64url")).toBe(v.ecdh_secret);
    expect(k.prkKey.toString("base64url")).toBe(v.prk_key);
    expect(k.keyInfo.toString("base64url")).toBe(v.key_info);
    expect(k.ikm.toString("base64url")).toBe(v.ikm);
    expect(k.prk.toString("base64url")).toBe(v.prk);
    expect(k.cekInfo.toString("base64url")).toBe(v.cek_info);
    expect(k.cek.toString("base64url")).toBe(v.cek);
    expect(k.nonceInfo.toString("base64url")).toBe(v.nonce_info);
    expect(k.nonce.toString("base64url")).toBe(v.nonce);
  });

  it("decrypts the example message to the RFC's plaintext", () => {
    const out = decryptAes128gcm(b(v.body_base64url), ua);
    expect(out.plaintext.toString("utf8")).toBe(v.plaintext);
    expect(out.rs).toBe(4096);
    expect(out.keyid.toString("base64url")).toBe(v.as_public);
    expect(out.salt.toString("base64url")).toBe(v.salt);
  });

  it("refuses a body with one flipped ciphertext bit, a wrong auth secret, or a truncated header", () => {
    const body = b(v.body_base64url);
    body[body.length - 20] ^= 1;
    expect(() => decryptAes128gcm(body, ua)).toThrow(DecryptError);
    expect(() => decryptAes128gcm(b(v.body_base64url), { ...ua, authSecret: Buffer.alloc(16) })).toThrow(/authentication failed/);
    expect(() => decryptAes128gcm(b(v.body_base64url).subarray(0, 20), ua)).toThrow(/shorter/);
  });

  it("decrypts what web-push 3.6.7 sent for a Vietnamese payload", () => {
    const out = decryptAes128gcm(b(generated.request.body_base64url), ua);
    expect(out.plaintext.toString("utf8")).toBe(generated.plaintext);
    expect(JSON.parse(out.plaintext.toString("utf8")).title).toBe("Điểm mới");
  });

  it("decrypts a message web-push encrypts now for a fresh key pair", () => {
    const keys = webpush.generateVAPIDKeys();
    const details = webpush.generateRequestDetails(
      { endpoint: "https://push.example.net/push/x", keys: { p256dh: v.ua_public, auth: v.auth_secret } },
      "Nguyễn Thị Hoà — điểm Ngữ văn",
      { vapidDetails: { subject: "mailto:ops@example.edu.vn", ...keys }, contentEncoding: "aes128gcm" },
    );
    expect(decryptAes128gcm(details.body!, ua).plaintext.toString("utf8")).toBe("Nguyễn Thị Hoà — điểm Ngữ văn");
  });
});

describe("VAPID check (RFC 8292)", () => {
  const at = (iso: string) => new Date(iso);

  it("accepts the RFC's example an hour before it expires, with aud the push service's origin", () => {
    const { claims, key } = verifyVapid(vapidExample.authorization_header, { audience: "https://push.example.net", now: at("2016-01-23T03:36:08Z") });
    expect(claims).toEqual(vapidExample.jwt_body);
    expect(key).toBe(Buffer.concat([Buffer.from([4]), b(vapidExample.jwk.x), b(vapidExample.jwk.y)]).toString("base64url"));
  });

  it("accepts the web-push request's token", () => {
    const { claims } = verifyVapid(generated.request.headers.Authorization, { audience: "https://push.example.net", now: at("2026-11-27T00:00:00Z") });
    expect(claims.sub).toBe("mailto:ops@example.edu.vn");
  });

  it("refuses an expired token, one more than 24 h ahead, another audience, a missing header", () => {
    const h = vapidExample.authorization_header;
    const expectStatus = (fn: () => unknown, status: number, message: RegExp) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(VapidError);
        expect((e as VapidError).status).toBe(status);
        expect((e as Error).message).toMatch(message);
        return;
      }
      throw new Error("accepted");
    };
    expectStatus(() => verifyVapid(h, { audience: "https://push.example.net", now: at("2016-01-23T04:36:09Z") }), 403, /expired/);
    expectStatus(() => verifyVapid(h, { audience: "https://push.example.net", now: at("2016-01-22T04:00:00Z") }), 403, /24 hours/);
    expectStatus(() => verifyVapid(h, { audience: "https://other.example.net", now: at("2016-01-23T03:36:08Z") }), 403, /aud/);
    expectStatus(() => verifyVapid(undefined, { audience: "https://push.example.net", now: at("2016-01-23T03:36:08Z") }), 401, /no Authorization/);
  });

  it("refuses a token whose signature was made by another key", () => {
    const other = webpush.generateVAPIDKeys();
    const k = /k=([A-Za-z0-9_-]+)/.exec(vapidExample.authorization_header)![1];
    const forged = vapidExample.authorization_header.replace(k, other.publicKey);
    expect(() => verifyVapid(forged, { audience: "https://push.example.net", now: new Date("2016-01-23T03:36:08Z") })).toThrow(/signature/);
  });
});
