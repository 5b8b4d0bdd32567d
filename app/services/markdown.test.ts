import { describe, expect, it } from "vitest";
import { renderMarkdown, sanitize } from "./markdown.server.ts";

/** Every start tag in the output with its attributes (names lower-cased, values entity-decoded). */
function elements(html: string) {
  const out: { tag: string; attrs: Record<string, string> }[] = [];
  for (const m of html.matchAll(/<([a-zA-Z][\w:-]*)([^>]*)>/g)) {
    const attrs: Record<string, string> = {};
    for (const a of m[2].matchAll(/([^\s=/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
      const raw = a[2] ?? a[3] ?? a[4] ?? "";
      attrs[a[1].toLowerCase()] = raw.replace(/&#x([0-9a-f]+);?/gi, (_, h) => String.fromCodePoint(parseInt(h, 16))).replace(/&#(\d+);?/g, (_, d) => String.fromCodePoint(Number(d))).replace(/&amp;/g, "&");
    }
    out.push({ tag: m[1].toLowerCase(), attrs });
  }
  return out;
}

const ALLOWED_TAGS = new Set(["h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "s", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub"]);

/** The output is inert: only allowed tags, no event handlers or styles, only http(s)/mailto URLs. */
function expectInert(html: string) {
  expect(html).not.toMatch(/<\s*(script|style|iframe|svg|math|object|embed|form|input|base|meta|link|textarea|noscript)\b/i);
  for (const { tag, attrs } of elements(html)) {
    expect(ALLOWED_TAGS.has(tag), `tag <${tag}> in ${html}`).toBe(true);
    for (const [name, value] of Object.entries(attrs)) {
      expect(name.startsWith("on"), `${name} in ${html}`).toBe(false);
      expect(name, html).not.toBe("style");
      expect(name, html).not.toBe("srcdoc");
      expect(name, html).not.toBe("formaction");
      if (name === "href" || name === "src") {
        const url = value.replace(/[\u0000-\u0020]/g, "").toLowerCase();
        expect(url, `${name}=${value} in ${html}`).not.toMatch(/^(javascript|vbscript|data|file):/);
        expect(url.startsWith("//"), `${name}=${value} in ${html}`).toBe(false);
      }
    }
  }
}

const PAYLOADS: [string, string][] = [
  ["script tag", "<script>alert(1)</script>"],
  ["script tag in a paragraph", "Xin chào <script>alert(document.cookie)</script> các em"],
  ["img onerror", "<img src=x onerror=alert(1)>"],
  ["img onerror, quoted", '<img src="https://x.vn/a.png" onerror="alert(1)">'],
  ["markdown javascript: link", "[x](javascript:alert(1))"],
  ["markdown javascript: link with spaces", "[x]( javascript:alert(1) )"],
  ["mixed-case javascript: href", '<a href="JaVaScRiPt:alert(1)">x</a>'],
  ["entity-encoded tab in the scheme", '<a href="java&#x09;script:alert(1)">x</a>'],
  ["entity-encoded scheme", '<a href="&#106;avascript:alert(1)">x</a>'],
  ["vbscript: href", '<a href="vbscript:msgbox(1)">x</a>'],
  ["markdown javascript: image", "![x](javascript:alert(1))"],
  ["svg onload", "<svg onload=alert(1)>"],
  ["svg with script", "<svg><script>alert(1)</script></svg>"],
  ["iframe", '<iframe src="https://evil.example/"></iframe>'],
  ["iframe srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'],
  ["style element", "<style>body{display:none}</style>"],
  ["data: URL link (markdown)", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"],
  ["data: URL link (html)", '<a href="data:text/html,<script>alert(1)</script>">x</a>'],
  ["data: URL image", '<img src="data:image/svg+xml,<svg onload=alert(1)>">'],
  ["protocol-relative link", "[x](//evil.example/)"],
  ["div style", '<div style="position:fixed;top:0;left:0;width:100%;height:100%">x</div>'],
  ["style on an allowed tag", '<p style="background:url(javascript:alert(1))">x</p>'],
  ["onclick on an allowed tag", '<p onclick="alert(1)">p</p>'],
  ["form", '<form action="https://evil.example"><input name="password"><button formaction="javascript:alert(1)">x</button></form>'],
  ["object and embed", '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">'],
  ["base href", '<base href="https://evil.example/">'],
  ["meta refresh", '<meta http-equiv="refresh" content="0;url=https://evil.example">'],
  ["math xlink", '<math><mi xlink:href="javascript:alert(1)">x</mi></math>'],
  ["noscript mutation", '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>'],
  ["textarea breakout", "<textarea><script>alert(1)</script></textarea>"],
  ["unclosed attribute", '<img src="x" onerror="alert(1)"'],
  ["autolink with javascript:", "<javascript:alert(1)>"],
  ["reference-style javascript: link", "[x][1]\n\n[1]: javascript:alert(1)"],
];

describe("the inertness check used below", () => {
  it.each([
    '<script>alert(1)</script>',
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="//evil.example">x</a>',
    '<img src="data:image/png;base64,AA">',
    '<p style="color:red">x</p>',
    '<div>x</div>',
  ])("rejects %s", (html) => {
    expect(() => expectInert(html)).toThrow();
  });
});

describe("renderMarkdown: XSS", () => {
  it.each(PAYLOADS)("neutralises %s", (_label, payload) => {
    const html = renderMarkdown(payload);
    expectInert(html);
    expect(html).not.toMatch(/alert\(1\)<\/script>|<script/i);
  });

  it("keeps the text around removed markup", () => {
    const html = renderMarkdown("Xin chào <script>alert(1)</script> các em");
    expect(html).toContain("Xin chào");
    expect(html).toContain("các em");
    expect(html).not.toContain("alert(1)");
  });

  it("drops the href of unsafe links but keeps their text", () => {
    const html = renderMarkdown("[bấm vào đây](javascript:alert(1))");
    expect(html).toContain("bấm vào đây");
    expect(elements(html).find((e) => e.tag === "a")?.attrs.href).toBeUndefined();
  });

  it("escapes code instead of rendering it", () => {
    const html = renderMarkdown("`<img src=x onerror=alert(1)>`");
    expect(html).toContain("<code>&lt;img src=x onerror=alert(1)&gt;</code>");
    expectInert(html);
  });
});

describe("renderMarkdown: normal lessons", () => {
  const lesson = [
    "# Bài 5: Phân số",
    "## Mục tiêu",
    "Học sinh **hiểu** khái niệm *phân số* và ~~số thập phân~~.",
    "",
    "1. Đọc sách giáo khoa trang 12",
    "2. Làm bài tập 1–3",
    "",
    "- Thước kẻ",
    "- Bút chì",
    "",
    "> Ghi nhớ: mẫu số khác 0.",
    "",
    "| Phân số | Giá trị |",
    "| --- | :---: |",
    "| 1/2 | 0,5 |",
    "",
    "Xem [bài giảng](https://hoclieu.example.edu.vn/bai-5 \"Bài giảng\") và ![hình minh họa](https://hoclieu.example.edu.vn/h.png).",
    "",
    "Liên hệ: <co.lan@thcs-demo.edu.vn>",
    "",
    "```",
    "1/2 + 1/4 = 3/4",
    "```",
  ].join("\n");
  const html = renderMarkdown(lesson);

  it("renders headings, emphasis and strikethrough", () => {
    expect(html).toContain("<h1>Bài 5: Phân số</h1>");
    expect(html).toContain("<h2>Mục tiêu</h2>");
    expect(html).toContain("<strong>hiểu</strong>");
    expect(html).toContain("<em>phân số</em>");
    expect(html).toMatch(/<(del|s)>số thập phân<\/(del|s)>/);
  });

  it("renders ordered and unordered lists and quotes", () => {
    expect(html).toMatch(/<ol>\s*<li>Đọc sách giáo khoa trang 12<\/li>\s*<li>Làm bài tập 1–3<\/li>\s*<\/ol>/);
    expect(html).toMatch(/<ul>\s*<li>Thước kẻ<\/li>\s*<li>Bút chì<\/li>\s*<\/ul>/);
    expect(html).toMatch(/<blockquote>\s*<p>Ghi nhớ: mẫu số khác 0.<\/p>\s*<\/blockquote>/);
  });

  it("renders tables with their alignment", () => {
    expect(html).toContain("<table>");
    expect(html).toContain("<th>Phân số</th>");
    expect(html).toContain('<th align="center">Giá trị</th>');
    expect(html).toContain('<td align="center">0,5</td>');
  });

  it("keeps https links with their title, opening safely in a new tab", () => {
    const link = elements(html).find((e) => e.tag === "a" && e.attrs.href?.startsWith("https:"));
    expect(link?.attrs).toEqual({
      href: "https://hoclieu.example.edu.vn/bai-5",
      title: "Bài giảng",
      rel: "noopener noreferrer nofollow",
      target: "_blank",
    });
  });

  it("does not load images from other sites: they become links the reader may open", () => {
    expect(elements(html).find((e) => e.tag === "img")).toBeUndefined();
    const link = elements(html).find((e) => e.tag === "a" && e.attrs.href === "https://hoclieu.example.edu.vn/h.png");
    expect(link?.attrs).toMatchObject({ rel: "noopener noreferrer nofollow", target: "_blank" });
    expect(html).toContain("🖼 hình minh họa</a>");
  });

  it("keeps what follows a raw HTML image it leaves out", () => {
    const html = renderMarkdown(['<img src="https://tracker.example/p.gif" alt="">', "", "- Ví dụ: 25 + 17 = 42"].join("\n"));
    expect(html).not.toContain("<img");
    expect(html).toMatch(/<li>Ví dụ: 25 \+ 17 = 42<\/li>/);
  });

  it("keeps images served by the hub itself", () => {
    const own = renderMarkdown("![sơ đồ](/files/0f5e8d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f)");
    expect(elements(own).find((e) => e.tag === "img")?.attrs).toEqual({ src: "/files/0f5e8d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f", alt: "sơ đồ" });
    const base = "https://hoc.lopso.vn";
    for (const src of ["//tracker.example/p.gif", "/\\tracker.example/p.gif", "/\t/tracker.example/p.gif", "http://tracker.example/p.gif", "data:image/png;base64,AA"]) {
      for (const img of elements(renderMarkdown(`![x](${src})`)).filter((e) => e.tag === "img")) {
        expect(new URL(img.attrs.src ?? "", base).origin, src).toBe(base);
      }
    }
  });

  it("keeps mailto links", () => {
    expect(html).toContain('href="mailto:co.lan@thcs-demo.edu.vn"');
  });

  it("renders code blocks escaped", () => {
    expect(html).toMatch(/<pre><code>1\/2 \+ 1\/4 = 3\/4\n<\/code><\/pre>/);
  });

  it("turns single line breaks into <br>", () => {
    expect(renderMarkdown("dòng 1\ndòng 2")).toMatch(/dòng 1<br \/>\s*dòng 2/);
  });

  it("is itself inert", () => {
    expectInert(html);
  });
});

describe("sanitize", () => {
  it("forces rel and target on links written as HTML", () => {
    const [a] = elements(sanitize('<a href="https://x.vn" rel="opener" target="_self">x</a>'));
    expect(a.attrs.rel).toBe("noopener noreferrer nofollow");
    expect(a.attrs.target).toBe("_blank");
    expect(a.attrs.href).toBe("https://x.vn");
  });

  it("keeps http links and drops unknown attributes", () => {
    const out = sanitize('<a href="http://x.vn" id="y" class="z" data-x="1">x</a>');
    const [a] = elements(out);
    expect(a.attrs.href).toBe("http://x.vn");
    expect(a.attrs.id).toBeUndefined();
    expect(a.attrs.class).toBeUndefined();
    expect(a.attrs["data-x"]).toBeUndefined();
  });

  it("loads no image from a mailto:, data: or another site's address", () => {
    for (const src of ["mailto:a@b.vn", "data:image/png;base64,AA", "http://x.vn/a.png", "https://x.vn/a.png", "//x.vn/a.png"]) {
      expect(elements(sanitize(`<img src="${src}">`)).filter((e) => e.tag === "img"), src).toEqual([]);
    }
    expect(sanitize('<p>a<img src="https://x.vn/a.png">b</p>')).toBe("<p>ab</p>");
    expect(elements(sanitize('<img src="/files/0f5e8d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f">'))[0]).toMatchObject({ tag: "img" });
  });
});

describe("renderMarkdown: mathematics", () => {
  /** Tags and attributes KaTeX's HTML output is allowed to keep, and nothing else. */
  function expectKatexInert(html: string) {
    expect(html).not.toMatch(/<\s*(script|style|iframe|math|object|embed|form|input|base|meta|link|foreignobject|use|image)\b/i);
    for (const { tag, attrs } of elements(html)) {
      expect(ALLOWED_TAGS.has(tag) || ["span", "svg", "path", "line"].includes(tag), `tag <${tag}> in ${html}`).toBe(true);
      for (const [name, value] of Object.entries(attrs)) {
        expect(name.startsWith("on"), `${name} in ${html}`).toBe(false);
        expect(name, html).not.toMatch(/^(xlink:href|srcdoc|formaction)$/);
        if (tag !== "a") expect(name, html).not.toBe("href");
        // (A formula's label and a broken formula's title quote its source: text, not a style or an address.)
        if (name !== "title" && name !== "aria-label") expect(value.toLowerCase(), `${name}=${value}`).not.toMatch(/javascript:|expression\(|url\(/);
      }
    }
  }

  it("typesets inline math with KaTeX's HTML (no MathML), keeping its classes and styles", () => {
    const html = renderMarkdown("Tính $\\frac{1}{2} + x^2$ nhé.");
    expect(html).toMatch(/^<p>Tính <span class="katex" role="img" aria-label="\\frac\{1\}\{2\} \+ x\^2"><span class="katex-html" aria-hidden="true">/);
    expect(html).toContain('class="mfrac"');
    expect(html).toMatch(/style="height:[\d.]+em;?"/);
    expect(html).not.toContain("<math");
    expect(html).not.toContain("$");
    expect(html).toMatch(/<\/span><\/span> nhé\.<\/p>/);
    expectKatexInert(html);
  });

  it("typesets display math on its own lines, with the SVG of a square root", () => {
    const html = renderMarkdown("Công thức:\n\n$$\n\\sqrt{a^2 + b^2}\n$$\n\nHết.");
    expect(html).toContain('<span class="katex-display"><span class="katex" role="img" aria-label="\\sqrt{a^2 + b^2}">');
    expect(html).toMatch(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="400em" height="[\d.]+em" viewBox="0 0 400000 \d+" preserveAspectRatio="[^"]+"><path d="M/);
    expect(html).toContain("<p>Hết.</p>");
    expectKatexInert(html);
  });

  it("shows a broken formula as its source in red, and the rest of the lesson still renders", () => {
    const html = renderMarkdown("Sai: $\\frac{1$ và **đúng**.");
    expect(html).toMatch(/<span class="katex-error" title="ParseError: [^"]*" style="color:#cc0000">\\frac\{1<\/span>/);
    expect(html).toContain("<strong>đúng</strong>");
    expectKatexInert(html);
  });

  it("leaves prices, escaped dollars and code alone", () => {
    expect(renderMarkdown("Giá $5 và $10.")).toBe("<p>Giá $5 và $10.</p>\n");
    expect(renderMarkdown("Đô la: \\$x\\$")).toBe("<p>Đô la: $x$</p>\n");
    expect(renderMarkdown("`$x$`")).toBe("<p><code>$x$</code></p>\n");
  });

  it.each([
    ["\\href to javascript:", "$\\href{javascript:alert(1)}{x}$"],
    ["\\url to javascript:", "$\\url{javascript:alert(1)}$"],
    ["\\includegraphics", "$\\includegraphics{https://evil.example/p.png}$"],
    ["\\htmlStyle", "$\\htmlStyle{position:fixed;background:url(javascript:alert(1))}{x}$"],
    ["\\htmlClass and \\htmlId", "$\\htmlClass{badge}{x}\\htmlId{main}{y}\\htmlData{foo=bar}{z}$"],
    ["\\color with CSS in it", "$\\color{red;background:url(javascript:alert(1))}{x}$"],
    ["HTML inside a formula", "$<img src=x onerror=alert(1)>$"],
    ["a closing tag inside a formula", "$x</span><script>alert(1)</script>$"],
    ["a display formula with \\href", "$$\\href{javascript:alert(1)}{x}$$"],
  ])("neutralises %s", (_label, payload) => {
    const html = renderMarkdown(payload);
    expectKatexInert(html);
    expect(html).not.toMatch(/<a\b|<img|<script/i);
    expect(html).not.toMatch(/ id=|class="badge"/);
    expect(html).not.toMatch(/role="(?!img")/);
  });

  it("cannot be fed HTML through a guessed marker", () => {
    const html = renderMarkdown("katex000000000000000000000000n0z <b>x</b> $y$");
    expect(html).toContain("katex000000000000000000000000n0z");
    expect(html).not.toContain("<b>");
  });
});

describe("sanitize: KaTeX output", () => {
  it("keeps KaTeX's spans only inside formulas: raw spans, classes and styles in the text are dropped", () => {
    const html = renderMarkdown('<span class="katex" style="color:red">x</span> <svg><path d="M0 0"/></svg> $y$');
    expect(html.startsWith("<p>x ")).toBe(true);
    expect(html).toContain('<span class="katex" role="img" aria-label="y">');
    expect(sanitize('<span class="katex" style="height:1em">x</span>')).toBe("x");
  });
});

describe("renderMarkdown: the lesson's own images", () => {
  const kept = "0f5e8d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f";
  const gone = "1a2b3c4d-2b1a-4c3d-9e8f-7a6b5c4d3e2f";
  it("leaves out an image of the hub's files that is not one of the lesson's attachments", () => {
    const md = `![giữ](/files/${kept}) ![mất](/files/${gone}) <img src="/files/${gone}" alt="mất"> ![logo](/favicon.svg)`;
    const imgs = elements(renderMarkdown(md, { files: new Set([kept]) })).filter((e) => e.tag === "img");
    expect(imgs.map((i) => i.attrs.src)).toEqual([`/files/${kept}`, "/favicon.svg"]);
    // Without the list (the preview of a lesson not yet saved) every own image stays.
    expect(elements(renderMarkdown(md)).filter((e) => e.tag === "img")).toHaveLength(4);
  });
});
