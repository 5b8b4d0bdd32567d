/**
 * The contact book (sổ liên lạc) through the real hub over HTTP: a teacher's note and a parent's
 * reply, each with its event written with it; unread counts and read receipts; the teacher's list
 * (unread first, filtered by class, searched without tones); files under the lessons' limits,
 * downloadable only by the thread's readers; empty, over-long and refused input stores nothing;
 * two first messages at once make one thread; a deactivated person cannot write; students are
 * refused. Then announcements: a teacher to a class, a school admin to the whole school (urgent),
 * one event each, read by the parents concerned only.
 */
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { announcements, attachments, events, threadMessages, threadParticipants, threads, users } from "../../db/schema/index.ts";
import { loadMemberships, type Actor } from "../../app/auth/actor.server.ts";
import { postAnnouncement } from "../../app/services/announcements.server.ts";
import { postMessage } from "../../app/services/contact-book.server.ts";
import { demoLookup } from "../support/demo.ts";
import { fieldError, htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
const ids: Record<string, string> = {};
const c: Record<string, Client> = {};

const PDF = new TextEncoder().encode("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");

beforeAll(async () => {
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  ids.thcs = await find.school("79001");
  ids.toan6 = await find.class("6A1", "toan");
  ids.khtn7 = await find.class("7A2", "khtn");
  for (const [k, email] of Object.entries({
    an: "an.nv@nguyendu.lopso.demo",
    binh: "binh.tt@nguyendu.lopso.demo",
    dung: "dung.pm@nguyendu.lopso.demo",
    khoa: "khoa.bd@nguyendu.lopso.demo",
    lan: "lan.nt@nguyendu.lopso.demo",
    minh: "minh.tv@nguyendu.lopso.demo",
    hoa: "hoa.lt@kimdong.lopso.demo",
  }))
    ids[k] = await find.user(email);
  c.lan = await hub.as("lan.nt@nguyendu.lopso.demo"); // homeroom 6A1, Toán 6A1, KHTN 7A2
  c.minh = await hub.as("minh.tv@nguyendu.lopso.demo"); // homeroom 7A2, Ngữ văn 6A1
  c.hoa = await hub.as("hoa.lt@kimdong.lopso.demo"); // another school
  c.admin = await hub.as("hieutruong@nguyendu.lopso.demo");
  c.hung = await hub.as("0912345678"); // parent of An
  c.thu = await hub.as("0987654321"); // parent of Dũng
  c.linh = await hub.as("0356789012"); // parent of Bình (and of Mai, another school)
  c.an = await hub.as("an.nv@nguyendu.lopso.demo");
});

afterAll(async () => {
  await hub?.close();
});

async function stored() {
  const db = hub.database.db;
  const n = async (t: typeof threads | typeof threadMessages | typeof attachments | typeof events | typeof announcements) =>
    Number((await db.select({ n: sql<number>`count(*)::int` }).from(t))[0].n);
  return { threads: await n(threads), messages: await n(threadMessages), attachments: await n(attachments), events: await n(events), announcements: await n(announcements) };
}

function form(fields: Record<string, string>, files: { name: string; type: string; data: Uint8Array }[] = []) {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  for (const file of files) f.append("files", new Blob([file.data as BlobPart], { type: file.type }), file.name);
  return f;
}

/** The text of the thread page's messages, in order. */
function messageTexts(html: string) {
  return [...html.matchAll(/<p class="message-body">([\s\S]*?)<\/p>/g)].map((m) => htmlText(m[1]));
}

function unreadOf(html: string, name: string): number {
  const li = new RegExp(`<li class="card" data-student="${name}" data-unread="(\\d+)"`).exec(html);
  if (!li) throw new Error(`${name} is not listed`);
  return Number(li[1]);
}

describe("a note, a reply, unread counts and read receipts", () => {
  it("the homeroom teacher writes a note about An: the thread is made, with its event", async () => {
    const before = await stored();
    const res = await c.lan.post(`/contact-book/${ids.an}`, form({ intent: "note", body: "  An hôm nay quên vở bài tập Toán.  " }));
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toMatch(new RegExp(`^/contact-book/${ids.an}\\?sent=note#m-`));
    const db = hub.database.db;
    const [t] = await db.select().from(threads).where(eq(threads.studentId, ids.an));
    expect(t.schoolId).toBe(ids.thcs);
    const [m] = await db.select().from(threadMessages).where(eq(threadMessages.threadId, t.id));
    expect(m).toMatchObject({ kind: "note", body: "An hôm nay quên vở bài tập Toán.", authorId: ids.lan });
    const [e] = await db.select().from(events).where(and(eq(events.type, "note.posted"), eq(events.subjectId, m.id)));
    expect(e).toMatchObject({ schoolId: ids.thcs, studentId: ids.an, actorId: ids.lan, classId: null });
    expect(e.payload).toEqual({ threadId: t.id, messageId: m.id, authorId: ids.lan, authorName: "Nguyễn Thị Lan", excerpt: "An hôm nay quên vở bài tập Toán." });
    expect((await stored()).threads).toBe(before.threads + 1);
  });

  it("the parent's list shows one unread message; opening the thread reads it", async () => {
    let html = await (await c.hung.get("/contact-book")).text();
    expect(unreadOf(html, "Nguyễn Văn An")).toBe(1);
    expect(htmlText(html)).toContain("Với: Nguyễn Thị Lan");
    const page = await c.hung.get(`/contact-book/${ids.an}`);
    expect(page.status).toBe(200);
    html = await page.text();
    expect(messageTexts(html)).toEqual(["An hôm nay quên vở bài tập Toán."]);
    expect(html).toContain('data-kind="note"');
    expect(htmlText(html)).toContain("Nhận xét của giáo viên");
    expect(htmlText(html)).toMatch(/Nguyễn Thị Lan · Giáo viên · \d\d\/\d\d \d\d:\d\d/);
    // The parent writes as a parent: no note button.
    expect(html).not.toContain('value="note"');
    expect(unreadOf(await (await c.hung.get("/contact-book")).text(), "Nguyễn Văn An")).toBe(0);
  });

  it("the teacher sees who has read her note: “Đã xem · Phụ huynh …”", async () => {
    const html = await (await c.lan.get(`/contact-book/${ids.an}`)).text();
    expect(htmlText(/data-testid="seen">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? "")).toBe("Đã xem · Phụ huynh Nguyễn Văn Hùng");
  });

  it("the parent replies: a thread.message event with authorRole parent; the teacher's list puts An first with 1 unread", async () => {
    const res = await c.hung.post(`/contact-book/${ids.an}`, form({ intent: "message", body: "Dạ, gia đình sẽ nhắc cháu. Cảm ơn cô." }));
    expect(res.status).toBe(302);
    const db = hub.database.db;
    const [m] = await db.select().from(threadMessages).where(eq(threadMessages.body, "Dạ, gia đình sẽ nhắc cháu. Cảm ơn cô."));
    const [e] = await db.select().from(events).where(and(eq(events.type, "thread.message"), eq(events.subjectId, m.id)));
    expect(e.studentId).toBe(ids.an);
    expect(e.payload).toMatchObject({ messageId: m.id, authorId: m.authorId, authorName: "Nguyễn Văn Hùng", authorRole: "parent", excerpt: "Dạ, gia đình sẽ nhắc cháu. Cảm ơn cô." });

    const list = await (await c.lan.get("/contact-book")).text();
    expect(unreadOf(list, "Nguyễn Văn An")).toBe(1);
    const first = /<li class="card" data-student="([^"]+)"/.exec(list.slice(list.indexOf('id="cb-students"')))?.[1];
    expect(first).toBe("Nguyễn Văn An");
    // Bình's seeded exchange was read: no unread count.
    expect(unreadOf(list, "Trần Thị Bình")).toBe(0);

    // Not yet seen by the school; then the teacher opens it and the parent sees "Đã xem".
    expect(await (await c.hung.get(`/contact-book/${ids.an}`)).text()).not.toMatch(/data-testid="seen">Đã xem<\/p>\s*<\/li>\s*<\/ol>/);
    await c.lan.get(`/contact-book/${ids.an}`);
    const html = await (await c.hung.get(`/contact-book/${ids.an}`)).text();
    expect(html).toMatch(/data-testid="seen">Đã xem<\/p><\/li><\/ol>/);
    expect(unreadOf(await (await c.lan.get("/contact-book")).text(), "Nguyễn Văn An")).toBe(0);
    // A teacher's reply is a thread.message with authorRole teacher.
    await c.lan.post(`/contact-book/${ids.an}`, form({ body: "Cảm ơn anh." }));
    const [reply] = await db.select().from(threadMessages).where(eq(threadMessages.body, "Cảm ơn anh."));
    const [re] = await db.select({ payload: events.payload }).from(events).where(eq(events.subjectId, reply.id));
    expect(re.payload).toMatchObject({ authorRole: "teacher" });
    expect(reply.kind).toBe("message");
  });

  it("the teacher's list: filtered by class, searched by name without tones", async () => {
    let html = await (await c.lan.get(`/contact-book?class=${ids.khtn7}`)).text();
    let names = [...html.matchAll(/data-student="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual(["Bùi Đăng Khoa"]);
    html = await (await c.lan.get(`/contact-book?q=${encodeURIComponent("tran thi binh")}`)).text();
    names = [...html.matchAll(/data-student="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual(["Trần Thị Bình"]);
    // Another school's class id filters nothing in: all of her students are listed.
    html = await (await c.lan.get(`/contact-book?class=${ids.hoa}`)).text();
    expect([...html.matchAll(/data-student="/g)].length).toBe(5);
  });

  it("the seeded exchange in Bình's contact book is there for her mother", async () => {
    const html = await (await c.linh.get(`/contact-book/${ids.binh}`)).text();
    expect(messageTexts(html)).toHaveLength(2);
    expect(messageTexts(html)[1]).toContain("Cảm ơn cô Lan");
  });

  it("a parent asks a subject teacher of the child's class to join; another school's teacher is not found", async () => {
    expect((await c.hung.post(`/contact-book/${ids.an}`, { intent: "invite", teacherId: ids.hoa })).status).toBe(404);
    const res = await c.hung.post(`/contact-book/${ids.an}`, { intent: "invite", teacherId: ids.minh });
    expect(res.status).toBe(302);
    const [t] = await hub.database.db.select({ id: threads.id }).from(threads).where(eq(threads.studentId, ids.an));
    const rows = await hub.database.db.select().from(threadParticipants).where(and(eq(threadParticipants.threadId, t.id), eq(threadParticipants.userId, ids.minh)));
    expect(rows).toHaveLength(1);
    expect(htmlText(await (await c.hung.get(res.headers.get("location")!)).text())).toContain("Đã mời Trần Văn Minh tham gia sổ liên lạc.");
  });
});

describe("bad input stores nothing", () => {
  it("an empty message, an over-long one: an error beside the field", async () => {
    const before = await stored();
    let res = await c.hung.post(`/contact-book/${ids.an}`, form({ body: "   " }));
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "body")).toBe("Vui lòng nhập nội dung tin nhắn.");
    res = await c.hung.post(`/contact-book/${ids.an}`, form({ body: "a".repeat(4001) }));
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "body")).toBe("Tin nhắn quá dài (tối đa 4000 ký tự).");
    expect(await stored()).toEqual(before);
  });

  it("a refused file type or a file over 10 MB refuses the whole message, with the text kept", async () => {
    const before = await stored();
    let res = await c.hung.post(`/contact-book/${ids.an}`, form({ body: "Giấy xin phép" }, [{ name: "don.exe", type: "application/octet-stream", data: new Uint8Array([0x4d, 0x5a, 0, 0]) }]));
    expect(res.status).toBe(400);
    let html = await res.text();
    expect(fieldError(html, "files")).toMatch(/^Loại tệp không được phép/);
    expect(html).toContain("Giấy xin phép</textarea>");
    const big = new Uint8Array(10 * 1024 * 1024 + 1);
    big.set(PDF);
    res = await c.hung.post(`/contact-book/${ids.an}`, form({ body: "Giấy xin phép" }, [{ name: "don.pdf", type: "application/pdf", data: big }]));
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "files")).toBe("Tệp quá lớn: tối đa 10 MB mỗi tệp.");
    res = await c.hung.post(`/contact-book/${ids.an}`, form({ body: "Giấy xin phép" }, [{ name: "don.pdf", type: "application/pdf", data: new TextEncoder().encode("<html>") }]));
    expect(res.status).toBe(400);
    expect(await stored()).toEqual(before);
  });

  it("a parent cannot post a teacher's note", async () => {
    const before = await stored();
    expect((await c.hung.post(`/contact-book/${ids.an}`, form({ intent: "note", body: "Ghi chú giả" }))).status).toBe(403);
    expect(await stored()).toEqual(before);
  });
});

