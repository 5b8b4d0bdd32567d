/**
 * A resubmission and a grade at the same moment: whichever commits first, the work ends graded
 * with the teacher's grade, and a resubmission that comes after the grade is refused (nothing of
 * it kept: no new body, file or event). Real concurrency over HTTP (on PostgreSQL, the two
 * requests run in separate transactions on separate connections), then the sequential case.
 */
import fs from "node:fs";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments, attachments, events, submissions } from "../../db/schema/index.ts";
import { authenticate } from "../../app/auth/request.server.ts";
import { gradeSubmission, submitAssignment } from "../../app/services/assignments.server.ts";
import { demoLookup } from "../support/demo.ts";
import { htmlText } from "../support/html.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
let lan: Client, an: Client;
const ids: Record<string, string> = {};

beforeAll(async () => {
  hub = await startHub();
  const find = demoLookup(hub.database.db);
  ids.toan6 = await find.class("6A1", "toan");
  ids.an = await find.user("an.nv@nguyendu.lopso.demo");
  [lan, an] = await Promise.all([hub.as("lan.nt@nguyendu.lopso.demo"), hub.as("an.nv@nguyendu.lopso.demo")]);
});

afterAll(async () => {
  await hub?.close();
});

/** A new assignment of Toán 6A1, due in three days, on the 10-point scale. */
async function newAssignment(title: string): Promise<string> {
  const [row] = await hub.database.db
    .insert(assignments)
    .values({ classId: ids.toan6, authorId: ids.an, title, instructionsMd: "", instructionsHtml: "", dueAt: new Date(Date.now() + 3 * 86_400_000), scale: "ten_point" })
    .returning({ id: assignments.id });
  // The author is a teacher in real life; the row's author does not matter to grading.
  return row.id;
}

/** A 4 MB PDF, as a phone's scan of handwritten work would be. */
function bigPdf() {
  const bytes = Buffer.alloc(4 * 1024 * 1024, 0x20);
  bytes.write("%PDF-1.4\n");
  return new File([bytes], "bai-lam.pdf", { type: "application/pdf" });
}

function submitForm(body: string, withFile: boolean) {
  const form = new FormData();
  form.append("body", body);
  if (withFile) form.append("files", bigPdf());
  return form;
}

async function stateOf(assignmentId: string) {
  const [s] = await hub.database.db
    .select({ id: submissions.id, status: submissions.status, score: submissions.score, body: submissions.body })
    .from(submissions)
    .where(and(eq(submissions.assignmentId, assignmentId), eq(submissions.studentId, ids.an)));
  const files = s ? await hub.database.db.select({ key: attachments.storageKey }).from(attachments).where(eq(attachments.submissionId, s.id)) : [];
  const [received] = await hub.database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(events)
    .where(and(eq(events.type, "submission.received"), sql`${events.payload}->>'assignmentId' = ${assignmentId}`));
  return { ...s, files: files.map((f) => f.key), received: Number(received.n) };
}

/** The signed-in person behind a client's session cookie, as the root middleware finds them. */
async function actorOf(client: Client) {
  const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  const { actor } = await authenticate(hub.database.db, new Request(hub.url, { headers: { cookie } }));
  if (!actor) throw new Error("not signed in");
  return actor;
}

const storedUploads = () => {
  const dir = path.join(hub.dataDir, "uploads");
  return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length : 0;
};

describe("resubmission racing a grade", () => {
  it("always ends graded with the grade, or with the resubmission refused (20 trials, a 4 MB file each)", async () => {
    const outcomes = { submittedFirst: 0, refused: 0 };
    const inconsistent: unknown[] = [];
    for (let trial = 0; trial < 20; trial++) {
      const assignmentId = await newAssignment(`Bài đua ${trial}`);
      expect((await an.post(`/assignments/${assignmentId}`, submitForm("Lần nộp đầu", false))).status).toBe(200);
      const uploadsBefore = storedUploads();
      const score = String(5 + (trial % 5));
      // The grade goes out while the upload is on its way, a little later each trial, so that some
      // resubmissions commit before the grade and some after.
      const resubmit = an.post(`/assignments/${assignmentId}`, submitForm(`Lần nộp lại ${trial}`, true));
      const grade = new Promise((r) => setTimeout(r, trial * 4)).then(() => lan.post(`/assignments/${assignmentId}/submissions`, { studentId: ids.an, score }));
      const [sub, gr] = await Promise.all([resubmit, grade]);
      const subText = await sub.text();
      expect(gr.status).toBe(200);
      const s = await stateOf(assignmentId);
      const graded = s.status === "graded" && Number(s.score) === Number(score);
      if (sub.status === 200) {
        // Handed in before the grade: the grade is on the new work, its file is kept.
        outcomes.submittedFirst++;
        if (!graded || s.body !== `Lần nộp lại ${trial}` || s.files.length !== 1 || s.received !== 2) inconsistent.push({ trial, sub: sub.status, s });
      } else {
        // Refused after the grade: said so, and nothing of it kept (no body, file row, stored file or event).
        outcomes.refused++;
        const refusedAsGraded = sub.status === 400 && htmlText(subText).includes("Bài đã được chấm, không thể nộp lại");
        if (!refusedAsGraded || !graded || s.body !== "Lần nộp đầu" || s.files.length !== 0 || s.received !== 1 || storedUploads() !== uploadsBefore) {
          inconsistent.push({ trial, sub: sub.status, s });
        }
      }
    }
    expect(inconsistent).toEqual([]);
    expect(outcomes.submittedFirst + outcomes.refused).toBe(20);
  });
});

