/**
 * Demo province: two schools (a lower-secondary and a primary), their admins, teachers, students,
 * parents, classes, lessons and assignments — real Vietnamese school content. Runs once: it does
 * nothing when the province already exists.
 */
import { eq } from "drizzle-orm";
import type { Db } from "./client.server.ts";
import {
  assignments,
  classes,
  classGroupMembers,
  classGroups,
  classMembers,
  contactChannels,
  lessons,
  liveSessionClasses,
  liveSessionExceptions,
  liveSessions,
  linkCodes,
  memberships,
  notificationPreferences,
  notificationSettings,
  organizations,
  parentLinks,
  submissions,
  threadMessages,
  threadParticipants,
  threads,
  users,
} from "./schema/index.ts";
import { DEMO_PASSWORD } from "./demo.ts";
import { hashPassword } from "../app/auth/password.server.ts";
import { renderMarkdown } from "../app/services/markdown.server.ts";
import { nameSortKey } from "../app/lib/vn.ts";
import { currentSchoolYear, termOf } from "../app/lib/curriculum.ts";

export const DEMO_PROVINCE_CODE = "DEMO-SO";
/** A parent link code for Lê Hoàng Cường, printed in the README for trying the parent flow. */
export const DEMO_LINK_CODE = "PH-CUONG6A1";
/** The demo class groups' join codes (one code joins the group and all its subject classes). */
export const DEMO_GROUP_CODES = { "6A1": "LOP6A1N", "7A2": "LOP7A2N", "3A1": "LOP3A1K" } as const;

const DAY = 24 * 3600 * 1000;

