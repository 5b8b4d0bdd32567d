/**
 * OneRoster 1.1 / 1.2 CSV import into the demo province's schools: the Vietnamese bundles of
 * tests/fixtures/oneroster (bulk, changed, delta), the real public bundles of
 * /work/shared/samples/oneroster (copied under tests/fixtures/oneroster/public), and broken bundles
 * made from the good one by changing one cell — each refused with its exact `file:line:column: reason`
 * and nothing written.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import yazl from "yazl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../db/seed.server.ts";
import { importOneRoster, rosterErrorText, type RosterReport } from "../../app/services/roster/oneroster.server.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";

const FIX = path.resolve("tests/fixtures/oneroster");
const PUBLIC = path.join(FIX, "public");
let database: TestDatabase;
let tmp: string;

beforeAll(async () => {
  database = await freshDatabase();
  await seedDemo(database.db);
  // A school of its own for the public bundles (a bulk import is the whole roster of its school).
  await database.query("insert into organizations (kind, name, code, level, parent_id) select 'school', 'Trường THPT Mẫu', '79903', 'thpt', parent_id from organizations where code = '79001'");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lopso-oneroster-"));
}, 60_000);

afterAll(async () => {
  await database?.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const rows = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => database.query<T>(text, params);
const errorsOf = (r: RosterReport, locale: "vi" | "en" = "vi") => r.errors.map((e) => rosterErrorText(e, locale));

async function tableCounts() {
  const [c] = await rows<Record<string, number>>(`select (select count(*) from users)::int as users, (select count(*) from classes)::int as classes,
    (select count(*) from class_members)::int as members, (select count(*) from external_links)::int as links, (select count(*) from parent_links)::int as parents,
    (select count(*) from memberships)::int as memberships, (select count(*) from sync_runs)::int as runs`);
  return c;
}

/** A copy of a fixture bundle with one file's text changed. */
function variant(fixture: string, file: string, change: (text: string) => string): string {
  const dir = fs.mkdtempSync(path.join(tmp, "v-"));
  for (const f of fs.readdirSync(path.join(FIX, fixture))) fs.copyFileSync(path.join(FIX, fixture, f), path.join(dir, f));
  const target = path.join(dir, file);
  if (fs.existsSync(target)) {
    const next = change(fs.readFileSync(target, "utf8"));
    if (next === "") fs.rmSync(target);
    else fs.writeFileSync(target, next);
  }
  return dir;
}

async function zipOf(entries: Record<string, string>, name = "bundle.zip"): Promise<string> {
  const zip = new yazl.ZipFile();
  for (const [n, text] of Object.entries(entries)) zip.addBuffer(Buffer.from(text), n);
  zip.end();
  const file = path.join(fs.mkdtempSync(path.join(tmp, "z-")), name);
  await new Promise<void>((resolve, reject) => zip.outputStream.pipe(fs.createWriteStream(file)).on("close", resolve).on("error", reject));
  return file;
}

const userByName = async (name: string) => (await rows<{ id: string; email: string | null; phone: string | null; birth_date: string | null }>(
  "select id, email, phone, birth_date::text as birth_date from users where full_name = $1", [name]))[0];

