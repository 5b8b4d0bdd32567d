import { describe, expect, it } from "vitest";
import { courseworkOf } from "./classroom-mapping.ts";

const work = { id: "w1", title: "Kiểm tra nhanh", state: "PUBLISHED", workType: "ASSIGNMENT", maxPoints: 10 };

describe("Classroom coursework with a Forms quiz", () => {
  it("keeps the first form material's link and title", () => {
    const out = courseworkOf({
      ...work,
      materials: [{ link: { url: "https://example.com" } }, { form: { formUrl: "https://docs.google.com/forms/d/e/1FAIpQLSabc/viewform", title: "Kiểm tra", responseUrl: "https://docs.google.com/spreadsheets/d/x" } }],
    });
    expect(out).toMatchObject({ ok: { externalId: "w1", form: { url: "https://docs.google.com/forms/d/e/1FAIpQLSabc/viewform", title: "Kiểm tra" } } });
  });

  it("no form material, or a form link that is not Google's: no form", () => {
    const plain = courseworkOf(work) as { ok: Record<string, unknown> };
    expect(plain.ok.externalId).toBe("w1");
    expect(plain.ok.form).toBeUndefined();
    const odd = courseworkOf({ ...work, materials: [{ form: { formUrl: "javascript:alert(1)" } }] }) as { ok: Record<string, unknown> };
    expect(odd.ok.form).toBeUndefined();
  });
});
