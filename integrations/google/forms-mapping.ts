/**
 * Forms API wire records → the QuizReader port's records (pure), and the form's id from the
 * addresses a teacher may paste: the editor's (`/forms/d/<id>/edit`) or the responder's
 * (`/forms/d/e/<responderId>/viewform` — which is not the form's id, see `formRefOf`).
 */
import { z } from "zod";
import type { QuizInfo, QuizResponseRecord } from "../ports.ts";

/**
 * What a pasted address names. `edit`: the form's id (what the API takes). `responder`: the
 * published form's responder id (`/d/e/…`), which the API does not take: the hub keeps the link
 * and asks for the editor's address. Anything else is not a Google Form.
 */
export type FormRef = { kind: "edit"; formId: string; url: string } | { kind: "responder"; responderId: string; url: string };

const ID = /^[A-Za-z0-9_-]{20,}$/;

export function formRefOf(input: string): FormRef | null {
  let u: URL;
  try {
    u = new URL(input.trim());
  } catch {
    return null;
  }
  if (u.protocol !== "https:" || u.hostname !== "docs.google.com") return null;
  // /forms/d/<id>/edit, /forms/u/0/d/<id>/edit, /forms/d/e/<responderId>/viewform
  const parts = u.pathname.split("/").filter(Boolean);
  if (parts[0] !== "forms") return null;
  let i = 1;
  if (parts[i] === "u" && /^\d+$/.test(parts[i + 1] ?? "")) i += 2;
  if (parts[i] !== "d") return null;
  if (parts[i + 1] === "e") {
    const rid = parts[i + 2] ?? "";
    return ID.test(rid) ? { kind: "responder", responderId: rid, url: `https://docs.google.com/forms/d/e/${rid}/viewform` } : null;
  }
  const id = parts[i + 1] ?? "";
  return ID.test(id) ? { kind: "edit", formId: id, url: `https://docs.google.com/forms/d/${id}/edit` } : null;
}

const Grading = z.object({ pointValue: z.number().int().nonnegative().optional() }).passthrough();
const Item = z
  .object({
    questionItem: z.object({ question: z.object({ grading: Grading.optional() }).passthrough() }).passthrough().optional(),
    questionGroupItem: z.object({ grading: Grading.optional(), questions: z.array(z.object({ grading: Grading.optional() }).passthrough()).optional() }).passthrough().optional(),
  })
  .passthrough();

export const FormsForm = z
  .object({
    formId: z.string().min(1),
    info: z.object({ title: z.string().optional(), documentTitle: z.string().optional() }).passthrough().optional(),
    settings: z.object({ quizSettings: z.object({ isQuiz: z.boolean().optional() }).passthrough().optional() }).passthrough().optional(),
    items: z.array(Item).optional(),
    responderUri: z.string().optional(),
  })
  .passthrough();

const Answer = z.object({ grade: z.object({ score: z.number().optional(), correct: z.boolean().optional() }).passthrough().optional() }).passthrough();
export const FormsResponse = z
  .object({
    responseId: z.string().min(1),
    respondentEmail: z.string().optional(),
    totalScore: z.number().optional(),
    lastSubmittedTime: z.string().optional(),
    createTime: z.string().optional(),
    answers: z.record(z.string(), Answer).optional(),
  })
  .passthrough();

export const FormsResponsesList = z.object({ responses: z.array(z.unknown()).optional(), nextPageToken: z.string().optional() }).passthrough();

/** The quiz's points: every graded question's value (a grid's questions each count). */
export function quizOf(raw: z.infer<typeof FormsForm>): QuizInfo {
  let max = 0;
  for (const item of raw.items ?? []) {
    max += item.questionItem?.question.grading?.pointValue ?? 0;
    const group = item.questionGroupItem;
    if (group) for (const q of group.questions ?? []) max += q.grading?.pointValue ?? group.grading?.pointValue ?? 0;
  }
  return {
    formId: raw.formId,
    title: raw.info?.title || raw.info?.documentTitle || "",
    isQuiz: raw.settings?.quizSettings?.isQuiz === true,
    maxScore: max,
    responderUri: raw.responderUri ?? null,
  };
}

/** A response, or why it cannot be used (no submission time, a score that is not a number). */
export function responseOf(raw: unknown): { ok: QuizResponseRecord } | { skip: { externalId: string; reason: string } } {
  const parsed = FormsResponse.safeParse(raw);
  const rid = typeof (raw as { responseId?: unknown })?.responseId === "string" ? (raw as { responseId: string }).responseId : "?";
  if (!parsed.success) return { skip: { externalId: rid, reason: "contract:response" } };
  const r = parsed.data;
  const when = new Date(r.lastSubmittedTime ?? r.createTime ?? "");
  if (Number.isNaN(when.getTime())) return { skip: { externalId: r.responseId, reason: "missing_field:lastSubmittedTime" } };
  const graded = Object.values(r.answers ?? {}).filter((a) => a.grade !== undefined).length;
  const email = r.respondentEmail?.trim().toLowerCase() || null;
  return {
    ok: {
      responseId: r.responseId,
      respondentEmail: email,
      // Google leaves totalScore out for a response worth 0 points as well as for one not graded:
      // with graded answers present, a missing total is 0.
      totalScore: r.totalScore ?? (graded > 0 ? 0 : null),
      submittedAt: when,
      gradedQuestions: graded,
    },
  };
}
