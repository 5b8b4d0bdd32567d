import { checkTemplateParams, ZNS_TEMPLATES } from "../../../integrations/channels/zalo/templates.ts";
import { describe, expect, it } from "vitest";
import { normalizePhone } from "../../lib/vn.ts";
import { E164_VN } from "./recipients.server.ts";
import { clip, digestSentence, renderDigest, renderImmediate, renderItem, ZNS_LIMITS, type DigestItem, type NotifyFacts } from "./render.ts";

const AN = { student: "Nguyễn Văn An", studentId: "00000000-0000-4000-8000-000000000001" };
const BINH = { student: "Trần Thị Bình", studentId: "00000000-0000-4000-8000-000000000002" };
const config = { baseUrl: "https://lopso.example.vn" };

function fact(f: Partial<NotifyFacts> & Pick<NotifyFacts, "type">): DigestItem {
  const facts: NotifyFacts = { student: null, studentId: null, subject: "toan", className: "6A1", classId: "00000000-0000-4000-8000-0000000000c1", title: "Bài 1", ...f };
  return { facts, title: renderItem(facts, "vi").title, link: `/children/${facts.studentId}` };
}
const handedIn = (who = AN) => fact({ type: "submission.received", ...who });
const missing = (who = AN, subject = "toan", dueAt = "2026-11-25T16:59:00.000Z") => fact({ type: "submission.missing", subject, dueAt, ...who });
const grade = (who = AN, score = 8.5, subject = "toan") => fact({ type: "grade.posted", subject, scale: "ten_point", score, ...who });
const absent = (who = BINH, subject = "tieng-anh", platform = "zoom") => fact({ type: "attendance.recorded", subject, platform, status: "absent", ...who });

