/**
 * The words of a notification, in the recipient's language: the inbox item of one fact, the
 * outside message of one fact per channel, and the daily or weekly digest that sums up a parent's
 * facts for all their children in one short message. Pure: no database, no clock.
 */
import { escapeHtml } from "../../lib/html.ts";
import { translate, type Locale } from "../../i18n/index.ts";
import { subjectName } from "../../lib/curriculum.ts";
import type { EventType, ExternalChannel, NewsKind } from "../../../db/schema/index.ts";
import { formatDate, givenName as fullGivenName, nfc } from "../../lib/vn.ts";
import { displayGrade, type Scale } from "../grades.ts";

/**
 * The facts of one notification, in no language (notifications.data): what the item says and what
 * a digest counts. Written by the fan-out from the event, its class and its student.
 */
export type NotifyFacts = {
  type: EventType;
  /** The child's full name (null for a school-wide announcement). */
  student: string | null;
  studentId: string | null;
  /** The class's subject code (curriculum) and its name ("6A1"). */
  subject: string | null;
  className: string | null;
  classId: string | null;
  title: string | null;
  dueAt?: string | null;
  late?: boolean;
  scale?: Scale | null;
  score?: number | string | null;
  level?: string | null;
  maxPoints?: number | string | null;
  platform?: string | null;
  status?: string | null;
  minutes?: number | null;
  authorName?: string | null;
  excerpt?: string | null;
  threadId?: string | null;
  announcementId?: string | null;
  urgent?: boolean;
};

/** What a renderer needs from the hub's configuration. */
export type RenderConfig = {
  /** The hub's public origin for absolute links (APP_URL), without a trailing slash. */
  baseUrl: string;
  /** Approved Zalo ZNS templates: one for a single fact, one for a digest. */
};

/** What goes in outbound_messages.content (the delivery job's contract). */
export type MessageContent = {
  subject: string;
  text: string;
  html?: string;
  link?: string;
  template?: { id: string; params: Record<string, string> };
};

const givenNames = new Map<string, string>();
/** givenName (app/lib/vn.ts), remembered: a digest run names the same children many times. */
function givenName(fullName: string): string {
  let name = givenNames.get(fullName);
  if (name === undefined) {
    name = fullGivenName(fullName);
    if (givenNames.size > 100_000) givenNames.clear();
    givenNames.set(fullName, name);
  }
  return name;
}

const t = (locale: Locale, key: string, vars?: Record<string, string | number>) => translate(locale, `notifyText.${key}`, vars);

/** Short subject names as people say them (the curriculum's official names are long). */
const SHORT_SUBJECTS: Record<string, { vi: string; en: string }> = {
  "tieng-anh": { vi: "Tiếng Anh", en: "English" },
  toan: { vi: "Toán", en: "Maths" },
  hdtn: { vi: "Trải nghiệm", en: "Experiential activities" },
  gdqp: { vi: "Quốc phòng và an ninh", en: "Defence education" },
  gddp: { vi: "Giáo dục địa phương", en: "Local education" },
};

const subjectLabels = new Map<string, string>();

export function subjectLabel(code: string | null | undefined, className: string | null | undefined, locale: Locale): string {
  const key = `${code ?? ""}\u0000${className ?? ""}\u0000${locale}`;
  let label = subjectLabels.get(key);
  if (label === undefined) {
    label = subjectLabelOf(code, className, locale);
    if (subjectLabels.size > 10_000) subjectLabels.clear();
    subjectLabels.set(key, label);
  }
  return label;
}

function subjectLabelOf(code: string | null | undefined, className: string | null | undefined, locale: Locale): string {
  if (code) {
    const short = SHORT_SUBJECTS[code];
    if (short) return short[locale];
    const name = subjectName(code, locale);
    if (name && name !== code) return name;
  }
  return className ?? "";
}

const PLATFORMS: Record<string, string> = { zoom: "Zoom", meet: "Google Meet", teams: "Microsoft Teams" };
export const platformLabel = (p: string | null | undefined) => (p ? (PLATFORMS[p] ?? p) : "");

/** dd/mm in Vietnam time (the year is plain from context in a day's or week's news). */
export function dayMonth(iso: string | null | undefined): string {
  if (!iso) return "";
  return formatDate(iso).slice(0, 5);
}

