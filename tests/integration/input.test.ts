/**
 * Bad input, form by form, over real HTTP against the real database: never a 500, never a
 * half-written row, and the reason shown beside the field (aria-invalid + aria-describedby) in the
 * reader's language.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linkCodes } from "../../db/schema/index.ts";
import { currentSchoolYear } from "../../app/lib/curriculum.ts";
import { toLocalDateTimeInput } from "../../app/lib/vn.ts";
import { fieldError, htmlText } from "../support/html.ts";
import { demoLookup } from "../support/demo.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
const ids: Record<string, string> = {};
let admin: Client, lan: Client, hoa: Client, an: Client, dung: Client, thu: Client;

const TABLES = [
  "users",
  "memberships",
  "classes",
  "class_members",
  "lessons",
  "assignments",
  "submissions",
  "attachments",
  "events",
  "parent_links",
  "link_codes",
] as const;

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const [row] = await hub.database.query<{ n: number }>(`select count(*)::int as n from ${t}`);
    out[t] = Number(row.n);
  }
  return out;
}

/** The text of every element announced as an alert (banners and field errors). */
function alerts(html: string): string[] {
  return [...html.matchAll(/<(p|div|section)\b[^>]*role="alert"[^>]*>([\s\S]*?)<\/\1>/g)].map((m) => htmlText(m[2]));
}

type Case = {
  name: string;
  client: () => Client;
  path: () => string;
  fields: Record<string, string> | (() => FormData);
  /** field → expected text (a prefix of the message is enough). */
  errors: Record<string, string>;
};

async function expectRejected(c: Case) {
  const before = await counts();
  const body = typeof c.fields === "function" ? c.fields() : c.fields;
  const res = await c.client().post(c.path(), body);
  const html = await res.text();
  expect(res.status, `${c.name}: status`).toBe(400);
  for (const [field, message] of Object.entries(c.errors)) {
    const shown = fieldError(html, field);
    expect(shown, `${c.name}: error beside "${field}"`).not.toBeNull();
    expect(shown, `${c.name}: message for "${field}"`).toContain(message);
  }
  expect(await counts(), `${c.name}: nothing written`).toEqual(before);
  return html;
}

beforeAll(async () => {
  hub = await startHub();
  const db = hub.database.db;
  const find = demoLookup(db);
  ids.thcs = await find.school("79001");
  ids.toan6 = await find.class("6A1", "toan");
  ids.roman = await find.assignment("Luyện tập: Số La Mã");
  ids.luom = await find.assignment("Cảm nhận về hình ảnh chú bé Lượm");
  ids.khaiTruong = await find.assignment("Viết 3–4 câu về ngày khai trường");
  const userId = find.user;
  ids.an = await userId("an.nv@nguyendu.lopso.demo");
  ids.dung = await userId("dung.pm@nguyendu.lopso.demo");
  ids.giang = await userId("giang.ht@nguyendu.lopso.demo");
  ids.nam = await userId("nam.vh@kimdong.lopso.demo");
  // A parent code that ran out yesterday.
  await db.insert(linkCodes).values({ code: "PH-EXP1RED2", studentId: ids.giang, expiresAt: new Date(Date.now() - 24 * 3600 * 1000) });

  [admin, lan, hoa, an, dung, thu] = await Promise.all([
    hub.as("hieutruong@nguyendu.lopso.demo"),
    hub.as("lan.nt@nguyendu.lopso.demo"),
    hub.as("hoa.lt@kimdong.lopso.demo"),
    hub.as("an.nv@nguyendu.lopso.demo"),
    hub.as("dung.pm@nguyendu.lopso.demo"),
    hub.as("0987654321"),
  ]);
});

afterAll(async () => {
  await hub?.close();
});

const goodUser = { fullName: "Đinh Thị Mới", email: "moi.dt@nguyendu.lopso.demo", phone: "", role: "student", password: "matkhau-tot-2025" };
const year = currentSchoolYear();
const inVietnam = (ms: number) => toLocalDateTimeInput(new Date(Date.now() + ms));
const DAY = 24 * 3600 * 1000;

