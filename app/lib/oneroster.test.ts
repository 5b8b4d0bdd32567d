import { describe, expect, it } from "vitest";
import {
  Row, formatRosterError, gradeOfName, isoDate, mapSubject, parseGrades, readClass, readHeader, readManifest, readUser, recordStartLine,
  sessionSchoolYear, splitIds, type RosterError,
} from "./oneroster.ts";

const USERS_11 = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password".split(",");

function row(header: string[], cells: string[], file = "users") {
  const errors: RosterError[] = [];
  const { header: h } = readHeader(file as "users", `${file}.csv`, header);
  return { row: new Row(h, cells, `${file}.csv`, 2, errors), errors };
}

describe("readManifest", () => {
  it("reads the version and each file's mode, tolerating 1 for 1.0 and blank values", () => {
    const { manifest, errors } = readManifest([
      { cells: ["propertyName", "value"], line: 1 },
      { cells: ["manifest.version", "1"], line: 2 },
      { cells: ["oneroster.version", "1.2"], line: 3 },
      { cells: ["file.users", "BULK"], line: 4 },
      { cells: ["file.scoreScales", ""], line: 5 },
    ]);
    expect(errors).toEqual([]);
    expect(manifest.version).toBe("1.2");
    expect(manifest.files.get("users")).toBe("bulk");
    expect(manifest.files.get("scoreScales")).toBe("absent");
  });
  it("refuses an unknown version with its line", () => {
    const { errors } = readManifest([{ cells: ["propertyName", "value"], line: 1 }, { cells: ["oneroster.version", "2.0"], line: 2 }]);
    expect(errors).toEqual([{ file: "manifest.csv", line: 2, column: 2, key: "manifestVersion", vars: { value: "2.0" } }]);
  });
});

describe("readHeader", () => {
  it("maps vendor names and typos, ignores trailing empty cells, reports duplicates and missing columns", () => {
    const { header, errors } = readHeader("roles", "roles.csv", ["sourcedId", "status", "dataLastModified", "userSourcedId", "roleType", "role", "orgSourcedId", "", ""]);
    expect(errors).toEqual([]);
    expect(header.at.get("dateLastModified")).toBe(2);
    expect(header.width).toBe(7);
    const bad = readHeader("classes", "classes.csv", ["sourcedId", "sourcedId", "schoolSourcedId"]);
    expect(bad.errors).toEqual([
      { file: "classes.csv", line: 1, column: 2, key: "duplicateColumn", vars: { column: "sourcedId" } },
      { file: "classes.csv", line: 1, column: 4, key: "missingColumn", vars: { column: "title" } },
    ]);
  });
});

describe("readUser", () => {
  it("writes the name family first in NFC, lower-cases the email, keeps a Vietnamese mobile as E.164", () => {
    const cells = ["u1", "", "", "TRUE", "o1", "Student", "an", "", "An".normalize("NFD"), "Nguyễn".normalize("NFD"), "Văn", "", "An@Truong.edu.vn", "0912 345 678", "", "p1,p2", "06", ""];
    const { row: r, errors } = row(USERS_11, cells);
    const u = readUser(r, "1.1");
    expect(errors).toEqual([]);
    expect(u).toMatchObject({ fullName: "Nguyễn Văn An", email: "an@truong.edu.vn", phone: "+84912345678", role: "student", agents: ["p1", "p2"], orgs: ["o1"] });
    expect(u.fullName).toBe(u.fullName.normalize("NFC"));
  });
  it("reports a bad email and an unknown role at their columns", () => {
    const cells = ["u1", "", "", "true", "o1", "pupil", "an", "", "An", "Nguyễn", "", "", "an@", "", "", "", "", ""];
    const { row: r, errors } = row(USERS_11, cells);
    readUser(r, "1.1");
    expect(errors.map((e) => [e.column, e.key])).toEqual([[13, "badEmail"], [6, "badEnum"]]);
  });
});

describe("classes", () => {
  const header = "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods".split(",");
  it("names a class by its code, takes the grade and the subject, and the school year from its term", () => {
    const { row: r, errors } = row(header, ["c1", "", "", "Toán 6A1", "06", "k1", "6A1", "Scheduled", "", "s", "hk1,hk2", "", "", ""], "classes");
    const c = readClass(r, new Map([["k1", { sourcedId: "k1", title: "Toán 6", grades: "06", subjects: "Toán", subjectCodes: "", schoolYear: "" }]]),
      new Map([["hk1", { sourcedId: "hk1", parent: "", schoolYear: 2026 }]]));
    expect(errors).toEqual([]);
    expect(c).toMatchObject({ name: "6A1", grade: 6, subject: "toan", schoolYear: "2025-2026", terms: ["hk1", "hk2"] });
  });
});

describe("helpers", () => {
  it("maps subjects from codes, Vietnamese and English words, by grade", () => {
    expect(mapSubject(["khtn"])).toBe("khtn");
    expect(mapSubject(["", "Ngữ văn 6"])).toBe("ngu-van");
    expect(mapSubject(["Introduction to Physics"])).toBe("vat-li");
    expect(mapSubject(["History - 2"], 7)).toBe("lich-su-dia-li");
    expect(mapSubject(["History - 2"], 10)).toBe("lich-su");
    expect(mapSubject(["Science"], 7)).toBe("khtn");
    expect(mapSubject(["Crime Fighting 101"])).toBe("crime-fighting-101");
    expect(mapSubject([""])).toBe("khac");
  });
  it("reads grades, dates, lists and school years", () => {
    expect(parseGrades("09,10,11")).toEqual([9, 10, 11]);
    expect(parseGrades("KG,PK")).toEqual([]);
    expect(gradeOfName("10A3")).toBe(10);
    expect(gradeOfName("Introduction")).toBeUndefined();
    expect(isoDate("2014-02-30")).toBeNull();
    expect(isoDate("2014-02-28")).toBe("2014-02-28");
    expect(splitIds(" a, b ,a,,")).toEqual(["a", "b"]);
    expect(sessionSchoolYear({ sourcedId: "x", parent: "", endDate: "2026-05-31" })).toBe("2025-2026");
  });
  it("counts a record's lines from where it starts (quoted line breaks, skipped blank lines)", () => {
    expect(recordStartLine(3, '1,"x\ny"\n')).toBe(2);
    expect(recordStartLine(5, "\n3,4\n")).toBe(5);
  });
  it("formats an error as file:line:column: reason, without numbers for a whole file", () => {
    const msg = (key: string, vars: Record<string, string | number>) => `${key}(${Object.values(vars).join(",")})`;
    expect(formatRosterError({ file: "users.csv", line: 4, column: 13, key: "badEmail", vars: { value: "x" } }, msg)).toBe("users.csv:4:13: roster.badEmail(x)");
    expect(formatRosterError({ file: "a.zip", line: 0, column: 0, key: "zipBad", vars: { detail: "d" } }, msg)).toBe("a.zip: roster.zipBad(d)");
  });
});
