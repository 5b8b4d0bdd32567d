import { Marked } from "marked";
import sanitizeHtml from "sanitize-html";

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
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
  // Raw HTML images load only from the hub itself (Markdown images from elsewhere became links).
  exclusiveFilter: (frame) => frame.tag === "img" && !isOwnAddress(frame.attribs.src),
};

export function sanitize(html: string): string {
  return sanitizeHtml(html, { ...POLICY, allowedAttributes: { ...POLICY.allowedAttributes, a: ["href", "title", "rel", "target"] } });
}

export function renderMarkdown(markdown: string): string {
  return sanitize(marked.parse(markdown) as string);
}
