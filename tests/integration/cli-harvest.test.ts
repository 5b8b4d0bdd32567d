/**
 * `npm run cli -- harvest …` and `npm run cli -- repositories` as an operator runs them: a child
 * process over a fresh embedded database (or a fresh PostgreSQL database), harvesting the fake
 * OAI-PMH repository.
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOai, type FakeOai, type FakeRecord } from "../fakes/oai-pmh/server.ts";
import { cliPlace, type CliPlace } from "../support/cli.ts";
import { testDbKind } from "../support/db.ts";

const kind = testDbKind();
let place: CliPlace;
let repo: FakeOai;

const cli = (...args: string[]) => place.run(args);

beforeAll(async () => {
  place = await cliPlace("cli-harvest", { LOG_LEVEL: "info" });
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
  await place?.remove();
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
