/**
 * Roster import from CSV, as the school admin does it: upload (multipart) or paste. Every bad row is
 * reported by line with a reason; nothing is written unless the file is clean or "validOnly" is
 * chosen; imported people can sign in with the temporary password shown once.
 */
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classes, classMembers, memberships, organizations, users } from "../../db/schema/index.ts";
import { htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
let admin: Client;
let schoolId: string;
let toan6: string;
let van6: string;

const path = () => `/admin/schools/${schoolId}/import`;

async function count(table: "users" | "memberships" | "class_members") {
  const [row] = await hub.database.query<{ n: number }>(`select count(*)::int as n from ${table}`);
  return Number(row.n);
}


/** The import report: one row per error (line, column, reason) and the credentials table. */
function readReport(html: string) {
  const at = html.indexOf('data-testid="import-report"');
  const section = at >= 0 ? html.slice(at, html.indexOf("</section>", at)) : "";
  const tables = section.split("<table>").slice(1);
  const rows = (t: string) =>
    [...t.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1).map((m) => [...m[1].matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => htmlText(c[1])));
  const errorTable = tables.find((t) => /Dòng|Line/.test(t.slice(0, 200)));
  const credTable = tables.find((t) => /Mật khẩu tạm|Temporary password/.test(t.slice(0, 400)));
  return {
    heading: htmlText(/<h2[^>]*>([\s\S]*?)<\/h2>/.exec(section)?.[1] ?? ""),
    errors: (errorTable ? rows(errorTable) : []).map(([line, field, reason]) => ({ line: Number(line), field, reason })),
    credentials: (credTable ? rows(credTable) : []).map(([fullName, login, password]) => ({ fullName, login, password })),
  };
}

function alerts(html: string): string[] {
  return [...html.matchAll(/<p\b[^>]*role="alert"[^>]*>([\s\S]*?)<\/p>/g)].map((m) => htmlText(m[1]));
}

function upload(content: string | Uint8Array, opts: { validOnly?: boolean; filename?: string } = {}) {
  const form = new FormData();
  form.append("file", new Blob([content as BlobPart], { type: "text/csv" }), opts.filename ?? "danh-sach.csv");
  form.append("csv", "");
  if (opts.validOnly) form.append("validOnly", "on");
  return admin.post(path(), form);
}

beforeAll(async () => {
  hub = await startHub();
  const db = hub.database.db;
  [{ id: schoolId }] = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.code, "79001"));
  [{ id: toan6 }] = await db.select({ id: classes.id }).from(classes).where(and(eq(classes.schoolId, schoolId), eq(classes.name, "6A1"), eq(classes.subject, "toan")));
  [{ id: van6 }] = await db.select({ id: classes.id }).from(classes).where(and(eq(classes.schoolId, schoolId), eq(classes.name, "6A1"), eq(classes.subject, "ngu-van")));
  admin = await hub.as("hieutruong@nguyendu.lopso.demo");
});

afterAll(async () => {
  await hub?.close();
});

// Line numbers are the file's own (the header is line 1; the blank line 10 is skipped but counted).
const MIXED = [
  "name,email,phone,role,class",
  "Nguyễn Văn Tốt,tot.nv@nguyendu.lopso.demo,,student,6A1:toan", // 2 ok
  "Trần Sai Mail,khong-phai-email,,student,", // 3 bad email
  "Lê Vai Trò,vaitro@nguyendu.lopso.demo,,hiệu phó,", // 4 unknown role
  "Phạm Lớp Lạ,lopla@nguyendu.lopso.demo,,student,9Z9", // 5 unknown class
  "Võ Trùng Tệp,TOT.NV@nguyendu.lopso.demo,,student,", // 6 duplicate of line 2 in the file
  "Đặng Đã Có,lan.nt@nguyendu.lopso.demo,,teacher,", // 7 email already in the database
  "Bùi Sai Số,,0123,parent,", // 8 invalid phone
  ",khongten@nguyendu.lopso.demo,,student,", // 9 missing name
  "",
  "Hồ Thiếu Cột,thieucot@nguyendu.lopso.demo,student", // 11 wrong column count
  'Ngô Thị "Hợp" Lệ,,0903 123 456,phụ huynh,', // 12 ok (parent, phone only)
  "Giáo Viên Mới,gvmoi@nguyendu.lopso.demo,,Giáo viên,6A1:toan", // 13 ok (teacher)
  "Số Đã Có,,0912.345.678,parent,", // 14 phone already in the database, in another format
  "Cha Có Lớp,chacolop@nguyendu.lopso.demo,,parent,6A1", // 15 a parent is not put in a class
].join("\r\n");

