import { describe, expect, it } from "vitest";
import { csvColumn, detectSeparator, parseBirthDate, splitList } from "./csv-import.ts";

describe("detectSeparator", () => {
  it("reads the header line only", () => {
    expect(detectSeparator("name,email,role,class\nA;B;C;D;E;F,x,y,6A1:toan;7A2")).toBe(",");
    expect(detectSeparator("Họ và tên;Email;Vai trò;Lớp\r\nAn;a@b.vn;HS;6A1,7A2")).toBe(";");
    expect(detectSeparator("Họ và tên\tEmail\tVai trò\nAn, Bình\ta@b.vn\tHS")).toBe("\t");
  });

  it("skips blank lines before the header and ignores separators inside quotes", () => {
    expect(detectSeparator('\n  \n"Họ, tên";"Ghi chú, khác";Email\n')).toBe(";");
    expect(detectSeparator('"a ""x;y;z"" b",email\n')).toBe(",");
  });

  it("is a comma for a one-column header", () => {
    expect(detectSeparator("name\nAn\n")).toBe(",");
  });
});

describe("splitList", () => {
  it("splits on ; , and |, trims, drops blanks and repeats", () => {
    expect(splitList("6A1:toan;7A2")).toEqual(["6A1:toan", "7A2"]);
    expect(splitList(" 6A1:toan , 7A2 | 8A1 ;; 7A2 ")).toEqual(["6A1:toan", "7A2", "8A1"]);
    expect(splitList("")).toEqual([]);
    expect(splitList(undefined)).toEqual([]);
  });
});

describe("parseBirthDate", () => {
  const today = new Date("2026-01-15T00:00:00Z");
  it("reads dd/mm/yyyy, d/m/yyyy and yyyy-mm-dd", () => {
    expect(parseBirthDate("05/09/2013", today)).toBe("2013-09-05");
    expect(parseBirthDate("3/1/2012", today)).toBe("2012-01-03");
    expect(parseBirthDate("2013-11-20", today)).toBe("2013-11-20");
    expect(parseBirthDate("29/02/2012", today)).toBe("2012-02-29");
    expect(parseBirthDate("05-09-2013", today)).toBe("2013-09-05");
  });

  it("refuses what is not a real date of birth", () => {
    for (const bad of ["31/02/2013", "29/02/2013", "2013-13-01", "13/13/2013", "hôm qua", "2013", "05/09/13", "01/01/1899", "16/01/2026", "09/05/2013 00:00"]) {
      expect(parseBirthDate(bad, today), bad).toBeNull();
    }
  });
});

describe("csvColumn", () => {
  it("knows Vietnamese and English header names, with or without diacritics, in any case", () => {
    expect(csvColumn("Ngày sinh")).toBe("birthDate");
    expect(csvColumn("ngay sinh")).toBe("birthDate");
    expect(csvColumn("DOB")).toBe("birthDate");
    expect(csvColumn("birth_date")).toBe("birthDate");
    expect(csvColumn("Con")).toBe("children");
    expect(csvColumn("Học sinh")).toBe("children");
    expect(csvColumn("Số điện thoại".normalize("NFD"))).toBe("phone");
    expect(csvColumn(" Họ  và tên ")).toBe("name");
    expect(csvColumn("STT")).toBeNull();
    expect(csvColumn("Giới tính")).toBeNull();
  });
});
