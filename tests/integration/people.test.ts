/**
 * Managing a school's people over HTTP against the real build: search without tones (the
 * database's search_name against searchFold), filters, pages, the class column, editing a person
 * (errors beside the field, nothing stored), classes, deactivation and reactivation (sessions,
 * sign-in and reset links), and attempts across schools.
 */
import crypto from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments, classMembers, memberships, submissions, users } from "../../db/schema/index.ts";
import { hashPassword } from "../../app/auth/password.server.ts";
import { nameSortKey, searchFold } from "../../app/lib/vn.ts";
import { sweepMissing } from "../../app/services/assignments.server.ts";
import { likeEscape } from "../../app/services/people.server.ts";
import { demoLookup } from "../support/demo.ts";
import { fieldError, htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { listenSmtp, type TestSmtp } from "../support/smtp.ts";

let hub: Hub;
let smtp: TestSmtp;
let admin: Client;
const ids: Record<string, string> = {};
const ADMIN = "hieutruong@nguyendu.lopso.demo";
const PASSWORD = "lopso2025";

beforeAll(async () => {
  smtp = await listenSmtp();
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  ids.thcs = await find.school("79001");
  ids.th = await find.school("79002");
  ids.toan6 = await find.class("6A1", "toan");
  ids.van6 = await find.class("6A1", "ngu-van");
  ids.khtn7 = await find.class("7A2", "khtn");
  ids.tv3 = await find.class("3A1", "tieng-viet");
  ids.an = await find.user("an.nv@nguyendu.lopso.demo");
  ids.dung = await find.user("dung.pm@nguyendu.lopso.demo");
  ids.lan = await find.user("lan.nt@nguyendu.lopso.demo");
  ids.hoa = await find.user("hoa.lt@kimdong.lopso.demo");
  ids.admin = await find.user(ADMIN);
  admin = await hub.as(ADMIN);
});

afterAll(async () => {
  await hub?.close();
  await smtp?.close();
});

const usersPath = (qs = "") => `/admin/schools/${ids.thcs}/users${qs}`;
const personPath = (id: string) => `/admin/schools/${ids.thcs}/users/${id}`;

/** The names in the list's rows, in order. */
async function names(qs: string, client = admin): Promise<string[]> {
  const res = await client.get(usersPath(qs));
  expect(res.status).toBe(200);
  const html = await res.text();
  return [...html.matchAll(/<tr data-testid="person-row">([\s\S]*?)<\/tr>/g)].map((m) => htmlText(/<a [^>]*>([\s\S]*?)<\/a>/.exec(m[1])![1]));
}

async function addPerson(fullName: string, role: "student" | "teacher" | "parent", extra: { email?: string; phone?: string; schoolId?: string } = {}) {
  const db = hub.database.db;
  const [u] = await db
    .insert(users)
    .values({ fullName, sortKey: nameSortKey(fullName), email: extra.email ?? null, phone: extra.phone ?? null, passwordHash: await hashPassword(PASSWORD) })
    .returning({ id: users.id });
  await db.insert(memberships).values({ userId: u.id, orgId: extra.schoolId ?? ids.thcs, role });
  return u.id;
}

async function userRow(id: string) {
  const [u] = await hub.database.db
    .select({ fullName: users.fullName, email: users.email, phone: users.phone, birthDate: users.birthDate, searchName: users.searchName, deactivatedAt: users.deactivatedAt })
    .from(users)
    .where(eq(users.id, id));
  return u;
}

describe("search_name is what searchFold makes of the name", () => {
  it("for every Vietnamese vowel with every tone, and đ/Đ, in NFC", async () => {
    const vowels = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"];
    const tones = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"];
    const words = vowels.flatMap((v) => [v, v.toLocaleUpperCase("vi")]).map((v) => tones.map((t) => (v + t).normalize("NFC")).join(""));
    expect(words.join("")).toHaveLength(12 * 2 * 6); // every letter is one precomposed character
    const names = [...words.map((w) => `Đỗ ${w} đ`), "ĐẶNG Đình Đức", "Nguyễn Thị Ánh Tuyết"];
    const db = hub.database.db;
    const inserted = await db
      .insert(users)
      .values(names.map((n, i) => ({ fullName: n, sortKey: nameSortKey(n), email: `fold${i}@example.vn` })))
      .returning({ id: users.id, fullName: users.fullName, searchName: users.searchName });
    for (const row of inserted) expect(row.searchName, row.fullName).toBe(searchFold(row.fullName));
    expect(inserted.at(-2)!.searchName).toBe("dang dinh duc");
    expect(new Set(inserted[0].searchName.replace(/^do | d$/g, ""))).toEqual(new Set(["a"]));
    await db.delete(users).where(inArray(users.id, inserted.map((r) => r.id)));
  });

  it("escapes LIKE's wildcards", () => {
    expect(likeEscape("50%_a\\b")).toBe("50\\%\\_a\\\\b");
  });
});

describe("the list: search, filters, pages, classes", () => {
  beforeAll(async () => {
    ids.do = await addPerson("Đỗ Thị Ánh", "student", { email: "anh.dt@nguyendu.lopso.demo" });
    ids.otherDo = await addPerson("Đỗ Văn Bảo", "student", { email: "bao.dv@kimdong.lopso.demo", schoolId: ids.th });
  });

  it("finds names without tones, in any case and in NFD, and only this school's people", async () => {
    expect(await names("?q=nguyen+van+an")).toEqual(["Nguyễn Văn An"]);
    expect(await names("?q=Nguyễn+Văn+An")).toEqual(["Nguyễn Văn An"]);
    expect(await names(`?q=${encodeURIComponent("Nguyễn Văn An".normalize("NFD"))}`)).toEqual(["Nguyễn Văn An"]);
    for (const q of ["đỗ", "do", "DO", "Đỗ"]) expect(await names(`?q=${encodeURIComponent(q)}`), q).toEqual(["Đỗ Thị Ánh"]);
    // A wildcard typed in the box is a character to find, not "anything".
    expect(await names("?q=%25")).toEqual([]);
    expect(await names("?q=_")).toEqual([]);
  });

  it("finds email and any spelling of a phone number", async () => {
    expect(await names("?q=lan.nt%40")).toEqual(["Nguyễn Thị Lan"]);
    for (const q of ["0912 345 678", "+84 912 345 678", "84912345678", "0912.345.678", "345 678"]) {
      expect(await names(`?q=${encodeURIComponent(q)}`), q).toEqual(["Nguyễn Văn Hùng"]);
    }
  });

  it("filters by role, by class and by status; an unknown class filters nothing", async () => {
    expect(await names("?role=teacher")).toEqual(["Nguyễn Thị Lan", "Trần Văn Minh"]);
    expect(await names(`?classId=${ids.toan6}`)).toEqual(["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Hoàng Thu Giang", "Nguyễn Thị Lan"]);
    expect(await names(`?classId=${ids.toan6}&role=student&q=an`)).toEqual(["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Hoàng Thu Giang"]);
    expect(await names(`?classId=${ids.toan6}&role=student&q=giang`)).toEqual(["Hoàng Thu Giang"]);
    const all = await names("");
    // Another school's class is no filter (and shows nobody of that school).
    expect(await names(`?classId=${ids.tv3}`)).toEqual(all);
    expect(await names("?role=nonsense&page=abc")).toEqual(all);
    expect(await names("?status=deactivated")).toEqual([]);
  });

  it("lists each person's classes compactly and a status badge", async () => {
    const html = await (await admin.get(usersPath("?q=nguyen+van+an"))).text();
    expect(htmlText(html)).toContain("6A1 (Toán, Ngữ văn)");
    const lan = htmlText(await (await admin.get(usersPath("?q=lan.nt"))).text());
    expect(lan).toContain("6A1 (Toán) · 7A2 (Khoa học tự nhiên)");
    expect(lan).toContain("Đang hoạt động");
  });

  it("pages 50 at a time with the count and links that keep the filters", async () => {
    const db = hub.database.db;
    const many = Array.from({ length: 120 }, (_, i) => `Học Sinh Số ${String(i + 1).padStart(3, "0")}`);
    const rows = await db
      .insert(users)
      .values(many.map((n, i) => ({ fullName: n, sortKey: nameSortKey(n), email: `hs${i}@nguyendu.lopso.demo` })))
      .returning({ id: users.id });
    await db.insert(memberships).values(rows.map((r) => ({ userId: r.id, orgId: ids.thcs, role: "student" as const })));

    const first = await (await admin.get(usersPath("?q=hoc+sinh&role=student"))).text();
    expect(htmlText(/data-testid="people-count"[^>]*>([\s\S]*?)<\/p>/.exec(first)![1])).toBe("1–50 / 120 người");
    expect(first).toContain('href="?q=hoc+sinh&amp;role=student&amp;page=2"');
    expect(first).not.toContain('rel="prev"');
    const page1 = await names("?q=hoc+sinh&role=student");
    const page3 = await names("?q=hoc+sinh&role=student&page=3");
    expect(page1).toHaveLength(50);
    expect(page3).toHaveLength(20);
    expect(page3.at(-1)).toBe("Học Sinh Số 120");
    const third = await (await admin.get(usersPath("?q=hoc+sinh&role=student&page=3"))).text();
    expect(htmlText(/data-testid="people-count"[^>]*>([\s\S]*?)<\/p>/.exec(third)![1])).toBe("101–120 / 120 người");
    expect(third).toContain('href="?q=hoc+sinh&amp;role=student&amp;page=2"');
    expect(third).not.toContain('rel="next"');
    // Past the end: nobody, but the count is still right.
    const past = await (await admin.get(usersPath("?q=hoc+sinh&page=9"))).text();
    expect(htmlText(/data-testid="people-count"[^>]*>([\s\S]*?)<\/p>/.exec(past)![1])).toBe("Không có người dùng nào khớp.");
    // Over 1,000: the Vietnamese thousands separator.
    const more = Array.from({ length: 1000 }, (_, i) => `Người Thứ ${i}`);
    const rows2 = await db
      .insert(users)
      .values(more.map((n, i) => ({ fullName: n, sortKey: nameSortKey(n), email: `nt${i}@nguyendu.lopso.demo` })))
      .returning({ id: users.id });
    await db.insert(memberships).values(rows2.map((r) => ({ userId: r.id, orgId: ids.thcs, role: "parent" as const })));
    const big = await (await admin.get(usersPath("?role=parent"))).text();
    expect(htmlText(/data-testid="people-count"[^>]*>([\s\S]*?)<\/p>/.exec(big)![1])).toMatch(/^1–50 \/ 1\.00\d người$/);
    await db.delete(users).where(inArray(users.id, [...rows, ...rows2].map((r) => r.id)));
  });
});

describe("a person's page: editing", () => {
  async function postForm(p: string, form: URLSearchParams) {
    return fetch(hub.url + p, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: [...admin.cookies].map(([k, v]) => `${k}=${v}`).join("; "), origin: hub.url, "content-type": "application/x-www-form-urlencoded" },
      body: form,
    });
  }

  it("shows the person with their classes ticked", async () => {
    const res = await admin.get(personPath(ids.an));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Nguyễn Văn An");
    const box = (id: string) => new RegExp(`<input[^>]*value="${id}"[^>]*>`).exec(html)?.[0] ?? "";
    expect(box(ids.toan6)).toContain("checked");
    expect(box(ids.van6)).toContain("checked");
    expect(box(ids.khtn7)).not.toContain("checked");
    expect(box(ids.khtn7)).toContain('type="checkbox"');
    expect(html).not.toContain(ids.tv3); // another school's class is not offered
  });

  it("a bad email or phone is shown beside its field and nothing is stored", async () => {
    const before = await userRow(ids.an);
    let res = await postForm(personPath(ids.an), new URLSearchParams({ intent: "save", fullName: "Nguyễn Văn Án", email: "khong-phai-email", phone: "", birthDate: "" }));
    expect(res.status).toBe(400);
    let html = await res.text();
    expect(fieldError(html, "email")).toBe("Email không hợp lệ.");
    expect(html).toContain('value="Nguyễn Văn Án"'); // what was typed stays
    res = await postForm(personPath(ids.an), new URLSearchParams({ intent: "save", fullName: "Nguyễn Văn An", email: "an.nv@nguyendu.lopso.demo", phone: "0123", birthDate: "" }));
    expect(res.status).toBe(400);
    html = await res.text();
    expect(fieldError(html, "phone")).toMatch(/^Số điện thoại không hợp lệ/);
    res = await postForm(personPath(ids.an), new URLSearchParams({ intent: "save", fullName: "Nguyễn Văn An", email: "an.nv@nguyendu.lopso.demo", birthDate: "2099-01-01" }));
    expect(fieldError(await res.text(), "birthDate")).toBe("Ngày sinh không hợp lệ.");
    res = await postForm(personPath(ids.an), new URLSearchParams({ intent: "save", fullName: "A", email: "", phone: "" }));
    html = await res.text();
    expect(fieldError(html, "fullName")).toMatch(/^Vui lòng nhập họ và tên/);
    expect(fieldError(html, "email")).toBe("Cần có email hoặc số điện thoại.");
    expect(await userRow(ids.an)).toEqual(before);
  });

  it("an email or phone of another account: named when of this school, not when of another", async () => {
    const before = await userRow(ids.an);
    // Trần Mỹ Linh is a parent of this school (and of Kim Đồng).
    let res = await postForm(personPath(ids.an), new URLSearchParams({ intent: "save", fullName: "Nguyễn Văn An", email: "an.nv@nguyendu.lopso.demo", phone: "0356 789 012" }));
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "phone")).toBe("Số điện thoại này đã được dùng cho tài khoản Trần Mỹ Linh của trường.");
    // Lê Thị Hoa teaches at Kim Đồng only: her name and school are not shown.
    res = await postForm(personPath(ids.an), new URLSearchParams({ intent: "save", fullName: "Nguyễn Văn An", email: "HOA.LT@kimdong.lopso.demo" }));
    const html = await res.text();
    expect(fieldError(html, "email")).toBe("Email này đã được dùng cho một tài khoản khác.");
    expect(html).not.toContain("Lê Thị Hoa");
    expect(await userRow(ids.an)).toEqual(before);
  });

  it("saves a name in NFC, an E.164 phone, a date of birth; crafted role and school fields change nothing", async () => {
    const id = await addPerson("Lý Thị Sửa", "student", { email: "sua.lt@nguyendu.lopso.demo" });
    const res = await postForm(
      personPath(id),
      new URLSearchParams({
        intent: "save",
        fullName: "  Lý   Thị Sửa Đổi ".normalize("NFD"),
        email: "Sua.LT@NguyenDu.lopso.demo",
        phone: "0912 000 111",
        birthDate: "2013-09-05",
        role: "school_admin",
        schoolId: ids.th,
        orgId: ids.th,
        deactivatedAt: "",
        passwordHash: "x",
      }),
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`${personPath(id)}?done=saved`);
    const u = await userRow(id);
    expect(u).toMatchObject({ fullName: "Lý Thị Sửa Đổi", email: "sua.lt@nguyendu.lopso.demo", phone: "+84912000111", birthDate: "2013-09-05", searchName: "ly thi sua doi", deactivatedAt: null });
    expect(u.fullName).toBe(u.fullName.normalize("NFC"));
    const roles = await hub.database.db.select({ orgId: memberships.orgId, role: memberships.role }).from(memberships).where(eq(memberships.userId, id));
    expect(roles).toEqual([{ orgId: ids.thcs, role: "student" }]);
    expect(await names("?q=sua+doi")).toEqual(["Lý Thị Sửa Đổi"]);
    expect(htmlText(await (await admin.get(`${personPath(id)}?done=saved`)).text())).toContain("Đã lưu thông tin của Lý Thị Sửa Đổi.");
  });

  it("moves a student between the school's classes; their work stays; another school's class is refused", async () => {
    const db = hub.database.db;
    const classesOf = async (id: string) =>
      (await db.select({ c: classMembers.classId, r: classMembers.role }).from(classMembers).where(eq(classMembers.userId, id))).map((x) => `${x.c}:${x.r}`).sort();
    const work = await db.select({ id: submissions.id }).from(submissions).where(eq(submissions.studentId, ids.an));
    expect(work.length).toBeGreaterThan(0);
    const base = { intent: "save", fullName: "Nguyễn Văn An", email: "an.nv@nguyendu.lopso.demo" };
    const before = await classesOf(ids.an);

    // A class of Kim Đồng, slipped in by id: refused, nothing changes.
    let form = new URLSearchParams(base);
    form.append("classId", ids.van6);
    form.append("classId", ids.tv3);
    let res = await postForm(personPath(ids.an), form);
    expect(res.status).toBe(400);
    expect(htmlText(await res.text())).toContain("Một lớp đã chọn không phải lớp của trường");
    expect(await classesOf(ids.an)).toEqual(before);
    form = new URLSearchParams(base);
    form.append("classId", "not-a-uuid");
    expect((await postForm(personPath(ids.an), form)).status).toBe(400);
    expect(await classesOf(ids.an)).toEqual(before);

    // Out of Toán 6A1, into KHTN 7A2, still in Ngữ văn 6A1.
    form = new URLSearchParams(base);
    form.append("classId", ids.van6);
    form.append("classId", ids.khtn7);
    res = await postForm(personPath(ids.an), form);
    expect(res.status).toBe(302);
    expect(await classesOf(ids.an)).toEqual([`${ids.khtn7}:student`, `${ids.van6}:student`].sort());
    expect(await db.select({ id: submissions.id }).from(submissions).where(eq(submissions.studentId, ids.an))).toEqual(work);

    // Back as before.
    form = new URLSearchParams(base);
    form.append("classId", ids.toan6);
    form.append("classId", ids.van6);
    expect((await postForm(personPath(ids.an), form)).status).toBe(302);
    expect(await classesOf(ids.an)).toEqual(before);
  });

  it("a teacher's classes are the classes they teach", async () => {
    const form = new URLSearchParams({ intent: "save", fullName: "Nguyễn Thị Lan", email: "lan.nt@nguyendu.lopso.demo" });
    for (const c of [ids.toan6, ids.khtn7, ids.van6]) form.append("classId", c);
    expect((await postForm(personPath(ids.lan), form)).status).toBe(302);
    const rows = await hub.database.db.select({ c: classMembers.classId, r: classMembers.role }).from(classMembers).where(eq(classMembers.userId, ids.lan));
    expect(rows.map((r) => r.r)).toEqual(["teacher", "teacher", "teacher"]);
    const back = new URLSearchParams({ intent: "save", fullName: "Nguyễn Thị Lan", email: "lan.nt@nguyendu.lopso.demo" });
    for (const c of [ids.toan6, ids.khtn7]) back.append("classId", c);
    expect((await postForm(personPath(ids.lan), back)).status).toBe(302);
  });

  it("two saves racing for one email: one wins, the other gets the message", async () => {
    const a = await addPerson("Hồ Văn Một", "student", { email: "mot@nguyendu.lopso.demo" });
    const b = await addPerson("Hồ Văn Hai", "student", { email: "hai@nguyendu.lopso.demo" });
    const [ra, rb] = await Promise.all([
      postForm(personPath(a), new URLSearchParams({ intent: "save", fullName: "Hồ Văn Một", email: "chung@nguyendu.lopso.demo" })),
      postForm(personPath(b), new URLSearchParams({ intent: "save", fullName: "Hồ Văn Hai", email: "chung@nguyendu.lopso.demo" })),
    ]);
    expect([ra.status, rb.status].sort()).toEqual([302, 400]);
    const loser = ra.status === 400 ? ra : rb;
    expect(fieldError(await loser.text(), "email")).toMatch(/^Email này đã được dùng cho tài khoản Hồ Văn (Một|Hai) của trường\.$/);
    const owners = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.email, "chung@nguyendu.lopso.demo"));
    expect(owners).toHaveLength(1);
  });

});

