/**
 * Operator commands: `npm run cli -- <command> [flags]`. Run `npm run cli -- help` for the list.
 *
 * Uses the same configuration as the server (environment and `.env`): DATABASE_URL for a
 * PostgreSQL server, otherwise the embedded database in DATA_DIR — which only one process may
 * open at a time, so with the hub running a command stops with the reason and exit code 1.
 * Exit codes: 0 done, 1 failed (database busy, data conflict, …), 2 bad command line.
 */
import { parseArgs } from "node:util";
import { eq, or } from "drizzle-orm";
import { z } from "zod";
import { migrate, migrationsApplied, type Database } from "../db/client.server.ts";
import { memberships, organizations, users } from "../db/schema/index.ts";
import { ConfigError, env } from "./env.server.ts";
import { DatabaseBusyError, openConfiguredDatabase } from "./server/boot.ts";
import { setLogLevel } from "./server/log.ts";
import { nameSortKey, nfc, normalizePhone } from "./lib/vn.ts";

/** A mistake on the command line: printed with a pointer to the help, exit code 2. */
class UsageError extends Error {}
/** A refusal or failure the operator must act on: printed as is, exit code 1. */
class CommandError extends Error {}

type FlagSpec = { type: "string" | "boolean"; value?: string; description: string };
type Command = {
  summary: string;
  flags: Record<string, FlagSpec>;
  /** A flag that may also be given as the first bare argument (`connections test <id>`). */
  positional?: string;
  run: (flags: Record<string, string | boolean | undefined>) => Promise<void>;
};

const out = (line = "") => process.stdout.write(line + "\n");
const err = (line = "") => process.stderr.write(line + "\n");

/** "--email: must be …" for each problem zod found, naming the flag. */
function flagErrors(error: z.ZodError): string {
  return error.issues.map((i) => `  --${String(i.path[0] ?? "?")}: ${i.message}`).join("\n");
}

function parseFlags<T extends z.ZodType>(schema: T, flags: Record<string, unknown>): z.infer<T> {
  const parsed = schema.safeParse(flags);
  if (!parsed.success) throw new UsageError(`Invalid flags:\n${flagErrors(parsed.error)}`);
  return parsed.data;
}

/** Open the configured database, run `work`, and always close it (releasing PGlite's lock). */
async function withDatabase<T>(purpose: string, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openConfiguredDatabase(env(), `cli ${purpose}`, { max: 4 });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

async function requireMigrated(database: Database) {
  if (!(await migrationsApplied(database))) {
    throw new CommandError("The database has no schema yet (or pending migrations): run `npm run cli -- migrate` first.");
  }
}

// ---------------------------------------------------------------------------------------------

const required = (flag: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? `required (--${flag} …)` : undefined) });

const CreateAdminFlags = z
  .object({
    name: z
      .string(required("name"))
      .transform(nfc)
      .pipe(z.string().min(2, "must be a full name such as \"Nguyễn Văn An\"").max(120, "must be at most 120 characters")),
    email: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.email({ error: "must be an e-mail address such as hieutruong@truong.edu.vn" }).max(254, "is too long"))
      .optional(),
    phone: z
      .string()
      .transform((v, ctx) => {
        const e164 = normalizePhone(v);
        if (!e164) {
          ctx.addIssue({ code: "custom", message: "must be a Vietnamese mobile number such as 0912 345 678 or +84912345678" });
          return z.NEVER;
        }
        return e164;
      })
      .optional(),
    password: z
      .string(required("password"))
      .min(8, "must be at least 8 characters")
      .max(200, "must be at most 200 characters"),
    role: z.enum(["province_admin", "school_admin"], {
      error: (issue) => (issue.input === undefined ? "required (--role province_admin or --role school_admin)" : "must be province_admin or school_admin"),
    }),
    org: z.string(required("org")).trim().min(1, "must be an organization code (see `npm run cli -- schools`)"),
  })
  .refine((v) => v.email || v.phone, { path: ["email"], message: "give --email or --phone (or both) so the admin can sign in" });

const GenerateFlags = z.object({
  students: z
    .string(required("students"))
    .regex(/^\d[\d_,]*$/, "must be a whole number such as 100000 or 1_000_000")
    .transform((v) => Number(v.replace(/[_,]/g, "")))
    .pipe(z.number().int().min(1, "must be at least 1").max(5_000_000, "must be at most 5,000,000")),
  "seed-if-empty": z.boolean().optional(),
});

const NotifyDigestFlags = z.object({
  at: z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v), "must be an ISO date-time such as 2026-11-25T19:00:00+07:00")
    .transform((v) => new Date(v))
    .optional(),
});

