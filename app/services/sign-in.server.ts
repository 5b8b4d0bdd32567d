/**
 * Sign-in and the other password and code checks, throttled so that a guesser is slowed down but
 * cannot lock a real person out:
 * - failures are counted per account (its identifier normalised first, so every spelling of a
 *   phone number is one account), and after a few free ones each further failure holds that
 *   account back for a doubling delay — a backoff, never a lock that stays shut;
 * - a browser that has signed in to the account before (its device cookie) and an address that
 *   has, each have a count of their own: a correct password from them is not held back by
 *   failures from elsewhere;
 * - failures from one address across every account are counted too, with a ceiling that fits a
 *   school behind one NAT address, and they hold back only browsers and addresses new to the
 *   account being tried;
 * - an attempt refused by one of these limits runs no password hash and is counted nowhere.
 */
import crypto from "node:crypto";
import { and, eq, lt } from "drizzle-orm";
import type { Db } from "../../db/client.server.ts";
import { knownSignIns, users } from "../../db/schema/index.ts";
import { hashPassword, verifyPassword } from "../auth/password.server.ts";
import { env } from "../env.server.ts";
import { nfc, normalizePhone } from "../lib/vn.ts";
import { forget, heldUntil, recordFailure, type ThrottlePolicy } from "./rate-limit.server.ts";

const MINUTE = 60_000;

export const THROTTLE = {
  /** One account, from browsers and addresses new to it (or from one known browser or address). */
  account: { free: 5, windowMs: 60 * MINUTE, baseDelayMs: 30_000, maxDelayMs: 15 * MINUTE },
  /**
   * Failures from one address over every account. A school's pupils share one NAT address: a
   * thousand of them signing in one morning with a typo each must still get in.
   */
  address: { free: 300, windowMs: 15 * MINUTE, baseDelayMs: MINUTE, maxDelayMs: 15 * MINUTE },
  /** Wrong class join codes or parent codes typed by one account. */
  codeAccount: { free: 10, windowMs: 60 * MINUTE, baseDelayMs: MINUTE, maxDelayMs: 60 * MINUTE },
  /** Wrong codes from one address, over every account behind it. */
  codeAddress: { free: 100, windowMs: 60 * MINUTE, baseDelayMs: MINUTE, maxDelayMs: 60 * MINUTE },
} satisfies Record<string, ThrottlePolicy>;

/** How long known browsers and addresses are remembered after their last sign-in. */
const KNOWN_FOR_MS = 180 * 24 * 60 * MINUTE;

export type SignInContext = { address: string; deviceId?: string };

export type SignInResult =
  | { ok: true; userId: string }
  | { ok: false; error: "errors.signin_invalid" }
  /** The right password for an account the school has deactivated. */
  | { ok: false; error: "errors.signin_deactivated" }
  | { ok: false; error: "errors.signin_throttled"; retryAt: Date };

/** Turn what a person typed (email or Vietnamese phone) into the stored form. */
export function normalizeIdentifier(identifier: string): { email?: string; phone?: string } | null {
  const value = nfc(identifier).trim();
  if (value.includes("@")) return { email: value.toLowerCase() };
  const phone = normalizePhone(value);
  return phone ? { phone } : null;
}

/** A keyed hash, so that neither device tokens nor addresses are stored as they are. */
function keyed(value: string): string {
  return crypto.createHmac("sha256", env().SECRET_KEY).update(value).digest("base64url");
}

/** A new device cookie value: 160 random bits. */
export function newDeviceId(): string {
  return crypto.randomBytes(20).toString("base64url");
}

async function knownTo(db: Db, userId: string, ctx: SignInContext) {
  const rows = await db
    .select({ kind: knownSignIns.kind, hash: knownSignIns.hash })
    .from(knownSignIns)
    .where(eq(knownSignIns.userId, userId));
  const device = ctx.deviceId ? keyed(`device:${ctx.deviceId}`) : null;
  const address = keyed(`address:${ctx.address}`);
  if (device && rows.some((r) => r.kind === "device" && r.hash === device)) return { kind: "device" as const, hash: device };
  if (rows.some((r) => r.kind === "address" && r.hash === address)) return { kind: "address" as const, hash: address };
  return null;
}