describe("a THCS school's OneRoster 1.1 bundle", () => {
  let first: RosterReport;
  it("imports classes, people, guardians, birth dates and enrollments into the school named by the org's identifier", async () => {
    const lan = await userByName("Nguyễn Thị Lan");
    const dry = await importOneRoster(database.db, path.join(FIX, "thcs-nguyendu-1.1"), { dryRun: true });
    expect(dry.ok).toBe(true);
    const before = await tableCounts();
    first = await importOneRoster(database.db, path.join(FIX, "thcs-nguyendu-1.1"));
    expect(first.errors).toEqual([]);
    expect(first.school?.code).toBe("79001");
    expect(first.version).toBe("1.1");
    // The dry run said exactly what the import did.
    expect(dry.files).toEqual(first.files);
    expect(first.files["classes.csv"]).toEqual({ created: 4, updated: 0, unchanged: 0, archived: 0, skipped: 0 });
    // Eight people; the teacher already in the hub (same email, same school) is matched, not duplicated.
    expect(first.files["users.csv"]).toEqual({ created: 7, updated: 1, unchanged: 0, archived: 0, skipped: 0 });
    expect(first.files["enrollments.csv"]).toEqual({ created: 10, updated: 0, unchanged: 0, archived: 0, skipped: 0 });
    expect(first.files.parentLinks).toEqual({ created: 3, updated: 0, unchanged: 0, archived: 0, skipped: 0 });
    const after = await tableCounts();
    expect(after.users - before.users).toBe(7);
    expect(after.classes - before.classes).toBe(4);
    expect(after.runs - before.runs).toBe(1);

    const classes = await rows<{ name: string; subject: string; grade: number; school_year: string }>(
      "select c.name, c.subject, c.grade, c.school_year from classes c join external_links l on l.local_id = c.id and l.kind = 'class' order by c.name, c.subject",
    );
    expect(classes).toEqual([
      { name: "6A1", subject: "ngu-van", grade: 6, school_year: "2025-2026" },
      { name: "6A1", subject: "toan", grade: 6, school_year: "2025-2026" },
      { name: "6A2", subject: "toan", grade: 6, school_year: "2025-2026" },
      { name: "7A1", subject: "khtn", grade: 7, school_year: "2025-2026" },
    ]);
    expect((await userByName("Nguyễn Thị Lan")).id).toBe(lan.id);
    // Stored NFC though written NFD; phones E.164; birth dates from demographics.csv.
    const ngocAnh = await userByName("Lê Thị Ngọc Ánh");
    expect(ngocAnh).toMatchObject({ email: "anh.ltn@hs.nguyendu.edu.vn", birth_date: "2014-11-02" });
    expect(await userByName("Phạm Văn Hùng")).toMatchObject({ phone: "+84912000111" });
    expect(await userByName("Trần Văn Nam")).toMatchObject({ email: null, phone: "+84987000222" });
    const families = await rows<{ parent: string; child: string }>(`select p.full_name as parent, s.full_name as child from parent_links l
      join users p on p.id = l.parent_id join users s on s.id = l.student_id where p.full_name in ('Trần Văn Nam', 'Lê Thị Hồng') order by 1, 2`);
    expect(families).toEqual([
      { parent: "Lê Thị Hồng", child: "Hoàng Văn Bảo" },
      { parent: "Lê Thị Hồng", child: "Lê Thị Ngọc Ánh" },
      { parent: "Trần Văn Nam", child: "Trần Minh Anh" },
    ]);
    const roles = await rows<{ full_name: string; role: string }>(`select u.full_name, m.role from memberships m join users u on u.id = m.user_id
      join organizations o on o.id = m.org_id where o.code = '79001' and u.full_name in ('Trần Văn Nam', 'Đỗ Gia Huy', 'Phạm Văn Hùng') order by u.sort_key`);
    expect(roles).toEqual([
      { full_name: "Phạm Văn Hùng", role: "teacher" },
      { full_name: "Đỗ Gia Huy", role: "student" },
      { full_name: "Trần Văn Nam", role: "parent" },
    ]);
    const members = await rows<{ name: string; subject: string; n: number }>(`select c.name, c.subject, count(*)::int as n from class_members m
      join classes c on c.id = m.class_id join external_links l on l.local_id = c.id and l.kind = 'class' group by 1, 2 order by 1, 2`);
    expect(members).toEqual([
      { name: "6A1", subject: "ngu-van", n: 3 },
      { name: "6A1", subject: "toan", n: 3 },
      { name: "6A2", subject: "toan", n: 2 },
      { name: "7A1", subject: "khtn", n: 2 },
    ]);
  });

  it("changes nothing when the same bundle is imported again", async () => {
    const before = await tableCounts();
    const again = await importOneRoster(database.db, path.join(FIX, "thcs-nguyendu-1.1"));
    expect(again.ok).toBe(true);
    expect(again.files["classes.csv"]).toEqual({ created: 0, updated: 0, unchanged: 4, archived: 0, skipped: 0 });
    expect(again.files["users.csv"]).toEqual({ created: 0, updated: 0, unchanged: 8, archived: 0, skipped: 0 });
    expect(again.files["enrollments.csv"]).toEqual({ created: 0, updated: 0, unchanged: 10, archived: 0, skipped: 0 });
    expect(again.files.parentLinks).toEqual({ created: 0, updated: 0, unchanged: 3, archived: 0, skipped: 0 });
    const after = await tableCounts();
    expect({ ...after, runs: 0 }).toEqual({ ...before, runs: 0 });
  });

  it("updates in place and archives what left a changed bundle (classes archived, people's links archived, enrollments ended)", async () => {
    const huy = await userByName("Đỗ Gia Huy");
    const changed = await importOneRoster(database.db, path.join(FIX, "thcs-nguyendu-1.1-changed"));
    expect(changed.errors).toEqual([]);
    expect(changed.files["classes.csv"]).toEqual({ created: 0, updated: 0, unchanged: 3, archived: 1, skipped: 0 });
    expect(changed.files["users.csv"]).toEqual({ created: 1, updated: 1, unchanged: 6, archived: 1, skipped: 0 });
    expect(changed.files["enrollments.csv"]).toEqual({ created: 1, updated: 0, unchanged: 7, archived: 3, skipped: 0 });
    const [k7] = await rows<{ archived: boolean }>("select archived_at is not null as archived from classes where name = '7A1' and school_year = '2025-2026'");
    expect(k7.archived).toBe(true);
    expect(await userByName("Trần Minh Ánh")).toBeTruthy();
    expect(await userByName("Trần Minh Anh")).toBeUndefined();
    // Huy left the bundle: his account stays, his link is archived, his class membership ended.
    expect((await userByName("Đỗ Gia Huy")).id).toBe(huy.id);
    const [link] = await rows<{ archived: boolean }>("select archived_at is not null as archived from external_links where kind = 'user' and external_id = 'hs-huy'");
    expect(link.archived).toBe(true);
    expect(await rows("select 1 from class_members where user_id = $1", [huy.id])).toHaveLength(0);
    const toan6a1 = await rows<{ full_name: string }>(`select u.full_name from class_members m join users u on u.id = m.user_id
      join classes c on c.id = m.class_id where c.name = '6A1' and c.subject = 'toan' and c.school_year = '2025-2026' order by u.sort_key`);
    expect(toan6a1.map((r) => r.full_name)).toEqual(["Trần Minh Ánh", "Nguyễn Thị Lan"]);
    // Once more: nothing left to change.
    const again = await importOneRoster(database.db, path.join(FIX, "thcs-nguyendu-1.1-changed"));
    expect(Object.values(again.files).every((c) => c.created + c.updated + c.archived === 0)).toBe(true);
    // The first bundle brings the class back (unarchived in place, same id).
    const back = await importOneRoster(database.db, path.join(FIX, "thcs-nguyendu-1.1"));
    expect(back.files["classes.csv"]).toMatchObject({ created: 0, updated: 1, archived: 0 });
    const [k7b] = await rows<{ archived: boolean }>("select archived_at is not null as archived from classes where name = '7A1' and school_year = '2025-2026'");
    expect(k7b.archived).toBe(false);
  });

  it("ends the parent links the bundle no longer has, and keeps those a family confirmed or the hub made", async () => {
    const family = () =>
      rows<{ parent: string; child: string; source: string | null }>(`select p.full_name as parent, s.full_name as child, l.source from parent_links l
        join users p on p.id = l.parent_id join users s on s.id = l.student_id where p.full_name in ('Trần Văn Nam', 'Lê Thị Hồng') order by 1, 2`);
    const school = `oneroster:${first.school!.id}`;
    expect(await family()).toEqual([
      { parent: "Lê Thị Hồng", child: "Hoàng Văn Bảo", source: school },
      { parent: "Lê Thị Hồng", child: "Lê Thị Ngọc Ánh", source: school },
      { parent: "Trần Văn Nam", child: "Trần Minh Anh", source: school },
    ]);
    // The hub links Nam to Bảo as well (an admin, a link code): no roster ends that link.
    const [nam] = await rows<{ id: string }>("select id from users where full_name = 'Trần Văn Nam'");
    const [bao] = await rows<{ id: string }>("select id from users where full_name = 'Hoàng Văn Bảo'");
    await rows("insert into parent_links (parent_id, student_id) values ($1, $2)", [nam.id, bao.id]);
    // Bảo's row no longer names Hồng as his parent (and Hồng's row never named him).
    const without = variant("thcs-nguyendu-1.1", "users.csv", (t) => t.replace(/^(hs-bao,.*),ph-hong,/m, "$1,,"));
    const dry = await importOneRoster(database.db, without, { dryRun: true });
    expect(dry.files.parentLinks).toMatchObject({ created: 0, archived: 1 });
    expect(await family()).toHaveLength(4);
    const r = await importOneRoster(database.db, without);
    expect(r.errors).toEqual([]);
    expect(r.files.parentLinks).toEqual({ created: 0, updated: 0, unchanged: 2, archived: 1, skipped: 0 });
    expect(await family()).toEqual([
      { parent: "Lê Thị Hồng", child: "Lê Thị Ngọc Ánh", source: school },
      { parent: "Trần Văn Nam", child: "Hoàng Văn Bảo", source: null },
      { parent: "Trần Văn Nam", child: "Trần Minh Anh", source: school },
    ]);
    // Back in the bundle: linked again.
    const back = await importOneRoster(database.db, path.join(FIX, "thcs-nguyendu-1.1"));
    expect(back.files.parentLinks).toMatchObject({ created: 1, archived: 0 });
    await rows("delete from parent_links where parent_id = $1 and student_id = $2", [nam.id, bao.id]);
    expect(await family()).toHaveLength(3);

    // A delta holds only some rows, and either side's row may declare a link. Hồng and Ngọc Ánh are
    // both in it, neither naming the other: that link ends. Hồng–Bảo stays: Bảo's row, which names
    // Hồng, is not in the delta. Nam is tobedeleted: his link ends with him.
    const base = fs.readFileSync(path.join(FIX, "thcs-nguyendu-1.1", "users.csv"), "utf8").split("\n");
    const row = (id: string) => base.find((l) => l.startsWith(`${id},`))!;
    const delta = fs.mkdtempSync(path.join(tmp, "delta-"));
    fs.writeFileSync(path.join(delta, "manifest.csv"), "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\nfile.users,delta\n");
    fs.writeFileSync(
      path.join(delta, "users.csv"),
      [base[0], row("ph-hong").replace(",hs-ngocanh,", ",,"), row("hs-ngocanh"), "ph-nam,tobedeleted,,true,sch-nguyendu,guardian,0987000222,,Nam,Trần,Văn,,,0987000222,,hs-anh,,,"].join("\n") + "\n",
    );
    const d = await importOneRoster(database.db, delta, { schoolCode: first.school!.code });
    expect(d.errors).toEqual([]);
    expect(d.files.parentLinks).toMatchObject({ created: 0, archived: 2 });
    expect(await family()).toEqual([{ parent: "Lê Thị Hồng", child: "Hoàng Văn Bảo", source: school }]);
    const restored = await importOneRoster(database.db, path.join(FIX, "thcs-nguyendu-1.1"));
    expect(restored.files.parentLinks).toMatchObject({ created: 2, archived: 0 });
    expect(await family()).toHaveLength(3);
  });

  it("lists the import in sync_runs under oneroster:<schoolId>", async () => {
    const runs = await rows<{ source: string; status: string }>("select source, status from sync_runs where source like 'oneroster:%'");
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(runs.every((r) => r.source === `oneroster:${first.school!.id}` && r.status === "succeeded")).toBe(true);
  });
});