describe("the digest sentence", () => {
  it("reads as the example: two children, work, missing work with its due date, an absence on Zoom", () => {
    const items = [handedIn(), handedIn(), missing(), absent()];
    expect(digestSentence(items, "vi")).toBe("Hôm nay: An nộp 2 bài, thiếu 1 bài Toán hạn 25/11; Bình vắng buổi Tiếng Anh trên Zoom");
    expect(digestSentence(items, "en")).toBe("Today: An handed in 2 assignments, missing 1 in Maths due 25/11; Bình was absent from English on Zoom");
  });

  it("plurals: one, two, many — Vietnamese nouns do not change, English ones do", () => {
    expect(digestSentence([handedIn()], "vi")).toBe("Hôm nay: An nộp 1 bài");
    expect(digestSentence([handedIn()], "en")).toBe("Today: An handed in 1 assignment");
    expect(digestSentence([handedIn(), handedIn()], "en")).toBe("Today: An handed in 2 assignments");
    const seven = Array.from({ length: 7 }, () => handedIn());
    expect(digestSentence(seven, "vi")).toBe("Hôm nay: An nộp 7 bài");
    expect(digestSentence(seven, "en")).toBe("Today: An handed in 7 assignments");
    const lessons = (n: number) => Array.from({ length: n }, () => fact({ type: "lesson.published", ...AN }));
    expect(digestSentence(lessons(1), "en")).toBe("Today: An has 1 new lesson");
    expect(digestSentence(lessons(3), "en")).toBe("Today: An has 3 new lessons");
    expect(digestSentence(lessons(3), "vi")).toBe("Hôm nay: An có 3 bài học mới");
    for (const s of [digestSentence(seven, "en"), digestSentence(lessons(3), "en")]) expect(s).not.toMatch(/\(s\)/);
  });

  it("grades as the grade display shows them (decimal comma in Vietnamese), several subjects joined with và / and", () => {
    expect(digestSentence([grade()], "vi")).toBe("Hôm nay: An có điểm Toán 8,5/10");
    expect(digestSentence([grade(), grade(AN, 7, "ngu-van")], "vi")).toBe("Hôm nay: An có điểm Toán 8,5/10 và Ngữ văn 7/10");
    expect(digestSentence([grade(), grade(AN, 7, "ngu-van")], "en")).toBe("Today: An got 8.5/10 in Maths and 7/10 in Literature");
    const many = [grade(), grade(AN, 7, "ngu-van"), grade(AN, 9, "khtn"), grade(AN, 6, "tin-hoc")];
    expect(digestSentence(many, "vi")).toBe("Hôm nay: An có 4 điểm mới");
    const level = fact({ type: "grade.posted", ...BINH, subject: "tieng-viet", scale: "primary_levels", level: "HTT" });
    expect(digestSentence([level], "vi")).toBe("Hôm nay: Bình có điểm Tiếng Việt Hoàn thành tốt");
  });

  it("missing work in several subjects; several absences on several platforms", () => {
    const items = [missing(AN, "toan"), missing(AN, "toan", "2026-11-26T16:59:00.000Z"), missing(AN, "ngu-van")];
    expect(digestSentence(items, "vi")).toBe("Hôm nay: An thiếu 2 bài Toán và 1 bài Ngữ văn hạn 25/11");
    const platforms = [absent(BINH, "tieng-anh", "zoom"), absent(BINH, "toan", "meet"), fact({ type: "attendance.recorded", ...BINH, platform: "teams", status: "late", minutes: 10 })];
    expect(digestSentence(platforms, "vi")).toBe("Hôm nay: Bình vắng buổi Tiếng Anh trên Zoom và buổi Toán trên Google Meet, vào muộn buổi Toán trên Microsoft Teams");
    expect(digestSentence(platforms, "en")).toBe(
      "Today: Bình was absent from English on Zoom and Maths on Google Meet, was late for Maths on Microsoft Teams",
    );
  });

  it("names with diacritics, in NFC even when they arrive decomposed", () => {
    const nfd = { student: "Đỗ Thị Ánh".normalize("NFD"), studentId: "00000000-0000-4000-8000-000000000003" };
    const s = digestSentence([handedIn(nfd)], "vi")!;
    expect(s).toBe("Hôm nay: Ánh nộp 1 bài");
    expect(s.normalize("NFC")).toBe(s);
  });

  it("notes, messages, new assignments and school announcements are counted", () => {
    const items = [
      fact({ type: "note.posted", ...AN, authorName: "Nguyễn Thị Lan" }),
      fact({ type: "thread.message", ...AN, authorName: "Nguyễn Thị Lan" }),
      fact({ type: "thread.message", ...AN, authorName: "Nguyễn Thị Lan" }),
      fact({ type: "assignment.created", ...BINH, dueAt: "2026-11-28T10:00:00Z" }),
      fact({ type: "announcement.posted", title: "Họp phụ huynh" }),
    ];
    expect(digestSentence(items, "vi")).toBe("Hôm nay: An có 1 nhận xét của giáo viên, có 2 tin nhắn mới; Bình có 1 bài tập mới; Nhà trường: 1 thông báo mới");
    expect(digestSentence(items, "en")).toBe("Today: An has 1 teacher's note, has 2 new messages; Bình has 1 new assignment; School: 1 new announcement");
    expect(digestSentence(items, "en", "weekly")).toMatch(/^This week: /);
  });

  it("says nothing when nothing is worth saying (a child who was present)", () => {
    expect(digestSentence([], "vi")).toBeNull();
    const present = fact({ type: "attendance.recorded", ...AN, platform: "zoom", status: "present" });
    expect(digestSentence([present], "vi")).toBeNull();
    expect(renderDigest("email", [present], "vi", "daily", "25/11/2026", config)).toBeNull();
  });
});