describe("admin: create user", () => {
  const path = () => `/admin/schools/${ids.thcs}/users`;
  const cases: Case[] = [
    { name: "duplicate email", client: () => admin, path, fields: { ...goodUser, email: "lan.nt@nguyendu.lopso.demo" }, errors: { email: "Email này đã được dùng" } },
    { name: "duplicate email, other case and spaces", client: () => admin, path, fields: { ...goodUser, email: "  LAN.NT@nguyendu.lopso.demo " }, errors: { email: "Email này đã được dùng" } },
    { name: "duplicate phone in another format", client: () => admin, path, fields: { ...goodUser, email: "", phone: "0912 345 678" }, errors: { phone: "Số điện thoại này đã được dùng" } },
    { name: "invalid phone", client: () => admin, path, fields: { ...goodUser, phone: "0123" }, errors: { phone: "Số điện thoại không hợp lệ" } },
    { name: "landline-looking phone", client: () => admin, path, fields: { ...goodUser, phone: "024 3826 1234" }, errors: { phone: "Số điện thoại không hợp lệ" } },
    { name: "invalid email", client: () => admin, path, fields: { ...goodUser, email: "khong-phai-email" }, errors: { email: "Email không hợp lệ" } },
    { name: "missing name", client: () => admin, path, fields: { ...goodUser, fullName: "   " }, errors: { fullName: "Vui lòng nhập họ và tên" } },
    { name: "no email and no phone", client: () => admin, path, fields: { ...goodUser, email: "", phone: "" }, errors: { email: "Cần có email hoặc số điện thoại" } },
    { name: "role outside the school", client: () => admin, path, fields: { ...goodUser, role: "province_admin" }, errors: { role: "Vai trò phải là" } },
  ];
  for (const c of cases) it(`refuses ${c.name}`, () => expectRejected(c));

  it("keeps what was typed (except the password) so the form can be corrected", async () => {
    const html = await expectRejected(cases[0]);
    expect(html).toContain('value="Đinh Thị Mới"');
    expect(html).not.toContain('value="matkhau-tot-2025"');
  });

  it("accepts the corrected form and writes the user and the membership", async () => {
    const before = await counts();
    const res = await admin.post(path(), goodUser);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Đã tạo tài khoản cho Đinh Thị Mới");
    const after = await counts();
    expect(after.users).toBe(before.users + 1);
    expect(after.memberships).toBe(before.memberships + 1);
  });
});

describe("admin: create class", () => {
  const path = () => `/admin/schools/${ids.thcs}/classes`;
  const good = { grade: "6", name: "6A9", subject: "toan", schoolYear: year, teacherId: "" };
  const cases: Case[] = [
    { name: "grade 13", client: () => admin, path, fields: { ...good, grade: "13", name: "13A1" }, errors: { grade: "Khối phải từ 1 đến 12" } },
    { name: "grade that is not a number", client: () => admin, path, fields: { ...good, grade: "sáu" }, errors: { grade: "Khối phải từ 1 đến 12" } },
    { name: "subject outside the grade's programme", client: () => admin, path, fields: { ...good, subject: "tieng-viet" }, errors: { subject: "Môn học này không có trong chương trình" } },
    { name: "unknown subject", client: () => admin, path, fields: { ...good, subject: "chiem-tinh" }, errors: { subject: "Môn học này không có trong chương trình" } },
    { name: "name not starting with the grade", client: () => admin, path, fields: { ...good, name: "7A9" }, errors: { name: "Tên lớp phải bắt đầu bằng số khối" } },
    { name: "malformed name", client: () => admin, path, fields: { ...good, name: "6 A 9" }, errors: { name: "Tên lớp phải bắt đầu bằng khối" } },
    { name: "duplicate class", client: () => admin, path, fields: { ...good, name: "6a1" }, errors: { name: "Trường đã có lớp này" } },
    { name: "school year that skips a year", client: () => admin, path, fields: { ...good, schoolYear: "2025-2027" }, errors: { schoolYear: "Năm học phải có dạng" } },
    { name: "school year in another format", client: () => admin, path, fields: { ...good, schoolYear: "2025/26" }, errors: { schoolYear: "Năm học phải có dạng" } },
    { name: "teacher who is not a teacher of the school", client: () => admin, path, fields: { ...good, teacherId: "00000000-0000-4000-8000-000000000000" }, errors: { teacherId: "Giáo viên này không thuộc trường" } },
  ];
  for (const c of cases) it(`refuses ${c.name}`, () => expectRejected(c));
});

