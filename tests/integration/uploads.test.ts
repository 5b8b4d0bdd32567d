/**
 * Files: lesson attachments and submitted work. Disallowed types and oversized files are refused
 * beside the file field with nothing stored (no row, no file under DATA_DIR/uploads); an allowed
 * file is served only to those who may see what it is attached to.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments, attachments, classes, lessons, submissions, users } from "../../db/schema/index.ts";
import { expectConsoleErrors } from "../support/fail-on-console-error.ts";
import { firstId } from "../support/db.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { htmlText } from "../support/html.ts";

let hub: Hub;
const ids: Record<string, string> = {};
const c: Record<string, Client> = {};

const LOGINS = {
  lan: "lan.nt@nguyendu.lopso.demo", // teaches Toán 6A1
  minh: "minh.tv@nguyendu.lopso.demo", // teaches Ngữ văn 6A1
  an: "an.nv@nguyendu.lopso.demo", // Toán 6A1 and Ngữ văn 6A1
  binh: "binh.tt@nguyendu.lopso.demo", // An's classmate
  dung: "dung.pm@nguyendu.lopso.demo", // Ngữ văn 6A1 only
  khoa: "khoa.bd@nguyendu.lopso.demo", // KHTN 7A2 only
  hung: "0912345678", // An's father
  thu: "0987654321", // Dũng's mother
};

const MB = 1024 * 1024;
const PDF = new TextEncoder().encode("%PDF-1.4\n% Lớp Số test file\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

function uploadsDir() {
  return path.join(hub.dataDir, "uploads");
}

/** Every file under DATA_DIR/uploads, by storage key. */
function storedKeys(): string[] {
  const dir = uploadsDir();
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name).sort();
}

async function rowCounts() {
  const [r] = await hub.database.query<{ l: number; a: number; s: number; e: number }>(
    "select (select count(*)::int from lessons) as l, (select count(*)::int from attachments) as a, (select count(*)::int from submissions) as s, (select count(*)::int from events) as e",
  );
  return r;
}

/** Files on disk and attachment rows name each other exactly: nothing orphaned either way. */
async function expectDiskMatchesRows() {
  const keys = (await hub.database.query<{ storage_key: string }>("select storage_key from attachments")).map((r) => r.storage_key).sort();
  expect(storedKeys()).toEqual(keys);
}


function fileFieldError(html: string): string | null {
  const tag = /<input\b[^>]*\bname="files"[^>]*>/.exec(html)?.[0];
  if (!tag || !/aria-invalid="true"/.test(tag)) return null;
  const id = /aria-describedby="([^"]+)"/.exec(tag)?.[1].split(" ").find((x) => x.endsWith("-error"));
  if (!id) return null;
  const el = new RegExp(`<p\\b[^>]*id="${id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"[^>]*>([\\s\\S]*?)</p>`).exec(html);
  return el ? htmlText(el[1]) : null;
}

function lessonForm(title: string, files: { name: string; type: string; data: Uint8Array | string }[], intent = "publish") {
  const f = new FormData();
  f.append("title", title);
  f.append("bodyMd", "Tài liệu kèm theo bài học.");
  for (const file of files) f.append("files", new Blob([file.data as BlobPart], { type: file.type }), file.name);
  f.append("intent", intent);
  return f;
}

function submissionForm(body: string, files: { name: string; type: string; data: Uint8Array | string }[]) {
  const f = new FormData();
  f.append("body", body);
  for (const file of files) f.append("files", new Blob([file.data as BlobPart], { type: file.type }), file.name);
  return f;
}

type Answer = { status: number; headers: http.IncomingHttpHeaders; text: string; sent: number };

/**
 * POST the start of a large multipart upload and return the server's answer, which must come
 * before the body has been read. With `contentLength`, the header promises that many bytes and
 * only 64 kB is sent. Without it, the body goes chunked (no length), 1 MB at a time, until the
 * answer arrives (200 MB at most). `sent` is how many file bytes were written by then.
 */
function postUploadUntilAnswered(p: string, client: Client, contentLength?: number): Promise<Answer> {
  const url = new URL(hub.url + p);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      agent: false,
      headers: {
        origin: hub.url,
        cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
        "content-type": "multipart/form-data; boundary=lopso-boundary",
        ...(contentLength === undefined ? { "transfer-encoding": "chunked" } : { "content-length": String(contentLength) }),
      },
    });
    req.on("response", (res) => {
      answered = true;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, sent });
      });
    });
    req.on("error", (e) => (answered ? undefined : reject(e)));
    req.write('--lopso-boundary\r\nContent-Disposition: form-data; name="title"\r\n\r\nBài rất lớn\r\n--lopso-boundary\r\nContent-Disposition: form-data; name="files"; filename="video.mp4"\r\nContent-Type: video/mp4\r\n\r\n');
    if (contentLength !== undefined) {
      sent = 64 * 1024;
      req.write(Buffer.alloc(sent));
      return;
    }
    const chunk = Buffer.alloc(MB);
    const pump = () => {
      while (!answered && sent < 200 * MB) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
    };
    pump();
  });
}

