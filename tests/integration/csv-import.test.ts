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
let khtn7: string;

const path = () => `/admin/schools/${schoolId}/import`;

async function count(table: "users" | "memberships" | "class_members") {
  const [row] = await hub.database.query<{ n: number }>(`select count(*)::int as n from ${table}`);
  return Number(row.n);
}


/**
 * The import report: one row per error (line, person, column, value, reason), the credentials
 * table and the notices. Error cells are read by their column heading, in either language.
 */
function readReport(html: string) {
  const at = html.indexOf('data-testid="import-report"');
  const section = at >= 0 ? html.slice(at, html.indexOf("</section>", at)) : "";
  const tables = section.split("<table>").slice(1);
  const heads = (t: string) => [...(/<thead>([\s\S]*?)<\/thead>/.exec(t)?.[1] ?? "").matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g)].map((m) => htmlText(m[1]));
  const rows = (t: string) =>
    [...t.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1).map((m) => [...m[1].matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => htmlText(c[1])));
  const errorTable = tables.find((t) => /Dòng|Line/.test(t.slice(0, 200)));
  const credTable = tables.find((t) => /Mật khẩu tạm|Temporary password/.test(t.slice(0, 400)));
  const col = (names: string[], cells: string[], wanted: RegExp) => {
    const i = names.findIndex((n) => wanted.test(n));
    return i >= 0 ? cells[i] : undefined;
  };
  const errorHeads = errorTable ? heads(errorTable) : [];
  return {
    heading: htmlText(/<h2[^>]*>([\s\S]*?)<\/h2>/.exec(section)?.[1] ?? ""),
    errorHeads,
    errors: (errorTable ? rows(errorTable) : []).map((cells) => ({
      line: Number(col(errorHeads, cells, /^(Dòng|Line)$/)),
      field: col(errorHeads, cells, /^(Cột|Column)$/),
      reason: col(errorHeads, cells, /^(Lý do|Reason)$/),
    })),
    /** The same rows with the person and the value, for the tests that read them. */
    details: (errorTable ? rows(errorTable) : []).map((cells) => ({
      line: Number(col(errorHeads, cells, /^(Dòng|Line)$/)),
      person: col(errorHeads, cells, /^(Người|Person)$/),
      field: col(errorHeads, cells, /^(Cột|Column)$/),
      value: col(errorHeads, cells, /^(Giá trị|Value)$/),
      reason: col(errorHeads, cells, /^(Lý do|Reason)$/),
    })),
    credentials: (credTable ? rows(credTable) : []).map(([fullName, login, password]) => ({ fullName, login, password })),
    notices: [...section.matchAll(/<p\b[^>]*role="status"[^>]*>([\s\S]*?)<\/p>/g)].map((m) => htmlText(m[1])),
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
  [{ id: khtn7 }] = await db.select({ id: classes.id }).from(classes).where(and(eq(classes.schoolId, schoolId), eq(classes.name, "7A2"), eq(classes.subject, "khtn")));
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
  [3, "Email", /Email không hợp lệ/],
  [4, "Vai trò", /Vai trò phải là/],
  [5, "Lớp", /Không tìm thấy lớp “9Z9”/],
  [6, "Email", /Trùng với một dòng khác/],
  [7, "Email", /Email này đã được dùng/],
  [8, "Số điện thoại", /Số điện thoại không hợp lệ/],
  [9, "Họ và tên", /Vui lòng nhập họ và tên/],
  [11, "Cả dòng", /Số cột không khớp/],
  [14, "Số điện thoại", /Số điện thoại này đã được dùng/],
  [15, "Lớp", /Phụ huynh không được gán vào lớp/],
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
    const tot = await hub.asWithTemporary("tot.nv@nguyendu.lopso.demo", report.credentials.find((c) => c.login === "tot.nv@nguyendu.lopso.demo")!.password);
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
        [5, "Email"],
        [10, "Họ và tên"],
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
    expect(report.errors).toEqual([{ line: 1, field: "Cả tệp", reason: "Tệp CSV không có dòng dữ liệu nào." }]);
  });

  it("a missing required column is named", async () => {
    const before = await count("users");
    const res = await upload("name,email\nKhông Vai Trò,khongvaitro@nguyendu.lopso.demo\n");
    expect(res.status).toBe(400);
    const report = readReport(await res.text());
    expect(report.errors).toEqual([{ line: 1, field: "Vai trò", reason: "Thiếu cột bắt buộc “Vai trò” (role)." }]);
    expect(await count("users")).toBe(before);
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
      expect(report.errors).toEqual([{ line: 2, field: "Email", reason: "Invalid email address." }]);
    } finally {
      admin.cookies.delete("lang");
    }
  });
});

