import { describe, expect, it } from "vitest";
import { MAX_FILES, MAX_FILE_BYTES, checkFiles, filesFrom } from "./files.server.ts";

/**
 * How an iPhone photo (HEIC) begins: an ISO BMFF `ftyp` box (36 bytes: major brand heic, compatible
 * brands mif1 MiPr miaf MiHB heic), then the `meta` box with its `hdlr` of type `pict`.
 */
const IPHONE_HEIC = [
  ...[0, 0, 0, 0x24], ...Buffer.from("ftypheic"), 0, 0, 0, 0, ...Buffer.from("mif1MiPrmiafMiHBheic"),
  ...[0, 0, 0x0d, 0x8a], ...Buffer.from("meta"), 0, 0, 0, 0,
  ...[0, 0, 0, 0x22], ...Buffer.from("hdlr"), 0, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from("pict"),
];
/** A HEIF still image as other phones and cameras write it: major brand mif1, compatible heic. */
const HEIF = [0, 0, 0, 0x18, ...Buffer.from("ftypmif1"), 0, 0, 0, 0, ...Buffer.from("mif1heic"), 0, 0, 0, 0x10, ...Buffer.from("meta")];

/** How a real file of each type begins. */
const HEADS: Record<string, number[]> = {
  "application/pdf": [...Buffer.from("%PDF-1.7\n")],
  "image/png": [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  "image/jpeg": [0xff, 0xd8, 0xff, 0xe0],
  "image/webp": [...Buffer.from("RIFF"), 0x24, 0, 0, 0, ...Buffer.from("WEBPVP8 ")],
  "text/plain": [...Buffer.from("Bài tập về nhà\n")],
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [0x50, 0x4b, 0x03, 0x04],
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": [0x50, 0x4b, 0x03, 0x04],
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [0x50, 0x4b, 0x03, 0x04],
  "application/msword": [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
  "audio/mpeg": [...Buffer.from("ID3"), 4, 0],
  "video/mp4": [0, 0, 0, 0x20, ...Buffer.from("ftypisom")],
  "image/heic": IPHONE_HEIC,
  "image/heif": HEIF,
};

/** A file whose contents start the way its type's do (padded with spaces to `size`). */
const file = (name: string, type: string, size = 16) => {
  const bytes = new Uint8Array(size).fill(0x20);
  bytes.set((HEADS[type.split(";")[0]] ?? []).slice(0, size));
  return new File([bytes], name, { type });
};
const withContents = (name: string, type: string, contents: string | number[]) =>
  new File([typeof contents === "string" ? Buffer.from(contents, "latin1") : new Uint8Array(contents)], name, { type });

describe("checkFiles", () => {
  it("accepts the documented types when the extension agrees", async () => {
    const ok = [
      file("bai-tap.pdf", "application/pdf"),
      file("Bài 1.DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
      file("slide.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
      file("anh.jpeg", "image/jpeg"),
      file("ghi-chu.txt", "text/plain; charset=utf-8"),
    ];
    expect(await checkFiles(ok)).toBeNull();
    expect(await checkFiles([])).toBeNull();
    const office = [file("so-diem.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), file("giao-an.doc", "application/msword")];
    expect(await checkFiles([...office, file("anh.webp", "image/webp")])).toBeNull();
    expect(await checkFiles([file("bai-hat.mp3", "audio/mpeg"), file("video.mp4", "video/mp4"), file("hinh.PNG", "image/png")])).toBeNull();
  });

  it("refuses a type that is not on the list", async () => {
    expect(await checkFiles([file("trang.html", "text/html")])).toEqual({ file: "trang.html", reason: "type_not_allowed" });
    expect(await checkFiles([file("hinh.svg", "image/svg+xml")])).toEqual({ file: "hinh.svg", reason: "type_not_allowed" });
    expect(await checkFiles([file("chay.exe", "application/octet-stream")])).toEqual({ file: "chay.exe", reason: "type_not_allowed" });
    expect(await checkFiles([file("khong-ro", "")])).toEqual({ file: "khong-ro", reason: "type_not_allowed" });
  });

  it("refuses an extension that does not match the declared type", async () => {
    expect(await checkFiles([file("trang.html", "application/pdf")])).toEqual({ file: "trang.html", reason: "type_not_allowed" });
    expect(await checkFiles([file("bai.pdf.html", "application/pdf")])).toEqual({ file: "bai.pdf.html", reason: "type_not_allowed" });
    expect(await checkFiles([file("bai.pdf", "image/png")])).toEqual({ file: "bai.pdf", reason: "type_not_allowed" });
  });

  it("refuses a file above 10 MB and accepts one of exactly 10 MB", async () => {
    expect(MAX_FILE_BYTES).toBe(10 * 1024 * 1024);
    expect(await checkFiles([file("lon.pdf", "application/pdf", MAX_FILE_BYTES)])).toBeNull();
    expect(await checkFiles([file("qua-lon.pdf", "application/pdf", MAX_FILE_BYTES + 1)])).toEqual({ file: "qua-lon.pdf", reason: "too_large" });
  });

  it("refuses more than 5 files", async () => {
    expect(MAX_FILES).toBe(5);
    const five = Array.from({ length: 5 }, (_, i) => file(`${i}.pdf`, "application/pdf"));
    expect(await checkFiles(five)).toBeNull();
    expect(await checkFiles([...five, file("6.pdf", "application/pdf")])).toEqual({ file: "", reason: "too_many" });
  });

  it("refuses contents that are not what the type and name say", async () => {
    const mismatch = (name: string) => ({ file: name, reason: "content_mismatch" });
    expect(await checkFiles([withContents("bai-giang.pdf", "application/pdf", "MZ\x90\x00\x03\x00\x00\x00")])).toEqual(mismatch("bai-giang.pdf"));
    expect(await checkFiles([withContents("anh.png", "image/png", "<html><script>alert(1)</script>")])).toEqual(mismatch("anh.png"));
    expect(await checkFiles([withContents("anh.jpg", "image/jpeg", [0x89, 0x50, 0x4e, 0x47])])).toEqual(mismatch("anh.jpg"));
    expect(await checkFiles([withContents("bai.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "%PDF-1.4")])).toEqual(
      mismatch("bai.docx"),
    );
    expect(await checkFiles([withContents("ghi-chu.txt", "text/plain", [0x4d, 0x5a, 0x00, 0x00])])).toEqual(mismatch("ghi-chu.txt"));
    expect(await checkFiles([withContents("video.mp4", "video/mp4", "not a video at all")])).toEqual(mismatch("video.mp4"));
    // An MP3 may start straight with an audio frame instead of an ID3 tag.
    expect(await checkFiles([withContents("bai-hat.mp3", "audio/mpeg", [0xff, 0xfb, 0x90, 0x44, 0, 0])])).toBeNull();
  });

  it("checks every file's contents, and only after the cheap checks passed for all", async () => {
    const good = file("tot.pdf", "application/pdf");
    const fake = withContents("gia.pdf", "application/pdf", "MZ");
    expect(await checkFiles([good, fake])).toEqual({ file: "gia.pdf", reason: "content_mismatch" });
    expect(await checkFiles([fake, file("c.html", "text/html")])).toEqual({ file: "c.html", reason: "type_not_allowed" });
  });

  it("reports the first bad file", async () => {
    expect(await checkFiles([file("a.pdf", "application/pdf"), file("b.exe", "application/x-msdownload"), file("c.html", "text/html")])).toEqual({
      file: "b.exe",
      reason: "type_not_allowed",
    });
  });
});

describe("checkFiles with iPhone photos (HEIC/HEIF)", () => {
  it("accepts HEIC and HEIF photos by their ftyp box, whatever their name's case", async () => {
    expect(await checkFiles([file("IMG_0001.HEIC", "image/heic", 64), file("anh-lop.heif", "image/heif", 64)])).toBeNull();
    // Samsung and others: major brand mif1 with heic among the compatible brands, named .heic.
    expect(await checkFiles([withContents("anh.heic", "image/heic", HEIF)])).toBeNull();
    for (const brand of ["heix", "hevc", "hevx", "heim", "heis", "msf1"]) {
      const head = [0, 0, 0, 0x10, ...Buffer.from(`ftyp${brand}`), 0, 0, 0, 0];
      expect(await checkFiles([withContents(`anh-${brand}.heif`, "image/heif", head)]), brand).toBeNull();
    }
  });

  it("accepts a HEIC photo whatever HEIF type the browser declares, or none (browsers that do not know the type)", async () => {
    for (const declared of ["image/heif", "image/heic-sequence", "application/octet-stream", ""]) {
      expect(await checkFiles([withContents("IMG_0002.HEIC", declared, IPHONE_HEIC)]), declared).toBeNull();
    }
    expect(await checkFiles([withContents("anh.heif", "image/heic", HEIF)])).toBeNull();
    // Only for these names: another file declared without a type is still refused.
    expect(await checkFiles([withContents("anh.jpg", "", [0xff, 0xd8, 0xff, 0xe0])])).toEqual({ file: "anh.jpg", reason: "type_not_allowed" });
    expect(await checkFiles([withContents("anh.heic", "image/jpeg", IPHONE_HEIC)])).toEqual({ file: "anh.heic", reason: "type_not_allowed" });
  });

  it("refuses a .heic or .heif whose contents are not a HEIF image", async () => {
    const mismatch = (name: string) => ({ file: name, reason: "content_mismatch" });
    // An MP4 video is an ISO BMFF file too, but none of its brands is an image's.
    const mp4 = [0, 0, 0, 0x20, ...Buffer.from("ftypisom"), 0, 0, 2, 0, ...Buffer.from("isomiso2avc1mp41")];
    expect(await checkFiles([withContents("video.heic", "image/heic", mp4)])).toEqual(mismatch("video.heic"));
    expect(await checkFiles([withContents("anh.heic", "image/heic", [0xff, 0xd8, 0xff, 0xe0])])).toEqual(mismatch("anh.heic"));
    expect(await checkFiles([withContents("trang.heif", "image/heif", "<html><script>alert(1)</script>")])).toEqual(mismatch("trang.heif"));
    // "heic" after the ftyp box, not among its brands.
    const outside = [0, 0, 0, 0x10, ...Buffer.from("ftypisom"), 0, 0, 0, 0, ...Buffer.from("heic")];
    expect(await checkFiles([withContents("ngoai.heic", "image/heic", outside)])).toEqual(mismatch("ngoai.heic"));
  });

  it("still accepts WebP photos", async () => {
    expect(await checkFiles([file("anh.WEBP", "image/webp")])).toBeNull();
    expect(await checkFiles([withContents("anh.webp", "image/webp", "RIFF\x24\x00\x00\x00WAVEfmt ")])).toEqual({ file: "anh.webp", reason: "content_mismatch" });
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

describe("canonicalType", () => {
  it("is the listed type for a listed extension, whatever its case, and nothing otherwise", async () => {
    const { canonicalType } = await import("./files.server.ts");
    expect(canonicalType("Bài 1.PDF")).toBe("application/pdf");
    expect(canonicalType("anh.jpeg")).toBe("image/jpeg");
    expect(canonicalType("ghi-chu.txt")).toBe("text/plain");
    expect(canonicalType("IMG_0001.HEIC")).toBe("image/heic");
    expect(canonicalType("anh.heif")).toBe("image/heif");
    expect(canonicalType("anh.webp")).toBe("image/webp");
    expect(canonicalType("bai.pdf.html")).toBeNull();
    expect(canonicalType("tro-choi.js")).toBeNull();
    expect(canonicalType("khong-co-duoi")).toBeNull();
  });
});
