import { describe, expect, it } from "vitest";
import { formRefOf, FormsForm, quizOf, responseOf } from "./forms-mapping.ts";

const ID = "1FAIpQLSd3n5xYqW0aBcDeFgHiJkLmNoPqRsTuV";

describe("a pasted Forms address", () => {
  it("the editor's address and the …/viewform address of a form name its id", () => {
    expect(formRefOf(`https://docs.google.com/forms/d/${ID}/edit`)).toEqual({ kind: "edit", formId: ID, url: `https://docs.google.com/forms/d/${ID}/edit` });
    expect(formRefOf(`  https://docs.google.com/forms/d/${ID}/viewform?usp=sf_link  `)).toMatchObject({ kind: "edit", formId: ID });
    expect(formRefOf(`https://docs.google.com/forms/u/1/d/${ID}/edit#responses`)).toMatchObject({ kind: "edit", formId: ID });
  });

  it("the students' link of a published form is recognised as such (it carries no form id)", () => {
    expect(formRefOf(`https://docs.google.com/forms/d/e/${ID}/viewform`)).toMatchObject({ kind: "responder", responderId: ID });
  });

  it("anything else is not a form", () => {
    for (const bad of ["", "không phải đường dẫn", `http://docs.google.com/forms/d/${ID}/edit`, `https://docs.google.com/document/d/${ID}/edit`, `https://evil.example/forms/d/${ID}/edit`, "https://docs.google.com/forms/d/short/edit", `https://docs.google.com.evil.example/forms/d/${ID}/edit`]) {
      expect(formRefOf(bad), bad).toBeNull();
    }
  });
});

describe("Forms records", () => {
  it("a quiz's points are the sum of its graded questions (a grid's rows each count)", () => {
    const form = FormsForm.parse({
      formId: ID,
      info: { title: "Kiểm tra 15 phút" },
      settings: { quizSettings: { isQuiz: true } },
      responderUri: `https://docs.google.com/forms/d/e/x/viewform`,
      items: [
        { questionItem: { question: { grading: { pointValue: 2 } } } },
        { questionItem: { question: {} } },
        { questionGroupItem: { questions: [{ grading: { pointValue: 1 } }, { grading: { pointValue: 1 } }] } },
        { textItem: {} },
      ],
    });
    expect(quizOf(form)).toEqual({ formId: ID, title: "Kiểm tra 15 phút", isQuiz: true, maxScore: 4, responderUri: "https://docs.google.com/forms/d/e/x/viewform" });
    expect(quizOf(FormsForm.parse({ formId: ID, info: { title: "Khảo sát" } })).isQuiz).toBe(false);
  });

  it("a response: email lower-cased, a graded response without totalScore is worth 0, an ungraded one has no score", () => {
    const r = responseOf({ responseId: "r1", respondentEmail: "An.NV@NguyenDu.LopSo.Demo", lastSubmittedTime: "2026-12-01T02:00:00.123Z", answers: { q1: { grade: { correct: false } } } });
    expect(r).toEqual({ ok: { responseId: "r1", respondentEmail: "an.nv@nguyendu.lopso.demo", totalScore: 0, submittedAt: new Date("2026-12-01T02:00:00.123Z"), gradedQuestions: 1 } });
    expect(responseOf({ responseId: "r2", lastSubmittedTime: "2026-12-01T02:00:00Z", answers: { q1: {} } })).toMatchObject({ ok: { respondentEmail: null, totalScore: null } });
    expect(responseOf({ responseId: "r3", totalScore: "nine" })).toEqual({ skip: { externalId: "r3", reason: "contract:response" } });
    expect(responseOf({ responseId: "r4" })).toEqual({ skip: { externalId: "r4", reason: "missing_field:lastSubmittedTime" } });
  });
});
