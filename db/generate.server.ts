/**
 * A province-scale synthetic dataset for load tests and demos at scale: one province, 525–540
 * students per school in full class groups (35 a group in primary schools, 45 in secondary ones, the
 * legal maxima) each with its homeroom teacher and the subject classes of its grade, teachers, 1–2
 * parents per student, lessons, assignments (past due and upcoming, tagged for the gradebook: regular
 * work and, in secondary classes, a graded mid-term test) and submissions with grades.
 *
 * Rows are produced by the database itself (`INSERT … SELECT generate_series(…)`), driven by a small
 * plan (schools, homerooms, classes, teachers) computed here and loaded into temporary tables.
 * Every id is derived from a row number (see `uid`), so related rows reference each other without
 * lookups. Everything runs in one transaction: either the whole province is generated or nothing.
 *
 * Following PostgreSQL's advice for populating a database, the foreign keys and indexes of the
 * tables being filled are dropped first and re-created (and the foreign keys re-validated) after
 * the load — inside the same transaction, so a failure restores them untouched. Other sessions
 * wait on these tables until the transaction commits: generate before starting the hub.
 *
 * Generation refuses to run twice: when the generated province (code GEN-SO) exists it stops with
 * a message instead of adding a second copy.
 */
import crypto from "node:crypto";
import { sql } from "drizzle-orm";
import type { Database, DbOrTx } from "./client.server.ts";
import { DEMO_PASSWORD } from "./demo.ts";
import { hashPassword } from "../app/auth/password.server.ts";
import { currentSchoolYear, subjectName, subjectsForGrade, type Level } from "../app/lib/curriculum.ts";
import { renderMarkdown } from "../app/services/markdown.server.ts";

export const GENERATED_PROVINCE_CODE = "GEN-SO";
/** Every generated account signs in with this password. */
export const GENERATED_PASSWORD = DEMO_PASSWORD;
export const GENERATED_EMAIL_DOMAIN = "gen.lopso.vn";
/** Students of a class group by school level: the maxima of the school regulations. */
export const CLASS_SIZE: Record<Level, number> = { tieu_hoc: 35, thcs: 45, thpt: 45 };
/** Students per school: full class groups, three per grade (four in upper secondary). */
export const STUDENTS_PER_SCHOOL: Record<Level, number> = { tieu_hoc: 525, thcs: 540, thpt: 540 };
export const MAX_STUDENTS = 5_000_000;
/**
 * Lessons and assignments per class. Assignments 1–2 are past due, 3 is upcoming (regular
 * assessments, thường xuyên); 4, in secondary classes only, is the mid-term test (giữa kỳ), done
 * on paper about 25 days ago and graded for nearly everyone.
 */
export const LESSONS_PER_CLASS = 3;
export const ASSIGNMENTS_PER_CLASS = 4;
const UPCOMING = 3;
const MIDTERM = 4;

/** Sign-in e-mails of generated people, by their number. */
export const generatedEmail = {
  student: (n: number) => `hs${n}@${GENERATED_EMAIL_DOMAIN}`,
  teacher: (n: number) => `gv${n}@${GENERATED_EMAIL_DOMAIN}`,
  /** The first parent of student n ("a"), and the second when there is one ("b"). */
  parent: (n: number, which: "a" | "b" = "a") => `ph${n}${which}@${GENERATED_EMAIL_DOMAIN}`,
};

export class GeneratedDataExistsError extends Error {}

// ---------------------------------------------------------------------------------------------
// Vietnamese names (NFC). Family names are weighted roughly as in the population.

const FAMILY: [string, number][] = [
  ["Nguyễn", 38], ["Trần", 11], ["Lê", 9], ["Phạm", 7], ["Hoàng", 4], ["Huỳnh", 2], ["Phan", 4], ["Vũ", 3],
  ["Võ", 2], ["Đặng", 2], ["Bùi", 2], ["Đỗ", 2], ["Hồ", 1], ["Ngô", 2], ["Dương", 2], ["Lý", 1], ["Đinh", 1],
  ["Trịnh", 1], ["Mai", 1], ["Đào", 1], ["Cao", 1], ["Lương", 1], ["Tạ", 1],
];
const MIDDLE_MALE = ["Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thành", "Gia", "Hoàng", "Anh", "Tuấn", "Xuân", "Đình", "Trọng", "Quốc", "Ngọc", "Bảo", "Đăng", "Hải"];
const MIDDLE_FEMALE = ["Thị", "Thị", "Thu", "Ngọc", "Thanh", "Minh", "Phương", "Khánh", "Bảo", "Mỹ", "Hồng", "Kim", "Thùy", "Diệu", "Hoài", "Quỳnh", "Lan", "Hà"];
const GIVEN_MALE = [
  "An", "Bình", "Cường", "Dũng", "Đức", "Giang", "Hải", "Hào", "Hiếu", "Hoàng", "Hùng", "Huy", "Khang", "Khánh", "Khoa",
  "Kiên", "Lâm", "Long", "Lộc", "Mạnh", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc", "Quân", "Quang", "Sơn",
  "Tài", "Thắng", "Thành", "Thiện", "Thịnh", "Tiến", "Toàn", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ", "Duy", "Đạt",
  "Hưng", "Kiệt", "Bảo", "Nguyên", "Khôi",
];
const GIVEN_FEMALE = [
  "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng", "Huyền", "Hương", "Lan", "Linh", "Loan",
  "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhi", "Nhung", "Oanh", "Phương", "Quỳnh", "Tâm", "Thảo", "Thu", "Thủy", "Trang",
  "Trâm", "Uyên", "Vân", "Vy", "Yến", "Hân", "Ánh", "Châu", "Diệp", "Ngân",
];

