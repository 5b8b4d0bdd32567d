import { randomBytes } from "node:crypto";
import katex from "katex";
import { Marked, type TokenizerAndRendererExtension } from "marked";
import sanitizeHtml from "sanitize-html";

/**
 * Mathematics: `$…$` inline and `$$…$$` on lines of their own, typeset by KaTeX here on the
 * server (HTML output only, no MathML), so readers need no script and the page keeps its CSP.
 * A formula is sanitized by a policy of its own (KaTeX's spans, classes, a few style properties
 * and the SVG it draws roots and arrows with) and only then put into the lesson's HTML, in place
 * of a marker that the lesson's text cannot guess (see renderMarkdown).
 */
let mathSlots: { marker: string; html: string[] } | null = null;

function mathSlot(tex: string, displayMode: boolean): string {
  if (!mathSlots) return escapeHtml(displayMode ? `$$${tex}$$` : `$${tex}$`);
  const html = katex.renderToString(tex, {
    displayMode,
    output: "html",
    throwOnError: false,
    // No \href, \url, \includegraphics or \htmlClass/\htmlStyle: they render as plain text.
    trust: false,
    strict: "ignore",
    maxSize: 20,
    maxExpand: 500,
  });
  // KaTeX's HTML is hidden from screen readers (MathML would speak it; none is sent): the formula
  // is announced as an image labelled with its source instead.
  const labelled = html.replace(/^((?:<span class="katex-display">)?)<span class="katex">/, `$1<span class="katex" role="img" aria-label="${escapeHtml(tex)}">`);
  mathSlots.html.push(sanitizeHtml(labelled, KATEX_POLICY));
  return `${mathSlots.marker}${mathSlots.html.length - 1}z`;
}

const mathExtensions: TokenizerAndRendererExtension[] = [
  {
    name: "mathBlock",
    level: "block",
    start: (src) => src.match(/^ {0,3}\$\$/m)?.index,
    tokenizer(src) {
      const m = /^ {0,3}\$\$([\s\S]+?)\$\$[^\S\n]*(?:\n+|$)/.exec(src);
      if (m && m[1].trim()) return { type: "mathBlock", raw: m[0], text: m[1].trim() };
    },
    renderer: (token) => `<p>${mathSlot(token.text as string, true)}</p>\n`,
  },
  {
    name: "mathInline",
    level: "inline",
    start: (src) => {
      const i = src.indexOf("$");
      return i < 0 ? undefined : i;
    },
    tokenizer(src) {
      // "$x$" but not "$ 5 và $ 10": no space just inside the dollars, no digit right after.
      const m = /^\$\$((?:\\.|[^\\$])+?)\$\$/.exec(src) ?? /^\$(?![\s$])((?:\\.|[^\\$\n])+?)(?<!\s)\$(?!\d)/.exec(src);
      if (m) return { type: "mathInline", raw: m[0], text: m[1].trim(), display: m[0].startsWith("$$") };
    },
    renderer: (token) => mathSlot(token.text as string, Boolean(token.display)),
  },
];

