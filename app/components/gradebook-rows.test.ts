import { describe, expect, it } from "vitest";
import { gradebookRowsHtml, type RowsInput } from "./gradebook-rows.ts";
import { escapeHtml } from "../lib/html.ts";
import { translate, type MessageKey } from "../i18n/index.ts";

const t = (key: MessageKey, vars?: Record<string, string | number>) => translate("vi", key, vars);
const ten = { id: "a1", label: "TX1", title: "Kiểm tra 15 phút", kind: "regular" as const, scale: "ten_point" as const, maxPoints: null };
const levels = { id: "a2", label: "GK", title: "Giữa kỳ", kind: "midterm" as const, scale: "pass_fail" as const, maxPoints: null };

function input(over: Partial<RowsInput> = {}): RowsInput {
  return {
    page: {
      canEdit: true,
      students: [
        { id: "s1", fullName: `Lê "Bé" <script>alert(1)</script>` },
        { id: "s2", fullName: "Trần Thị Bình" },
      ],
      cells: [
        [["graded", "8.50", null], ["graded", null, "D"]],
        [["missing", null, null], 0],
      ],
      results: [{ kind: "average", tenths: 84, regularCount: 1, duplicates: [] }, { kind: "incomplete", missing: { regular: 1, midterm: true, final: true }, duplicates: [] }],
      year: [null, null],
    },
    ordered: [
      { col: ten, index: 0 },
      { col: levels, index: 1 },
    ],
    showAverage: true,
    showYear: false,
    t,
    locale: "vi",
    ...over,
  };
}

describe("the gradebook's rows as text", () => {
  it("escapes everything that comes from data", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    const html = gradebookRowsHtml(input());
    expect(html).not.toContain("<script>");
    expect(html).toContain(`<th scope="row" class="gb-name" id="gb-r0">Lê &quot;Bé&quot; &lt;script&gt;alert(1)&lt;/script&gt;</th>`);
    expect(html).toContain(`data-student="Lê &quot;Bé&quot; &lt;script&gt;`);
  });

  it("names each field by position, labels it by its headers and keeps the grade", () => {
    const html = gradebookRowsHtml(input());
    expect(html).toContain(`<input name="g.0.0" aria-labelledby="gb-c0 gb-r0" inputmode="decimal" value="8,5">`);
    expect(html).toContain(`<select name="g.1.0" aria-labelledby="gb-c1 gb-r0"><option value="">—</option><option value="D" selected>Đạt</option><option value="CD">Chưa đạt</option></select>`);
    // Bình: missing work shows its note under an empty field; no cell at all is an empty field.
    expect(html).toContain(`<input name="g.0.1" aria-labelledby="gb-c0 gb-r1" inputmode="decimal" value=""><span class="gb-note muted">thiếu bài</span>`);
    expect(html).toContain(`<td data-column="average"><strong class="grade">8,4</strong></td>`);
    expect(html).toContain("Chưa đủ điểm (thiếu 1 TX, thiếu GK, thiếu CK)");
  });

  it("shows a refused value beside its error, marked invalid", () => {
    const html = gradebookRowsHtml(input({ refused: { "a1.s2": { error: "errors.score_invalid", value: `11"><b>` } } }));
    expect(html).toContain(`<input name="g.0.1" aria-labelledby="gb-c0 gb-r1" aria-invalid="true" aria-describedby="gb-err-0-1" inputmode="decimal" value="11&quot;&gt;&lt;b&gt;">`);
    expect(html).toMatch(/<span class="error gb-error" id="gb-err-0-1" role="alert">[^<]+<\/span>/);
  });

  it("reads without fields for someone who may not edit", () => {
    const page = { ...input().page, canEdit: false };
    const html = gradebookRowsHtml(input({ page }));
    expect(html).not.toContain("<input");
    expect(html).not.toContain("<select");
    expect(html).toContain("<span>8,5/10</span>");
    expect(html).toContain(`<span class="muted">thiếu bài</span>`);
  });
});
