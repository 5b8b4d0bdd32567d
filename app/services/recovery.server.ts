/**
 * Account recovery:
 * - a person who forgot their password asks for a link by email: a random token, of which only a
 *   keyed hash is stored, valid 30 minutes and once; the answer is the same whether or not the
 *   address belongs to an account, and requests are throttled per address and per email;
 * - a school admin (of the person's school), a province admin (of its province), or a teacher (for
 *   students of a class they teach) sets a new temporary password, shown to them once;
 * - a temporary password must be changed at the first sign-in (`users.must_change_password`).
 */
import crypto from "node:crypto";
import { and, eq, gt, isNull, ne } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client.server.ts";
import { classGroupMembers, classGroups, memberships, passwordResets, sessions, users } from "../../db/schema/index.ts";
import { canAdministerSchool, hasRole, isClassStudent, isClassTeacher, type Actor } from "../auth/actor.server.ts";
import { forbidden, isId, notFound } from "../auth/guards.server.ts";
import { hashPassword, verifyPassword } from "../auth/password.server.ts";
import { env } from "../env.server.ts";
import { translate, type Locale } from "../i18n/index.ts";
import { PasswordSchema } from "../lib/password.ts";
import { errorFields, logger } from "../server/log.ts";
import { mailConfigured, sendMail } from "./mail.server.ts";
import { escapeHtml } from "../lib/html.ts";
import { forget, heldUntil, recordFailure, type ThrottlePolicy } from "./rate-limit.server.ts";
import { fail, ok, type Result } from "./result.ts";
import { normalizeIdentifier } from "./sign-in.server.ts";
import { temporaryPassword } from "./users.server.ts";

const MINUTE = 60_000;
export const RESET_TTL_MS = 30 * MINUTE;

/** Every request for a link counts (not only failures): a mailbox must not be flooded. */
export const RESET_THROTTLE = {
  /** Links asked for one email, whether or not it has an account. */
  email: { free: 3, windowMs: 60 * MINUTE, baseDelayMs: 15 * MINUTE, maxDelayMs: 60 * MINUTE },
  /** Links asked from one address, over every email. */
  address: { free: 100, windowMs: 60 * MINUTE, baseDelayMs: 5 * MINUTE, maxDelayMs: 60 * MINUTE },
} satisfies Record<string, ThrottlePolicy>;

function keyed(value: string): string {
  return crypto.createHmac("sha256", env().SECRET_KEY).update(value).digest("base64url");
}

export function resetThrottleKeys(email: string, address: string) {
  return { email: `reset:email:${keyed(email)}`, address: `reset:ip:${keyed(address)}` };
}

/** The stored form of a link's token: keyed with SECRET_KEY, so the table alone opens nothing. */
function tokenHash(token: string): string {
  return crypto.createHmac("sha256", env().SECRET_KEY).update(`password-reset:${token}`).digest("hex");
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const ForgotSchema = z.object({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email({ message: "errors.email_invalid" }).max(254, "errors.email_invalid")),
});

export type ForgotOutcome =
  | { status: "no_mail" }
  | { status: "invalid"; errors: Record<string, string> }
  | { status: "throttled"; retryAt: Date }
  /** The same for an address with an account and one without. */
  | { status: "accepted" };

/**
 * Ask for a reset link for `raw.email`. `origin` is the hub's public origin (APP_URL, else the
 * request's). The mail is sent after the answer, so the answer's timing does not tell whether an
 * account exists; `sent` resolves once it has been handed to the SMTP server (or has failed).
 */
export async function requestPasswordReset(
  db: Db,
  raw: unknown,
  ctx: { address: string; origin: string },
): Promise<ForgotOutcome & { sent?: Promise<void> }> {
  if (!mailConfigured()) return { status: "no_mail" };
  const parsed = ForgotSchema.safeParse(raw);
  if (!parsed.success) return { status: "invalid", errors: { email: "errors.email_invalid" } };
  const email = normalizeIdentifier(parsed.data.email)?.email ?? parsed.data.email;
  const keys = resetThrottleKeys(email, ctx.address);
  const held = await heldUntil(db, [keys.email, keys.address]);
  if (held) return { status: "throttled", retryAt: held };
  await Promise.all([recordFailure(db, keys.email, RESET_THROTTLE.email), recordFailure(db, keys.address, RESET_THROTTLE.address)]);
  const [user] = await db
    .select({ id: users.id, fullName: users.fullName, email: users.email, locale: users.locale, deactivatedAt: users.deactivatedAt })
    .from(users)
    .where(eq(users.email, email))
    .limit(1);
  // A deactivated account gets no link, and the answer is the same as for any other address.
  if (!user?.email || user.deactivatedAt) return { status: "accepted" };
  const token = crypto.randomBytes(32).toString("base64url");
  await db.insert(passwordResets).values({ userId: user.id, tokenHash: tokenHash(token), expiresAt: new Date(Date.now() + RESET_TTL_MS) });
  const link = `${ctx.origin}/password/reset?token=${token}`;
  const sent = sendMail(resetMessage(user.email, user.fullName, user.locale, link)).then(
    () => undefined,
    (e) => logger.error("password reset mail not sent", { userId: user.id, ...errorFields(e) }),
  );
  return { status: "accepted", sent };
}