/** A file as Excel writes it: UTF-8 with a BOM, CRLF line ends. */
const excel = (lines: string[]) => new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(lines.join("\r\n") + "\r\n")]);

async function userByLogin(login: string) {
  const [u] = await hub.database.query<{ id: string; full_name: string; birth_date: string | null }>(
    "select id, full_name, birth_date::text as birth_date from users where email = $1 or phone = $1",
    [login],
  );
  return u;
}

async function classesOf(userId: string) {
  const rows = await hub.database.query<{ class_id: string; role: string }>("select class_id, role from class_members where user_id = $1", [userId]);
  return rows.map((r) => `${r.class_id}:${r.role}`).sort();
}

async function childrenOf(parentId: string) {
  const rows = await hub.database.query<{ full_name: string }>(
    "select u.full_name from parent_links pl join users u on u.id = pl.student_id where pl.parent_id = $1 order by u.full_name",
    [parentId],
  );
  return rows.map((r) => r.full_name);
}

describe("real school lists", () => {
  it("a comma file's class cell lists several classes with “;”, as the help text shows", async () => {
    const res = await upload("name,email,phone,role,class\nĐinh Nhiều Lớp,nhieulop@nguyendu.lopso.demo,,student,6A1:toan;7A2\n");
    expect(res.status).toBe(200);
    expect(readReport(await res.text()).heading).toContain("Đã nhập 1/1 dòng");
    const u = await userByLogin("nhieulop@nguyendu.lopso.demo");
    expect(await classesOf(u.id)).toEqual([`${toan6}:student`, `${khtn7}:student`].sort());
  });

  it("imports Excel's semicolon file (BOM, STT, dates of birth, ignored columns, parents naming two children)", async () => {
    const before = { users: await count("users"), links: Number((await hub.database.query<{ n: number }>("select count(*)::int as n from parent_links"))[0].n) };
    const file = excel([
      "STT;Họ và tên;Ngày sinh;Giới tính;Email;Số điện thoại;Vai trò;Lớp;Con;Địa chỉ",
      // The mother's row comes before her children's: a child may be named before its own row.
      '1;Đỗ Thị Lan Anh;;Nữ;;0977 123 457;Phụ huynh;;"ha.ntt@nguyendu.lopso.demo;0389 111 222";12, Lê Lợi, P. Bến Nghé',
      "2;Nguyễn Thị Thu Hà;05/09/2013;Nữ;ha.ntt@nguyendu.lopso.demo;;Học sinh;6A1:toan,7A2;;12, Lê Lợi, P. Bến Nghé",
      "3;Nguyễn Minh Khôi;3/1/2012;Nam;;0389 111 222;Học sinh;6A1:toan|7A2;;12, Lê Lợi, P. Bến Nghé",
      '4;Lê Gia Bảo;2013-11-20;Nam;bao.lg@nguyendu.lopso.demo;;Học sinh;"6A1:toan;7A2";;45 Nguyễn Huệ',
      "5;Phạm Thị Hằng;;Nữ;hang.pt@nguyendu.lopso.demo;;Giáo viên;7A2;;",
      "6;Nguyễn Văn Phúc;;Nam;;0977 123 456;Phụ huynh;;ha.ntt@nguyendu.lopso.demo, 0389111222;12, Lê Lợi, P. Bến Nghé",
    ]);
    const res = await upload(file);
    expect(res.status).toBe(200);
    const report = readReport(await res.text());
    expect(report.errors).toEqual([]);
    expect(report.heading).toContain("Đã nhập 6/6 dòng");
    expect(report.notices.join(" ")).toContain("Đã bỏ qua các cột: STT, Giới tính, Địa chỉ");
    expect(await count("users")).toBe(before.users + 6);

    const ha = await userByLogin("ha.ntt@nguyendu.lopso.demo");
    const khoi = await userByLogin("+84389111222");
    const bao = await userByLogin("bao.lg@nguyendu.lopso.demo");
    const hang = await userByLogin("hang.pt@nguyendu.lopso.demo");
    expect([ha.birth_date, khoi.birth_date, bao.birth_date, hang.birth_date]).toEqual(["2013-09-05", "2012-01-03", "2013-11-20", null]);
    // "6A1:toan,7A2", "6A1:toan|7A2" and a quoted "6A1:toan;7A2" each put the student in both classes.
    for (const s of [ha, khoi, bao]) expect(await classesOf(s.id), s.full_name).toEqual([`${toan6}:student`, `${khtn7}:student`].sort());
    expect(await classesOf(hang.id)).toEqual([`${khtn7}:teacher`]);

    const mother = await userByLogin("+84977123457");
    const father = await userByLogin("+84977123456");
    expect(await childrenOf(mother.id)).toEqual(["Nguyễn Minh Khôi", "Nguyễn Thị Thu Hà"]);
    expect(await childrenOf(father.id)).toEqual(["Nguyễn Minh Khôi", "Nguyễn Thị Thu Hà"]);
    const links = Number((await hub.database.query<{ n: number }>("select count(*)::int as n from parent_links"))[0].n);
    expect(links).toBe(before.links + 4);
    const parentSchools = await hub.database.query<{ org_id: string; role: string }>("select org_id, role from memberships where user_id = $1", [father.id]);
    expect(parentSchools).toEqual([{ org_id: schoolId, role: "parent" }]);

    // The father signs in with the password shown and sees both children.
    const cred = report.credentials.find((c) => c.login === "+84977123456")!;
    const phuc = await hub.asWithTemporary("0977 123 456", cred.password);
    const page = await phuc.html("/children");
    expect(page.status).toBe(200);
    expect(page.text).toContain("Nguyễn Thị Thu Hà");
    expect(page.text).toContain("Nguyễn Minh Khôi");
  });

  it("a class list split by the semicolon separator is a row error that says how to fix the row", async () => {
    const before = await count("users");
    const res = await upload(excel(["Họ và tên;Email;Vai trò;Lớp", "Hồ Chấm Phẩy;hocp@nguyendu.lopso.demo;HS;6A1:toan;7A2"]));
    expect(res.status).toBe(400);
    const [e, ...rest] = readReport(await res.text()).details;
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ line: 2, person: "Hồ Chấm Phẩy", field: "Cả dòng" });
    expect(e.reason).toMatch(/Số cột không khớp/);
    expect(e.reason).toMatch(/dấu phẩy “,” hoặc “\|”.*ngoặc kép/);
    expect(await count("users")).toBe(before);
  });

  it("ignores columns it does not use and names them, in Vietnamese and in English", async () => {
    const res = await upload("STT,Họ và tên,Giới tính,Email,Vai trò\n1,Vương Bỏ Cột,Nam,bocot@nguyendu.lopso.demo,Học sinh\n");
    expect(res.status).toBe(200);
    const report = readReport(await res.text());
    expect(report.heading).toContain("Đã nhập 1/1 dòng");
    expect(report.notices.join(" ")).toContain("Đã bỏ qua các cột: STT, Giới tính");
    expect(await userByLogin("bocot@nguyendu.lopso.demo")).toBeDefined();
    admin.cookies.set("lang", "en");
    try {
      const en = await upload("STT,name,gender,email,role\n2,Vuong Bo Cot Hai,Nam,bocot2@nguyendu.lopso.demo,student\n");
      expect(en.status).toBe(200);
      expect(readReport(await en.text()).notices.join(" ")).toContain("Ignored columns: STT, gender");
    } finally {
      admin.cookies.delete("lang");
    }
  });

  it("keeps the date of birth under each header name; a bad date is a row error naming the value", async () => {
    const lines = [
      "Họ và tên,Ngày sinh,Email,Vai trò,STT",
      "Mạc Ngày Sai,31/02/2013,ngaysai@nguyendu.lopso.demo,Học sinh,1", // 2: no 31 February
      "Mạc Tháng Sai,2013-13-01,thangsai@nguyendu.lopso.demo,Học sinh,2", // 3: no month 13
      "Mạc Chữ,hôm qua,chu@nguyendu.lopso.demo,Học sinh,3", // 4: not a date
      "Mạc Đúng,09/9/2013,macdung@nguyendu.lopso.demo,Học sinh,4", // 5: ok
    ];
    const res = await upload(lines.join("\n"));
    expect(res.status).toBe(400);
    const report = readReport(await res.text());
    expect(report.details.map((e) => [e.line, e.person, e.field, e.value])).toEqual([
      [2, "Mạc Ngày Sai", "Ngày sinh", "31/02/2013"],
      [3, "Mạc Tháng Sai", "Ngày sinh", "2013-13-01"],
      [4, "Mạc Chữ", "Ngày sinh", "hôm qua"],
    ]);
    for (const e of report.details) expect(e.reason).toMatch(/Ngày sinh “.+” không hợp lệ.*dd\/mm\/yyyy/);
    // The ignored column is named even when nothing is imported.
    expect(report.notices.join(" ")).toContain("Đã bỏ qua các cột: STT");
    expect(await userByLogin("macdung@nguyendu.lopso.demo")).toBeUndefined();

    const valid = await upload(lines.join("\n"), { validOnly: true });
    expect(valid.status).toBe(200);
    expect((await userByLogin("macdung@nguyendu.lopso.demo")).birth_date).toBe("2013-09-09");
    expect(await userByLogin("ngaysai@nguyendu.lopso.demo")).toBeUndefined();

    for (const [i, header] of ["ngay sinh", "birth_date", "dob", "Ngày Sinh"].entries()) {
      const r = await upload(`name,email,role,${header}\nMạc Tiêu Đề ${i},tieude${i}@nguyendu.lopso.demo,student,0${i + 1}/06/2012\n`);
      expect(r.status, header).toBe(200);
      expect((await userByLogin(`tieude${i}@nguyendu.lopso.demo`)).birth_date, header).toBe(`2012-06-0${i + 1}`);
    }
  });

  it("the error table names the column in the reader's language, with the bad value and the row's person", async () => {
    const res = await upload(MIXED);
    expect(res.status).toBe(400);
    const report = readReport(await res.text());
    expect(report.errorHeads).toEqual(["Dòng", "Người", "Cột", "Giá trị", "Lý do"]);
    const at = (line: number) => report.details.find((e) => e.line === line);
    expect(at(3)).toMatchObject({ person: "Trần Sai Mail", field: "Email", value: "khong-phai-email" });
    expect(at(5)).toMatchObject({ person: "Phạm Lớp Lạ", field: "Lớp", value: "9Z9" });
    expect(at(8)).toMatchObject({ person: "Bùi Sai Số", field: "Số điện thoại", value: "0123" });
    expect(at(4)).toMatchObject({ person: "Lê Vai Trò", field: "Vai trò", value: "hiệu phó" });
    admin.cookies.set("lang", "en");
    try {
      const en = readReport(await (await upload(MIXED)).text());
      expect(en.errorHeads).toEqual(["Line", "Person", "Column", "Value", "Reason"]);
      expect(en.details.find((e) => e.line === 8)).toMatchObject({ person: "Bùi Sai Số", field: "Phone number", value: "0123" });
      expect(en.details.find((e) => e.line === 5)).toMatchObject({ field: "Class", value: "9Z9" });
    } finally {
      admin.cookies.delete("lang");
    }
  });

  it("a parent row links children of the same school by email or phone; a child elsewhere or unknown is a row error", async () => {
    const linksBefore = Number((await hub.database.query<{ n: number }>("select count(*)::int as n from parent_links"))[0].n);
    const lines = [
      "Họ và tên,Số điện thoại,Vai trò,Con,Ngày sinh",
      "Trần Văn Cha,0977 000 111,Phụ huynh,giang.ht@nguyendu.lopso.demo;KHOA.BD@nguyendu.lopso.demo,", // 2 ok: two children of the school
      "Lê Thị Khác,0977 000 222,Phụ huynh,mai.dn@kimdong.lopso.demo,", // 3 a student of another school
      "Đỗ Văn Lạ,0977 000 333,Phụ huynh,khongco@nguyendu.lopso.demo,", // 4 nobody
      "Phan Văn Bác,0977 000 444,Phụ huynh,lan.nt@nguyendu.lopso.demo;0912 345 678,", // 5 a teacher, a parent
      "Hà Thị Học,0977 000 555,Học sinh,an.nv@nguyendu.lopso.demo,", // 6 only a parent row names children
      "Lưu Bé Lỗi,0977 000 666,Học sinh,,30/02/2014", // 7 a bad student row
      "Lưu Văn Bố,0977 000 777,Phụ huynh,0977 000 666,", // 8 names the bad row's child
    ];
    const res = await upload(lines.join("\r\n"));
    expect(res.status).toBe(400);
    const report = readReport(await res.text());
    expect(report.details.map((e) => [e.line, e.field, e.value])).toEqual([
      [3, "Con", "mai.dn@kimdong.lopso.demo"],
      [4, "Con", "khongco@nguyendu.lopso.demo"],
      [5, "Con", "lan.nt@nguyendu.lopso.demo"],
      [5, "Con", "0912 345 678"],
      [6, "Con", "an.nv@nguyendu.lopso.demo"],
      [7, "Ngày sinh", "30/02/2014"],
      [8, "Con", "0977 000 666"],
    ]);
    const reason = (line: number) => report.details.filter((e) => e.line === line).map((e) => e.reason);
    expect(reason(3)).toEqual([expect.stringMatching(/Không tìm thấy học sinh “mai\.dn@kimdong\.lopso\.demo” của trường/)]);
    expect(reason(5)).toHaveLength(2);
    expect(reason(6)).toEqual([expect.stringMatching(/Chỉ dòng phụ huynh/)]);
    expect(reason(8)).toEqual([expect.stringMatching(/dòng 7/)]);
    expect(Number((await hub.database.query<{ n: number }>("select count(*)::int as n from parent_links"))[0].n)).toBe(linksBefore);
    expect(await userByLogin("+84977000111")).toBeUndefined();

    const valid = await upload(lines.join("\r\n"), { validOnly: true });
    expect(valid.status).toBe(200);
    const done = readReport(await valid.text());
    expect(done.heading).toContain("Đã nhập 1/7 dòng");
    const cha = await userByLogin("+84977000111");
    expect(await childrenOf(cha.id)).toEqual(["Bùi Đăng Khoa", "Hoàng Thu Giang"]);
    expect(Number((await hub.database.query<{ n: number }>("select count(*)::int as n from parent_links"))[0].n)).toBe(linksBefore + 2);
    const mai = await userByLogin("mai.dn@kimdong.lopso.demo");
    const maiParents = await hub.database.query<{ phone: string | null }>(
      "select u.phone from parent_links pl join users u on u.id = pl.parent_id where pl.student_id = $1",
      [mai.id],
    );
    expect(maiParents.map((p) => p.phone)).not.toContain("+84977000222");
    const schools = await hub.database.query<{ org_id: string; role: string }>("select org_id, role from memberships where user_id = $1", [cha.id]);
    expect(schools).toEqual([{ org_id: schoolId, role: "parent" }]);
    const client = await hub.asWithTemporary("0977000111", done.credentials[0].password);
    const page = await client.html("/children");
    expect(page.text).toContain("Hoàng Thu Giang");
    expect(page.text).toContain("Bùi Đăng Khoa");
    expect(page.text).not.toContain("Đặng Ngọc Mai");
  });
});