describe("deactivation", () => {
  let pupil: string;
  const login = "tat.nv@nguyendu.lopso.demo";

  beforeAll(async () => {
    pupil = await addPerson("Ngô Văn Tắt", "student", { email: login });
    await hub.database.db.insert(classMembers).values({ classId: ids.toan6, userId: pupil, role: "student" });
  });

  it("asks first, then locks: sessions end on the next request, sign-in says to ask the school", async () => {
    const session = await hub.as(login);
    expect((await session.get("/today")).status).toBe(200);
    const other = await hub.as(login); // a second device

    const ask = await admin.post(personPath(pupil), { intent: "deactivate" });
    expect(ask.status).toBe(200);
    expect(htmlText(await ask.text())).toContain("Khóa tài khoản của Ngô Văn Tắt?");
    expect((await userRow(pupil)).deactivatedAt).toBeNull();
    expect((await session.get("/today")).status).toBe(200);

    const done = await admin.post(personPath(pupil), { intent: "deactivate-confirm" });
    expect(done.status).toBe(302);
    expect((await userRow(pupil)).deactivatedAt).not.toBeNull();
    for (const c of [session, other]) expect((await c.get("/today")).headers.get("location")).toMatch(/^\/login/);

    const refused = await hub.client().post("/login", { identifier: login, password: PASSWORD });
    expect(refused.status).toBe(400);
    expect(htmlText(await refused.text())).toContain("Tài khoản này đã bị nhà trường khóa");
    // A wrong password is told only that it is wrong: the lock is not revealed to a guesser.
    const wrong = await hub.client().post("/login", { identifier: login, password: "sai-mat-khau" });
    expect(htmlText(await wrong.text())).not.toContain("khóa");

    // Shown in the list, found by the filter, with the badge.
    expect(await names("?status=deactivated")).toEqual(["Ngô Văn Tắt"]);
    expect(htmlText(await (await admin.get(usersPath("?q=tat"))).text())).toContain("Đã khóa");
  });

  it("even an old session row cannot be used", async () => {
    // A session written after the lock (as if left behind) is refused by the lookup itself.
    const c = hub.client();
    const token = "a".repeat(32);
    const id = crypto.createHash("sha256").update(token).digest("hex");
    await hub.database.query(`insert into sessions (id, user_id, expires_at) values ($1, $2, now() + interval '1 day')`, [id, pupil]);
    c.cookies.set("lopso_session", token);
    expect((await c.get("/today")).headers.get("location")).toMatch(/^\/login/);
  });

  it("a reset link by email is neither sent nor usable while deactivated", async () => {
    const before = smtp.received.length;
    const res = await hub.client().post("/password/forgot", { email: login });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.received.slice(before).filter((m) => m.envelopeTo.includes(login))).toEqual([]);
    // A link from before the lock (stored as the hub stores them) sets nothing and signs nobody in.
    const token = crypto.randomBytes(32).toString("base64url");
    const hash = crypto.createHmac("sha256", process.env.SECRET_KEY!).update(`password-reset:${token}`).digest("hex");
    await hub.database.query(`insert into password_resets (user_id, token_hash, expires_at) values ($1, $2, now() + interval '10 minutes')`, [pupil, hash]);
    const [{ h }] = await hub.database.query<{ h: string }>(`select password_hash as h from users where id = $1`, [pupil]);
    const page = await hub.client().get(`/password/reset?token=${token}`);
    expect(htmlText(await page.text())).toContain("Liên kết này không dùng được nữa");
    const set = await hub.client().post(`/password/reset?token=${token}`, { token, password: "mat-khau-moi-1", confirm: "mat-khau-moi-1" });
    expect(set.status).toBe(400);
    expect(set.headers.getSetCookie().some((c) => c.startsWith("lopso_session=") && !c.startsWith("lopso_session=;"))).toBe(false);
    const [{ h: after }] = await hub.database.query<{ h: string }>(`select password_hash as h from users where id = $1`, [pupil]);
    expect(after).toBe(h);
    expect((await userRow(pupil)).deactivatedAt).not.toBeNull();
    expect((await hub.client().post("/login", { identifier: login, password: "mat-khau-moi-1" })).status).toBe(400);
  });

  it("is left out of who has not handed in, and the sweep records no missing work for them", async () => {
    const db = hub.database.db;
    const [a] = await db
      .insert(assignments)
      .values({ classId: ids.toan6, authorId: ids.lan, title: "Bài quá hạn hôm qua", dueAt: new Date(Date.now() - 3600_000) })
      .returning({ id: assignments.id });
    await sweepMissing(db);
    const missing = await db.select({ s: submissions.studentId }).from(submissions).where(and(eq(submissions.assignmentId, a.id), eq(submissions.status, "missing")));
    expect(missing.map((m) => m.s)).toContain(ids.an);
    expect(missing.map((m) => m.s)).not.toContain(pupil);
    const [{ n }] = await db.select({ n: sql<number>`count(*)::int` }).from(sql`events`).where(sql`type = 'submission.missing' and student_id = ${pupil}`);
    expect(Number(n)).toBe(0);
    const lan = await hub.as("lan.nt@nguyendu.lopso.demo");
    const html = htmlText(await (await lan.get(`/assignments/${a.id}/submissions`)).text());
    expect(html).toContain("Nguyễn Văn An");
    expect(html).not.toContain("Ngô Văn Tắt");
  });

  it("reactivation: sign-in works again with the person's own password", async () => {
    const res = await admin.post(personPath(pupil), { intent: "reactivate" });
    expect(res.status).toBe(302);
    expect((await userRow(pupil)).deactivatedAt).toBeNull();
    expect((await hub.client().post("/login", { identifier: login, password: PASSWORD })).status).toBe(302);
    expect(await names("?status=deactivated")).toEqual([]);
  });

  it("an admin cannot deactivate themselves", async () => {
    const res = await admin.post(personPath(ids.admin), { intent: "deactivate-confirm" });
    expect(res.status).toBe(400);
    expect(htmlText(await res.text())).toContain("Bạn không thể tự khóa tài khoản của mình.");
    expect((await userRow(ids.admin)).deactivatedAt).toBeNull();
    expect((await admin.get("/admin")).status).toBe(200);
  });
});

