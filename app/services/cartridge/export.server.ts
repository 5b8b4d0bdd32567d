/**
 * A class's lessons as an IMS Common Cartridge 1.3 (.imscc, written with yazl): one organization
 * with one item per lesson in the order they were written, each a `webcontent` resource holding
 * its page (`index.html`, the lesson as readers see it), its files, and `lopso.json` (the lesson's
 * Markdown and its files' names), from which the hub re-imports the lesson exactly.
 */
import fs from "node:fs/promises";
import { asc, eq, inArray } from "drizzle-orm";
import yazl from "yazl";
import type { Db } from "../../../db/client.server.ts";
import { attachments, lessons } from "../../../db/schema/index.ts";
import type { Actor } from "../../auth/actor.server.ts";
import { getClassForTeacher } from "../classes.server.ts";
import { storedPath } from "../files.server.ts";
import { esc } from "../library/oai-provider.server.ts";

/** A file name safe in every importer: ASCII letters, digits, dot, dash, underscore. */
export function asciiName(name: string) {
  const base = name
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[đĐ]/g, "d")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[._]+/, "");
  return base.slice(-100) || "file";
}

export async function exportCartridge(db: Db, actor: Actor, classId: string): Promise<{ filename: string; body: Buffer }> {
  const cls = await getClassForTeacher(db, actor, classId);
  const rows = await db
    .select({ id: lessons.id, title: lessons.title, bodyMd: lessons.bodyMd, bodyHtml: lessons.bodyHtml })
    .from(lessons)
    .where(eq(lessons.classId, classId))
    .orderBy(asc(lessons.createdAt), asc(lessons.id));
  const files = rows.length
    ? await db
        .select({ id: attachments.id, lessonId: attachments.lessonId, filename: attachments.filename, key: attachments.storageKey })
        .from(attachments)
        .where(inArray(attachments.lessonId, rows.map((r) => r.id)))
        .orderBy(asc(attachments.createdAt), asc(attachments.id))
    : [];
  const zip = new yazl.ZipFile();
  const items: string[] = [];
  const resources: string[] = [];
  for (const [i, l] of rows.entries()) {
    const dir = `lesson-${String(i + 1).padStart(3, "0")}`;
    const own = files.filter((f) => f.lessonId === l.id);
    const names = new Set<string>();
    const hrefOf = new Map<string, string>();
    for (const f of own) {
      let name = asciiName(f.filename);
      for (let n = 2; names.has(name.toLowerCase()); n++) name = `${n}-${asciiName(f.filename)}`;
      names.add(name.toLowerCase());
      hrefOf.set(f.id, `files/${name}`);
      zip.addBuffer(await fs.readFile(storedPath(f.key)), `${dir}/files/${name}`);
    }
    const toPackage = (text: string, prefix: string) => text.replace(/\/files\/([0-9a-f-]{36})/g, (all, id: string) => (hrefOf.has(id) ? `${prefix}${hrefOf.get(id)}` : all));
    const html =
      `<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n<meta name="generator" content="Lớp Số">\n<title>${esc(l.title)}</title>\n</head>\n<body>\n` +
      `<h1>${esc(l.title)}</h1>\n${toPackage(l.bodyHtml, "")}\n</body>\n</html>\n`;
    zip.addBuffer(Buffer.from(html), `${dir}/index.html`);
    const meta = { format: "lopso-lesson-1", title: l.title, bodyMd: toPackage(l.bodyMd, "lopso-file:"), files: own.map((f) => ({ href: hrefOf.get(f.id), filename: f.filename })) };
    zip.addBuffer(Buffer.from(JSON.stringify(meta, null, 1)), `${dir}/lopso.json`);
    const rid = `R_${l.id.replace(/-/g, "")}`;
    items.push(`<item identifier="I_${l.id.replace(/-/g, "")}" identifierref="${rid}"><title>${esc(l.title)}</title></item>`);
    resources.push(
      `<resource identifier="${rid}" type="webcontent" href="${dir}/index.html"><file href="${dir}/index.html"/><file href="${dir}/lopso.json"/>${own
        .map((f) => `<file href="${dir}/${esc(hrefOf.get(f.id)!)}"/>`)
        .join("")}</resource>`,
    );
  }
  const manifest =
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<manifest identifier="M_${classId.replace(/-/g, "")}" xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1" xmlns:lomimscc="http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
    `xsi:schemaLocation="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1 http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_imscp_v1p2_v1p0.xsd http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest http://www.imsglobal.org/profile/cc/ccv1p3/LOM/ccv1p3_lommanifest_v1p0.xsd">\n` +
    `<metadata><schema>IMS Common Cartridge</schema><schemaversion>1.3.0</schemaversion><lomimscc:lom><lomimscc:general><lomimscc:title><lomimscc:string language="vi">${esc(cls.name)}</lomimscc:string></lomimscc:title></lomimscc:general></lomimscc:lom></metadata>\n` +
    `<organizations><organization identifier="O_1" structure="rooted-hierarchy"><item identifier="root">${items.join("")}</item></organization></organizations>\n` +
    `<resources>${resources.join("")}</resources>\n</manifest>\n`;
  zip.addBuffer(Buffer.from(manifest), "imsmanifest.xml");
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  return { filename: `${asciiName(cls.name)}.imscc`, body: Buffer.concat(chunks) };
}