describe("a primary school's OneRoster 1.2 bundle (roles.csv) and a delta after it", () => {
  it("takes each person's primary role from roles.csv and never an administrator's", async () => {
    const r = await importOneRoster(database.db, path.join(FIX, "tieuhoc-kimdong-1.2"));
    expect(r.errors).toEqual([]);
    expect(r.version).toBe("1.2");
    expect(r.school?.code).toBe("79002");
    expect(r.files["users.csv"]).toMatchObject({ created: 4, updated: 0 });
    expect(r.files["enrollments.csv"]).toMatchObject({ created: 4 });
    const roles = await rows<{ full_name: string; role: string }>(`select u.full_name, m.role from memberships m join users u on u.id = m.user_id
      join organizations o on o.id = m.org_id where o.code = '79002' and u.full_name in ('Nguyễn Thanh Thủy', 'Lý Văn Lợi') order by u.sort_key`);
    expect(roles).toEqual([{ full_name: "Lý Văn Lợi", role: "parent" }, { full_name: "Nguyễn Thanh Thủy", role: "teacher" }]);
    const classes = await rows<{ name: string; subject: string; grade: number; school_year: string }>(
      "select c.name, c.subject, c.grade, c.school_year from classes c join organizations o on o.id = c.school_id join external_links l on l.local_id = c.id and l.kind = 'class' where o.code = '79002' order by 1",
    );
    expect(classes).toEqual([
      { name: "1A", subject: "tieng-viet", grade: 1, school_year: "2026-2027" },
      { name: "2A", subject: "toan", grade: 2, school_year: "2026-2027" },
    ]);
    const families = await rows("select 1 from parent_links l join users p on p.id = l.parent_id join users s on s.id = l.student_id where p.full_name = 'Lý Văn Lợi' and s.full_name = 'Lý Quang Minh'");
    expect(families).toHaveLength(1);
  });

  it("applies a delta: tobedeleted enrollments end, new rows are added, files the delta leaves out are untouched", async () => {
    // A delta has no orgs.csv: the school is named.
    const d = await importOneRoster(database.db, path.join(FIX, "tieuhoc-kimdong-1.2-delta"), { schoolCode: "79002" });
    expect(d.errors).toEqual([]);
    expect(d.files["users.csv"]).toEqual({ created: 1, updated: 0, unchanged: 0, archived: 0, skipped: 0 });
    expect(d.files["enrollments.csv"]).toEqual({ created: 1, updated: 0, unchanged: 0, archived: 1, skipped: 0 });
    expect(d.files["classes.csv"]).toBeUndefined();
    const twoA = await rows<{ full_name: string }>(`select u.full_name from class_members m join users u on u.id = m.user_id join classes c on c.id = m.class_id
      join organizations o on o.id = c.school_id where o.code = '79002' and c.name = '2A' and c.school_year = '2026-2027' order by u.sort_key`);
    expect(twoA.map((r) => r.full_name)).toEqual(["Đinh Văn Khang", "Nguyễn Thanh Thủy"]);
    const [users] = await rows<{ n: number }>("select count(*)::int as n from external_links where source like 'oneroster:%' and kind = 'user' and archived_at is null and school_id = (select id from organizations where code = '79002')");
    expect(users.n).toBe(5);
  });
});

