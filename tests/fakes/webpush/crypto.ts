/**
 * The push-service side of Web Push cryptography, written against the RFCs with node:crypto:
 * decrypting an aes128gcm message for a user agent (RFC 8291 over RFC 8188) and checking a
 * VAPID Authorization header (RFC 8292). The fake push service uses both; they are tested against
 * the RFCs' own examples.
 */
import crypto from "node:crypto";

const hmac = (key: Buffer, data: Buffer) => crypto.createHmac("sha256", key).update(data).digest();

export class DecryptError extends Error {}

export type UaKeys = { privateKey: Buffer; publicKey: Buffer; authSecret: Buffer };

/** A user agent's key pair and auth secret, as a browser makes them for a new subscription. */
export function newUaKeys(): UaKeys {
  const ecdh = crypto.createECDH("prime256v1");
  ecdh.generateKeys();
  return { privateKey: ecdh.getPrivateKey(), publicKey: ecdh.getPublicKey(), authSecret: crypto.randomBytes(16) };
}

/** Every intermediate value of RFC 8291 §3.4 for one message, so tests can compare them with Appendix A. */
export function deriveKeys(ua: UaKeys, senderPublicKey: Buffer, salt: Buffer) {
  const ecdh = crypto.createECDH("prime256v1");
  ecdh.setPrivateKey(ua.privateKey);
  let ecdhSecret: Buffer;
  try {
    ecdhSecret = ecdh.computeSecret(senderPublicKey);
  } catch {
    throw new DecryptError("keyid is not a P-256 public key");
  }
  // HKDF-Extract(auth_secret, ecdh_secret), then one HKDF-Expand block with "WebPush: info\0" ‖ ua_public ‖ as_public.
  const prkKey = hmac(ua.authSecret, ecdhSecret);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0", "latin1"), ua.publicKey, senderPublicKey]);
  const ikm = hmac(prkKey, Buffer.concat([keyInfo, Buffer.from([1])]));
  // RFC 8188 §2.2–2.3: PRK = HKDF-Extract(salt, IKM); CEK and NONCE are the first 16 and 12 octets of one block each.
  const prk = hmac(salt, ikm);
  const cekInfo = Buffer.from("Content-Encoding: aes128gcm\0", "latin1");
  const nonceInfo = Buffer.from("Content-Encoding: nonce\0", "latin1");
  const cek = hmac(prk, Buffer.concat([cekInfo, Buffer.from([1])])).subarray(0, 16);
  const nonce = hmac(prk, Buffer.concat([nonceInfo, Buffer.from([1])])).subarray(0, 12);
  return { ecdhSecret, prkKey, keyInfo, ikm, prk, cekInfo, cek, nonceInfo, nonce };
}

export type Decrypted = { plaintext: Buffer; salt: Buffer; rs: number; keyid: Buffer };

/**
 * Decrypt one Web Push message body: header salt(16) ‖ rs(4) ‖ idlen(1) ‖ keyid, then exactly
 * one record whose padding delimiter must be 0x02 (the last record).
 */
export function decryptAes128gcm(body: Buffer, ua: UaKeys): Decrypted {
  if (body.length < 21) throw new DecryptError("body shorter than the aes128gcm header");
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  if (idlen !== 65) throw new DecryptError(`keyid must be the sender's 65-octet public key, idlen is ${idlen}`);
  const keyid = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  if (rs < 18) throw new DecryptError(`record size ${rs} is below 18`);
  if (record.length < 17) throw new DecryptError("record shorter than its authentication tag");
  if (record.length > rs) throw new DecryptError("more than one record: Web Push allows exactly one");
  const { cek, nonce } = deriveKeys(ua, keyid, salt);
  const decipher = crypto.createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  let padded: Buffer;
  try {
    padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  } catch {
    throw new DecryptError("authentication failed: wrong keys or a corrupted body");
  }
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 2) throw new DecryptError("padding delimiter is not 0x02 (last record)");
  return { plaintext: padded.subarray(0, end), salt, rs, keyid };
}

export class VapidError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

export type VapidClaims = { aud: string; exp: number; sub: string; [claim: string]: unknown };

/** The P-256 public key (65-octet uncompressed point) as a KeyObject. */
export function p256PublicKey(point: Buffer): crypto.KeyObject {
  if (point.length !== 65 || point[0] !== 4) throw new Error("not an uncompressed P-256 point");
  return crypto.createPublicKey({
    key: { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33).toString("base64url") },
    format: "jwk",
  });
}

/**
 * Check `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292 §3): an ES256 JWT signed by k, `aud` the
 * push resource's origin, `exp` in the future and at most 24 hours ahead, `sub` present.
 * 401 when the header is missing or not VAPID, 403 when it is invalid.
 */
export function verifyVapid(header: string | undefined, opts: { audience: string; now: Date }): { claims: VapidClaims; key: string } {
  if (!header) throw new VapidError(401, "no Authorization header");
  const m = /^vapid\s+(.*)$/i.exec(header.trim());
  if (!m) throw new VapidError(401, "Authorization is not the vapid scheme");
  const params = new Map<string, string>();
  for (const part of m[1].split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const t = params.get("t");
  const k = params.get("k");
  if (!t || !k) throw new VapidError(401, "vapid needs both t and k");
  const point = Buffer.from(k, "base64url");
  let key: crypto.KeyObject;
  try {
    key = p256PublicKey(point);
  } catch {
    throw new VapidError(403, "k is not a P-256 public key");
  }
  const parts = t.split(".");
  if (parts.length !== 3) throw new VapidError(403, "t is not a compact JWS");
  let head: { alg?: string; typ?: string };
  let claims: VapidClaims;
  try {
    head = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    throw new VapidError(403, "JWT header or claims are not JSON");
  }
  if (head.alg !== "ES256") throw new VapidError(403, `JWT alg must be ES256, is ${head.alg}`);
  const signature = Buffer.from(parts[2], "base64url");
  if (signature.length !== 64) throw new VapidError(403, "ES256 signature must be 64 octets (r ‖ s)");
  const ok = crypto.verify("sha256", Buffer.from(`${parts[0]}.${parts[1]}`, "ascii"), { key, dsaEncoding: "ieee-p1363" }, signature);
  if (!ok) throw new VapidError(403, "JWT signature does not verify with k");
  const nowSeconds = Math.floor(opts.now.getTime() / 1000);
  if (typeof claims.exp !== "number") throw new VapidError(403, "JWT has no exp");
  if (claims.exp <= nowSeconds) throw new VapidError(403, "JWT has expired");
  if (claims.exp > nowSeconds + 24 * 3600) throw new VapidError(403, "JWT exp is more than 24 hours ahead");
  if (claims.aud !== opts.audience) throw new VapidError(403, `JWT aud ${String(claims.aud)} is not ${opts.audience}`);
  if (typeof claims.sub !== "string" || !/^(mailto:|https:)/.test(claims.sub)) throw new VapidError(403, "JWT sub must be a mailto: or https: contact");
  return { claims, key: k };
}