/** Names schools are given: people of Vietnamese history and letters, then places. */
const SCHOOL_NAMES = [
  "Nguyễn Du", "Lê Quý Đôn", "Trần Hưng Đạo", "Chu Văn An", "Nguyễn Trãi", "Lê Lợi", "Quang Trung", "Hai Bà Trưng",
  "Lý Thường Kiệt", "Trần Phú", "Võ Thị Sáu", "Kim Đồng", "Lê Văn Tám", "Nguyễn Văn Trỗi", "Phan Bội Châu", "Phan Chu Trinh",
  "Nguyễn Đình Chiểu", "Nguyễn Bỉnh Khiêm", "Lương Thế Vinh", "Ngô Quyền", "Đinh Tiên Hoàng", "Lý Tự Trọng", "Tô Hiến Thành",
  "Mạc Đĩnh Chi", "Hồ Xuân Hương", "Bà Triệu", "Trưng Vương", "Nguyễn Thị Minh Khai", "Lê Hồng Phong", "Hoàng Hoa Thám",
  "Nguyễn Khuyến", "Trần Quốc Toản", "Lê Thánh Tông", "Nguyễn Huệ", "Yết Kiêu", "Phạm Ngũ Lão", "Trần Nhân Tông",
  "Lý Công Uẩn", "Nguyễn Hiền", "Võ Trường Toản", "Đoàn Thị Điểm", "Trần Đại Nghĩa", "Tôn Đức Thắng", "Nguyễn Văn Cừ",
  "Hùng Vương", "Thăng Long", "Ngô Sĩ Liên", "Phù Đổng", "Cao Bá Quát", "Nguyễn Công Trứ",
];
const PLACES = [
  "An Bình", "Tân Lập", "Hòa Bình", "Thanh Xuân", "Yên Hòa", "Đông Sơn", "Tây Sơn", "Nam Sơn", "Bắc Sơn", "Phú Lương",
  "Hưng Đạo", "Quyết Thắng", "Tân Tiến", "Minh Khai", "Hồng Phong", "Đồng Tâm", "Thống Nhất", "Hợp Thành", "Trung Hòa",
  "Phú Xuân", "Vĩnh Phúc", "Tiên Phong", "Thanh Hà", "Cẩm Giàng", "Kim Sơn", "Lạc Long", "Sơn Thủy", "Hòa An", "Mỹ Lộc",
  "Tân Phú", "Xuân Trường", "Quảng Yên", "Bình Minh", "Hoàng Văn Thụ", "Đức Giang", "Long Biên", "Ninh Hiệp", "Gia Lâm",
  "Phúc Thọ", "Đại Đồng",
];
const LEVEL_NAME: Record<Level, string> = { tieu_hoc: "Tiểu học", thcs: "THCS", thpt: "THPT" };
/** Two primary, two lower-secondary and one upper-secondary school in every five. */
const LEVEL_CYCLE: Level[] = ["tieu_hoc", "thcs", "tieu_hoc", "thcs", "thpt"];
const GRADES: Record<Level, number[]> = { tieu_hoc: [1, 2, 3, 4, 5], thcs: [6, 7, 8, 9], thpt: [10, 11, 12] };

/** The subjects each homeroom group is taught on Lớp Số, by grade (all from the 2018 programme). */
function homeroomSubjects(grade: number, homeroomIndex: number): string[] {
  const wanted =
    grade <= 3 ? ["tieng-viet", "toan", "tieng-anh", "tu-nhien-xa-hoi"]
    : grade <= 5 ? ["tieng-viet", "toan", "tieng-anh", "khoa-hoc"]
    : grade <= 9 ? ["toan", "ngu-van", "tieng-anh", "khtn"]
    : ["toan", "ngu-van", "tieng-anh", ["vat-li", "hoa-hoc", "sinh-hoc"][homeroomIndex % 3]];
  const allowed = new Set(subjectsForGrade(grade).map((s) => s.code));
  for (const code of wanted) if (!allowed.has(code)) throw new Error(`${code} is not taught in grade ${grade}`);
  return wanted;
}

