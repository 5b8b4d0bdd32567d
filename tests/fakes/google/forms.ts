/**
 * The fake Google's Forms API v1, from its reference: `GET /v1/forms/{formId}` (the form with
 * `info`, `settings.quizSettings.isQuiz`, `items[].questionItem.question.grading.pointValue`,
 * `responderUri`) and `GET /v1/forms/{formId}/responses` (`responses[]` with `responseId`,
 * `respondentEmail` only when the form collects emails, `totalScore`, `answers{questionId:{grade}}`,
 * `createTime`, `lastSubmittedTime`; `pageSize` default and max 5000, an opaque `nextPageToken`
 * bound to its form). Reading the form needs `forms.body.readonly` (or `forms.body`), the
 * responses `forms.responses.readonly`; without them 403 PERMISSION_DENIED. An unknown form is
 * 404 NOT_FOUND "Requested entity was not found.", a form the token's account may not open 403.
 * `throttleNext(n)` answers the next n calls 429 RESOURCE_EXHAUSTED with Retry-After.
 */
import crypto from "node:crypto";
import type { OidcCore } from "../oidc/core.ts";

export type FakeQuestion = { questionId: string; title: string; points: number };
export type FakeFormResponse = {
  responseId?: string;
  /** Kept only when the form collects emails. */
  email?: string;
  /** Points per question id; left out: the answer is not graded. */
  scores: Record<string, number>;
  submittedAt: Date | string;
  createdAt?: Date | string;
};
export type FakeForm = {
  formId: string;
  title: string;
  isQuiz: boolean;
  collectEmails: boolean;
  questions: FakeQuestion[];
  responses: (FakeFormResponse & { responseId: string })[];
  /** Accounts (emails) who may open the form; empty: everyone with the scope. */
  owners: string[];
};

export type FakeForms = {
  forms: Map<string, FakeForm>;
  calls: Record<string, number>;
  /** Every responses.list served: the form, the page size asked for and the page token given. */
  listRequests: { formId: string; pageSize: string | null; pageToken: string | null }[];
  /** The largest page served, whatever pageSize asks (Google's is 5000). */
  maxPageSize: number;
  addQuiz: (f: { title: string; questions: FakeQuestion[]; isQuiz?: boolean; collectEmails?: boolean; owners?: string[]; formId?: string }) => FakeForm;
  /** A new response, or (same responseId) the student's edit of theirs. */
  respond: (formId: string, r: FakeFormResponse) => string;
  throttleNext: (n: number, retryAfterSeconds?: number) => void;
};

type Reply = { status: number; body: unknown; headers?: Record<string, string> };
const apiError = (code: number, status: string, message: string, headers?: Record<string, string>): Reply => ({ status: code, body: { error: { code, message, status } }, headers });
const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

