/**
 * The operator CLI as an operator runs it: a child process over a fresh embedded database
 * (TEST_DB=pglite, a temporary DATA_DIR) or a fresh PostgreSQL database (TEST_DB=postgres).
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/client.server.ts";
import { planProvince } from "../../db/generate.server.ts";
import { eq } from "drizzle-orm";
import { signIn } from "../../app/services/sign-in.server.ts";
import { deriveKey, openSecrets, sealSecrets } from "../../app/services/connections/secrets.server.ts";
import { connections } from "../../db/schema/index.ts";
import { startFakeMicrosoft } from "../fakes/microsoft/server.ts";
import { startFakeZoom } from "../fakes/zoom/server.ts";
import { cliPlace, type CliPlace, type CliRun } from "../support/cli.ts";
import { testDbKind } from "../support/db.ts";
import { spawnServer } from "../support/process.ts";

const kind = testDbKind();
let place: CliPlace;

type Run = CliRun;

function childEnv(extra: Record<string, string> = {}) {
  return place.env(extra);
}

function cli(...args: string[]): Promise<Run> {
  return cliWith({}, ...args);
}

function cliWith(extraEnv: Record<string, string>, ...args: string[]): Promise<Run> {
  return place.run(args, extraEnv);
}

/** Look into the database between CLI runs (PGlite: only while no CLI holds it). */
async function withDb<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const database = await place.open();
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  place = await cliPlace("cli", { LOG_LEVEL: "info" });
});

afterAll(async () => {
  await place?.remove();
});

