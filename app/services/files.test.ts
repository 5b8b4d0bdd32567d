import { describe, expect, it } from "vitest";
import { MAX_FILES, MAX_FILE_BYTES, checkFiles, filesFrom } from "./files.server.ts";

const file = (name: string, type: string, size = 10) => new File([new Uint8Array(size)], name, { type });

describe("checkFiles", () => {
  it("accepts the documented types when the extension agrees", () => {
    const ok = [
      file("bai-tap.pdf", "application/pdf"),
      file("Bài 1.DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
      file("slide.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
      file("anh.jpeg", "image/jpeg"),
      file("ghi-chu.txt", "text/plain; charset=utf-8"),
    ];
    expect(checkFiles(ok)).toBeNull();
    expect(checkFiles([])).toBeNull();
    expect(checkFiles([file("bai-hat.mp3", "audio/mpeg"), file("video.mp4", "video/mp4"), file("hinh.PNG", "image/png")])).toBeNull();
  });

  it("refuses a type that is not on the list", () => {
    expect(checkFiles([file("trang.html", "text/html")])).toEqual({ file: "trang.html", reason: "type_not_allowed" });
    expect(checkFiles([file("hinh.svg", "image/svg+xml")])).toEqual({ file: "hinh.svg", reason: "type_not_allowed" });
    expect(checkFiles([file("chay.exe", "application/octet-stream")])).toEqual({ file: "chay.exe", reason: "type_not_allowed" });
    expect(checkFiles([file("khong-ro", "")])).toEqual({ file: "khong-ro", reason: "type_not_allowed" });
  });

  it("refuses an extension that does not match the declared type", () => {
    expect(checkFiles([file("trang.html", "application/pdf")])).toEqual({ file: "trang.html", reason: "type_not_allowed" });
    expect(checkFiles([file("bai.pdf.html", "application/pdf")])).toEqual({ file: "bai.pdf.html", reason: "type_not_allowed" });
    expect(checkFiles([file("bai.pdf", "image/png")])).toEqual({ file: "bai.pdf", reason: "type_not_allowed" });
  });

  it("refuses a file above 10 MB and accepts one of exactly 10 MB", () => {
    expect(MAX_FILE_BYTES).toBe(10 * 1024 * 1024);
    expect(checkFiles([file("lon.pdf", "application/pdf", MAX_FILE_BYTES)])).toBeNull();
    expect(checkFiles([file("qua-lon.pdf", "application/pdf", MAX_FILE_BYTES + 1)])).toEqual({ file: "qua-lon.pdf", reason: "too_large" });
  });

  it("refuses more than 5 files", () => {
    expect(MAX_FILES).toBe(5);
    const five = Array.from({ length: 5 }, (_, i) => file(`${i}.pdf`, "application/pdf"));
    expect(checkFiles(five)).toBeNull();
    expect(checkFiles([...five, file("6.pdf", "application/pdf")])).toEqual({ file: "", reason: "too_many" });
  });

  it("reports the first bad file", () => {
    expect(checkFiles([file("a.pdf", "application/pdf"), file("b.exe", "application/x-msdownload"), file("c.html", "text/html")])).toEqual({
      file: "b.exe",
      reason: "type_not_allowed",
    });
  });
});

describe("filesFrom", () => {
  it("returns the non-empty files of a field, ignoring the empty part browsers send and text values", () => {
    const form = new FormData();
    form.append("files", new File([], "", { type: "application/octet-stream" }));
    form.append("files", file("a.pdf", "application/pdf"));
    form.append("files", "not a file");
    form.append("other", file("b.pdf", "application/pdf"));
    const files = filesFrom(form, "files");
    expect(files.map((f) => f.name)).toEqual(["a.pdf"]);
    expect(filesFrom(form, "missing")).toEqual([]);
  });
});