describe("files in a thread", () => {
  it("a PDF sent with a message is downloadable by the thread's readers only", async () => {
    const res = await c.hung.post(`/contact-book/${ids.an}`, form({ body: "Đơn xin nghỉ học ngày mai." }, [{ name: "Đơn xin nghỉ.pdf", type: "application/pdf", data: PDF }]));
    expect(res.status).toBe(302);
    const db = hub.database.db;
    const [m] = await db.select({ id: threadMessages.id }).from(threadMessages).where(eq(threadMessages.body, "Đơn xin nghỉ học ngày mai."));
    const [a] = await db.select().from(attachments).where(eq(attachments.messageId, m.id));
    expect(a).toMatchObject({ filename: "Đơn xin nghỉ.pdf", contentType: "application/pdf", size: PDF.length });
    expect(await (await c.lan.get(`/contact-book/${ids.an}`)).text()).toContain(`href="/files/${a.id}"`);
    const got: Record<string, number> = {};
    for (const who of ["hung", "lan", "minh", "admin", "thu", "hoa", "an", "linh"]) got[who] = (await c[who].get(`/files/${a.id}`)).status;
    expect(got).toEqual({ hung: 200, lan: 200, minh: 200, admin: 200, thu: 404, hoa: 404, an: 404, linh: 404 });
    const body = new Uint8Array(await (await c.hung.get(`/files/${a.id}`)).arrayBuffer());
    expect(Buffer.from(body).equals(Buffer.from(PDF))).toBe(true);
  });
});