describe("messages per channel", () => {
  const items = [handedIn(), missing(), absent()];

  it("email: subject, text and HTML from one template, the HTML escaped", () => {
    const evil = fact({ type: "lesson.published", ...AN, title: "<script>alert(1)</script> & co" });
    evil.title = `Bài học mới <b>"x"</b> & co`;
    const m = renderDigest("email", [...items, evil], "vi", "daily", "25/11/2026", config)!;
    expect(m.subject).toBe("Lớp Số: tin trong ngày 25/11/2026");
    expect(m.text).toContain("Hôm nay: An nộp 1 bài");
    expect(m.text).toContain("Nguyễn Văn An");
    expect(m.html).toContain("<h3>Nguyễn Văn An</h3>");
    expect(m.html).toContain("<h3>Trần Thị Bình</h3>");
    expect(m.html).toContain("Bài học mới &lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; co");
    expect(m.html).not.toContain("<b>");
    expect(m.html).toContain(`href="https://lopso.example.vn/children/${AN.studentId}"`);
    expect(m.link).toBe("https://lopso.example.vn/notifications");
  });

  it("SMS is short, push has a title, body and link", () => {
    const long = Array.from({ length: 40 }, (_, i) => missing(AN, ["toan", "ngu-van", "khtn", "tin-hoc"][i % 4], `2026-11-${10 + (i % 15)}T10:00:00Z`));
    const sms = renderDigest("sms", long, "vi", "daily", "25/11/2026", config)!;
    expect(Array.from(sms.text).length).toBeLessThanOrEqual(300);
    const push = renderDigest("push", items, "en", "daily", "25/11/2026", config)!;
    expect(push.subject).toBe("Lớp Số: today's news, 25/11/2026");
    expect(push.text).toMatch(/^Today: An handed in 1 assignment/);
    expect(push.link).toBe("https://lopso.example.vn/notifications");
  });

  it("Zalo: the approved templates the channel knows, with parameters within their limits", () => {
    const many = [...Array.from({ length: 30 }, () => handedIn()), ...Array.from({ length: 30 }, () => missing()), absent()];
    const z = renderDigest("zalo", many, "vi", "daily", "25/11/2026", config)!;
    expect(z.template!.id).toBe("digest");
    expect(z.template!.params.student_name).toBe("An và Bình");
    expect(z.template!.params.period).toBe("hôm nay (25/11/2026)");
    expect(z.template!.params.count).toBe("61");
    // What the Zalo channel checks before it sends: no missing, unknown or over-long parameter.
    expect(checkTemplateParams(ZNS_TEMPLATES.digest, z.template!.params).problems).toEqual([]);
    const longName = { student: "Nguyễn Hoàng Bảo Khánh Ngọc Thiên Phương Anh Thư".repeat(2), studentId: AN.studentId };
    const one = renderImmediate(
      "zalo",
      { ...renderItem(fact({ type: "note.posted", ...longName, authorName: "Lan", excerpt: "x".repeat(500) }).facts, "vi"), path: "/contact-book/x", student: longName.student, kind: "teacher_note" },
      "vi",
      config,
      "2026-11-25T03:00:00Z",
    );
    expect(one.template!.id).toBe("news");
    expect(one.template!.params.kind).toBe("Lời nhắn của giáo viên");
    expect(one.template!.params.date).toBe("25/11/2026");
    expect(checkTemplateParams(ZNS_TEMPLATES.news, one.template!.params).problems).toEqual([]);
  });

  it("an immediate email: the item's title as subject, the HTML escaped, an absolute link", () => {
    const item = renderItem({ type: "announcement.posted", student: null, studentId: null, subject: null, className: null, classId: null, title: "Nghỉ học <ngày> 20/11", excerpt: "Trường & lớp", urgent: true }, "vi");
    expect(item.title).toBe("Khẩn: Nghỉ học <ngày> 20/11");
    const m = renderImmediate("email", { ...item, path: "/notifications", student: null }, "vi", config);
    expect(m.subject).toBe("Khẩn: Nghỉ học <ngày> 20/11");
    expect(m.html).toContain("Khẩn: Nghỉ học &lt;ngày&gt; 20/11");
    expect(m.html).toContain("Trường &amp; lớp");
    expect(m.text).toContain("https://lopso.example.vn/notifications");
  });

  it("item texts in both languages, the given name, dates dd/mm", () => {
    const f = missing().facts;
    expect(renderItem(f, "vi").title).toBe("An chưa nộp bài Toán hạn 25/11");
    expect(renderItem(f, "en").title).toBe("An has not handed in Maths work due 25/11");
    expect(renderItem(grade().facts, "en").title).toBe("An got 8.5/10 in Maths");
  });

  it("clip counts characters, not bytes", () => {
    expect(clip("Nguyễn Văn An", 30)).toBe("Nguyễn Văn An");
    expect(Array.from(clip("ữ".repeat(50), 30)).length).toBe(30);
  });
});

describe("the phone check in SQL agrees with normalizePhone", () => {
  it("accepts exactly what normalizePhone would store", () => {
    const re = new RegExp(E164_VN);
    for (const raw of ["+84912345678", "+84356789012", "+84212345678", "+8491234567", "+849123456789", "0912345678", "+84012345678", "+84587654321", "+14155550100"]) {
      expect(re.test(raw), raw).toBe(normalizePhone(raw) === raw);
    }
  });
});