describe("student: join a class", () => {
  const path = () => "/join";
  const cases: Case[] = [
    { name: "a wrong code", client: () => dung, path, fields: { code: "ZZZZ999" }, errors: { code: "Không tìm thấy lớp nào của trường em với mã này" } },
    { name: "a malformed code", client: () => dung, path, fields: { code: "a!" }, errors: { code: "Mã lớp gồm 5–10 chữ cái hoặc số" } },
    { name: "an empty code", client: () => dung, path, fields: { code: "" }, errors: { code: "Mã lớp gồm 5–10 chữ cái hoặc số" } },
    { name: "the code of a class of another school, with the same answer as a wrong code", client: () => dung, path, fields: { code: "TV3A1KD" }, errors: { code: "Không tìm thấy lớp nào của trường em với mã này" } },
  ];
  for (const c of cases) it(`refuses ${c.name}`, () => expectRejected(c));
});

describe("parent: link to a child", () => {
  const path = () => "/children/link";
  const cases: Case[] = [
    { name: "an unknown code", client: () => thu, path, fields: { code: "PH-ZZZZZZZZ" }, errors: { code: "Mã phụ huynh không dùng được" } },
    { name: "an expired code, with the same answer as an unknown one", client: () => thu, path, fields: { code: "ph-exp1red2" }, errors: { code: "Mã phụ huynh không dùng được" } },
    { name: "a malformed code", client: () => thu, path, fields: { code: "12" }, errors: { code: "Mã phụ huynh có dạng PH-XXXXXXXXXX" } },
  ];
  for (const c of cases) it(`refuses ${c.name}`, () => expectRejected(c));
});

describe("teacher: lesson editor", () => {
  const path = () => `/classes/${ids.toan6}/lessons/new`;
  const cases: Case[] = [
    { name: "an empty title", client: () => lan, path, fields: { title: "", bodyMd: "Nội dung", intent: "publish" }, errors: { title: "Tiêu đề cần ít nhất 3 ký tự" } },
    { name: "a title of spaces", client: () => lan, path, fields: { title: "  \t ", bodyMd: "Nội dung", intent: "draft" }, errors: { title: "Tiêu đề cần ít nhất 3 ký tự" } },
    { name: "a title that is too long", client: () => lan, path, fields: { title: "Bài ".repeat(60), bodyMd: "", intent: "draft" }, errors: { title: "Tiêu đề quá dài" } },
    { name: "a body that is too long", client: () => lan, path, fields: { title: "Bài dài", bodyMd: "a".repeat(100_001), intent: "draft" }, errors: { bodyMd: "Nội dung quá dài" } },
    {
      name: "an empty title sent as multipart, as the browser does",
      client: () => lan,
      path,
      fields: () => {
        const f = new FormData();
        f.append("title", "");
        f.append("bodyMd", "Nội dung");
        f.append("files", new Blob([]), "");
        f.append("intent", "draft");
        return f;
      },
      errors: { title: "Tiêu đề cần ít nhất 3 ký tự" },
    },
  ];
  for (const c of cases) it(`refuses ${c.name}`, () => expectRejected(c));

  it("keeps the typed Markdown after an error", async () => {
    const html = await expectRejected({ ...cases[0], fields: { title: "", bodyMd: "## Giữ nguyên nội dung", intent: "draft" } });
    expect(html).toContain("## Giữ nguyên nội dung");
  });
});

describe("teacher: new assignment", () => {
  const path = () => `/classes/${ids.toan6}/assignments/new`;
  const good = { title: "Bài tập mới", instructionsMd: "Làm bài 2.1", dueAt: inVietnam(3 * DAY), scale: "ten_point", maxPoints: "" };
  const cases: Case[] = [
    { name: "a due date in the past", client: () => lan, path, fields: { ...good, dueAt: inVietnam(-DAY) }, errors: { dueAt: "Hạn nộp phải ở tương lai" } },
    { name: "a missing due date", client: () => lan, path, fields: { ...good, dueAt: "" }, errors: { dueAt: "Vui lòng chọn hạn nộp hợp lệ" } },
    { name: "a due date that does not exist (30 February)", client: () => lan, path, fields: { ...good, dueAt: `${new Date().getUTCFullYear() + 1}-02-30T17:00` }, errors: { dueAt: "Vui lòng chọn hạn nộp hợp lệ" } },
    { name: "a due date in another format", client: () => lan, path, fields: { ...good, dueAt: "30/11/2030 17:00" }, errors: { dueAt: "Vui lòng chọn hạn nộp hợp lệ" } },
    { name: "a points scale without max points", client: () => lan, path, fields: { ...good, scale: "points", maxPoints: "" }, errors: { maxPoints: "Nhập điểm tối đa" } },
    { name: "a points scale with max points that are not a number", client: () => lan, path, fields: { ...good, scale: "points", maxPoints: "mười" }, errors: { maxPoints: "Điểm tối đa phải là số dương" } },
    { name: "an unknown scale", client: () => lan, path, fields: { ...good, scale: "A-F" }, errors: { scale: "Thang đánh giá không hợp lệ" } },
    { name: "a short title", client: () => lan, path, fields: { ...good, title: "BT" }, errors: { title: "Tiêu đề cần ít nhất 3 ký tự" } },
  ];
  for (const c of cases) it(`refuses ${c.name}`, () => expectRejected(c));
});