async function remember(db: Db, userId: string, ctx: SignInContext) {
  const now = new Date();
  const rows: (typeof knownSignIns.$inferInsert)[] = [{ userId, kind: "address", hash: keyed(`address:${ctx.address}`), lastSeenAt: now }];
  if (ctx.deviceId) rows.push({ userId, kind: "device", hash: keyed(`device:${ctx.deviceId}`), lastSeenAt: now });
  await db.transaction(async (tx) => {
    await tx.insert(knownSignIns).values(rows).onConflictDoUpdate({ target: [knownSignIns.userId, knownSignIns.kind, knownSignIns.hash], set: { lastSeenAt: now } });
    await tx.delete(knownSignIns).where(and(eq(knownSignIns.userId, userId), lt(knownSignIns.lastSeenAt, new Date(now.getTime() - KNOWN_FOR_MS))));
  });
}

let dummy: Promise<string> | undefined;
function dummyHash() {
  dummy ??= hashPassword(crypto.randomBytes(16).toString("hex"));
  return dummy;
}

/** The key under which an address's sign-in and password failures are counted. */
export function signInAddressKey(address: string) {
  return `signin:ip:${keyed(address)}`;
}

export async function signIn(db: Db, identifier: string, password: string, ctx: SignInContext): Promise<SignInResult> {
  const id = normalizeIdentifier(identifier);
  const addressKey = signInAddressKey(ctx.address);
  if (!id) {
    // Not an email or a phone number: no account can match. It still counts against the address.
    const held = await heldUntil(db, [addressKey]);
    if (held) return { ok: false, error: "errors.signin_throttled", retryAt: held };
    await recordFailure(db, addressKey, THROTTLE.address);
    return { ok: false, error: "errors.signin_invalid" };
  }
  const [user] = await db
    .select({ id: users.id, passwordHash: users.passwordHash, deactivatedAt: users.deactivatedAt })
    .from(users)
    .where(id.email ? eq(users.email, id.email) : eq(users.phone, id.phone!))
    .limit(1);
  const known = user ? await knownTo(db, user.id, ctx) : null;
  // The count this attempt is judged by: the known browser's or address's own, or the account's.
  const scopeKey = known ? `signin:${known.kind}:${user!.id}:${known.hash}` : `signin:id:${id.email ?? id.phone}`;
  const held = await heldUntil(db, known ? [scopeKey] : [scopeKey, addressKey]);
  if (held) return { ok: false, error: "errors.signin_throttled", retryAt: held };
  // Verify against a real hash even for an unknown account, so timing does not reveal which exist.
  const valid = await verifyPassword(user?.passwordHash ?? (await dummyHash()), password);
  if (!user || !valid) {
    await Promise.all([recordFailure(db, scopeKey, THROTTLE.account), recordFailure(db, addressKey, THROTTLE.address)]);
    return { ok: false, error: "errors.signin_invalid" };
  }
  // Only someone who knows the password learns that the account is locked by the school.
  if (user.deactivatedAt) return { ok: false, error: "errors.signin_deactivated" };
  await Promise.all([forget(db, scopeKey), remember(db, user.id, ctx)]);
  return { ok: true, userId: user.id };
}

export type PasswordCheck = { ok: true } | { ok: false; retryAt?: Date };

/**
 * Check a signed-in person's current password (before changing it), throttled like sign-in: a
 * stolen session must not become a way to guess the password, or to load the server with hashes.
 */
export async function checkCurrentPassword(db: Db, userId: string, password: string, address: string): Promise<PasswordCheck> {
  const key = `password:${userId}`;
  const addressKey = signInAddressKey(address);
  const held = await heldUntil(db, [key, addressKey]);
  if (held) return { ok: false, retryAt: held };
  const [u] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId));
  if (u && (await verifyPassword(u.passwordHash, password))) {
    await forget(db, key);
    return { ok: true };
  }
  await Promise.all([recordFailure(db, key, THROTTLE.account), recordFailure(db, addressKey, THROTTLE.address)]);
  return { ok: false };
}

/**
 * Guessing class join codes and parent codes: the caller asks `codeAttemptHeld` first (refused
 * attempts do no lookup and count nowhere), and reports a wrong code with `codeFailed`.
 */
export function codeKeys(userId: string, address: string) {
  return { account: `code:user:${userId}`, address: `code:ip:${keyed(address)}` };
}

export async function codeAttemptHeld(db: Db, userId: string, address: string): Promise<Date | null> {
  const keys = codeKeys(userId, address);
  return heldUntil(db, [keys.account, keys.address]);
}

export async function codeFailed(db: Db, userId: string, address: string) {
  const keys = codeKeys(userId, address);
  await Promise.all([recordFailure(db, keys.account, THROTTLE.codeAccount), recordFailure(db, keys.address, THROTTLE.codeAddress)]);
}
