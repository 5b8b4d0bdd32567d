/**
 * Google Forms quizzes as a QuizReader, through @googleapis/forms over the hub's HTTP layer:
 * `forms.get` for the quiz (its title, whether it is a quiz, the questions' point values, the
 * responder link) and `forms.responses.list` for its responses, the largest page (5,000) at a
 * time, following `nextPageToken`. Each call spends the project's and the connection's user
 * budget, shared by every process: reads 975 a minute per project and 390 per user;
 * `responses.list` is an "expensive read", 450 a minute per project and 180 per user. A 429's
 * Retry-After blocks the user's budget for everyone; a 401 expires the token and is sent once more.
 */
import { forms, type forms_v1 } from "@googleapis/forms";
import { IntegrationError } from "../errors.ts";
import { providerFetch } from "../http/fetch.server.ts";
import { spendAll, type Budget } from "../http/budgets.ts";
import type { ConnectionRef, QuizReader, QuizResponseRecord, RateBudgets, SkippedRecord, TokenSource } from "../ports.ts";
import { FORMS_ROOT, type GoogleConfig } from "./config.ts";
import { googleError } from "./errors.ts";
import { FormsForm, FormsResponsesList, quizOf, responseOf } from "./forms-mapping.ts";

export const FORMS_PAGE_SIZE = 5000;
export const FORMS_READ_BUDGET = { key: "google:forms:project:reads", limit: 975, windowMs: 60_000 } as const;
export const FORMS_LIST_BUDGET = { key: "google:forms:project:lists", limit: 450, windowMs: 60_000 } as const;
export const formsUserReadBudget = (connectionId: string): Budget => ({ key: `google:forms:user:${connectionId}:reads`, limit: 390, windowMs: 60_000 });
export const formsUserListBudget = (connectionId: string): Budget => ({ key: `google:forms:user:${connectionId}:lists`, limit: 180, windowMs: 60_000 });

export type FormsDeps = {
  config: GoogleConfig;
  tokens: TokenSource;
  budgets?: RateBudgets;
  onAttempt?: (outcome: { status?: number; throttled: boolean }) => void;
};

type Forms = forms_v1.Forms;

export function createFormsQuizReader(deps: FormsDeps): QuizReader {
  function client(token: string, operation: string): Forms {
    return forms({
      version: "v1",
      rootUrl: deps.config.apiRoot ?? FORMS_ROOT,
      headers: { authorization: `Bearer ${token}` },
      retry: false,
      fetchImplementation: providerFetch({ provider: "google", operation, idempotent: true, onAttempt: deps.onAttempt }),
    });
  }

  async function call<T>(conn: ConnectionRef, operation: string, budgets: Budget[], fn: (f: Forms) => Promise<{ data: T }>): Promise<T> {
    let t = await deps.tokens.accessToken(conn);
    for (let attempt = 1; ; attempt++) {
      if (deps.budgets) await spendAll(deps.budgets, budgets, { provider: "google", operation });
      try {
        return (await fn(client(t.token, operation))).data;
      } catch (e) {
        const err = googleError(e, operation);
        if (err.code === "reauth_required" && err.status === 401 && attempt === 1) {
          await deps.tokens.rejected(conn, t.version);
          t = await deps.tokens.accessToken(conn);
          continue;
        }
        if (err.code === "rate_limited" && err.retryAt && deps.budgets) await deps.budgets.block(budgets[budgets.length - 1].key, err.retryAt);
        throw err;
      }
    }
  }

  const contract = (operation: string, detail: string) => new IntegrationError({ code: "contract", provider: "google", operation, providerMessage: detail });

  return {
    provider: "google",

    async readQuiz(conn, formId) {
      const op = "forms.get";
      const data = await call(conn, op, [FORMS_READ_BUDGET, formsUserReadBudget(conn.id)], (f) => f.forms.get({ formId }));
      const parsed = FormsForm.safeParse(data);
      if (!parsed.success) throw contract(op, parsed.error.issues[0]?.message ?? "form");
      return quizOf(parsed.data);
    },

    async *listResponses(conn, formId, cursor) {
      const op = "forms.responses.list";
      let token: string | undefined = cursor || undefined;
      for (;;) {
        const data = await call(conn, op, [FORMS_LIST_BUDGET, formsUserListBudget(conn.id)], (f) => f.forms.responses.list({ formId, pageSize: FORMS_PAGE_SIZE, pageToken: token }));
        const parsed = FormsResponsesList.safeParse(data);
        if (!parsed.success) throw contract(op, "responses");
        const items: QuizResponseRecord[] = [];
        const skipped: SkippedRecord[] = [];
        for (const raw of parsed.data.responses ?? []) {
          const m = responseOf(raw);
          if ("ok" in m) items.push(m.ok);
          else skipped.push({ kind: "form_response", ...m.skip });
        }
        const next = parsed.data.nextPageToken || null;
        yield { items, skipped, nextCursor: next };
        if (!next) return;
        token = next;
      }
    },
  };
}