const EXPECTED_BAD: [number, string, RegExp][] = [
  [3, "email", /Email không hợp lệ/],
  [4, "role", /Vai trò phải là/],
  [5, "class", /Không tìm thấy lớp “9Z9”/],
  [6, "email", /Trùng với một dòng khác/],
  [7, "email", /Email này đã được dùng/],
  [8, "phone", /Số điện thoại không hợp lệ/],
  [9, "name", /Vui lòng nhập họ và tên/],
  [11, "file", /Số cột không khớp/],
  [14, "phone", /Số điện thoại này đã được dùng/],
  [15, "class", /Phụ huynh không được gán vào lớp/],
];

describe("a file with bad rows", () => {
  it("reports every bad row by line with a reason, and imports nothing", async () => {
    const before = { users: await count("users"), memberships: await count("memberships"), members: await count("class_members") };
    const res = await upload(MIXED);
    expect(res.status).toBe(400);
    const report = readReport(await res.text());
    expect(report.heading).toContain(`Chưa nhập dòng nào vì có ${EXPECTED_BAD.length} lỗi`);
    expect(report.errors.map((e) => e.line)).toEqual(EXPECTED_BAD.map(([line]) => line));
    for (const [line, field, reason] of EXPECTED_BAD) {
      const e = report.errors.find((x) => x.line === line);
      expect(e, `line ${line}`).toBeDefined();
      expect(e!.field, `line ${line}`).toBe(field);
      expect(e!.reason, `line ${line}`).toMatch(reason);
    }
    expect(report.credentials).toEqual([]);
    expect(await count("users")).toBe(before.users);
    expect(await count("memberships")).toBe(before.memberships);
    expect(await count("class_members")).toBe(before.members);
  });

  it("the same file pasted into the text box gives the same report", async () => {
    const before = await count("users");
    const res = await admin.post(path(), { csv: MIXED });
    expect(res.status).toBe(400);
    const report = readReport(await res.text());
    expect(report.errors.map((e) => e.line)).toEqual(EXPECTED_BAD.map(([line]) => line));
    expect(await count("users")).toBe(before);
  });

  it("with validOnly imports exactly the valid rows, enrols them, and shows temporary passwords once", async () => {
    const before = { users: await count("users"), memberships: await count("memberships") };
    const res = await upload(MIXED, { validOnly: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    const report = readReport(html);
    expect(report.heading).toContain("Đã nhập 3/13 dòng");
    expect(report.errors.map((e) => e.line)).toEqual(EXPECTED_BAD.map(([line]) => line));
    expect(report.credentials.map((c) => c.login).sort()).toEqual(["+84903123456", "gvmoi@nguyendu.lopso.demo", "tot.nv@nguyendu.lopso.demo"]);
    for (const c of report.credentials) expect(c.password).toMatch(/^[a-z2-9]{10}$/);

    expect(await count("users")).toBe(before.users + 3);
    expect(await count("memberships")).toBe(before.memberships + 3);
    const db = hub.database.db;
    const created = await db
      .select({ id: users.id, fullName: users.fullName, email: users.email, phone: users.phone, role: memberships.role, orgId: memberships.orgId })
      .from(users)
      .innerJoin(memberships, eq(memberships.userId, users.id))
      .where(inArray(users.fullName, ["Nguyễn Văn Tốt", 'Ngô Thị "Hợp" Lệ', "Giáo Viên Mới"]));
    expect(created).toHaveLength(3);
    for (const u of created) expect(u.orgId).toBe(schoolId);
    const byName = Object.fromEntries(created.map((u) => [u.fullName, u]));
    expect(byName["Nguyễn Văn Tốt"]).toMatchObject({ role: "student", email: "tot.nv@nguyendu.lopso.demo", phone: null });
    expect(byName['Ngô Thị "Hợp" Lệ']).toMatchObject({ role: "parent", email: null, phone: "+84903123456" });
    expect(byName["Giáo Viên Mới"]).toMatchObject({ role: "teacher" });

    // "6A1:toan" enrols in Toán 6A1 only, in the role of the row.
    const enrolled = await db
      .select({ userId: classMembers.userId, classId: classMembers.classId, role: classMembers.role })
      .from(classMembers)
      .where(inArray(classMembers.userId, created.map((u) => u.id)));
    expect(enrolled).toHaveLength(2);
    expect(enrolled).toContainEqual({ userId: byName["Nguyễn Văn Tốt"].id, classId: toan6, role: "student" });
    expect(enrolled).toContainEqual({ userId: byName["Giáo Viên Mới"].id, classId: toan6, role: "teacher" });

    // Nobody from a bad row slipped in.
    const bad = await db.select({ id: users.id }).from(users).where(inArray(users.email, ["lopla@nguyendu.lopso.demo", "khongten@nguyendu.lopso.demo", "thieucot@nguyendu.lopso.demo", "vaitro@nguyendu.lopso.demo", "chacolop@nguyendu.lopso.demo"]));
    expect(bad).toEqual([]);

    // Each imported person signs in with the password shown (email, or the phone in local format).
    for (const c of report.credentials) {
      const login = c.login.startsWith("+84") ? "0" + c.login.slice(3) : c.login;
      const client = hub.client();
      const signIn = await client.post("/login", { identifier: login, password: c.password });
      expect(signIn.status, `sign-in as ${login}`).toBe(302);
      expect(client.cookies.has("lopso_session")).toBe(true);
    }
    // The new student lands on /today and sees the class.
    const tot = await hub.as("tot.nv@nguyendu.lopso.demo", report.credentials.find((c) => c.login === "tot.nv@nguyendu.lopso.demo")!.password);
    const today = await tot.html("/today");
    expect(today.status).toBe(200);
    expect(today.text).toContain("6A1");
  });

  it("the same file again imports nothing new: the people are now taken", async () => {
    const before = await count("users");
    const res = await upload(MIXED, { validOnly: true });
    expect(res.status).toBe(400);
    const report = readReport(await res.text());
    expect(report.errors.filter((e) => [2, 12, 13].includes(e.line)).map((e) => e.reason)).toEqual([
      expect.stringMatching(/Email này đã được dùng/),
      expect.stringMatching(/Số điện thoại này đã được dùng/),
      expect.stringMatching(/Email này đã được dùng/),
    ]);
    expect(await count("users")).toBe(before);
  });
});

describe("encodings and headers", () => {
  it("stores NFD-encoded Vietnamese names (and headers) as NFC", async () => {
    const nfd = ["Họ và tên,Email,Vai trò,Lớp", "Nguyễn Thị Hồng Nhung,hong.nhung@nguyendu.lopso.demo,Học sinh,6A1:toan"].join("\n").normalize("NFD");
    expect(nfd).not.toBe(nfd.normalize("NFC"));
    const res = await upload(nfd);
    expect(res.status).toBe(200);
    expect(readReport(await res.text()).heading).toContain("Đã nhập 1/1 dòng");
    const [u] = await hub.database.db.select().from(users).where(eq(users.email, "hong.nhung@nguyendu.lopso.demo"));
    expect(u.fullName).toBe("Nguyễn Thị Hồng Nhung".normalize("NFC"));
    expect(u.fullName).toBe(u.fullName.normalize("NFC"));
    expect(u.sortKey).toBe(u.sortKey.normalize("NFC"));
    // Found by the NFC spelling, as anyone types it.
    const rows = await hub.database.query("select 1 from users where full_name = $1", ["Nguyễn Thị Hồng Nhung"]);
    expect(rows).toHaveLength(1);
  });

  it("accepts a Vietnamese header and Vietnamese role names", async () => {
    const csv = ["Họ và tên,Email,Số điện thoại,Vai trò,Lớp", "Trịnh Công Sơn,cong.son@nguyendu.lopso.demo,,học sinh,6A1", "Lý Thị Mẹ,,0868 111 222,Phụ huynh,"].join("\n");
    const res = await upload(csv);
    expect(res.status).toBe(200);
    expect(readReport(await res.text()).heading).toContain("Đã nhập 2/2 dòng");
    const [son] = await hub.database.db.select({ id: users.id }).from(users).where(eq(users.email, "cong.son@nguyendu.lopso.demo"));
    // "6A1" without a subject: every 6A1 class of the current year (Toán and Ngữ văn).
    const cls = await hub.database.db.select({ classId: classMembers.classId }).from(classMembers).where(eq(classMembers.userId, son.id));
    expect(cls.map((c) => c.classId).sort()).toEqual([toan6, van6].sort());
    const [me] = await hub.database.db.select({ phone: users.phone }).from(users).where(eq(users.fullName, "Lý Thị Mẹ"));
    expect(me.phone).toBe("+84868111222");
  });

  it("accepts a UTF-8 BOM, in a file and in pasted text", async () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("name,email,role\nĐoàn Bom Một,bom1@nguyendu.lopso.demo,student\n")]);
    const res = await upload(bom);
    expect(res.status).toBe(200);
    expect(readReport(await res.text()).heading).toContain("Đã nhập 1/1 dòng");
    const pasted = await admin.post(path(), { csv: "\uFEFFname,email,role\nĐoàn Bom Hai,bom2@nguyendu.lopso.demo,student\n" });
    expect(pasted.status).toBe(200);
    expect(readReport(await pasted.text()).heading).toContain("Đã nhập 1/1 dòng");
    const rows = await hub.database.query("select 1 from users where email in ('bom1@nguyendu.lopso.demo', 'bom2@nguyendu.lopso.demo')");
    expect(rows).toHaveLength(2);
  });

  it("numbers lines as an editor does when a quoted field holds line breaks, with CRLF or LF", async () => {
    for (const [tag, eol] of [["crlf", "\r\n"], ["lf", "\n"]]) {
      const text = [
        "name,email,phone,role,class", // 1
        "", // 2
        `"Trần Văn${eol}Hai Dòng",haidong.${tag}@nguyendu.lopso.demo,,student,`, // 3–4
        "Sai Thư,khong-phai-email,,student,", // 5
        `"Lê Thị${eol}${eol}Ba Dòng",badong.${tag}@nguyendu.lopso.demo,,student,`, // 6–8
        "   ", // 9
        `,thieuten.${tag}@nguyendu.lopso.demo,,student,`, // 10
      ].join(eol);
      const res = await upload(text);
      expect(res.status).toBe(400);
      expect(readReport(await res.text()).errors.map((e) => [e.line, e.field]), tag).toEqual([
        [5, "email"],
        [10, "name"],
      ]);
      const valid = await upload(text, { validOnly: true });
      expect(valid.status).toBe(200);
      const names = await hub.database.query<{ full_name: string }>(
        `select full_name from users where email in ('haidong.${tag}@nguyendu.lopso.demo', 'badong.${tag}@nguyendu.lopso.demo') order by email desc`,
      );
      expect(names.map((n) => n.full_name), tag).toEqual(["Trần Văn Hai Dòng", "Lê Thị Ba Dòng"]);
    }
  });

  it("accepts Excel's semicolon-separated CSV (Vietnamese locale)", async () => {
    const res = await upload("Họ và tên;Email;Vai trò\r\nMai Chấm Phẩy;champhay@nguyendu.lopso.demo;HS\r\n");
    expect(res.status).toBe(200);
    expect(readReport(await res.text()).heading).toContain("Đã nhập 1/1 dòng");
  });

  it("accepts Excel's UTF-16 “Unicode Text” (tab-separated, with a BOM)", async () => {
    const text = "Họ và tên\tEmail\tVai trò\r\nPhan Mười Sáu\tutf16@nguyendu.lopso.demo\thọc sinh\r\n";
    const bytes = new Uint8Array(2 + text.length * 2);
    bytes.set([0xff, 0xfe]);
    for (let i = 0; i < text.length; i++) {
      bytes[2 + i * 2] = text.charCodeAt(i) & 0xff;
      bytes[3 + i * 2] = text.charCodeAt(i) >> 8;
    }
    const res = await upload(bytes);
    expect(res.status).toBe(200);
    expect(readReport(await res.text()).heading).toContain("Đã nhập 1/1 dòng");
    const [u] = await hub.database.db.select({ fullName: users.fullName }).from(users).where(eq(users.email, "utf16@nguyendu.lopso.demo"));
    expect(u.fullName).toBe("Phan Mười Sáu");
  });

  it("refuses a file that is not UTF-8 (Excel's Windows-1258 “CSV”) with a message that says how to save it", async () => {
    const before = await count("users");
    // "Trần" in Windows-1258: 0xE2 is "â"; the tone is a separate combining byte (0xCC).
    const bytes = new Uint8Array([...new TextEncoder().encode("name,email,role\nTr"), 0xe2, 0xcc, ...new TextEncoder().encode("n Văn,cp1258@nguyendu.lopso.demo,student\n")]);
    const res = await upload(bytes);
    expect(res.status).toBe(400);
    expect(alerts(await res.text()).join(" ")).toMatch(/Tệp không ở dạng UTF-8.*CSV UTF-8/);
    expect(await count("users")).toBe(before);
  });
});

