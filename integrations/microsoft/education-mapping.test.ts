import { describe, expect, it } from "vitest";
import { assignmentBody, mapAssignment, mapClass, mapMember, mapSubmission, pointsOf, submissionState } from "./education-mapping.ts";

describe("Graph education records as course shapes", () => {
  it("skips what it cannot map, with the reason, instead of guessing", () => {
    expect(mapClass({ displayName: "x" })).toEqual({ skip: { kind: "course", externalId: "(no id)", reason: "the class has no id" } });
    expect(mapMember({ id: "u1", displayName: "A" })).toEqual({ skip: { kind: "user", externalId: "u1", reason: "the person has no role (primaryRole)" } });
    expect(mapAssignment({ id: "a2", displayName: "B", status: "assigned" })).toMatchObject({ item: { state: "published" } });
    expect(mapAssignment({ id: "a3", displayName: "C", status: "scheduled" })).toMatchObject({ item: { state: "draft" } });
    expect(mapAssignment({ id: "a1", displayName: "A", status: "archived" })).toEqual({ skip: { kind: "coursework", externalId: "a1", reason: 'unknown assignment status "archived"' } });
    expect(mapSubmission({ id: "s1", recipient: { userId: "u" }, status: "excused" }, "a1", null)).toMatchObject({ skip: { reason: 'unknown submission status "excused"' } });
  });

  it("names a person from given name and surname when there is no display name (Vietnamese order)", () => {
    expect(mapMember({ id: "u1", givenName: "An", surname: "Nguyễn Văn", primaryRole: "student" })).toEqual({ item: { externalId: "u1", role: "student", fullName: "Nguyễn Văn An" } });
    expect(mapMember({ id: "u2", displayName: "Lan", primaryRole: "student" }, "teacher")).toMatchObject({ item: { role: "teacher" } });
  });

  it("maps submission states: a work taken back is reclaimed, reassigned is returned", () => {
    expect(submissionState({ status: "working" })).toBe("new");
    expect(submissionState({ status: "working", unsubmittedDateTime: "2024-01-01T00:00:00Z" })).toBe("reclaimed");
    expect(submissionState({ status: "submitted" })).toBe("turned_in");
    expect(submissionState({ status: "released" })).toBe("returned");
    expect(submissionState({ status: "reassigned" })).toBe("returned");
    expect(submissionState({ status: "graded" })).toBeNull();
  });

  it("takes the published points first, else the teacher's, from a points outcome only", () => {
    expect(pointsOf([{ "@odata.type": "#microsoft.graph.educationFeedbackOutcome" }, { "@odata.type": "#microsoft.graph.educationPointsOutcome", points: { points: 7 }, publishedPoints: { points: 8 } }])).toBe(8);
    expect(pointsOf([{ "@odata.type": "#microsoft.graph.educationPointsOutcome", points: { points: 7 }, publishedPoints: null }])).toBe(7);
    expect(pointsOf([{ "@odata.type": "#microsoft.graph.educationRubricOutcome" }])).toBeNull();
    expect(pointsOf(undefined)).toBeNull();
  });

  it("is late only when turned in after the due time", () => {
    const due = new Date("2024-03-01T10:00:00Z");
    const s = (submitted: string, status = "submitted") => mapSubmission({ id: "s", recipient: { userId: "u" }, status, submittedDateTime: submitted }, "a", due);
    expect(s("2024-03-01T10:00:01Z")).toMatchObject({ item: { late: true } });
    expect(s("2024-03-01T09:59:59Z")).toMatchObject({ item: { late: false } });
    expect(s("2024-03-02T00:00:00Z", "working")).toMatchObject({ item: { late: false } });
  });

  it("writes an assignment with the link back as the last line, points grading or none", () => {
    const body = assignmentBody({ title: "T", description: "Làm bài", links: ["https://hub/a/1"], dueAt: new Date("2026-01-01T00:00:00Z"), maxPoints: null });
    expect(body).toEqual({ displayName: "T", instructions: { contentType: "text", content: "Làm bài\n\nhttps://hub/a/1" }, dueDateTime: "2026-01-01T00:00:00.000Z", grading: null });
  });
});