export function createFakeForms(oidc: OidcCore): FakeForms & { handle: (method: string, url: URL, authorization: string | undefined) => Reply | null } {
  const calls: Record<string, number> = { "forms.get": 0, "forms.responses.list": 0, "forms.429": 0 };
  const forms = new Map<string, FakeForm>();
  let throttle = 0;
  let retryAfter = 30;
  const listRequests: FakeForms["listRequests"] = [];
  const state: FakeForms = {
    forms,
    calls,
    listRequests,
    maxPageSize: 5000,
    addQuiz(f) {
      const formId = f.formId ?? crypto.randomBytes(33).toString("base64url").slice(0, 44);
      const form: FakeForm = { formId, title: f.title, isQuiz: f.isQuiz ?? true, collectEmails: f.collectEmails ?? true, questions: f.questions, responses: [], owners: f.owners ?? [] };
      forms.set(formId, form);
      return form;
    },
    respond(formId, r) {
      const form = forms.get(formId)!;
      const responseId = r.responseId ?? `ACYDBN${crypto.randomBytes(12).toString("hex")}`;
      const existing = form.responses.find((x) => x.responseId === responseId);
      if (existing) Object.assign(existing, r, { responseId, createdAt: existing.createdAt });
      else form.responses.push({ ...r, responseId, createdAt: r.createdAt ?? r.submittedAt });
      return responseId;
    },
    throttleNext(n, seconds = 30) {
      throttle = n;
      retryAfter = seconds;
    },
  };

  const formJson = (f: FakeForm) => ({
    formId: f.formId,
    info: { title: f.title, documentTitle: f.title },
    settings: f.isQuiz ? { quizSettings: { isQuiz: true }, emailCollectionType: f.collectEmails ? "VERIFIED" : "DO_NOT_COLLECT" } : { emailCollectionType: f.collectEmails ? "VERIFIED" : "DO_NOT_COLLECT" },
    revisionId: "00000042",
    responderUri: `https://docs.google.com/forms/d/e/1FAIpQL${f.formId.slice(0, 20)}/viewform`,
    items: f.questions.map((q, i) => ({
      itemId: `item${i}`,
      title: q.title,
      questionItem: { question: { questionId: q.questionId, required: true, ...(f.isQuiz ? { grading: { pointValue: q.points } } : {}), choiceQuestion: { type: "RADIO", options: [{ value: "A" }, { value: "B" }] } } },
    })),
  });

  const responseJson = (f: FakeForm, r: FakeForm["responses"][number]) => {
    const answers: Record<string, unknown> = {};
    let total = 0;
    for (const q of f.questions) {
      const score = r.scores[q.questionId];
      const answer: Record<string, unknown> = { questionId: q.questionId, textAnswers: { answers: [{ value: "A" }] } };
      if (f.isQuiz && score !== undefined) {
        total += score;
        // Google leaves `score` out of a grade worth nothing.
        answer.grade = { ...(score > 0 ? { score } : {}), correct: score >= q.points };
      }
      answers[q.questionId] = answer;
    }
    return {
      formId: f.formId,
      responseId: r.responseId,
      createTime: iso(r.createdAt ?? r.submittedAt),
      lastSubmittedTime: iso(r.submittedAt),
      ...(f.collectEmails && r.email ? { respondentEmail: r.email } : {}),
      ...(f.isQuiz && total > 0 ? { totalScore: total } : {}),
      answers,
    };
  };

  const encodeToken = (formId: string, offset: number) => Buffer.from(JSON.stringify({ f: formId, o: offset })).toString("base64url");
  const decodeToken = (token: string, formId: string): number | null => {
    try {
      const t = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { f: string; o: number };
      return t.f === formId && Number.isInteger(t.o) ? t.o : null;
    } catch {
      return null;
    }
  };

  function handle(method: string, url: URL, authorization: string | undefined): Reply | null {
    const m = /^\/v1\/forms\/([^/:]+)(\/responses)?$/.exec(url.pathname);
    if (!m || method !== "GET") return null;
    const list = Boolean(m[2]);
    const op = list ? "forms.responses.list" : "forms.get";
    calls[op]++;
    if (throttle > 0) {
      throttle--;
      calls["forms.429"]++;
      return apiError(
        429,
        "RESOURCE_EXHAUSTED",
        `Quota exceeded for quota metric '${list ? "Expensive read requests" : "Read requests"}' and limit '${list ? "Expensive read requests" : "Read requests"} per minute per user' of service 'forms.googleapis.com'.`,
        { "retry-after": String(retryAfter) },
      );
    }
    const t = oidc.bearer(authorization);
    if (!t) return apiError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
    const scoped = list ? /forms\.responses(\.readonly)?\b/.test(t.scope) : /forms\.body(\.readonly)?\b/.test(t.scope);
    if (!scoped) return apiError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.");
    const form = forms.get(decodeURIComponent(m[1]));
    if (!form) return apiError(404, "NOT_FOUND", "Requested entity was not found.");
    if (form.owners.length && !form.owners.includes(t.account.email)) return apiError(403, "PERMISSION_DENIED", "The caller does not have permission");
    if (!list) return { status: 200, body: formJson(form) };
    listRequests.push({ formId: form.formId, pageSize: url.searchParams.get("pageSize"), pageToken: url.searchParams.get("pageToken") });
    const size = Math.min(Number(url.searchParams.get("pageSize") || 5000), state.maxPageSize);
    if (!Number.isInteger(size) || size < 0) return apiError(400, "INVALID_ARGUMENT", "Invalid page size.");
    const token = url.searchParams.get("pageToken");
    const offset = token ? decodeToken(token, form.formId) : 0;
    if (offset === null) return apiError(400, "INVALID_ARGUMENT", "Invalid page token.");
    const all = [...form.responses].sort((a, b) => iso(a.createdAt ?? a.submittedAt).localeCompare(iso(b.createdAt ?? b.submittedAt)));
    const page = all.slice(offset, offset + (size || 5000));
    const next = offset + page.length < all.length ? encodeToken(form.formId, offset + page.length) : undefined;
    return { status: 200, body: { ...(page.length ? { responses: page.map((r) => responseJson(form, r)) } : {}), ...(next ? { nextPageToken: next } : {}) } };
  }

  return Object.assign(state, { handle });
}