describe("resubmission after grading", () => {
  it("is refused with a clear message, changes nothing, and the page says why there is no form", async () => {
    const assignmentId = await newAssignment("Bài chấm rồi");
    expect((await an.post(`/assignments/${assignmentId}`, submitForm("Bài làm", false))).status).toBe(200);
    expect((await lan.post(`/assignments/${assignmentId}/submissions`, { studentId: ids.an, score: "8,5" })).status).toBe(200);
    const before = await stateOf(assignmentId);
    expect(before).toMatchObject({ status: "graded", score: "8.50", body: "Bài làm", received: 1 });

    const res = await an.post(`/assignments/${assignmentId}`, submitForm("Sửa lại sau khi chấm", true));
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(htmlText(html)).toContain("Bài đã được chấm, không thể nộp lại");
    expect(await stateOf(assignmentId)).toEqual(before);

    const page = await an.get(`/assignments/${assignmentId}`);
    const text = await page.text();
    expect(text).toContain('data-testid="graded-locked"');
    expect(htmlText(text)).toContain("Bài đã được chấm, không thể nộp lại");
    expect(text).not.toContain('name="body"');
    expect(htmlText(text)).toContain("8,5/10");
  });

  it("the service refuses it too when the page's own check is passed by (graded between the two)", async () => {
    const assignmentId = await newAssignment("Bài chấm giữa chừng");
    const student = await actorOf(an);
    const teacher = await actorOf(lan);
    expect((await submitAssignment(hub.database.db, student, assignmentId, { body: "Bài làm" }, [])).ok).toBe(true);
    // A file whose reading grades the work: the grade lands after the service's early check.
    const file = bigPdf();
    const slice = file.slice.bind(file);
    let graded = false;
    file.slice = ((...args: Parameters<File["slice"]>) => {
      if (!graded) {
        graded = true;
        return Object.assign(slice(...args), {
          arrayBuffer: async () => {
            expect((await gradeSubmission(hub.database.db, teacher, assignmentId, { studentId: ids.an, score: "7" })).ok).toBe(true);
            return slice(...args).arrayBuffer();
          },
        });
      }
      return slice(...args);
    }) as File["slice"];
    const result = await submitAssignment(hub.database.db, student, assignmentId, { body: "Nộp lại" }, [file]);
    expect(result).toEqual({ ok: false, errors: { body: "errors.already_graded" } });
    expect(await stateOf(assignmentId)).toMatchObject({ status: "graded", score: "7.00", body: "Bài làm", files: [], received: 1 });
  });
});

describe("first hand-in racing the assignment's removal", () => {
  /** Student An's submission whose file, once being read, lets `meanwhile` run first. */
  function fileThatWaitsFor(meanwhile: () => Promise<void>) {
    const file = bigPdf();
    const slice = file.slice.bind(file);
    let ran = false;
    file.slice = ((...args: Parameters<File["slice"]>) => {
      if (ran) return slice(...args);
      ran = true;
      return Object.assign(slice(...args), {
        arrayBuffer: async () => {
          await meanwhile();
          return slice(...args).arrayBuffer();
        },
      });
    }) as File["slice"];
    return file;
  }

  it("a hand-in arriving after the assignment was deleted is refused with a message, and nothing is stored", async () => {
    const assignmentId = await newAssignment("Bài bị xóa giữa chừng");
    const [student, teacher] = await Promise.all([actorOf(an), actorOf(lan)]);
    const { removeAssignment } = await import("../../app/services/assignments.server.ts");
    const uploadsBefore = storedUploads();
    const file = fileThatWaitsFor(async () => {
      expect(await removeAssignment(hub.database.db, teacher, ids.toan6, assignmentId)).toEqual({ archived: false });
    });
    const result = await submitAssignment(hub.database.db, student, assignmentId, { body: "Bài làm" }, [file]);
    expect(result).toEqual({ ok: false, errors: { body: "errors.assignment_removed" } });
    expect(await hub.database.db.select().from(submissions).where(eq(submissions.assignmentId, assignmentId))).toEqual([]);
    expect(storedUploads()).toBe(uploadsBefore);
  });

  it("a hand-in arriving after the assignment was archived is refused too", async () => {
    const assignmentId = await newAssignment("Bài bị lưu trữ giữa chừng");
    const [student, teacher] = await Promise.all([actorOf(an), actorOf(lan)]);
    const { removeAssignment } = await import("../../app/services/assignments.server.ts");
    // Another student's graded work makes removal an archive.
    const [other] = await hub.database.db.select({ id: sql<string>`user_id` }).from(sql`class_members`).where(sql`class_id = ${ids.toan6} and role = 'student' and user_id <> ${ids.an}`).limit(1);
    await hub.database.db.insert(submissions).values({ assignmentId, studentId: other.id, status: "submitted", body: "x", submittedAt: new Date() });
    const file = fileThatWaitsFor(async () => {
      expect(await removeAssignment(hub.database.db, teacher, ids.toan6, assignmentId)).toEqual({ archived: true });
    });
    const result = await submitAssignment(hub.database.db, student, assignmentId, { body: "Bài làm" }, [file]);
    expect(result).toEqual({ ok: false, errors: { body: "errors.assignment_removed" } });
    expect(await stateOf(assignmentId)).toMatchObject({ files: [], received: 0 });
    expect((await stateOf(assignmentId)).id).toBeUndefined();
  });
});
