/**
 * `npm run cli -- roster import` as an operator runs it (a child process over a fresh database):
 * per-file counts and exit 0; a dry run writes nothing; bad rows as file:line:column: reason on
 * stderr, exit 1, nothing written.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPlace, type CliPlace } from "../support/cli.ts";
import { testDbKind } from "../support/db.ts";

const kind = testDbKind();
const FIX = path.resolve("tests/fixtures/oneroster");
let place: CliPlace;

const cli = (...args: string[]) => place.run(args);

async function count(): Promise<number> {
  const database = await place.open(1);
  try {
    const [r] = await database.query<{ n: number }>("select (select count(*) from users) + (select count(*) from external_links) + (select count(*) from classes) as n");
    return Number(r.n);
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  place = await cliPlace("roster-cli");
  expect((await cli("seed")).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await place?.remove();
});

describe(`npm run cli -- roster import (${kind})`, () => {
  it("dry-runs, imports with per-file counts, and re-imports unchanged", async () => {
    const before = await count();
    const dry = await cli("roster", "import", path.join(FIX, "thcs-nguyendu-1.1"), "--dry-run");
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("Dry run (nothing written): OneRoster 1.1 into 79001 Trường THCS Nguyễn Du");
    expect(await count()).toBe(before);
    const run = await cli("roster", "import", path.join(FIX, "thcs-nguyendu-1.1"));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/users\.csv\s+7\s+1\s+0\s+0\s+0/);
    expect(run.stdout).toMatch(/enrollments\.csv\s+10\s+0\s+0\s+0\s+0/);
    const again = await cli("roster", "import", path.join(FIX, "thcs-nguyendu-1.1"), "--school", "79001");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/users\.csv\s+0\s+0\s+8\s+0\s+0/);
  }, 120_000);

  it("prints each bad row as file:line:column: reason, exits 1 and writes nothing", async () => {
    const dir = fs.mkdtempSync(path.join(place.dataDir, "bad-"));
    for (const f of fs.readdirSync(path.join(FIX, "thcs-nguyendu-1.1"))) fs.copyFileSync(path.join(FIX, "thcs-nguyendu-1.1", f), path.join(dir, f));
    const enr = path.join(dir, "enrollments.csv");
    fs.writeFileSync(enr, fs.readFileSync(enr, "utf8").replace("e7,,,c-6a2-toan", "e7,,,c-6a3-toan").replace("hs-anh,student", "hs-anh,hocsinh"));
    const before = await count();
    const bad = await cli("roster", "import", dir, "--lang", "en");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('enrollments.csv:4:7: "hocsinh" is not a value of column role (one of: administrator, proctor, student, teacher)');
    expect(bad.stderr).toContain("nothing was written");
    expect(await count()).toBe(before);
    const unknownSchool = await cli("roster", "import", dir, "--school", "00000");
    expect(unknownSchool.code).toBe(1);
    expect(unknownSchool.stderr).toContain('--school: không có trường mã "00000"');
  }, 120_000);
});