beforeAll(async () => {
  hub = await startHub();
  const db = hub.database.db;
  const one = firstId;
  ids.toan6 = await one(db.select({ id: classes.id }).from(classes).where(and(eq(classes.name, "6A1"), eq(classes.subject, "toan"))));
  ids.luom = await one(db.select({ id: assignments.id }).from(assignments).where(eq(assignments.title, "Cảm nhận về hình ảnh chú bé Lượm")));
  ids.an = await one(db.select({ id: users.id }).from(users).where(eq(users.email, LOGINS.an)));
  ids.lan = await one(db.select({ id: users.id }).from(users).where(eq(users.email, LOGINS.lan)));
  for (const [who, login] of Object.entries(LOGINS)) c[who] = await hub.as(login);
  c.anon = hub.client();
});

afterAll(async () => {
  await hub?.close();
});

const newLesson = () => `/classes/${ids.toan6}/lessons/new`;

describe("lesson attachments that are refused", () => {
  const refused: [string, { name: string; type: string; data: Uint8Array | string }[], string][] = [
    ["a Windows program (.exe)", [{ name: "tro-choi.exe", type: "application/x-msdownload", data: "MZ\x90\x00" }], "Loại tệp không được phép"],
    ["an HTML page", [{ name: "bai-giang.html", type: "text/html", data: "<script>alert(1)</script>" }], "Loại tệp không được phép"],
    ["an HTML page that calls itself a PDF (type and name disagree)", [{ name: "bai-giang.pdf", type: "text/html", data: "<script>alert(1)</script>" }], "Loại tệp không được phép"],
    ["an SVG image (it can carry scripts)", [{ name: "hinh.svg", type: "image/svg+xml", data: '<svg onload="alert(1)"/>' }], "Loại tệp không được phép"],
    ["a file with no extension", [{ name: "tailieu", type: "application/pdf", data: PDF }], "Loại tệp không được phép"],
    ["a file over 10 MB", [{ name: "sach-giao-khoa.pdf", type: "application/pdf", data: new Uint8Array(10 * MB + 1) }], "Tệp quá lớn"],
    ["six files at once", Array.from({ length: 6 }, (_, i) => ({ name: `phieu-${i}.pdf`, type: "application/pdf", data: PDF })), "Tối đa 5 tệp"],
    ["one good file with one bad one", [{ name: "tot.pdf", type: "application/pdf", data: PDF }, { name: "xau.exe", type: "application/octet-stream", data: "MZ" }], "Loại tệp không được phép"],
    ["a program renamed to .pdf (name and type agree, contents do not)", [{ name: "bai-giang.pdf", type: "application/pdf", data: "MZ\x90\x00\x03\x00\x00\x00" }], "Nội dung tệp không đúng với loại tệp"],
    ["an HTML page renamed to .png", [{ name: "anh-lop.png", type: "image/png", data: "<html><script>alert(1)</script></html>" }], "Nội dung tệp không đúng với loại tệp"],
  ];
  for (const [what, files, message] of refused) {
    it(`refuses ${what} beside the file field, storing nothing`, async () => {
      const before = await rowCounts();
      const res = await c.lan.post(newLesson(), lessonForm("Bài có tệp đính kèm", files));
      expect(res.status).toBe(400);
      const shown = fileFieldError(await res.text());
      expect(shown).not.toBeNull();
      expect(shown).toContain(message);
      expect(await rowCounts()).toEqual(before);
      expect(storedKeys()).toEqual([]);
    });
  }

  it("answers 413 with a clear message when Content-Length is above the request limit, before reading the body", async () => {
    const before = await rowCounts();
    const res = await postUploadUntilAnswered(newLesson(), c.lan, 60 * MB);
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe("close");
    expect(htmlText(res.text)).toContain("Dữ liệu gửi lên quá lớn (tối đa 55 MB)");
    // The error page keeps the frame: the teacher's menu and the way back.
    expect(res.text).toContain('<nav aria-label="Menu chính"');
    expect(res.text).toContain('href="/classes"');
    expect(await rowCounts()).toEqual(before);
    expect(storedKeys()).toEqual([]);
    // The server is fine afterwards.
    expect((await c.lan.get(newLesson())).status).toBe(200);
  });

  it("answers 413 to an upload sent without a length once it passes the limit, and stops reading", async () => {
    const before = await rowCounts();
    const res = await postUploadUntilAnswered(newLesson(), c.lan);
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe("close");
    expect(htmlText(res.text)).toContain("Dữ liệu gửi lên quá lớn (tối đa 55 MB)");
    // The server stopped at the limit: it did not take the 200 MB the client would have sent.
    expect(res.sent).toBeLessThan(120 * MB);
    expect(await rowCounts()).toEqual(before);
    expect(storedKeys()).toEqual([]);
    expect((await c.lan.get(newLesson())).status).toBe(200);
  });

  it("shows that error page in the reader's language", async () => {
    const english = await hub.as("lan.nt@nguyendu.lopso.demo");
    english.cookies.set("lang", "en");
    const res = await postUploadUntilAnswered(newLesson(), english, 60 * MB);
    expect(res.status).toBe(413);
    expect(res.text).toContain('<html lang="en"');
    expect(htmlText(res.text)).toContain("What was sent is too large (55 MB at most).");
  });

  it("removes the stored files when the database refuses the lesson (nothing half-written)", async () => {
    // Make the attachments insert fail inside the transaction, after the files were written to disk.
    await hub.database.query(`
      create or replace function lopso_test_refuse_attachment() returns trigger language plpgsql as $$
      begin
        if new.filename = 'tu-choi.pdf' then raise exception 'refused by test trigger'; end if;
        return new;
      end $$`);
    await hub.database.query("create trigger lopso_test_refuse before insert on attachments for each row execute function lopso_test_refuse_attachment()");
    const errors = expectConsoleErrors();
    try {
      const before = await rowCounts();
      const res = await c.lan.post(newLesson(), lessonForm("Bài sẽ bị từ chối", [{ name: "tot.pdf", type: "application/pdf", data: PDF }, { name: "tu-choi.pdf", type: "application/pdf", data: PDF }]));
      expect(res.status).toBe(500);
      expect(errors.take().length).toBeGreaterThan(0);
      expect(await rowCounts()).toEqual(before);
      expect(storedKeys()).toEqual([]);
    } finally {
      await hub.database.query("drop trigger lopso_test_refuse on attachments");
      await hub.database.query("drop function lopso_test_refuse_attachment()");
    }
  });
});

