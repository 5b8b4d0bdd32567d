import { describe, expect, it } from "vitest";
import { applyEdit } from "./markdown-toolbar.tsx";

describe("applyEdit", () => {
  it("wraps the selection in bold and selects the same words again", () => {
    const r = applyEdit("Tính 12 × 5 nhé", 5, 11, { before: "**", after: "**", placeholder: "toolbar.boldText" }, "chữ đậm");
    expect(r.text).toBe("Tính **12 × 5** nhé");
    expect(r.text.slice(r.selStart, r.selEnd)).toBe("12 × 5");
  });

  it("writes a placeholder when nothing is selected", () => {
    const r = applyEdit("Xem ", 4, 4, { before: "[", after: "](https://)", placeholder: "toolbar.linkText" }, "tên liên kết");
    expect(r.text).toBe("Xem [tên liên kết](https://)");
    expect(r.text.slice(r.selStart, r.selEnd)).toBe("tên liên kết");
  });

  it("numbers each selected line and starts the list after a blank line", () => {
    const r = applyEdit("Các bước:\nđọc\n- làm", 10, 19, { before: "", after: "", placeholder: "toolbar.itemText", block: true, line: (i) => `${i + 1}. ` }, "mục");
    expect(r.text).toBe("Các bước:\n\n1. đọc\n2. làm");
  });
});