describe("across schools", () => {
  it("another school's person is not found through this school, whatever is posted", async () => {
    const before = await userRow(ids.hoa);
    expect((await admin.get(personPath(ids.hoa))).status).toBe(404);
    for (const intent of ["save", "deactivate", "deactivate-confirm", "reactivate", "reset-password", "anything"]) {
      const res = await admin.post(personPath(ids.hoa), { intent, fullName: "Tên Mới", email: "moi@example.vn" });
      expect(res.status, intent).toBe(404);
    }
    expect(await userRow(ids.hoa)).toEqual(before);
    // Through Kim Đồng's own URL, the THCS admin has no right at all.
    expect((await admin.get(`/admin/schools/${ids.th}/users/${ids.hoa}`)).status).toBe(403);
    expect((await admin.post(`/admin/schools/${ids.th}/users/${ids.hoa}`, { intent: "deactivate-confirm" })).status).toBe(403);
    expect(await userRow(ids.hoa)).toEqual(before);
  });

  it("the province admin manages both schools' people, but not a province admin through a school", async () => {
    const province = await hub.as("so@lopso.demo");
    expect((await province.get(personPath(ids.an))).status).toBe(200);
    expect((await province.get(`/admin/schools/${ids.th}/users/${ids.hoa}`)).status).toBe(200);
    expect((await province.get(personPath(ids.hoa))).status).toBe(404);
    // A school admin who is also given a role in the school cannot reach the province admin.
    const so = await demoLookup(hub.database.db).user("so@lopso.demo");
    await hub.database.db.insert(memberships).values({ userId: so, orgId: ids.thcs, role: "teacher" });
    expect((await admin.get(personPath(so))).status).toBe(404);
    expect((await admin.post(personPath(so), { intent: "deactivate-confirm" })).status).toBe(404);
    expect((await userRow(so)).deactivatedAt).toBeNull();
    await hub.database.db.delete(memberships).where(and(eq(memberships.userId, so), eq(memberships.orgId, ids.thcs)));
  });
});
