/**
 * IMS Common Cartridge: the real cartridges of the samples imported (what each holds, what is
 * listed as not imported); packages refused as a whole (zip bomb, path traversal, symlink, no or
 * broken manifest) with nothing written; export from the class page and a lossless round trip.
 */
import fs from "node:fs";
import path from "node:path";
import { asc, eq, inArray } from "drizzle-orm";
import yazl from "yazl";
import { validateXML } from "xmllint-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachments, lessons } from "../../db/schema/index.ts";
import { loadMemberships, type Actor } from "../../app/auth/actor.server.ts";
import { importCartridge } from "../../app/services/cartridge/import.server.ts";
import { kid, kids, parseXml, textOf, type XmlElement } from "../../app/services/cartridge/xml.server.ts";
import { readZip } from "../../app/services/cartridge/zip.server.ts";
import { storedPath, uploadsDir } from "../../app/services/files.server.ts";
import { demoLookup } from "../support/demo.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";

const SAMPLES = "/work/shared/samples/commoncartridge";
let hub: Hub;
let lan: Client, minh: Client;
let actor: Actor;
let toan6: string, khtn7: string;

async function zipOf(entries: { name: string; data: Buffer; mode?: number }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(e.data, e.name, e.mode ? { mode: e.mode } : {});
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

function folderEntries(dir: string, base = dir): { name: string; data: Buffer }[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? folderEntries(p, base) : [{ name: path.relative(base, p), data: fs.readFileSync(p) }];
  });
}

const sample = async (rel: string) => {
  const p = path.join(SAMPLES, rel);
  return fs.statSync(p).isDirectory() ? zipOf(folderEntries(p)) : fs.readFileSync(p);
};

const lessonsOf = (classId: string) =>
  hub.database.db.select().from(lessons).where(eq(lessons.classId, classId)).orderBy(asc(lessons.createdAt), asc(lessons.id));

const storedCount = () => {
  let n = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(path.join(d, e.name)) : n++;
  };
  walk(uploadsDir());
  return n;
};

beforeAll(async () => {
  hub = await startHub();
  const lookup = demoLookup(hub.database.db);
  toan6 = await lookup.class("6A1", "toan");
  khtn7 = await lookup.class("7A2", "khtn");
  const lanId = await lookup.user("lan.nt@nguyendu.lopso.demo");
  actor = { id: lanId, memberships: await loadMemberships(hub.database.db, lanId) } as Actor;
  [lan, minh] = await Promise.all([hub.as("lan.nt@nguyendu.lopso.demo"), hub.as("minh.tv@nguyendu.lopso.demo")]);
});

afterAll(async () => {
  await hub?.close();
});

