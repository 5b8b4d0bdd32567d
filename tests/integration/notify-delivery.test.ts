/**
 * Delivery of outside messages over real SMTP (smtp-server, read back with mailparser): nothing
 * lost and nothing doubled when a worker dies mid-batch or between the server's 250 and the
 * record; a deferral retried after its backoff; a bad address switched off; two workers at once
 * never sending the same row; a channel that is not configured leaving its messages queued.
 * The crash tests run the worker in a child process (tests/support/delivery-worker.ts); on the
 * embedded database it opens the same data directory after this process closes it.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, openDatabase, type Database } from "../../db/client.server.ts";
import { contactChannels, outboundMessages, users } from "../../db/schema/index.ts";
import { createEmailChannel, emailConfigFromEnv } from "../../integrations/channels/email/index.server.ts";
import { deliverBatch, drainChannel } from "../../app/services/notify/delivery.server.ts";
import { freshDatabase, testDbKind, type TestDatabase } from "../support/db.ts";
import { listenSmtp, type TestSmtp } from "../support/smtp.ts";

const kind = testDbKind();
const SECRET_KEY = "delivery-test-secret-key-0123456789abcdef";
let smtp: TestSmtp;
let database: Database;
let pg: TestDatabase | undefined;
let pgliteDir = "";
let userSeq = 0;

/** Recipients the SMTP server treats specially: unknown (550) and deferred once (451). */
const unknown = new Set<string>();
const deferred = new Map<string, number>();
const defer = (address: string, times = 1) => deferred.set(address, (deferred.get(address) ?? 0) + times);

async function open() {
  if (kind === "postgres") return;
  database = await openDatabase({ dataDir: pgliteDir });
}

beforeAll(async () => {
  smtp = await listenSmtp({
    rcpt(address) {
      if (unknown.has(address)) return { code: 550, message: "5.1.1 User unknown" };
      const left = deferred.get(address) ?? 0;
      if (left > 0) {
        deferred.set(address, left - 1);
        return { code: 451, message: "4.7.1 Greylisted, try again" };
      }
      return undefined;
    },
  });
  if (kind === "postgres") {
    pg = await freshDatabase("postgres");
    database = pg;
  } else {
    pgliteDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lopso-delivery-")), "pglite");
    await open();
    await migrate(database);
  }
});

afterAll(async () => {
  if (pg) await pg.drop();
  else await database?.close();
  await smtp?.close();
  if (pgliteDir) fs.rmSync(path.dirname(pgliteDir), { recursive: true, force: true });
});

async function parent(email: string): Promise<string> {
  userSeq++;
  const [u] = await database.db
    .insert(users)
    .values({ fullName: `Phụ Huynh ${userSeq}`, sortKey: `huynh ${userSeq}`, email })
    .returning({ id: users.id });
  return u.id;
}

/** Queue `n` email messages (one person each unless `userId`), keys `<prefix>:<i>`. */
async function queue(prefix: string, n: number, opts: { userId?: string; address?: (i: number) => string; notBefore?: Date } = {}) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const address = opts.address?.(i) ?? `${prefix}-${i}@phuhuynh.vn`;
    const userId = opts.userId ?? (await parent(address));
    rows.push({
      key: `${prefix}:${i}:${userId}:email`,
      userId,
      channel: "email" as const,
      address,
      kind: "daily" as const,
      content: { subject: `Tin ngày ${i}`, text: `Nội dung ${i}`, html: `<p>Nội dung ${i}</p>` },
      ...(opts.notBefore ? { notBefore: opts.notBefore } : {}),
    });
  }
  await database.db.insert(outboundMessages).values(rows);
  return rows.map((r) => r.key);
}

async function rowsOf(prefix: string) {
  return database.db
    .select()
    .from(outboundMessages)
    .where(sql`${outboundMessages.key} like ${prefix + ":%"}`)
    .orderBy(outboundMessages.id);
}

function arrived(prefix: string) {
  return smtp.received.filter((r) => r.mail.messageId?.startsWith(`<${prefix}.`));
}

function emailChannel() {
  return createEmailChannel(emailConfigFromEnv(process.env)!);
}

type Child = { exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>; kill: () => void };

/** Run the delivery worker in its own process (the embedded database is handed over to it). */
async function runWorker(env: Record<string, string>): Promise<Child> {
  if (kind === "pglite") await database.close();
  let output = "";
  const child = spawn(process.execPath, ["--import", "tsx", "tests/support/delivery-worker.ts"], {
    env: {
      ...process.env,
      NODE_ENV: "test",
      SECRET_KEY,
      ...(kind === "postgres" ? { DATABASE_URL: database === pg ? pgUrl() : "" } : { DELIVERY_PGLITE_DIR: pgliteDir, DATABASE_URL: "" }),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, output })),
  );
  return {
    exited: exited.then(async (r) => {
      await open();
      return r;
    }),
    kill: () => child.kill("SIGKILL"),
  };
}

