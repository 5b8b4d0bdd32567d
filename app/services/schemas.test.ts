/** The zod schemas at the form boundary: what they accept, how they normalise, which error key they give. */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { AssignmentSchema } from "./assignments.server.ts";
import { ClassSchema, GroupSchema, JoinSchema, generateJoinCode } from "./classes.server.ts";
import { LinkSchema } from "./families.server.ts";
import { LessonSchema } from "./lessons.server.ts";
import { zodErrors } from "./result.ts";
import { NewUserSchema, isUniqueViolation } from "./users.server.ts";
import { normalizeIdentifier } from "./sign-in.server.ts";

/** The field errors a schema gives for an input, as the pages show them. */
function errorsOf(schema: z.ZodType, input: unknown) {
  const r = schema.safeParse(input);
  return r.success ? {} : zodErrors(r.error.issues);
}

describe("ClassSchema", () => {
  const base = { name: "6A1", grade: "6", subject: "toan", schoolYear: "2026-2027", teacherId: "" };

  it("accepts a class and normalises its name", () => {
    const r = ClassSchema.safeParse({ ...base, name: " 6a1 " });
    expect(r.success).toBe(true);
    expect(r.data).toMatchObject({ name: "6A1", grade: 6, subject: "toan", schoolYear: "2026-2027", teacherId: undefined });
    expect(ClassSchema.safeParse({ ...base, name: "10a3", grade: "10", subject: "vat-li" }).data?.name).toBe("10A3");
    expect(ClassSchema.safeParse({ ...base, name: "1A", grade: "1", subject: "tieng-viet" }).success).toBe(true);
    expect(ClassSchema.safeParse({ ...base, name: "12A10", grade: "12", subject: "hoa-hoc" }).success).toBe(true);
  });

  it("rejects names that do not start with a grade", () => {
    expect(errorsOf(ClassSchema, { ...base, name: "A1" })).toMatchObject({ name: "errors.class_name_invalid" });
    expect(errorsOf(ClassSchema, { ...base, name: "6" })).toMatchObject({ name: "errors.class_name_invalid" });
    expect(errorsOf(ClassSchema, { ...base, name: "6A1<script>" })).toMatchObject({ name: "errors.class_name_invalid" });
  });

  it("requires the name to start with the selected grade, and only that grade", () => {
    expect(errorsOf(ClassSchema, { ...base, name: "7A1" })).toEqual({ name: "errors.class_name_grade" });
    // "10A1", "11B2" and "12C" are not grade-1 classes although they start with the digit 1.
    for (const name of ["10A1", "11B2", "12C"]) {
      expect(errorsOf(ClassSchema, { ...base, name, grade: "1", subject: "tieng-viet" }), name).toEqual({ name: "errors.class_name_grade" });
    }
    expect(errorsOf(ClassSchema, { ...base, name: "1A", grade: "10", subject: "toan" })).toEqual({ name: "errors.class_name_grade" });
  });

  it("checks the grade range, the subject against the grade, and the school year", () => {
    expect(errorsOf(ClassSchema, { ...base, name: "13A", grade: "13" })).toMatchObject({ grade: "errors.grade_invalid" });
    expect(errorsOf(ClassSchema, { ...base, grade: "abc" })).toMatchObject({ grade: "errors.grade_invalid" });
    expect(errorsOf(ClassSchema, { ...base, subject: "" })).toMatchObject({ subject: "errors.subject_required" });
    expect(errorsOf(ClassSchema, { ...base, subject: "tieng-viet" })).toEqual({ subject: "errors.subject_not_for_grade" });
    expect(errorsOf(ClassSchema, { ...base, schoolYear: "2026-2028" })).toEqual({ schoolYear: "errors.school_year_invalid" });
    expect(errorsOf(ClassSchema, { ...base, schoolYear: "2026" })).toMatchObject({ schoolYear: "errors.school_year_invalid" });
    expect(errorsOf(ClassSchema, { ...base, teacherId: "not-a-uuid" })).toMatchObject({ teacherId: "errors.invalid" });
  });
});

describe("GroupSchema", () => {
  const base = { name: "6A1", grade: "6", schoolYear: "2026-2027" };
  it("normalises the name as a class's and needs no subject", () => {
    expect(GroupSchema.parse({ ...base, name: " 6a1 " })).toEqual({ name: "6A1", grade: 6, schoolYear: "2026-2027" });
    expect(GroupSchema.parse({ ...base, name: "10a3", grade: "10" }).name).toBe("10A3");
  });
  it("gives the class form's errors for the same mistakes", () => {
    expect(errorsOf(GroupSchema, { ...base, name: "7A1" })).toEqual({ name: "errors.class_name_grade" });
    expect(errorsOf(GroupSchema, { ...base, name: "A1" })).toMatchObject({ name: "errors.class_name_invalid" });
    expect(errorsOf(GroupSchema, { ...base, grade: "13", name: "13A" })).toMatchObject({ grade: "errors.grade_invalid" });
    expect(errorsOf(GroupSchema, { ...base, schoolYear: "2026-2028" })).toEqual({ schoolYear: "errors.school_year_invalid" });
  });
});

