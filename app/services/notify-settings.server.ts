/**
 * A person's notification settings as the settings page ("Cài đặt thông báo") shows and saves
 * them: per child and kind of news the delivery mode (defaults from app/lib/notify-defaults.ts
 * where nothing is set), the outside channels and their state, quiet hours, the digests' time and
 * day, and the language messages are written in.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/client.server.ts";
import {
  contactChannels,
  DELIVERY_MODES,
  NEWS_KINDS,
  notificationPreferences,
  notificationSettings,
  parentLinks,
  pushSubscriptions,
  users,
  type DeliveryMode,
  type ExternalChannel,
  type NewsKind,
} from "../../db/schema/index.ts";
import { DEFAULT_MODES, DEFAULT_SETTINGS, defaultChannels } from "../lib/notify-defaults.ts";
import { hasRole, type Actor } from "../auth/actor.server.ts";
import { fail, ok, zodErrors, type Result } from "./result.ts";

/** Channels a person switches on or off in the form; push follows the browsers subscribed. */
export const SWITCHABLE: ExternalChannel[] = ["email", "zalo", "sms"];
export const OUTSIDE: ExternalChannel[] = ["email", "push", "zalo", "sms"];

/**
 * A teacher's choice of how to hear of parents' replies is one preference for every student: a
 * `notification_preferences` row of kind teacher_note whose student_id is the teacher's own id.
 */
export const PERSON_WIDE = (userId: string) => userId;

export type ChannelState =
  /** The hub has no configuration for it: say so, offer no switch. */
  | { channel: ExternalChannel; state: "not_configured" }
  /** Configured, but the person has no address for it (no email, no phone). */
  | { channel: ExternalChannel; state: "no_address" }
  /** The hub switched it off after a permanent failure (or an unsubscribe link). */
  | { channel: ExternalChannel; state: "disabled"; address: string | null; reason: string; disabledAt: string | null }
  | { channel: ExternalChannel; state: "on" | "off"; address: string | null; isDefault: boolean };

export type SettingsView = {
  isParent: boolean;
  isTeacher: boolean;
  children: { id: string; fullName: string }[];
  /** Per child id, per kind: the mode in force, and whether it is the default (nothing chosen). */
  modes: Record<string, Record<NewsKind, { mode: DeliveryMode; isDefault: boolean }>>;
  replyMode: { mode: DeliveryMode; isDefault: boolean } | null;
  channels: ChannelState[];
  devices: { id: string; userAgent: string | null; createdAt: string }[];
  quietStart: string;
  quietEnd: string;
  digestAt: string;
  weeklyDay: number;
  locale: "vi" | "en";
};

export const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

export async function childrenOf(db: Db, parentId: string) {
  return db
    .select({ id: users.id, fullName: users.fullName })
    .from(parentLinks)
    .innerJoin(users, eq(users.id, parentLinks.studentId))
    .where(eq(parentLinks.parentId, parentId))
    .orderBy(asc(users.sortKey), asc(users.id));
}

export async function loadSettings(db: Db, actor: Actor, configured: ReadonlySet<ExternalChannel>): Promise<SettingsView> {
  const isParent = hasRole(actor, "parent");
  const isTeacher = hasRole(actor, "teacher");
  const [children, prefs, [settings], channelRows, devices, [person]] = await Promise.all([
    isParent ? childrenOf(db, actor.id) : Promise.resolve([]),
    db
      .select({ studentId: notificationPreferences.studentId, kind: notificationPreferences.kind, mode: notificationPreferences.mode })
      .from(notificationPreferences)
      .where(eq(notificationPreferences.userId, actor.id)),
    db.select().from(notificationSettings).where(eq(notificationSettings.userId, actor.id)),
    db.select().from(contactChannels).where(eq(contactChannels.userId, actor.id)),
    db
      .select({ id: pushSubscriptions.id, userAgent: pushSubscriptions.userAgent, createdAt: pushSubscriptions.createdAt })
      .from(pushSubscriptions)
      .where(eq(pushSubscriptions.userId, actor.id))
      .orderBy(asc(pushSubscriptions.createdAt)),
    db.select({ email: users.email, phone: users.phone, locale: users.locale }).from(users).where(eq(users.id, actor.id)),
  ]);
  const chosen = new Map(prefs.map((p) => [`${p.studentId}:${p.kind}`, p.mode]));
  const modes: SettingsView["modes"] = {};
  for (const child of children) {
    modes[child.id] = Object.fromEntries(
      NEWS_KINDS.map((kind) => {
        const mode = chosen.get(`${child.id}:${kind}`);
        return [kind, { mode: mode ?? DEFAULT_MODES[kind], isDefault: !mode }];
      }),
    ) as Record<NewsKind, { mode: DeliveryMode; isDefault: boolean }>;
  }
  const reply = chosen.get(`${PERSON_WIDE(actor.id)}:teacher_note`);
  const replyMode = isTeacher ? { mode: reply ?? DEFAULT_MODES.teacher_note, isDefault: !reply } : null;
  const defaults = new Set(defaultChannels(person, configured));
  const rows = new Map(channelRows.map((r) => [r.channel, r]));
  const channels: ChannelState[] = OUTSIDE.map((channel) => {
    if (!configured.has(channel)) return { channel, state: "not_configured" };
    const address = channel === "email" ? person.email : channel === "push" ? null : person.phone;
    if (channel !== "push" && !address) return { channel, state: "no_address" };
    const row = rows.get(channel);
    if (row && !row.enabled && row.disabledReason) {
      return { channel, state: "disabled", address, reason: row.disabledReason, disabledAt: row.disabledAt?.toISOString() ?? null };
    }
    const on = row ? row.enabled : channel === "push" ? devices.length > 0 : defaults.has(channel);
    return { channel, state: on ? "on" : "off", address, isDefault: !row };
  });
  return {
    isParent,
    isTeacher,
    children,
    modes,
    replyMode,
    channels,
    devices: devices.map((d) => ({ id: d.id, userAgent: d.userAgent, createdAt: d.createdAt.toISOString() })),
    quietStart: hhmm(settings?.quietStart ?? DEFAULT_SETTINGS.quietStart),
    quietEnd: hhmm(settings?.quietEnd ?? DEFAULT_SETTINGS.quietEnd),
    digestAt: hhmm(settings?.digestAt ?? DEFAULT_SETTINGS.digestAt),
    weeklyDay: settings?.weeklyDay ?? DEFAULT_SETTINGS.weeklyDay,
    locale: person.locale,
  };
}