/** Cut to `max` characters (NFC code points), ending with "…" when cut. */
export function clip(text: string, max: number): string {
  const normal = text.normalize("NFC");
  if (normal.length <= max) return normal;
  const chars = Array.from(nfc(normal));
  if (chars.length <= max) return chars.join("");
  return chars.slice(0, Math.max(0, max - 1)).join("").trimEnd() + "…";
}


function gradeText(f: NotifyFacts, locale: Locale): string {
  if (!f.scale) return "";
  return displayGrade(f.scale, { score: f.score ?? null, level: f.level ?? null }, f.maxPoints ?? null, locale);
}

/**
 * The in-app path a fact is about (a parent's child page, or the student's contact-book thread,
 * which parents and teachers share). `{student}` is filled with the recipient's child by the
 * fan-out for class-wide facts.
 */
export function itemPath(f: NotifyFacts): string {
  const child = f.studentId ?? "{student}";
  switch (f.type) {
    case "note.posted":
    case "thread.message":
      // The student's contact-book thread, for the parents and the teachers alike.
      return f.studentId ? `/contact-book/${f.studentId}` : "/contact-book";
    case "announcement.posted":
      return "/announcements";
    case "lesson.published":
    case "assignment.created":
      return f.classId ? `/children/${child}/classes/${f.classId}` : `/children/${child}`;
    default:
      return f.classId ? `/children/${child}/classes/${f.classId}` : `/children/${child}`;
  }
}

/** Title and body of the inbox item for one fact, in `locale`. */
export function renderItem(f: NotifyFacts, locale: Locale): { title: string; body: string } {
  const name = f.student ? givenName(f.student) : "";
  const subject = subjectLabel(f.subject, f.className, locale);
  const title = f.title ?? "";
  const v = { name, subject, title, className: f.className ?? "", date: dayMonth(f.dueAt), platform: platformLabel(f.platform), minutes: f.minutes ?? 0, author: f.authorName ?? "" };
  switch (f.type) {
    case "grade.posted":
      return { title: t(locale, "grade", { ...v, grade: gradeText(f, locale) }), body: title };
    case "submission.received":
      return { title: t(locale, f.late ? "received_late" : "received", v), body: title };
    case "submission.missing":
      return { title: t(locale, "missing", v), body: title };
    case "attendance.recorded":
      return { title: t(locale, f.status === "absent" ? "absent" : f.status === "late" ? "late" : "present", v), body: title };
    case "lesson.published":
      return { title: t(locale, "lesson", v), body: title };
    case "assignment.created":
      return { title: t(locale, "assignment", v), body: title };
    case "note.posted":
      return { title: t(locale, "note", v), body: f.excerpt ?? "" };
    case "thread.message":
      return { title: t(locale, "message", v), body: f.excerpt ?? "" };
    case "announcement.posted":
      return { title: t(locale, f.urgent ? "announcement_urgent" : "announcement", v), body: f.excerpt ?? "" };
    case "connection.needs_reconnect":
      // Not parents' news: its notice is written with the event (connections/tokens.server.ts).
      return { title, body: "" };
  }
}

const absolute = (config: RenderConfig, path: string) => (/^https?:/.test(path) ? path : `${config.baseUrl}${path}`);

/** ZNS parameter limits (MESSAGING.md 1.4): a name 30, a label 30, a text 200, a date 20, a URL 200. */
export const ZNS_LIMITS = { name: 30, label: 30, text: 200, date: 20, url: 200 } as const;

