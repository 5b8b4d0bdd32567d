import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  boolean,
  index,
  integer,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { organizations } from "./orgs.ts";
import { users } from "./users.ts";
import { threadMessages } from "./notify.ts";

/**
 * A school class group (lớp chủ nhiệm, e.g. "6A1" in 2026-2027): its students, its homeroom
 * teacher (GVCN) and the subject classes it is taught in. A student joins the group once, with
 * its code, and is enrolled in every subject class of the group.
 */
export const classGroups = pgTable(
  "class_groups",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    schoolId: uuid("school_id").notNull().references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    grade: integer("grade").notNull(),
    schoolYear: text("school_year").notNull(),
    /** Giáo viên chủ nhiệm; null until the school names one. */
    homeroomTeacherId: uuid("homeroom_teacher_id").references(() => users.id, { onDelete: "set null" }),
    joinCode: text("join_code").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [
    uniqueIndex("class_groups_join_code_key").on(t.joinCode),
    uniqueIndex("class_groups_school_name_year_key").on(t.schoolId, t.name, t.schoolYear),
    index("class_groups_homeroom_idx").on(t.homeroomTeacherId),
  ],
);

export const classGroupMembers = pgTable(
  "class_group_members",
  {
    groupId: uuid("group_id").notNull().references(() => classGroups.id, { onDelete: "cascade" }),
    studentId: uuid("student_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    joinedAt: timestamp("joined_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.studentId] }), index("class_group_members_student_idx").on(t.studentId)],
);

export const classes = pgTable(
  "classes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    schoolId: uuid("school_id").notNull().references(() => organizations.id, { onDelete: "cascade" }),
    /** The class group this subject class teaches (null: a class of its own, e.g. a club). */
    groupId: uuid("group_id").references(() => classGroups.id, { onDelete: "set null" }),
    name: text("name").notNull(),
    grade: integer("grade").notNull(),
    subject: text("subject").notNull(),
    schoolYear: text("school_year").notNull(),
    joinCode: text("join_code").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    /** Set when the class ends or its platform course is archived or removed; nothing is deleted. */
    archivedAt: timestamp("archived_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("classes_join_code_key").on(t.joinCode),
    uniqueIndex("classes_school_name_subject_year_key").on(t.schoolId, t.name, t.subject, t.schoolYear),
    index("classes_group_idx").on(t.groupId),
  ],
);

export const classMembers = pgTable(
  "class_members",
  {
    classId: uuid("class_id").notNull().references(() => classes.id, { onDelete: "cascade" }),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["teacher", "student"] }).notNull(),
    joinedAt: timestamp("joined_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.classId, t.userId] }), index("class_members_user_idx").on(t.userId, t.role)],
);

export const lessons = pgTable(
  "lessons",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    classId: uuid("class_id").notNull().references(() => classes.id, { onDelete: "cascade" }),
    authorId: uuid("author_id").notNull().references(() => users.id),
    title: text("title").notNull(),
    bodyMd: text("body_md").notNull().default(""),
    /** Sanitized HTML rendered from bodyMd; the only lesson HTML ever sent to a browser. */
    bodyHtml: text("body_html").notNull().default(""),
    status: text("status", { enum: ["draft", "published"] }).notNull().default("draft"),
    publishedAt: timestamp("published_at", { withTimezone: true }),
    /** A Creative Commons licence (e.g. "CC-BY-4.0") when the teacher shares the lesson as open. */
    licence: text("licence"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("lessons_class_idx").on(t.classId, t.status, t.publishedAt)],
);

export const GRADING_SCALES = ["ten_point", "primary_levels", "pass_fail", "points"] as const;
export type GradingScale = (typeof GRADING_SCALES)[number];
export const PRIMARY_LEVELS = ["HTT", "HT", "CHT"] as const;
/** Đạt / Chưa đạt, on the pass_fail scale. */
export const PASS_LEVELS = ["D", "CD"] as const;

/**
 * How an assessment counts in the term average (Thông tư 22/2021): thường xuyên (ĐĐGtx, weight 1),
 * giữa kỳ (ĐĐGgk, weight 2), cuối kỳ (ĐĐGck, weight 3).
 */
export const ASSESSMENT_KINDS = ["regular", "midterm", "final"] as const;
export type AssessmentKind = (typeof ASSESSMENT_KINDS)[number];
/** Học kỳ I and II. */
export const TERMS = [1, 2] as const;
export type Term = (typeof TERMS)[number];