describe(`npm run cli (${kind})`, () => {
  it("lists its commands with --help and refuses an unknown one", async () => {
    const [help, word, unknown] = await Promise.all([cli("--help"), cli("help"), cli("frobnicate")]);
    expect(help.code).toBe(0);
    for (const command of ["migrate", "seed", "create-admin", "schools", "generate", "--students", "--org"]) expect(help.stdout).toContain(command);
    expect(word.stdout).toBe(help.stdout);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
    expect(unknown.stdout).toBe("");
  });

  it("migrates, seeds once, and lists the schools as code and name", async () => {
    const migrate = await cli("migrate");
    expect(migrate.stderr).toBe("");
    expect(migrate.code).toBe(0);
    const seed = await cli("seed");
    expect(seed.code).toBe(0);
    expect(seed.stdout).toContain("Demo data seeded");
    const again = await cli("seed");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already");
    const schools = await cli("schools");
    expect(schools.code).toBe(0);
    // Nothing but the list on stdout, even with LOG_LEVEL=info: it is meant for scripts.
    expect(schools.stdout).toBe("79001  Trường THCS Nguyễn Du\n79002  Trường Tiểu học Kim Đồng\n");
  });

  it("creates an admin who can sign in, and names a bad flag", async () => {
    const bad = await cli("create-admin", "--name", "Vũ Thị Hạnh", "--email", "hanh-at-truong", "--password", "mat-khau-123", "--role", "school_admin", "--org", "79001");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--email");
    const wrongOrg = await cli("create-admin", "--name", "Vũ Thị Hạnh", "--email", "hanh@truong.edu.vn", "--password", "mat-khau-123", "--role", "school_admin", "--org", "99999");
    expect(wrongOrg.code).not.toBe(0);
    expect(wrongOrg.stderr).toContain("--org");
    await withDb(async (d) => expect(await d.query("select 1 from users where email = 'hanh@truong.edu.vn'")).toHaveLength(0));

    const ok = await cli("create-admin", "--name", "Vũ  Thị Hạnh", "--email", "Hanh@Truong.edu.vn", "--password", "mat-khau-123", "--role", "school_admin", "--org", "79001");
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    await withDb(async (d) => {
      const [row] = await d.query<{ full_name: string; role: string; code: string }>(
        `select u.full_name, m.role, o.code from users u join memberships m on m.user_id = u.id join organizations o on o.id = m.org_id
         where u.email = 'hanh@truong.edu.vn'`,
      );
      expect(row).toEqual({ full_name: "Vũ Thị Hạnh", role: "school_admin", code: "79001" });
      expect(await signIn(d.db, "hanh@truong.edu.vn", "mat-khau-123", { address: "cli-test" })).toMatchObject({ ok: true });
      expect(await signIn(d.db, "hanh@truong.edu.vn", "wrong-password", { address: "cli-test" })).toMatchObject({ ok: false });
    });
  });

  it("re-encrypts connection secrets under a new SECRET_KEY, and names a missing old key", async () => {
    const oldKey = "cli-old-secret-key-0123456789abcdefghijkl";
    const newKey = "cli-new-secret-key-0123456789abcdefghijkl";
    const id = crypto.randomUUID();
    await withDb(async (d) => {
      const [school] = await d.query<{ id: string }>("select id from organizations where code = '79001'");
      const sealed = sealSecrets(deriveKey(oldKey), id, "zoom", { clientSecret: "s2s-client-secret-value" });
      await d.db.insert(connections).values({ id, schoolId: school.id, provider: "zoom", kind: "server_to_server", ...sealed });
    });
    const missing = await cliWith({ SECRET_KEY: newKey }, "rotate-secret-key");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--old-key");
    const run = await cliWith({ SECRET_KEY: newKey }, "rotate-secret-key", "--old-key", oldKey);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Re-encrypted 1 connection(s) under key ${deriveKey(newKey).id}`);
    expect(run.stdout + run.stderr).not.toContain("s2s-client-secret-value");
    await withDb(async (d) => {
      const [row] = await d.db.select().from(connections).where(eq(connections.id, id));
      expect(openSecrets(deriveKey(newKey), id, "zoom", row.secrets, row.secretsKeyId)).toEqual({ clientSecret: "s2s-client-secret-value" });
      await d.db.delete(connections).where(eq(connections.id, id));
    });
  });

  it("saves a school's Google client, idempotently, and says what the domain's admin must do next", async () => {
    const args = ["connect", "google", "--school", "79001", "--client-id", "lopso-79001.apps.googleusercontent.com", "--domain", "NguyenDu.edu.vn"];
    const first = await cli(...args, "--client-secret", "GOCSPX-cli-secret-1");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Connected Google Workspace for school 79001");
    expect(first.stdout).toContain("Cấp quyền với Google");
    expect(first.stdout).toMatch(/Redirect URI to register in the OAuth client: http:\/\/\S+\/oauth\/callback/);
    const id = /: ([0-9a-f-]{36})\n/.exec(first.stdout)![1];
    const again = await cli(...args, "--client-secret", "GOCSPX-cli-secret-1");
    expect(again.stdout).toContain(`Updated Google Workspace for school 79001: ${id}`);
    const badDomain = await cli("connect", "google", "--school", "79001", "--client-id", "x", "--client-secret", "y", "--domain", "not a domain");
    expect(badDomain.code).toBe(2);
    expect(badDomain.stderr).toContain("--domain");
    for (const run of [first, again, badDomain]) expect(run.stdout + run.stderr).not.toContain("GOCSPX-cli-secret");
    await withDb(async (d) => {
      const rows = await d.db.select().from(connections).where(eq(connections.provider, "google"));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id, status: "pending", kind: "oauth_user", externalAccount: "nguyendu.edu.vn" });
      const audit = await d.query<{ action: string }>(`select action from connection_audit where connection_id = '${id}' order by id`);
      // Running it again with the same client changes nothing.
      expect(audit.map((a) => a.action)).toEqual(["connect"]);
    });
  });

  it("connects a school's Microsoft 365 app, updates it in place, and says when the secret is wrong", async () => {
    const tenant = { tenantId: "3f1c9a7e-0000-4000-8000-00000000b002", clientId: "app-79001", clientSecret: "ms-client-secret-value-1", displayName: "Trường THCS Nguyễn Du", domain: "nguyendu.edu.vn" };
    const fake = await startFakeMicrosoft([tenant]);
    const fakeEnv = { MICROSOFT_LOGIN_URL: fake.url, MICROSOFT_GRAPH_URL: `${fake.url}/v1.0` };
    try {
      const args = ["connect", "microsoft", "--school", "79001", "--tenant-id", tenant.tenantId, "--client-id", tenant.clientId];
      const first = await cliWith(fakeEnv, ...args, "--client-secret", tenant.clientSecret);
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      expect(first.stdout).toContain("State: connected — Trường THCS Nguyễn Du (nguyendu.edu.vn)");
      const id = /: ([0-9a-f-]{36})\n/.exec(first.stdout)![1];

      tenant.clientSecret = "ms-client-secret-value-2";
      const stale = await cliWith(fakeEnv, ...args, "--client-secret", "ms-client-secret-value-1");
      expect(stale.code).toBe(1);
      expect(stale.stdout).toContain(`Updated Microsoft 365 for school 79001: ${id}`);
      expect(stale.stdout).toContain("State: needs_reconnect — AADSTS7000215");
      const fixed = await cliWith(fakeEnv, ...args, "--client-secret", "ms-client-secret-value-2");
      expect(fixed.code).toBe(0);
      expect(fixed.stdout).toContain(`: ${id}`);

      const unknown = await cliWith(fakeEnv, "connect", "microsoft", "--school", "00000", "--tenant-id", tenant.tenantId, "--client-id", tenant.clientId, "--client-secret", "x");
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('--school: Unknown school code "00000"');
      const badFlag = await cliWith(fakeEnv, "connect", "microsoft", "--school", "79001", "--tenant-id", "bad tenant!", "--client-id", tenant.clientId, "--client-secret", "x");
      expect(badFlag.code).toBe(2);
      expect(badFlag.stderr).toContain("--tenant-id");

      const list = await cliWith(fakeEnv, "connections", "--school", "79001");
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(new RegExp(`^${id}  79001  microsoft  school  connected  Trường THCS Nguyễn Du  last ok 20`, "m"));
      expect((await cliWith(fakeEnv, "connections", "--school", "00000")).code).toBe(2);
      const test = await cliWith(fakeEnv, "connections", "test", id);
      expect(test.stdout).toBe(`microsoft ${id}: connected — Trường THCS Nguyễn Du (nguyendu.edu.vn)\n`);
      tenant.clientSecret = "ms-client-secret-value-3";
      fake.revokeTokens();
      const refused = await cliWith(fakeEnv, "connections", "test", "--id", id);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`microsoft ${id}: needs_reconnect — AADSTS7000215`);
      expect((await cliWith(fakeEnv, "connections", "test", "not-an-id")).code).toBe(2);
      expect((await cliWith(fakeEnv, "connections", "test", crypto.randomUUID())).stderr).toContain("No connection");

      for (const run of [first, stale, fixed, unknown, badFlag, list, test, refused]) expect(run.stdout + run.stderr).not.toMatch(/ms-client-secret-value/);
      await withDb(async (d) => {
        const rows = await d.db.select().from(connections).where(eq(connections.provider, "microsoft"));
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ id, status: "needs_reconnect", statusReason: "invalid_client", accountName: "Trường THCS Nguyễn Du", externalAccount: tenant.tenantId, clientId: tenant.clientId });
        expect(rows[0].secrets).not.toContain("ms-client-secret");
        const audit = await d.query<{ action: string; outcome: string; address: string }>(`select action, outcome, address from connection_audit where connection_id = '${id}' order by id`);
        expect(audit.map((a) => `${a.action}:${a.outcome}`)).toEqual(["connect:ok", "test:ok", "update:ok", "needs_reconnect:invalid_client", "update:ok", "test:ok", "test:ok", "needs_reconnect:invalid_client"]);
        expect(new Set(audit.map((a) => a.address))).toEqual(new Set(["cli"]));
        const [calls] = await d.query<{ calls: number }>(`select calls from provider_calls where connection_id = '${id}'`);
        // Graph calls: one per test, and the 401 that led to the last refusal.
        expect(Number(calls.calls)).toBe(4);
      });
    } finally {
      await fake.close();
    }
  }, 180_000);

  it("connects a school's Zoom, prints its own webhook URL, and retries Zoom's throttling and 5xx", async () => {
    const account = { accountId: "acc_79001", clientId: "zoomClient79001", clientSecret: "zoom-secret-value-1", user: { id: "z8yCxjabcd", email: "hieutruong@nguyendu.edu.vn", first_name: "Vũ Thị", last_name: "Hạnh" } };
    const fake = await startFakeZoom([account]);
    const secretKey = "cli-zoom-secret-key-0123456789abcdefghijkl";
    const fakeEnv = { ZOOM_OAUTH_URL: fake.url, ZOOM_API_URL: `${fake.url}/v2`, APP_URL: "https://lopso.example.vn", SECRET_KEY: secretKey };
    try {
      const args = ["connect", "zoom", "--school", "79001", "--account-id", account.accountId, "--client-id", account.clientId, "--webhook-secret", "UB_rdTwhTruoYCMr6x6-MQ"];
      const first = await cliWith(fakeEnv, ...args, "--client-secret", account.clientSecret);
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      const id = /Connected Zoom for school 79001: ([0-9a-f-]{36})\n/.exec(first.stdout)![1];
      expect(first.stdout).toContain("State: connected — Vũ Thị Hạnh (hieutruong@nguyendu.edu.vn)");
      expect(first.stdout).toContain(`Webhook URL (the app's Event Subscriptions): https://lopso.example.vn/webhooks/zoom/${id}`);
      expect(fake.calls.token).toBe(1);

      // The token is kept: a second test asks Zoom for none; a per-second 429 and a 502 are retried.
      fake.throttleNext(1, "QPS", "1");
      fake.failNext(1);
      const test = await cliWith(fakeEnv, "connections", "test", id);
      expect(test.stderr).toBe("");
      expect(test.stdout).toBe(`zoom ${id}: connected — Vũ Thị Hạnh (hieutruong@nguyendu.edu.vn)\n`);
      expect(fake.calls.token).toBe(1);
      expect(fake.calls.me).toBe(4);

      // Zoom's daily limit: a wait until the date Zoom gives is not slept through.
      fake.throttleNext(1, "Daily-limit", "2099-01-01T00:00:00Z");
      const daily = await cliWith(fakeEnv, "connections", "test", id);
      expect(daily.code).toBe(1);
      expect(daily.stderr).toContain("daily rate limit");

      const wrong = await cliWith(fakeEnv, ...args, "--client-secret", "zoom-secret-wrong");
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toContain(`Updated Zoom for school 79001: ${id}`);
      expect(wrong.stdout).toContain("State: needs_reconnect — Invalid client_id or client_secret");
      for (const run of [first, test, daily, wrong]) expect(run.stdout + run.stderr).not.toMatch(/zoom-secret-value|zoom-secret-wrong|UB_rdTwhTruoYCMr6x6-MQ/);
      await withDb(async (d) => {
        const [row] = await d.db.select().from(connections).where(eq(connections.id, id));
        expect(row).toMatchObject({ status: "needs_reconnect", statusReason: "invalid_client", externalAccount: account.accountId });
        expect(openSecrets(deriveKey(secretKey), id, "zoom", row.secrets, row.secretsKeyId)).toMatchObject({ clientSecret: "zoom-secret-wrong", webhookSecret: "UB_rdTwhTruoYCMr6x6-MQ" });
        // Sealed for this row only: the same ciphertext on another row does not open.
        expect(() => openSecrets(deriveKey(secretKey), crypto.randomUUID(), "zoom", row.secrets, row.secretsKeyId)).toThrow(/do not open/);
      });
    } finally {
      await fake.close();
    }
  });

  it("generates a province of 2,000 students, once", async () => {
    const run = await cli("generate", "--students", "2000");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Generated 2,000 students in [\d.]+ s/);
    const plan = planProvince(2000);
    await withDb(async (d) => {
      const q = async (text: string) => Number((await d.query<{ n: number }>(text))[0].n);
      const generated = `(select o.id from organizations o join organizations p on p.id = o.parent_id where p.code = 'GEN-SO')`;
      const students = `(select user_id from memberships where role = 'student' and org_id in ${generated})`;
      expect(await q(`select count(*)::int as n from memberships where role = 'student' and org_id in ${generated}`)).toBe(2000);
      const toan = await q(`select count(*)::int as n from classes where subject = 'toan' and school_id in ${generated}`);
      expect(toan).toBe(plan.homerooms.length);
      expect(toan).toBeGreaterThanOrEqual(Math.ceil(2000 / 45));
      // Class groups: each with its homeroom teacher (a teacher of its school, of no other group),
      // its subject classes and its students, within the size the level allows.
      const groups = `(select id from class_groups where school_id in ${generated})`;
      expect(await q(`select count(*)::int as n from ${groups} g`)).toBe(plan.homerooms.length);
      expect(await q(`select count(*)::int as n from class_groups where id in ${groups} and homeroom_teacher_id is null`)).toBe(0);
      expect(await q(`select count(distinct homeroom_teacher_id)::int as n from class_groups where id in ${groups}`)).toBe(plan.homerooms.length);
      expect(
        await q(`select count(*)::int as n from class_groups g where g.id in ${groups} and not exists (
          select 1 from memberships m where m.user_id = g.homeroom_teacher_id and m.org_id = g.school_id and m.role = 'teacher')`),
      ).toBe(0);
      expect(await q(`select count(*)::int as n from class_group_members where group_id in ${groups}`)).toBe(2000);
      expect(await q(`select count(*)::int as n from classes where school_id in ${generated} and group_id is null`)).toBe(0);
      expect(
        await q(`select count(*)::int as n from classes c join class_groups g on g.id = c.group_id where c.school_id in ${generated} and (g.name <> c.name or g.school_id <> c.school_id)`),
      ).toBe(0);
      expect(await q(`select max(n)::int as n from (select count(*) as n from class_group_members where group_id in ${groups} group by group_id) x`)).toBe(45);
      // Tagged assessments: a mid-term test in every secondary class, graded without anything
      // handed in online; the rest regular work; all in the term of their due date.
      const secondary = `(select c.id from classes c where c.school_id in ${generated} and c.grade >= 6)`;
      expect(await q(`select count(*)::int as n from assignments where assessment = 'midterm' and class_id in ${secondary}`)).toBe(
        await q(`select count(*)::int as n from ${secondary} x`),
      );
      expect(await q(`select count(*)::int as n from assignments a join classes c on c.id = a.class_id where a.assessment <> 'regular' and c.grade < 6`)).toBe(0);
      expect(
        await q(`select count(*)::int as n from submissions s join assignments a on a.id = s.assignment_id
                 where a.assessment = 'midterm' and (s.status <> 'graded' or s.score is null or s.submitted_at is not null)`),
      ).toBe(0);
      expect(await q(`select count(*)::int as n from assignments where term not in (1, 2)`)).toBe(0);
      expect(await q(`select count(*)::int as n from classes where school_id in ${generated}`)).toBe(plan.classes.length);
      expect(await q(`select count(*)::int as n from ${students} s where not exists (select 1 from parent_links pl where pl.student_id = s.user_id)`)).toBe(0);
      expect(await q(`select count(*)::int as n from class_members where role = 'student' and user_id in ${students}`)).toBe(2000 * 4);
      expect(await q(`select count(*)::int as n from submissions where status = 'graded' and student_id in ${students}`)).toBeGreaterThan(2000);
      expect(await q(`select count(*)::int as n from submissions where score < 0 or score > 10`)).toBe(0);
      expect(await q(`select count(*)::int as n from users where email like '%@gen.lopso.vn' and full_name <> normalize(full_name, NFC)`)).toBe(0);
      // A generated student signs in with the shared password.
      expect(await signIn(d.db, "hs1@gen.lopso.vn", "lopso2025", { address: "cli-test" })).toMatchObject({ ok: true });
    });
    const again = await cli("generate", "--students", "2000");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
  });

  it.runIf(kind === "pglite")("stops with a clear message while the hub holds the embedded database", async () => {
    const hub = spawnServer(childEnv({ PORT: "0", HOST: "127.0.0.1", WORKERS: "0", NODE_ENV: "production" }));
    try {
      await hub.waitUntil(() => hub.output().includes('"msg":"listening"'), 45_000);
      const busy = await cli("seed");
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(`in use by process ${hub.child.pid}`);
      expect(busy.stderr).toContain("stop that process first");
      expect(busy.stdout).toBe("");
    } finally {
      await hub.stop();
    }
    // The hub stopped; the data is all there.
    const schools = await cli("schools");
    expect(schools.code).toBe(0);
    expect(schools.stdout.split("\n").filter(Boolean)).toHaveLength(2 + planProvince(2000).schools.length);
    expect(schools.stdout).toContain("79001  Trường THCS Nguyễn Du\n");
  }, 60_000);
});
