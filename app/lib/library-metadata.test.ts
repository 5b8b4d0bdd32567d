import { describe, expect, it } from "vitest";
import { dedupeKey, deriveGrades, deriveLanguage, deriveLicence, deriveResource, deriveResourceType, deriveSubject, searchTextOf } from "./library-metadata.ts";

describe("deriveSubject", () => {
  it("reads Vietnamese with and without diacritics, and English", () => {
    expect(deriveSubject(["Toán"])).toBe("toan");
    expect(deriveSubject(["toan hoc"])).toBe("toan");
    expect(deriveSubject(["Mathematics"])).toBe("toan");
    expect(deriveSubject(["TOÁN HỌC"])).toBe("toan");
    expect(deriveSubject(["Ngữ văn"])).toBe("ngu-van");
    expect(deriveSubject(["ngu van 7"])).toBe("ngu-van");
    expect(deriveSubject(["Vật lý"])).toBe("vat-li");
    expect(deriveSubject(["Vat li"])).toBe("vat-li");
    expect(deriveSubject(["Physics"])).toBe("vat-li");
    expect(deriveSubject(["Hóa học"])).toBe("hoa-hoc");
    expect(deriveSubject(["Hoá học"])).toBe("hoa-hoc");
    expect(deriveSubject(["Chemistry"])).toBe("hoa-hoc");
    expect(deriveSubject(["Sinh học"])).toBe("sinh-hoc");
    expect(deriveSubject(["Tiếng Anh"])).toBe("tieng-anh");
    expect(deriveSubject(["English"])).toBe("tieng-anh");
    expect(deriveSubject(["Tiếng Việt"])).toBe("tieng-viet");
    expect(deriveSubject(["Lịch sử và Địa lí"])).toBe("lich-su-dia-li");
    expect(deriveSubject(["Lịch sử"])).toBe("lich-su");
    expect(deriveSubject(["Địa lý"])).toBe("dia-li");
    expect(deriveSubject(["Tin học"])).toBe("tin-hoc");
    expect(deriveSubject(["Computer science"])).toBe("tin-hoc");
    expect(deriveSubject(["Âm nhạc"])).toBe("am-nhac");
    expect(deriveSubject(["Mĩ thuật"])).toBe("mi-thuat");
    expect(deriveSubject(["Mỹ thuật"])).toBe("mi-thuat");
    expect(deriveSubject(["Giáo dục công dân"])).toBe("gdcd");
  });
  it("prefers the longer phrase: Khoa học tự nhiên is not Khoa học", () => {
    expect(deriveSubject(["Khoa học tự nhiên"])).toBe("khtn");
    expect(deriveSubject(["khoa hoc tu nhien 6"])).toBe("khtn");
    expect(deriveSubject(["Khoa học"])).toBe("khoa-hoc");
    expect(deriveSubject(["Tin học và Công nghệ"])).toBe("tin-hoc-cong-nghe");
  });
  it("falls back to keywords, then the title; null when nothing names a subject", () => {
    expect(deriveSubject(["Giáo dục"], ["đại số"])).toBe("toan");
    expect(deriveSubject([], [], "Bài giảng Toán lớp 6: Tập hợp")).toBe("toan");
    expect(deriveSubject(["neuromarketing"], [], "Kijken in het brein")).toBeNull();
    // "toan" inside another word is not Toán
    expect(deriveSubject(["an toàn giao thông"])).toBeNull();
  });
  it("takes the first subject that names one", () => {
    expect(deriveSubject(["Mathematics", "Physics"])).toBe("toan");
  });
});

describe("deriveGrades", () => {
  it("reads lớp/lop/Grade/khối with a number", () => {
    expect(deriveGrades(["lớp 6"])).toEqual([6]);
    expect(deriveGrades(["lop 6"])).toEqual([6]);
    expect(deriveGrades(["Grade 6"])).toEqual([6]);
    expect(deriveGrades(["khối 7"])).toEqual([7]);
    expect(deriveGrades(["Toán lớp 10"])).toEqual([10]);
    expect(deriveGrades(["Lớp 6A1"])).toEqual([6]);
    expect(deriveGrades(["lớp 6-9"])).toEqual([6, 7, 8, 9]);
    expect(deriveGrades(["lớp 6, 9"])).toEqual([6, 9]);
    expect(deriveGrades(["Grades", "grade 13", "lớp 0"])).toEqual([]);
  });
  it("reads levels: THCS 6–9, tiểu học 1–5, THPT 10–12", () => {
    expect(deriveGrades(["THCS"])).toEqual([6, 7, 8, 9]);
    expect(deriveGrades(["Tiểu học"])).toEqual([1, 2, 3, 4, 5]);
    expect(deriveGrades(["tieu hoc"])).toEqual([1, 2, 3, 4, 5]);
    expect(deriveGrades(["THPT"])).toEqual([10, 11, 12]);
    expect(deriveGrades(["Trung học phổ thông"])).toEqual([10, 11, 12]);
    expect(deriveGrades(["High school"])).toEqual([10, 11, 12]);
    expect(deriveGrades(["Toán THCS", "lớp 6"])).toEqual([6, 7, 8, 9]);
  });
});