describe("teacher: grading", () => {
  const path = () => `/assignments/${ids.roman}/submissions`;
  const cases: Case[] = [
    { name: "10,5 on the 10-point scale", client: () => lan, path, fields: { studentId: "", score: "10,5", comment: "" }, errors: { score: "Điểm phải từ 0 đến 10" } },
    { name: "a score that is not a number", client: () => lan, path, fields: { studentId: "", score: "abc", comment: "" }, errors: { score: "Điểm phải là số" } },
    { name: "a score with two decimals", client: () => lan, path, fields: { studentId: "", score: "8,25", comment: "" }, errors: { score: "Điểm chỉ lấy một chữ số thập phân" } },
    { name: "a negative score", client: () => lan, path, fields: { studentId: "", score: "-1", comment: "" }, errors: { score: "Điểm phải là số" } },
    { name: "an empty score", client: () => lan, path, fields: { studentId: "", score: "", comment: "" }, errors: { score: "Điểm phải là số" } },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      // The grading page names each row's fields after its student: score.<id>, comment.<id>.
      const errors = Object.fromEntries(Object.entries(c.errors).map(([field, message]) => [`${field}.${ids.an}`, message]));
      const html = await expectRejected({ ...c, fields: { ...(c.fields as Record<string, string>), studentId: ids.an }, errors });
      // The error sits in An's own form, not in another student's.
      expect(html.match(/aria-invalid="true"/g)).toHaveLength(1);
    });
  }

  it("refuses a comment that is too long, beside the comment", async () => {
    await expectRejected({
      name: "comment too long",
      client: () => lan,
      path,
      fields: { studentId: ids.an, score: "8", comment: "Rất tốt. ".repeat(300) },
      errors: { [`comment.${ids.an}`]: "Nhận xét quá dài" },
    });
  });

  it("refuses a missing level on the primary scale", async () => {
    await expectRejected({
      name: "level missing",
      client: () => hoa,
      path: () => `/assignments/${ids.khaiTruong}/submissions`,
      fields: { studentId: ids.nam, comment: "Con cố gắng" },
      errors: { [`level.${ids.nam}`]: "Chọn mức Hoàn thành tốt, Hoàn thành hoặc Chưa hoàn thành" },
    });
  });

  it("refuses a level that does not exist on the primary scale", async () => {
    await expectRejected({
      name: "level unknown",
      client: () => hoa,
      path: () => `/assignments/${ids.khaiTruong}/submissions`,
      fields: { studentId: ids.nam, level: "XUATSAC" },
      errors: { [`level.${ids.nam}`]: "Chọn mức Hoàn thành tốt" },
    });
  });

  for (const [who, studentId] of [
    ["a student of the school who is not in the class", () => ids.dung],
    ["an id that is nobody", () => "00000000-0000-4000-8000-000000000000"],
    ["an id that is not an id", () => "an"],
  ] as const) {
    it(`refuses a grade for ${who}, and says so`, async () => {
      const before = await counts();
      const res = await lan.post(path(), { studentId: studentId(), score: "8", comment: "" });
      const html = await res.text();
      expect(res.status).toBe(400);
      expect(alerts(html).join("\n")).toMatch(/Học sinh này không thuộc lớp|Giá trị không hợp lệ/);
      expect(await counts()).toEqual(before);
    });
  }
});