const PROVIDER_NAMES = { google: "Google Workspace", microsoft: "Microsoft 365", zoom: "Zoom" } as const;

/** Save a school's connection with `save`, test it at once, and print its id, state (and Zoom's webhook URL). */
async function connectAndTest(
  provider: keyof typeof PROVIDER_NAMES,
  schoolCode: string,
  save: (db: Database["db"], actor: { actorId: null; address: string }) => Promise<{ id: string; created: boolean }>,
) {
  await withDatabase(`connect ${provider}`, async (database) => {
    await requireMigrated(database);
    const { UnknownSchoolError } = await import("./services/connections/store.server.ts");
    const { connectionById, testConnection } = await import("./services/connections/check.server.ts");
    const actor = { actorId: null, address: "cli" };
    let saved;
    try {
      saved = await save(database.db, actor);
    } catch (e) {
      if (e instanceof UnknownSchoolError) throw new UsageError(`--school: ${e.message}`);
      throw e;
    }
    const check = await testConnection(database.db, (await connectionById(database.db, saved.id))!, actor);
    out(`${saved.created ? "Connected" : "Updated"} ${PROVIDER_NAMES[provider]} for school ${schoolCode}: ${saved.id}`);
    out(check.ok ? `State: connected — ${check.accountName}${check.detail ? ` (${check.detail})` : ""}` : `State: ${check.status} — ${check.message}`);
    if (provider === "zoom") {
      const { zoomWebhookUrl } = await import("./services/connections/zoom.server.ts");
      out(`Webhook URL (the app's Event Subscriptions): ${zoomWebhookUrl(saved.id)}`);
    }
    if (provider === "google" && !check.ok && check.reason === "consent_missing") {
      // Google's grant needs a person: an admin of the domain consents once in the browser.
      const { oauthRedirectUri } = await import("./services/connections/oauth.server.ts");
      out(`Next: an admin of the domain opens Kết nối for this school and presses "Cấp quyền với Google".`);
      out(`Redirect URI to register in the OAuth client: ${oauthRedirectUri()}`);
      return;
    }
    if (!check.ok) throw new CommandError("The connection is saved but its test call failed; fix the app's settings and run the command again.");
  });
}

