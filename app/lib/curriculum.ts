/** Levels and subjects of the 2018 general-education programme (Chương trình GDPT 2018). */

export type Level = "tieu_hoc" | "thcs" | "thpt";

export function levelOfGrade(grade: number): Level {
  if (grade <= 5) return "tieu_hoc";
  if (grade <= 9) return "thcs";
  return "thpt";
}

export type Subject = { code: string; vi: string; en: string; grades: [number, number]; commentOnly?: boolean };

export const SUBJECTS: Subject[] = [
  // Tiểu học
  { code: "tieng-viet", vi: "Tiếng Việt", en: "Vietnamese", grades: [1, 5] },
  { code: "toan", vi: "Toán", en: "Mathematics", grades: [1, 12] },
  { code: "dao-duc", vi: "Đạo đức", en: "Ethics", grades: [1, 5] },
  { code: "tieng-anh", vi: "Ngoại ngữ 1 (Tiếng Anh)", en: "Foreign language 1 (English)", grades: [1, 12] },
  { code: "tu-nhien-xa-hoi", vi: "Tự nhiên và Xã hội", en: "Nature and Society", grades: [1, 3] },
  { code: "khoa-hoc", vi: "Khoa học", en: "Science", grades: [4, 5] },
  { code: "lich-su-dia-li", vi: "Lịch sử và Địa lí", en: "History and Geography", grades: [4, 9] },
  { code: "tin-hoc-cong-nghe", vi: "Tin học và Công nghệ", en: "Informatics and Technology", grades: [3, 5] },
  { code: "gdtc", vi: "Giáo dục thể chất", en: "Physical education", grades: [1, 12], commentOnly: true },
  { code: "am-nhac", vi: "Âm nhạc", en: "Music", grades: [1, 12], commentOnly: true },
  { code: "mi-thuat", vi: "Mĩ thuật", en: "Fine arts", grades: [1, 12], commentOnly: true },
  { code: "hdtn", vi: "Hoạt động trải nghiệm, hướng nghiệp", en: "Experiential activities and career guidance", grades: [1, 12], commentOnly: true },
  // THCS
  { code: "ngu-van", vi: "Ngữ văn", en: "Literature", grades: [6, 12] },
  { code: "gdcd", vi: "Giáo dục công dân", en: "Civic education", grades: [6, 9] },
  { code: "khtn", vi: "Khoa học tự nhiên", en: "Natural sciences", grades: [6, 9] },
  { code: "cong-nghe", vi: "Công nghệ", en: "Technology", grades: [6, 12] },
  { code: "tin-hoc", vi: "Tin học", en: "Informatics", grades: [6, 12] },
  { code: "gddp", vi: "Nội dung giáo dục địa phương", en: "Local education content", grades: [1, 12], commentOnly: true },
  // THPT
  { code: "lich-su", vi: "Lịch sử", en: "History", grades: [10, 12] },
  { code: "dia-li", vi: "Địa lí", en: "Geography", grades: [10, 12] },
  { code: "gdqp", vi: "Giáo dục quốc phòng và an ninh", en: "Defence and security education", grades: [10, 12] },
  { code: "gdktpl", vi: "Giáo dục kinh tế và pháp luật", en: "Economics and law", grades: [10, 12] },
  { code: "vat-li", vi: "Vật lí", en: "Physics", grades: [10, 12] },
  { code: "hoa-hoc", vi: "Hóa học", en: "Chemistry", grades: [10, 12] },
  { code: "sinh-hoc", vi: "Sinh học", en: "Biology", grades: [10, 12] },
];

export function subjectsForGrade(grade: number): Subject[] {
  return SUBJECTS.filter((s) => grade >= s.grades[0] && grade <= s.grades[1]);
}

export function subjectName(code: string, locale: "vi" | "en" = "vi"): string {
  const s = SUBJECTS.find((x) => x.code === code);
  return s ? s[locale] : code;
}

export function isSubjectForGrade(code: string, grade: number): boolean {
  return subjectsForGrade(grade).some((s) => s.code === code);
}

/** "2025-2026" for a date between September and August. */
export function currentSchoolYear(now = new Date()): string {
  const vietnam = new Date(now.getTime() + 7 * 3600_000); // the calendar in Asia/Ho_Chi_Minh (UTC+7, no DST)
  const y = vietnam.getUTCFullYear();
  const start = vietnam.getUTCMonth() >= 7 ? y : y - 1; // from August on, the new year is being set up
  return `${start}-${start + 1}`;
}

export function formatSchoolYear(year: string): string {
  return year.replace("-", "–");
}

/**
 * The term (học kỳ) a date falls in: học kỳ I from August to 15 January, học kỳ II after. Schools
 * set their own dates each year; this is the default a teacher can change on each assignment.
 */
export function termOf(date: Date): 1 | 2 {
  const vietnam = new Date(date.getTime() + 7 * 3600_000);
  const month = vietnam.getUTCMonth() + 1;
  if (month >= 8) return 1;
  if (month === 1 && vietnam.getUTCDate() <= 15) return 1;
  return 2;
}
