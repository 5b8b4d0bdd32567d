/**
 * Authorization as a matrix: every role against every route and action. "ok" is 200 (or a
 * redirect an action makes on success), "login" a redirect to /login, and 403/404 refusals.
 * A refusal must also leave the database unchanged.
 */
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import crypto from "node:crypto";
import { assignments, attachments, classGroups, classMembers, events, lessons, liveSessions, memberships, notifications, organizations, pushSubscriptions, submissions, users } from "../../db/schema/index.ts";
import { htmlText } from "../support/html.ts";
import { lessonResources, repositories, resourceSources, resources } from "../../db/schema/index.ts";
import { searchFold } from "../../app/lib/vn.ts";
import { hashPassword } from "../../app/auth/password.server.ts";
import { nameSortKey } from "../../app/lib/vn.ts";
import { demoLookup } from "../support/demo.ts";
import { unsubscribeToken } from "../../app/services/notify/unsubscribe.server.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

/**
 * "teacher page": a redirect to the teacher's page of the class (`/classes/:classId`); "item page":
 * an opened inbox item's redirect to the page it is about (An's page, for Hùng's items).
 */
type Expect = 200 | 400 | 403 | 404 | "login" | "teacher page" | "item page";

let hub: Hub;
const ids: Record<string, string> = {};
const clients: Record<string, Client> = {};

const LOGINS = {
  province: "so@lopso.demo",
  otherProvince: "so@khac.lopso.demo",
  schoolAdmin: "hieutruong@nguyendu.lopso.demo",
  lan: "lan.nt@nguyendu.lopso.demo", // teaches Toán 6A1 and KHTN 7A2; homeroom teacher of 6A1
  minh: "minh.tv@nguyendu.lopso.demo", // teaches Ngữ văn 6A1 only; homeroom teacher of 7A2
  hoa: "hoa.lt@kimdong.lopso.demo", // another school
  an: "an.nv@nguyendu.lopso.demo", // student in Toán 6A1
  khoa: "khoa.bd@nguyendu.lopso.demo", // student in KHTN 7A2 only
  hung: "0912345678", // parent of An
  thu: "0987654321", // parent of Dũng (not in Toán 6A1)
} as const;
type Who = keyof typeof LOGINS | "anon";
const WHO: Who[] = ["anon", ...(Object.keys(LOGINS) as (keyof typeof LOGINS)[])];

beforeAll(async () => {
  hub = await startHub();
  const db = hub.database.db;
  const find = demoLookup(db);
  ids.thcs = await find.school("79001");
  ids.th = await find.school("79002");
  ids.toan6 = await find.class("6A1", "toan");
  ids.van6 = await find.class("6A1", "ngu-van");
  ids.published = await find.lesson("Bài 1. Tập hợp");
  ids.draft = await find.lesson("Bài 3. Thứ tự trong tập hợp số tự nhiên");
  ids.assignment = await find.assignment("Luyện tập: Số La Mã");
  ids.an = await find.user(LOGINS.an);
  ids.dung = await find.user("dung.pm@nguyendu.lopso.demo");
  ids.khoa = await find.user(LOGINS.khoa);
  ids.minh = await find.user(LOGINS.minh);
  ids.hoa = await find.user(LOGINS.hoa);
  ids.lan = await find.user(LOGINS.lan);
  ids.mai = await find.user("mai.dn@kimdong.lopso.demo");
  const groups = await db.select({ id: classGroups.id, name: classGroups.name }).from(classGroups);
  ids.g6 = groups.find((g) => g.name === "6A1")!.id;
  ids.g7 = groups.find((g) => g.name === "7A2")!.id;
  ids.g3 = groups.find((g) => g.name === "3A1")!.id;
  const [demoSession] = await db.select({ id: liveSessions.id, startsAt: liveSessions.startsAt }).from(liveSessions).where(eq(liveSessions.title, "Toán 6A1 — học trực tuyến hằng tuần"));
  ids.session = demoSession.id;
  ids.sessionStart = demoSession.startsAt.toISOString();
  ids.repository = (await db.select({ id: repositories.id }).from(repositories).limit(1))[0]!.id;

  // A second province with its own school and admin: it must see nothing of the first.
  const [p2] = await db.insert(organizations).values({ kind: "province", name: "Sở GD&ĐT tỉnh Khác", code: "KHAC-SO" }).returning();
  await db.insert(organizations).values({ kind: "school", parentId: p2.id, name: "Trường THCS Khác", code: "88001", level: "thcs" });
  const [admin2] = await db
    .insert(users)
    .values({ fullName: "Lý Văn Khác", sortKey: nameSortKey("Lý Văn Khác"), email: LOGINS.otherProvince, passwordHash: await hashPassword("lopso2025") })
    .returning();
  await db.insert(memberships).values({ userId: admin2.id, orgId: p2.id, role: "province_admin" });

  // Hùng's inbox items and his phone's Web Push subscription: nobody else may touch them.
  const [hung] = await db.select({ id: users.id }).from(users).where(eq(users.phone, "+84912345678"));
  const items = await db
    .insert(notifications)
    .values([1, 2].map((n) => ({ userId: hung.id, studentId: ids.an, kind: "grade" as const, mode: "daily" as const, eventId: 900_000 + n, title: `Điểm ${n}`, link: `/children/${ids.an}` })))
    .returning({ id: notifications.id });
  ids.hungItem = String(items[0].id);
  ids.hungItem2 = String(items[1].id);
  const ecdh = crypto.createECDH("prime256v1");
  ecdh.generateKeys();
  const [sub] = await db
    .insert(pushSubscriptions)
    .values({ userId: hung.id, endpoint: "https://push.example/send/hung", p256dh: ecdh.getPublicKey().toString("base64url"), auth: crypto.randomBytes(16).toString("base64url") })
    .returning({ id: pushSubscriptions.id, endpoint: pushSubscriptions.endpoint });
  ids.hungSub = sub.id;
  ids.hungEndpoint = sub.endpoint;

  for (const [who, login] of Object.entries(LOGINS)) clients[who] = await hub.as(login);
  clients.anon = hub.client();
});

afterAll(async () => {
  await hub?.close();
});

function row(defaults: Partial<Record<Who, Expect>>, fallback: Expect): Record<Who, Expect> {
  return Object.fromEntries(WHO.map((w) => [w, w === "anon" ? "login" : (defaults[w] ?? fallback)])) as Record<Who, Expect>;
}

const ALL_SIGNED_IN = Object.fromEntries(Object.keys(LOGINS).map((k) => [k, 200])) as Partial<Record<Who, Expect>>;