describe("a lesson attachment that is allowed", () => {
  const NAME = "Phiếu bài tập số 1 (Bài 'Tập hợp').pdf";
  let fileId: string;
  let lessonId: string;

  beforeAll(async () => {
    // The name arrives decomposed (NFD), as macOS and some phones send it.
    const res = await c.lan.post(newLesson(), lessonForm("Bài 4. Phép cộng và phép trừ", [{ name: NAME.normalize("NFD"), type: "application/pdf", data: PDF }]));
    expect(res.status).toBe(302);
    lessonId = /\/lessons\/([0-9a-f-]{36})\/edit/.exec(res.headers.get("location") ?? "")![1];
    const [row] = await hub.database.db.select().from(attachments).where(eq(attachments.lessonId, lessonId));
    fileId = row.id;
  });

  it("is stored once, named in NFC, with its type and size", async () => {
    const rows = await hub.database.db.select().from(attachments).where(eq(attachments.lessonId, lessonId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ filename: NAME.normalize("NFC"), contentType: "application/pdf", size: PDF.length });
    expect(rows[0].storageKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Uint8Array(fs.readFileSync(path.join(uploadsDir(), rows[0].storageKey.slice(0, 2), rows[0].storageKey)))).toEqual(PDF);
    await expectDiskMatchesRows();
  });

  it("is listed on the lesson page for the class's student", async () => {
    const { status, text } = await c.an.html(`/lessons/${lessonId}`);
    expect(status).toBe(200);
    expect(text).toContain(`href="/files/${fileId}"`);
  });

  for (const who of ["an", "lan", "hung"] as const) {
    it(`downloads for ${who} with the right Content-Type and Content-Disposition`, async () => {
      const res = await c[who].get(`/files/${fileId}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/pdf");
      const disposition = res.headers.get("content-disposition") ?? "";
      // RFC 6266/5987: a download (the device's PDF viewer opens it), the name percent-encoded with only attr-chars left bare.
      const m = /^attachment;(?: filename="[\x20-\x7e]*";)? filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+)$/.exec(disposition);
      expect(m, disposition).not.toBeNull();
      expect(decodeURIComponent(m![1])).toBe(NAME.normalize("NFC"));
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
      expect(res.headers.get("cache-control")).toContain("private");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(PDF);
    });
  }

  for (const who of ["khoa", "dung", "thu", "minh"] as const) {
    it(`is "not found" for ${who}, who has nothing to do with Toán 6A1`, async () => {
      const res = await c[who].get(`/files/${fileId}`);
      expect(res.status).toBe(404);
      const body = await res.text();
      expect(body).not.toContain("%PDF");
    });
  }

  it("sends the signed-out to /login", async () => {
    const res = await c.anon.get(`/files/${fileId}`);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/login?next=${encodeURIComponent(`/files/${fileId}`)}`);
  });

  it("is not found for an unknown or malformed id", async () => {
    expect((await c.an.get("/files/00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await c.an.get("/files/..%2F..%2Fsecret.key")).status).toBe(404);
    expect((await c.an.get("/files/not-an-id")).status).toBe(404);
  });

  it("is hidden from students again when the lesson goes back to draft", async () => {
    const res = await c.lan.post(`/classes/${ids.toan6}`, { intent: "unpublish", lessonId });
    expect(res.status).toBeLessThan(400);
    expect((await c.an.get(`/files/${fileId}`)).status).toBe(404);
    expect((await c.lan.get(`/files/${fileId}`)).status).toBe(200);
    await c.lan.post(`/classes/${ids.toan6}`, { intent: "publish", lessonId });
    expect((await c.an.get(`/files/${fileId}`)).status).toBe(200);
  });
});

describe("odd file names", () => {
  it("a NUL byte or a path in a file name is not a server error, and the stored name is plain text", async () => {
    const res = await c.lan.post(newLesson(), lessonForm("Bài có tên tệp lạ", [{ name: "../../Tài\u0000 liệu.pdf", type: "application/pdf", data: PDF }], "draft"));
    expect(res.status).toBe(302);
    const [row] = await hub.database.query<{ filename: string; storage_key: string }>(
      "select a.filename, a.storage_key from attachments a join lessons l on l.id = a.lesson_id where l.title = 'Bài có tên tệp lạ'",
    );
    expect(row.filename).toBe("Tài liệu.pdf");
    expect(row.storage_key).toMatch(/^[0-9a-f-]{36}$/);
    await expectDiskMatchesRows();
  });
});

describe("submission files", () => {
  const submit = (who: Client, body: string, files: Parameters<typeof submissionForm>[1]) => who.post(`/assignments/${ids.luom}`, submissionForm(body, files));

  for (const [what, files, message] of [
    ["a program", [{ name: "bai-lam.exe", type: "application/x-msdownload", data: "MZ" }], "Loại tệp không được phép"],
    ["an HTML file", [{ name: "bai-lam.html", type: "text/html", data: "<h1>bài làm</h1>" }], "Loại tệp không được phép"],
    ["a photo over 10 MB", [{ name: "anh-bai-lam.jpg", type: "image/jpeg", data: new Uint8Array(10 * MB + 100) }], "Tệp quá lớn"],
    ["a “photo” that is not a JPEG", [{ name: "anh-bai-lam.jpg", type: "image/jpeg", data: "%PDF-1.4 not a photo" }], "Nội dung tệp không đúng với loại tệp"],
  ] as const) {
    it(`refuses ${what}: no submission, no attachment, no stored file`, async () => {
      const before = await rowCounts();
      const res = await submit(c.an, "Bài làm của em", [...files]);
      expect(res.status).toBe(400);
      expect(fileFieldError(await res.text())).toContain(message);
      expect(await rowCounts()).toEqual(before);
      expect(storedKeys().length).toBe((await hub.database.query("select 1 from attachments")).length);
      const mine = await hub.database.db.select().from(submissions).where(and(eq(submissions.assignmentId, ids.luom), eq(submissions.studentId, ids.an)));
      expect(mine).toEqual([]);
    });
  }

  it("answers 413 for a submission whose Content-Length is above the limit", async () => {
    const before = await rowCounts();
    const res = await postUploadUntilAnswered(`/assignments/${ids.luom}`, c.an, 56 * MB);
    expect(res.status).toBe(413);
    expect(htmlText(res.text)).toContain("Dữ liệu gửi lên quá lớn");
    expect(res.text).toContain('<nav aria-label="Menu chính"');
    expect(res.text).toContain('href="/today"');
    expect(await rowCounts()).toEqual(before);
  });

  describe("an allowed file", () => {
    let fileId: string;
    const PHOTO = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...new TextEncoder().encode("JFIF bài làm"), 0xff, 0xd9]);

    beforeAll(async () => {
      const res = await submit(c.an, "Chú bé Lượm hồn nhiên, dũng cảm.", [{ name: "Bài làm của An.jpg", type: "image/jpeg", data: PHOTO }]);
      expect(res.status).toBe(200);
      const [row] = await hub.database
        .query<{ id: string }>("select a.id from attachments a join submissions s on s.id = a.submission_id where s.assignment_id = $1 and s.student_id = $2", [ids.luom, ids.an]);
      fileId = row.id;
      await expectDiskMatchesRows();
    });

    for (const who of ["an", "minh", "hung"] as const) {
      it(`downloads for ${who}`, async () => {
        const res = await c[who].get(`/files/${fileId}`);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("image/jpeg");
        expect(res.headers.get("content-disposition")).toMatch(/^inline;/);
        expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
        expect(new Uint8Array(await res.arrayBuffer())).toEqual(PHOTO);
      });
    }

    for (const [who, why] of [
      ["binh", "a classmate"],
      ["khoa", "a student of another class"],
      ["thu", "the parent of a classmate"],
      ["lan", "a teacher of another subject of the same class"],
    ] as const) {
      it(`is "not found" for ${why}`, async () => {
        const res = await c[who].get(`/files/${fileId}`);
        expect(res.status).toBe(404);
      });
    }

    it("sends the signed-out to /login", async () => {
      const res = await c.anon.get(`/files/${fileId}`);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toMatch(/^\/login\?next=/);
    });
  });
});

describe("photos from an iPhone (HEIC/HEIF)", () => {
  /** The first bytes of a photo taken on an iPhone: its `ftyp` box, then the start of its `meta` box. */
  const HEIC = new Uint8Array([
    ...[0, 0, 0, 0x24], ...Buffer.from("ftypheic"), 0, 0, 0, 0, ...Buffer.from("mif1MiPrmiafMiHBheic"),
    ...[0, 0, 0, 0x2a], ...Buffer.from("meta"), 0, 0, 0, 0,
    ...[0, 0, 0, 0x22], ...Buffer.from("hdlr"), 0, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from("pict"), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ]);

  it("attaches a HEIC photo to a lesson and serves it as a download with its real type", async () => {
    const res = await c.lan.post(newLesson(), lessonForm("Bài có ảnh chụp bảng", [{ name: "IMG_0001.HEIC", type: "image/heic", data: HEIC }]));
    expect(res.status).toBe(302);
    const lessonId = /\/lessons\/([0-9a-f-]{36})\/edit/.exec(res.headers.get("location") ?? "")![1];
    const [row] = await hub.database.db.select().from(attachments).where(eq(attachments.lessonId, lessonId));
    expect(row).toMatchObject({ filename: "IMG_0001.HEIC", contentType: "image/heic", size: HEIC.length });
    const file = await c.an.get(`/files/${row.id}`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/heic");
    // Browsers other than Safari cannot show HEIC: the photo is downloaded, to open on the device.
    expect(file.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(file.headers.get("x-content-type-options")).toBe("nosniff");
    expect(file.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(HEIC);
    await expectDiskMatchesRows();
  });

  it("accepts a student's .heif photo that the browser sent without a type", async () => {
    const [a] = await hub.database.db
      .insert(assignments)
      .values({ classId: ids.toan6, authorId: ids.lan, title: "Chụp ảnh bài làm", dueAt: new Date(Date.now() + 86_400_000), scale: "ten_point" })
      .returning({ id: assignments.id });
    const res = await c.an.post(`/assignments/${a.id}`, submissionForm("Ảnh bài làm của em", [{ name: "bai-lam.heif", type: "", data: HEIC }]));
    expect(res.status).toBe(200);
    const [row] = await hub.database.query<{ content_type: string }>(
      "select a.content_type from attachments a join submissions s on s.id = a.submission_id where s.assignment_id = $1",
      [a.id],
    );
    expect(row.content_type).toBe("image/heif");
  });

  it("refuses a video renamed to .heic, and names HEIC among the allowed types when refusing", async () => {
    const mp4 = new Uint8Array([0, 0, 0, 0x20, ...Buffer.from("ftypisom"), 0, 0, 2, 0, ...Buffer.from("isomiso2avc1mp41"), 0, 0, 0, 8, ...Buffer.from("free")]);
    const before = await rowCounts();
    const res = await c.lan.post(newLesson(), lessonForm("Bài có video đổi tên", [{ name: "anh.heic", type: "image/heic", data: mp4 }]));
    expect(res.status).toBe(400);
    expect(fileFieldError(await res.text())).toContain("Nội dung tệp không đúng với loại tệp");
    expect(await rowCounts()).toEqual(before);

    const refused = await c.lan.post(newLesson(), lessonForm("Bài có tệp lạ", [{ name: "anh.bmp", type: "image/bmp", data: "BM" }]));
    expect(fileFieldError(await refused.text())).toBe("Loại tệp không được phép. Chấp nhận PDF, Word, PowerPoint, Excel, ảnh (JPG, PNG, WebP, HEIC/HEIF), MP3, MP4, TXT.");
    const page = await c.lan.html(newLesson());
    expect(htmlText(page.text)).toContain("ảnh (JPG, PNG, WebP, HEIC/HEIF)");
  });
});

describe("a lesson saved again with the file still in the form", () => {
  const editPath = (lessonId: string) => `/classes/${ids.toan6}/lessons/${lessonId}/edit`;
  const lessonIdOf = (res: Response) => /\/lessons\/([0-9a-f-]{36})\/edit/.exec(res.headers.get("location") ?? "")![1];
  const banner = (html: string) => htmlText(/<p class="banner banner-ok" role="status">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? "");
  const SHEET = { name: "Phiếu luyện tập.pdf", type: "application/pdf", data: PDF };

  it("attaches the file once, keeps the lesson published, and says that changes were saved", async () => {
    const published = await c.lan.post(newLesson(), lessonForm("Bài 5. Phép nhân", [SHEET], "publish"));
    expect(published.status).toBe(302);
    expect(published.headers.get("location")).toMatch(/\?saved=published$/);
    const lessonId = lessonIdOf(published);
    expect(banner((await c.lan.html(published.headers.get("location")!)).text)).toBe("Đã đăng bài học.");

    // The teacher corrects the title and presses "Lưu nháp" with the same file still chosen.
    const again = await c.lan.post(editPath(lessonId), lessonForm("Bài 5. Phép nhân số tự nhiên", [SHEET], "draft"));
    expect(again.status).toBe(302);
    expect(again.headers.get("location")).toBe(`${editPath(lessonId)}?saved=updated`);
    const rows = await hub.database.db.select().from(attachments).where(eq(attachments.lessonId, lessonId));
    expect(rows.map((r) => r.filename)).toEqual([SHEET.name]);
    const [lesson] = await hub.database.db.select({ title: lessons.title, status: lessons.status }).from(lessons).where(eq(lessons.id, lessonId));
    expect(lesson).toEqual({ title: "Bài 5. Phép nhân số tự nhiên", status: "published" });
    const page = await c.lan.html(again.headers.get("location")!);
    expect(banner(page.text)).toBe("Đã lưu thay đổi. Bài học vẫn đang được đăng nên học sinh thấy ngay nội dung mới; muốn chuyển về bản nháp, hãy bấm “Gỡ bài” ở trang lớp.");
    expect(page.text).not.toContain("Đã đăng bài học.");

    // Publishing again with the file once more attaches nothing either.
    expect((await c.lan.post(editPath(lessonId), lessonForm("Bài 5. Phép nhân số tự nhiên", [SHEET], "publish"))).status).toBe(302);
    expect((await attachedTo("lesson_id", lessonId)).n).toBe(1);
    await expectDiskMatchesRows();

    const english = await hub.as(LOGINS.lan);
    english.cookies.set("lang", "en");
    expect(banner((await english.html(`${editPath(lessonId)}?saved=updated`)).text)).toBe(
      "Changes saved. The lesson is still published, so students see the new version at once; to make it a draft again, use “Unpublish” on the class page.",
    );
  });

  it("attaches a different file of the same name and size, and the same file only once when sent twice", async () => {
    const draft = await c.lan.post(newLesson(), lessonForm("Bài 6. Phép chia", [SHEET, SHEET], "draft"));
    expect(draft.status).toBe(302);
    expect(draft.headers.get("location")).toMatch(/\?saved=draft$/);
    expect(banner((await c.lan.html(draft.headers.get("location")!)).text)).toBe("Đã lưu bản nháp.");
    const lessonId = lessonIdOf(draft);
    expect((await attachedTo("lesson_id", lessonId)).n).toBe(1);

    const other = new Uint8Array(PDF);
    other[other.length - 2] = 0x25; // same length, other bytes
    const res = await c.lan.post(editPath(lessonId), lessonForm("Bài 6. Phép chia", [{ ...SHEET, data: other }], "draft"));
    expect(res.headers.get("location")).toBe(`${editPath(lessonId)}?saved=draft`);
    const rows = await hub.database.db.select().from(attachments).where(eq(attachments.lessonId, lessonId));
    expect(rows.map((r) => [r.filename, r.size])).toEqual([
      [SHEET.name, PDF.length],
      [SHEET.name, PDF.length],
    ]);
    await expectDiskMatchesRows();
  });

  it("does not attach a student's file twice when the work is handed in again", async () => {
    const [a] = await hub.database.db
      .insert(assignments)
      .values({ classId: ids.toan6, authorId: ids.lan, title: "Bài nộp lại", dueAt: new Date(Date.now() + 86_400_000), scale: "ten_point" })
      .returning({ id: assignments.id });
    const work = [{ name: "bai-lam.pdf", type: "application/pdf", data: PDF }];
    expect((await c.an.post(`/assignments/${a.id}`, submissionForm("Lần 1", work))).status).toBe(200);
    expect((await c.an.post(`/assignments/${a.id}`, submissionForm("Lần 2, sửa câu 1", work))).status).toBe(200);
    const [s] = await hub.database.db.select().from(submissions).where(and(eq(submissions.assignmentId, a.id), eq(submissions.studentId, ids.an)));
    expect(s.body).toBe("Lần 2, sửa câu 1");
    expect((await attachedTo("submission_id", s.id)).n).toBe(1);
    await expectDiskMatchesRows();
  });
});

/** What a lesson's edit page answers to more files; the new lesson's id. */
async function newLessonWith(title: string, count: number) {
  const res = await c.lan.post(newLesson(), lessonForm(title, Array.from({ length: count }, (_, i) => ({ name: `phieu-${i}.pdf`, type: "application/pdf", data: PDF })), "draft"));
  expect(res.status).toBe(302);
  return /\/lessons\/([0-9a-f-]{36})\/edit/.exec(res.headers.get("location") ?? "")![1];
}

const attachedTo = async (column: "lesson_id" | "submission_id", id: string) =>
  (await hub.database.query<{ n: number; bytes: number }>(`select count(*)::int as n, coalesce(sum(size), 0)::int as bytes from attachments where ${column} = $1`, [id]))[0];

describe("what a stored file is served as", () => {
  let lessonId: string;

  /** An attachment row and its file as an older version stored them: whatever type the browser declared. */
  async function storedAsBefore(filename: string, contentType: string, data: string | Uint8Array) {
    const key = crypto.randomUUID();
    fs.mkdirSync(path.join(uploadsDir(), key.slice(0, 2)), { recursive: true });
    fs.writeFileSync(path.join(uploadsDir(), key.slice(0, 2), key), data);
    const [row] = await hub.database.db
      .insert(attachments)
      .values({ lessonId, ownerId: ids.lan, filename, contentType, size: typeof data === "string" ? Buffer.byteLength(data) : data.length, storageKey: key })
      .returning({ id: attachments.id });
    return row.id;
  }

  const expectDownloadOnly = (res: Response, type: string) => {
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(type);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
  };

  beforeAll(async () => {
    lessonId = await newLessonWith("Bài về kiểu tệp", 0);
    await c.lan.post(`/classes/${ids.toan6}`, { intent: "publish", lessonId });
  });

  it("stores and serves the server's own type, not the one the browser declared (text/plain;,text/javascript)", async () => {
    const script = "alert(document.domain)\n";
    const form = new FormData();
    form.append("title", "Bài về kiểu tệp");
    form.append("bodyMd", "x");
    form.append("files", new Blob([script], { type: "text/plain;,text/javascript" }), "ghi-chu.txt");
    form.append("intent", "publish");
    const res = await c.lan.post(`/classes/${ids.toan6}/lessons/${lessonId}/edit`, form);
    expect(res.status).toBe(302);
    const [row] = await hub.database.db.select().from(attachments).where(and(eq(attachments.lessonId, lessonId), eq(attachments.filename, "ghi-chu.txt")));
    expect(row.contentType).toBe("text/plain");
    const file = await c.an.get(`/files/${row.id}`);
    expectDownloadOnly(file, "text/plain; charset=utf-8");
    expect(await file.text()).toBe(script);
  });

  it("serves a row stored with a bad type by its extension and contents", async () => {
    const id = await storedAsBefore("ghi-chu-cu.txt", "text/plain;,text/javascript", "alert(1)\n");
    expectDownloadOnly(await c.an.get(`/files/${id}`), "text/plain; charset=utf-8");
  });

  it("serves a row whose name is not on the list, or whose contents are not what its name says, as a download of bytes", async () => {
    const js = await storedAsBefore("tro-choi.js", "text/javascript", "alert(1)\n");
    expectDownloadOnly(await c.an.get(`/files/${js}`), "application/octet-stream");
    const html = await storedAsBefore("anh-lop.png", "text/html", "<html><script>alert(1)</script></html>");
    expectDownloadOnly(await c.an.get(`/files/${html}`), "application/octet-stream");
    const svg = await storedAsBefore("hinh.svg", "image/svg+xml", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
    expectDownloadOnly(await c.an.get(`/files/${svg}`), "application/octet-stream");
  });

  it("shows a real picture inline, with the policy that lets nothing in it run", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
    const id = await storedAsBefore("so-do.png", "image/png;,text/html", png);
    const res = await c.an.get(`/files/${id}`);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-disposition")).toMatch(/^inline;/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
  });
});

describe("limits for everything attached to one lesson or submission", () => {
  it("refuses files beyond 5 on one lesson across saves, naming the limit, and keeps what was there", async () => {
    const lessonId = await newLessonWith("Bài nhiều lần thêm tệp", 3);
    const edit = `/classes/${ids.toan6}/lessons/${lessonId}/edit`;
    const files = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `them-${i}.pdf`, type: "application/pdf", data: PDF }));
    const before = await rowCounts();
    const res = await c.lan.post(edit, lessonForm("Bài nhiều lần thêm tệp (sửa)", files(3), "draft"));
    expect(res.status).toBe(400);
    expect(fileFieldError(await res.text())).toBe("Mỗi bài học hoặc bài nộp có tối đa 5 tệp đính kèm, kể cả các tệp đã gửi trước đó.");
    expect(await rowCounts()).toEqual(before);
    const [lesson] = await hub.database.db.select({ title: lessons.title }).from(lessons).where(eq(lessons.id, lessonId));
    expect(lesson.title).toBe("Bài nhiều lần thêm tệp"); // the refused save changed nothing
    await expectDiskMatchesRows();
    // Up to the limit is fine.
    expect((await c.lan.post(edit, lessonForm("Bài nhiều lần thêm tệp", files(2), "draft"))).status).toBe(302);
    expect((await attachedTo("lesson_id", lessonId)).n).toBe(5);
    const english = await hub.as(LOGINS.lan);
    english.cookies.set("lang", "en");
    const again = await english.post(edit, lessonForm("Bài nhiều lần thêm tệp", [{ name: "them-nua.pdf", type: "application/pdf", data: PDF }], "draft"));
    expect(again.status).toBe(400);
    expect(fileFieldError(await again.text())).toBe("A lesson or a submission can have at most 5 attached files, including those sent before.");
    expect((await attachedTo("lesson_id", lessonId)).n).toBe(5);
  });

  it("refuses files that would take one lesson past 50 MB in all", async () => {
    const lessonId = await newLessonWith("Bài có tệp lớn từ trước", 0);
    // Stored before the limit: a row of 45 MB.
    const key = crypto.randomUUID();
    fs.mkdirSync(path.join(uploadsDir(), key.slice(0, 2)), { recursive: true });
    fs.writeFileSync(path.join(uploadsDir(), key.slice(0, 2), key), PDF);
    await hub.database.db.insert(attachments).values({ lessonId, ownerId: ids.lan, filename: "lon.pdf", contentType: "application/pdf", size: 45 * MB, storageKey: key });
    const big = new Uint8Array(3 * MB);
    big.set(PDF);
    const res = await c.lan.post(
      `/classes/${ids.toan6}/lessons/${lessonId}/edit`,
      lessonForm("Bài có tệp lớn từ trước", [{ name: "a.pdf", type: "application/pdf", data: big }, { name: "b.pdf", type: "application/pdf", data: big }], "draft"),
    );
    expect(res.status).toBe(400);
    expect(fileFieldError(await res.text())).toBe("Tổng dung lượng tệp đính kèm của mỗi bài học hoặc bài nộp tối đa 50 MB, kể cả các tệp đã gửi trước đó.");
    expect(await attachedTo("lesson_id", lessonId)).toEqual({ n: 1, bytes: 45 * MB });
    await expectDiskMatchesRows();
  });

  describe("on a submission", () => {
    let assignmentId: string;
    const pdfs = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ name: `${tag}-${i}.pdf`, type: "application/pdf", data: PDF }));
    const mine = async () =>
      (await hub.database.db.select().from(submissions).where(and(eq(submissions.assignmentId, assignmentId), eq(submissions.studentId, ids.an))))[0];

    beforeAll(async () => {
      const [a] = await hub.database.db
        .insert(assignments)
        .values({ classId: ids.toan6, authorId: ids.lan, title: "Bài nộp nhiều lần", dueAt: new Date(Date.now() + 86_400_000), scale: "ten_point" })
        .returning({ id: assignments.id });
      assignmentId = a.id;
    });

    it("counts the files of earlier hand-ins: a resubmission past 5 files is refused whole", async () => {
      expect((await c.an.post(`/assignments/${assignmentId}`, submissionForm("Lần 1", pdfs(3, "lan-1")))).status).toBe(200);
      const res = await c.an.post(`/assignments/${assignmentId}`, submissionForm("Lần 2", pdfs(3, "lan-2")));
      expect(res.status).toBe(400);
      expect(fileFieldError(await res.text())).toBe("Mỗi bài học hoặc bài nộp có tối đa 5 tệp đính kèm, kể cả các tệp đã gửi trước đó.");
      const s = await mine();
      expect(s.body).toBe("Lần 1");
      expect((await attachedTo("submission_id", s.id)).n).toBe(3);
      await expectDiskMatchesRows();
    });

    it("lets only one of two concurrent hand-ins take the submission past 5 files", async () => {
      const [first, second] = await Promise.all([
        c.an.post(`/assignments/${assignmentId}`, submissionForm("Cùng lúc A", pdfs(2, "a"))),
        c.an.post(`/assignments/${assignmentId}`, submissionForm("Cùng lúc B", pdfs(2, "b"))),
      ]);
      expect([first.status, second.status].sort()).toEqual([200, 400]);
      const s = await mine();
      expect((await attachedTo("submission_id", s.id)).n).toBe(5);
      await expectDiskMatchesRows();
    });
  });

  it("lets only one of two concurrent first hand-ins of 3 files each through", async () => {
    const [a] = await hub.database.db
      .insert(assignments)
      .values({ classId: ids.toan6, authorId: ids.lan, title: "Bài nộp đồng thời", dueAt: new Date(Date.now() + 86_400_000), scale: "ten_point" })
      .returning({ id: assignments.id });
    const files = (tag: string) => Array.from({ length: 3 }, (_, i) => ({ name: `${tag}-${i}.pdf`, type: "application/pdf", data: PDF }));
    const answers = await Promise.all([c.an.post(`/assignments/${a.id}`, submissionForm("A", files("a"))), c.an.post(`/assignments/${a.id}`, submissionForm("B", files("b")))]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
    const [s] = await hub.database.db.select().from(submissions).where(and(eq(submissions.assignmentId, a.id), eq(submissions.studentId, ids.an)));
    expect((await attachedTo("submission_id", s.id)).n).toBe(3);
    await expectDiskMatchesRows();
  });
});
