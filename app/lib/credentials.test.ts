import { describe, expect, it } from "vitest";
import { credentialsCsv, csvDataUrl } from "./credentials.ts";

describe("credentials CSV", () => {
  const headings: [string, string, string, string] = ["Họ và tên", "Lớp", "Tên đăng nhập", "Mật khẩu tạm"];

  it("starts with a BOM, quotes what needs it, and keeps cells from being formulas", () => {
    const csv = credentialsCsv(
      [
        { fullName: 'Nguyễn Văn "Tý"', classNames: ["6A1", "7A2"], login: "an@truong.edu.vn", password: "abc23def45" },
        { fullName: "=HYPERLINK(1)", classNames: [], login: "0912 345 678", password: "-x" },
      ],
      headings,
    );
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv.slice(1).split("\r\n")).toEqual([
      "Họ và tên,Lớp,Tên đăng nhập,Mật khẩu tạm",
      '"Nguyễn Văn ""Tý""","6A1, 7A2",an@truong.edu.vn,abc23def45',
      "'=HYPERLINK(1),,0912 345 678,'-x",
      "",
    ]);
  });

  it("travels whole in a data: URL as UTF-8", () => {
    const url = csvDataUrl(credentialsCsv([{ fullName: "Đỗ Thị Hà", classNames: ["6A1"], login: "ha@x.vn", password: "p" }], headings));
    expect(url.startsWith("data:text/csv;charset=utf-8,%EF%BB%BF")).toBe(true);
    expect(decodeURIComponent(url.slice(url.indexOf(",") + 1))).toContain("Đỗ Thị Hà,6A1,ha@x.vn,p");
  });
});