/** The reset mail in the person's language: a plain-text part and an HTML part. */
export function resetMessage(to: string, name: string, locale: Locale, link: string) {
  const minutes = RESET_TTL_MS / MINUTE;
  const t = (key: string) => translate(locale, key, { name, minutes, link });
  const paragraphs = [t("recovery.mailGreeting"), t("recovery.mailBody"), "LINK", t("recovery.mailOnce"), t("recovery.mailIgnore"), t("app.name")];
  const text = paragraphs.map((p) => (p === "LINK" ? link : p)).join("\n\n") + "\n";
  const html = [
    `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(t("recovery.mailSubject"))}</title></head>`,
    `<body style="font-family:system-ui,sans-serif;line-height:1.5;max-width:36rem">`,
    ...paragraphs.map((p) =>
      p === "LINK"
        ? `<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:.6rem 1rem;background:#0b5cab;color:#fff;text-decoration:none;border-radius:.4rem">${escapeHtml(t("recovery.mailButton"))}</a></p><p style="word-break:break-all;color:#555">${escapeHtml(link)}</p>`
        : `<p>${escapeHtml(p)}</p>`,
    ),
    `</body></html>`,
  ].join("");
  return { to, subject: t("recovery.mailSubject"), text, html, language: locale };
}

/** Whether a link's token is one that may still be used (for the page that asks for the password). */
export async function resetLinkValid(db: Db, token: string): Promise<boolean> {
  if (!TOKEN.test(token)) return false;
  const [row] = await db
    .select({ id: passwordResets.id })
    .from(passwordResets)
    .innerJoin(users, eq(users.id, passwordResets.userId))
    .where(
      and(eq(passwordResets.tokenHash, tokenHash(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, new Date()), isNull(users.deactivatedAt)),
    )
    .limit(1);
  return Boolean(row);
}

const NewPasswordSchema = z
  .object({ password: PasswordSchema, confirm: z.string() })
  .refine((v) => v.password === v.confirm, { message: "errors.password_mismatch", path: ["confirm"] });

function parseNewPassword(raw: unknown): { ok: true; password: string } | { ok: false; errors: Record<string, string> } {
  const parsed = NewPasswordSchema.safeParse(raw);
  if (parsed.success) return { ok: true, password: parsed.data.password };
  const errors: Record<string, string> = {};
  for (const i of parsed.error.issues) errors[String(i.path[0])] ??= i.message.startsWith("errors.") ? i.message : "errors.invalid";
  return { ok: false, errors };
}

/**
 * Set a new password with a link's token. The token is used up in the same statement that checks
 * it, so two submissions of one link cannot both succeed. Every session of the account ends and
 * every other link of the account stops working.
 */
export async function completePasswordReset(db: Db, token: string, raw: unknown): Promise<Result<{ userId: string }>> {
  const input = parseNewPassword(raw);
  if (!input.ok) return fail(input.errors);
  if (!TOKEN.test(token)) return fail({ form: "errors.reset_link_invalid" });
  const passwordHash = await hashPassword(input.password);
  const userId = await db.transaction(async (tx) => {
    const now = new Date();
    const [used] = await tx
      .update(passwordResets)
      .set({ usedAt: now })
      .where(and(eq(passwordResets.tokenHash, tokenHash(token)), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, now)))
      .returning({ userId: passwordResets.userId });
    if (!used) return null;
    // A link never reopens an account the school has deactivated (deactivating also ends its links).
    const [u] = await tx
      .update(users)
      .set({ passwordHash, mustChangePassword: false })
      .where(and(eq(users.id, used.userId), isNull(users.deactivatedAt)))
      .returning({ email: users.email });
    if (!u) return null;
    await tx.update(passwordResets).set({ usedAt: now }).where(and(eq(passwordResets.userId, used.userId), isNull(passwordResets.usedAt)));
    await tx.delete(sessions).where(eq(sessions.userId, used.userId));
    // Failed sign-ins before the reset no longer hold the account back.
    if (u?.email) await forget(tx, `signin:id:${u.email}`);
    return used.userId;
  });
  return userId ? ok({ userId }) : fail({ form: "errors.reset_link_invalid" });
}

/**
 * The step a person with a temporary password must take: choose their own. The temporary one is
 * not asked again (it was just typed to sign in), but the new one must differ from it. Other
 * sessions end; this one stays.
 */