const COMMANDS: Record<string, Command> = {
  migrate: {
    summary: "Apply the database migrations in db/migrations (safe to repeat).",
    flags: {},
    async run() {
      await withDatabase("migrate", async (database) => {
        await migrate(database);
        out(`Migrations applied (${database.kind}).`);
      });
    },
  },

  seed: {
    summary: "Seed the demo province (two schools with teachers, students and parents); does nothing when it exists.",
    flags: {},
    async run() {
      await withDatabase("seed", async (database) => {
        await migrate(database);
        const { seedDemo } = await import("../db/seed.server.ts");
        const seeded = await seedDemo(database.db);
        if (seeded) out(`Demo data seeded: ${seeded.schools} schools, ${seeded.users} people. Password for every demo account: lopso2025.`);
        else out("Demo data is already there; nothing to do.");
      });
    },
  },

  "create-admin": {
    summary: "Create a province or school administrator who can sign in.",
    flags: {
      name: { type: "string", value: "\"Họ và tên\"", description: "full name, family name first" },
      email: { type: "string", value: "EMAIL", description: "sign-in e-mail (this and/or --phone)" },
      phone: { type: "string", value: "PHONE", description: "Vietnamese mobile number, e.g. 0912345678" },
      password: { type: "string", value: "PASSWORD", description: "at least 8 characters (or set ADMIN_PASSWORD)" },
      role: { type: "string", value: "ROLE", description: "province_admin (Sở GD&ĐT) or school_admin (a school)" },
      org: { type: "string", value: "CODE", description: "code of the province or school (mã trường), e.g. 79001" },
    },
    async run(raw) {
      const flags = parseFlags(CreateAdminFlags, { ...raw, password: raw.password ?? process.env.ADMIN_PASSWORD });
      await withDatabase("create-admin", async (database) => {
        await requireMigrated(database);
        const db = database.db;
        const [org] = await db
          .select({ id: organizations.id, kind: organizations.kind, name: organizations.name })
          .from(organizations)
          .where(eq(organizations.code, flags.org));
        if (!org) throw new UsageError(`Invalid flags:\n  --org: no province or school has the code "${flags.org}" (list schools with \`npm run cli -- schools\`)`);
        const wantKind = flags.role === "province_admin" ? "province" : "school";
        if (org.kind !== wantKind) {
          throw new UsageError(`Invalid flags:\n  --org: ${flags.org} is a ${org.kind} (${org.name}); a ${flags.role} belongs to a ${wantKind}`);
        }
        const conds = [];
        if (flags.email) conds.push(eq(users.email, flags.email));
        if (flags.phone) conds.push(eq(users.phone, flags.phone));
        const taken = await db.select({ email: users.email, phone: users.phone }).from(users).where(or(...conds));
        if (flags.email && taken.some((t) => t.email === flags.email)) throw new UsageError(`Invalid flags:\n  --email: ${flags.email} already belongs to an account`);
        if (flags.phone && taken.some((t) => t.phone === flags.phone)) throw new UsageError(`Invalid flags:\n  --phone: ${flags.phone} already belongs to an account`);
        const { hashPassword } = await import("./auth/password.server.ts");
        const passwordHash = await hashPassword(flags.password);
        await db.transaction(async (tx) => {
          const [u] = await tx
            .insert(users)
            .values({ fullName: flags.name, sortKey: nameSortKey(flags.name), email: flags.email ?? null, phone: flags.phone ?? null, passwordHash })
            .returning({ id: users.id });
          await tx.insert(memberships).values({ userId: u.id, orgId: org.id, role: flags.role });
        });
        out(`Created ${flags.role} ${flags.name} (${flags.email ?? flags.phone}) for ${org.name}. They can sign in now.`);
      });
    },
  },

  // IMS Common Cartridge into a class's lessons (drafts), as its teacher (the first one, or --teacher).
  "cartridge import": {
    summary: "Import an IMS Common Cartridge (.imscc from Moodle or Canvas) into a class as draft lessons.",
    positional: "file",
    flags: {
      file: { type: "string", value: "FILE.imscc", description: "the cartridge (also the first argument)" },
      class: { type: "string", value: "CLASS_ID", description: "id of the class (from its page's address /classes/<id>)" },
      teacher: { type: "string", value: "EMAIL", description: "the teacher the lessons are written by (default: the class's first teacher)" },
    },
    async run(flags) {
      const file = typeof flags.file === "string" ? flags.file : "";
      const classId = typeof flags.class === "string" ? flags.class : "";
      if (!file) throw new UsageError("Invalid flags:\n  --file: the .imscc to import is required");
      if (!/^[0-9a-f-]{36}$/i.test(classId)) throw new UsageError("Invalid flags:\n  --class: the id of a class is required");
      const fs = await import("node:fs/promises");
      const bytes = await fs.readFile(file).catch(() => {
        throw new CommandError(`Cannot read ${file}.`);
      });
      await withDatabase("cartridge import", async (database) => {
        await requireMigrated(database);
        const { classMembers } = await import("../db/schema/index.ts");
        const { and, asc } = await import("drizzle-orm");
        const teachers = await database.db
          .select({ id: users.id, email: users.email })
          .from(classMembers)
          .innerJoin(users, eq(users.id, classMembers.userId))
          .where(and(eq(classMembers.classId, classId), eq(classMembers.role, "teacher")))
          .orderBy(asc(users.sortKey));
        const teacher = typeof flags.teacher === "string" ? teachers.find((t) => t.email === flags.teacher) : teachers[0];
        if (!teacher) throw new CommandError(typeof flags.teacher === "string" ? `${flags.teacher} does not teach that class.` : "No such class, or it has no teacher.");
        const { loadMemberships } = await import("./auth/actor.server.ts");
        const { prepareUploads } = await import("./services/files.server.ts");
        const { importCartridge } = await import("./services/cartridge/import.server.ts");
        await prepareUploads();
        const actor = { id: teacher.id, memberships: await loadMemberships(database.db, teacher.id) } as Parameters<typeof importCartridge>[1];
        const result = await importCartridge(database.db, actor, classId, bytes);
        if (!result.ok) throw new CommandError(Object.values(result.errors).join("\n"));
        out(`Imported ${result.value.lessons.length} draft lessons (Common Cartridge ${result.value.version}):`);
        for (const l of result.value.lessons) out(`  ${l.title}${l.files ? ` (${l.files} files)` : ""}`);
        if (result.value.skipped.length) out(`Not imported (${result.value.skipped.length}):`);
        for (const s of result.value.skipped) out(`  ${s.title || "—"}: ${s.reason}`);
      });
    },
  },

  schools: {
    summary: "List the schools: code, two spaces, name — one per line, sorted by code.",
    flags: {},
    async run() {
      await withDatabase("schools", async (database) => {
        await requireMigrated(database);
        const rows = await database.query<{ code: string; name: string }>(
          "select code, name from organizations where kind = 'school' order by code",
        );
        for (const r of rows) out(`${r.code}  ${r.name}`);
        if (rows.length === 0) err("No schools yet (seed the demo with `npm run cli -- seed`).");
      });
    },
  },

  "notify digest": {
    summary: "Queue the daily and weekly digests due at a moment (default now); a digest already queued is not queued again.",
    flags: {
      at: { type: "string", value: "ISO", description: "the moment to run for, e.g. 2026-11-25T19:00:00+07:00 (a missed run)" },
    },
    async run(raw) {
      const flags = parseFlags(NotifyDigestFlags, raw);
      await withDatabase("notify digest", async (database) => {
        await requireMigrated(database);
        const { runDigest } = await import("./services/notify/digest.server.ts");
        const { hubNotifyConfig } = await import("./services/notify/recipients.server.ts");
        const at = flags.at ?? new Date();
        const result = await runDigest(database.db, hubNotifyConfig(), at);
        out(`Digests for ${at.toISOString()}:`);
        for (const period of ["daily", "weekly"] as const) {
          const r = result[period];
          const counts = Object.entries(r.messages).map(([c, n]) => `${c} ${n}`).join(", ");
          out(`  ${period}: ${r.people} people, ${r.items} items; queued ${counts}${r.empty ? `; ${r.empty} with nothing to say (not sent)` : ""}`);
        }
      });
    },
  },

  "notify status": {
    summary: "The outside-message queue by channel and state (due now, later, sending, sent, failed by reason) and which channels are not configured.",
    flags: {},
    async run() {
      await withDatabase("notify status", async (database) => {
        await requireMigrated(database);
        const { deliveryStatus, formatStatus } = await import("./services/notify/status.server.ts");
        for (const line of formatStatus(await deliveryStatus(database))) out(line);
      });
    },
  },

  "connect zoom": {
    summary: "Connect a school's Zoom (a Server-to-Server OAuth app), or update it in place; then test it and print its webhook URL.",
    flags: {
      school: { type: "string", value: "CODE", description: "the school's code (mã trường)" },
      "account-id": { type: "string", value: "ID", description: "the Zoom account id (App credentials page)" },
      "client-id": { type: "string", value: "ID", description: "the app's client id" },
      "client-secret": { type: "string", value: "SECRET", description: "the app's client secret (stored encrypted, never printed)" },
      "webhook-secret": { type: "string", value: "TOKEN", description: "the app's webhook secret token (verifies Zoom's events)" },
    },
    async run(raw) {
      const flags = parseFlags(
        z.object({
          school: z.string({ error: "required" }).trim().min(1, "required"),
          "account-id": z.string({ error: "required" }).trim().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a Zoom account id"),
          "client-id": z.string({ error: "required" }).trim().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a Zoom client id"),
          "client-secret": z.string({ error: "required" }).min(1, "required").max(200),
          "webhook-secret": z.string({ error: "required" }).min(8, "must be the app's secret token (22 characters)").max(200),
        }),
        raw,
      );
      await connectAndTest("zoom", flags.school, async (db, actor) => {
        const { upsertZoomConnection } = await import("./services/connections/zoom.server.ts");
        return upsertZoomConnection(
          db,
          { schoolCode: flags.school, accountId: flags["account-id"], clientId: flags["client-id"], clientSecret: flags["client-secret"], webhookSecret: flags["webhook-secret"] },
          actor,
        );
      });
    },
  },

  "connect google": {
    summary: "Connect a school's Google Workspace (its OAuth client), or update it in place; an admin of the domain then grants access on the Kết nối page.",
    flags: {
      school: { type: "string", value: "CODE", description: "the school's code (mã trường)" },
      "client-id": { type: "string", value: "ID", description: "the OAuth client id (…apps.googleusercontent.com)" },
      "client-secret": { type: "string", value: "SECRET", description: "the OAuth client secret (stored encrypted, never printed)" },
      domain: { type: "string", value: "DOMAIN", description: "the school's Workspace domain (only its accounts may grant access and sign in)" },
    },
    async run(raw) {
      const flags = parseFlags(
        z.object({
          school: z.string({ error: "required" }).trim().min(1, "required"),
          "client-id": z.string({ error: "required" }).trim().regex(/^[\w.-]{1,200}$/, "must be an OAuth client id"),
          "client-secret": z.string({ error: "required" }).min(1, "required").max(500),
          domain: z
            .string()
            .trim()
            .toLowerCase()
            .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, "must be a domain such as truong.edu.vn")
            .optional(),
        }),
        raw,
      );
      await connectAndTest("google", flags.school, async (db, actor) => {
        const { upsertGoogleConnection } = await import("./services/connections/google.server.ts");
        return upsertGoogleConnection(db, { schoolCode: flags.school, clientId: flags["client-id"], clientSecret: flags["client-secret"], domain: flags.domain }, actor);
      });
    },
  },

  "connect microsoft": {
    summary: "Connect a school's Microsoft 365 (an Entra ID app's client credentials), or update it in place; then test it.",
    flags: {
      school: { type: "string", value: "CODE", description: "the school's code (mã trường)" },
      "tenant-id": { type: "string", value: "ID", description: "the Entra ID tenant (directory) id" },
      "client-id": { type: "string", value: "ID", description: "the app's application (client) id" },
      "client-secret": { type: "string", value: "SECRET", description: "the app's client secret value (stored encrypted, never printed)" },
    },
    async run(raw) {
      const flags = parseFlags(
        z.object({
          school: z.string({ error: "required" }).trim().min(1, "required"),
          "tenant-id": z.string({ error: "required" }).trim().regex(/^[A-Za-z0-9.-]{1,100}$/, "must be a tenant id (a GUID) or its domain"),
          "client-id": z.string({ error: "required" }).trim().regex(/^[A-Za-z0-9-]{1,100}$/, "must be an application (client) id"),
          "client-secret": z.string({ error: "required" }).min(1, "required").max(500),
        }),
        raw,
      );
      await connectAndTest("microsoft", flags.school, async (db, actor) => {
        const { upsertMicrosoftConnection } = await import("./services/connections/microsoft.server.ts");
        return upsertMicrosoftConnection(db, { schoolCode: flags.school, tenantId: flags["tenant-id"], clientId: flags["client-id"], clientSecret: flags["client-secret"] }, actor);
      });
    },
  },

  connections: {
    summary: "List the platform connections, one line each: id, school, provider, owner, state, account, last good call.",
    flags: { school: { type: "string", value: "CODE", description: "only this school's (mã trường)" } },
    async run(raw) {
      const flags = parseFlags(z.object({ school: z.string().trim().min(1).optional() }), raw);
      await withDatabase("connections", async (database) => {
        await requireMigrated(database);
        const { listConnections } = await import("./services/connections/check.server.ts");
        const { UnknownSchoolError } = await import("./services/connections/store.server.ts");
        let rows;
        try {
          rows = await listConnections(database.db, flags.school);
        } catch (e) {
          if (e instanceof UnknownSchoolError) throw new UsageError(`--school: ${e.message}`);
          throw e;
        }
        for (const r of rows) {
          const state = r.status + (r.statusReason && r.status !== "connected" ? ` (${r.statusReason})` : "");
          out([r.id, r.schoolCode, r.provider.padEnd(9), r.teacher ? `teacher:${r.teacher}` : "school", state, r.accountName ?? "-", r.lastOkAt ? `last ok ${r.lastOkAt.toISOString()}` : "never ok"].join("  "));
        }
      });
    },
  },

  "connections test": {
    summary: "Make one cheap real call for a connection (Kiểm tra kết nối) and record its result; exit 1 when it fails.",
    flags: { id: { type: "string", value: "UUID", description: "the connection's id (as `connections` lists it; also as the bare argument)" } },
    positional: "id",
    async run(raw) {
      const flags = parseFlags(z.object({ id: z.uuid({ error: "must be a connection id (UUID)" }) }), raw);
      await withDatabase("connections test", async (database) => {
        await requireMigrated(database);
        const { connectionById, testConnection } = await import("./services/connections/check.server.ts");
        const row = await connectionById(database.db, flags.id);
        if (!row) throw new CommandError(`No connection ${flags.id}.`);
        const check = await testConnection(database.db, row, { actorId: null, address: "cli" });
        if (!check.ok) throw new CommandError(`${row.provider} ${row.id}: ${check.status} — ${check.message}`);
        out(`${row.provider} ${row.id}: connected — ${check.accountName}${check.detail ? ` (${check.detail})` : ""}`);
      });
    },
  },

  "rotate-secret-key": {
    summary: "Re-encrypt every connection's stored secrets and tokens from an old SECRET_KEY to the current one, in one transaction.",
    flags: {
      "old-key": { type: "string", value: "KEY", description: "the SECRET_KEY the secrets are under now (the new one is the configured SECRET_KEY)" },
    },
    async run(raw) {
      const flags = parseFlags(z.object({ "old-key": z.string({ error: "required" }).min(32, "must be at least 32 characters (a SECRET_KEY)") }), raw);
      await withDatabase("rotate-secret-key", async (database) => {
        await requireMigrated(database);
        const { rotateSecretKey, RotationError } = await import("./services/connections/rotate.server.ts");
        try {
          const result = await rotateSecretKey(database.db, flags["old-key"], env().SECRET_KEY);
          out(`Re-encrypted ${result.reencrypted} connection(s) under key ${result.keyId}; ${result.alreadyCurrent} already under it.`);
        } catch (e) {
          if (e instanceof RotationError) throw new CommandError(e.message);
          throw e;
        }
      });
    },
  },

  // OneRoster roster import ------------------------------------------------------------------
  "roster import": {
    summary: "Import a OneRoster 1.1/1.2 CSV bundle (folder or .zip) into a school: per file, rows created, updated and unchanged; every bad row as file.csv:line:column: reason, and nothing written.",
    flags: {
      path: { type: "string", value: "PATH", description: "the bundle: a folder of CSV files or a .zip (also as the bare argument)" },
      school: { type: "string", value: "CODE", description: "the school's code (mã trường); default: the org whose identifier is a school's code" },
      "dry-run": { type: "boolean", description: "report what would change without writing" },
      lang: { type: "string", value: "vi|en", description: "language of the reasons (default vi)" },
    },
    positional: "path",
    async run(raw) {
      const flags = parseFlags(
        z.object({
          path: z.string({ error: "required (a folder or a .zip)" }).min(1, "required (a folder or a .zip)"),
          school: z.string().trim().min(1).optional(),
          "dry-run": z.boolean().optional(),
          lang: z.enum(["vi", "en"], { error: "must be vi or en" }).optional(),
        }),
        raw,
      );
      await withDatabase("roster import", async (database) => {
        await requireMigrated(database);
        const { importOneRoster, rosterErrorText } = await import("./services/roster/oneroster.server.ts");
        const report = await importOneRoster(database.db, flags.path, { schoolCode: flags.school, dryRun: flags["dry-run"] });
        if (!report.ok) {
          for (const e of report.errors) err(rosterErrorText(e, flags.lang ?? "vi"));
          if (report.errorCount > report.errors.length) err(`… ${report.errorCount - report.errors.length} more`);
          throw new CommandError(`${report.errorCount} error(s); nothing was written.`);
        }
        out(`${report.dryRun ? "Dry run (nothing written)" : "Imported"}: OneRoster ${report.version} into ${report.school!.code} ${report.school!.name}`);
        const width = Math.max(...Object.keys(report.files).map((f) => f.length), 4);
        out(`  ${"file".padEnd(width)}  created  updated  unchanged  archived  skipped`);
        for (const [file, c] of Object.entries(report.files)) {
          out(`  ${file.padEnd(width)}  ${String(c.created).padStart(7)}  ${String(c.updated).padStart(7)}  ${String(c.unchanged).padStart(9)}  ${String(c.archived).padStart(8)}  ${String(c.skipped).padStart(7)}`);
        }
        for (const s of report.skips.slice(0, 50)) out(`  skipped ${s.reason}`);
        if (report.skips.length > 50) out(`  … ${report.skips.length - 50} more skipped rows`);
      });
    },
  },
  // Shared learning repositories (OAI-PMH harvesting into the library)
  harvest: {
    summary: "Harvest one OAI-PMH repository now (by its id, or a base URL — registered for the province first when new); exit 1 when it could not complete.",
    flags: {
      repository: { type: "string", value: "ID|URL", description: "the repository's id (as `repositories` lists it) or its base URL (also as the bare argument)" },
      set: { type: "string", value: "SPEC", description: "harvest only this set this time" },
      prefix: { type: "string", value: "oai_dc|lom", description: "metadata format (default: the repository's)" },
      full: { type: "boolean", description: "everything from the start, not only what changed since the last harvest" },
    },
    positional: "repository",
    async run(raw) {
      const flags = parseFlags(
        z.object({
          repository: z.string(required("repository")).trim().min(1, "must be a repository id or a base URL"),
          set: z.string().trim().min(1).max(200).optional(),
          prefix: z.enum(["oai_dc", "lom"], { error: "must be oai_dc or lom" }).optional(),
          full: z.boolean().optional(),
        }),
        raw,
      );
      await withDatabase("harvest", async (database) => {
        await requireMigrated(database);
        const { registerRepository, RepositoryCheckError } = await import("./services/library/harvest.server.ts");
        const { runHarvestApart } = await import("./services/library/harvest-apart.server.ts");
        const { repositories } = await import("../db/schema/index.ts");
        const { translate } = await import("./i18n/index.ts");
        const say = (key: string, detail?: string) => `${translate("vi", key)}${detail ? ` (${detail})` : ""}`;
        let repositoryId: string;
        if (z.uuid().safeParse(flags.repository).success) {
          const [row] = await database.db.select({ id: repositories.id }).from(repositories).where(eq(repositories.id, flags.repository));
          if (!row) throw new CommandError(`No repository ${flags.repository} (see \`npm run cli -- repositories\`).`);
          repositoryId = row.id;
        } else if (/^https?:\/\//i.test(flags.repository)) {
          const { normaliseBaseUrl } = await import("../integrations/oai-pmh/client.server.ts");
          let url: string;
          try {
            url = normaliseBaseUrl(flags.repository);
          } catch {
            throw new UsageError("--repository: must be a repository id or an http(s) base URL");
          }
          const [known] = await database.db.select({ id: repositories.id }).from(repositories).where(eq(repositories.baseUrl, url)).limit(1);
          if (known) repositoryId = known.id;
          else {
            const [province] = await database.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.kind, "province")).limit(1);
            if (!province) throw new CommandError("No province in the database yet: seed or create one first.");
            try {
              const { repository } = await registerRepository(database.db, { ownerOrgId: province.id, baseUrl: url, metadataPrefix: flags.prefix });
              repositoryId = repository.id;
              out(`Registered ${repository.name} (${repository.baseUrl}) for the province: ${repository.id}`);
            } catch (e) {
              if (e instanceof RepositoryCheckError) throw new CommandError(`${url}: ${say(e.key, e.detail)}`);
              throw e;
            }
          }
        } else {
          throw new UsageError("--repository: must be a repository id (UUID) or an http(s) base URL");
        }
        const result = await runHarvestApart(database, repositoryId, { full: flags.full, set: flags.set, prefix: flags.prefix });
        out(`Harvest ${result.mode} of ${repositoryId}: ${result.status}`);
        out(`  added ${result.added}, updated ${result.updated}, deleted ${result.deleted}, skipped ${result.skipped} (${result.pages} pages)`);
        for (const s of result.skips) {
          const [code, ...detail] = s.reason.split(": ");
          out(`  skipped ${s.identifier || translate("vi", "repositories.run.noIdentifier")}: ${say(`repositories.skip.${code}`, detail.join(": ") || undefined)}`);
        }
        if (result.added + result.deleted > 0) {
          const { refreshLibrarySampleIfStale } = await import("./services/library/sample.server.ts");
          await refreshLibrarySampleIfStale(database.db);
        }
        if (result.status === "waiting") throw new CommandError(`${say(result.error!.key)} — again after ${result.retryAt!.toISOString()}; the run resumes where it stopped.`);
        if (result.status !== "succeeded") throw new CommandError(`Harvest failed: ${say(result.error?.key ?? "repositories.error.internal", result.error?.detail)}`);
      });
    },
  },

  repositories: {
    summary: "List the registered OAI-PMH repositories with their last harvest.",
    flags: {},
    async run() {
      await withDatabase("repositories", async (database) => {
        await requireMigrated(database);
        const { repositoryList } = await import("./services/library/repositories.server.ts");
        const rows = await repositoryList(database.db, null);
        if (!rows.length) return out("No repositories yet. Add one: npm run cli -- harvest <base-url>");
        for (const r of rows) {
          const last = r.lastRun
            ? `${r.lastRun.status} ${r.lastRun.startedAt.toISOString()} +${r.lastRun.added} ~${r.lastRun.updated} -${r.lastRun.deleted} skipped ${r.lastRun.skipped}`
            : "never harvested";
          out([r.id, r.ownerCode.padEnd(8), r.metadataPrefix.padEnd(6), r.schedule.padEnd(7), `${r.resources} resources`, r.name, r.baseUrl, last].join("  "));
        }
      });
    },
  },

  generate: {
    summary: "Generate a province-scale dataset (≈500 students per school) for load tests; once per database.",
    flags: {
      students: { type: "string", value: "N", description: "number of students, e.g. 1000000 (at most 5,000,000)" },
      "seed-if-empty": { type: "boolean", description: "also seed the demo province when the database has none" },
    },
    async run(raw) {
      const flags = parseFlags(GenerateFlags, raw);
      await withDatabase("generate", async (database) => {
        await migrate(database);
        if (flags["seed-if-empty"]) {
          const { seedDemo } = await import("../db/seed.server.ts");
          if (await seedDemo(database.db)) out("Demo province seeded.");
        }
        const gen = await import("../db/generate.server.ts");
        try {
          const report = await gen.generateProvince(database, { students: flags.students, log: out });
          out("");
          out(`Generated ${report.students.toLocaleString("en")} students in ${(report.elapsedMs / 1000).toFixed(1)} s (${database.kind}).`);
          out("Rows per table (whole database):");
          for (const [table, n] of Object.entries(report.counts)) out(`  ${table.padEnd(14)} ${n.toLocaleString("en").padStart(12)}`);
          out("");
          out(`Every generated account's password is ${gen.GENERATED_PASSWORD}: students ${gen.generatedEmail.student(1)}, teachers ${gen.generatedEmail.teacher(1)}, parents ${gen.generatedEmail.parent(1)} or 0960000001.`);
        } catch (e) {
          if (e instanceof gen.GeneratedDataExistsError) throw new CommandError(e.message);
          throw e;
        }
      });
    },
  },
};

