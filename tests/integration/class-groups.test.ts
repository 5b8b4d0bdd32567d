/**
 * Class groups (lớp chủ nhiệm) and their homeroom teachers, through the real hub over HTTP: one
 * group code enrols a student in every subject class of the group (again, or twice at once, adds
 * nothing); a subject class added to the group later enrols its students; the homeroom teacher
 * sees the group's students across all subjects with their families, issues a parent code and
 * resets a password, while a subject teacher who is not the homeroom teacher and another school's
 * teacher are refused; the school admin names the homeroom teacher (a teacher of the school
 * only), creates groups and replaces a group's code after a confirmation; the CSV import puts a
 * student listed with "6A1" in the group.
 */
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classes, classGroupMembers, classGroups, classMembers, linkCodes, memberships, parentLinks, users } from "../../db/schema/index.ts";
import { DEMO_GROUP_CODES } from "../../db/seed.server.ts";
import { hashPassword } from "../../app/auth/password.server.ts";
import { nameSortKey } from "../../app/lib/vn.ts";
import { currentSchoolYear } from "../../app/lib/curriculum.ts";
import { homeroomTeacherOf } from "../../app/services/groups.server.ts";
import { demoLookup } from "../support/demo.ts";
import { fieldError, htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
let lan: Client; // homeroom teacher of 6A1, teaches Toán 6A1 and KHTN 7A2
let minh: Client; // homeroom teacher of 7A2, teaches Ngữ văn 6A1
let hoa: Client; // another school
let admin: Client;
const ids: Record<string, string> = {};

beforeAll(async () => {
  hub = await startHub();
  const db = hub.database.db;
  const find = demoLookup(db);
  ids.thcs = await find.school("79001");
  ids.toan6 = await find.class("6A1", "toan");
  ids.van6 = await find.class("6A1", "ngu-van");
  ids.khtn7 = await find.class("7A2", "khtn");
  for (const k of ["an", "binh", "cuong", "dung", "giang", "khoa", "lan", "minh", "hoa"]) {
    const [u] = await db.select({ id: users.id, email: users.email }).from(users).where(sql`${users.email} like ${k + ".%"}`);
    ids[k] = u.id;
  }
  const groups = await db.select({ id: classGroups.id, name: classGroups.name }).from(classGroups).where(eq(classGroups.schoolId, ids.thcs));
  ids.g6 = groups.find((g) => g.name === "6A1")!.id;
  ids.g7 = groups.find((g) => g.name === "7A2")!.id;
  lan = await hub.as("lan.nt@nguyendu.lopso.demo");
  minh = await hub.as("minh.tv@nguyendu.lopso.demo");
  hoa = await hub.as("hoa.lt@kimdong.lopso.demo");
  admin = await hub.as("hieutruong@nguyendu.lopso.demo");
});

afterAll(async () => {
  await hub?.close();
});

async function classesOf(userId: string) {
  const rows = await hub.database.db
    .select({ classId: classMembers.classId })
    .from(classMembers)
    .where(and(eq(classMembers.userId, userId), eq(classMembers.role, "student")));
  return rows.map((r) => r.classId).sort();
}

async function groupRows(studentId: string) {
  return hub.database.db.select({ groupId: classGroupMembers.groupId }).from(classGroupMembers).where(eq(classGroupMembers.studentId, studentId));
}

/** A new student of Nguyễn Du, signed in, in no class yet. */
async function newStudent(name: string, email: string) {
  const db = hub.database.db;
  const [u] = await db.insert(users).values({ fullName: name, sortKey: nameSortKey(name), email, passwordHash: await hashPassword("lopso2025") }).returning();
  await db.insert(memberships).values({ userId: u.id, orgId: ids.thcs, role: "student" });
  return { id: u.id, client: await hub.as(email) };
}

const groupCode = async (groupId: string) => (await hub.database.db.select({ code: classGroups.joinCode }).from(classGroups).where(eq(classGroups.id, groupId)))[0].code;

describe("joining a class group by its code", () => {
  it("enrols the student in the group and in every subject class of it", async () => {
    const dung = await hub.as("dung.pm@nguyendu.lopso.demo"); // in Ngữ văn 6A1 only
    expect(await homeroomTeacherOf(hub.database.db, ids.dung)).toBeNull();
    expect(await classesOf(ids.dung)).toEqual([ids.van6]);
    const res = await dung.post("/join", { code: DEMO_GROUP_CODES["6A1"].toLowerCase() });
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain("Em đã vào lớp 6A1 và 2 môn học của lớp.");
    expect(await classesOf(ids.dung)).toEqual([ids.toan6, ids.van6].sort());
    expect(await groupRows(ids.dung)).toEqual([{ groupId: ids.g6 }]);
    // The relation later features use: the homeroom teacher of this year's group.
    expect(await homeroomTeacherOf(hub.database.db, ids.dung)).toMatchObject({ id: ids.lan, fullName: "Nguyễn Thị Lan", groupName: "6A1" });
  });

  it("again adds nothing and says so", async () => {
    const dung = await hub.as("dung.pm@nguyendu.lopso.demo");
    const [before] = await hub.database.query<{ n: number }>("select (select count(*) from class_members) + (select count(*) from class_group_members) as n");
    const res = await dung.post("/join", { code: DEMO_GROUP_CODES["6A1"] });
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain("Em đã ở trong lớp 6A1 và 2 môn học của lớp.");
    const [after] = await hub.database.query<{ n: number }>("select (select count(*) from class_members) + (select count(*) from class_group_members) as n");
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it("twice at the same moment: both answer, nothing is duplicated", async () => {
    const s = await newStudent("Đào Thị Mơ", "mo.dt@nguyendu.lopso.demo");
    const results = await Promise.all([0, 1, 2].map(() => s.client.post("/join", { code: DEMO_GROUP_CODES["6A1"] })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await groupRows(s.id)).toEqual([{ groupId: ids.g6 }]);
    expect(await classesOf(s.id)).toEqual([ids.toan6, ids.van6].sort());
  });

  it("refuses another school's group code with the answer of an unknown code", async () => {
    const s = await newStudent("Phan Văn Lạc", "lac.pv@nguyendu.lopso.demo");
    for (const code of [DEMO_GROUP_CODES["3A1"], "ZZZZ999"]) {
      const res = await s.client.post("/join", { code });
      expect(res.status).toBe(400);
      expect(fieldError(await res.text(), "code")).toContain("Không tìm thấy lớp nào của trường em với mã này");
    }
    expect(await groupRows(s.id)).toEqual([]);
    expect(await classesOf(s.id)).toEqual([]);
  });

  it("a subject class added to the group later enrols the group's students", async () => {
    const res = await admin.post(`/admin/schools/${ids.thcs}/classes`, { grade: "6", name: "6a1", subject: "tieng-anh", schoolYear: currentSchoolYear(), teacherId: "" });
    expect(res.status).toBe(200);
    const [c] = await hub.database.db
      .select({ id: classes.id, groupId: classes.groupId })
      .from(classes)
      .where(and(eq(classes.name, "6A1"), eq(classes.subject, "tieng-anh")));
    expect(c.groupId).toBe(ids.g6);
    const members = await hub.database.db.select({ studentId: classGroupMembers.studentId }).from(classGroupMembers).where(eq(classGroupMembers.groupId, ids.g6));
    expect(members.length).toBeGreaterThanOrEqual(6);
    for (const m of members) expect(await classesOf(m.studentId)).toContain(c.id);
    // Khoa (7A2) is not in it.
    expect(await classesOf(ids.khoa)).not.toContain(c.id);
  });

  it("a join and a new subject class at the same moment: the student is in the new class either way", async () => {
    const code = await groupCode(ids.g7);
    for (const [i, subject] of ["tin-hoc", "cong-nghe", "gdcd", "lich-su-dia-li", "toan"].entries()) {
      const s = await newStudent(`Vũ Văn Đua ${i}`, `dua${i}.vv@nguyendu.lopso.demo`);
      const [joined, created] = await Promise.all([
        s.client.post("/join", { code }),
        admin.post(`/admin/schools/${ids.thcs}/classes`, { grade: "7", name: "7A2", subject, schoolYear: currentSchoolYear(), teacherId: "" }),
      ]);
      expect([joined.status, created.status]).toEqual([200, 200]);
      const [c] = await hub.database.db.select({ id: classes.id }).from(classes).where(and(eq(classes.name, "7A2"), eq(classes.subject, subject)));
      expect(await classesOf(s.id), subject).toContain(c.id);
      expect(await classesOf(s.id), subject).toContain(ids.khtn7);
    }
  });

  it("a subject class of a name with no group yet makes the group", async () => {
    const res = await admin.post(`/admin/schools/${ids.thcs}/classes`, { grade: "8", name: "8A3", subject: "toan", schoolYear: currentSchoolYear(), teacherId: "" });
    expect(res.status).toBe(200);
    const [c] = await hub.database.db.select({ groupId: classes.groupId }).from(classes).where(eq(classes.name, "8A3"));
    const [g] = await hub.database.db.select({ name: classGroups.name, grade: classGroups.grade }).from(classGroups).where(eq(classGroups.id, c.groupId!));
    expect(g).toEqual({ name: "8A3", grade: 8 });
  });
});

describe("the homeroom teacher's pages", () => {
  it("the group: students by given name, each subject with handed in / missing / late / graded", async () => {
    const page = await lan.html(`/groups/${ids.g6}`);
    expect(page.status).toBe(200);
    const names = [...page.text.matchAll(/<tbody data-student="([^"]+)"/g)].map((m) => m[1]);
    // Vietnamese class-list order: by given name.
    expect(names).toEqual(["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Minh Dũng", "Hoàng Thu Giang", "Đào Thị Mơ"]);
    const row = (student: string, subject: string) => {
      const body = new RegExp(`<tbody data-student="${student}">([\\s\\S]*?)</tbody>`).exec(page.text)![1];
      const tr = new RegExp(`<tr data-subject="${subject}">([\\s\\S]*?)</tr>`).exec(body)![1];
      return [...tr.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => htmlText(m[1]));
    };
    // The demo's three paper tests of Toán 6A1 (TX, GK, CK) are graded for An, Bình, Cường and
    // Giang: each counts as done and graded. An besides: graded 8,5 on the past assignment, handed
    // in the open one.
    expect(row("Nguyễn Văn An", "toan")).toEqual(["Toán", "5", "0", "0", "4"]);
    // Bình handed in the past one, not graded yet; Cường handed in nothing online: one missing.
    expect(row("Trần Thị Bình", "toan")).toEqual(["Toán", "4", "0", "0", "3"]);
    expect(row("Lê Hoàng Cường", "toan")).toEqual(["Toán", "3", "1", "0", "3"]);
    expect(row("Lê Hoàng Cường", "ngu-van")).toEqual(["Ngữ văn", "0", "0", "0", "0"]);
    expect(page.text).toContain(`href="/groups/${ids.g6}/students/${ids.an}"`);
    expect(page.text).toContain(DEMO_GROUP_CODES["6A1"]);
  });

  it("a student across every subject, with the family to contact", async () => {
    const page = await lan.html(`/groups/${ids.g6}/students/${ids.an}`);
    expect(page.status).toBe(200);
    const text = htmlText(page.text);
    expect(text).toContain("Bài tập về tập hợp"); // Toán (Lan's)
    expect(text).toContain("8,5/10");
    expect(text).toContain("Trình bày sạch đẹp. Bài 1.4 cần ghi rõ kí hiệu.");
    expect(text).toContain("Cảm nhận về hình ảnh chú bé Lượm"); // Ngữ văn (Minh's)
    expect(page.text).toMatch(/data-subject="ngu-van"/);
    expect(text).toContain("Nguyễn Văn Hùng");
    expect(page.text).toContain('href="tel:+84912345678"');
    expect(text).toContain("0912 345 678");
  });

  it("issues a parent code for a student of the group, which a parent can use", async () => {
    const res = await lan.post(`/groups/${ids.g6}/students/${ids.giang}`, { intent: "parent-code", uses: "1", days: "7" });
    expect(res.status).toBe(200);
    const code = /PH-[A-Z0-9]{10}/.exec(htmlText(/data-testid="link-code">([\s\S]*?)<\/span>/.exec(await res.text())![1]))![0];
    const [row] = await hub.database.db.select().from(linkCodes).where(eq(linkCodes.code, code));
    expect(row).toMatchObject({ studentId: ids.giang, createdBy: ids.lan, maxUses: 1 });
    const thu = await hub.as("0987654321");
    expect((await thu.post("/children/link", { code })).status).toBe(200);
    const links = await hub.database.db.select().from(parentLinks).where(eq(parentLinks.studentId, ids.giang));
    expect(links).toHaveLength(1);
    expect(links[0]!.source).toBeNull();
    // The family now shows on the student's page.
    expect(htmlText((await lan.html(`/groups/${ids.g6}/students/${ids.giang}`)).text)).toContain("Phạm Thị Thu");
    // A link a roster made, confirmed with a code: no later roster ends it.
    await hub.database.db.update(parentLinks).set({ source: "oneroster:test" }).where(eq(parentLinks.studentId, ids.giang));
    const again = await lan.post(`/groups/${ids.g6}/students/${ids.giang}`, { intent: "parent-code", uses: "1", days: "7" });
    const second = /PH-[A-Z0-9]{10}/.exec(htmlText(/data-testid="link-code">([\s\S]*?)<\/span>/.exec(await again.text())![1]))![0];
    expect((await thu.post("/children/link", { code: second })).status).toBe(200);
    const [confirmed] = await hub.database.db.select().from(parentLinks).where(eq(parentLinks.studentId, ids.giang));
    expect(confirmed!.source).toBeNull();
  });

  it("resets the password of a student of the group", async () => {
    const res = await lan.post(`/groups/${ids.g6}/students/${ids.cuong}`, { intent: "reset-password" });
    expect(res.status).toBe(200);
    const shown = htmlText(/data-testid="temporary-password">([\s\S]*?)<\/span>/.exec(await res.text())![1]);
    const password = /: ([a-z2-9]{10}) —/.exec(shown)![1];
    const signedIn = await hub.as("cuong.lh@nguyendu.lopso.demo", password);
    expect((await signedIn.get("/today")).headers.get("location")).toBe("/account/password?next=%2Ftoday");
  });

  it("the homeroom teacher's classes page leads to the group", async () => {
    const text = (await lan.html("/classes")).text;
    expect(htmlText(text)).toContain("Lớp chủ nhiệm");
    expect(text).toContain(`href="/groups/${ids.g6}"`);
    // Minh is the homeroom teacher of 7A2 without teaching any of its subjects.
    expect((await minh.html("/classes")).text).toContain(`href="/groups/${ids.g7}"`);
    expect((await minh.html(`/groups/${ids.g7}`)).status).toBe(200);
  });

  it("refuses a subject teacher who is not the homeroom teacher, and another school's teacher", async () => {
    const before = await hub.database.query<{ s: string }>(
      "select (select count(*) from link_codes)::text || (select md5(string_agg(password_hash, ',' order by id)) from users) as s",
    );
    for (const [who, client] of [
      ["minh", minh],
      ["hoa", hoa],
    ] as const) {
      expect((await client.get(`/groups/${ids.g6}`)).status, who).toBe(404);
      expect((await client.get(`/groups/${ids.g6}/students/${ids.an}`)).status, who).toBe(404);
      expect((await client.post(`/groups/${ids.g6}/students/${ids.an}`, { intent: "parent-code" })).status, who).toBe(404);
      expect((await client.post(`/groups/${ids.g6}/students/${ids.an}`, { intent: "reset-password" })).status, who).toBe(404);
    }
    // Lan teaches KHTN 7A2 but is not its homeroom teacher; and a student of another group is not hers.
    expect((await lan.get(`/groups/${ids.g7}`)).status).toBe(404);
    expect((await lan.get(`/groups/${ids.g6}/students/${ids.khoa}`)).status).toBe(404);
    expect((await lan.post(`/groups/${ids.g6}/students/${ids.khoa}`, { intent: "reset-password" })).status).toBe(404);
    expect((await lan.post(`/groups/${ids.g6}/students/${ids.khoa}`, { intent: "parent-code" })).status).toBe(404);
    const after = await hub.database.query<{ s: string }>(
      "select (select count(*) from link_codes)::text || (select md5(string_agg(password_hash, ',' order by id)) from users) as s",
    );
    expect(after).toEqual(before);
  });
});

describe("the school admin and class groups", () => {
  const path = () => `/admin/schools/${ids.thcs}/classes`;
  const homeroom = async (groupId: string) =>
    (await hub.database.db.select({ id: classGroups.homeroomTeacherId }).from(classGroups).where(eq(classGroups.id, groupId)))[0].id;

  it("lists the groups with homeroom teacher, subjects, students and code", async () => {
    const page = await admin.html(path());
    const row = /<tr data-group="6A1">([\s\S]*?)<\/tr>/.exec(page.text)![1];
    expect(row).toContain(`href="/groups/${ids.g6}"`);
    expect(row).toMatch(new RegExp(`<option value="${ids.lan}" selected="">`));
    expect(htmlText(row)).toContain("Toán");
    expect(htmlText(row)).toContain("Ngữ văn");
    expect(htmlText(row)).toMatch(/\d+ học sinh/);
    expect(row).toContain(await groupCode(ids.g6));
    // The admin sees the group's pages too.
    expect((await admin.get(`/groups/${ids.g6}/students/${ids.an}`)).status).toBe(200);
  });

  it("refuses a teacher of another school as homeroom teacher, with the message beside the field", async () => {
    const res = await admin.post(path(), { intent: "set-homeroom", groupId: ids.g7, teacherId: ids.hoa });
    expect(res.status).toBe(400);
    const html = await res.text();
    const row = /<tr data-group="7A2">([\s\S]*?)<\/tr>/.exec(html)![1];
    expect(fieldError(row, "teacherId")).toBe("Giáo viên này không thuộc trường.");
    expect(await homeroom(ids.g7)).toBe(ids.minh);
  });

  it("refuses a group of another school", async () => {
    const [other] = await hub.database.db.select({ id: classGroups.id }).from(classGroups).where(eq(classGroups.name, "3A1"));
    const res = await admin.post(path(), { intent: "set-homeroom", groupId: other.id, teacherId: ids.lan });
    expect(res.status).toBe(404);
    const [g] = await hub.database.db.select({ id: classGroups.homeroomTeacherId }).from(classGroups).where(eq(classGroups.id, other.id));
    expect(g.id).toBe(ids.hoa);
  });

  it("changes the homeroom teacher, and the pages follow", async () => {
    const res = await admin.post(path(), { intent: "set-homeroom", groupId: ids.g7, teacherId: ids.lan });
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain("Đã lưu giáo viên chủ nhiệm lớp 7A2.");
    expect(await homeroom(ids.g7)).toBe(ids.lan);
    expect((await lan.get(`/groups/${ids.g7}`)).status).toBe(200);
    expect((await minh.get(`/groups/${ids.g7}`)).status).toBe(404);
    expect(await homeroomTeacherOf(hub.database.db, ids.khoa)).toMatchObject({ id: ids.lan });
    expect((await admin.post(path(), { intent: "set-homeroom", groupId: ids.g7, teacherId: ids.minh })).status).toBe(200);
    expect(await homeroom(ids.g7)).toBe(ids.minh);
  });

  it("creates a group, with the errors beside the fields", async () => {
    const year = currentSchoolYear();
    let res = await admin.post(path(), { intent: "create-group", grade: "6", name: "7A9", schoolYear: year });
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "name")).toContain("Tên lớp phải bắt đầu bằng số khối");
    res = await admin.post(path(), { intent: "create-group", grade: "6", name: "6A1", schoolYear: year });
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "name")).toBe("Trường đã có lớp chủ nhiệm này trong năm học đã chọn.");
    res = await admin.post(path(), { intent: "create-group", grade: "6", name: "6A1", schoolYear: "2025/26" });
    expect(fieldError(await res.text(), "schoolYear")).toContain("Năm học phải có dạng");
    res = await admin.post(path(), { intent: "create-group", grade: "6", name: "6a2", schoolYear: year });
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain("Đã tạo lớp chủ nhiệm 6A2.");
    const [g] = await hub.database.db.select().from(classGroups).where(and(eq(classGroups.name, "6A2"), eq(classGroups.schoolId, ids.thcs)));
    expect(g).toMatchObject({ grade: 6, schoolYear: year, homeroomTeacherId: null });
    expect(g.joinCode).toMatch(/^[A-HJ-NP-Z2-9]{7}$/);
  });

  it("replaces a group's code only after confirmation; the old code stops working", async () => {
    const old = await groupCode(ids.g7);
    let res = await admin.post(path(), { intent: "group-new-code", groupId: ids.g7 });
    expect(res.status).toBe(200);
    expect(htmlText(await res.text())).toContain(`Mã hiện tại ${old} của lớp 7A2 sẽ ngừng hoạt động ngay`);
    expect(await groupCode(ids.g7)).toBe(old);
    res = await admin.post(path(), { intent: "group-code-confirm", groupId: ids.g7 });
    expect(res.status).toBe(200);
    const code = await groupCode(ids.g7);
    expect(code).not.toBe(old);
    expect(htmlText(await res.text())).toContain("Đã tạo mã mới. Mã cũ không còn dùng được.");
    const s = await newStudent("Tạ Minh Quân", "quan.tm@nguyendu.lopso.demo");
    expect((await s.client.post("/join", { code: old })).status).toBe(400);
    expect((await s.client.post("/join", { code })).status).toBe(200);
    const g7classes = (await hub.database.db.select({ id: classes.id }).from(classes).where(eq(classes.groupId, ids.g7))).map((c) => c.id).sort();
    expect(g7classes).toContain(ids.khtn7);
    expect(await classesOf(s.id)).toEqual(g7classes);
  });
});