export async function replaceTemporaryPassword(db: Db, actor: Actor, raw: unknown): Promise<Result<null>> {
  const input = parseNewPassword(raw);
  if (!input.ok) return fail(input.errors);
  const [u] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, actor.id));
  if (u && (await verifyPassword(u.passwordHash, input.password))) return fail({ password: "errors.password_same" });
  const passwordHash = await hashPassword(input.password);
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, mustChangePassword: false }).where(eq(users.id, actor.id));
    await tx.delete(sessions).where(and(eq(sessions.userId, actor.id), ne(sessions.id, actor.sessionId)));
  });
  return ok(null);
}

/** Give `userId` a new temporary password: every session and reset link of theirs ends. */
async function setTemporaryPassword(db: Db, userId: string): Promise<string> {
  const password = temporaryPassword();
  const passwordHash = await hashPassword(password);
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, mustChangePassword: true }).where(eq(users.id, userId));
    await tx.delete(sessions).where(eq(sessions.userId, userId));
    await tx.update(passwordResets).set({ usedAt: new Date() }).where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt)));
  });
  return password;
}

export type TemporaryPassword = { userId: string; fullName: string; login: string; password: string };

async function person(db: Db, userId: string) {
  const [u] = await db.select({ id: users.id, fullName: users.fullName, email: users.email, phone: users.phone }).from(users).where(eq(users.id, userId));
  return u;
}

/**
 * A school or province admin resets the password of a person of a school they administer. A
 * province admin's own account (a province membership) is out of a school admin's reach, and
 * nobody resets their own password here (the account page does that).
 */
export async function resetPasswordInSchool(db: Db, actor: Actor, schoolId: string, userId: unknown): Promise<TemporaryPassword> {
  if (!(await canAdministerSchool(db, actor, schoolId))) throw forbidden();
  if (!isId(userId) || userId === actor.id) throw notFound();
  const roles = await db.select({ orgId: memberships.orgId, role: memberships.role }).from(memberships).where(eq(memberships.userId, userId));
  if (!roles.some((r) => r.orgId === schoolId)) throw notFound();
  if (roles.some((r) => r.role === "province_admin") && !hasRole(actor, "province_admin")) throw notFound();
  const u = await person(db, userId);
  if (!u) throw notFound();
  const password = await setTemporaryPassword(db, userId);
  logger.info("temporary password set", { by: actor.id, userId, schoolId });
  return { userId, fullName: u.fullName, login: u.email ?? u.phone ?? "", password };
}

/**
 * A teacher resets the password of a student of a class they teach. Anyone who is more than a
 * student (a teacher, an admin, a parent) is out of a teacher's reach.
 */
export async function resetPasswordInClass(db: Db, actor: Actor, classId: string, userId: unknown): Promise<TemporaryPassword> {
  if (!(await isClassTeacher(db, actor, classId))) throw notFound();
  if (!isId(userId) || userId === actor.id || !(await isClassStudent(db, userId, classId))) throw notFound();
  return resetStudentPassword(db, actor, userId, { classId });
}

/**
 * The homeroom teacher of a class group (or an admin of its school) resets the password of a
 * student of the group, under the same rule as a class's teacher: only someone who is a student
 * and nothing more.
 */
export async function resetPasswordInGroup(db: Db, actor: Actor, groupId: string, userId: unknown): Promise<TemporaryPassword> {
  const [g] = isId(groupId)
    ? await db.select({ schoolId: classGroups.schoolId, homeroom: classGroups.homeroomTeacherId }).from(classGroups).where(eq(classGroups.id, groupId))
    : [];
  if (!g || (g.homeroom !== actor.id && !(await canAdministerSchool(db, actor, g.schoolId)))) throw notFound();
  if (!isId(userId) || userId === actor.id) throw notFound();
  const [member] = await db
    .select({ s: classGroupMembers.studentId })
    .from(classGroupMembers)
    .where(and(eq(classGroupMembers.groupId, groupId), eq(classGroupMembers.studentId, userId)));
  if (!member) throw notFound();
  return resetStudentPassword(db, actor, userId, { groupId });
}

async function resetStudentPassword(db: Db, actor: Actor, userId: string, where: { classId: string } | { groupId: string }): Promise<TemporaryPassword> {
  const roles = await db.select({ role: memberships.role }).from(memberships).where(eq(memberships.userId, userId));
  if (roles.some((r) => r.role !== "student")) throw notFound();
  const u = await person(db, userId);
  if (!u) throw notFound();
  const password = await setTemporaryPassword(db, userId);
  logger.info("temporary password set", { by: actor.id, userId, ...where });
  return { userId, fullName: u.fullName, login: u.email ?? u.phone ?? "", password };
}