describe("the real public bundles", () => {
  it("imports catalyst's 1.1 full set (status filled in bulk, tobedeleted rows, agents, quoted lists) into a chosen school", async () => {
    const r = await importOneRoster(database.db, path.join(PUBLIC, "catalyst-moodle/Test_full_data_set.zip"), { schoolCode: "79903", dryRun: true });
    expect(r.errors).toEqual([]);
    expect(r.files["classes.csv"]).toEqual({ created: 1, updated: 0, unchanged: 1, archived: 0, skipped: 0 });
    expect(r.files["users.csv"]).toEqual({ created: 6, updated: 0, unchanged: 0, archived: 0, skipped: 0 });
    expect(r.files.parentLinks.created).toBe(1);
    expect(r.files["enrollments.csv"]).toEqual({ created: 3, updated: 0, unchanged: 0, archived: 0, skipped: 3 });
    expect(r.skips.map((s) => s.reason)).toEqual([5, 6, 7].map((l) => `enrollments.csv:${l}: lớp "cls-222-123478" không được nhập`));
  });

  it("imports catalyst's 1.1 minimal set (CRLF, no final newline, \"Scheduled\", \"TRUE\"); classes without a grade are skipped with the reason", async () => {
    const r = await importOneRoster(database.db, path.join(PUBLIC, "catalyst-moodle/Test_minimal_data_set.zip"), { schoolCode: "79903", dryRun: true });
    expect(r.errors).toEqual([]);
    expect(r.files["users.csv"].created).toBe(6);
    expect(r.files["classes.csv"].skipped).toBe(2);
    expect(r.skips[0].reason).toBe("classes.csv:2: không rõ khối lớp (grades trống, tên lớp không bắt đầu bằng khối)");
  });

  it("imports catalyst's 1.2 sets, with roles.csv, the header typos (dataLastModified, preffered…) and userprofiles.csv in lower case", async () => {
    const a = await importOneRoster(database.db, path.join(PUBLIC, "catalyst-moodle/oneroster_test_data.zip"), { schoolCode: "79903", dryRun: true });
    expect(a.errors).toEqual([]);
    expect(a.version).toBe("1.2");
    expect(a.files["users.csv"].created).toBe(1);
    const b = await importOneRoster(database.db, path.join(PUBLIC, "catalyst-moodle/v1p2_full_dataset.zip"), { schoolCode: "79903", dryRun: true });
    expect(b.errors).toEqual([]);
    expect(b.files["users.csv"]).toMatchObject({ created: 5, skipped: 1 });
    expect(b.skips[0].reason).toContain("users.csv:4: vai trò \"siteAdministrator\" không được nhập");
  });

  it("imports oat-sa's vendor variant (columns out of order, ext_ and metadata. columns, header-only files)", async () => {
    const r = await importOneRoster(database.db, path.join(PUBLIC, "oat-sa-vendor-variant/OneRosterv1p1BaseCSV"), { schoolCode: "79903", dryRun: true });
    expect(r.errors).toEqual([]);
    expect(r.files["users.csv"].created).toBe(2);
    expect(r.files["classes.csv"]).toMatchObject({ created: 1, skipped: 2 });
  });
});