/** The outside message of one fact on one channel. `path` is the item's in-app path. */
export function renderImmediate(
  channel: ExternalChannel,
  item: { title: string; body: string; path: string; student: string | null; kind?: NewsKind },
  locale: Locale,
  config: RenderConfig,
  sentAt?: string,
): MessageContent {
  const link = absolute(config, item.path);
  const title = nfc(item.title);
  const body = nfc(item.body);
  switch (channel) {
    case "email": {
      const text = [body, "", `${t(locale, "open")}: ${link}`].filter((l, i) => i > 0 || l).join("\n");
      const html =
        `<p><strong>${escapeHtml(title)}</strong></p>` + (body ? `<p>${escapeHtml(body)}</p>` : "") + `<p><a href="${escapeHtml(link)}">${escapeHtml(t(locale, "open"))}</a></p>`;
      return { subject: title, text: body ? `${title}\n\n${text}` : `${title}\n\n${text.trimStart()}`, html, link };
    }
    case "push":
      return { subject: clip(title, 80), text: clip(body || title, 160), link };
    case "sms":
      return { subject: title, text: clip(body ? `${title}: ${body}` : title, 300), link };
    case "zalo":
      return {
        subject: title,
        text: body ? `${title}: ${body}` : title,
        link,
        // The approved template "news" (integrations/channels/zalo/templates.ts).
        template: {
          id: "news",
          params: {
            student_name: clip(item.student ? givenName(item.student) : t(locale, "school"), ZNS_LIMITS.name),
            kind: clip(t(locale, `kind_${item.kind ?? "announcement"}`), ZNS_LIMITS.label),
            title: clip(body ? `${title}: ${body}` : title, ZNS_LIMITS.text),
            date: clip(formatDate(sentAt ?? new Date().toISOString()), ZNS_LIMITS.date),
            link: clip(link, ZNS_LIMITS.url),
          },
        },
      };
  }
}

// ---------------------------------------------------------------------------------------------
// The digest: one short message for all children and all platforms.

export type DigestItem = { facts: NotifyFacts; title: string; link: string | null };

/** A counted phrase's key: `<key>_one` for one (English "1 assignment"), `<key>` for more. */
function counted(key: string, n: number): string {
  return n === 1 ? `${key}_one` : key;
}

