/**
 * `npm run cli -- notify status`: the outside-message queue by channel and state, failures by
 * reason, and the channels this configuration cannot send on — read from a real database that
 * holds messages in every state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../db/client.server.ts";
import { outboundMessages, users } from "../../db/schema/index.ts";
import { cliPlace, type CliPlace } from "../support/cli.ts";
import { testDbKind } from "../support/db.ts";

const kind = testDbKind();
let place: CliPlace;

const cli = (env: Record<string, string>, ...args: string[]) => place.run(args, env);

beforeAll(async () => {
  place = await cliPlace("notify-status", { SMTP_URL: "", MAIL_FROM: "" });
  const database = await place.open();
  try {
    await migrate(database);
    const [u] = await database.db.insert(users).values({ fullName: "Trần Thị Mai", sortKey: "mai", email: "mai@phuhuynh.vn" }).returning({ id: users.id });
    const row = (key: string, extra: Partial<typeof outboundMessages.$inferInsert> = {}) => ({
      key,
      userId: u.id,
      channel: "email" as const,
      address: "mai@phuhuynh.vn",
      kind: "immediate" as const,
      content: { subject: "s", text: "t" },
      ...extra,
    });
    const hour = 3600_000;
    await database.db.insert(outboundMessages).values([
      row("a"),
      row("b"),
      row("c", { notBefore: new Date(Date.now() + hour) }),
      row("d", { status: "sending", attempts: 1 }),
      row("e", { status: "sent", attempts: 1 }),
      row("f", { status: "failed", failureReason: "invalid_address" }),
      row("g", { status: "failed", failureReason: "transient" }),
      row("h", { status: "failed", failureReason: "invalid_address" }),
      row("i", { channel: "zalo", address: "+84912345678" }),
    ]);
  } finally {
    await database.close();
  }
});

afterAll(async () => {
  await place?.remove();
});

describe(`npm run cli -- notify status (${kind})`, () => {
  it("counts each channel's messages by state and failure reason, and names what is not configured", async () => {
    const run = await cli({ SMTP_URL: "smtp://127.0.0.1:2525", MAIL_FROM: "no-reply@lopso.test" }, "notify", "status");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const email = run.stdout.split(/\n(?=\S)/).find((b) => b.startsWith("email"))!;
    expect(email).toMatch(/^email\n/);
    expect(email).toMatch(/queued, due now +2\n/);
    expect(email).toMatch(/queued, later +1\n/);
    expect(email).toMatch(/sending +1\n/);
    expect(email).toMatch(/sent +1\n/);
    expect(email).toMatch(/failed +3 \(invalid_address 2, transient 1\)/);
    expect(run.stdout).toMatch(/^zalo — not configured: its messages stay queued\n  queued, due now +1$/m);
    // Web Push needs no outside account: the hub generates its VAPID keys into DATA_DIR.
    expect(run.stdout).toContain("Not configured: zalo, sms.");
  });

  it("without SMTP_URL, email is not configured either", async () => {
    const run = await cli({}, "notify", "status");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^email — not configured/m);
    expect(run.stdout).toContain("Not configured: email, zalo, sms.");
  });
});