describe("who may read and write", () => {
  it("students are refused; someone else's child, another school's teacher and a non-student id are not found", async () => {
    expect((await c.an.get("/contact-book")).status).toBe(403);
    expect((await c.an.get(`/contact-book/${ids.an}`)).status).toBe(403);
    expect((await c.thu.get(`/contact-book/${ids.an}`)).status).toBe(404);
    expect((await c.hoa.get(`/contact-book/${ids.an}`)).status).toBe(404);
    expect((await c.lan.get(`/contact-book/${ids.dung}`)).status).toBe(404); // Dũng is in none of her classes
    expect((await c.admin.get(`/contact-book/${ids.lan}`)).status).toBe(404);
    const before = await stored();
    expect((await c.thu.post(`/contact-book/${ids.an}`, form({ body: "Xin chào" }))).status).toBe(404);
    expect((await c.hoa.post(`/contact-book/${ids.an}`, form({ body: "Xin chào" }))).status).toBe(404);
    expect(await stored()).toEqual(before);
  });

  it("a subject teacher may read; writing joins the thread", async () => {
    const html = await (await c.minh.get(`/contact-book/${ids.dung}`)).text();
    expect(htmlText(html)).toContain("viết một tin nhắn để tham gia");
  });

  it("a deactivated person cannot write", async () => {
    const db = hub.database.db;
    const thuClient = await hub.as("0987654321");
    const [thu] = await db.select({ id: users.id }).from(users).where(eq(users.phone, "+84987654321"));
    await db.update(users).set({ deactivatedAt: new Date() }).where(eq(users.id, thu.id));
    const before = await stored();
    const res = await thuClient.post(`/contact-book/${ids.dung}`, form({ body: "Tin nhắn sau khi bị khóa" }));
    expect([302, 403]).toContain(res.status);
    if (res.status === 302) expect(res.headers.get("location")).toMatch(/^\/login/);
    expect(await stored()).toEqual(before);
    // The services check it too, whatever a caller holds: a deactivated parent or teacher is refused.
    const actorOf = async (id: string) => {
      const [u] = await db.select().from(users).where(eq(users.id, id));
      return { ...u, sessionId: "x", memberships: await loadMemberships(db, id) } as unknown as Actor;
    };
    const refusal = (e: unknown) => (e as { init?: { status?: number } }).init?.status;
    await expect(postMessage(db, await actorOf(thu.id), ids.dung, { body: "Tin nhắn" }).catch(refusal)).resolves.toBe(403);
    await db.update(users).set({ deactivatedAt: new Date() }).where(eq(users.id, ids.lan));
    await expect(postMessage(db, await actorOf(ids.lan), ids.an, { intent: "note", body: "Nhận xét" }).catch(refusal)).resolves.toBe(403);
    await expect(postAnnouncement(db, await actorOf(ids.lan), { target: `class:${ids.toan6}`, title: "Thông báo", body: "Nội dung" }).catch(refusal)).resolves.toBe(403);
    expect(await stored()).toEqual(before);
    await db.update(users).set({ deactivatedAt: null }).where(eq(users.id, thu.id));
    await db.update(users).set({ deactivatedAt: null }).where(eq(users.id, ids.lan));
  });
});