describe("resource type, language, licence", () => {
  it("maps dc:type and LOM types", () => {
    expect(deriveResourceType(["Bài giảng"])).toBe("lesson");
    expect(deriveResourceType(["bai tap"])).toBe("exercise");
    expect(deriveResourceType(["Đề kiểm tra"])).toBe("test");
    expect(deriveResourceType(["MovingImage"])).toBe("video");
    expect(deriveResourceType(["Text"])).toBe("document");
    expect(deriveResourceType(["InteractiveResource"])).toBe("software");
    expect(deriveResourceType(["Other"])).toBe("other");
    expect(deriveResourceType([], "Video: Phép cộng")).toBe("video");
    expect(deriveResourceType([])).toBeNull();
  });
  it("normalises languages to vi/en", () => {
    expect(deriveLanguage(["vi"])).toBe("vi");
    expect(deriveLanguage(["vie"])).toBe("vi");
    expect(deriveLanguage(["vi-VN"])).toBe("vi");
    expect(deriveLanguage(["Tiếng Việt"])).toBe("vi");
    expect(deriveLanguage(["Vietnamese"])).toBe("vi");
    expect(deriveLanguage(["en"])).toBe("en");
    expect(deriveLanguage(["eng"])).toBe("en");
    expect(deriveLanguage(["en-US"])).toBe("en");
    expect(deriveLanguage(["English"])).toBe("en");
    expect(deriveLanguage(["fr"])).toBe("fr");
    expect(deriveLanguage(["other"])).toBeNull();
    expect(deriveLanguage([])).toBeNull();
  });
  it("reads Creative Commons URLs and names", () => {
    expect(deriveLicence(["http://creativecommons.org/licenses/by/4.0/"])).toBe("CC-BY-4.0");
    expect(deriveLicence(["https://creativecommons.org/licenses/by-sa/4.0/deed.vi"])).toBe("CC-BY-SA-4.0");
    expect(deriveLicence(["https://creativecommons.org/licenses/by-nc-nd/3.0/"])).toBe("CC-BY-NC-ND-3.0");
    expect(deriveLicence(["https://creativecommons.org/publicdomain/zero/1.0/"])).toBe("CC0-1.0");
    expect(deriveLicence(["CC BY-NC 4.0"])).toBe("CC-BY-NC-4.0");
    expect(deriveLicence(["Bản quyền thuộc về tác giả"])).toBeNull();
  });
});

describe("dedupe key and search text", () => {
  it("prefers the DOI, then the URL, then the identifier", () => {
    expect(dedupeKey({ doi: "10.1234/ABC", url: "https://x.vn/a", identifier: "oai:x:1" })).toBe("doi:10.1234/abc");
    expect(dedupeKey({ doi: "https://doi.org/10.1234/abc", identifier: "oai:x:1" })).toBe("doi:10.1234/abc");
    expect(dedupeKey({ url: "https://www.hoclieu.vn/bai/1/", identifier: "oai:x:1" })).toBe("url:hoclieu.vn/bai/1");
    expect(dedupeKey({ url: "http://hoclieu.vn/bai/1#top", identifier: "oai:y:9" })).toBe("url:hoclieu.vn/bai/1");
    expect(dedupeKey({ url: null, identifier: " oai:x:1 " })).toBe("oai:oai:x:1");
  });
  it("folds title, description, subjects, keywords and authors", () => {
    expect(searchTextOf({ title: "Phép cộng", description: "Đếm đến 10", subjects: ["Toán"], keywords: ["lớp 1"], authors: ["Nguyễn Văn An"] })).toBe("phep cong dem den 10 toan lop 1 nguyen van an");
  });
  it("derives a whole resource (NFD text arrives NFC)", () => {
    const r = deriveResource({
      identifier: "oai:x:1",
      title: "Bài giảng Toán lớp 6".normalize("NFD"),
      description: "",
      subjects: ["Toán học"],
      keywords: [],
      authors: ["Trần Thị Bình"],
      types: ["Bài giảng"],
      languages: ["vie"],
      rights: ["https://creativecommons.org/licenses/by/4.0/"],
      url: "https://hoclieu.vn/1",
      doi: null,
    });
    expect(r).toMatchObject({ title: "Bài giảng Toán lớp 6", subject: "toan", grades: [6], resourceType: "lesson", language: "vi", licence: "CC-BY-4.0", dedupeKey: "url:hoclieu.vn/1" });
  });
});