describe("student: submission", () => {
  it("refuses an empty answer with no file", async () => {
    await expectRejected({
      name: "empty submission",
      client: () => an,
      path: () => `/assignments/${ids.luom}`,
      fields: () => {
        const f = new FormData();
        f.append("body", "  \n ");
        f.append("files", new Blob([]), "");
        return f;
      },
      errors: { body: "Hãy viết câu trả lời hoặc đính kèm tệp" },
    });
  });
});

describe("sign-in", () => {
  it("refuses empty fields, each with its own message", async () => {
    const before = await hub.database.query<{ n: number }>("select count(*)::int as n from sessions");
    await expectRejected({
      name: "empty sign-in",
      client: () => hub.client(),
      path: () => "/login",
      fields: { identifier: " ", password: "" },
      errors: { identifier: "Vui lòng nhập email hoặc số điện thoại", password: "Vui lòng nhập mật khẩu" },
    });
    const after = await hub.database.query<{ n: number }>("select count(*)::int as n from sessions");
    expect(after[0].n).toBe(before[0].n);
  });
});

describe("in English (lang=en cookie)", () => {
  // The English dictionary is app/i18n/en.ts.
  it("shows the duplicate-email error in English beside the field", async () => {
    admin.cookies.set("lang", "en");
    try {
      const html = await expectRejected({
        name: "duplicate email (en)",
        client: () => admin,
        path: () => `/admin/schools/${ids.thcs}/users`,
        fields: { ...goodUser, email: "lan.nt@nguyendu.lopso.demo" },
        errors: { email: "This email is already used by another account." },
      });
      expect(html).toContain('<html lang="en"');
      expect(html).not.toContain("Email này đã được dùng");
    } finally {
      admin.cookies.delete("lang");
    }
  });

  it("shows the wrong-class-code error in English beside the field", async () => {
    dung.cookies.set("lang", "en");
    try {
      const html = await expectRejected({ name: "wrong code (en)", client: () => dung, path: () => "/join", fields: { code: "ZZZZ999" }, errors: { code: "No class of your school has this code." } });
      expect(html).not.toContain("Không tìm thấy lớp");
    } finally {
      dung.cookies.delete("lang");
    }
  });

  it("shows the score error in English", async () => {
    lan.cookies.set("lang", "en");
    try {
      await expectRejected({
        name: "score (en)",
        client: () => lan,
        path: () => `/assignments/${ids.roman}/submissions`,
        fields: { studentId: ids.an, score: "10.5" },
        errors: { [`score.${ids.an}`]: "The score must be between 0 and 10." },
      });
    } finally {
      lan.cookies.delete("lang");
    }
  });
});

describe("hostile bodies never give a 500", () => {
  it("a NUL byte in a lesson title is refused or dropped, never a server error", async () => {
    const before = await counts();
    const res = await lan.post(`/classes/${ids.toan6}/lessons/new`, { title: "Bài\u0000 mới", bodyMd: "Nội\u0000 dung", intent: "draft" });
    expect(res.status).toBeLessThan(500);
    const after = await counts();
    if (res.status === 400) expect(after).toEqual(before);
    else {
      const rows = await hub.database.query<{ title: string; body_md: string }>("select title, body_md from lessons order by created_at desc limit 1");
      expect(rows[0].title).not.toContain("\u0000");
    }
  });

  it("a NUL byte in a name on the user form is refused or dropped", async () => {
    const before = await counts();
    const res = await admin.post(`/admin/schools/${ids.thcs}/users`, { ...goodUser, fullName: "Tên\u0000 Lạ", email: "nul@nguyendu.lopso.demo" });
    expect(res.status).toBeLessThan(500);
    if (res.status === 400) expect(await counts()).toEqual(before);
  });

  for (const [what, headers, body] of [
    ["a JSON body", { "content-type": "application/json" }, '{"code":"TOAN6A1"}'],
    ["a multipart body with a broken boundary", { "content-type": "multipart/form-data; boundary=abc" }, "--xyz\r\ngarbage"],
    ["a multipart content type without a boundary", { "content-type": "multipart/form-data" }, "code=TOAN6A1"],
  ] as const) {
    it(`${what} to a form gets a 4xx, not a 500`, async () => {
      const before = await counts();
      const res = await fetch(hub.url + "/join", {
        method: "POST",
        redirect: "manual",
        headers: { ...headers, origin: hub.url, cookie: [...dung.cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
        body,
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await counts()).toEqual(before);
    });
  }
});
