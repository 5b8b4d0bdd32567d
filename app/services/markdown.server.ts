import { Marked } from "marked";
import sanitizeHtml from "sanitize-html";

const marked = new Marked({ gfm: true, breaks: true, async: false });

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
    img: (tagName, attribs) => (isOwnPath(attribs.src) ? { tagName, attribs } : imageAsLink(attribs)),
  },
};

/** A path on the hub itself ("/files/…"), never another host's address. */
function isOwnPath(src: string | undefined): boolean {
  return typeof src === "string" && src.startsWith("/") && !src.startsWith("//") && !src.startsWith("/\\");
}

/**
 * An image from another site is not loaded when a pupil opens the lesson (it would tell that
 * site who read it, and when): it becomes a link the reader may choose to open.
 */
function imageAsLink(attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag {
  const src = attribs.src ?? "";
  const text = attribs.alt || attribs.title || src;
  return /^https?:\/\//i.test(src)
    ? { tagName: "a", attribs: { href: src, title: attribs.title ?? "", rel: "noopener noreferrer nofollow", target: "_blank" }, text: `🖼 ${text}` }
    : { tagName: "span", attribs: {}, text };
}

export function sanitize(html: string): string {
  return sanitizeHtml(html, { ...POLICY, allowedAttributes: { ...POLICY.allowedAttributes, a: ["href", "title", "rel", "target"] } });
}

export function renderMarkdown(markdown: string): string {
  return sanitize(marked.parse(markdown) as string);
}