describe("the samples' real cartridges", () => {
  it("course-1 (Canvas 1.3): page, web link and files in module order; quiz, discussion, assignment and the missing LTI resource listed", async () => {
    const before = (await lessonsOf(khtn7)).length;
    const r = await importCartridge(hub.database.db, actor, khtn7, await sample("ccviewer-test-cartridges/course-1"));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.value.version).toBe("1.3");
    expect(r.value.lessons.map((l) => l.title)).toEqual(["First Module Wiki Page 1", "First Module External URL 1", "Sample Document", "photo.jpg", "The First Measured Century: 1930-1960 (60:00)"]);
    const reasons = r.value.skipped.map((s) => s.reason).join("\n");
    expect(reasons).toContain("Bài kiểm tra (QTI)");
    expect(reasons).toContain("thảo luận");
    expect(reasons).toContain("Bài tập");
    expect(reasons).toContain("không có trong gói");
    const rows = await lessonsOf(khtn7);
    expect(rows.length - before).toBe(5);
    const imported = rows.slice(before);
    expect(imported.every((l) => l.status === "draft")).toBe(true);
    expect(imported[1].bodyMd).toMatch(/\]\(<https?:\/\/[^>]+>\)/);
  });

  it("rich-content-cc-file: the page's images come from the hub's files (both FILEBASE tokens)", async () => {
    const r = await importCartridge(hub.database.db, actor, khtn7, await sample("ccviewer-test-cartridges/rich-content-cc-file"));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.value.lessons.map((l) => l.title)).toEqual(["Front Page!"]);
    const [l] = await hub.database.db.select().from(lessons).where(eq(lessons.id, r.value.lessons[0].id));
    const files = await hub.database.db.select().from(attachments).where(eq(attachments.lessonId, l.id));
    // shapes.jpg, linked with the legacy %24IMS_CC_FILEBASE%24/files/ token, is attached and shown.
    expect(files.map((f) => f.filename)).toEqual(["shapes.jpg"]);
    expect(l.bodyHtml).toContain(`<img src="/files/${files[0].id}" alt="shapes.jpg"`);
    expect(l.bodyHtml).not.toContain("IMS_CC_FILEBASE");
    // "border copy.png" is a JPEG under a .png name: not attached, and said so.
    expect(r.value.skipped).toContainEqual({ title: "Front Page!: border copy.png", reason: "Loại tệp không được phép đính kèm." });
    expect(l.bodyHtml).not.toMatch(/<script/i);
  });

  const cases: [string, string[]][] = [
    ["ccviewer-test-cartridges/single-page.imscc", ["Our Purpose"]],
    ["ccviewer-test-cartridges/multiple-pages", ["First Page", "Second Page", "Third Page"]],
    ["ccviewer-test-cartridges/latex.imscc", ["Page 1", "Page 2"]],
    ["ccviewer-allyworkshop-extract", ["The Time is Now"]],
    ["instructure-common_cartridge-spec-files/canvas_small_1.1.imscc", ["Learning Objectives", "Wikipedia - Your Mom", "Super exciting!", "Assignment 1", "Assignment 2", "Wikipedia - Sigmund Freud"]],
    ["instructure-common_cartridge-spec-files/canvas_large_1.3.imscc", ["math_Simpson.jpg", "Front Page", "Google", "math_Simpson.jpg", "Page hidden from Students"]],
    ["cc2olx-corner-cases", ["Survival Strategies: How Wild Animals Avoid Predators"]],
  ];
  for (const [rel, titles] of cases) {
    it(`${rel}: ${titles.length} lessons`, async () => {
      const r = await importCartridge(hub.database.db, actor, khtn7, await sample(rel));
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      expect(r.value.lessons.map((l) => l.title)).toEqual(titles);
    });
  }

  it("grouptest.zip (quizzes only): nothing imported, each quiz listed with the reason", async () => {
    const before = (await lessonsOf(khtn7)).length;
    const r = await importCartridge(hub.database.db, actor, khtn7, await sample("ccviewer-test-cartridges/grouptest.zip"));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.value.lessons).toEqual([]);
    expect(r.value.skipped.length).toBeGreaterThan(0);
    for (const s of r.value.skipped) expect(s.reason).toContain("Bài kiểm tra (QTI)");
    expect((await lessonsOf(khtn7)).length).toBe(before);
  });

  it("a cartridge with nothing importable lists every item it did not import, and why", async () => {
    const before = (await lessonsOf(khtn7)).length;
    const expected: [string, { title: string; reason: RegExp }[]][] = [
      ["ccviewer-test-cartridges/all-question-types", [{ title: "ALL QUESTION TYPES QUIZ", reason: /Bài kiểm tra \(QTI\)/ }]],
      ["ccviewer-test-cartridges/single-assignment", [{ title: "Assignment", reason: /Bài tập chưa nhập được/ }]],
      ["ccviewer-test-cartridges/single-discussion", [{ title: "Test discussion", reason: /Chủ đề thảo luận/ }]],
      [
        "ccviewer-test-cartridges/course-with-no-showable-resources",
        ["Copy of xmenusers", "Monthly budget", "Project proposal", "slash/filename", "Slides template orange"].map((title) => ({ title, reason: /không có trong gói/ })),
      ],
    ];
    for (const [rel, items] of expected) {
      const r = await importCartridge(hub.database.db, actor, khtn7, await sample(rel));
      if (!r.ok) throw new Error(`${rel}: ${JSON.stringify(r.errors)}`);
      expect(r.value.lessons, rel).toEqual([]);
      expect(r.value.skipped.map((s) => s.title), rel).toEqual(items.map((i) => i.title));
      for (const [i, s] of r.value.skipped.entries()) expect(s.reason, rel).toMatch(items[i].reason);
    }
    expect((await lessonsOf(khtn7)).length).toBe(before);
  });
});