describe("two first messages at once", () => {
  it("make one thread with both messages", async () => {
    const db = hub.database.db;
    expect(await db.select().from(threads).where(eq(threads.studentId, ids.dung))).toHaveLength(0);
    const results = await Promise.all([
      c.thu.post(`/contact-book/${ids.dung}`, form({ body: "Chào thầy, cháu Dũng xin nghỉ buổi chiều." })),
      c.minh.post(`/contact-book/${ids.dung}`, form({ body: "Chào chị, Dũng đã nộp bài Ngữ văn." })),
    ]);
    expect(results.map((r) => r.status)).toEqual([302, 302]);
    const rows = await db.select().from(threads).where(eq(threads.studentId, ids.dung));
    expect(rows).toHaveLength(1);
    expect(await db.select().from(threadMessages).where(eq(threadMessages.threadId, rows[0].id))).toHaveLength(2);
    // Minh joined by writing: his row is there, and he now counts the mother's message as read or unread.
    const parts = await db.select({ userId: threadParticipants.userId }).from(threadParticipants).where(eq(threadParticipants.threadId, rows[0].id));
    expect(parts.map((p) => p.userId)).toContain(ids.minh);
  });

  it("four writers in two fresh threads at once: one thread each, every message kept", async () => {
    const db = hub.database.db;
    const find = demoLookup(db);
    const students = [await find.user("cuong.lh@nguyendu.lopso.demo"), await find.user("giang.ht@nguyendu.lopso.demo")];
    const results = await Promise.all(
      students.flatMap((s) => [
        c.lan.post(`/contact-book/${s}`, form({ intent: "note", body: "Em tiến bộ trong tuần này." })),
        c.minh.post(`/contact-book/${s}`, form({ body: "Em cần đọc thêm tác phẩm." })),
        c.lan.post(`/contact-book/${s}`, form({ body: "Nhắc em mang đồ dùng học tập." })),
        c.admin.post(`/contact-book/${s}`, form({ body: "Nhà trường đã nhận thông tin." })),
      ]),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(302));
    for (const s of students) {
      const rows = await db.select({ id: threads.id }).from(threads).where(eq(threads.studentId, s));
      expect(rows).toHaveLength(1);
      expect(await db.select().from(threadMessages).where(eq(threadMessages.threadId, rows[0].id))).toHaveLength(4);
    }
  });
});

