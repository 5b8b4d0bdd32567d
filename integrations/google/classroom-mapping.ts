/**
 * Classroom wire records → the CourseProvider port's records (pure). A record missing a field we
 * need, or carrying an enum value this code does not know, is not guessed at: it comes back as a
 * skip with its reason (`code:detail`, rendered by the sync health page in plain words).
 */
import type { ExternalCourse, ExternalCoursework, ExternalGuardian, ExternalMember, ExternalSubmission, SkippedRecord } from "../ports.ts";

type Mapped<T> = { ok: T } | { skip: SkippedRecord };

const COURSE_STATES: Record<string, string> = {
  ACTIVE: "active",
  ARCHIVED: "archived",
  PROVISIONED: "provisioned",
  DECLINED: "declined",
  SUSPENDED: "suspended",
};
const WORK_STATES: Record<string, string> = { PUBLISHED: "published", DRAFT: "draft", DELETED: "deleted" };
const WORK_TYPES = new Set(["ASSIGNMENT", "SHORT_ANSWER_QUESTION", "MULTIPLE_CHOICE_QUESTION"]);
const SUBMISSION_STATES: Record<string, ExternalSubmission["state"]> = {
  NEW: "new",
  CREATED: "new",
  TURNED_IN: "turned_in",
  RETURNED: "returned",
  RECLAIMED_BY_STUDENT: "reclaimed",
};

type Rec = Record<string, unknown>;
const str = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v : undefined);
const skip = (kind: SkippedRecord["kind"], externalId: unknown, reason: string): { skip: SkippedRecord } => ({
  skip: { kind, externalId: typeof externalId === "string" && externalId ? externalId : "?", reason },
});

export function courseOf(c: Rec): Mapped<ExternalCourse> {
  const id = str(c.id);
  if (!id) return skip("course", c.id, "missing_field:id");
  const name = str(c.name);
  if (!name) return skip("course", id, "missing_field:name");
  const raw = str(c.courseState);
  if (!raw) return skip("course", id, "missing_field:courseState");
  const state = COURSE_STATES[raw];
  if (!state) return skip("course", id, `unknown_value:courseState=${raw}`);
  return { ok: { externalId: id, name, section: str(c.section), state, link: str(c.alternateLink), version: str(c.updateTime) } };
}

export function memberOf(m: Rec, role: "student" | "teacher"): Mapped<ExternalMember> {
  const id = str(m.userId);
  if (!id) return skip("user", m.userId, "missing_field:userId");
  const profile = (m.profile ?? {}) as Rec;
  const name = str(((profile.name ?? {}) as Rec).fullName);
  if (!name) return skip("user", id, "missing_field:profile.name");
  const email = str(profile.emailAddress)?.toLowerCase();
  return { ok: { externalId: id, role, fullName: name, ...(email ? { email } : {}) } };
}

/**
 * Classroom's due date and time are UTC; a date without a time is due at the end of that day in
 * Vietnam (23:59 Asia/Ho_Chi_Minh, UTC+7).
 */
export function dueOf(date: unknown, time: unknown): Date | null | "invalid" {
  if (!date) return null;
  const d = date as Rec;
  const y = Number(d.year), mo = Number(d.month), day = Number(d.day);
  if (!Number.isInteger(y) || !Number.isInteger(mo) || !Number.isInteger(day) || y < 1970 || mo < 1 || mo > 12 || day < 1 || day > 31) return "invalid";
  if (!time) return new Date(Date.UTC(y, mo - 1, day, 23 - 7, 59));
  const t = time as Rec;
  return new Date(Date.UTC(y, mo - 1, day, Number(t.hours ?? 0), Number(t.minutes ?? 0), Number(t.seconds ?? 0)));
}