const time = z
  .string({ error: "errors.notify_time" })
  .trim()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "errors.notify_time")
  .transform((v) => Number(v.slice(0, 2)) * 60 + Number(v.slice(3, 5)));
const mode = z.enum(DELIVERY_MODES, { error: "errors.notify_mode" });
const checkbox = z
  .enum(["on", "1", "true"])
  .optional()
  .transform((v) => v !== undefined);

/** The form's fields: `pref.<childId>.<kind>` per child and kind, `channel.<name>` per switch. */
export function settingsSchema(childIds: string[], opts: { teacher: boolean }) {
  const shape: Record<string, z.ZodType> = {
    quietStart: time,
    quietEnd: time,
    digestAt: time,
    weeklyDay: z.coerce.number({ error: "errors.notify_weekday" }).int("errors.notify_weekday").min(0, "errors.notify_weekday").max(6, "errors.notify_weekday"),
    locale: z.enum(["vi", "en"], { error: "errors.notify_locale" }),
  };
  for (const c of SWITCHABLE) shape[`channel.${c}`] = checkbox;
  for (const id of childIds) for (const kind of NEWS_KINDS) shape[`pref.${id}.${kind}`] = mode;
  if (opts.teacher) shape.replyMode = mode;
  return z.object(shape);
}

/**
 * Save the whole form in one transaction: settings, every preference shown, each channel switch
 * the page offered, and the language. Nothing is written when any field is wrong.
 */
export async function saveSettings(db: Db, actor: Actor, form: Record<string, string>, configured: ReadonlySet<ExternalChannel>): Promise<Result<null>> {
  const isParent = hasRole(actor, "parent");
  const isTeacher = hasRole(actor, "teacher");
  const children = isParent ? await childrenOf(db, actor.id) : [];
  const parsed = settingsSchema(
    children.map((c) => c.id),
    { teacher: isTeacher },
  ).safeParse(form);
  if (!parsed.success) return fail(zodErrors(parsed.error.issues));
  const v = parsed.data as Record<string, unknown>;
  const view = await loadSettings(db, actor, configured);
  const now = new Date();
  await db.transaction(async (tx) => {
    const settings = { quietStart: v.quietStart as number, quietEnd: v.quietEnd as number, digestAt: v.digestAt as number, weeklyDay: v.weeklyDay as number, updatedAt: now };
    await tx
      .insert(notificationSettings)
      .values({ userId: actor.id, ...settings })
      .onConflictDoUpdate({ target: notificationSettings.userId, set: settings });
    const prefs = children.flatMap((c) => NEWS_KINDS.map((kind) => ({ userId: actor.id, studentId: c.id, kind, mode: v[`pref.${c.id}.${kind}`] as DeliveryMode, updatedAt: now })));
    if (isTeacher) prefs.push({ userId: actor.id, studentId: PERSON_WIDE(actor.id), kind: "teacher_note", mode: v.replyMode as DeliveryMode, updatedAt: now });
    if (prefs.length > 0) {
      await tx
        .insert(notificationPreferences)
        .values(prefs)
        .onConflictDoUpdate({
          target: [notificationPreferences.userId, notificationPreferences.studentId, notificationPreferences.kind],
          set: { mode: sql`excluded.mode`, updatedAt: now },
        });
    }
    for (const state of view.channels) {
      if (!SWITCHABLE.includes(state.channel) || state.state === "not_configured" || state.state === "no_address") continue;
      const wanted = v[`channel.${state.channel}`] as boolean;
      // A channel the hub switched off stays off (with its reason) until the person turns it back on.
      if (state.state === "disabled" && !wanted) continue;
      if (state.state !== "disabled" && !state.isDefault && (state.state === "on") === wanted) continue;
      const values = { enabled: wanted, disabledReason: null, disabledAt: null, updatedAt: now };
      await tx
        .insert(contactChannels)
        .values({ userId: actor.id, channel: state.channel, ...values })
        .onConflictDoUpdate({ target: [contactChannels.userId, contactChannels.channel], set: values });
    }
    await tx.update(users).set({ locale: v.locale as "vi" | "en" }).where(eq(users.id, actor.id));
  });
  return ok(null);
}

/** Turn one channel the hub switched off back on (the notice's own button). */
export async function reenableChannel(db: Db, userId: string, channel: ExternalChannel): Promise<boolean> {
  const rows = await db
    .update(contactChannels)
    .set({ enabled: true, disabledReason: null, disabledAt: null, updatedAt: new Date() })
    .where(and(eq(contactChannels.userId, userId), eq(contactChannels.channel, channel), eq(contactChannels.enabled, false)))
    .returning({ channel: contactChannels.channel });
  return rows.length > 0;
}

