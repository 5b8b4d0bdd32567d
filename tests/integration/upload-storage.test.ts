/**
 * The uploads folder itself: /readyz says when it cannot be written; the sweep removes what an
 * interrupted upload left (and only that); and a server killed with SIGKILL in the middle of
 * uploads never leaves a row naming a missing or truncated file.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../db/client.server.ts";
import { startWorkers } from "../../app/jobs/queue.server.ts";
import { sweepUploads } from "../../app/services/files.server.ts";
import { dropTestDatabase, freshDatabase, testDatabaseUrl, testDbKind, type TestDatabase } from "../support/db.ts";
import { startHub, type Client, type Hub } from "../support/hub.ts";
import { freePort, isReady, spawnServer } from "../support/process.ts";
import { DEMO_PASSWORD } from "../../db/demo.ts";

const MB = 1024 * 1024;
const HOUR = 60 * 60 * 1000;
const PDF = new TextEncoder().encode("%PDF-1.4\n% Lớp Số\n%%EOF\n");

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

function put(dir: string, rel: string, data: Uint8Array | string, ageMs = 0) {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  if (ageMs) {
    const t = new Date(Date.now() - ageMs);
    fs.utimesSync(file, t, t);
  }
  return rel;
}

const keyPath = (key: string) => path.join(key.slice(0, 2), key);

function lessonForm(title: string, files: { name: string; data: Uint8Array }[]) {
  const f = new FormData();
  f.append("title", title);
  f.append("bodyMd", "Tài liệu.");
  for (const file of files) f.append("files", new Blob([file.data as BlobPart], { type: "application/pdf" }), file.name);
  f.append("intent", "draft");
  return f;
}

describe("with the hub in this process", () => {
  let hub: Hub;
  let lan: Client;
  let classId: string;
  const uploads = () => path.join(hub.dataDir, "uploads");

  beforeAll(async () => {
    hub = await startHub();
    lan = await hub.as("lan.nt@nguyendu.lopso.demo");
    const [row] = await hub.database.query<{ id: string }>("select id from classes where name = '6A1' and subject = 'toan'");
    classId = row.id;
  });

  afterAll(async () => {
    await hub?.close();
  });

  describe("/readyz and the uploads folder", () => {
    it("is ready when DATA_DIR/uploads can be written, and leaves no probe file behind", async () => {
      const res = await hub.client().get("/readyz");
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ready", database: testDbKind() });
      expect(filesUnder(uploads())).toEqual([]);
    });

    it("answers 503 uploads-not-writable when the folder is replaced by a file, and ready again once it is back", async () => {
      fs.renameSync(uploads(), uploads() + ".away");
      fs.writeFileSync(uploads(), "not a folder");
      try {
        const res = await hub.client().get("/readyz");
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({ status: "uploads-not-writable", database: testDbKind() });
      } finally {
        fs.rmSync(uploads());
        fs.renameSync(uploads() + ".away", uploads());
      }
      expect((await hub.client().get("/readyz")).status).toBe(200);
    });

    it("answers 503 uploads-not-writable when the folder is missing (it is created at start, not on demand)", async () => {
      fs.renameSync(uploads(), uploads() + ".away");
      try {
        const res = await hub.client().get("/readyz");
        expect(res.status).toBe(503);
        expect(await res.json()).toMatchObject({ status: "uploads-not-writable" });
        expect(fs.existsSync(uploads())).toBe(false);
      } finally {
        fs.renameSync(uploads() + ".away", uploads());
      }
    });
  });

  describe("the uploads sweep", () => {
    let referencedOld: string;
    let referencedYoung: string;
    const made: Record<string, string> = {};

    beforeAll(async () => {
      // Two real attachments; one of them made to look old.
      const res = await lan.post(`/classes/${classId}/lessons/new`, lessonForm("Bài để thử dọn tệp", [{ name: "a.pdf", data: PDF }, { name: "b.pdf", data: PDF }]));
      expect(res.status).toBe(302);
      const keys = (await hub.database.query<{ storage_key: string }>("select storage_key from attachments order by filename")).map((r) => r.storage_key);
      [referencedOld, referencedYoung] = keys.map(keyPath);
      const t = new Date(Date.now() - 3 * HOUR);
      fs.utimesSync(path.join(uploads(), referencedOld), t, t);
      made.tempOld = put(uploads(), `tmp/${crypto.randomUUID()}.part`, new Uint8Array(1000), 2 * HOUR);
      made.tempYoung = put(uploads(), `tmp/${crypto.randomUUID()}.part`, new Uint8Array(1000), 10 * 60 * 1000);
      made.orphanOld = put(uploads(), keyPath(crypto.randomUUID()), PDF, 2 * HOUR);
      made.orphanYoung = put(uploads(), keyPath(crypto.randomUUID()), PDF, 30 * 60 * 1000);
      made.other = put(uploads(), "LEAVE-ME.txt", "not ours", 5 * HOUR);
    });

    it("removes temporary and unreferenced files older than an hour, and keeps young and referenced ones", async () => {
      const before = filesUnder(uploads());
      for (const f of [...Object.values(made), referencedOld, referencedYoung]) expect(before).toContain(f);
      const result = await sweepUploads(hub.database.db, { dataDir: hub.dataDir });
      expect(result).toEqual({ temporary: 1, unreferenced: 1, kept: 3 });
      expect(filesUnder(uploads())).toEqual([made.tempYoung, made.orphanYoung, made.other, referencedOld, referencedYoung].sort());
      // The referenced files still download.
      const [row] = await hub.database.query<{ id: string }>("select id from attachments where storage_key = $1", [path.basename(referencedOld)]);
      expect((await lan.get(`/files/${row.id}`)).status).toBe(200);
    });

    it("runs as the sweep-uploads job on the real queue", async () => {
      const orphan = put(uploads(), keyPath(crypto.randomUUID()), PDF, 2 * HOUR);
      const workers = await startWorkers(hub.database, { schedule: false });
      try {
        const jobId = await workers.boss.send("sweep-uploads", {});
        const deadline = Date.now() + 20_000;
        let state = "";
        while (Date.now() < deadline && state !== "completed" && state !== "failed") {
          state = (await workers.boss.getJobById("sweep-uploads", jobId!))?.state ?? "";
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(state).toBe("completed");
        expect(fs.existsSync(path.join(uploads(), orphan))).toBe(false);
        expect(fs.existsSync(path.join(uploads(), referencedOld))).toBe(true);
      } finally {
        await workers.stop();
      }
    });
  });
});

describe("a server killed with SIGKILL while uploads are being stored", () => {
  let dataDir: string;
  let pgDb: TestDatabase | undefined;
  let databaseUrl: string | undefined;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lopso-crash-"));
    if (testDbKind() === "postgres") {
      pgDb = await freshDatabase("postgres");
      await pgDb.close();
      const url = new URL(testDatabaseUrl());
      url.pathname = `/${pgDb.name}`;
      databaseUrl = url.toString();
    }
  });

  afterAll(async () => {
    if (pgDb) {
      await dropTestDatabase(pgDb.name);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("never leaves a row naming a missing or truncated file, and the sweep clears what it left", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = spawnServer({ NODE_ENV: "production", PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "warn", DEMO: "1", WORKERS: "0", DATABASE_URL: databaseUrl });
    let database: Database | undefined;
    try {
      await server.waitUntil(() => isReady(base));
      const { Client } = await import("../support/hub.ts");
      const lan = new Client(base);
      expect((await lan.post("/login", { identifier: "lan.nt@nguyendu.lopso.demo", password: DEMO_PASSWORD })).status).toBe(302);
      const classId = /href="\/classes\/([0-9a-f-]{36})"/.exec(await (await lan.get("/classes")).text())![1];

      // Four teachers' saves at once, each with five files of 9.9 MB.
      const big = new Uint8Array(Math.round(9.9 * MB)).fill(0x20);
      big.set(PDF);
      const uploads = path.join(dataDir, "uploads");
      const saves = Array.from({ length: 4 }, (_, n) =>
        lan.post(`/classes/${classId}/lessons/new`, lessonForm(`Bài bị cắt ngang ${n}`, Array.from({ length: 5 }, (_, i) => ({ name: `tep-${n}-${i}.pdf`, data: big })))).catch(() => null),
      );
      // Kill the moment the first upload is moved to its key (its transaction is about to commit),
      // while the others are still being written.
      const placed = () => filesUnder(uploads).some((f) => !f.startsWith("tmp"));
      const until = Date.now() + 60_000;
      while (!placed() && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
      expect(placed()).toBe(true);
      server.child.kill("SIGKILL");
      await server.exited;
      await Promise.all(saves);

      database = databaseUrl ? await openDatabase({ url: databaseUrl, max: 1 }) : await openDatabase({ dataDir: path.join(dataDir, "pglite") });
      const rows = await database.query<{ storage_key: string; size: number }>("select storage_key, size from attachments");
      // Every recorded file is there, whole.
      for (const row of rows) expect(fs.statSync(path.join(uploads, keyPath(row.storage_key))).size).toBe(row.size);
      const referenced = new Set(rows.map((r) => keyPath(r.storage_key)));
      const leftover = filesUnder(uploads).filter((f) => !referenced.has(f));
      expect(leftover.length).toBeGreaterThan(0);

      // An hour later, the sweep leaves exactly the recorded files.
      const result = await sweepUploads(database.db, { dataDir, now: new Date(Date.now() + HOUR + 60_000) });
      expect(result.temporary + result.unreferenced).toBe(leftover.length);
      expect(filesUnder(uploads)).toEqual([...referenced].sort());
    } finally {
      await server.stop("SIGKILL");
      await database?.close();
    }
  }, 120_000);
});