export const assignments = pgTable(
  "assignments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    classId: uuid("class_id").notNull().references(() => classes.id, { onDelete: "cascade" }),
    authorId: uuid("author_id").notNull().references(() => users.id),
    title: text("title").notNull(),
    instructionsMd: text("instructions_md").notNull().default(""),
    instructionsHtml: text("instructions_html").notNull().default(""),
    dueAt: timestamp("due_at", { withTimezone: true }).notNull(),
    scale: text("scale", { enum: GRADING_SCALES }).notNull().default("ten_point"),
    maxPoints: numeric("max_points", { precision: 7, scale: 2 }),
    /** Where the grade goes in the gradebook (sổ điểm): its kind and its term. */
    assessment: text("assessment", { enum: ASSESSMENT_KINDS }).notNull().default("regular"),
    term: integer("term").notNull().default(1),
    /**
     * A Google Forms quiz students take for this work: the form a teacher attached (its scores
     * read by the hub, see assignment_quizzes) or the form of a synced Classroom coursework (its
     * grade comes with the Classroom sync).
     */
    formUrl: text("form_url"),
    formTitle: text("form_title"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
    /** When the missing-work sweep handled this assignment after its due date (null: not yet). */
    sweptAt: timestamp("swept_at", { withTimezone: true }),
    /**
     * When the teacher removed an assignment that already had submissions: it is kept, with its
     * work and grades, for the teacher only (null: in use).
     */
    archivedAt: timestamp("archived_at", { withTimezone: true }),
  },
  (t) => [
    index("assignments_class_due_idx").on(t.classId, t.dueAt),
    index("assignments_due_idx").on(t.dueAt),
    index("assignments_unswept_idx").on(t.dueAt).where(sql`${t.sweptAt} is null`),
  ],
);

export const submissions = pgTable(
  "submissions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    assignmentId: uuid("assignment_id").notNull().references(() => assignments.id, { onDelete: "cascade" }),
    studentId: uuid("student_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    /** submitted | missing (swept after the due date) | graded */
    status: text("status", { enum: ["submitted", "missing", "graded"] }).notNull(),
    body: text("body").notNull().default(""),
    submittedAt: timestamp("submitted_at", { withTimezone: true }),
    late: boolean("late").notNull().default(false),
    score: numeric("score", { precision: 6, scale: 2 }),
    /** HTT | HT | CHT on the primary scale, D (Đạt) | CD (Chưa đạt) on the pass_fail scale. */
    level: text("level", { enum: [...PRIMARY_LEVELS, ...PASS_LEVELS] }),
    comment: text("comment"),
    gradedAt: timestamp("graded_at", { withTimezone: true }),
    gradedBy: uuid("graded_by").references(() => users.id),
    missingAt: timestamp("missing_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("submissions_assignment_student_key").on(t.assignmentId, t.studentId),
    index("submissions_student_idx").on(t.studentId),
  ],
);

export const attachments = pgTable(
  "attachments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    lessonId: uuid("lesson_id").references(() => lessons.id, { onDelete: "cascade" }),
    submissionId: uuid("submission_id").references(() => submissions.id, { onDelete: "cascade" }),
    /** A file of an assignment's instructions. */
    assignmentId: uuid("assignment_id").references(() => assignments.id, { onDelete: "cascade" }),
    /** A file sent in a contact-book thread. */
    messageId: uuid("message_id").references((): AnyPgColumn => threadMessages.id, { onDelete: "cascade" }),
    ownerId: uuid("owner_id").notNull().references(() => users.id),
    filename: text("filename").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    storageKey: text("storage_key").notNull(),
    /** A Creative Commons licence when a lesson's file is shared as open on its own. */
    licence: text("licence"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [index("attachments_lesson_idx").on(t.lessonId), index("attachments_submission_idx").on(t.submissionId), index("attachments_assignment_idx").on(t.assignmentId), index("attachments_message_idx").on(t.messageId)],
);

export type ClassGroup = typeof classGroups.$inferSelect;
export type Class = typeof classes.$inferSelect;
export type Lesson = typeof lessons.$inferSelect;
export type Assignment = typeof assignments.$inferSelect;
export type Submission = typeof submissions.$inferSelect;
export type Attachment = typeof attachments.$inferSelect;