// ---------------------------------------------------------------------------------------------

function flagUsage(name: string, spec: FlagSpec) {
  return `--${name}${spec.value ? ` ${spec.value}` : ""}`;
}

function commandHelp(name: string, cmd: Command): string {
  const flags = Object.entries(cmd.flags);
  const lines = [`npm run cli -- ${name}${flags.length ? " [flags]" : ""}`, "", `  ${cmd.summary}`];
  if (flags.length) {
    lines.push("");
    const width = Math.max(...flags.map(([n, s]) => flagUsage(n, s).length));
    for (const [n, s] of flags) lines.push(`  ${flagUsage(n, s).padEnd(width)}  ${s.description}`);
  }
  return lines.join("\n");
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = [
    "Lớp Số — operator commands (công cụ quản trị)",
    "",
    "Usage: npm run cli -- <command> [flags]",
    "",
    "Commands:",
  ];
  for (const [name, cmd] of Object.entries(COMMANDS)) {
    lines.push(`  ${name.padEnd(width)}  ${cmd.summary}`);
    for (const [flag, spec] of Object.entries(cmd.flags)) lines.push(`  ${"".padEnd(width)}    ${flagUsage(flag, spec)}  ${spec.description}`);
  }
  lines.push(`  ${"help".padEnd(width)}  Show this help (also --help; \`<command> --help\` for one command).`);
  lines.push(
    "",
    "The database is the one the server uses: DATABASE_URL (PostgreSQL) if set, else the embedded",
    "database in DATA_DIR (default ./data), which only one process may open at a time.",
    "`generate` locks the tables it fills while it runs (≈ 1.5 min per million students on",
    "PostgreSQL): run it before starting the hub.",
    "",
    "Examples:",
    "  npm run cli -- create-admin --name \"Vũ Thị Hạnh\" --email hieutruong@nguyendu.edu.vn --password '…' --role school_admin --org 79001",
    "  npm run cli -- generate --students 100000 --seed-if-empty",
    "  npm run cli -- roster import export.zip --school 79001 --dry-run",
  );
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  // Two-word commands ("notify digest", "notify status") are looked up whole.
  const twoWords = argv.length >= 2 && Object.hasOwn(COMMANDS, `${argv[0]} ${argv[1]}`);
  const [name, ...rest] = twoWords ? [`${argv[0]} ${argv[1]}`, ...argv.slice(2)] : argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    out(help());
    return 0;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  try {
    if (!cmd) throw new UsageError(`Unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(", ")}.`);
    if (rest.includes("--help") || rest.includes("-h")) {
      out(commandHelp(name, cmd));
      return 0;
    }
    let values: Record<string, string | boolean | undefined>;
    const args = cmd.positional && rest[0] && !rest[0].startsWith("-") ? [`--${cmd.positional}`, ...rest] : rest;
    try {
      const options = Object.fromEntries(Object.entries(cmd.flags).map(([flag, spec]) => [flag, { type: spec.type }]));
      ({ values } = parseArgs({ args, options, strict: true, allowPositionals: false }) as { values: Record<string, string | boolean> });
    } catch (e) {
      // node:util names the offending argument; keep its message, drop its own advice.
      const message = (e as Error).message.split(". To specify")[0].replace(/^Unknown option '(.+?)'/, "Unknown flag $1");
      throw new UsageError(`${message} (for ${name}).`);
    }
    setLogLevel("warn");
    const config = env();
    if (config.LOG_LEVEL === "error" || config.LOG_LEVEL === "silent") setLogLevel(config.LOG_LEVEL);
    await cmd.run(values);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`Error: ${e.message}`);
      err(`Run \`npm run cli -- ${cmd ? `${name} --help` : "help"}\` for usage.`);
      return 2;
    }
    if (e instanceof ConfigError || e instanceof DatabaseBusyError || e instanceof CommandError) {
      err(e.message);
      return 1;
    }
    // Driver errors arrive wrapped with the whole SQL text; the cause is what an operator needs.
    const cause = (e as { cause?: Error })?.cause;
    err(`Error: ${cause?.message ?? (e as Error)?.message ?? String(e)}`);
    if (process.env.DEBUG) err((e as Error)?.stack ?? "");
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