/** "a, b và c" / "a, b and c". */
function joinList(items: string[], locale: Locale): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} ${locale === "vi" ? "và" : "and"} ${items[items.length - 1]}`;
}

/** Count by key, keeping the first seen order. */
function groupBy<T>(list: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of list) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return m;
}

/** The phrases for one child's facts ("nộp 2 bài", "thiếu 1 bài Toán hạn 25/11", …). */
function childPhrases(facts: NotifyFacts[], locale: Locale): string[] {
  const out: string[] = [];
  const of = (type: EventType) => facts.filter((f) => f.type === type);
  const subj = (f: NotifyFacts) => subjectLabel(f.subject, f.className, locale);

  const handedIn = of("submission.received");
  if (handedIn.length) out.push(t(locale, counted("d_handed_in", handedIn.length), { n: handedIn.length }));

  const missing = of("submission.missing");
  if (missing.length) {
    const items = [...groupBy(missing, subj)].map(([subject, list]) => {
      const item = t(locale, "d_missing_item", { n: list.length, subject });
      const dates = [...new Set(list.map((f) => dayMonth(f.dueAt)).filter(Boolean))];
      return dates.length === 1 ? `${item} ${t(locale, "d_due", { date: dates[0] })}` : item;
    });
    out.push(t(locale, "d_missing_first", { items: joinList(items, locale) }));
  }

  const grades = of("grade.posted").filter((f) => gradeText(f, locale));
  if (grades.length > 3) out.push(t(locale, "d_grades_many", { n: grades.length }));
  else if (grades.length) out.push(t(locale, "d_grades", { items: joinList(grades.map((f) => t(locale, "d_grade_item", { subject: subj(f), grade: gradeText(f, locale) })), locale) }));

  const attendance = of("attendance.recorded");
  for (const status of ["absent", "late"] as const) {
    const list = attendance.filter((f) => f.status === status);
    if (!list.length) continue;
    const items = [...groupBy(list, (f) => `${subj(f)}\u0000${platformLabel(f.platform)}`)].map(([k, g]) => {
      const [subject, platform] = k.split("\u0000");
      return g.length === 1 ? t(locale, "d_absent_item", { subject, platform }) : t(locale, "d_absent_many", { n: g.length, subject, platform });
    });
    out.push(t(locale, status === "absent" ? "d_absent" : "d_late", { items: joinList(items, locale) }));
  }

  const countedKinds: [EventType, string][] = [
    ["lesson.published", "d_lessons"],
    ["assignment.created", "d_assignments"],
    ["note.posted", "d_notes"],
    ["thread.message", "d_messages"],
    ["announcement.posted", "d_announcements"],
  ];
  for (const [type, key] of countedKinds) {
    const n = of(type).length;
    if (!n) continue;
    out.push(t(locale, counted(key, n), { n }));
  }
  return out;
}

export type DigestGroup = { student: string | null; phrases: string[]; items: DigestItem[] };

/** The facts grouped by child (children in the order given; school-wide news last). */
export function digestGroups(items: DigestItem[], locale: Locale): DigestGroup[] {
  const byChild = groupBy(items, (i) => i.facts.studentId ?? "");
  const groups: DigestGroup[] = [];
  for (const [childId, list] of byChild) {
    const phrases = childPhrases(
      list.map((i) => i.facts),
      locale,
    );
    if (phrases.length) groups.push({ student: childId ? (list[0].facts.student ?? null) : null, phrases, items: list });
  }
  return groups.sort((a, b) => (a.student === null ? 1 : 0) - (b.student === null ? 1 : 0));
}

/**
 * "Hôm nay: An nộp 2 bài, thiếu 1 bài Toán hạn 25/11; Bình vắng buổi Tiếng Anh trên Zoom".
 * Null when there is nothing to say (such a digest is not sent).
 */
export function digestSentence(items: DigestItem[], locale: Locale, period: "daily" | "weekly" = "daily"): string | null {
  return sentenceOf(digestGroups(items, locale), locale, period);
}

function sentenceOf(groups: DigestGroup[], locale: Locale, period: "daily" | "weekly"): string | null {
  if (!groups.length) return null;
  const parts = groups.map((g) => {
    const [first, ...rest] = g.phrases;
    if (g.student === null) {
      const school = t(locale, "school");
      return `${school}: ${[first, ...rest].join(", ")}`;
    }
    return `${givenName(g.student)} ${[first, ...rest].join(", ")}`;
  });
  return `${t(locale, period === "daily" ? "today" : "this_week")}: ${parts.join("; ")}`;
}

/**
 * The digest message on one channel, or null when it would say nothing. `label` is the local
 * date (dd/mm/yyyy) or the ISO week it covers.
 */
export function renderDigest(channel: ExternalChannel, items: DigestItem[], locale: Locale, period: "daily" | "weekly", label: string, config: RenderConfig): MessageContent | null {
  const groups = digestGroups(items, locale);
  const sentence = sentenceOf(groups, locale, period);
  if (!sentence) return null;
  const link = absolute(config, "/notifications");
  const subject = t(locale, period === "daily" ? "digest_subject_daily" : "digest_subject_weekly", { date: label, week: label });
  switch (channel) {
    case "email": {
      const textLines = [sentence, ""];
      let html = `<p>${escapeHtml(sentence)}</p>`;
      for (const g of groups) {
        const heading = g.student ? g.student : t(locale, "school");
        textLines.push(heading);
        html += `<h3>${escapeHtml(heading)}</h3><ul>`;
        for (const i of g.items) {
          const href = i.link ? absolute(config, i.link) : link;
          textLines.push(`- ${i.title}: ${href}`);
          html += `<li><a href="${escapeHtml(href)}">${escapeHtml(i.title)}</a></li>`;
        }
        html += "</ul>";
        textLines.push("");
      }
      textLines.push(`${t(locale, "open")}: ${link}`);
      html += `<p><a href="${escapeHtml(link)}">${escapeHtml(t(locale, "open"))}</a></p>`;
      return { subject, text: textLines.join("\n"), html, link };
    }
    case "push":
      return { subject: clip(subject, 80), text: clip(sentence, 240), link };
    case "sms":
      return { subject, text: clip(sentence, 300), link };
    case "zalo": {
      const names = [...new Set(items.map((i) => i.facts.student).filter((s): s is string => !!s))].map(givenName);
      return {
        subject,
        text: sentence,
        link,
        // The approved template "digest" (integrations/channels/zalo/templates.ts).
        template: {
          id: "digest",
          params: {
            student_name: clip(names.length ? joinList(names, locale) : t(locale, "school"), ZNS_LIMITS.name),
            period: clip(`${t(locale, `digest_period_${period}`)} (${label})`, ZNS_LIMITS.label),
            count: String(items.length),
            summary: clip(sentence, ZNS_LIMITS.text),
            link: clip(link, ZNS_LIMITS.url),
          },
        },
      };
    }
  }
}