const PAGES: { name: string; path: () => string; expect: Record<Who, Expect> }[] = [
  { name: "account", path: () => "/account", expect: row(ALL_SIGNED_IN, 200) },
  { name: "student today", path: () => "/today", expect: row({ an: 200, khoa: 200 }, 403) },
  { name: "join class", path: () => "/join", expect: row({ an: 200, khoa: 200 }, 403) },
  { name: "my classes", path: () => "/classes", expect: row({ lan: 200, minh: 200, hoa: 200 }, 403) },
  { name: "class page", path: () => `/classes/${ids.toan6}`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "new lesson", path: () => `/classes/${ids.toan6}/lessons/new`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "edit lesson", path: () => `/classes/${ids.toan6}/lessons/${ids.published}/edit`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "new assignment", path: () => `/classes/${ids.toan6}/assignments/new`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "family codes", path: () => `/classes/${ids.toan6}/families`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "edit assignment", path: () => `/classes/${ids.toan6}/assignments/${ids.assignment}/edit`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "delete assignment (confirmation)", path: () => `/classes/${ids.toan6}/assignments/${ids.assignment}/delete`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "delete lesson (confirmation)", path: () => `/classes/${ids.toan6}/lessons/${ids.published}/delete`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "student passwords", path: () => `/classes/${ids.toan6}/passwords`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "grading", path: () => `/assignments/${ids.assignment}/submissions`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "assignment's Google Forms quiz", path: () => `/assignments/${ids.assignment}/quiz`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  // The class's teacher fills the gradebook in; the school's admins (and the province's) read it.
  { name: "gradebook", path: () => `/classes/${ids.toan6}/gradebook`, expect: row({ lan: 200, minh: 404, hoa: 404, schoolAdmin: 200, province: 200, otherProvince: 404 }, 403) },
  { name: "gradebook term II", path: () => `/classes/${ids.toan6}/gradebook?term=2`, expect: row({ lan: 200, minh: 404, hoa: 404, schoolAdmin: 200, province: 200, otherProvince: 404 }, 403) },
  { name: "gradebook export (one class)", path: () => `/classes/${ids.toan6}/gradebook.xlsx?term=1`, expect: row({ lan: 200, minh: 404, hoa: 404, schoolAdmin: 200, province: 200, otherProvince: 404 }, 403) },
  { name: "gradebook export (the teacher's classes)", path: () => "/classes/gradebook.xlsx?term=1", expect: row({ lan: 200, minh: 200, hoa: 200 }, 403) },
  { name: "assignment (student)", path: () => `/assignments/${ids.assignment}`, expect: row({ an: 200, khoa: 404 }, 403) },
  { name: "student's class page", path: () => `/my/classes/${ids.toan6}`, expect: row({ an: 200, khoa: 404, lan: "teacher page" }, 403) },
  { name: "published lesson", path: () => `/lessons/${ids.published}`, expect: row({ lan: 200, an: 200, hung: 200 }, 404) },
  { name: "draft lesson", path: () => `/lessons/${ids.draft}`, expect: row({ lan: 200 }, 404) },
  { name: "children", path: () => "/children", expect: row({ hung: 200, thu: 200 }, 403) },
  { name: "child An", path: () => `/children/${ids.an}`, expect: row({ hung: 200, thu: 404 }, 403) },
  { name: "child Dũng", path: () => `/children/${ids.dung}`, expect: row({ thu: 200, hung: 404 }, 403) },
  { name: "child An's class page", path: () => `/children/${ids.an}/classes/${ids.toan6}`, expect: row({ hung: 200, thu: 404 }, 403) },
  // Dũng is not in Toán 6A1: not found for his own parent too.
  { name: "child Dũng's class page (not his class)", path: () => `/children/${ids.dung}/classes/${ids.toan6}`, expect: row({ hung: 404, thu: 404 }, 403) },
  { name: "admin", path: () => "/admin", expect: row({ province: 200, otherProvince: 200, schoolAdmin: 200 }, 403) },
  { name: "admin users (THCS)", path: () => `/admin/schools/${ids.thcs}/users`, expect: row({ province: 200, schoolAdmin: 200 }, 403) },
  { name: "admin classes (THCS)", path: () => `/admin/schools/${ids.thcs}/classes`, expect: row({ province: 200, schoolAdmin: 200 }, 403) },
  { name: "admin import (THCS)", path: () => `/admin/schools/${ids.thcs}/import`, expect: row({ province: 200, schoolAdmin: 200 }, 403) },
  { name: "admin users (primary school)", path: () => `/admin/schools/${ids.th}/users`, expect: row({ province: 200 }, 403) },
  // A class group's pages: its homeroom teacher and the school's admins. A subject teacher of the
  // group who is not its homeroom teacher (Minh for 6A1, Lan for 7A2), another school's teacher
  // and another province's admin: not found. Students and parents: forbidden.
  { name: "class group 6A1 (homeroom: Lan)", path: () => `/groups/${ids.g6}`, expect: row({ lan: 200, schoolAdmin: 200, province: 200, minh: 404, hoa: 404, otherProvince: 404 }, 403) },
  { name: "class group 7A2 (homeroom: Minh)", path: () => `/groups/${ids.g7}`, expect: row({ minh: 200, schoolAdmin: 200, province: 200, lan: 404, hoa: 404, otherProvince: 404 }, 403) },
  { name: "class group 3A1 (another school)", path: () => `/groups/${ids.g3}`, expect: row({ hoa: 200, province: 200, schoolAdmin: 404, lan: 404, minh: 404, otherProvince: 404 }, 403) },
  { name: "group 6A1: student An", path: () => `/groups/${ids.g6}/students/${ids.an}`, expect: row({ lan: 200, schoolAdmin: 200, province: 200, minh: 404, hoa: 404, otherProvince: 404 }, 403) },
  { name: "group 6A1: a student of another group", path: () => `/groups/${ids.g6}/students/${ids.khoa}`, expect: row({ lan: 404, schoolAdmin: 404, province: 404, minh: 404, hoa: 404, otherProvince: 404 }, 403) },
  { name: "admin users, searched and filtered (THCS)", path: () => `/admin/schools/${ids.thcs}/users?q=nguyen&role=student&classId=${ids.toan6}&status=active&page=1`, expect: row({ province: 200, schoolAdmin: 200 }, 403) },
  { name: "a person of THCS", path: () => `/admin/schools/${ids.thcs}/users/${ids.an}`, expect: row({ province: 200, schoolAdmin: 200 }, 403) },
  // Lê Thị Hoa is not a member of THCS: not found there, even for its admins.
  { name: "another school's person through THCS", path: () => `/admin/schools/${ids.thcs}/users/${ids.hoa}`, expect: row({ province: 404, schoolAdmin: 404 }, 403) },
  { name: "a person of the primary school", path: () => `/admin/schools/${ids.th}/users/${ids.hoa}`, expect: row({ province: 200 }, 403) },
  // The contact book (sổ liên lạc): parents, teachers and school admins; students are refused. A
  // thread is a student's: their parents, the teachers of their classes and groups, their school's
  // admins. Province admins do not read families' conversations.
  { name: "contact book", path: () => "/contact-book", expect: row({ hung: 200, thu: 200, lan: 200, minh: 200, hoa: 200, schoolAdmin: 200 }, 403) },
  { name: "contact book searched and filtered", path: () => `/contact-book?q=an&class=${ids.toan6}`, expect: row({ hung: 200, thu: 200, lan: 200, minh: 200, hoa: 200, schoolAdmin: 200 }, 403) },
  { name: "An's contact book", path: () => `/contact-book/${ids.an}`, expect: row({ hung: 200, lan: 200, minh: 200, schoolAdmin: 200, thu: 404, hoa: 404 }, 403) },
  { name: "Khoa's contact book (7A2: homeroom Minh, KHTN Lan)", path: () => `/contact-book/${ids.khoa}`, expect: row({ lan: 200, minh: 200, schoolAdmin: 200, hung: 404, thu: 404, hoa: 404 }, 403) },
  { name: "Dũng's contact book (Ngữ văn 6A1 only)", path: () => `/contact-book/${ids.dung}`, expect: row({ thu: 200, minh: 200, schoolAdmin: 200, lan: 404, hung: 404, hoa: 404 }, 403) },
  { name: "another school's student's contact book", path: () => `/contact-book/${ids.mai}`, expect: row({ hoa: 200, lan: 404, minh: 404, schoolAdmin: 404, hung: 404, thu: 404 }, 403) },
  { name: "a contact book under a teacher's id", path: () => `/contact-book/${ids.lan}`, expect: row({ hung: 404, thu: 404, lan: 404, minh: 404, hoa: 404, schoolAdmin: 404 }, 403) },
  { name: "announcements", path: () => "/announcements", expect: row({ hung: 200, thu: 200, lan: 200, minh: 200, hoa: 200, schoolAdmin: 200 }, 403) },
  { name: "write an announcement", path: () => "/announcements/new", expect: row({ lan: 200, minh: 200, hoa: 200, schoolAdmin: 200 }, 403) },
  // Notifications: everyone signed in has an inbox and settings of their own.
  { name: "notifications inbox", path: () => "/notifications", expect: row(ALL_SIGNED_IN, 200) },
  { name: "notifications inbox, older page", path: () => "/notifications?before=999999", expect: row(ALL_SIGNED_IN, 200) },
  { name: "notification settings", path: () => "/account/notifications", expect: row(ALL_SIGNED_IN, 200) },
  // Opening an item marks it read: only its owner; for anyone else it does not exist.
  { name: "open Hùng's inbox item", path: () => `/notifications/open?id=${ids.hungItem}`, expect: row({ hung: "item page" }, 404) },
  { name: "delivery health (THCS)", path: () => `/admin/schools/${ids.thcs}/notifications`, expect: row({ province: 200, schoolAdmin: 200 }, 403) },
  { name: "delivery health (primary school)", path: () => `/admin/schools/${ids.th}/notifications`, expect: row({ province: 200 }, 403) },
  { name: "connections (THCS)", path: () => `/admin/schools/${ids.thcs}/connections`, expect: row({ province: 200, schoolAdmin: 200 }, 403) },
  { name: "connections (primary school)", path: () => `/admin/schools/${ids.th}/connections`, expect: row({ province: 200 }, 403) },
  // OneRoster roster import: the school's admins and the province's
  { name: "OneRoster import (THCS)", path: () => `/admin/schools/${ids.thcs}/roster`, expect: row({ province: 200, schoolAdmin: 200 }, 403) },
  { name: "OneRoster import (primary school)", path: () => `/admin/schools/${ids.th}/roster`, expect: row({ province: 200 }, 403) },
  // Shared repositories: the province's is its admins' (a school admin and another province see their own list only).
  { name: "repositories", path: () => "/admin/repositories", expect: row({ province: 200, otherProvince: 200, schoolAdmin: 200 }, 403) },
  { name: "the province's repository", path: () => `/admin/repositories/${ids.repository}`, expect: row({ province: 200, otherProvince: 404, schoolAdmin: 404 }, 403) },
  // A live session of Toán 6A1: its teacher, its students, their parents (read only); not found for
  // anyone else, the school's admins included (a class's sessions are its teachers' to manage).
  { name: "live session (Toán 6A1)", path: () => `/sessions/${ids.session}`, expect: row({ lan: 200, an: 200, hung: 200, minh: 404, hoa: 404, khoa: 404, thu: 404, schoolAdmin: 404, province: 404, otherProvince: 404 }, 404) },
  { name: "attendance of the live session's first occurrence", path: () => `/sessions/${ids.session}/attendance?at=${encodeURIComponent(ids.sessionStart)}`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "edit the live session (Toán 6A1)", path: () => `/sessions/${ids.session}/edit`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "a recording that is not there", path: () => `/sessions/${ids.session}/recordings/00000000-0000-4000-8000-000000000000`, expect: row({}, 404) },
  { name: "schedule a live session (Toán 6A1)", path: () => `/classes/${ids.toan6}/sessions/new`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "a teacher's own connections", path: () => "/account/connections", expect: row({ lan: 200, minh: 200, hoa: 200 }, 403) },
  // Signing in with the school account: the choice of school is public; a callback without its
  // state is refused for everyone, signed in or not, before anything else.
  { name: "sign in with Google: choose the school", path: () => "/auth/google", expect: { ...row({}, 200), anon: 200 } },
  { name: "sign in with Microsoft: choose the school", path: () => "/auth/microsoft", expect: { ...row({}, 200), anon: 200 } },
  { name: "OAuth callback without state", path: () => "/oauth/callback?code=x", expect: { ...row({}, 400), anon: 400 } },
  { name: "OAuth callback with a made-up state", path: () => "/oauth/callback?code=x&state=made-up", expect: { ...row({}, 400), anon: 400 } },
  // An unsubscribe link works for whoever holds it, signed in or not (its signed token is the
  // authority; it shows and changes only its own recipient's choice); a tampered one is a 400.
  { name: "unsubscribe link", path: () => `/unsubscribe/${unsubscribeToken(process.env.SECRET_KEY!, { userId: ids.an, channel: "email", kind: "grade" })}`, expect: { ...row({}, 200), anon: 200 } },
  { name: "unsubscribe link, tampered", path: () => `/unsubscribe/${unsubscribeToken(process.env.SECRET_KEY!, { userId: ids.an, channel: "email", kind: "grade" }).replace(/.$/, (c) => (c === "A" ? "B" : "A"))}`, expect: { ...row({}, 400), anon: 400 } },
  // A malformed id is a 404 before anything else runs, signed in or not.
  { name: "a person page with a malformed id", path: () => `/admin/schools/${ids.thcs}/users/123`, expect: { ...row({}, 404), anon: 404 } },
  // Open lessons over OAI-PMH: for every harvester, no sign-in; cartridges: the class's teachers only.
  { name: "OAI-PMH Identify", path: () => "/oai?verb=Identify", expect: { ...row({}, 200), anon: 200 } },
  { name: "Common Cartridge import page", path: () => `/classes/${ids.toan6}/import-cartridge`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  { name: "Common Cartridge export", path: () => `/classes/${ids.toan6}/cartridge.imscc`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  // Linking a class to the teacher's own course on Classroom / Teams: the class's teachers only.
  { name: "link the class to Classroom / Teams", path: () => `/classes/${ids.toan6}/platforms`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
  // The resource library: everyone signed in searches it; the lesson editor's library panel is the class's teachers'
  { name: "library search", path: () => "/library?q=toan&grade=6", expect: row(ALL_SIGNED_IN, 200) },
  { name: "lesson editor's library search", path: () => `/classes/${ids.toan6}/lessons/${ids.published}/edit?libq=toan`, expect: row({ lan: 200, minh: 404, hoa: 404 }, 403) },
];

function outcome(res: Response): Expect | number {
  if (res.status === 302 && (res.headers.get("location") ?? "").startsWith("/login")) return "login";
  if (res.status === 302 && res.headers.get("location") === `/classes/${ids.toan6}`) return "teacher page";
  if (res.status === 302 && res.headers.get("location") === `/children/${ids.an}`) return "item page";
  return res.status;
}

describe("pages: role × route", () => {
  for (const page of PAGES) {
    it(page.name, async () => {
      const got: Record<string, Expect | number> = {};
      for (const who of WHO) got[who] = outcome(await clients[who].get(page.path()));
      expect(got).toEqual(page.expect);
    });
  }

  it("a parent sees only their own child's name on the child page", async () => {
    const res = await clients.hung.get(`/children/${ids.an}`);
    const html = await res.text();
    expect(html).toContain("Nguyễn Văn An");
    expect(html).not.toContain("Phạm Minh Dũng");
  });

  it("the primary school's classes are not listed to the lower-secondary admin", async () => {
    const res = await clients.schoolAdmin.get("/admin");
    const html = await res.text();
    expect(html).toContain("Trường THCS Nguyễn Du");
    expect(html).not.toContain("Trường Tiểu học Kim Đồng");
    const other = await (await clients.otherProvince.get("/admin")).text();
    expect(other).toContain("Trường THCS Khác");
    expect(other).not.toContain("Nguyễn Du");
  });
});

async function counts() {
  const db = hub.database.db;
  const n = async (t: typeof events | typeof submissions | typeof lessons | typeof users | typeof assignments | typeof attachments) =>
    Number((await db.select({ n: sql<number>`count(*)::int` }).from(t))[0].n);
  // What an assignment edit or removal would change.
  const [state] = await hub.database.query<{ s: string }>(
    "select string_agg(id::text || title || due_at::text || scale || coalesce(archived_at::text, ''), ',' order by id) as s from assignments",
  );
  // Every password hash and session, so that a refused reset is seen to have changed nothing.
  const [secrets] = await hub.database.query<{ passwords: string; sessions: number }>(
    "select (select md5(string_agg(coalesce(password_hash, '') || must_change_password::text, ',' order by id)) from users) as passwords, (select count(*)::int from sessions) as sessions",
  );
  // Who people are, whether they may sign in, their roles and their classes: what a person's page changes.
  const [people] = await hub.database.query<{ people: string }>(
    `select md5(
       (select string_agg(full_name || coalesce(email, '') || coalesce(phone, '') || coalesce(birth_date::text, '') || coalesce(deactivated_at::text, ''), ',' order by id) from users)
       || (select string_agg(user_id::text || org_id::text || role, ',' order by user_id, org_id, role) from memberships)
       || (select string_agg(class_id::text || user_id::text || role, ',' order by class_id, user_id) from class_members)) as people`,
  );
  return {
    events: await n(events),
    submissions: await n(submissions),
    lessons: await n(lessons),
    users: await n(users),
    assignments: await n(assignments),
    attachments: await n(attachments),
    lessonResources: (await hub.database.query<{ s: string }>("select coalesce(string_agg(lesson_id::text || resource_id::text, ',' order by lesson_id, resource_id), '') as s from lesson_resources"))[0].s,
    assignmentState: state.s,
    passwords: secrets.passwords,
    sessions: Number(secrets.sessions),
    connections: Number((await hub.database.query<{ n: number }>("select (select count(*) from connections) + (select count(*) from user_identities) + (select count(*) from oauth_states) as n"))[0].n),
    liveSessions: (await hub.database.query<{ s: string }>("select coalesce(string_agg(id::text || coalesce(cancelled_at::text, ''), ',' order by id), '') as s from live_sessions"))[0].s,
    // Class groups (homeroom teacher, code) and every enrolment and parent code.
    ...(
      await hub.database.query<{ groups: string; enrolments: number; codes: number }>(
        "select (select string_agg(id::text || coalesce(homeroom_teacher_id::text, '') || join_code, ',' order by id) from class_groups) as groups, (select count(*)::int from class_members) + (select count(*)::int from class_group_members) as enrolments, (select count(*)::int from link_codes) as codes",
      )
    ).map((r) => ({ groups: r.groups, enrolments: Number(r.enrolments), codes: Number(r.codes) }))[0],
    people: people.people,
    // The contact book and announcements: threads, messages, read positions and who joined.
    ...(
      await hub.database.query<{ threads: number; messages: number; participants: string | null; announcements: number }>(
        "select (select count(*)::int from threads) as threads, (select count(*)::int from thread_messages) as messages, (select string_agg(thread_id::text || user_id::text || coalesce(last_read_at::text, ''), ',' order by thread_id, user_id) from thread_participants) as participants, (select count(*)::int from announcements) as announcements",
      )
    ).map((r) => ({ threads: Number(r.threads), messages: Number(r.messages), participants: r.participants, announcements: Number(r.announcements) }))[0],
    // Inbox read state, browsers subscribed, channel switches, preferences and settings.
    notify: (
      await hub.database.query<{ s: string }>(
        `select md5(
           coalesce((select string_agg(id::text || coalesce(read_at::text, ''), ',' order by id) from notifications), '')
           || coalesce((select string_agg(id::text || user_id::text || endpoint || p256dh, ',' order by id) from push_subscriptions), '')
           || coalesce((select string_agg(user_id::text || channel || enabled::text || coalesce(disabled_reason, ''), ',' order by user_id, channel) from contact_channels), '')
           || coalesce((select string_agg(user_id::text || student_id::text || kind || mode, ',' order by user_id, student_id, kind) from notification_preferences), '')
           || coalesce((select string_agg(user_id::text || quiet_start || '-' || quiet_end || '-' || digest_at || '-' || weekly_day, ',' order by user_id) from notification_settings), '')) as s`,
      )
    )[0].s,
  };
}

const ACTIONS: { name: string; path: () => string; body: () => Record<string, string>; expect: Partial<Record<Who, Expect>> }[] = [
  {
    name: "attach a Google Forms quiz",
    path: () => `/assignments/${ids.assignment}/quiz`,
    body: () => ({ intent: "attach", formUrl: "https://docs.google.com/forms/d/1FAIpQLSfakeFormIdForAuthz0123456789/edit" }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, khoa: 403, hung: 403, thu: 403, schoolAdmin: 403, province: 403, otherProvince: 403 },
  },
  {
    name: "read scores from Google Forms",
    path: () => `/assignments/${ids.assignment}/quiz`,
    body: () => ({ intent: "read" }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, khoa: 403, hung: 403, thu: 403, schoolAdmin: 403, province: 403, otherProvince: 403 },
  },
  {
    name: "give a quiz response to a student",
    path: () => `/assignments/${ids.assignment}/quiz`,
    body: () => ({ intent: "assign", responseId: "ACYDBNj-none", studentId: ids.an }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, khoa: 403, hung: 403, thu: 403, schoolAdmin: 403, province: 403, otherProvince: 403 },
  },
  {
    name: "grade a submission",
    path: () => `/assignments/${ids.assignment}/submissions`,
    body: () => ({ studentId: ids.an, score: "9" }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, hung: 403, schoolAdmin: 403, province: 403 },
  },
  {
    name: "save all grades (Lưu tất cả)",
    path: () => `/assignments/${ids.assignment}/submissions`,
    body: () => ({ intent: "saveAll", [`score.${ids.an}`]: "9", [`comment.${ids.an}`]: "Tốt" }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, khoa: 403, hung: 403, thu: 403, schoolAdmin: 403, province: 403 },
  },
  {
    name: "fill the gradebook",
    path: () => `/classes/${ids.toan6}/gradebook`,
    body: () => ({ [`g.${ids.assignment}.${ids.an}`]: "9" }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, khoa: 403, hung: 403, thu: 403, schoolAdmin: 403, province: 403, otherProvince: 403 },
  },
  {
    name: "fill another class's gradebook with this class's assignment",
    path: () => `/classes/${ids.van6}/gradebook`,
    body: () => ({ [`g.${ids.assignment}.${ids.an}`]: "9" }),
    expect: { lan: 404, hoa: 404 },
  },
  {
    name: "publish a lesson",
    path: () => `/classes/${ids.toan6}`,
    body: () => ({ intent: "publish", lessonId: ids.draft }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, hung: 403, schoolAdmin: 403 },
  },
  {
    name: "create a lesson",
    path: () => `/classes/${ids.toan6}/lessons/new`,
    body: () => ({ title: "Bài chen ngang", bodyMd: "x", intent: "publish" }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, thu: 403 },
  },
  {
    name: "submit someone else's class assignment",
    path: () => `/assignments/${ids.assignment}`,
    body: () => ({ body: "Bài làm" }),
    expect: { anon: "login", khoa: 404, lan: 403, hung: 403 },
  },
  {
    name: "issue a parent code for a class not taught",
    path: () => `/classes/${ids.toan6}/families`,
    body: () => ({ studentId: ids.an }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, hung: 403 },
  },
  {
    name: "create a user in another school",
    path: () => `/admin/schools/${ids.th}/users`,
    body: () => ({ fullName: "Người Lạ", email: "nguoila@example.vn", role: "teacher", password: "matkhau123" }),
    expect: { anon: "login", schoolAdmin: 403, otherProvince: 403, lan: 403, an: 403, hung: 403 },
  },
  {
    name: "edit an assignment of a class not taught",
    path: () => `/classes/${ids.toan6}/assignments/${ids.assignment}/edit`,
    body: () => ({ title: "Đổi tên trộm", instructionsMd: "", dueAt: "2099-01-01T21:00", scale: "ten_point" }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, hung: 403, schoolAdmin: 403, province: 403 },
  },
  {
    name: "edit an assignment under another class's id",
    path: () => `/classes/${ids.van6}/assignments/${ids.assignment}/edit`,
    body: () => ({ title: "Đổi tên trộm", instructionsMd: "", dueAt: "2099-01-01T21:00", scale: "ten_point" }),
    expect: { lan: 404, minh: 404 },
  },
  {
    name: "delete an assignment",
    path: () => `/classes/${ids.toan6}/assignments/${ids.assignment}/delete`,
    body: () => ({}),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, khoa: 403, hung: 403, schoolAdmin: 403, province: 403 },
  },
  {
    name: "delete a lesson",
    path: () => `/classes/${ids.toan6}/lessons/${ids.published}/delete`,
    body: () => ({}),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, hung: 403, schoolAdmin: 403, province: 403 },
  },
  {
    name: "reset the password of a student of another class",
    path: () => `/classes/${ids.toan6}/passwords`,
    body: () => ({ studentId: ids.khoa }),
    expect: { anon: "login", lan: 404, minh: 404, hoa: 404, an: 403, khoa: 403, hung: 403, schoolAdmin: 403, province: 403 },
  },
  {
    name: "a teacher resets a teacher's password",
    path: () => `/classes/${ids.toan6}/passwords`,
    body: () => ({ studentId: ids.minh }),
    expect: { anon: "login", lan: 404, minh: 404, an: 403 },
  },
  {
    name: "reset the password of another school's person (through one's own school)",
    path: () => `/admin/schools/${ids.thcs}/users`,
    body: () => ({ intent: "reset-password", userId: ids.hoa }),
    expect: { anon: "login", schoolAdmin: 404, province: 404, otherProvince: 403, lan: 403, an: 403, hung: 403 },
  },
  {
    name: "reset the password of another school's person (through that school)",
    path: () => `/admin/schools/${ids.th}/users`,
    body: () => ({ intent: "reset-password", userId: ids.hoa }),
    expect: { anon: "login", schoolAdmin: 403, otherProvince: 403, lan: 403, hoa: 403 },
  },
  {
    name: "issue a parent code through a group one is not the homeroom teacher of",
    path: () => `/groups/${ids.g6}/students/${ids.an}`,
    body: () => ({ intent: "parent-code" }),
    expect: { anon: "login", minh: 404, hoa: 404, otherProvince: 404, an: 403, khoa: 403, hung: 403 },
  },
  {
    name: "reset a password through a group one is not the homeroom teacher of",
    path: () => `/groups/${ids.g6}/students/${ids.an}`,
    body: () => ({ intent: "reset-password" }),
    expect: { anon: "login", minh: 404, hoa: 404, otherProvince: 404, an: 403, khoa: 403, hung: 403, thu: 403 },
  },
  {
    name: "reset the password of a student of another group, through one's own group",
    path: () => `/groups/${ids.g6}/students/${ids.khoa}`,
    body: () => ({ intent: "reset-password" }),
    expect: { lan: 404, schoolAdmin: 404, minh: 404 },
  },
  {
    name: "issue a parent code for a student of another group, through one's own group",
    path: () => `/groups/${ids.g6}/students/${ids.khoa}`,
    body: () => ({ intent: "parent-code" }),
    expect: { lan: 404, schoolAdmin: 404 },
  },
  {
    name: "a homeroom teacher resets a teacher's password",
    path: () => `/groups/${ids.g6}/students/${ids.minh}`,
    body: () => ({ intent: "reset-password" }),
    expect: { lan: 404, schoolAdmin: 404 },
  },
  {
    name: "set a group's homeroom teacher",
    path: () => `/admin/schools/${ids.thcs}/classes`,
    body: () => ({ intent: "set-homeroom", groupId: ids.g6, teacherId: ids.minh }),
    expect: { anon: "login", lan: 403, minh: 403, hoa: 403, otherProvince: 403, an: 403, hung: 403 },
  },
  {
    name: "set the homeroom teacher of another school's group (through one's own school)",
    path: () => `/admin/schools/${ids.thcs}/classes`,
    body: () => ({ intent: "set-homeroom", groupId: ids.g3, teacherId: ids.lan }),
    expect: { schoolAdmin: 404, province: 404 },
  },
  {
    name: "set a homeroom teacher in another school",
    path: () => `/admin/schools/${ids.th}/classes`,
    body: () => ({ intent: "set-homeroom", groupId: ids.g3, teacherId: ids.lan }),
    expect: { anon: "login", schoolAdmin: 403, otherProvince: 403, hoa: 403, lan: 403 },
  },
  {
    name: "create a class group",
    path: () => `/admin/schools/${ids.thcs}/classes`,
    body: () => ({ intent: "create-group", grade: "9", name: "9A9", schoolYear: "2026-2027" }),
    expect: { anon: "login", lan: 403, minh: 403, hoa: 403, otherProvince: 403, an: 403, hung: 403 },
  },
  {
    name: "replace a group's code",
    path: () => `/admin/schools/${ids.thcs}/classes`,
    body: () => ({ intent: "group-code-confirm", groupId: ids.g6 }),
    expect: { anon: "login", lan: 403, minh: 403, hoa: 403, otherProvince: 403, an: 403, hung: 403 },
  },
  {
    name: "replace another school's group code (through one's own school)",
    path: () => `/admin/schools/${ids.thcs}/classes`,
    body: () => ({ intent: "group-code-confirm", groupId: ids.g3 }),
    expect: { schoolAdmin: 404, province: 404 },
  },
  {
    name: "edit another school's person (through one's own school)",
    path: () => `/admin/schools/${ids.thcs}/users/${ids.hoa}`,
    body: () => ({ intent: "save", fullName: "Tên Đổi Trộm", email: "trom@example.vn", classId: ids.toan6 }),
    expect: { anon: "login", schoolAdmin: 404, province: 404, otherProvince: 403, lan: 403, an: 403, hung: 403 },
  },
  {
    name: "deactivate another school's person (through one's own school)",
    path: () => `/admin/schools/${ids.thcs}/users/${ids.hoa}`,
    body: () => ({ intent: "deactivate-confirm" }),
    expect: { anon: "login", schoolAdmin: 404, province: 404, otherProvince: 403, lan: 403, hoa: 403 },
  },
  {
    name: "edit or deactivate a person of a school not administered",
    path: () => `/admin/schools/${ids.th}/users/${ids.hoa}`,
    body: () => ({ intent: "deactivate-confirm" }),
    expect: { anon: "login", schoolAdmin: 403, otherProvince: 403, lan: 403, hoa: 403, an: 403 },
  },
  {
    name: "edit a THCS person without being its admin",
    path: () => `/admin/schools/${ids.thcs}/users/${ids.an}`,
    body: () => ({ intent: "save", fullName: "Nguyễn Văn An", email: "an.moi@example.vn", role: "school_admin" }),
    expect: { anon: "login", otherProvince: 403, lan: 403, minh: 403, hoa: 403, an: 403, khoa: 403, hung: 403 },
  },
  {
    name: "deactivate a THCS person without being its admin",
    path: () => `/admin/schools/${ids.thcs}/users/${ids.an}`,
    body: () => ({ intent: "deactivate-confirm" }),
    expect: { anon: "login", otherProvince: 403, lan: 403, an: 403, hung: 403, thu: 403 },
  },
  {
    name: "reset a password or reactivate through a person page, not being the admin",
    path: () => `/admin/schools/${ids.thcs}/users/${ids.khoa}`,
    body: () => ({ intent: "reset-password" }),
    expect: { anon: "login", otherProvince: 403, lan: 403, khoa: 403, hung: 403 },
  },
  {
    name: "write in a contact book not one's own",
    path: () => `/contact-book/${ids.an}`,
    body: () => ({ intent: "message", body: "Xin chào" }),
    expect: { anon: "login", thu: 404, hoa: 404, an: 403, khoa: 403, province: 403, otherProvince: 403 },
  },
  {
    name: "a parent or an admin writes a teacher's note",
    path: () => `/contact-book/${ids.an}`,
    body: () => ({ intent: "note", body: "Nhận xét giả" }),
    expect: { anon: "login", hung: 403, schoolAdmin: 403, thu: 404, hoa: 404, an: 403 },
  },
  {
    name: "write in another school's student's contact book",
    path: () => `/contact-book/${ids.mai}`,
    body: () => ({ intent: "message", body: "Xin chào" }),
    expect: { lan: 404, minh: 404, schoolAdmin: 404, hung: 404, thu: 404 },
  },
  {
    name: "ask a teacher who does not teach the child to join",
    path: () => `/contact-book/${ids.an}`,
    body: () => ({ intent: "invite", teacherId: ids.hoa }),
    expect: { anon: "login", hung: 404, thu: 404, lan: 403, minh: 403, schoolAdmin: 403, an: 403 },
  },
  {
    name: "announce to a class not taught",
    path: () => "/announcements/new",
    body: () => ({ target: `class:${ids.toan6}`, title: "Thông báo chen ngang", body: "Nội dung" }),
    expect: { anon: "login", minh: 404, hoa: 404, schoolAdmin: 404, hung: 403, an: 403, province: 403, otherProvince: 403 },
  },
  {
    name: "announce to a whole school without being its admin",
    path: () => "/announcements/new",
    body: () => ({ target: `school:${ids.thcs}`, title: "Thông báo chen ngang", body: "Nội dung", urgent: "1" }),
    expect: { anon: "login", lan: 404, minh: 404, hoa: 404, hung: 403, thu: 403, an: 403, province: 403, otherProvince: 403 },
  },
  {
    name: "announce to another school",
    path: () => "/announcements/new",
    body: () => ({ target: `school:${ids.th}`, title: "Thông báo chen ngang", body: "Nội dung" }),
    expect: { schoolAdmin: 404, lan: 404 },
  },
  {
    name: "mark someone else's notification read",
    path: () => "/notifications",
    body: () => ({ intent: "read", id: ids.hungItem2 }),
    expect: { anon: "login", thu: 404, an: 404, lan: 404, schoolAdmin: 404, province: 404, otherProvince: 404 },
  },
  {
    name: "mark all read (signed out)",
    path: () => "/notifications",
    body: () => ({ intent: "readAll" }),
    expect: { anon: "login" },
  },
  {
    name: "save notification settings (signed out)",
    path: () => "/account/notifications",
    body: () => ({ quietStart: "20:00", quietEnd: "07:00", digestAt: "19:00", weeklyDay: "0", locale: "vi" }),
    expect: { anon: "login" },
  },
  {
    name: "remove someone else's browser from Web Push",
    path: () => "/api/notifications/push",
    body: () => ({ intent: "unsubscribe", id: ids.hungSub }),
    expect: { anon: "login", thu: 404, an: 404, lan: 404, schoolAdmin: 404, province: 404 },
  },
  {
    name: "take someone else's Web Push endpoint with other keys",
    path: () => "/api/notifications/push",
    body: () => {
      const ecdh = crypto.createECDH("prime256v1");
      ecdh.generateKeys();
      return { intent: "subscribe", endpoint: ids.hungEndpoint, p256dh: ecdh.getPublicKey().toString("base64url"), auth: crypto.randomBytes(16).toString("base64url") };
    },
    expect: { anon: "login", thu: 400, an: 400, lan: 400, schoolAdmin: 400, province: 400 },
  },
  {
    name: "test a connection of THCS (none by that id)",
    path: () => `/admin/schools/${ids.thcs}/connections`,
    body: () => ({ intent: "test", connectionId: "00000000-0000-4000-8000-000000000000" }),
    expect: { anon: "login", schoolAdmin: 404, province: 404, otherProvince: 403, lan: 403, minh: 403, hoa: 403, hung: 403, thu: 403, an: 403 },
  },
  {
    name: "test a connection through the primary school's page",
    path: () => `/admin/schools/${ids.th}/connections`,
    body: () => ({ intent: "test", connectionId: "00000000-0000-4000-8000-000000000000" }),
    expect: { anon: "login", schoolAdmin: 403, province: 404, lan: 403, an: 403 },
  },
  // OneRoster roster import: refused for anyone but the school's admins and the province's
  {
    name: "preview a OneRoster import for THCS (not an admin)",
    path: () => `/admin/schools/${ids.thcs}/roster`,
    body: () => ({ intent: "preview" }),
    expect: { anon: "login", otherProvince: 403, lan: 403, minh: 403, hoa: 403, an: 403, hung: 403 },
  },
  {
    name: "import a OneRoster bundle through the primary school's page (not its admin)",
    path: () => `/admin/schools/${ids.th}/roster`,
    body: () => ({ intent: "import" }),
    expect: { anon: "login", schoolAdmin: 403, otherProvince: 403, lan: 403, hoa: 403, an: 403 },
  },
  {
    name: "save a Google client through the primary school's page",
    path: () => `/admin/schools/${ids.th}/connections`,
    body: () => ({ intent: "save_google", clientId: "x.apps.googleusercontent.com", clientSecret: "s", domain: "kimdong.edu.vn" }),
    expect: { anon: "login", schoolAdmin: 403, otherProvince: 403, lan: 403, hoa: 403, an: 403, hung: 403 },
  },
  {
    name: "save a Zoom app for THCS (not an admin)",
    path: () => `/admin/schools/${ids.thcs}/connections`,
    body: () => ({ intent: "save_zoom", accountId: "a", clientId: "c", clientSecret: "s", webhookSecret: "secret-token" }),
    expect: { anon: "login", otherProvince: 403, lan: 403, minh: 403, hoa: 403, an: 403, hung: 403 },
  },
  {
    name: "disconnect a connection of THCS (none by that id)",
    path: () => `/admin/schools/${ids.thcs}/connections`,
    body: () => ({ intent: "disconnect", connectionId: "00000000-0000-4000-8000-000000000000" }),
    expect: { anon: "login", schoolAdmin: 404, province: 404, otherProvince: 403, lan: 403, hoa: 403, an: 403, hung: 403 },
  },
  {
    name: "grant Google for THCS (no client saved)",
    path: () => `/admin/schools/${ids.thcs}/connections`,
    body: () => ({ intent: "google_consent" }),
    expect: { anon: "login", schoolAdmin: 404, province: 404, lan: 403, an: 403, hung: 403 },
  },
  {
    name: "cancel a live session of Toán 6A1",
    path: () => `/sessions/${ids.session}`,
    body: () => ({ intent: "cancel" }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 404, hung: 404, schoolAdmin: 404, province: 404 },
  },
  {
    name: "edit another teacher's live session",
    path: () => `/sessions/${ids.session}/edit`,
    body: () => ({ title: "x", day: "2030-01-07", time: "07:00", duration: "45", lateAfterMinutes: "10", linkUrl: "https://meet.example.vn/x" }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, hung: 403, schoolAdmin: 403 },
  },
  {
    name: "confirm a participant of another teacher's session",
    path: () => `/sessions/${ids.session}/attendance?at=${encodeURIComponent(ids.sessionStart)}`,
    body: () => ({ intent: "confirm", personKey: "p1", studentId: ids.an }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, hung: 403, schoolAdmin: 403 },
  },
  {
    name: "link another teacher's class to a Classroom course",
    path: () => `/classes/${ids.toan6}/platforms`,
    body: () => ({ connectionId: "00000000-0000-4000-8000-000000000000", courseId: "c-1" }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, hung: 403, schoolAdmin: 403, province: 403 },
  },
  {
    name: "schedule a live session for another teacher's class",
    path: () => `/classes/${ids.toan6}/sessions/new`,
    body: () => ({ title: "x", platform: "link", day: "2030-01-07", time: "07:00", duration: "45", linkUrl: "https://meet.example.vn/x" }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, hung: 403, schoolAdmin: 403 },
  },
  {
    name: "remove a teacher's own connection (none of theirs by that id)",
    path: () => "/account/connections",
    body: () => ({ intent: "disconnect", connectionId: "00000000-0000-4000-8000-000000000000" }),
    expect: { anon: "login", lan: 404, hoa: 404, an: 403, hung: 403, schoolAdmin: 403, province: 403 },
  },
  {
    name: "unlink someone else's sign-in account (none by that id)",
    path: () => "/account",
    body: () => ({ intent: "unlink", identityId: "00000000-0000-4000-8000-000000000000" }),
    expect: { anon: "login", lan: 404, an: 404, hung: 404, schoolAdmin: 404, province: 404 },
  },
  {
    name: "markdown preview",
    path: () => "/api/preview",
    body: () => ({ markdown: "**x**" }),
    expect: { anon: "login", an: 403, hung: 403 },
  },
  // Sharing a lesson as open: its class's teachers only.
  {
    name: "share a lesson as open (licence)",
    path: () => `/lessons/${ids.published}/licence`,
    body: () => ({ licence: "CC-BY-4.0" }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, khoa: 403, hung: 403, schoolAdmin: 403, province: 403 },
  },
  // The resource library: only the class's teachers attach resources to its lessons or remove them
  {
    name: "attach a library resource to a lesson",
    path: () => `/classes/${ids.toan6}/lessons/${ids.published}/edit`,
    body: () => ({ intent: "attach-resource", resourceId: ids.libraryResource }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, khoa: 403, hung: 403, schoolAdmin: 403, province: 403 },
  },
  {
    name: "remove a library resource from a lesson",
    path: () => `/classes/${ids.toan6}/lessons/${ids.published}/edit`,
    body: () => ({ intent: "detach-resource", resourceId: ids.attachedResource }),
    expect: { anon: "login", minh: 404, hoa: 404, an: 403, khoa: 403, hung: 403, schoolAdmin: 403, province: 403 },
  },
  {
    name: "attach a resource that does not exist",
    path: () => `/classes/${ids.toan6}/lessons/${ids.published}/edit`,
    body: () => ({ intent: "attach-resource", resourceId: "00000000-0000-4000-8000-000000000000" }),
    expect: { anon: "login", lan: 404, hoa: 404, an: 403 },
  },
];

// The library's rows for the matrix: one resource to attach, one already attached to the published lesson.
beforeAll(async () => {
  const db = hub.database.db;
  const [repo] = await db.insert(repositories).values({ ownerOrgId: ids.thcs, name: "Kho thử", baseUrl: "https://kho.example/oai" }).returning();
  const made = await db
    .insert(resources)
    .values(["Phân số – Toán 6", "Số nguyên – Toán 6"].map((title, i) => ({ dedupeKey: `authz:${i}`, title, subject: "toan", grades: [6], searchText: searchFold(title), url: "https://kho.example/r" })))
    .returning({ id: resources.id });
  for (const r of made) await db.insert(resourceSources).values({ repositoryId: repo.id, identifier: `oai:kho:${r.id}`, resourceId: r.id, datestamp: "2026-11-01" });
  ids.libraryResource = made[0].id;
  ids.attachedResource = made[1].id;
  await db.insert(lessonResources).values({ lessonId: ids.published, resourceId: ids.attachedResource });
});

describe("actions: a refused mutation changes nothing", () => {
  for (const action of ACTIONS) {
    it(action.name, async () => {
      const before = await counts();
      const got: Record<string, Expect | number> = {};
      const wrongErrorPage: Who[] = [];
      for (const who of Object.keys(action.expect) as Who[]) {
        const res = await clients[who].post(action.path(), action.body());
        got[who] = outcome(res);
        // A refused page action shows its error inside the frame: the person's own menu stays,
        // and the page says which refusal it was.
        if (typeof got[who] === "number" && !action.path().startsWith("/api/")) {
          const html = await res.text();
          const title = got[who] === 403 ? "Không có quyền truy cập" : "Không tìm thấy trang";
          if (!html.includes('<nav aria-label="Menu chính"') || !html.includes(title)) wrongErrorPage.push(who);
        }
      }
      expect(got).toEqual(action.expect);
      expect(wrongErrorPage).toEqual([]);
      expect(await counts()).toEqual(before);
    });
  }

  it("a class's teacher resets its student's password, and an admin a person of the school (the allowed cells)", async () => {
    const db = hub.database.db;
    const [pupil] = await db
      .insert(users)
      .values({ fullName: "Đào Thị Mơ", sortKey: nameSortKey("Đào Thị Mơ"), email: "mo.dt@nguyendu.lopso.demo", passwordHash: await hashPassword("lopso2025") })
      .returning();
    await db.insert(memberships).values({ userId: pupil.id, orgId: ids.thcs, role: "student" });
    await db.insert(classMembers).values({ classId: ids.toan6, userId: pupil.id, role: "student" });
    const pupilClient = await hub.as("mo.dt@nguyendu.lopso.demo");

    let res = await clients.lan.post(`/classes/${ids.toan6}/passwords`, { studentId: pupil.id });
    expect(res.status).toBe(200);
    const shown = /data-testid="temporary-password">([\s\S]*?)<\/span>/.exec(await res.text())?.[1] ?? "";
    const password = /: ([a-z2-9]{10}) —/.exec(htmlText(shown))?.[1] ?? "";
    expect(password).toMatch(/^[a-z2-9]{10}$/);
    // The pupil's open session ended; the temporary password signs in and must be changed.
    expect(outcome(await pupilClient.get("/today"))).toBe("login");
    const signedIn = await hub.as("mo.dt@nguyendu.lopso.demo", password);
    expect((await signedIn.get("/today")).headers.get("location")).toBe("/account/password?next=%2Ftoday");

    res = await clients.schoolAdmin.post(`/admin/schools/${ids.thcs}/users`, { intent: "reset-password", userId: pupil.id });
    expect(res.status).toBe(200);
    const second = /: ([a-z2-9]{10}) —/.exec(htmlText(/data-testid="temporary-password">([\s\S]*?)<\/span>/.exec(await res.text())?.[1] ?? ""))?.[1];
    expect(second).toMatch(/^[a-z2-9]{10}$/);
    expect(second).not.toBe(password);
    expect((await hub.client().post("/login", { identifier: "mo.dt@nguyendu.lopso.demo", password })).status).toBe(400);
    expect((await hub.client().post("/login", { identifier: "mo.dt@nguyendu.lopso.demo", password: second! })).status).toBe(302);
  });

  it("a group's homeroom teacher issues a parent code and resets a student's password (the allowed cells)", async () => {
    const before = await counts();
    let res = await clients.lan.post(`/groups/${ids.g6}/students/${ids.an}`, { intent: "parent-code", uses: "2", days: "30" });
    expect(res.status).toBe(200);
    expect(/data-testid="link-code">[\s\S]*?PH-[A-Z0-9]{10}/.test(await res.text())).toBe(true);
    expect((await counts()).codes).toBe(before.codes + 1);
    res = await clients.minh.post(`/groups/${ids.g7}/students/${ids.khoa}`, { intent: "reset-password" });
    expect(res.status).toBe(200);
    expect(/: ([a-z2-9]{10}) —/.test(htmlText(/data-testid="temporary-password">([\s\S]*?)<\/span>/.exec(await res.text())?.[1] ?? ""))).toBe(true);
    expect((await counts()).passwords).not.toBe(before.passwords);
  });

  it("the class's own teacher may grade (the matrix's allowed cell)", async () => {
    const res = await clients.lan.post(`/assignments/${ids.assignment}/submissions`, { studentId: ids.an, score: "9,5", comment: "Tốt" });
    expect(res.status).toBe(200);
    const [s] = await hub.database.db
      .select({ score: submissions.score, status: submissions.status })
      .from(submissions)
      .where(and(eq(submissions.assignmentId, ids.assignment), eq(submissions.studentId, ids.an)));
    expect(s).toEqual({ score: "9.50", status: "graded" });
  });

  it("the class's own teacher may save all (the matrix's allowed cell)", async () => {
    const res = await clients.lan.post(`/assignments/${ids.assignment}/submissions`, { intent: "saveAll", [`score.${ids.an}`]: "8" });
    expect(res.status).toBe(200);
    const [s] = await hub.database.db
      .select({ score: submissions.score, status: submissions.status })
      .from(submissions)
      .where(and(eq(submissions.assignmentId, ids.assignment), eq(submissions.studentId, ids.an)));
    expect(s).toEqual({ score: "8.00", status: "graded" });
  });
});
