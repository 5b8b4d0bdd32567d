/**
 * `npm run cli -- harvest …` and `npm run cli -- repositories` as an operator runs them: a child
 * process over a fresh embedded database (or a fresh PostgreSQL database), harvesting the fake
 * OAI-PMH repository.
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOai, type FakeOai, type FakeRecord } from "../fakes/oai-pmh/server.ts";
import { testDatabaseUrl, testDbKind } from "../support/db.ts";

const kind = testDbKind();
let dataDir: string;
let databaseUrl = "";
let dropDatabase: () => Promise<void> = async () => {};
let repo: FakeOai;

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: databaseUrl, LOG_LEVEL: "info", DEMO: "0" };
    const child = spawn(process.execPath, ["--import", "tsx", "app/cli.ts", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lopso-cli-harvest-"));
  if (kind === "postgres") {
    const base = new URL(testDatabaseUrl());
    const name = `lopso_clih_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
    const admin = postgres(base.toString(), { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = async () => {
      const a = postgres(base.toString(), { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    };
  }
  const records: FakeRecord[] = Array.from({ length: 12 }, (_, i) => ({
    identifier: `oai:kho.test:${i}`,
    datestamp: `2026-02-${String(i + 1).padStart(2, "0")}T00:00:00Z`,
    sets: ["thcs"],
    dc: i === 3 ? ({ description: ["không nhan đề"] } as Record<string, string[]>) : { title: [`Bài ${i}: Toán lớp 6`], subject: ["Toán"], identifier: [`https://kho.test/${i}`] },
  }));
  repo = await startFakeOai({ records, pageSize: 5, sets: [{ spec: "thcs", name: "THCS" }] });
  expect((await cli("migrate")).code).toBe(0);
  expect((await cli("seed")).code).toBe(0);
}, 180_000);

afterAll(async () => {
  await repo?.close();
  await dropDatabase();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe(`npm run cli -- harvest (${kind})`, () => {
  it("registers a new base URL for the province, harvests it and prints the counts with each skipped record", async () => {
    const run = await cli("harvest", repo.url);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Registered Kho học liệu thử");
    expect(run.stdout).toContain("added 11, updated 0, deleted 0, skipped 1 (3 pages)");
    expect(run.stdout).toContain("skipped oai:kho.test:3: Bản ghi không có nhan đề (title).");
    const again = await cli("harvest", repo.url, "--full", "--set", "thcs");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Harvest full");
    expect(again.stdout).toContain("added 0, updated 0, deleted 0, skipped 1");
    expect(repo.requests.some((q) => q.get("set") === "thcs")).toBe(true);
  });

  it("lists the repositories with their last harvest", async () => {
    const list = await cli("repositories");
    expect(list.code).toBe(0);
    const line = list.stdout.split("\n").find((l) => l.includes(repo.url))!;
    expect(line).toMatch(/^[0-9a-f-]{36}  /);
    expect(line).toContain("11 resources");
    expect(line).toContain("succeeded");
    const id = line.slice(0, 36);
    const byId = await cli("harvest", id);
    expect(byId.code).toBe(0);
    expect(byId.stdout).toContain(`Harvest incremental of ${id}: succeeded`);
  });

  it("exits non-zero with the reason when the harvest cannot complete, and on a bad argument", async () => {
    repo.override = (q) => (q.get("verb") === "ListRecords" ? { headers: { "content-type": "text/html" }, body: "<html><title>Bảo trì</title></html>" } : undefined);
    const html = await cli("harvest", repo.url, "--full");
    expect(html.code).toBe(1);
    expect(html.stderr).toContain("trả về một trang web (HTML)");
    repo.override = null;
    const unreachable = await cli("harvest", "http://127.0.0.1:9/oai");
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("Không kết nối được");
    const bad = await cli("harvest", "kho-khong-ton-tai");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--repository");
    const missing = await cli("harvest", crypto.randomUUID());
    expect(missing.code).toBe(1);
  });
});
