import { sql } from "drizzle-orm";
import { index, integer, numeric, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { assignments } from "./classes.ts";
import { users } from "./users.ts";

/**
 * A Google Forms quiz attached to a hub assignment: the form's id, what it says of itself at the
 * last read (title, points it is out of), and how the last read of its responses went. One quiz
 * per assignment. The responses are read through the Google connection of the class (the school's,
 * else the teacher's own) after the due date, again for later submissions, and when the teacher
 * asks ("Đọc điểm từ Google Forms").
 */
export const assignmentQuizzes = pgTable(
  "assignment_quizzes",
  {
    assignmentId: uuid("assignment_id")
      .primaryKey()
      .references(() => assignments.id, { onDelete: "cascade" }),
    formId: text("form_id").notNull(),
    /** The link students open (the form's responderUri once read; the URL given until then). */
    responderUrl: text("responder_url").notNull(),
    title: text("title"),
    /** The sum of the questions' point values at the last read. */
    maxScore: numeric("max_score", { precision: 8, scale: 2 }),
    attachedBy: uuid("attached_by").references(() => users.id, { onDelete: "set null" }),
    attachedAt: timestamp("attached_at", { withTimezone: true }).notNull().default(sql`now()`),
    /** When responses were last read successfully, and the newest submission time seen then. */
    lastReadAt: timestamp("last_read_at", { withTimezone: true }),
    latestSubmittedAt: timestamp("latest_submitted_at", { withTimezone: true }),
    /** ok | not_connected | scope_missing | not_found | rejected | rate_limited | transient | not_quiz | … */
    lastOutcome: text("last_outcome"),
    /** The provider's own words for the last failure (shown beside our explanation). */
    lastMessage: text("last_message"),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true }),
    /** A rate limit's "try again after": the job leaves the quiz alone until then. */
    retryAt: timestamp("retry_at", { withTimezone: true }),
  },
  (t) => [index("assignment_quizzes_read_idx").on(t.lastReadAt)],
);

/**
 * One response of an attached quiz as last read: who sent it (the verified email the quiz
 * collected, if any), its score, and the student it was matched to — by that email among the
 * class's students, or by the teacher; never guessed. `appliedVersion` is the response's
 * submission time and score last written as a grade, so a re-read changes nothing unless the
 * student submitted again.
 */
export const quizResponses = pgTable(
  "quiz_responses",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    assignmentId: uuid("assignment_id")
      .notNull()
      .references(() => assignmentQuizzes.assignmentId, { onDelete: "cascade" }),
    responseId: text("response_id").notNull(),
    respondentEmail: text("respondent_email"),
    totalScore: numeric("total_score", { precision: 8, scale: 2 }),
    submittedAt: timestamp("submitted_at", { withTimezone: true }).notNull(),
    studentId: uuid("student_id").references(() => users.id, { onDelete: "set null" }),
    /** email | teacher (null: not matched yet, listed for the teacher). */
    matchedBy: text("matched_by", { enum: ["email", "teacher"] }),
    appliedVersion: text("applied_version"),
    /** How many questions Google graded in it (0: the quiz had nothing graded yet). */
    gradedQuestions: integer("graded_questions").notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [uniqueIndex("quiz_responses_key").on(t.assignmentId, t.responseId), index("quiz_responses_student_idx").on(t.assignmentId, t.studentId)],
);

export type AssignmentQuiz = typeof assignmentQuizzes.$inferSelect;
export type QuizResponse = typeof quizResponses.$inferSelect;