function pgUrl(): string {
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${pg!.name}`;
  return url.toString();
}

async function until(check: () => boolean, ms = 60_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe(`delivery over SMTP (${kind})`, () => {
  it("a worker killed mid-batch: after a restart every message arrives, a repeat only with the same Message-ID", async () => {
    const keys = await queue("kill", 40);
    const first = await runWorker({ DELIVERY_CONCURRENCY: "4", DELIVERY_BATCH: "40" });
    await until(() => arrived("kill").length >= 10);
    first.kill();
    const r1 = await first.exited;
    expect(r1.signal).toBe("SIGKILL");
    const before = arrived("kill").length;
    expect(before).toBeLessThan(40);
    // The killed worker's rows are `sending` with a lease: expire it, as time would.
    await database.query(`update outbound_messages set not_before = now() - interval '1 second' where key like 'kill:%' and status = 'sending'`);
    const second = await runWorker({ DELIVERY_CONCURRENCY: "4" });
    const r2 = await second.exited;
    expect(r2.code, r2.output).toBe(0);
    const rows = await rowsOf("kill");
    expect(rows.map((r) => r.status)).toEqual(keys.map(() => "sent"));
    const ids = arrived("kill").map((r) => r.mail.messageId!);
    const distinct = new Set(ids);
    expect(distinct.size).toBe(40);
    for (const key of keys) expect(distinct.has(`<${key.replace(/:/g, ".")}@lopso.test>`)).toBe(true);
    // Each repeat is a message the killed worker had sent but not yet recorded.
    expect(ids.length - distinct.size).toBeLessThanOrEqual(4);
  });

  it("a crash between the 250 and its record: resent once with the same Message-ID, nothing else resent", async () => {
    const keys = await queue("crash", 5);
    const first = await runWorker({ DELIVERY_CONCURRENCY: "1", NOTIFY_TEST_CRASH_AFTER_SEND: "3" });
    const r1 = await first.exited;
    expect(r1.code, r1.output).toBe(86);
    expect(arrived("crash").map((r) => r.mail.messageId)).toEqual(keys.slice(0, 3).map((k) => `<${k.replace(/:/g, ".")}@lopso.test>`));
    const after = await rowsOf("crash");
    // The third was accepted but not recorded; the rest of the claimed batch waits for its lease.
    expect(after.map((r) => r.status)).toEqual(["sent", "sent", "sending", "sending", "sending"]);
    await database.query(`update outbound_messages set not_before = now() - interval '1 second' where key like 'crash:%' and status = 'sending'`);
    const second = await runWorker({ DELIVERY_CONCURRENCY: "1" });
    expect((await second.exited).code).toBe(0);
    const ids = arrived("crash").map((r) => r.mail.messageId);
    // The third went twice, under the same Message-ID; the first two not again.
    expect(ids).toEqual([0, 1, 2, 2, 3, 4].map((i) => `<${keys[i].replace(/:/g, ".")}@lopso.test>`));
    const rows = await rowsOf("crash");
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([
      ["sent", 1],
      ["sent", 1],
      ["sent", 2],
      ["sent", 2],
      ["sent", 2],
    ]);
  });

  it("a 4xx, then success: delivered once, 2 attempts, not before its backoff", async () => {
    const address = "greylisted@phuhuynh.vn";
    defer(address);
    const [key] = await queue("grey", 1, { address: () => address });
    const channel = emailChannel();
    const t0 = new Date(Date.now() + 1000);
    const opts = { channel, now: () => t0, random: () => 0.5, backoff: { baseMs: 60_000, capMs: 600_000 }, baseUrl: "https://lopso.test", secretKey: SECRET_KEY };
    expect(await deliverBatch(database, "email", opts)).toMatchObject({ claimed: 1, retried: 1 });
    let [row] = await rowsOf("grey");
    expect(row).toMatchObject({ status: "queued", attempts: 1, lastError: "transient" });
    expect(row.notBefore.getTime()).toBe(t0.getTime() + 30_000);
    // Not yet due a moment before its time…
    expect(await deliverBatch(database, "email", { ...opts, now: () => new Date(t0.getTime() + 29_999) })).toMatchObject({ claimed: 0 });
    // …sent at it.
    expect(await deliverBatch(database, "email", { ...opts, now: () => new Date(t0.getTime() + 30_000) })).toMatchObject({ claimed: 1, sent: 1 });
    await channel.close?.();
    [row] = await rowsOf("grey");
    expect(row).toMatchObject({ status: "sent", attempts: 2 });
    expect(row.sentAt?.getTime()).toBe(t0.getTime() + 30_000);
    expect(arrived("grey").map((r) => r.mail.messageId)).toEqual([`<${key.replace(/:/g, ".")}@lopso.test>`]);
  });

  it("a retry that never succeeds fails as transient after the last attempt", async () => {
    const address = "always-later@phuhuynh.vn";
    await queue("later", 1, { address: () => address });
    const channel = emailChannel();
    defer(address, 3);
    let t = Date.now() + 1000;
    for (let i = 0; i < 3; i++) {
      await deliverBatch(database, "email", { channel, now: () => new Date(t), maxAttempts: 3, random: () => 0 });
      t += 1;
    }
    await channel.close?.();
    const [row] = await rowsOf("later");
    expect(row).toMatchObject({ status: "failed", failureReason: "transient", attempts: 3 });
    expect(arrived("later")).toHaveLength(0);
  });

  it("a row claimed past its last attempt (each worker died on it) fails as transient without another send", async () => {
    await queue("stuck", 1);
    await database.query(`update outbound_messages set status = 'sending', attempts = 3, not_before = now() - interval '1 second' where key like 'stuck:%'`);
    const channel = emailChannel();
    expect(await deliverBatch(database, "email", { channel, now: () => new Date(Date.now() + 1000), maxAttempts: 3 })).toMatchObject({ claimed: 1, failed: 1 });
    await channel.close?.();
    expect((await rowsOf("stuck"))[0]).toMatchObject({ status: "failed", failureReason: "transient", attempts: 4 });
    expect(arrived("stuck")).toHaveLength(0);
  });

  it("550: failed invalid_address, email switched off with its reason, later messages not sent", async () => {
    const address = "no-such-user@phuhuynh.vn";
    unknown.add(address);
    const userId = await parent(address);
    const [first] = await queue("bad", 1, { userId, address: () => address });
    const channel = emailChannel();
    const now = new Date(Date.now() + 1000);
    expect(await deliverBatch(database, "email", { channel, now: () => now })).toMatchObject({ failed: 1 });
    const [row] = await rowsOf("bad");
    expect(row).toMatchObject({ key: first, status: "failed", failureReason: "invalid_address", attempts: 1 });
    expect(row.lastError).toContain("User unknown");
    const [cc] = await database.db.select().from(contactChannels).where(eq(contactChannels.userId, userId));
    expect(cc).toMatchObject({ channel: "email", enabled: false, disabledReason: "invalid_address" });
    expect(cc.disabledAt?.getTime()).toBe(now.getTime());
    // A message queued later for the same person is cancelled, never sent; no further attempt on the first.
    await queue("bad2", 1, { userId, address: () => address });
    unknown.delete(address);
    expect(await deliverBatch(database, "email", { channel, now: () => new Date(now.getTime() + 3600_000) })).toMatchObject({ cancelled: 1 });
    await channel.close?.();
    const [later] = await rowsOf("bad2");
    expect(later).toMatchObject({ status: "cancelled", failureReason: "invalid_address" });
    expect((await rowsOf("bad"))[0].attempts).toBe(1);
    expect(arrived("bad2")).toHaveLength(0);
  });

  it("two workers at once never send the same row", async () => {
    await queue("pair", 60);
    const [a, b] = [emailChannel(), emailChannel()];
    const [ra, rb] = await Promise.all([
      drainChannel(database, "email", { channel: a, batchSize: 7, concurrency: 3 }),
      drainChannel(database, "email", { channel: b, batchSize: 7, concurrency: 3 }),
    ]);
    await Promise.all([a.close?.(), b.close?.()]);
    expect(ra.sent + rb.sent).toBe(60);
    if (kind === "postgres") expect(ra.sent > 0 && rb.sent > 0).toBe(true);
    const ids = arrived("pair").map((r) => r.mail.messageId);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    expect((await rowsOf("pair")).every((r) => r.status === "sent" && r.attempts === 1)).toBe(true);
  });

  it("a channel that is not configured leaves its messages queued", async () => {
    expect(await deliverBatch(database, "zalo", { channel: null })).toMatchObject({ configured: false, claimed: 0 });
    const userId = await parent("zalo-parent@phuhuynh.vn");
    await database.db.insert(outboundMessages).values({ key: `zl:1:${userId}:zalo`, userId, channel: "zalo", address: "+84912345678", kind: "immediate", content: { subject: "s", text: "t" } });
    expect(await drainChannel(database, "zalo", { channel: null })).toMatchObject({ configured: false });
    const [row] = await rowsOf("zl");
    expect(row).toMatchObject({ status: "queued", attempts: 0 });
  });

  it("the shared rate limit spaces sends across workers", async () => {
    await queue("rate", 12);
    const [a, b] = [emailChannel(), emailChannel()];
    const started = Date.now();
    await Promise.all([
      drainChannel(database, "email", { channel: a, batchSize: 3, concurrency: 2, ratePerSecond: 20 }),
      drainChannel(database, "email", { channel: b, batchSize: 3, concurrency: 2, ratePerSecond: 20 }),
    ]);
    await Promise.all([a.close?.(), b.close?.()]);
    // 12 sends at 20/s between both workers take at least ~0.5 s (the first few start at once).
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(arrived("rate")).toHaveLength(12);
  });
});