export async function seedDemo(db: Db, now = new Date()) {
  const [existing] = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.code, DEMO_PROVINCE_CODE));
  if (existing) return null;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const year = currentSchoolYear(now);

  return db.transaction(async (tx) => {
    const [province] = await tx
      .insert(organizations)
      .values({ kind: "province", name: "Sở Giáo dục và Đào tạo tỉnh Sông Hồng (dữ liệu mẫu)", code: DEMO_PROVINCE_CODE })
      .returning();
    const [thcs, th] = await tx
      .insert(organizations)
      .values([
        { kind: "school", parentId: province.id, name: "Trường THCS Nguyễn Du", code: "79001", level: "thcs" },
        { kind: "school", parentId: province.id, name: "Trường Tiểu học Kim Đồng", code: "79002", level: "tieu_hoc" },
      ])
      .returning();

    type P = { key: string; name: string; email?: string; phone?: string };
    const people: P[] = [
      { key: "so", name: "Đỗ Quang Huy", email: "so@lopso.demo" },
      { key: "ht", name: "Vũ Thị Hạnh", email: "hieutruong@nguyendu.lopso.demo" },
      { key: "lan", name: "Nguyễn Thị Lan", email: "lan.nt@nguyendu.lopso.demo" },
      { key: "minh", name: "Trần Văn Minh", email: "minh.tv@nguyendu.lopso.demo" },
      { key: "hoa", name: "Lê Thị Hoa", email: "hoa.lt@kimdong.lopso.demo" },
      { key: "an", name: "Nguyễn Văn An", email: "an.nv@nguyendu.lopso.demo" },
      { key: "binh", name: "Trần Thị Bình", email: "binh.tt@nguyendu.lopso.demo" },
      { key: "cuong", name: "Lê Hoàng Cường", email: "cuong.lh@nguyendu.lopso.demo" },
      { key: "dung", name: "Phạm Minh Dũng", email: "dung.pm@nguyendu.lopso.demo" },
      { key: "giang", name: "Hoàng Thu Giang", email: "giang.ht@nguyendu.lopso.demo" },
      { key: "khoa", name: "Bùi Đăng Khoa", email: "khoa.bd@nguyendu.lopso.demo" },
      { key: "mai", name: "Đặng Ngọc Mai", email: "mai.dn@kimdong.lopso.demo" },
      { key: "nam", name: "Võ Hải Nam", email: "nam.vh@kimdong.lopso.demo" },
      { key: "hung", name: "Nguyễn Văn Hùng", phone: "+84912345678" },
      { key: "thu", name: "Phạm Thị Thu", phone: "+84987654321" },
      { key: "linh", name: "Trần Mỹ Linh", phone: "+84356789012", email: "linh.tm@gmail.demo" },
    ];
    const rows = await tx
      .insert(users)
      .values(people.map((p) => ({ fullName: p.name, sortKey: nameSortKey(p.name), email: p.email ?? null, phone: p.phone ?? null, passwordHash })))
      .returning({ id: users.id });
    const u = Object.fromEntries(people.map((p, i) => [p.key, rows[i].id])) as Record<string, string>;

    await tx.insert(memberships).values([
      { userId: u.so, orgId: province.id, role: "province_admin" },
      { userId: u.ht, orgId: thcs.id, role: "school_admin" },
      { userId: u.lan, orgId: thcs.id, role: "teacher" },
      { userId: u.minh, orgId: thcs.id, role: "teacher" },
      { userId: u.hoa, orgId: th.id, role: "teacher" },
      ...["an", "binh", "cuong", "dung", "giang", "khoa"].map((k) => ({ userId: u[k], orgId: thcs.id, role: "student" as const })),
      ...["mai", "nam"].map((k) => ({ userId: u[k], orgId: th.id, role: "student" as const })),
      { userId: u.hung, orgId: thcs.id, role: "parent" },
      { userId: u.thu, orgId: thcs.id, role: "parent" },
      { userId: u.linh, orgId: thcs.id, role: "parent" },
      { userId: u.linh, orgId: th.id, role: "parent" },
    ]);

    // Class groups (lớp chủ nhiệm) with their homeroom teachers: Lan of 6A1 (she also teaches its
    // Toán), Minh of 7A2 (he teaches none of its subjects), Hoa of 3A1.
    const [g6, g7, g3] = await tx
      .insert(classGroups)
      .values([
        { schoolId: thcs.id, name: "6A1", grade: 6, schoolYear: year, homeroomTeacherId: u.lan, joinCode: DEMO_GROUP_CODES["6A1"] },
        { schoolId: thcs.id, name: "7A2", grade: 7, schoolYear: year, homeroomTeacherId: u.minh, joinCode: DEMO_GROUP_CODES["7A2"] },
        { schoolId: th.id, name: "3A1", grade: 3, schoolYear: year, homeroomTeacherId: u.hoa, joinCode: DEMO_GROUP_CODES["3A1"] },
      ])
      .returning({ id: classGroups.id });
    // Dũng is in none yet: he has joined Ngữ văn 6A1 by its code, and can join Toán 6A1 by its
    // code or the whole of 6A1 by the group's.
    await tx.insert(classGroupMembers).values([
      ...["an", "binh", "cuong", "giang"].map((k) => ({ groupId: g6.id, studentId: u[k] })),
      { groupId: g7.id, studentId: u.khoa },
      ...["mai", "nam"].map((k) => ({ groupId: g3.id, studentId: u[k] })),
    ]);

    const classRows = await tx
      .insert(classes)
      .values([
        { schoolId: thcs.id, groupId: g6.id, name: "6A1", grade: 6, subject: "toan", schoolYear: year, joinCode: "TOAN6A1" },
        { schoolId: thcs.id, groupId: g6.id, name: "6A1", grade: 6, subject: "ngu-van", schoolYear: year, joinCode: "VAN6A1X" },
        { schoolId: thcs.id, groupId: g7.id, name: "7A2", grade: 7, subject: "khtn", schoolYear: year, joinCode: "KHTN7A2" },
        { schoolId: th.id, groupId: g3.id, name: "3A1", grade: 3, subject: "tieng-viet", schoolYear: year, joinCode: "TV3A1KD" },
      ])
      .returning({ id: classes.id });
    const [toan6, van6, khtn7, tv3] = classRows.map((c) => c.id);

    await tx.insert(classMembers).values([
      { classId: toan6, userId: u.lan, role: "teacher" },
      { classId: khtn7, userId: u.lan, role: "teacher" },
      { classId: van6, userId: u.minh, role: "teacher" },
      { classId: tv3, userId: u.hoa, role: "teacher" },
      // Dũng has not joined Toán 6A1 yet: he joins with the code TOAN6A1.
      ...["an", "binh", "cuong", "giang"].flatMap((k) => [
        { classId: toan6, userId: u[k], role: "student" as const },
        { classId: van6, userId: u[k], role: "student" as const },
      ]),
      { classId: van6, userId: u.dung, role: "student" },
      { classId: khtn7, userId: u.khoa, role: "student" },
      { classId: tv3, userId: u.mai, role: "student" },
      { classId: tv3, userId: u.nam, role: "student" },
    ]);

    await tx.insert(parentLinks).values([
      { parentId: u.hung, studentId: u.an },
      { parentId: u.thu, studentId: u.dung },
      { parentId: u.linh, studentId: u.binh },
      { parentId: u.linh, studentId: u.mai },
    ]);
    await tx.insert(linkCodes).values({ code: DEMO_LINK_CODE, studentId: u.cuong, createdBy: u.ht, expiresAt: new Date(now.getTime() + 365 * DAY) });

    /** A wall-clock time in Vietnam, `days` from today: deadlines at 21:00, lessons in the morning. */
    const vnAt = (days: number, hh: number, mm = 0) => {
      const d = new Date(now.getTime() + days * DAY + 7 * 3600 * 1000);
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hh - 7, mm));
    };
    const lesson = (classId: string, authorId: string, title: string, md: string, daysAgo: number, status: "draft" | "published" = "published") => ({
      classId,
      authorId,
      title,
      bodyMd: md,
      bodyHtml: renderMarkdown(md),
      status,
      publishedAt: status === "published" ? vnAt(-daysAgo, 7, 30) : null,
      createdAt: vnAt(-daysAgo - 1, 20, 15),
      updatedAt: status === "published" ? vnAt(-daysAgo, 7, 30) : vnAt(-1, 20, 15),
    });
    await tx.insert(lessons).values([
      lesson(toan6, u.lan, "Bài 1. Tập hợp", `## Mục tiêu\n- Nhận biết tập hợp và các phần tử của tập hợp.\n- Sử dụng kí hiệu **∈** và **∉**.\n\n## Nội dung\nTập hợp các số tự nhiên nhỏ hơn 5: A = {0; 1; 2; 3; 4}.\n\n> Mỗi phần tử được liệt kê một lần, theo thứ tự tùy ý.\n\n## Luyện tập\n1. Viết tập hợp B các chữ cái trong từ “NGUYỄN DU”.\n2. Điền kí hiệu thích hợp: 3 … A; 7 … A.`, 6),
      lesson(toan6, u.lan, "Bài 2. Cách ghi số tự nhiên", `## Hệ thập phân\nMỗi số tự nhiên được viết bằng các chữ số 0, 1, 2, …, 9. Giá trị của mỗi chữ số phụ thuộc vào **vị trí** của nó.\n\nVí dụ: 2 026 = 2 × 1 000 + 0 × 100 + 2 × 10 + 6.\n\n## Số La Mã\nI = 1, V = 5, X = 10. Viết số 14 bằng số La Mã: **XIV**.`, 2),
      lesson(toan6, u.lan, "Bài 3. Thứ tự trong tập hợp số tự nhiên", "Bản nháp — sẽ hoàn thiện sau.", 0, "draft"),
      lesson(van6, u.minh, "Bài thơ “Lượm” — Tố Hữu", `## Tìm hiểu chung\n- Tác giả: **Tố Hữu** (1920–2002).\n- Hoàn cảnh sáng tác: năm 1949, trong kháng chiến chống thực dân Pháp.\n\n## Đọc hiểu\n*Chú bé loắt choắt / Cái xắc xinh xinh / Cái chân thoăn thoắt / Cái đầu nghênh nghênh*\n\nEm hãy tìm các từ láy trong khổ thơ trên và nêu tác dụng của chúng.`, 3),
      lesson(khtn7, u.lan, "Bài 1. Nguyên tử", `Nguyên tử gồm **hạt nhân** mang điện tích dương và **lớp vỏ** gồm các electron mang điện tích âm.`, 1),
      lesson(tv3, u.hoa, "Tập đọc: Ngày khai trường", `Đọc to, rõ ràng bài thơ *Ngày khai trường*. Chú ý ngắt nghỉ đúng sau mỗi dòng thơ.`, 4),
    ]);

    // Two lessons shared as open resources under CC BY: in the library and at /oai from the first start.
    {
      const { refreshOpenLesson } = await import("../app/services/library/open.server.ts");
      for (const title of ["Bài 1. Nguyên tử", "Tập đọc: Ngày khai trường"]) {
        const [open] = await tx.update(lessons).set({ licence: "CC-BY-4.0" }).where(eq(lessons.title, title)).returning({ id: lessons.id });
        await refreshOpenLesson(tx, open.id, now);
      }
    }

    const [a1, a2, , a4] = await tx
      .insert(assignments)
      .values([
        {
          classId: toan6, authorId: u.lan, title: "Bài tập về tập hợp",
          instructionsMd: "Làm bài 1.1 đến 1.5 trang 7 SGK Toán 6. Chụp ảnh bài làm và nộp tại đây.",
          instructionsHtml: renderMarkdown("Làm bài 1.1 đến 1.5 trang 7 SGK Toán 6. Chụp ảnh bài làm và nộp tại đây."),
          dueAt: vnAt(-2, 21), scale: "ten_point", assessment: "regular", term: termOf(now),
        },
        {
          classId: toan6, authorId: u.lan, title: "Luyện tập: Số La Mã",
          instructionsMd: "Viết các số từ 1 đến 20 bằng số La Mã.",
          instructionsHtml: renderMarkdown("Viết các số từ 1 đến 20 bằng số La Mã."),
          dueAt: vnAt(3, 21), scale: "ten_point", assessment: "regular", term: termOf(now),
        },
        {
          classId: van6, authorId: u.minh, title: "Cảm nhận về hình ảnh chú bé Lượm",
          instructionsMd: "Viết đoạn văn (8–10 câu) nêu cảm nhận của em về hình ảnh chú bé Lượm.",
          instructionsHtml: renderMarkdown("Viết đoạn văn (8–10 câu) nêu cảm nhận của em về hình ảnh chú bé Lượm."),
          dueAt: vnAt(5, 21), scale: "ten_point",
        },
        {
          classId: tv3, authorId: u.hoa, title: "Viết 3–4 câu về ngày khai trường",
          instructionsMd: "Kể lại ngày khai trường của em bằng 3–4 câu.",
          instructionsHtml: renderMarkdown("Kể lại ngày khai trường của em bằng 3–4 câu."),
          dueAt: vnAt(-1, 21), scale: "primary_levels",
        },
      ])
      .returning({ id: assignments.id });

    await tx.insert(submissions).values([
      { assignmentId: a1.id, studentId: u.an, status: "graded", body: "Em đã làm xong 5 bài, ảnh đính kèm.", submittedAt: new Date(now.getTime() - 3 * DAY), score: "8.5", comment: "Trình bày sạch đẹp. Bài 1.4 cần ghi rõ kí hiệu.", gradedAt: new Date(now.getTime() - DAY), gradedBy: u.lan },
      { assignmentId: a1.id, studentId: u.binh, status: "submitted", body: "Bài làm của em ạ.", submittedAt: new Date(now.getTime() - 2.5 * DAY) },
      { assignmentId: a2.id, studentId: u.an, status: "submitted", body: "I, II, III, IV, V, VI, VII, VIII, IX, X, XI, XII, XIII, XIV, XV, XVI, XVII, XVIII, XIX, XX", submittedAt: new Date(now.getTime() - 0.5 * DAY) },
      { assignmentId: a4.id, studentId: u.mai, status: "graded", body: "Sáng nay em được mẹ đưa đến trường. Sân trường rất đông vui.", submittedAt: new Date(now.getTime() - 2 * DAY), level: "HTT", comment: "Con viết câu đúng, giàu cảm xúc.", gradedAt: new Date(now.getTime() - 0.5 * DAY), gradedBy: u.hoa },
    ]);

    // The gradebook of Toán 6A1 this term: tests on paper, graded for the whole class (no work handed
    // in online), so the sổ điểm has two TX, a GK and a CK and each student a term average.
    const paperTest = (title: string, assessment: "regular" | "midterm" | "final", daysAgo: number) => ({
      classId: toan6, authorId: u.lan, title, instructionsMd: "Bài kiểm tra làm trên giấy tại lớp.",
      instructionsHtml: renderMarkdown("Bài kiểm tra làm trên giấy tại lớp."),
      dueAt: vnAt(-daysAgo, 9), scale: "ten_point" as const, assessment, term: termOf(now),
      createdAt: vnAt(-daysAgo - 3, 20), sweptAt: vnAt(-daysAgo, 10),
    });
    const [t15, gk, ck] = await tx
      .insert(assignments)
      .values([
        paperTest("Kiểm tra 15 phút: Tập hợp", "regular", 35),
        paperTest("Kiểm tra giữa kỳ", "midterm", 28),
        paperTest("Kiểm tra cuối kỳ", "final", 21),
      ])
      .returning({ id: assignments.id });
    const paperGrades: [string, string, string][] = [
      // [assessment, student, score]
      [t15.id, "an", "9"], [t15.id, "binh", "7.5"], [t15.id, "cuong", "6"], [t15.id, "giang", "8"],
      [gk.id, "an", "8"], [gk.id, "binh", "7"], [gk.id, "cuong", "5.5"], [gk.id, "giang", "9"],
      [ck.id, "an", "8.5"], [ck.id, "binh", "6.5"], [ck.id, "cuong", "7"], [ck.id, "giang", "8.5"],
    ];
    await tx.insert(submissions).values(
      paperGrades.map(([assignmentId, who, score]) => ({
        assignmentId, studentId: u[who], status: "graded" as const, score, gradedAt: new Date(now.getTime() - 18 * DAY), gradedBy: u.lan,
      })),
    );

    // One short exchange in Trần Thị Bình's contact book (sổ liên lạc): a note from her homeroom
    // teacher, her mother's reply, both read.
    const noteAt = vnAt(-1, 16, 40);
    const replyAt = vnAt(-1, 20, 5);
    const [thread] = await tx.insert(threads).values({ studentId: u.binh, schoolId: thcs.id, createdAt: noteAt, lastMessageAt: replyAt }).returning({ id: threads.id });
    await tx.insert(threadMessages).values([
      { threadId: thread.id, authorId: u.lan, kind: "note", body: "Hôm nay Bình phát biểu xây dựng bài rất tích cực trong giờ Toán. Gia đình nhắc con hoàn thành bài tập về tập hợp trước thứ Sáu nhé.", createdAt: noteAt },
      { threadId: thread.id, authorId: u.linh, kind: "message", body: "Cảm ơn cô Lan. Tối nay gia đình sẽ nhắc cháu làm bài và nộp đúng hạn ạ.", createdAt: replyAt },
    ]);
    await tx.insert(threadParticipants).values([
      { threadId: thread.id, userId: u.lan, lastReadAt: now, joinedAt: noteAt },
      { threadId: thread.id, userId: u.linh, lastReadAt: replyAt, joinedAt: replyAt },
    ]);

    // How two demo parents hear: Trần Mỹ Linh (email and phone, Bình and Mai at two schools) by a
    // daily email digest at 19:00 — set SMTP_URL to see it arrive — with grades at once; Phạm Thị
    // Thu (phone only, Dũng) on Zalo, which says "not configured" until ZALO_* are set.
    await tx.insert(notificationSettings).values({ userId: u.linh, digestAt: 19 * 60 });
    await tx.insert(contactChannels).values([
      { userId: u.linh, channel: "email", enabled: true },
      { userId: u.thu, channel: "zalo", enabled: true },
    ]);
    await tx.insert(notificationPreferences).values([
      { userId: u.linh, studentId: u.binh, kind: "grade", mode: "immediate" },
      { userId: u.linh, studentId: u.mai, kind: "grade", mode: "immediate" },
    ]);

    // A weekly live session of Toán 6A1 on "Liên kết" (no account needed), begun a week ago at
    // this time of day, so that the first start shows "Tham gia" open; next week's is cancelled.
    const firstStart = new Date(Math.floor((now.getTime() - 7 * DAY - 5 * 60_000) / (5 * 60_000)) * 5 * 60_000);
    const weekday = ((new Date(firstStart.getTime() + 7 * 3600 * 1000).getUTCDay() + 6) % 7) + 1;
    const [session] = await tx
      .insert(liveSessions)
      .values({
        schoolId: thcs.id,
        createdBy: u.lan,
        title: "Toán 6A1 — học trực tuyến hằng tuần",
        platform: "link",
        startsAt: firstStart,
        durationMinutes: 45,
        weekdays: [weekday],
        count: 12,
        joinUrl: "https://meet.jit.si/lopso-demo-toan-6a1",
        syncState: "synced",
      })
      .returning({ id: liveSessions.id });
    await tx.insert(liveSessionClasses).values({ sessionId: session.id, classId: toan6 });
    await tx.insert(liveSessionExceptions).values({ sessionId: session.id, originalStart: new Date(firstStart.getTime() + 14 * DAY), cancelled: true });

    // The province's shared repository, as if harvested (search has content on first start).
    const { seedDemoLibrary } = await import("./demo-library.ts");
    await seedDemoLibrary(tx, province.id, now);

    return { schools: 2, users: people.length };
  });
}
