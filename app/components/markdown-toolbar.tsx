import { useRef, type KeyboardEvent, type RefObject } from "react";
import { useT, type MessageKey } from "../i18n/index.ts";

type Edit = { before: string; after: string; afterKey?: MessageKey; placeholder: MessageKey; block?: boolean; line?: (i: number) => string };

/** What each button writes around the selection (or around a placeholder when nothing is selected). */
const EDITS: { key: string; label: MessageKey; glyph: string; edit: Edit }[] = [
  { key: "bold", label: "toolbar.bold", glyph: "B", edit: { before: "**", after: "**", placeholder: "toolbar.boldText" } },
  { key: "italic", label: "toolbar.italic", glyph: "I", edit: { before: "*", after: "*", placeholder: "toolbar.italicText" } },
  { key: "heading", label: "toolbar.heading", glyph: "H", edit: { before: "## ", after: "", placeholder: "toolbar.headingText", block: true } },
  { key: "bullets", label: "toolbar.bullets", glyph: "•", edit: { before: "", after: "", placeholder: "toolbar.itemText", block: true, line: () => "- " } },
  { key: "numbers", label: "toolbar.numbers", glyph: "1.", edit: { before: "", after: "", placeholder: "toolbar.itemText", block: true, line: (i) => `${i + 1}. ` } },
  { key: "link", label: "toolbar.link", glyph: "🔗", edit: { before: "[", after: "](https://)", placeholder: "toolbar.linkText" } },
  { key: "image", label: "toolbar.image", glyph: "🖼", edit: { before: "![", after: "](/files/)", placeholder: "toolbar.imageText" } },
  {
    key: "table",
    label: "toolbar.table",
    glyph: "▦",
    edit: { before: "| ", after: "", afterKey: "toolbar.tableRest", placeholder: "toolbar.tableText", block: true },
  },
];

/** The new text and selection after wrapping [start, end) of `value` in `edit`. */
export function applyEdit(value: string, start: number, end: number, edit: Edit, placeholder: string, after = edit.after) {
  let selected = value.slice(start, end) || placeholder;
  let before = edit.before;
  if (edit.line) selected = selected.split("\n").map((l, i) => edit.line!(i) + l.replace(/^(\s*)([-*+]|\d+[.)])\s+/, "$1")).join("\n");
  if (edit.block) {
    // A block starts on a line of its own, after a blank line.
    const head = value.slice(0, start);
    if (head && !head.endsWith("\n\n")) before = (head.endsWith("\n") ? "\n" : "\n\n") + before;
  }
  const text = value.slice(0, start) + before + selected + after + value.slice(end);
  const selStart = start + before.length;
  return { text, selStart, selEnd: selStart + selected.length };
}

/**
 * Buttons above a Markdown textarea: each writes the Markdown for bold, a heading, a list, a link…
 * around the selected text, then selects the text again. Arrow keys move between the buttons.
 */
export function MarkdownToolbar({ target, onChange }: { target: RefObject<HTMLTextAreaElement | null>; onChange: (value: string) => void }) {
  const t = useT();
  const bar = useRef<HTMLDivElement>(null);

  function run(edit: Edit) {
    const area = target.current;
    if (!area) return;
    const { text, selStart, selEnd } = applyEdit(area.value, area.selectionStart, area.selectionEnd, edit, t(edit.placeholder), edit.afterKey ? t(edit.afterKey) : edit.after);
    onChange(text);
    // After React has written the new value: select the wrapped text, as an editor would.
    requestAnimationFrame(() => {
      area.focus();
      area.setSelectionRange(selStart, selEnd);
    });
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft" && e.key !== "Home" && e.key !== "End") return;
    const buttons = [...(bar.current?.querySelectorAll("button") ?? [])];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const next = e.key === "Home" ? 0 : e.key === "End" ? buttons.length - 1 : (i + (e.key === "ArrowRight" ? 1 : -1) + buttons.length) % buttons.length;
    buttons[next]?.focus();
    e.preventDefault();
  }

  return (
    <div className="md-toolbar" role="toolbar" aria-label={t("toolbar.label")} ref={bar} onKeyDown={onKeyDown}>
      {EDITS.map(({ key, label, glyph, edit }) => (
        // The glyph is drawn by the stylesheet (data-glyph): the button's name is its label alone.
        <button key={key} type="button" aria-label={t(label)} title={t(label)} data-edit={key} data-glyph={glyph} onClick={() => run(edit)} />
      ))}
    </div>
  );
}
