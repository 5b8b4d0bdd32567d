/**
 * IMS Common Cartridge (1.0–1.3, as Moodle and Canvas export them) into a class's lessons:
 * organizations → items → resources in the manifest's order; web content pages become lessons
 * (their files attached, links to them pointing at the hub's files), web links and files become
 * lessons too; quizzes, discussions, assignments, LTI links and unknown types are listed as not
 * imported, with the reason. All lessons are drafts; all is one transaction, and the files are
 * removed again if it fails (files.server.ts `transactionWithFiles`).
 */
import crypto from "node:crypto";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { attachments, lessons } from "../../../db/schema/index.ts";
import type { Actor } from "../../auth/actor.server.ts";
import { nfc } from "../../lib/vn.ts";
import { getClassForTeacher } from "../classes.server.ts";
import { ALLOWED_TYPES, canonicalType, MAX_ATTACHED_BYTES, MAX_ATTACHED_FILES, stageFiles, transactionWithFiles, type StagedFile } from "../files.server.ts";
import { renderMarkdown, sanitize } from "../markdown.server.ts";
import { fail, ok, type Result } from "../result.ts";
import { readZip, ZipRefused, ZIP_LIMITS } from "./zip.server.ts";
import { kid, kids, parseXml, textOf, type XmlElement } from "./xml.server.ts";

/** The largest .imscc accepted (the upload form's limit is a little above). */
export const MAX_CARTRIDGE_BYTES = 50 * 1024 * 1024;

export type Skipped = { title: string; reason: string };
export type ImportReport = { version: string; lessons: { id: string; title: string; files: number }[]; skipped: Skipped[] };

const CP_NS = /^http:\/\/www\.imsglobal\.org\/xsd\/(?:imscc\/imscp_v1p1|imsccv1p([123])\/imscp_v1p1)$/;

/** Why a resource type is not imported (Vietnamese, shown to the teacher). */
function unsupportedReason(type: string): string | null {
  if (/^webcontent$/.test(type) || /^imswl_xmlv1p\d$/.test(type)) return null;
  if (/assessment$|question-bank$/.test(type)) return "Bài kiểm tra (QTI) chưa nhập được.";
  if (/^imsdt_xmlv1p\d$/.test(type)) return "Chủ đề thảo luận chưa nhập được.";
  if (/^assignment_xmlv/.test(type)) return "Bài tập chưa nhập được.";
  if (/^imsbasiclti/.test(type)) return "Liên kết công cụ ngoài (LTI) không nhập được.";
  if (/learning-application-resource$/.test(type)) return "Nội dung kèm theo của một hoạt động (bài tập, thảo luận) chưa nhập được.";
  return `Loại tài nguyên chưa hỗ trợ: ${type}.`;
}

type Res = { id: string; type: string; href?: string; base: string; files: string[]; deps: string[]; variant: boolean };

/** A quiz's, discussion's or assignment's own title, from its XML (QTI `title=`, `<title>`), else its file or identifier. */
function activityTitle(r: Res, files: Map<string, Buffer>): string {
  for (const f of r.href ? [r.href, ...r.files] : r.files) {
    const xml = files.get(inside(path.posix.join(r.base, safeDecode(f))) ?? "")?.subarray(0, 64 * 1024).toString("utf8");
    const title = xml && (/<(?:[\w]+:)?assessment\b[^>]*\btitle="([^"]+)"/.exec(xml)?.[1] ?? /<(?:[\w]+:)?title>([^<]+)<\/(?:[\w]+:)?title>/.exec(xml)?.[1]);
    if (title?.trim()) return title.trim().replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"');
  }
  return r.href ? path.posix.basename(r.href) : r.id;
}

const MESSAGES: Record<string, string> = {
  not_zip: "Tệp không phải là một gói .imscc (zip) đọc được.",
  too_many: `Gói có quá nhiều tệp (tối đa ${ZIP_LIMITS.maxEntries}).`,
  too_large: "Gói quá lớn khi giải nén (tối đa 30 MB mỗi tệp, 200 MB cả gói).",
  bomb: "Gói bị từ chối: tỉ lệ nén bất thường (nghi là “bom zip”).",
  traversal: "Gói bị từ chối: có tệp mang đường dẫn không an toàn (tuyệt đối, “..” hoặc dấu “\\”).",
  symlink: "Gói bị từ chối: có liên kết tượng trưng (symlink).",
};