describe("broken bundles: every bad cell reported as file:line:column: reason, nothing written", () => {
  const cases: [string, string, (t: string) => string, string[], ("vi" | "en")?][] = [
    ["a bad email after a quoted field with a line break", "users.csv", (t) => t.replace("hong.lt@gmail.demo", "hong.lt@@gmail"),
      ['users.csv:10:13: "hong.lt@@gmail" không phải địa chỉ email']],
    ["the same in English", "users.csv", (t) => t.replace("hong.lt@gmail.demo", "hong.lt@@gmail"), ['users.csv:10:13: "hong.lt@@gmail" is not an email address'], "en"],
    ["an enrollment of a class not in the bundle", "enrollments.csv", (t) => t.replace("e7,,,c-6a2-toan", "e7,,,c-6a3-toan"),
      ['enrollments.csv:8:4: "c-6a3-toan" không có trong classes.csv']],
    ["an unknown enrollment role", "enrollments.csv", (t) => t.replace("e3,,,c-6a1-toan,sch-nguyendu,hs-anh,student", "e3,,,c-6a1-toan,sch-nguyendu,hs-anh,hocsinh"),
      ['enrollments.csv:4:7: "hocsinh" không phải giá trị của cột role (một trong: administrator, proctor, student, teacher)']],
    ["a missing required column", "classes.csv", (t) => t.replace("sourcedId,status,dateLastModified,title,", "sourcedId,status,dateLastModified,name,"),
      ['classes.csv:1:15: thiếu cột bắt buộc "title"']],
    ["an email of another school's teacher", "users.csv", (t) => t.replace("huy.dg@hs.nguyendu.edu.vn", "hoa.lt@kimdong.lopso.demo"),
      ["users.csv:7:13: email hoa.lt@kimdong.lopso.demo là tài khoản của trường khác; tài khoản không được ghép giữa các trường"]],
    ["two people with one email", "users.csv", (t) => t.replace("huy.dg@hs.nguyendu.edu.vn", "bao.hv@hs.nguyendu.edu.vn"),
      ["users.csv:7:13: email bao.hv@hs.nguyendu.edu.vn đã dùng cho người khác ở dòng 6"]],
    ["a repeated sourcedId", "enrollments.csv", (t) => t.replace("e4,,,", "e3,,,"), ['enrollments.csv:5:1: mã "e3" đã có ở dòng 4']],
    ["a birth date written dd/mm/yyyy", "demographics.csv", (t) => t.replace("2014-03-12", "12/03/2014"),
      ['demographics.csv:2:4: "12/03/2014" không phải ngày dạng YYYY-MM-DD (cột birthDate)']],
    ["a file the manifest lists but the bundle lacks", "demographics.csv", () => "",
      ["manifest.csv:10:2: manifest ghi file.demographics là bulk nhưng gói không có tệp demographics.csv"]],
    ["an unclosed quote", "courses.csv", (t) => t.replace("Toán 6,TOAN6", '"Toán 6,TOAN6'), ["courses.csv:2:1: tệp CSV sai định dạng (CSV_QUOTE_NOT_CLOSED)"]],
    ["a guardian's child not in the bundle", "users.csv", (t) => t.replace(",hs-ngocanh,,,", ",hs-khong-co,,,"),
      ['users.csv:10:16: "hs-khong-co" không có trong users.csv']],
    ["a status that is not OneRoster's", "classes.csv", (t) => t.replace("c-6a2-toan,,,", "c-6a2-toan,deleted,2026-01-01,"),
      ['classes.csv:4:2: trạng thái "deleted" không hợp lệ (để trống, active hoặc tobedeleted)']],
  ];
  for (const [title, file, change, expected, locale] of cases) {
    it(title, async () => {
      const before = await tableCounts();
      const r = await importOneRoster(database.db, variant("thcs-nguyendu-1.1", file, change));
      expect(r.ok).toBe(false);
      expect(errorsOf(r, locale)).toEqual(expected);
      expect(await tableCounts()).toEqual(before);
    });
  }

  it("refuses a zip whose entry climbs out of the folder", async () => {
    const file = await zipOf({ "manifest.csv": "propertyName,value\n", "xx/evil.csv": "a\n" });
    const bytes = fs.readFileSync(file);
    // yazl will not write "..": the name is patched in both headers (names are not under the CRC).
    fs.writeFileSync(file, Buffer.from(bytes.toString("latin1").replaceAll("xx/evil.csv", "../evil.csv"), "latin1"));
    const r = await importOneRoster(database.db, file);
    expect(errorsOf(r)).toEqual(['bundle.zip: tệp nén chứa đường dẫn không an toàn "../evil.csv"']);
  });

  it("refuses a zip that unpacks to more than the limit (a zip bomb)", async () => {
    const file = await zipOf({ "manifest.csv": "propertyName,value\n", "users.csv": "x".repeat(5_000_000) });
    const r = await importOneRoster(database.db, file, { limits: { maxUnpackedBytes: 1024 ** 2, maxEntries: 100, maxRatio: 1000 } });
    expect(errorsOf(r)).toEqual(["bundle.zip: tệp nén quá lớn khi giải nén (5 MB); tối đa 1 MB"]);
  });

  it("reads a zipped bundle whose files sit in one folder", async () => {
    const dir = path.join(FIX, "thcs-nguyendu-1.1");
    const entries = Object.fromEntries(fs.readdirSync(dir).map((f) => [`export-2026/${f}`, fs.readFileSync(path.join(dir, f), "utf8")]));
    const r = await importOneRoster(database.db, await zipOf(entries), { dryRun: true });
    expect(r.errors).toEqual([]);
    expect(r.files["users.csv"].unchanged).toBe(8);
  });
});