describe("files that cannot be imported", () => {
  it("an empty file asks for a file or pasted text", async () => {
    const before = await count("users");
    const res = await upload("");
    expect(res.status).toBe(400);
    expect(alerts(await res.text())).toContain("Chọn một tệp CSV hoặc dán nội dung.");
    expect(await count("users")).toBe(before);
  });

  it("a file of blank lines, and nothing at all, say the same", async () => {
    for (const res of [await upload("\r\n\r\n  \n"), await admin.post(path(), { csv: "" }), await admin.post(path(), {})]) {
      expect(res.status).toBe(400);
      expect(alerts(await res.text())).toContain("Chọn một tệp CSV hoặc dán nội dung.");
    }
  });

  it("a header with no rows says there are no data rows", async () => {
    const res = await upload("name,email,phone,role,class\n");
    expect(res.status).toBe(400);
    const report = readReport(await res.text());
    expect(report.errors).toEqual([{ line: 1, field: "file", reason: "Tệp CSV không có dòng dữ liệu nào." }]);
  });

  it("a missing required column is named", async () => {
    const before = await count("users");
    const res = await upload("name,email\nKhông Vai Trò,khongvaitro@nguyendu.lopso.demo\n");
    expect(res.status).toBe(400);
    const report = readReport(await res.text());
    expect(report.errors).toEqual([{ line: 1, field: "role", reason: "Thiếu cột bắt buộc: role." }]);
    expect(await count("users")).toBe(before);
  });

  it("an unknown column is named", async () => {
    const res = await upload("name,email,role,ngày sinh\nA Bê,abe@nguyendu.lopso.demo,student,2014-01-01\n");
    expect(res.status).toBe(400);
    expect(readReport(await res.text()).errors).toEqual([{ line: 1, field: "file", reason: "Cột không được hỗ trợ: ngày sinh." }]);
  });

  it("an unclosed quote is reported as a malformed file, not a server error", async () => {
    const before = await count("users");
    const res = await upload('name,email,role\n"Ngoặc Mở,ngoac@nguyendu.lopso.demo,student\n');
    expect(res.status).toBe(400);
    const report = readReport(await res.text());
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0].reason).toMatch(/Tệp CSV bị lỗi định dạng/);
    expect(await count("users")).toBe(before);
  });

  it("a NUL byte in a name is not a server error", async () => {
    const res = await upload("name,email,role\nNul\u0000 Byte,nul@nguyendu.lopso.demo,student\n");
    expect(res.status).toBeLessThan(500);
    const rows = await hub.database.query<{ full_name: string }>("select full_name from users where email = 'nul@nguyendu.lopso.demo'");
    for (const r of rows) expect(r.full_name).not.toContain("\u0000");
  });

  it("a file over 2 MB is refused with its limit named", async () => {
    const before = await count("users");
    const row = "Nguyen Van Dai,dai@nguyendu.lopso.demo,,student,\n"; // ASCII: one byte a character
    const big = "name,email,phone,role,class\n" + row.repeat(Math.ceil((2 * 1024 * 1024 + 10_000) / row.length));
    const res = await upload(big);
    expect(res.status).toBe(400);
    expect(alerts(await res.text()).join(" ")).toContain("Dữ liệu gửi lên quá lớn (tối đa 2 MB)");
    const huge = await upload(big + row.repeat(100_000 / row.length));
    expect(huge.status).toBe(413);
    const text = await huge.text();
    expect(text).toContain("Dữ liệu gửi lên quá lớn (tối đa 2 MB)");
    // The unread rest of the refused upload must not wedge the connection for the next request.
    expect(huge.headers.get("connection")).toBe("close");
    const next = await upload("name,email,role\nSau Đó,saudo@nguyendu.lopso.demo,student\n");
    expect(next.status).toBe(200);
    expect(await count("users")).toBe(before + 1);
  });
});

describe("in English", () => {
  it("reports bad rows in English with the lang=en cookie", async () => {
    admin.cookies.set("lang", "en");
    try {
      const res = await upload("name,email,role\nBad Mail,not-an-email,student\n");
      expect(res.status).toBe(400);
      const report = readReport(await res.text());
      expect(report.heading).toMatch(/^Nothing was imported/);
      expect(report.errors).toEqual([{ line: 2, field: "email", reason: "Invalid email address." }]);
    } finally {
      admin.cookies.delete("lang");
    }
  });
});