describe("packages refused as a whole, with nothing written", () => {
  const refused = async (zip: Buffer, message: string) => {
    const [lessonsBefore, filesBefore] = [(await lessonsOf(toan6)).length, storedCount()];
    const r = await importCartridge(hub.database.db, actor, toan6, zip);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.file).toContain(message);
    expect((await lessonsOf(toan6)).length).toBe(lessonsBefore);
    expect(storedCount()).toBe(filesBefore);
  };
  const manifest = fs.readFileSync(path.join(SAMPLES, "ccviewer-test-cartridges/single-page/imsmanifest.xml"));

  it("a zip bomb (an entry inflating a thousandfold)", async () => {
    await refused(await zipOf([{ name: "imsmanifest.xml", data: manifest }, { name: "big.txt", data: Buffer.alloc(25 * 1024 * 1024) }]), "bom zip");
  });
  it("an entry above the per-entry cap", async () => {
    const { ZIP_LIMITS } = await import("../../app/services/cartridge/zip.server.ts");
    await expect(readZip(await zipOf([{ name: "a.txt", data: Buffer.alloc(2 * 1024 * 1024) }]), { ...ZIP_LIMITS, maxEntryBytes: 1024 * 1024 })).rejects.toThrow(/too_large/);
  });
  it("path traversal (../), absolute paths and backslashes", async () => {
    for (const [fake, real] of [["aa/evil.txt", "../evil.txt"], ["/aetc/passwd", "//etc/passwd"], ["aa_evil.txt", "a\\evil.txt"]]) {
      const zip = await zipOf([{ name: "imsmanifest.xml", data: manifest }, { name: fake.replace(/^\//, ""), data: Buffer.from("x") }]);
      const from = Buffer.from(fake.replace(/^\//, ""));
      const to = Buffer.from(real.slice(0, from.length).padEnd(from.length, "x"));
      let at = zip.indexOf(from);
      while (at >= 0) {
        to.copy(zip, at);
        at = zip.indexOf(from, at + 1);
      }
      await refused(zip, "đường dẫn không an toàn");
    }
  });
  it("a symbolic link", async () => {
    await refused(await zipOf([{ name: "imsmanifest.xml", data: manifest }, { name: "link", data: Buffer.from("/etc/passwd"), mode: 0o120777 }]), "symlink");
  });
  it("no manifest, a broken one, not a cartridge, not a zip", async () => {
    await refused(await zipOf([{ name: "page.html", data: Buffer.from("<p>x</p>") }]), "imsmanifest.xml");
    await refused(await zipOf([{ name: "imsmanifest.xml", data: Buffer.from("<manifest><oops") }]), "XML hợp lệ");
    await refused(await zipOf([{ name: "imsmanifest.xml", data: Buffer.from('<manifest xmlns="http://example.org/x"/>') }]), "Common Cartridge");
    await refused(Buffer.from("not a zip at all"), "zip");
    await refused(await zipOf([{ name: "imsmanifest.xml", data: Buffer.from('<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><manifest>&x;</manifest>') }]), "XML hợp lệ");
  });
});

describe("the class page's import and export", () => {
  it("the import page takes an .imscc from the class's teacher only", async () => {
    const form = new FormData();
    form.append("file", new File([new Uint8Array(await sample("ccviewer-test-cartridges/single-page.imscc"))], "single-page.imscc", { type: "application/zip" }));
    const res = await lan.post(`/classes/${toan6}/import-cartridge`, form);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Đã nhập 1 bài học (bản nháp).");
    expect((await minh.get(`/classes/${toan6}/import-cartridge`)).status).toBe(404);
    expect((await minh.get(`/classes/${toan6}/cartridge.imscc`)).status).toBe(404);
  });

  it("exports CC 1.3 whose re-import into another class gives the same titles, bodies, files' bytes and order", async () => {
    // A lesson with a file first, so the round trip carries bytes.
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
    const form = new FormData();
    form.append("title", "Bài 10. Hình vẽ có tệp");
    form.append("bodyMd", "Xem hình.");
    form.append("files", new File([png], "hình vẽ.png", { type: "image/png" }));
    const made = await lan.post(`/classes/${toan6}/lessons/new`, form);
    const id = /\/lessons\/([0-9a-f-]{36})\//.exec(made.headers.get("location")!)![1];
    const [file] = await hub.database.db.select().from(attachments).where(eq(attachments.lessonId, id));
    await lan.post(`/classes/${toan6}/lessons/${id}/edit`, { title: "Bài 10. Hình vẽ có tệp", bodyMd: `Xem hình.\n\n![Hình](/files/${file.id})`, intent: "draft" });

    const res = await lan.get(`/classes/${toan6}/cartridge.imscc`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain(".imscc");
    const zip = Buffer.from(await res.arrayBuffer());
    const entries = await readZip(zip);
    const manifest = entries.get("imsmanifest.xml")!.toString("utf8");
    expect(manifest.slice(0, 500)).toContain('xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"');
    expect(manifest).toContain("<schemaversion>1.3.0</schemaversion>");
    expect(manifest).toContain('structure="rooted-hierarchy"');

    const fresh = await importCartridge(hub.database.db, actor, khtn7 /* another class */, zip);
    if (!fresh.ok) throw new Error(JSON.stringify(fresh.errors));
    const source = await lessonsOf(toan6);
    const copies = await hub.database.db.select().from(lessons).where(inArray(lessons.id, fresh.value.lessons.map((l) => l.id))).orderBy(asc(lessons.createdAt));
    expect(copies.map((l) => l.title)).toEqual(source.map((l) => l.title));
    for (const [i, copy] of copies.entries()) {
      const files = await hub.database.db.select().from(attachments).where(eq(attachments.lessonId, source[i].id)).orderBy(asc(attachments.createdAt));
      const copied = await hub.database.db.select().from(attachments).where(eq(attachments.lessonId, copy.id)).orderBy(asc(attachments.createdAt));
      expect(copied.map((f) => f.filename)).toEqual(files.map((f) => f.filename));
      let body = source[i].bodyMd;
      for (const [j, f] of files.entries()) {
        expect(fs.readFileSync(storedPath(copied[j].storageKey)).equals(fs.readFileSync(storedPath(f.storageKey)))).toBe(true);
        body = body.replaceAll(`/files/${f.id}`, `/files/${copied[j].id}`);
      }
      expect(copy.bodyMd).toBe(body);
    }
  });
  it("the export follows the CC 1.3 profile rules its XSD cannot check, and every web link it writes validates against the CC 1.3 web-link XSD", async () => {
    const res = await lan.get(`/classes/${toan6}/cartridge.imscc`);
    expect(res.status).toBe(200);
    const entries = await readZip(Buffer.from(await res.arrayBuffer()));
    const manifest = parseXml(entries.get("imsmanifest.xml")!.toString("utf8"));
    const CP = "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1";
    const descendants = (el: XmlElement): XmlElement[] => el.children.flatMap((c) => [c, ...descendants(c)]);
    expect(descendants(manifest).every((e) => e.ns === CP || e.ns === "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest")).toBe(true);

    // xs:ID identifiers: NCNames, unique in the manifest.
    const ids = [manifest, ...descendants(manifest)].map((e) => e.attrs.identifier).filter(Boolean);
    expect(ids.every((id) => /^[A-Za-z_][A-Za-z0-9._-]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);

    // One rooted-hierarchy organization whose single root item has no title; every other item has one;
    // a learning-object item holds no items (rule 8b) and points at a listed resource.
    const orgs = kids(kid(manifest, "organizations"), "organization");
    expect(orgs.map((o) => o.attrs.structure)).toEqual(["rooted-hierarchy"]);
    const roots = kids(orgs[0], "item");
    expect(roots).toHaveLength(1);
    expect(kid(roots[0], "title")).toBeUndefined();
    const resources = kids(kid(manifest, "resources"), "resource");
    const resourceIds = new Set(resources.map((r) => r.attrs.identifier));
    const items = descendants(roots[0]).filter((e) => e.name === "item");
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expect(textOf(kid(item, "title")).trim()).not.toBe("");
      if (item.attrs.identifierref) {
        expect(kids(item, "item")).toEqual([]);
        expect(resourceIds.has(item.attrs.identifierref)).toBe(true);
      }
    }

    // Files: no duplicate href in a resource (9a), a resource's href is one of its files (10a/b), and
    // every file listed is in the package.
    const webLinkXsd = { fileName: "ccv1p3_imswl_v1p3.xsd", contents: fs.readFileSync(path.join(SAMPLES, "xsd/ccv1p3_imswl_v1p3.xsd"), "utf8") };
    for (const r of resources) {
      const hrefs = kids(r, "file").map((f) => f.attrs.href);
      expect(new Set(hrefs).size).toBe(hrefs.length);
      if (r.attrs.href) expect(hrefs).toContain(r.attrs.href);
      for (const href of hrefs) expect(entries.has(decodeURI(href)), href).toBe(true);
      if (!/^imswl_/.test(r.attrs.type)) continue;
      // A web link (rules 2a-2d): exactly one file, no href, no dependency, the 1.3 type; its file
      // validates against the official web-link schema. (The exporter writes none today: a lesson is
      // one webcontent page, and library resources attached to it are not exported.)
      expect(r.attrs.type).toBe("imswl_xmlv1p3");
      expect(hrefs).toHaveLength(1);
      expect(r.attrs.href).toBeUndefined();
      expect(kids(r, "dependency")).toEqual([]);
      const result = await validateXML({ xml: [{ fileName: hrefs[0], contents: entries.get(decodeURI(hrefs[0]))!.toString("utf8") }], schema: [webLinkXsd] });
      expect(result.errors.map((e) => e.rawMessage)).toEqual([]);
      expect(result.valid).toBe(true);
    }
  });
});