/** Lesson and assignment titles per subject (three of each). */
const CONTENT: Record<string, { lessons: string[]; assignments: string[] }> = {
  "tieng-viet": {
    lessons: ["Tập đọc: Ngày hôm qua đâu rồi?", "Chính tả: Nghe – viết", "Luyện từ và câu: Từ chỉ sự vật"],
    assignments: ["Luyện viết chữ đẹp", "Đặt câu với từ chỉ sự vật", "Viết 3–4 câu kể về gia đình em"],
  },
  toan: {
    lessons: ["Ôn tập các số đã học", "Luyện tập chung", "Giải bài toán có lời văn"],
    assignments: ["Bài tập về nhà: các phép tính", "Phiếu luyện tập số 2", "Giải bài toán thực tế"],
  },
  "tieng-anh": {
    lessons: ["Unit 1: Getting started", "Unit 1: A closer look", "Unit 1: Skills"],
    assignments: ["Vocabulary practice – Unit 1", "Reading: My school", "Writing: About my family"],
  },
  "tu-nhien-xa-hoi": {
    lessons: ["Gia đình em", "Trường học của em", "Thực vật và động vật quanh em"],
    assignments: ["Vẽ sơ đồ gia đình em", "Kể về một ngày ở trường", "Quan sát một cây xanh"],
  },
  "khoa-hoc": {
    lessons: ["Nước và tính chất của nước", "Không khí quanh ta", "Năng lượng mặt trời"],
    assignments: ["Thí nghiệm: nước hòa tan gì?", "Vì sao cần không khí sạch?", "Tiết kiệm năng lượng ở nhà em"],
  },
  "ngu-van": {
    lessons: ["Đọc hiểu: Bài học đường đời đầu tiên", "Thực hành tiếng Việt: Từ đơn và từ phức", "Viết bài văn kể lại một trải nghiệm"],
    assignments: ["Tóm tắt văn bản đã học", "Bài tập thực hành tiếng Việt", "Viết đoạn văn 8–10 câu"],
  },
  khtn: {
    lessons: ["Mở đầu về Khoa học tự nhiên", "Các thể của chất", "Tế bào – đơn vị cơ sở của sự sống"],
    assignments: ["An toàn trong phòng thực hành", "Sự chuyển thể của chất", "Vẽ và chú thích tế bào"],
  },
  "vat-li": {
    lessons: ["Mô tả chuyển động", "Tốc độ và vận tốc", "Gia tốc – chuyển động thẳng biến đổi đều"],
    assignments: ["Bài tập: độ dịch chuyển và quãng đường", "Đồ thị độ dịch chuyển – thời gian", "Bài tập về gia tốc"],
  },
  "hoa-hoc": {
    lessons: ["Thành phần của nguyên tử", "Nguyên tố hóa học", "Cấu trúc lớp vỏ electron"],
    assignments: ["Bài tập: số hạt trong nguyên tử", "Đồng vị và nguyên tử khối trung bình", "Viết cấu hình electron"],
  },
  "sinh-hoc": {
    lessons: ["Giới thiệu chương trình Sinh học", "Các cấp độ tổ chức của thế giới sống", "Thành phần hóa học của tế bào"],
    assignments: ["Sơ đồ các cấp độ tổ chức sống", "Vai trò của nước trong tế bào", "Bài tập về carbohydrate và lipid"],
  },
};

const COMMENTS = [
  "Bài làm tốt, trình bày sạch đẹp.",
  "Em có tiến bộ, cố gắng phát huy.",
  "Cần cẩn thận hơn khi trình bày.",
  "Cần ôn lại kiến thức của bài.",
  "Làm đúng yêu cầu, chữ viết cần đẹp hơn.",
];
const BODIES = ["Bài làm của em ạ.", "Em nộp bài ạ.", "Em đã làm xong, ảnh bài làm ở dưới.", "Bài tập của em, nhờ cô xem giúp ạ."];

// ---------------------------------------------------------------------------------------------
// The plan: schools, homerooms, classes and teachers.

export type PlanSchool = { s: number; code: string; name: string; level: Level };
/** A class group; `teacher` is its homeroom teacher (0: none). */
export type PlanHomeroom = { h: number; s: number; grade: number; name: string; first: number; size: number; teacher: number };
export type PlanClass = { c: number; h: number; subject: string; teacher: number; scale: "ten_point" | "primary_levels" };
export type Plan = {
  students: number;
  schools: PlanSchool[];
  homerooms: PlanHomeroom[];
  classes: PlanClass[];
  /** Teacher number → school number. */
  teachers: number[];
};

function schoolName(s: number, level: Level): string {
  // Names repeat only after the whole pool is used; repeats carry the commune they are in.
  const pool = [...SCHOOL_NAMES, ...PLACES];
  const base = pool[s % pool.length];
  const round = Math.floor(s / pool.length);
  const suffix = round === 0 ? "" : ` – xã ${PLACES[(s + round) % PLACES.length]}`;
  return `Trường ${LEVEL_NAME[level]} ${base}${suffix}`;
}

