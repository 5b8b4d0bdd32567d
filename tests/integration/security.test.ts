/**
 * XSS and CSRF against the real server: lesson Markdown full of real payloads is stored and
 * rendered inert under a nonce-based CSP; cross-site and origin-less POSTs are refused and change
 * nothing; the session cookie is HttpOnly and SameSite=Lax.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignments, classes, lessons, users } from "../../db/schema/index.ts";
import { toLocalDateTimeInput } from "../../app/lib/vn.ts";
import { firstId } from "../support/db.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
let lan: Client, an: Client, dung: Client;
const ids: Record<string, string> = {};

const PAYLOAD = [
  "# Bài có mã độc",
  "<script>alert('xss-1')</script>",
  '<img src="x" onerror="alert(\'xss-2\')">',
  "[Bấm vào đây](javascript:alert('xss-3'))",
  "<a href=\"JaVaScRiPt:alert('xss-4')\">liên kết</a>",
  "<svg onload=\"alert('xss-5')\"><circle r=\"1\"/></svg>",
  '<iframe src="https://evil.example/xss-6"></iframe>',
  "<a href=\"&#106;avascript:alert('xss-7')\">mã hoá</a>",
  "![ảnh](javascript:alert('xss-8'))",
  "<div style=\"background:url(javascript:alert('xss-9'))\" onclick=\"alert('xss-10')\">div</div>",
  '<object data="https://evil.example/x.swf"></object>',
  '<form action="https://evil.example/steal"><input name="password"><button>Gửi</button></form>',
  "<math><mi xlink:href=\"javascript:alert('xss-11')\">x</mi></math>",
  "[dữ liệu](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "<details open ontoggle=\"alert('xss-12')\"><summary>x</summary></details>",
  '<base href="https://evil.example/">',
  '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  "<style>body{display:none}</style>",
  "<a href=\"https://nxb.edu.vn/sach\" onmouseover=\"alert('xss-13')\">Sách giáo khoa</a>",
  "`<script>alert('trong code')</script>`",
  "",
  "**Nội dung thật** vẫn còn: tập hợp A = {0; 1; 2}.",
].join("\n\n");

/** What must never appear in HTML that reaches a browser from user content. */
function expectInert(html: string) {
  const lower = html.toLowerCase();
  for (const tag of ["<script", "<iframe", "<svg", "<object", "<embed", "<form", "<input", "<math", "<base", "<meta", "<style", "<details"]) {
    expect(lower, tag).not.toContain(tag);
  }
  expect(html).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
  expect(html).not.toMatch(/<[^>]*\sstyle\s*=/i);
  expect(html).not.toMatch(/<[^>]*\s(href|src|xlink:href|action|data)\s*=\s*["']?\s*(javascript|data|vbscript):/i);
  expect(html).not.toMatch(/&#0*106;avascript|&#x0*6a;avascript/i);
}

/** The whole page, whose own markup has forms, inputs and meta tags but never these. */
function expectPageInert(markup: string) {
  const lower = markup.toLowerCase();
  for (const tag of ["<script", "<iframe", "<svg", "<object", "<embed", "<math", "<details", "<base"]) expect(lower, tag).not.toContain(tag);
  expect(lower).not.toContain("http-equiv");
  expect(lower).not.toContain("evil.example");
  // Attribute names only (a value may legitimately hold the text "onerror=", e.g. the title input).
  const names = markup.replace(/="[^"]*"/g, '=""');
  expect(names.match(/<[^>]*\son[a-z]+\s*=[^>]*>/i)?.[0]).toBeUndefined();
  expect(markup).not.toMatch(/<[^>]*\s(href|src|xlink:href|action|data|formaction)\s*=\s*["']?\s*(javascript|data|vbscript):/i);
}

/** The user-authored HTML of a page: the inside of its `.prose` block (which holds no <div>). */
function prose(markup: string): string {
  const m = /<div class="[^"]*\bprose\b[^"]*"[^>]*>(?:<div>)?([\s\S]*?)<\/div>/.exec(markup);
  expect(m, "a .prose block").not.toBeNull();
  return m![1];
}

/** The page without its own (nonced) scripts: each must carry this response's nonce. */
function pageWithoutOwnScripts(html: string, nonce: string) {
  const scripts = [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]);
  expect(scripts.length).toBeGreaterThan(0);
  for (const s of scripts) expect(s, s).toContain(`nonce="${nonce}"`);
  return html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "");
}

function cspOf(res: Response) {
  const header = res.headers.get("content-security-policy") ?? "";
  const directives = Object.fromEntries(
    header
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name, values]),
  );
  return { header, directives, nonce: /'nonce-([A-Za-z0-9+/=]+)'/.exec(directives["script-src"]?.join(" ") ?? "")?.[1] };
}

beforeAll(async () => {
  hub = await startHub();
  const db = hub.database.db;
  const one = firstId;
  ids.toan6 = await one(db.select({ id: classes.id }).from(classes).where(and(eq(classes.name, "6A1"), eq(classes.subject, "toan"))));
  ids.roman = await one(db.select({ id: assignments.id }).from(assignments).where(eq(assignments.title, "Luyện tập: Số La Mã")));
  ids.an = await one(db.select({ id: users.id }).from(users).where(eq(users.email, "an.nv@nguyendu.lopso.demo")));
  ids.dung = await one(db.select({ id: users.id }).from(users).where(eq(users.email, "dung.pm@nguyendu.lopso.demo")));
  [lan, an, dung] = await Promise.all([hub.as("lan.nt@nguyendu.lopso.demo"), hub.as("an.nv@nguyendu.lopso.demo"), hub.as("dung.pm@nguyendu.lopso.demo")]);
});

afterAll(async () => {
  await hub?.close();
});

describe("XSS in lesson Markdown", () => {
  let lessonId: string;

  beforeAll(async () => {
    const res = await lan.post(`/classes/${ids.toan6}/lessons/new`, {
      title: `<img src=x onerror="alert('xss-title')"> Bài <script>alert('xss-title-2')</script>`,
      bodyMd: PAYLOAD,
      intent: "publish",
    });
    expect(res.status).toBe(302);
    lessonId = /\/lessons\/([0-9a-f-]{36})\/edit/.exec(res.headers.get("location") ?? "")![1];
  });

  it("stores body_html with none of the payloads active, keeping the real content", async () => {
    const [row] = await hub.database.db.select().from(lessons).where(eq(lessons.id, lessonId));
    expect(row.bodyMd).toBe(PAYLOAD);
    expectInert(row.bodyHtml);
    expect(row.bodyHtml).toContain("<strong>Nội dung thật</strong>");
    expect(row.bodyHtml).toContain('href="https://nxb.edu.vn/sach"');
    expect(row.bodyHtml).toContain('rel="noopener noreferrer nofollow"');
    // Code spans are shown as text.
    expect(row.bodyHtml).toContain("&lt;script&gt;alert('trong code')&lt;/script&gt;");
  });

  for (const who of ["student", "teacher"] as const) {
    it(`renders /lessons/:id to the ${who} with no active payload, under a nonce CSP`, async () => {
      const res = await (who === "student" ? an : lan).get(`/lessons/${lessonId}`);
      expect(res.status).toBe(200);
      const html = await res.text();
      const { nonce } = cspOf(res);
      expect(nonce).toBeTruthy();
      const markup = pageWithoutOwnScripts(html, nonce!);
      expectPageInert(markup);
      expectInert(prose(markup));
      expect(prose(markup)).toContain("<strong>Nội dung thật</strong>");
      // The title is text, escaped, wherever it appears (heading and <title>).
      expect(markup).toContain("&lt;img src=x onerror=");
      expect(markup).not.toContain("alert('xss-title-2')</script>");
      // The loader data streamed to the client escapes "<" so no payload can close the script.
      expect(html).not.toMatch(/<script>alert|<img src=x onerror/i);
    });
  }

  it("renders the editor (with its preview) with no active payload", async () => {
    const res = await lan.get(`/classes/${ids.toan6}/lessons/${lessonId}/edit`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const markup = pageWithoutOwnScripts(html, cspOf(res).nonce!);
    // The Markdown source is in a <textarea> as text; only the preview is HTML.
    const withoutTextarea = markup.replace(/<textarea\b[^>]*>[\s\S]*?<\/textarea>/gi, "");
    expectPageInert(withoutTextarea);
    expectInert(prose(withoutTextarea));
    expect(prose(withoutTextarea)).toContain("<strong>Nội dung thật</strong>");
  });

  it("sanitizes the live preview the same way", async () => {
    const res = await lan.post("/api/preview", { markdown: PAYLOAD });
    expect(res.status).toBe(200);
    const text = await res.text();
    const html = text.startsWith("{") ? (JSON.parse(text) as { html: string }).html : text;
    expectInert(html);
  });

  it("sanitizes assignment instructions and shows submissions as text", async () => {
    const res = await lan.post(`/classes/${ids.toan6}/assignments/new`, {
      title: "Bài tập <b>in đậm</b>",
      instructionsMd: PAYLOAD,
      dueAt: toLocalDateTimeInput(new Date(Date.now() + 3 * 24 * 3600 * 1000)),
      scale: "ten_point",
    });
    expect(res.status).toBe(302);
    const assignmentId = /\/assignments\/([0-9a-f-]{36})\//.exec(res.headers.get("location") ?? "")![1];
    const [row] = await hub.database.db.select().from(assignments).where(eq(assignments.id, assignmentId));
    expectInert(row.instructionsHtml);

    const submitted = await an.post(`/assignments/${assignmentId}`, { body: `<script>alert('xss-body')</script><img src=x onerror=alert(1)>` });
    expect(submitted.status).toBe(200);
    for (const [client, p] of [
      [an, `/assignments/${assignmentId}`],
      [lan, `/assignments/${assignmentId}/submissions`],
    ] as const) {
      const page = await client.get(p);
      expect(page.status).toBe(200);
      const full = pageWithoutOwnScripts(await page.text(), cspOf(page).nonce!);
      expect(full).toContain("&lt;script&gt;alert(&#x27;xss-body&#x27;)&lt;/script&gt;");
      // The grading page folds each answer in a <details> of its own (the answer inside is text).
      const markup = full.replace(/<textarea\b[^>]*>[\s\S]*?<\/textarea>/gi, "").replace(/<details><summary>Xem câu trả lời<\/summary>([\s\S]*?)<\/details>/g, "$1");
      expectPageInert(markup);
      expectInert(prose(markup));
    }
  });
});

describe("Content-Security-Policy", () => {
  it("has one policy with a fresh nonce and no 'unsafe-inline' (or eval) for scripts", async () => {
    const first = await an.get("/today");
    const second = await an.get("/today");
    const a = cspOf(first);
    const b = cspOf(second);
    expect(a.header).not.toContain(","); // one policy, not two merged headers
    expect(a.directives["script-src"]).toContain("'self'");
    expect(a.directives["script-src"]).not.toContain("'unsafe-inline'");
    expect(a.directives["script-src"]).not.toContain("'unsafe-eval'");
    expect(a.directives["object-src"]).toEqual(["'none'"]);
    expect(a.directives["base-uri"]).toEqual(["'self'"]);
    expect(a.directives["frame-ancestors"]).toEqual(["'none'"]);
    // Forms post here, or redirect on to the providers' sign-in pages (and nowhere else).
    expect(a.directives["form-action"]).toEqual(["'self'", "https://accounts.google.com", "https://login.microsoftonline.com", "https://zoom.us"]);
    expect(a.nonce!.length).toBeGreaterThanOrEqual(16);
    expect(b.nonce).not.toBe(a.nonce);
    expect(pageWithoutOwnScripts(await first.text(), a.nonce!)).not.toMatch(/<script/i);
  });

  it("every response, even a 404 or a plain-text 403, carries a CSP and nosniff", async () => {
    const missing = await an.get("/khong-co-trang-nay");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
    const refused = await fetch(hub.url + "/join", { method: "POST", headers: { origin: "http://evil.example" }, body: new URLSearchParams({ code: "x" }) });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
    expect(refused.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("CSRF", () => {
  async function snapshot() {
    const [r] = await hub.database.query<Record<string, number>>(
      "select (select count(*)::int from submissions) as submissions, (select count(*)::int from events) as events, (select count(*)::int from class_members) as members, (select count(*)::int from sessions) as sessions",
    );
    const grade = await hub.database.query("select status, score, comment from submissions where assignment_id = $1 and student_id = $2", [ids.roman, ids.an]);
    return { ...r, grade };
  }

  const cookieOf = (c: Client) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");

  for (const [what, headers] of [
    ["Origin http://evil.example", { origin: "http://evil.example" }],
    ["no Origin at all", {}],
    ["Origin null (a sandboxed frame)", { origin: "null" }],
    ["an origin that only starts like ours", { origin: "HUB.evil.example" }],
    ["no Origin and Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
  ] as [string, Record<string, string>][]) {
    it(`refuses a grade post with ${what}: 403, nothing changes`, async () => {
      const before = await snapshot();
      const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace("HUB", hub.url)]));
      const res = await fetch(`${hub.url}/assignments/${ids.roman}/submissions`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: cookieOf(lan), ...h },
        body: new URLSearchParams({ studentId: ids.an, score: "2", comment: "CSRF" }),
      });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain("Yêu cầu bị từ chối");
      expect(await snapshot()).toEqual(before);
    });
  }

  it("refuses a class join without Origin, and the same join from our origin works", async () => {
    const before = await snapshot();
    const res = await fetch(`${hub.url}/join`, { method: "POST", redirect: "manual", headers: { cookie: cookieOf(dung) }, body: new URLSearchParams({ code: "TOAN6A1" }) });
    expect(res.status).toBe(403);
    expect(await snapshot()).toEqual(before);

    const ok = await dung.post("/join", { code: "TOAN6A1" });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("Em đã tham gia lớp 6A1");
    const rows = await hub.database.query("select 1 from class_members where class_id = $1 and user_id = $2", [ids.toan6, ids.dung]);
    expect(rows).toHaveLength(1);
  });

  it("accepts a same-origin POST that has only Sec-Fetch-Site: same-origin", async () => {
    const res = await fetch(`${hub.url}/assignments/${ids.roman}/submissions`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: cookieOf(lan), "sec-fetch-site": "same-origin" },
      body: new URLSearchParams({ studentId: ids.an, score: "9", comment: "" }),
    });
    expect(res.status).toBe(200);
    const [row] = await hub.database.query<{ score: string }>("select score from submissions where assignment_id = $1 and student_id = $2", [ids.roman, ids.an]);
    expect(Number(row.score)).toBe(9);
  });

  it("refuses a cross-site sign-in (login CSRF): no session is created", async () => {
    const before = await snapshot();
    const res = await fetch(`${hub.url}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: "http://evil.example" },
      body: new URLSearchParams({ identifier: "an.nv@nguyendu.lopso.demo", password: "lopso2025" }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it("does not sign out on a GET to /logout (only a POST does)", async () => {
    const c = await hub.as("an.nv@nguyendu.lopso.demo");
    const res = await c.get("/logout");
    expect(res.status).toBe(302);
    expect((await c.get("/today")).status).toBe(200);
  });

  it("sets the session cookie HttpOnly, SameSite=Lax, Path=/, host-only, with an expiry", async () => {
    const res = await hub.client().post("/login", { identifier: "an.nv@nguyendu.lopso.demo", password: "lopso2025" });
    expect(res.status).toBe(302);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("lopso_session="));
    expect(cookie).toBeDefined();
    const attrs = cookie!.split(";").map((a) => a.trim().toLowerCase());
    expect(attrs).toContain("httponly");
    expect(attrs).toContain("samesite=lax");
    expect(attrs).toContain("path=/");
    expect(attrs.some((a) => a.startsWith("domain="))).toBe(false);
    const expires = attrs.find((a) => a.startsWith("expires="));
    expect(expires).toBeDefined();
    const days = (new Date(expires!.slice(8)).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThanOrEqual(30.01);
  });
});