describe("announcements", () => {
  it("a teacher announces to a class she teaches: one row, one event with the class", async () => {
    const res = await c.lan.post("/announcements/new", { target: `class:${ids.toan6}`, title: "Họp phụ huynh lớp 6A1", body: "Kính mời phụ huynh dự họp lúc 8:00 Chủ nhật." });
    expect(res.status).toBe(302);
    const db = hub.database.db;
    const [a] = await db.select().from(announcements).where(eq(announcements.title, "Họp phụ huynh lớp 6A1"));
    expect(a).toMatchObject({ classId: ids.toan6, schoolId: ids.thcs, urgent: false, authorId: ids.lan });
    const evs = await db.select().from(events).where(and(eq(events.type, "announcement.posted"), eq(events.subjectId, a.id)));
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ classId: ids.toan6, schoolId: ids.thcs });
    expect(evs[0].payload).toEqual({ announcementId: a.id, title: "Họp phụ huynh lớp 6A1", excerpt: "Kính mời phụ huynh dự họp lúc 8:00 Chủ nhật.", urgent: false, className: "6A1" });
    expect(await (await c.hung.get("/announcements")).text()).toContain("Họp phụ huynh lớp 6A1");
    expect(await (await c.thu.get("/announcements")).text()).not.toContain("Họp phụ huynh lớp 6A1");
    expect(await (await c.lan.get("/announcements")).text()).toContain("Họp phụ huynh lớp 6A1");
  });

  it("the school admin announces to the whole school, urgent: class_id null; every parent of the school reads it", async () => {
    const page = await (await c.admin.get("/announcements/new")).text();
    expect(htmlText(page)).toContain("giờ yên lặng");
    const res = await c.admin.post("/announcements/new", { target: `school:${ids.thcs}`, title: "Nghỉ học do bão", body: "Học sinh toàn trường nghỉ học ngày mai.", urgent: "1" });
    expect(res.status).toBe(302);
    const db = hub.database.db;
    const [a] = await db.select().from(announcements).where(eq(announcements.title, "Nghỉ học do bão"));
    expect(a).toMatchObject({ classId: null, urgent: true });
    const [e] = await db.select().from(events).where(eq(events.subjectId, a.id));
    expect(e).toMatchObject({ type: "announcement.posted", classId: null, schoolId: ids.thcs });
    expect(e.payload).toMatchObject({ urgent: true, className: null });
    for (const who of ["hung", "thu", "linh"]) expect(await (await c[who].get("/announcements")).text()).toContain("Nghỉ học do bão");
  });

  it("a homeroom teacher may announce to a class of the group; urgent, empty or foreign targets are refused", async () => {
    expect((await c.minh.post("/announcements/new", { target: `class:${ids.khtn7}`, title: "Lịch trực nhật 7A2", body: "Tuần này tổ 2 trực nhật." })).status).toBe(302);
    const before = await stored();
    let res = await c.lan.post("/announcements/new", { target: `class:${ids.toan6}`, title: "Khẩn", body: "Nội dung", urgent: "1" });
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "urgent")).toBe("Chỉ thông báo toàn trường của nhà trường mới được đánh dấu khẩn.");
    res = await c.lan.post("/announcements/new", { target: "", title: "ab", body: "" });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(fieldError(html, "target")).toBe("Vui lòng chọn lớp hoặc trường nhận thông báo.");
    expect(fieldError(html, "title")).toBe("Tiêu đề cần ít nhất 3 ký tự.");
    expect(fieldError(html, "body")).toBe("Vui lòng nhập nội dung thông báo.");
    expect((await c.minh.post("/announcements/new", { target: `class:${ids.toan6}`, title: "Thông báo", body: "x" })).status).toBe(404);
    expect((await c.lan.post("/announcements/new", { target: `school:${ids.thcs}`, title: "Thông báo", body: "x" })).status).toBe(404);
    expect((await c.hung.post("/announcements/new", { target: `class:${ids.toan6}`, title: "Thông báo", body: "x" })).status).toBe(403);
    expect(await stored()).toEqual(before);
  });
});