/** Split n into k near-equal parts. */
function split(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

export function planProvince(students: number): Plan {
  if (!Number.isInteger(students) || students < 1 || students > MAX_STUDENTS) {
    throw new RangeError(`students must be a whole number from 1 to ${MAX_STUDENTS}`);
  }
  const plan: Plan = { students, schools: [], homerooms: [], classes: [], teachers: [] };
  let nextStudent = 1;
  for (let s = 1; nextStudent <= students; s++) {
    const level = LEVEL_CYCLE[(s - 1) % LEVEL_CYCLE.length];
    plan.schools.push({ s, code: String(30000 + s), name: schoolName(s - 1, level), level });
    const size = Math.min(STUDENTS_PER_SCHOOL[level], students - nextStudent + 1);
    const grades = GRADES[level];
    const bySubject = new Map<string, number[]>(); // subject → class numbers, for teacher assignment
    const firstHomeroom = plan.homerooms.length;
    split(size, grades.length).forEach((gradeSize, gi) => {
      if (gradeSize === 0) return;
      const grade = grades[gi];
      split(gradeSize, Math.ceil(gradeSize / CLASS_SIZE[level])).forEach((homeroomSize, k) => {
        const h = plan.homerooms.length + 1;
        plan.homerooms.push({ h, s, grade, name: `${grade}A${k + 1}`, first: nextStudent, size: homeroomSize, teacher: 0 });
        nextStudent += homeroomSize;
        for (const subject of homeroomSubjects(grade, k)) {
          const c = plan.classes.length + 1;
          plan.classes.push({ c, h, subject, teacher: 0, scale: level === "tieu_hoc" ? "primary_levels" : "ten_point" });
          bySubject.set(subject, [...(bySubject.get(subject) ?? []), c]);
        }
      });
    });
    // Primary: the homeroom teacher teaches every subject but English; English teachers and
    // secondary subject teachers each take three classes of their subject.
    const newTeacher = () => plan.teachers.push(s);
    if (level === "tieu_hoc") {
      const homeroomTeacher = new Map<number, number>();
      for (const [subject, list] of bySubject) {
        if (subject === "tieng-anh") continue;
        for (const c of list) {
          const cls = plan.classes[c - 1];
          if (!homeroomTeacher.has(cls.h)) homeroomTeacher.set(cls.h, newTeacher());
          cls.teacher = homeroomTeacher.get(cls.h)!;
        }
      }
    }
    for (const [subject, list] of bySubject) {
      if (level === "tieu_hoc" && subject !== "tieng-anh") continue;
      list.forEach((c, i) => {
        if (i % 3 === 0) newTeacher();
        plan.classes[c - 1].teacher = plan.teachers.length;
      });
    }
    // Homeroom teachers: in primary schools the group's own teacher; in secondary schools one of
    // the group's subject teachers (taking turns over the subjects), each for one group at most.
    const homeroomOf = new Set<number>();
    for (const group of plan.homerooms.slice(firstHomeroom)) {
      const taught = plan.classes.filter((c) => c.h === group.h);
      for (let i = 0; i < taught.length; i++) {
        const teacher = taught[(group.h + i) % taught.length].teacher;
        if (level === "tieu_hoc" && taught[(group.h + i) % taught.length].subject === "tieng-anh") continue;
        if (homeroomOf.has(teacher)) continue;
        homeroomOf.add(teacher);
        group.teacher = teacher;
        break;
      }
    }
  }
  return plan;
}

// ---------------------------------------------------------------------------------------------
// SQL helpers

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const textArray = (list: string[]) => `ARRAY[${list.map((s) => lit(s.normalize("NFC"))).join(",")}]::text[]`;
const lower = (list: string[]) => list.map((s) => s.normalize("NFC").toLocaleLowerCase("vi"));
const weighted = (list: [string, number][]) => list.flatMap(([name, w]) => Array<string>(w).fill(name));

/** A 31-bit pseudo-random number from a row number; each stream (0–15) gives an independent draw. */
const hash = (expr: string, stream: number) => `(hashint8((${expr})::bigint * 16 + ${stream}) & 2147483647)`;

/**
 * Name expressions for a person from a 31-bit hash: gender from the lowest bit, then family,
 * middle and given name. `family` overrides the family name index (a father shares it with his
 * child). sort_key follows nameSortKey(): "given full name", lower-cased.
 */
function nameSql(h: string, gender: string, family?: string) {
  const fam = weighted(FAMILY);
  const famIdx = family ?? `(${h} / 2) % ${fam.length}`;
  const pick = (list: string[], idx: string) => `(${textArray(list)})[1 + ${idx}]`;
  const parts = (lc: boolean) => {
    const f = (l: string[]) => (lc ? lower(l) : l);
    const familyName = pick(f(fam), famIdx);
    const middle = `case when ${gender} = 0 then ${pick(f(MIDDLE_MALE), `(${h} / 256) % ${MIDDLE_MALE.length}`)} else ${pick(f(MIDDLE_FEMALE), `(${h} / 256) % ${MIDDLE_FEMALE.length}`)} end`;
    const given = `case when ${gender} = 0 then ${pick(f(GIVEN_MALE), `(${h} / 8192) % ${GIVEN_MALE.length}`)} else ${pick(f(GIVEN_FEMALE), `(${h} / 8192) % ${GIVEN_FEMALE.length}`)} end`;
    return { familyName, middle, given };
  };
  const d = parts(false);
  const l = parts(true);
  return {
    fullName: `${d.familyName} || ' ' || ${d.middle} || ' ' || ${d.given}`,
    sortKey: `${l.given} || ' ' || ${l.familyName} || ' ' || ${l.middle} || ' ' || ${l.given}`,
    familyCount: fam.length,
  };
}

/** The tables this generator fills; their foreign keys and indexes are rebuilt around the load. */
const BULK_TABLES = ["users", "memberships", "parent_links", "class_groups", "class_group_members", "classes", "class_members", "lessons", "assignments", "submissions"];

type Exec = (text: string) => Promise<Record<string, unknown>[]>;

function executor(tx: DbOrTx): Exec {
  return async (text) => {
    const result = (await tx.execute(sql.raw(text))) as unknown;
    return Array.isArray(result) ? (result as Record<string, unknown>[]) : ((result as { rows: Record<string, unknown>[] }).rows ?? []);
  };
}

/** Insert rows as multi-row VALUES in batches. */
async function insertValues(exec: Exec, table: string, columns: string[], rows: (string | number)[][]) {
  const batch = 2000;
  for (let i = 0; i < rows.length; i += batch) {
    const values = rows
      .slice(i, i + batch)
      .map((r) => `(${r.map((v) => (typeof v === "number" ? String(v) : lit(v))).join(",")})`)
      .join(",");
    await exec(`insert into ${table} (${columns.join(",")}) values ${values}`);
  }
}

// ---------------------------------------------------------------------------------------------

export type GenerateOptions = {
  students: number;
  now?: Date;
  /** Progress lines for an operator. */
  log?: (line: string) => void;
};

export type GenerateReport = {
  students: number;
  elapsedMs: number;
  steps: { step: string; ms: number }[];
  counts: Record<string, number>;
};

export async function generatedProvinceExists(database: Database): Promise<boolean> {
  const rows = await database.query("select 1 from organizations where code = $1", [GENERATED_PROVINCE_CODE]);
  return rows.length > 0;
}

export async function generateProvince(database: Database, opts: GenerateOptions): Promise<GenerateReport> {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const plan = planProvince(opts.students);
  if (await generatedProvinceExists(database)) {
    throw new GeneratedDataExistsError(
      `Generated data already exists in this database (province ${GENERATED_PROVINCE_CODE}). ` +
        `Generation runs once per database: use a fresh database (or DATA_DIR) to generate again.`,
    );
  }
  const steps: GenerateReport["steps"] = [];
  let last = Date.now();
  const step = (name: string) => {
    const now = Date.now();
    steps.push({ step: name, ms: now - last });
    log(`  ${name.padEnd(34)} ${((now - last) / 1000).toFixed(1).padStart(6)} s`);
    last = now;
  };

  // One hash for everyone: hashing a million passwords would take hours.
  const passwordHash = await hashPassword(GENERATED_PASSWORD);
  const now = opts.now ?? new Date();
  const nowSql = `${lit(now.toISOString())}::timestamptz`;
  const year = currentSchoolYear(now);
  const N = plan.students;

  // Ids: a v4-formatted uuid per (kind, number), random prefix per run, scrambled 48-bit tail.
  const prefix = crypto.randomBytes(8).toString("hex");
  const kinds = { province: 1, school: 2, student: 3, teacher: 4, parentA: 5, parentB: 6, class: 7, assignment: 8, group: 9 } as const;
  const uid = (kind: keyof typeof kinds, n: string) =>
    `(${lit(`${prefix.slice(0, 8)}-${prefix.slice(8, 12)}-4${prefix.slice(12, 15)}-8${String(kinds[kind]).padStart(3, "0")}-`)} || lpad(to_hex(((${n})::bigint * 2654435761) & 281474976710655), 12, '0'))::uuid`;

  log(`Generating ${N.toLocaleString("en")} students: ${plan.schools.length} schools, ${plan.homerooms.length} homerooms, ${plan.classes.length} classes, ${plan.teachers.length} teachers`);

  try {
    await load();
  } catch (e) {
    const code = (e as { code?: string; cause?: { code?: string } }).cause?.code ?? (e as { code?: string }).code;
    if (code === "55P03") {
      throw new Error("The tables are in use by another session (is the hub running on this database?): stop it, then run generate again.");
    }
    throw e;
  }

  /** The whole load, in one transaction: keys and indexes off, rows in, keys and indexes back. */
  async function load() {
    await database.db.transaction(async (tx) => {
      const exec = executor(tx);
      if (database.kind === "postgres") {
        // Tables in use by a long transaction elsewhere: give up instead of queueing everyone.
        await exec("set local lock_timeout = '15s'");
        await exec("set local maintenance_work_mem = '1GB'");
        await exec("set local work_mem = '256MB'");
        await exec("set local synchronous_commit = off");
      } else {
        await exec("set local maintenance_work_mem = '256MB'");
      }

      // Drop foreign keys touching the bulk tables, then their keys and indexes; remember how to
      // re-create them.
      const tables = BULK_TABLES.map(lit).join(",");
      const fks = (await exec(`
        select conrelid::regclass::text as tbl, conname as name, pg_get_constraintdef(oid) as def
        from pg_constraint
        where contype = 'f' and connamespace = 'public'::regnamespace
          and (conrelid::regclass::text in (${tables}) or confrelid::regclass::text in (${tables}))
        order by 1, 2`)) as { tbl: string; name: string; def: string }[];
      const keys = (await exec(`
        select conrelid::regclass::text as tbl, conname as name, pg_get_constraintdef(oid) as def
        from pg_constraint
        where contype in ('p', 'u') and connamespace = 'public'::regnamespace and conrelid::regclass::text in (${tables})
        order by 1, 2`)) as { tbl: string; name: string; def: string }[];
      const indexes = (await exec(`
        select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
        from pg_index i
        where i.indrelid::regclass::text in (${tables})
          and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)
        order by 1`)) as { name: string; def: string }[];
      const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
      for (const fk of fks) await exec(`alter table ${fk.tbl} drop constraint ${q(fk.name)}`);
      for (const k of keys) await exec(`alter table ${k.tbl} drop constraint ${q(k.name)}`);
      for (const ix of indexes) await exec(`drop index ${ix.name}`);
      step("dropped keys and indexes");

      // The plan as temporary tables.
      await exec("create temporary table gen_school (s int primary key, code text, name text, level text) on commit drop");
      await exec("create temporary table gen_homeroom (h int primary key, s int, grade int, name text, first int, size int, teacher int) on commit drop");
      await exec("create temporary table gen_class (c int primary key, h int, subject text, teacher int, scale text) on commit drop");
      await exec("create temporary table gen_teacher (t int primary key, s int) on commit drop");
      await exec(`create temporary table gen_subject (
        subject text primary key, lesson_title text[], lesson_md text[], lesson_html text[], work_title text[], work_md text[], work_html text[]) on commit drop`);
      await insertValues(exec, "gen_school", ["s", "code", "name", "level"], plan.schools.map((x) => [x.s, x.code, x.name, x.level]));
      await insertValues(exec, "gen_homeroom", ["h", "s", "grade", "name", "first", "size", "teacher"], plan.homerooms.map((x) => [x.h, x.s, x.grade, x.name, x.first, x.size, x.teacher]));
      await insertValues(exec, "gen_class", ["c", "h", "subject", "teacher", "scale"], plan.classes.map((x) => [x.c, x.h, x.subject, x.teacher, x.scale]));
      await insertValues(exec, "gen_teacher", ["t", "s"], plan.teachers.map((s, i) => [i + 1, s]));
      for (const [subject, content] of Object.entries(CONTENT)) {
        const name = subjectName(subject);
        const lessonMd = content.lessons.map((t) => lessonMarkdown(name, t));
        const workMd = content.assignments.map((t) => assignmentMarkdown(name, t));
        await exec(
          `insert into gen_subject values (${lit(subject)}, ${textArray(content.lessons.map((t, i) => `Bài ${i + 1}. ${t}`))}, ` +
            `${textArray(lessonMd)}, ${textArray(lessonMd.map((md) => renderMarkdown(md)))}, ${textArray(content.assignments)}, ` +
            `${textArray(workMd)}, ${textArray(workMd.map((md) => renderMarkdown(md)))})`,
        );
      }
      for (const t of ["gen_school", "gen_homeroom", "gen_class", "gen_teacher", "gen_subject"]) await exec(`analyze ${t}`);
      step("plan");

      await exec(`insert into organizations (id, parent_id, kind, name, code, level, created_at)
        values (${uid("province", "0")}, null, 'province', ${lit("Sở Giáo dục và Đào tạo tỉnh Sông Lam (dữ liệu tạo tự động)")}, ${lit(GENERATED_PROVINCE_CODE)}, null, ${nowSql})`);
      await exec(`insert into organizations (id, parent_id, kind, name, code, level, created_at)
        select ${uid("school", "s")}, ${uid("province", "0")}, 'school', name, code, level, ${nowSql} from gen_school order by s`);
      step("organizations");

      // Students: hs<n>@…, no phone.
      const student = nameSql("x.h", "(x.h & 1)");
      await exec(`insert into users (id, full_name, sort_key, email, phone, password_hash, created_at)
        select ${uid("student", "x.n")}, ${student.fullName}, ${student.sortKey}, 'hs' || x.n || '@${GENERATED_EMAIL_DOMAIN}', null, ${lit(passwordHash)}, ${nowSql}
        from (select n, ${hash("n", 1)} as h from generate_series(1, ${N}) n) x`);
      step("users: students");

      const teacher = nameSql("x.h", "(case when x.h % 10 < 7 then 1 else 0 end)");
      await exec(`insert into users (id, full_name, sort_key, email, phone, password_hash, created_at)
        select ${uid("teacher", "x.t")}, ${teacher.fullName}, ${teacher.sortKey}, 'gv' || x.t || '@${GENERATED_EMAIL_DOMAIN}', null, ${lit(passwordHash)}, ${nowSql}
        from (select t, ${hash("t", 2)} as h from gen_teacher) x`);
      step("users: teachers");

      // Parents of student n: "a" always, "b" for about half. One of them is the father, who shares
      // the child's family name; mothers keep their own. Phones +8496… ("a") and +8497… ("b").
      const childFamily = `((${hash("x.n", 1)} / 2) % ${student.familyCount})`;
      const parentA = nameSql("x.h", "x.g", `(case when x.g = 0 then ${childFamily} else (x.h / 2) % ${student.familyCount} end)`);
      await exec(`insert into users (id, full_name, sort_key, email, phone, password_hash, created_at)
        select ${uid("parentA", "x.n")}, ${parentA.fullName}, ${parentA.sortKey}, 'ph' || x.n || 'a@${GENERATED_EMAIL_DOMAIN}',
               '+8496' || lpad(x.n::text, 7, '0'), ${lit(passwordHash)}, ${nowSql}
        from (select n, h, case when h % 5 < 2 then 0 else 1 end as g from (select n, ${hash("n", 3)} as h from generate_series(1, ${N}) n) y) x`);
      step("users: parents (first)");
      const parentB = nameSql("x.h", "x.g", `(case when x.g = 0 then ${childFamily} else (x.h / 2) % ${student.familyCount} end)`);
      await exec(`insert into users (id, full_name, sort_key, email, phone, password_hash, created_at)
        select ${uid("parentB", "x.n")}, ${parentB.fullName}, ${parentB.sortKey}, 'ph' || x.n || 'b@${GENERATED_EMAIL_DOMAIN}',
               '+8497' || lpad(x.n::text, 7, '0'), ${lit(passwordHash)}, ${nowSql}
        from (select n, h, case when ${hash("n", 3)} % 5 < 2 then 1 else 0 end as g
              from (select n, ${hash("n", 4)} as h from generate_series(1, ${N}) n) y
              where ${hash("n", 5)} % 2 = 0) x`);
      step("users: parents (second)");

      await exec(`insert into memberships (user_id, org_id, role, created_at)
        select ${uid("student", "n")}, ${uid("school", "h.s")}, 'student', ${nowSql}
        from gen_homeroom h, generate_series(h.first, h.first + h.size - 1) n`);
      await exec(`insert into memberships (user_id, org_id, role, created_at)
        select ${uid("teacher", "t")}, ${uid("school", "s")}, 'teacher', ${nowSql} from gen_teacher`);
      await exec(`insert into memberships (user_id, org_id, role, created_at)
        select ${uid("parentA", "n")}, ${uid("school", "h.s")}, 'parent', ${nowSql}
        from gen_homeroom h, generate_series(h.first, h.first + h.size - 1) n`);
      await exec(`insert into memberships (user_id, org_id, role, created_at)
        select ${uid("parentB", "n")}, ${uid("school", "h.s")}, 'parent', ${nowSql}
        from gen_homeroom h, generate_series(h.first, h.first + h.size - 1) n where ${hash("n", 5)} % 2 = 0`);
      step("memberships");

      await exec(`insert into parent_links (parent_id, student_id, created_at)
        select ${uid("parentA", "n")}, ${uid("student", "n")}, ${nowSql} from generate_series(1, ${N}) n`);
      await exec(`insert into parent_links (parent_id, student_id, created_at)
        select ${uid("parentB", "n")}, ${uid("student", "n")}, ${nowSql} from generate_series(1, ${N}) n where ${hash("n", 5)} % 2 = 0`);
      step("parent links");

      // Join codes: "G" (a subject class) or "H" (a class group) + six characters of the join-code
      // alphabet, a bijection of the number.
      const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
      const joinCode = (first: string, n: string) =>
        `'${first}' || ${[0, 1, 2, 3, 4, 5].map((k) => `substr('${alphabet}', ((((${n}::bigint * 387420489) & 1073741823) >> ${5 * k}) & 31)::int + 1, 1)`).join(" || ")}`;
      await exec(`insert into class_groups (id, school_id, name, grade, school_year, homeroom_teacher_id, join_code, created_at)
        select ${uid("group", "h.h")}, ${uid("school", "h.s")}, h.name, h.grade, ${lit(year)},
               case when h.teacher > 0 then ${uid("teacher", "h.teacher")} end, ${joinCode("H", "h.h")}, ${nowSql} - interval '30 days'
        from gen_homeroom h order by h.h`);
      await exec(`insert into class_group_members (group_id, student_id, joined_at)
        select ${uid("group", "h.h")}, ${uid("student", "n")}, ${nowSql} - interval '29 days'
        from gen_homeroom h, generate_series(h.first, h.first + h.size - 1) n`);
      step("class groups");
      await exec(`insert into classes (id, school_id, group_id, name, grade, subject, school_year, join_code, created_at)
        select ${uid("class", "c.c")}, ${uid("school", "h.s")}, ${uid("group", "h.h")}, h.name, h.grade, c.subject, ${lit(year)}, ${joinCode("G", "c.c")}, ${nowSql} - interval '30 days'
        from gen_class c join gen_homeroom h on h.h = c.h order by c.c`);
      step("classes");

      await exec(`insert into class_members (class_id, user_id, role, joined_at)
        select ${uid("class", "c")}, ${uid("teacher", "teacher")}, 'teacher', ${nowSql} - interval '30 days' from gen_class`);
      await exec(`insert into class_members (class_id, user_id, role, joined_at)
        select ${uid("class", "c.c")}, ${uid("student", "n")}, 'student', ${nowSql} - interval '29 days'
        from gen_class c join gen_homeroom h on h.h = c.h, generate_series(h.first, h.first + h.size - 1) n`);
      step("class members");

      // Lessons: published about 16, 7 and 1 days ago.
      await exec(`insert into lessons (class_id, author_id, title, body_md, body_html, status, published_at, created_at, updated_at)
        select ${uid("class", "c.c")}, ${uid("teacher", "c.teacher")}, s.lesson_title[k], s.lesson_md[k], s.lesson_html[k], 'published', p, p, p
        from gen_class c join gen_subject s on s.subject = c.subject, generate_series(1, ${LESSONS_PER_CLASS}) k,
             lateral (select ${nowSql} - ((${LESSONS_PER_CLASS} - k) * 7 + 1 + c.c % 3) * interval '1 day' - (c.c % 11) * interval '1 hour' as p) t`);
      step("lessons");

      // Assignments: due 8–11 days ago, 1–3 days ago, and in 2–5 days; the mid-term test 24–27 days
      // ago. Each in the term of its due date (học kỳ I from August to 15 January).
      const due = (c: string, k: string) =>
        `(date_trunc('hour', ${nowSql}) + (case ${k} when 1 then -(8 + ${c} % 4) when 2 then -(1 + ${c} % 3) when ${MIDTERM} then -(24 + ${c} % 4) else 2 + ${c} % 4 end) * interval '1 day' + (${c} % 5) * interval '1 hour')`;
      const term = (at: string) =>
        `(case when extract(month from ${at} at time zone 'Asia/Ho_Chi_Minh') >= 8 then 1
               when extract(month from ${at} at time zone 'Asia/Ho_Chi_Minh') = 1 and extract(day from ${at} at time zone 'Asia/Ho_Chi_Minh') <= 15 then 1
               else 2 end)`;
      await exec(`insert into assignments (id, class_id, author_id, title, instructions_md, instructions_html, due_at, scale, assessment, term, created_at)
        select ${uid("assignment", `c.c * ${ASSIGNMENTS_PER_CLASS} + k`)}, ${uid("class", "c.c")}, ${uid("teacher", "c.teacher")},
               case when k = ${MIDTERM} then ${lit("Kiểm tra giữa kỳ I")} else s.work_title[k] end,
               case when k = ${MIDTERM} then ${lit(MIDTERM_MD)} else s.work_md[k] end,
               case when k = ${MIDTERM} then ${lit(renderMarkdown(MIDTERM_MD))} else s.work_html[k] end,
               d.due, c.scale, case when k = ${MIDTERM} then 'midterm' else 'regular' end, ${term("d.due")}, d.due - interval '7 days'
        from gen_class c join gen_subject s on s.subject = c.subject, generate_series(1, ${ASSIGNMENTS_PER_CLASS}) k,
             lateral (select ${due("c.c", "k")} as due) d
        where k <> ${MIDTERM} or c.scale = 'ten_point'`);
      step("assignments");

      // Submissions. Past-due work: 70 % graded, 17 % handed in and awaiting grading, the rest
      // marked missing (as the sweep job does). Upcoming work: 20 % already handed in. One in ten
      // hand-ins is late. The mid-term test was written on paper: 97 % graded with nothing handed
      // in online, the rest absent (no row).
      const comments = textArray(COMMENTS);
      const bodies = textArray(BODIES);
      await exec(`insert into submissions (assignment_id, student_id, status, body, submitted_at, late, score, level, comment, graded_at, graded_by, missing_at)
        select ${uid("assignment", `x.c * ${ASSIGNMENTS_PER_CLASS} + x.k`)}, ${uid("student", "x.n")},
          x.status,
          case when x.status = 'missing' or x.k = ${MIDTERM} then '' else (${bodies})[1 + x.r % ${BODIES.length}] end,
          case when x.status = 'missing' or x.k = ${MIDTERM} then null
               when x.late then x.due + (1 + x.r % 12) * interval '1 hour'
               else least(x.due - (1 + x.r % 40) * interval '1 hour', ${nowSql} - (1 + x.r % 20) * interval '1 hour') end,
          x.late,
          case when x.status = 'graded' and x.scale = 'ten_point' then round((4 + (x.r2 % 61) / 10.0)::numeric, 1) end,
          case when x.status = 'graded' and x.scale = 'primary_levels' then (ARRAY['HTT','HT','HT','HTT','CHT','HT','HTT','HT','HT','HTT'])[1 + x.r2 % 10] end,
          case when x.status = 'graded' and x.r2 % 3 = 0 then (${comments})[1 + x.r2 % ${COMMENTS.length}] end,
          case when x.status = 'graded' then least(x.due + interval '1 day' + (x.r % 12) * interval '1 hour', ${nowSql} - interval '30 minutes') end,
          case when x.status = 'graded' then ${uid("teacher", "x.teacher")} end,
          case when x.status = 'missing' then x.due + interval '5 minutes' end
        from (
          select c.c, k, n, c.teacher, c.scale, d.due, r.r, r.r2,
            case when k = ${UPCOMING} then 'submitted' when k = ${MIDTERM} then 'graded'
                 when r.r < 700 then 'graded' when r.r < 870 then 'submitted' else 'missing' end as status,
            (r.r % 10 = 9 and (k < ${UPCOMING} and r.r < 870)) as late
          from gen_class c join gen_homeroom h on h.h = c.h,
               generate_series(1, ${ASSIGNMENTS_PER_CLASS}) k,
               generate_series(h.first, h.first + h.size - 1) n,
               lateral (select ${hash(`n::bigint * 65536 + c.c * 4 + k`, 6)} % 1000 as r, ${hash(`n::bigint * 65536 + c.c * 4 + k`, 7)} as r2) r,
               lateral (select ${due("c.c", "k")} as due) d
          where k < ${UPCOMING} or (k = ${UPCOMING} and r.r < 200) or (k = ${MIDTERM} and c.scale = 'ten_point' and r.r < 970)
        ) x`);
      step("submissions");

      for (const k of keys) await exec(`alter table ${k.tbl} add constraint ${q(k.name)} ${k.def}`);
      step("primary keys and unique keys");
      for (const ix of indexes) await exec(ix.def);
      step("indexes");
      for (const fk of fks) await exec(`alter table ${fk.tbl} add constraint ${q(fk.name)} ${fk.def}`);
      step("foreign keys (validated)");
    });
  }

  const counts: Record<string, number> = {};
  for (const t of ["organizations", ...BULK_TABLES]) {
    const [row] = await database.query<{ n: number }>(`select count(*)::int as n from ${t}`);
    counts[t] = Number(row.n);
  }
  step("count rows");
  // Statistics for the planner, and the visibility map for index-only scans.
  for (const t of ["organizations", ...BULK_TABLES]) await database.query(`vacuum (analyze) ${t}`);
  step("vacuum and analyze");
  return { students: N, elapsedMs: Date.now() - started, steps, counts };
}

function lessonMarkdown(subject: string, title: string) {
  return [
    "## Mục tiêu",
    `- Nắm được nội dung chính của bài “${title}”.`,
    `- Vận dụng kiến thức môn ${subject} vào bài tập và đời sống.`,
    "",
    "## Nội dung",
    "Đọc kĩ phần kiến thức trong sách giáo khoa, ghi lại các ý chính vào vở.",
    "",
    "> Các em chuẩn bị câu hỏi để trao đổi trong giờ học trực tuyến.",
    "",
    "## Luyện tập",
    "1. Trả lời các câu hỏi cuối bài.",
    "2. Làm bài tập trong vở bài tập.",
  ].join("\n");
}

const MIDTERM_MD = "Bài kiểm tra giữa kỳ I làm trên giấy tại lớp (45 phút). Điểm được ghi vào sổ điểm.";

function assignmentMarkdown(subject: string, title: string) {
  return `**${title}** (môn ${subject}).\n\nLàm bài vào vở, chụp ảnh rõ nét và nộp tại đây trước hạn. Bài nộp muộn vẫn được nhận nhưng sẽ được ghi chú.`;
}
