/**
 * A small world for the notification tests: two schools; in the first a class group 6A1 (homeroom
 * teacher Lan) taught Toán by Minh, and a Ngữ văn class of Hoa's; families with every kind of
 * contact (email, a phone, an invalid phone, nothing); a student without parents; in the second
 * school a child whose parent must hear nothing from the first.
 */
import crypto from "node:crypto";
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.server.ts";
import {
  classGroupMembers,
  classGroups,
  classMembers,
  classes,
  events,
  memberships,
  organizations,
  parentLinks,
  users,
  type EventType,
} from "../../db/schema/index.ts";
import { currentSchoolYear } from "../../app/lib/curriculum.ts";
import { nameSortKey } from "../../app/lib/vn.ts";
import { notifyConfig } from "../../app/services/notify/recipients.server.ts";
import type { ExternalChannel } from "../../db/schema/index.ts";

export type World = Awaited<ReturnType<typeof buildWorld>>;

export const config = (channels: ExternalChannel[] = ["email", "zalo", "sms", "push"]) => ({
  ...notifyConfig({ APP_URL: "https://lopso.example.vn" }, new Set(channels)),
});

export async function buildWorld(db: Db, now = new Date()) {
  const tag = crypto.randomBytes(3).toString("hex");
  const [province] = await db.insert(organizations).values({ kind: "province", name: "Sở thử", code: `P${tag}` }).returning();
  const [s1, s2] = await db
    .insert(organizations)
    .values([
      { kind: "school", parentId: province.id, name: "THCS Một", code: `A${tag}`, level: "thcs" },
      { kind: "school", parentId: province.id, name: "THCS Hai", code: `B${tag}`, level: "thcs" },
    ])
    .returning();
  const person = async (fullName: string, extra: { email?: string | null; phone?: string | null; locale?: "vi" | "en" } = {}) => {
    const [u] = await db
      .insert(users)
      .values({ fullName, sortKey: nameSortKey(fullName), email: extra.email ?? null, phone: extra.phone ?? null, locale: extra.locale ?? "vi" })
      .returning({ id: users.id });
    return u.id;
  };
  const mail = (n: string) => `${n}.${tag}@example.vn`;
  const phone = (n: number) => `+8491${tag.replace(/[^0-9]/g, "7").padEnd(3, "7").slice(0, 3)}${String(n).padStart(4, "0")}`;
  const p = {
    lan: await person("Nguyễn Thị Lan", { email: mail("lan") }), // homeroom teacher of 6A1
    minh: await person("Trần Văn Minh", { email: mail("minh") }), // teaches Toán 6A1
    hoa: await person("Lê Thị Hoa", { email: mail("hoa") }), // teaches Ngữ văn 6A1 (Bình only)
    an: await person("Nguyễn Văn An"),
    binh: await person("Trần Thị Bình"),
    dung: await person("Phạm Minh Dũng"), // no parents
    chi: await person("Võ Thị Chi"), // the other school
    hung: await person("Nguyễn Văn Hùng", { email: mail("hung") }), // An's and Bình's father, email
    thu: await person("Phạm Thị Thu", { phone: phone(1), locale: "en" }), // An's mother, phone only, English
    tam: await person("Trần Văn Tâm", { phone: "+84123" }), // Bình's uncle, an invalid phone
    nga: await person("Lý Thị Nga"), // Bình's grandmother: no contact at all
    vy: await person("Đỗ Thị Vy", { email: mail("vy") }), // Chi's mother, the other school
    tuan: await person("Lương Văn Tuấn", { email: mail("tuan") }), // teacher of the other school
  };
  await db.insert(memberships).values([
    ...[p.lan, p.minh, p.hoa].map((userId) => ({ userId, orgId: s1.id, role: "teacher" as const })),
    ...[p.an, p.binh, p.dung].map((userId) => ({ userId, orgId: s1.id, role: "student" as const })),
    ...[p.hung, p.thu, p.tam, p.nga].map((userId) => ({ userId, orgId: s1.id, role: "parent" as const })),
    { userId: p.chi, orgId: s2.id, role: "student" as const },
    { userId: p.vy, orgId: s2.id, role: "parent" as const },
    { userId: p.tuan, orgId: s2.id, role: "teacher" as const },
  ]);
  await db.insert(parentLinks).values([
    { parentId: p.hung, studentId: p.an },
    { parentId: p.hung, studentId: p.binh },
    { parentId: p.thu, studentId: p.an },
    { parentId: p.tam, studentId: p.binh },
    { parentId: p.nga, studentId: p.binh },
    { parentId: p.vy, studentId: p.chi },
  ]);
  const year = currentSchoolYear(now);
  const [g] = await db.insert(classGroups).values({ schoolId: s1.id, name: "6A1", grade: 6, schoolYear: year, homeroomTeacherId: p.lan, joinCode: `G${tag}` }).returning();
  const [g2] = await db.insert(classGroups).values({ schoolId: s2.id, name: "6B1", grade: 6, schoolYear: year, homeroomTeacherId: p.tuan, joinCode: `H${tag}` }).returning();
  await db.insert(classGroupMembers).values([
    { groupId: g.id, studentId: p.an },
    { groupId: g.id, studentId: p.binh },
    { groupId: g.id, studentId: p.dung },
    { groupId: g2.id, studentId: p.chi },
  ]);
  const [toan, van, chiToan] = await db
    .insert(classes)
    .values([
      { schoolId: s1.id, groupId: g.id, name: "6A1", grade: 6, subject: "toan", schoolYear: year, joinCode: `T${tag}` },
      { schoolId: s1.id, groupId: g.id, name: "6A1", grade: 6, subject: "ngu-van", schoolYear: year, joinCode: `V${tag}` },
      { schoolId: s2.id, groupId: g2.id, name: "6B1", grade: 6, subject: "toan", schoolYear: year, joinCode: `C${tag}` },
    ])
    .returning();
  await db.insert(classMembers).values([
    { classId: toan.id, userId: p.minh, role: "teacher" },
    { classId: toan.id, userId: p.an, role: "student" },
    { classId: toan.id, userId: p.binh, role: "student" },
    { classId: toan.id, userId: p.dung, role: "student" },
    { classId: van.id, userId: p.hoa, role: "teacher" },
    { classId: van.id, userId: p.binh, role: "student" },
    { classId: chiToan.id, userId: p.tuan, role: "teacher" },
    { classId: chiToan.id, userId: p.chi, role: "student" },
  ]);

  /** Write one event as the services do (the outbox), returning its id. */
  async function event(type: EventType, e: { school?: string; classId?: string | null; studentId?: string | null; actorId?: string | null; payload?: Record<string, unknown>; occurredAt?: Date }) {
    const [row] = await db
      .insert(events)
      .values({
        type,
        schoolId: e.school ?? s1.id,
        classId: e.classId ?? null,
        studentId: e.studentId ?? null,
        actorId: e.actorId ?? null,
        subjectId: crypto.randomUUID(),
        payload: e.payload ?? {},
        ...(e.occurredAt ? { occurredAt: e.occurredAt } : {}),
      })
      .returning({ id: events.id });
    return row.id;
  }

  const ev = {
    grade: (studentId = p.an, score = 8.5) =>
      event("grade.posted", { classId: toan.id, studentId, actorId: p.minh, payload: { assignmentId: crypto.randomUUID(), title: "Bài 1. Số tự nhiên", className: "6A1", scale: "ten_point", score, level: null, maxPoints: null, display: "", comment: null } }),
    received: (studentId = p.an) => event("submission.received", { classId: toan.id, studentId, actorId: studentId, payload: { assignmentId: crypto.randomUUID(), title: "Bài 2. Phân số", className: "6A1", late: false } }),
    missing: (studentId = p.an, dueAt = "2026-11-25T16:59:00.000Z") =>
      event("submission.missing", { classId: toan.id, studentId, payload: { assignmentId: crypto.randomUUID(), title: "Bài 3. Hình học", className: "6A1", submissionId: crypto.randomUUID(), dueAt } }),
    lesson: (classId = toan.id) => event("lesson.published", { classId, actorId: p.minh, payload: { title: "Bài 4. Số nguyên", className: "6A1" } }),
    assignment: (classId = toan.id) => event("assignment.created", { classId, actorId: p.minh, payload: { title: "Bài 5", className: "6A1", dueAt: "2026-11-28T10:00:00.000Z" } }),
    attendance: (studentId = p.binh, status = "absent") =>
      event("attendance.recorded", { classId: toan.id, studentId, payload: { sessionId: crypto.randomUUID(), title: "Ôn tập", className: "6A1", platform: "zoom", status, minutes: status === "late" ? 10 : 0 } }),
    note: (studentId = p.an) =>
      event("note.posted", { classId: null, studentId, actorId: p.lan, payload: { threadId: crypto.randomUUID(), messageId: crypto.randomUUID(), authorId: p.lan, authorName: "Nguyễn Thị Lan", excerpt: "Hôm nay An phát biểu rất tốt." } }),
    message: (studentId: string, authorId: string, authorRole: "parent" | "teacher", threadId: string = crypto.randomUUID()) =>
      event("thread.message", { studentId, actorId: authorId, payload: { threadId, messageId: crypto.randomUUID(), authorId, authorName: "Ai đó", authorRole, excerpt: "Xin chào cô" } }),
    announcement: (classId: string | null, urgent = false, school = s1.id) =>
      event("announcement.posted", { school, classId, payload: { announcementId: crypto.randomUUID(), title: "Họp phụ huynh", excerpt: "Thứ bảy 8:00", urgent, className: classId ? "6A1" : null } }),
  };

  return { s1, s2, p, g, toan, van, chiToan, ev, event };
}

/** Notifications of one event: who got them, with which mode. */
export async function inboxOf(db: Db, eventId: number) {
  const rows = await db.execute(sql`select user_id, student_id, mode, title, link, dispatched_at from notifications where event_id = ${eventId} order by user_id`);
  return (Array.isArray(rows) ? rows : (rows as unknown as { rows: unknown[] }).rows) as { user_id: string; student_id: string | null; mode: string; title: string; link: string; dispatched_at: Date | null }[];
}

export async function messagesOf(db: Db, where = sql`true`) {
  const rows = await db.execute(sql`select key, user_id, channel, address, kind, not_before, content, locale from outbound_messages where ${where} order by key`);
  return (Array.isArray(rows) ? rows : (rows as unknown as { rows: unknown[] }).rows) as {
    key: string;
    user_id: string;
    channel: string;
    address: string;
    kind: string;
    not_before: Date | string;
    content: { subject: string; text: string; html?: string; link?: string; template?: { id: string; params: Record<string, string> } };
    locale: string;
  }[];
}