describe("the CSV import and class groups", () => {
  it("a student listed with 6A1 joins the group and its subject classes; 6A1:toan is that class only", async () => {
    const csv = [
      "name,email,phone,role,class",
      "Kiều Văn Nhóm,nhom.kv@nguyendu.lopso.demo,,student,6A1",
      "Kiều Thị Môn,mon.kt@nguyendu.lopso.demo,,student,6A1:toan",
      "Kiều Văn Rỗng,rong.kv@nguyendu.lopso.demo,,student,6A2",
    ].join("\n");
    const res = await admin.post(`/admin/schools/${ids.thcs}/import`, { csv });
    expect(res.status).toBe(200);
    const id = async (email: string) => (await hub.database.db.select({ id: users.id }).from(users).where(eq(users.email, email)))[0].id;
    const nhom = await id("nhom.kv@nguyendu.lopso.demo");
    const mon = await id("mon.kt@nguyendu.lopso.demo");
    const rong = await id("rong.kv@nguyendu.lopso.demo");
    const g6classes = (await hub.database.db.select({ id: classes.id }).from(classes).where(eq(classes.groupId, ids.g6))).map((c) => c.id).sort();
    expect(g6classes.length).toBe(3); // Toán, Ngữ văn and the Tiếng Anh added above
    expect(await groupRows(nhom)).toEqual([{ groupId: ids.g6 }]);
    expect(await classesOf(nhom)).toEqual(g6classes);
    expect(await groupRows(mon)).toEqual([]);
    expect(await classesOf(mon)).toEqual([ids.toan6]);
    // 6A2 has no subject class yet: the student is in the group, and will be in its classes.
    const [g62] = await hub.database.db.select({ id: classGroups.id }).from(classGroups).where(eq(classGroups.name, "6A2"));
    expect(await groupRows(rong)).toEqual([{ groupId: g62.id }]);
    expect(await classesOf(rong)).toEqual([]);
  });
});