export function courseworkOf(w: Rec): Mapped<ExternalCoursework> {
  const id = str(w.id);
  if (!id) return skip("coursework", w.id, "missing_field:id");
  const title = str(w.title);
  if (!title) return skip("coursework", id, "missing_field:title");
  const raw = str(w.state);
  const state = raw ? WORK_STATES[raw] : undefined;
  if (!state) return skip("coursework", id, raw ? `unknown_value:state=${raw}` : "missing_field:state");
  const type = str(w.workType);
  if (type && !WORK_TYPES.has(type)) return skip("coursework", id, `unknown_value:workType=${type}`);
  const due = dueOf(w.dueDate, w.dueTime);
  if (due === "invalid") return skip("coursework", id, "invalid_value:dueDate");
  const max = w.maxPoints === undefined || w.maxPoints === null ? null : Number(w.maxPoints);
  if (max !== null && !(Number.isFinite(max) && max > 0)) return skip("coursework", id, `invalid_value:maxPoints=${String(w.maxPoints)}`);
  const form = formOf(w.materials);
  return { ok: { externalId: id, title, dueAt: due, maxPoints: max, state, link: str(w.alternateLink), version: str(w.updateTime), ...(form ? { form } : {}) } };
}

/** The first Google Forms material of a coursework (`materials[].form.formUrl`), when it carries one. */
function formOf(materials: unknown): { url: string; title?: string } | undefined {
  if (!Array.isArray(materials)) return undefined;
  for (const m of materials) {
    const f = ((m ?? {}) as Rec).form as Rec | undefined;
    const url = str(f?.formUrl);
    if (url && /^https:\/\/(docs\.google\.com\/forms\/|forms\.gle\/)/.test(url)) return { url, title: str(f?.title) };
  }
  return undefined;
}

export function submissionOf(s: Rec): Mapped<ExternalSubmission> {
  const id = str(s.id);
  if (!id) return skip("submission", s.id, "missing_field:id");
  const courseworkId = str(s.courseWorkId);
  if (!courseworkId) return skip("submission", id, "missing_field:courseWorkId");
  const student = str(s.userId);
  if (!student) return skip("submission", id, "missing_field:userId");
  const raw = str(s.state);
  const state = raw ? SUBMISSION_STATES[raw] : undefined;
  if (!state) return skip("submission", id, raw ? `unknown_value:state=${raw}` : "missing_field:state");
  const updated = str(s.updateTime);
  const updatedAt = updated ? new Date(updated) : null;
  if (!updatedAt || Number.isNaN(updatedAt.getTime())) return skip("submission", id, "missing_field:updateTime");
  const grade = s.assignedGrade === undefined || s.assignedGrade === null ? null : Number(s.assignedGrade);
  if (grade !== null && !(Number.isFinite(grade) && grade >= 0)) return skip("submission", id, `invalid_value:assignedGrade=${String(s.assignedGrade)}`);
  return { ok: { externalId: id, courseworkId, studentExternalId: student, state, late: s.late === true, grade, updatedAt } };
}

export function guardianOf(g: Rec): Mapped<ExternalGuardian> {
  const id = str(g.guardianId);
  const student = str(g.studentId);
  if (!id || !student) return skip("guardian", id ?? g.guardianId, !id ? "missing_field:guardianId" : "missing_field:studentId");
  const profile = (g.guardianProfile ?? {}) as Rec;
  const email = (str(profile.emailAddress) ?? str(g.invitedEmailAddress))?.toLowerCase();
  const name = str(((profile.name ?? {}) as Rec).fullName) ?? email;
  if (!name) return skip("guardian", id, "missing_field:guardianProfile.name");
  return { ok: { externalId: `${student}:${id}`, studentExternalId: student, fullName: name, ...(email ? { email } : {}) } };
}

/** Splits mapped records into the page's items and its skips. */
export function split<T>(mapped: Mapped<T>[]): { items: T[]; skipped: SkippedRecord[] } {
  const items: T[] = [];
  const skipped: SkippedRecord[] = [];
  for (const m of mapped) "ok" in m ? items.push(m.ok) : skipped.push(m.skip);
  return { items, skipped };
}
