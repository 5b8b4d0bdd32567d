/**
 * Writing a lesson: mathematics typeset on the server reaches the reader's page, with KaTeX's
 * stylesheet served from the hub; an image of a file no longer attached to the lesson is left
 * out of the page instead of showing broken; the editor's first preview comes with the page.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachments, classes, lessons } from "../../db/schema/index.ts";
import { firstId } from "../support/db.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

let hub: Hub;
let lan: Client, an: Client;
let toan6: string;

beforeAll(async () => {
  hub = await startHub();
  toan6 = await firstId(hub.database.db.select({ id: classes.id }).from(classes).where(and(eq(classes.name, "6A1"), eq(classes.subject, "toan"))));
  [lan, an] = await Promise.all([hub.as("lan.nt@nguyendu.lopso.demo"), hub.as("an.nv@nguyendu.lopso.demo")]);
});

afterAll(async () => {
  await hub?.close();
});

const lessonIdFrom = (res: Response) => /\/lessons\/([0-9a-f-]{36})\/edit/.exec(res.headers.get("location") ?? "")![1];
const prose = (html: string) => /<div class="prose"[^>]*>([\s\S]*?)<\/div>\s*(?:<section|<p><a|<\/article>)/.exec(html)?.[1] ?? "";

describe("a lesson with mathematics", () => {
  let lessonId: string;

  beforeAll(async () => {
    const res = await lan.post(`/classes/${toan6}/lessons/new`, {
      title: "Bài 8. Phân số bằng nhau",
      bodyMd: "Ta có $\\frac{1}{2} = \\frac{2}{4}$.\n\n$$\na^2 + b^2 = c^2\n$$\n\nCông thức sai: $\\frac{1$.",
      intent: "publish",
    });
    expect(res.status).toBe(302);
    lessonId = lessonIdFrom(res);
  });

  it("is typeset for the student, as HTML with KaTeX's classes, and its stylesheet and fonts come from the hub", async () => {
    const res = await an.get(`/lessons/${lessonId}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const body = prose(html);
    expect(body).toMatch(/^<p>Ta có <span class="katex" role="img" aria-label="[^"]+"><span class="katex-html" aria-hidden="true">/);
    expect(body).toContain('<span class="mfrac">');
    expect(body).toContain('<span class="katex-display">');
    expect(body).toMatch(/<span class="katex-error" title="ParseError[^"]*" style="color:#cc0000">\\frac\{1<\/span>/);
    expect(body).not.toContain("<math");
    const href = /<link[^>]* rel="stylesheet" href="(\/assets\/katex[^"]*\.css)"/.exec(html)?.[1];
    expect(href).toBeTruthy();
    const css = await an.get(href!);
    expect(css.status).toBe(200);
    const font = /url\((\/assets\/KaTeX_Main-Regular[^)]*\.woff2)\)/.exec(await css.text())?.[1];
    expect(font).toBeTruthy();
    expect((await an.get(font!)).status).toBe(200);
  });

  it("opens in the editor with its preview already rendered", async () => {
    const html = await (await lan.get(`/classes/${toan6}/lessons/${lessonId}/edit`)).text();
    expect(html).toMatch(/<div class="preview prose" role="region" aria-labelledby="preview-title"[^>]*><div><p>Ta có <span class="katex" role="img"/);
  });
});

describe("images of the hub's files in a lesson", () => {
  it("shows the lesson's own picture, and leaves it out once the file is removed from the lesson", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
    const form = new FormData();
    form.append("title", "Bài 9. Sơ đồ");
    form.append("bodyMd", "Sơ đồ của bài.");
    form.append("intent", "publish");
    form.append("files", new File([png], "so-do.png", { type: "image/png" }));
    const created = await lan.post(`/classes/${toan6}/lessons/new`, form);
    expect(created.status).toBe(302);
    const lessonId = lessonIdFrom(created);
    const [file] = await hub.database.db.select({ id: attachments.id }).from(attachments).where(eq(attachments.lessonId, lessonId));
    const other = "0f5e8d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f";
    const saved = await lan.post(`/classes/${toan6}/lessons/${lessonId}/edit`, {
      title: "Bài 9. Sơ đồ",
      bodyMd: `Sơ đồ: ![sơ đồ](/files/${file.id})\n\nẢnh đã mất: ![ảnh cũ](/files/${other})`,
      intent: "publish",
    });
    expect(saved.status).toBe(302);

    let body = prose(await (await an.get(`/lessons/${lessonId}`)).text());
    expect(body).toContain(`<img src="/files/${file.id}" alt="sơ đồ" />`);
    expect(body).not.toContain(other);
    expect(body).toContain("Ảnh đã mất: </p>");

    expect((await lan.post(`/classes/${toan6}/lessons/${lessonId}/edit`, { intent: "remove-file", attachmentId: file.id })).status).toBe(200);
    body = prose(await (await an.get(`/lessons/${lessonId}`)).text());
    expect(body).not.toContain("<img");
    expect(body).toContain("Sơ đồ: </p>");
    const [row] = await hub.database.db.select({ bodyMd: lessons.bodyMd }).from(lessons).where(eq(lessons.id, lessonId));
    // The teacher's text is kept as written: only the page leaves the picture out.
    expect(row.bodyMd).toContain(`/files/${file.id}`);
  });
});
