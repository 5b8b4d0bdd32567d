/** Per-request authentication, run once by the root middleware. */
import crypto from "node:crypto";
import type { Db } from "../../db/client.server.ts";
import { env } from "../env.server.ts";
import type { Actor } from "./actor.server.ts";
import { blankSessionCookie, readCookie, SESSION_COOKIE, sessionCookie, validateSessionToken } from "./session.server.ts";

export function secureCookies(request: Request): boolean {
  const appUrl = env().APP_URL;
  return appUrl ? appUrl.startsWith("https:") : new URL(request.url).protocol === "https:";
}

export async function authenticate(db: Db, request: Request): Promise<{ actor: Actor | null; setCookie?: string; expired: boolean }> {
  const token = readCookie(request, SESSION_COOKIE);
  if (!token) return { actor: null, expired: false };
  const result = await validateSessionToken(db, token);
  if (!result.session) {
    return { actor: null, expired: true, setCookie: blankSessionCookie(secureCookies(request)) };
  }
  return {
    actor: { ...result.user, sessionId: result.session.id, memberships: result.memberships, unread: result.unread },
    expired: false,
    setCookie: result.session.renewed ? sessionCookie(token, result.session.expiresAt, secureCookies(request)) : undefined,
  };
}

const NONCE_BYTES = 16;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;

/**
 * A fresh CSP nonce for each page: 16 bytes from the system's CSPRNG, taken from a pool filled
 * 4 kB at a time (one call to the generator per 256 pages instead of one per page). No two
 * pages share bytes.
 */
export function newNonce() {
  if (randomOffset + NONCE_BYTES > randomPool.length) {
    randomPool = crypto.randomBytes(4096);
    randomOffset = 0;
  }
  const nonce = randomPool.toString("base64", randomOffset, randomOffset + NONCE_BYTES);
  randomOffset += NONCE_BYTES;
  return nonce;
}

/** The client address as the server entry saw it (never a client-supplied header). */
export function clientAddress(request: Request): string {
  return request.headers.get("x-lopso-client-ip") ?? "unknown";
}