/** A path inside the package, normalised, or null if it would leave it. */
function inside(p: string): string | null {
  if (!p || p.includes("\\") || p.startsWith("/") || /^[a-z][a-z0-9+.-]*:/i.test(p)) return null;
  const norm = path.posix.normalize(p);
  if (norm.startsWith("../") || norm === ".." || norm.startsWith("/")) return null;
  return norm.replace(/^\.\//, "");
}

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

const TOKEN = /^(?:\$|%24)(?:IMS[-_]CC[-_]FILEBASE|1EdTech[-_]CC[-_]FILEBASE)(?:\$|%24)/i;

/** Resolve a link of a page to a package file, as Canvas does (CC contract §5); null if none. */
function resolveLink(raw: string, pageDir: string, files: Map<string, Buffer>): string | null {
  let link = safeDecode(raw.trim()).replace(/[?#].*$/, "");
  if (!link || /^(?:[a-z][a-z0-9+.-]*:|\/\/|#)/i.test(link) || link.startsWith("$WIKI_REFERENCE$") || link.startsWith("$CANVAS")) {
    if (!TOKEN.test(safeDecode(raw.trim()))) return null;
  }
  const hadToken = TOKEN.test(link);
  link = link.replace(TOKEN, "").replace(/^\/+/, "");
  const tries = [path.posix.join(pageDir, link), link, `web_resources/${link}`, link.replace(/^files\//, "web_resources/"), link.replace(/(\.\.\/)+/g, "")];
  for (const t of tries) {
    const p = inside(t);
    if (p && files.has(p)) return p;
  }
  if (hadToken) {
    const tail = link.replace(/^(\.\.\/)+/, "");
    for (const name of files.keys()) if (name.endsWith(`/${tail}`)) return name;
  }
  return null;
}

/** The body of an HTML document, or the whole text when it is a fragment. */
function bodyOf(html: string) {
  const m = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html);
  return m ? m[1] : html.replace(/<head[\s\S]*?<\/head>/i, "").replace(/<\/?html[^>]*>|<!DOCTYPE[^>]*>/gi, "");
}

/**
 * HTML kept as a lesson's text: sanitized, with no blank lines (Markdown would end the HTML block
 * there and read indented lines as code), inside one <div>.
 */
function htmlAsMarkdown(html: string) {
  const clean = sanitize(html)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join("\n");
  return `<div class="cartridge">\n${clean}\n</div>`;
}

const lessonTitle = (t: string) => {
  const s = nfc(t.replace(/\s+/g, " ").trim()).slice(0, 200);
  return s.length >= 3 ? s : `${s || "Bài học"} (nhập)`.slice(0, 200);
};

type Planned = { title: string; bodyMd: string; files: { id: string; staged: number }[] };

/**
 * Import a cartridge into a class the actor teaches. Returns the lessons made and what was not
 * imported, or a Vietnamese message for a package refused as a whole (nothing is written then).
 */
export async function importCartridge(db: Db, actor: Actor, classId: string, zipBytes: Buffer): Promise<Result<ImportReport>> {
  await getClassForTeacher(db, actor, classId);
  if (zipBytes.length > MAX_CARTRIDGE_BYTES) return fail({ file: "Gói lớn hơn 50 MB." });
  let files: Map<string, Buffer>;
  try {
    files = await readZip(zipBytes);
  } catch (e) {
    if (e instanceof ZipRefused) return fail({ file: MESSAGES[e.reason] + (e.entry ? ` (${e.entry})` : "") });
    throw e;
  }
  const manifestBytes = files.get("imsmanifest.xml");
  if (!manifestBytes) return fail({ file: "Gói không có tệp imsmanifest.xml ở thư mục gốc: đây không phải là một Common Cartridge." });
  let manifest: XmlElement;
  try {
    manifest = parseXml(manifestBytes.toString("utf8"));
  } catch {
    return fail({ file: "Tệp imsmanifest.xml không phải XML hợp lệ." });
  }
  const m = CP_NS.exec(manifest.ns);
  if (manifest.name !== "manifest" || !m) return fail({ file: "imsmanifest.xml không phải của một Common Cartridge (IMS CC 1.0–1.3)." });
  const version = `1.${m[1] ?? "0"}`;

  const plan = planImport(manifest, files);
  // Files are staged (written to temporary names) first; the transaction moves them in.
  const stagedInputs: { name: string; bytes: Buffer }[] = [];
  const lessonsPlanned: Planned[] = [];
  const skipped = plan.skipped;
  for (const p of plan.items) {
    const ids = new Map<string, string>();
    const attached: { id: string; staged: number }[] = [];
    let bytes = 0;
    const attach = (file: string): string | null => {
      if (ids.has(file)) return ids.get(file)!;
      const type = canonicalType(file);
      const data = files.get(file)!;
      if (!type || !ALLOWED_TYPES[type].looksLike(new Uint8Array(data.subarray(0, type === "text/plain" ? 8192 : 64)))) {
        skipped.push({ title: `${p.title}: ${path.posix.basename(file)}`, reason: "Loại tệp không được phép đính kèm." });
        return null;
      }
      if (attached.length >= MAX_ATTACHED_FILES || bytes + data.length > MAX_ATTACHED_BYTES) {
        skipped.push({ title: `${p.title}: ${path.posix.basename(file)}`, reason: `Một bài học chỉ kèm được ${MAX_ATTACHED_FILES} tệp, tổng 50 MB.` });
        return null;
      }
      const id = crypto.randomUUID();
      const name = p.filenames?.get(file) ?? path.posix.basename(file);
      stagedInputs.push({ name, bytes: data });
      attached.push({ id, staged: stagedInputs.length - 1 });
      bytes += data.length;
      ids.set(file, id);
      return id;
    };
    let bodyMd: string;
    if (p.kind === "page") {
      if (p.markdown !== undefined) {
        // Our own export: the Markdown as written, its files named by their package paths.
        bodyMd = p.markdown.replace(/lopso-file:([^\s)"'<>]+)/g, (all, rel: string) => {
          const file = inside(path.posix.join(p.dir, safeDecode(rel)));
          const id = file && files.has(file) ? attach(file) : null;
          return id ? `/files/${id}` : all;
        });
        for (const f of p.extraFiles) if (files.has(f)) attach(f);
      } else {
        const html = bodyOf(files.get(p.file)!.toString("utf8")).replace(/\b(src|href|data|value)\s*=\s*("([^"]*)"|'([^']*)')/gi, (all, attr: string, _q, dq?: string, sq?: string) => {
          const target = resolveLink(dq ?? sq ?? "", p.dir, files);
          const id = target ? attach(target) : null;
          return id ? `${attr}="/files/${id}"` : all;
        });
        bodyMd = htmlAsMarkdown(html);
      }
    } else if (p.kind === "link") {
      bodyMd = `[${p.title.replace(/[[\]]/g, "")}](<${p.url}>)`;
    } else {
      const id = attach(p.file);
      if (!id) continue;
      bodyMd = `[${path.posix.basename(p.file).replace(/[[\]]/g, "")}](/files/${id})`;
    }
    lessonsPlanned.push({ title: p.title, bodyMd, files: attached });
  }
  // Nothing to import: refused when the package lists nothing either; otherwise the report says
  // what each item was and why it stays out (a cartridge of quizzes, of assignments…).
  if (lessonsPlanned.length === 0 && skipped.length === 0) return fail({ file: "Gói không có nội dung nào nhập được (trang, liên kết hay tệp)." });
  if (lessonsPlanned.length === 0) return ok({ version, lessons: [], skipped });

  const staged: StagedFile[] = await stageFiles(stagedInputs.map((f) => new File([new Uint8Array(f.bytes)], f.name)));
  const report = await transactionWithFiles(db, staged, async (tx) => {
    const made: ImportReport["lessons"] = [];
    const base = Date.now();
    for (const [i, l] of lessonsPlanned.entries()) {
      const at = new Date(base + i);
      const [row] = await tx
        .insert(lessons)
        .values({ classId, authorId: actor.id, title: l.title, bodyMd: l.bodyMd, bodyHtml: "", status: "draft", createdAt: at, updatedAt: at })
        .returning({ id: lessons.id });
      if (l.files.length) {
        await tx.insert(attachments).values(
          l.files.map((f, j) => ({
            id: f.id,
            lessonId: row.id,
            ownerId: actor.id,
            filename: staged[f.staged].filename,
            contentType: staged[f.staged].contentType,
            size: staged[f.staged].size,
            storageKey: staged[f.staged].key,
            createdAt: new Date(base + j),
          })),
        );
      }
      await tx.update(lessons).set({ bodyHtml: renderMarkdown(l.bodyMd, { files: new Set(l.files.map((f) => f.id)) }) }).where(eq(lessons.id, row.id));
      made.push({ id: row.id, title: l.title, files: l.files.length });
    }
    return made;
  });
  return ok({ version, lessons: report, skipped });
}

type PlanItem =
  | { kind: "page"; title: string; file: string; dir: string; markdown?: string; extraFiles: string[]; filenames?: Map<string, string> }
  | { kind: "link"; title: string; url: string; filenames?: undefined }
  | { kind: "file"; title: string; file: string; filenames?: undefined };

/** What the manifest asks for, in its order, and what cannot be taken (with the reason). */
export function planImport(manifest: XmlElement, files: Map<string, Buffer>) {
  const resources = new Map<string, Res>();
  const resourcesEl = kid(manifest, "resources");
  const rootBase = manifest.attrs["{http://www.w3.org/XML/1998/namespace}base"] ?? "";
  const resBase = resourcesEl?.attrs["{http://www.w3.org/XML/1998/namespace}base"] ?? "";
  for (const r of kids(resourcesEl, "resource")) {
    const id = r.attrs.identifier;
    if (!id || resources.has(id)) continue; // a duplicate identifier: the first one counts
    const base = path.posix.join(rootBase, resBase, r.attrs["{http://www.w3.org/XML/1998/namespace}base"] ?? "");
    resources.set(id, {
      id,
      type: r.attrs.type ?? "",
      href: r.attrs.href,
      base: base === "." ? "" : base,
      files: kids(r, "file").map((f) => f.attrs.href ?? "").filter(Boolean),
      deps: kids(r, "dependency").map((d) => d.attrs.identifierref ?? "").filter(Boolean),
      variant: kids(r, "variant").length > 0,
    });
  }
  const items: PlanItem[] = [];
  const skipped: Skipped[] = [];
  const used = new Set<string>();

  const take = (title: string, resId: string) => {
    const r = resources.get(resId);
    if (!r) return void skipped.push({ title, reason: "Mục này trỏ tới một tài nguyên không có trong gói." });
    used.add(resId);
    const reason = unsupportedReason(r.type);
    if (reason) return void skipped.push({ title, reason });
    const full = (href: string) => inside(path.posix.join(r.base, safeDecode(href))) ?? inside(path.posix.join(r.base, href));
    if (/^imswl_/.test(r.type)) {
      const file = full(r.files[0] ?? r.href ?? "");
      const data = file ? files.get(file) : undefined;
      if (!data) return void skipped.push({ title, reason: "Tệp mô tả liên kết không có trong gói." });
      let url = "";
      let linkTitle = "";
      try {
        const wl = parseXml(data.toString("utf8"));
        url = (kid(wl, "url")?.attrs.href ?? "").trim();
        linkTitle = textOf(kid(wl, "title")).trim();
      } catch {
        return void skipped.push({ title, reason: "Tệp mô tả liên kết không phải XML hợp lệ." });
      }
      if (!/^https?:\/\/[^\s]+$/i.test(url) || !URL.canParse(url)) return void skipped.push({ title: title || linkTitle, reason: "Liên kết không phải địa chỉ http(s) hợp lệ." });
      return void items.push({ kind: "link", title: lessonTitle(title || linkTitle), url: new URL(url).href });
    }
    // webcontent: a page (HTML), or a file
    const main = r.href ? full(r.href) : r.files.length === 1 ? full(r.files[0]) : null;
    if (!main) {
      if (r.href !== undefined || r.files.length !== 1) return void skipped.push({ title, reason: r.href !== undefined ? "Đường dẫn của tài nguyên ra ngoài gói." : "Tài nguyên không có tệp chính." });
    }
    if (!main || !files.has(main)) return void skipped.push({ title, reason: "Tệp của mục này không có trong gói." });
    if (/\.html?$/i.test(main)) {
      const own = r.files.map(full).filter((f): f is string => Boolean(f));
      const meta = own.find((f) => f.endsWith("/lopso.json"));
      const page: PlanItem = { kind: "page", title: lessonTitle(title), file: main, dir: path.posix.dirname(main) === "." ? "" : path.posix.dirname(main), extraFiles: [] };
      if (meta && files.has(meta)) {
        try {
          const j = JSON.parse(files.get(meta)!.toString("utf8"));
          if (j.format === "lopso-lesson-1" && typeof j.bodyMd === "string") {
            page.markdown = j.bodyMd;
            page.title = lessonTitle(typeof j.title === "string" ? j.title : title);
            page.filenames = new Map<string, string>();
            for (const f of Array.isArray(j.files) ? j.files : []) {
              const p = typeof f?.href === "string" ? inside(path.posix.join(page.dir, f.href)) : null;
              if (p && typeof f.filename === "string") {
                page.filenames.set(p, f.filename);
                page.extraFiles.push(p);
              }
            }
          }
        } catch {
          // not ours after all: imported as HTML
        }
      }
      return void items.push(page);
    }
    return void items.push({ kind: "file", title: lessonTitle(title || path.posix.basename(main)), file: main });
  };

  const org = kid(kid(manifest, "organizations"), "organization");
  const walk = (item: XmlElement, folder: string) => {
    const title = textOf(kid(item, "title")).replace(/\s+/g, " ").trim();
    const ref = item.attrs.identifierref;
    if (ref) take(title || folder, ref);
    for (const child of kids(item, "item")) walk(child, title);
  };
  for (const root of kids(org, "item")) walk(root, "");
  const dependedOn = new Set([...resources.values()].flatMap((r) => r.deps));
  const pageTitleOf = (r: Res) => {
    const html = r.href ? files.get(inside(path.posix.join(r.base, safeDecode(r.href))) ?? "")?.toString("utf8") : undefined;
    return (html && /<title>([^<]*)<\/title>/i.exec(html)?.[1]?.trim()) || (r.href ? path.posix.basename(r.href).replace(/\.html?$/i, "") : r.id);
  };
  // Pages outside every module (Canvas wiki pages), and with no organization at all (the canvas_cc
  // gem's empty <organizations/>) links too: the resources themselves, in the manifest's order.
  const noOrganization = used.size === 0 && items.length === 0;
  for (const r of resources.values()) {
    if (used.has(r.id) || dependedOn.has(r.id) || r.variant) continue;
    const page = r.type === "webcontent" && /\.html?$/i.test(r.href ?? "") && !(r.href ?? "").startsWith("course_settings/");
    if (page || (noOrganization && /^imswl_/.test(r.type))) take(pageTitleOf(r), r.id);
  }
  // Quizzes, discussions and assignments outside every module (Canvas lists them only as
  // resources): not imported, but named in the report with the reason, like those in modules.
  for (const r of resources.values()) {
    if (used.has(r.id) || dependedOn.has(r.id) || /learning-application-resource$/.test(r.type)) continue;
    if (/assessment$|question-bank$|^imsdt_xmlv|^assignment_xmlv|^imsbasiclti/.test(r.type)) take(activityTitle(r, files), r.id);
  }
  return { items, skipped };
}
