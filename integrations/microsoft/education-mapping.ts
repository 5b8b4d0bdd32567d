/**
 * Graph education records (classes, users, assignments, submissions with outcomes) as the
 * provider-neutral course shapes. A record that cannot be mapped (an id or name missing, an
 * enum value this code does not know) is not guessed at: it comes back as a skip with its reason.
 */
import type { AssignmentInput, ExternalCourse, ExternalCoursework, ExternalMember, ExternalSubmission, MaterialInput, SkippedRecord } from "../ports.ts";

export type Mapped<T> = { item: T } | { skip: SkippedRecord };

type Raw = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v : null);
const obj = (v: unknown): Raw | null => (v && typeof v === "object" && !Array.isArray(v) ? (v as Raw) : null);
const date = (v: unknown): Date | null => {
  const s = str(v);
  if (!s) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
};
const idOf = (raw: Raw) => str(raw.id) ?? "(no id)";
const skip = (kind: string, raw: Raw, reason: string) => ({ skip: { kind, externalId: idOf(raw), reason } });

export function mapClass(raw: Raw): Mapped<ExternalCourse> {
  const id = str(raw.id);
  if (!id) return skip("course", raw, "the class has no id");
  const name = str(raw.displayName) ?? str(raw.externalName);
  if (!name) return skip("course", raw, "the class has no name (displayName)");
  const section = str(raw.classCode) ?? str(obj(raw.term)?.displayName);
  return { item: { externalId: id, name, ...(section ? { section } : {}), state: "active" } };
}

const ROLES = { student: "student", teacher: "teacher" } as const;

/** `role` when the list says it (`/teachers`); else the person's `primaryRole`. */
export function mapMember(raw: Raw, role?: "teacher"): Mapped<ExternalMember> {
  const id = str(raw.id);
  if (!id) return skip("user", raw, "the person has no id");
  const primary = str(raw.primaryRole);
  const mapped = role ?? (primary && primary in ROLES ? ROLES[primary as keyof typeof ROLES] : null);
  if (!mapped) return skip("user", raw, primary ? `unknown role "${primary}" (neither student nor teacher)` : "the person has no role (primaryRole)");
  const given = str(raw.givenName)?.trim();
  const family = str(raw.surname)?.trim();
  const fullName = str(raw.displayName)?.trim() ?? ([family, given].filter(Boolean).join(" ") || null);
  if (!fullName) return skip("user", raw, "the person has no name");
  const email = str(raw.mail) ?? str(raw.userPrincipalName);
  return { item: { externalId: id, role: mapped, fullName, ...(email ? { email } : {}) } };
}

/** educationAssignment.status; anything else is skipped (Graph adds values over time). */
export const ASSIGNMENT_STATES = ["draft", "scheduled", "published", "assigned"] as const;

const POINTS_GRADING = /educationAssignmentPointsGradeType$/;

export function mapAssignment(raw: Raw): Mapped<ExternalCoursework> {
  const id = str(raw.id);
  if (!id) return skip("coursework", raw, "the assignment has no id");
  const title = str(raw.displayName);
  if (!title) return skip("coursework", raw, "the assignment has no title (displayName)");
  const state = str(raw.status);
  if (!state || !(ASSIGNMENT_STATES as readonly string[]).includes(state)) return skip("coursework", raw, state ? `unknown assignment status "${state}"` : "the assignment has no status");
  const grading = obj(raw.grading);
  const points = grading && POINTS_GRADING.test(String(grading["@odata.type"] ?? "")) && typeof grading.maxPoints === "number" ? grading.maxPoints : null;
  const link = str(raw.webUrl);
  // As the neutral states Classroom's also map to: "assigned" (given to the students) and
  // "published" (being given) are the class's; "draft" and "scheduled" are not yet.
  const neutral = state === "assigned" || state === "published" ? "published" : "draft";
  return { item: { externalId: id, title, dueAt: date(raw.dueDateTime), maxPoints: points, state: neutral, ...(link ? { link } : {}) } };
}

/**
 * educationSubmission.status as the neutral state: working → new (reclaimed when the student
 * took back a turned-in work: `unsubmittedDateTime`), submitted → turned_in, released/returned →
 * returned, reassigned (sent back for another try) → returned. Unknown values are skipped.
 */
export function submissionState(raw: Raw): ExternalSubmission["state"] | null {
  switch (raw.status) {
    case "working":
      return date(raw.unsubmittedDateTime) ? "reclaimed" : "new";
    case "submitted":
      return "turned_in";
    case "released":
    case "returned":
    case "reassigned":
      return "returned";
    default:
      return null;
  }
}

/** The points of the submission's points outcome: the published points when there are, else the teacher's. */
export function pointsOf(outcomes: unknown): number | null {
  if (!Array.isArray(outcomes)) return null;
  for (const o of outcomes) {
    const r = obj(o);
    if (!r || !/educationPointsOutcome$/.test(String(r["@odata.type"] ?? ""))) continue;
    const published = obj(r.publishedPoints)?.points;
    const points = obj(r.points)?.points;
    if (typeof published === "number") return published;
    if (typeof points === "number") return points;
  }
  return null;
}

export function mapSubmission(raw: Raw, courseworkId: string, dueAt: Date | null): Mapped<ExternalSubmission> {
  const id = str(raw.id);
  if (!id) return skip("submission", raw, "the submission has no id");
  const student = str(obj(raw.recipient)?.userId);
  if (!student) return skip("submission", raw, "the submission names no student (recipient.userId)");
  const state = submissionState(raw);
  if (!state) return skip("submission", raw, raw.status ? `unknown submission status "${String(raw.status)}"` : "the submission has no status");
  const submitted = date(raw.submittedDateTime);
  const times = [raw.submittedDateTime, raw.unsubmittedDateTime, raw.releasedDateTime, raw.returnedDateTime, raw.reassignedDateTime, raw.excusedDateTime]
    .map(date)
    .filter((d): d is Date => d !== null);
  const updatedAt = times.length ? new Date(Math.max(...times.map((d) => d.getTime()))) : new Date(0);
  const late = Boolean(submitted && dueAt && state !== "new" && submitted.getTime() > dueAt.getTime());
  return { item: { externalId: id, courseworkId, studentExternalId: student, state, late, grade: pointsOf(raw.outcomes), updatedAt } };
}

/** The text posted with an item: the teacher's description, then the link back (so it is found again). */
export function bodyText(input: MaterialInput): string {
  return [input.description?.trim(), input.links[0]].filter(Boolean).join("\n\n");
}

export function assignmentBody(input: AssignmentInput): Raw {
  return {
    displayName: input.title,
    instructions: { contentType: "text", content: bodyText(input) },
    ...(input.dueAt ? { dueDateTime: input.dueAt.toISOString() } : {}),
    grading: input.maxPoints !== null ? { "@odata.type": "#microsoft.graph.educationAssignmentPointsGradeType", maxPoints: input.maxPoints } : null,
  };
}

/** A link resource for an assignment (not handed out as student work) or for a module. */
export function linkResource(url: string, title: string, on: "assignment" | "module"): Raw {
  const resource = { "@odata.type": "#microsoft.graph.educationLinkResource", displayName: title, link: url };
  return on === "assignment" ? { distributeForStudentWork: false, resource } : { resource };
}