describe("JoinSchema / generateJoinCode", () => {
  it("normalises what a student types", () => {
    expect(JoinSchema.parse({ code: " k7m2-qxp " }).code).toBe("K7M2QXP");
    expect(JoinSchema.parse({ code: "K7M 2QX P" }).code).toBe("K7M2QXP");
  });
  it("rejects codes of the wrong shape", () => {
    for (const code of ["", "K7M", "K7M2QXPK7M2", "K7M2QX!", "Đ7M2QXP"]) {
      expect(errorsOf(JoinSchema, { code }), code).toEqual({ code: "errors.join_code_invalid" });
    }
  });
  it("generates 7-character codes without look-alike characters, which JoinSchema accepts", () => {
    const codes = Array.from({ length: 300 }, generateJoinCode);
    for (const code of codes) {
      expect(code).toMatch(/^[A-HJ-NP-Z2-9]{7}$/);
      expect(JoinSchema.parse({ code: code.toLowerCase() }).code).toBe(code);
    }
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe("LinkSchema (parent codes)", () => {
  it("accepts the code with or without its prefix, in any case", () => {
    for (const code of ["PH-7KM2QXPA", "ph-7km2qxpa", " PH-7KM2 QXPA ", "PH7KM2QXPA", "7KM2QXPA"]) {
      expect(LinkSchema.parse({ code }).code, code).toBe("PH-7KM2QXPA");
    }
  });
  it("accepts the 10-character codes issued now, with or without the prefix and spaces", () => {
    for (const code of ["PH-7KM2QXPA9Z", "ph-7km2q xpa9z", "PH7KM2QXPA9Z", "7KM2QXPA9Z"]) {
      expect(LinkSchema.parse({ code }).code, code).toBe("PH-7KM2QXPA9Z");
    }
  });
  it("rejects other shapes", () => {
    for (const code of ["", "PH-", "PH-7KM2QXP", "PH-7KM2QXPAB", "XX-7KM2QXPA9", "PH-7KM2QXPA9ZZ", "PH-7KM2QXP!"]) {
      expect(errorsOf(LinkSchema, { code }), code).toEqual({ code: "errors.link_code_invalid" });
    }
  });
});

describe("NewUserSchema", () => {
  const base = { fullName: "Nguyễn Văn An", email: "", phone: "0912 345 678", role: "student" };

  it("normalises name, email and phone", () => {
    const r = NewUserSchema.parse({ ...base, fullName: "  Nguye\u0302\u0303n  Văn An ", email: " An.Nguyen@Example.EDU.vn " });
    expect(r.fullName).toBe("Nguyễn Văn An");
    expect(r.email).toBe("an.nguyen@example.edu.vn");
    expect(r.phone).toBe("+84912345678");
  });

  it("needs an email or a phone", () => {
    expect(errorsOf(NewUserSchema, { ...base, phone: "" })).toEqual({ email: "errors.email_or_phone" });
    expect(NewUserSchema.safeParse({ ...base, phone: "", email: "a@b.vn" }).success).toBe(true);
  });

  it("names what is wrong", () => {
    expect(errorsOf(NewUserSchema, { ...base, phone: "024 3826 1234" })).toEqual({ phone: "errors.phone_invalid" });
    expect(errorsOf(NewUserSchema, { ...base, email: "not-an-email" })).toEqual({ email: "errors.email_invalid" });
    expect(errorsOf(NewUserSchema, { ...base, fullName: " A " })).toEqual({ fullName: "errors.name_required" });
    expect(errorsOf(NewUserSchema, { ...base, fullName: "A".repeat(121) })).toEqual({ fullName: "errors.name_too_long" });
    expect(errorsOf(NewUserSchema, { ...base, role: "school_admin" })).toEqual({ role: "errors.role_invalid" });
    // The hub makes the temporary password: what a form posts as one is not taken.
    expect(NewUserSchema.parse({ ...base, password: "short" })).not.toHaveProperty("password");
  });
});

describe("normalizeIdentifier / isUniqueViolation", () => {
  it("turns what a person types into the stored email or phone", () => {
    expect(normalizeIdentifier(" Co.Lan@THCS-demo.edu.vn ")).toEqual({ email: "co.lan@thcs-demo.edu.vn" });
    expect(normalizeIdentifier("0912 345 678")).toEqual({ phone: "+84912345678" });
    expect(normalizeIdentifier("+84 912 345 678")).toEqual({ phone: "+84912345678" });
    expect(normalizeIdentifier("nguyenvanan")).toBeNull();
    expect(normalizeIdentifier("024 3826 1234")).toBeNull();
  });
  it("recognises PostgreSQL's unique_violation, also when wrapped", () => {
    expect(isUniqueViolation({ code: "23505" })).toBe(true);
    expect(isUniqueViolation({ cause: { code: "23505" } })).toBe(true);
    expect(isUniqueViolation({ code: "23503" })).toBe(false);
    expect(isUniqueViolation(new Error("x"))).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
  });
});

describe("AssignmentSchema", () => {
  const base = { title: "Bài tập phân số", instructionsMd: "", dueAt: "2026-11-30T17:00", scale: "ten_point", maxPoints: "" };

  it("reads the due time as Vietnamese time", () => {
    const r = AssignmentSchema.parse(base);
    expect(r.dueAt.toISOString()).toBe("2026-11-30T10:00:00.000Z");
    expect(r.scale).toBe("ten_point");
    expect(r.maxPoints).toBeUndefined();
  });
  it("names what is wrong", () => {
    expect(errorsOf(AssignmentSchema, { ...base, title: "ab" })).toEqual({ title: "errors.title_short" });
    expect(errorsOf(AssignmentSchema, { ...base, dueAt: "30/11/2026" })).toEqual({ dueAt: "errors.due_invalid" });
    expect(errorsOf(AssignmentSchema, { ...base, scale: "percent" })).toEqual({ scale: "errors.scale_invalid" });
    expect(errorsOf(AssignmentSchema, { ...base, scale: "points" })).toEqual({ maxPoints: "errors.max_points_required" });
    expect(errorsOf(AssignmentSchema, { ...base, scale: "points", maxPoints: "0" })).toEqual({ maxPoints: "errors.max_points_invalid" });
    expect(errorsOf(AssignmentSchema, { ...base, scale: "points", maxPoints: "1001" })).toEqual({ maxPoints: "errors.max_points_invalid" });
    expect(errorsOf(AssignmentSchema, { ...base, scale: "points", maxPoints: "abc" })).toEqual({ maxPoints: "errors.max_points_invalid" });
    // numeric(7, 2) would store 0.001 as 0.00 and 12.345 as 12.35.
    expect(errorsOf(AssignmentSchema, { ...base, scale: "points", maxPoints: "0.001" })).toEqual({ maxPoints: "errors.max_points_decimals" });
    expect(errorsOf(AssignmentSchema, { ...base, scale: "points", maxPoints: "12.345" })).toEqual({ maxPoints: "errors.max_points_decimals" });
  });
  it("accepts a points scale with its maximum", () => {
    expect(AssignmentSchema.parse({ ...base, scale: "points", maxPoints: "50" }).maxPoints).toBe(50);
    expect(AssignmentSchema.parse({ ...base, scale: "points", maxPoints: "0.01" }).maxPoints).toBe(0.01);
    expect(AssignmentSchema.parse({ ...base, scale: "points", maxPoints: "12.25" }).maxPoints).toBe(12.25);
  });
});

describe("LessonSchema", () => {
  it("normalises the title and body to NFC", () => {
    const r = LessonSchema.parse({ title: " Bài  1: Pha\u0302n số ", bodyMd: "Pha\u0302n số" });
    expect(r.title).toBe("Bài 1: Phân số");
    expect(r.bodyMd).toBe("Phân số");
    expect(r.intent).toBe("draft");
  });
  it("limits the title", () => {
    expect(errorsOf(LessonSchema, { title: "ab", bodyMd: "" })).toEqual({ title: "errors.title_short" });
    expect(errorsOf(LessonSchema, { title: "x".repeat(201), bodyMd: "" })).toEqual({ title: "errors.title_long" });
  });
});

describe("zodErrors", () => {
  it("keeps the first error per field and maps foreign messages to errors.invalid", () => {
    expect(
      zodErrors([
        { path: ["email"], message: "errors.email_invalid" },
        { path: ["email"], message: "errors.email_taken" },
        { path: ["phone"], message: "Invalid input" },
        { path: [], message: "errors.email_or_phone" },
      ]),
    ).toEqual({ email: "errors.email_invalid", phone: "errors.invalid", form: "errors.email_or_phone" });
  });
});