const LENGTH = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:em|ex|px|pt|%)?$/;
const COLOR = /^(?:#[0-9a-f]{3,8}|[a-z]{3,20}|rgba?\([\d\s.,%]+\))$/i;
const KATEX_STYLES = Object.fromEntries([
  ...["height", "width", "min-width", "max-width", "top", "bottom", "left", "right", "vertical-align",
    "margin-left", "margin-right", "margin-top", "margin-bottom", "padding-left", "padding-right", "padding-top", "padding-bottom",
    "border-width", "border-top-width", "border-right-width", "border-bottom-width", "border-left-width"].map((p) => [p, [LENGTH]]),
  ...["color", "background-color", "border-color"].map((p) => [p, [COLOR]]),
  ["border-style", [/^(?:solid|dashed|dotted|double|none)$/]],
  ["border-right-style", [/^(?:solid|dashed|dotted|double|none)$/]],
  ["border-bottom-style", [/^(?:solid|dashed|dotted|double|none)$/]],
]) as Record<string, RegExp[]>;

/** What KaTeX's HTML output needs, and nothing that runs, links or loads. */
const KATEX_POLICY: sanitizeHtml.IOptions = {
  allowedTags: ["span", "svg", "path", "line"],
  allowedAttributes: {
    span: ["class", "style", "aria-hidden", "title", "aria-label", { name: "role", multiple: false, values: ["img"] }],
    svg: ["xmlns", "width", "height", "viewbox", "viewBox", "preserveaspectratio", "preserveAspectRatio", "style"],
    path: ["d"],
    line: ["x1", "y1", "x2", "y2", "stroke-width"],
  },
  allowedStyles: { span: KATEX_STYLES, svg: KATEX_STYLES },
  allowedSchemes: [],
  allowProtocolRelative: false,
  parser: { lowerCaseAttributeNames: false },
};

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  extensions: mathExtensions,
  renderer: {
    // An image from another site is not loaded when a pupil opens the lesson (it would tell that
    // site who read it, and when): it becomes a link the reader may choose to open.
    image({ href, title, text }) {
      if (isOwnAddress(href)) return false;
      const titleAttr = title ? ` title="${escapeHtml(title)}"` : "";
      return `<a href="${escapeHtml(href)}"${titleAttr}>🖼 ${escapeHtml(text || href)}</a>`;
    },
  },
});

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** An address on the hub itself ("/files/…", a relative path), never another host's. */
function isOwnAddress(src: string | undefined): boolean {
  if (typeof src !== "string" || /^[a-z][a-z0-9+.-]*:/i.test(src.trim())) return false;
  try {
    return new URL(src, "https://hub.invalid/").origin === "https://hub.invalid";
  } catch {
    return false;
  }
}

/** Only this HTML ever reaches a browser: no scripts, no event handlers, no javascript: URLs. */
const POLICY: sanitizeHtml.IOptions = {
  allowedTags: [
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "s",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
  ],
  allowedAttributes: {
    a: ["href", "title"],
    img: ["src", "alt", "title", "width", "height"],
    th: ["align"],
    td: ["align"],
    code: ["class"],
  },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: { img: [] },
  allowProtocolRelative: false,
  transformTags: {
    a: sanitizeHtml.simpleTransform("a", { rel: "noopener noreferrer nofollow", target: "_blank" }),
  },
  // Raw HTML images load only from the hub itself (Markdown images from elsewhere became links):
  // see sanitize().
};

/** Which of the hub's files a text may show as images: the attachments of its lesson. */
export type RenderOptions = { files?: ReadonlySet<string> };

/** The attachment id of an own-file image address ("/files/<id>"), if it is one. */
function fileId(src: string): string | undefined {
  try {
    return /^\/files\/([^/?#]+)\/?$/.exec(new URL(src, "https://hub.invalid/").pathname)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Only this HTML ever reaches a browser: no scripts, no event handlers, no javascript: URLs.
 * With `files`, an image of the hub's files that is not one of them (an attachment since removed,
 * or another lesson's) is left out rather than shown broken.
 */
export function sanitize(html: string, options: RenderOptions = {}, math: string[] = [], marker = ""): string {
  const { files } = options;
  return sanitizeHtml(html, {
    ...POLICY,
    allowedAttributes: { ...POLICY.allowedAttributes, a: ["href", "title", "rel", "target"] },
    exclusiveFilter: (frame) => {
      if (frame.tag !== "img") return false;
      const src = frame.attribs.src;
      if (!isOwnAddress(src)) return true;
      const id = fileId(src);
      return Boolean(files && id !== undefined && !files.has(id));
    },
    // The typeset formulas go in where their markers stand in the text (never inside an attribute).
    textFilter: marker ? (text) => text.replace(new RegExp(`${marker}(\\d+)z`, "g"), (m, i: string) => math[Number(i)] ?? m) : undefined,
  });
}

export function renderMarkdown(markdown: string, options: RenderOptions = {}): string {
  // A fresh marker for each text: a lesson cannot write one in advance to smuggle HTML in.
  const slots = { marker: `katex${randomBytes(12).toString("hex")}n`, html: [] as string[] };
  mathSlots = slots;
  let html: string;
  try {
    html = marked.parse(markdown) as string;
  } finally {
    mathSlots = null;
  }
  return sanitize(html, options, slots.html, slots.html.length > 0 ? slots.marker : "");
}
