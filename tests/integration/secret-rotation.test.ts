/**
 * `rotate-secret-key`: every connection's secrets move from the old SECRET_KEY to the new one in
 * one transaction; a row under an unknown key leaves every row as it was.
 */
import crypto from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionAudit, connections, organizations } from "../../db/schema/index.ts";
import { rotateSecretKey, RotationError } from "../../app/services/connections/rotate.server.ts";
import { deriveKey, openSecrets, sealSecrets } from "../../app/services/connections/secrets.server.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";

const OLD = "old-secret-key-0123456789abcdefghijklmnop";
const NEW = "new-secret-key-0123456789abcdefghijklmnop";
const OTHER = "other-secret-key-0123456789abcdefghijklm";
let database: TestDatabase;
let schoolId: string;
let school2: string;

async function addConnection(provider: "zoom" | "google" | "microsoft", secretKey: string, secrets: Record<string, string>, school = schoolId) {
  const id = crypto.randomUUID();
  const sealed = sealSecrets(deriveKey(secretKey), id, provider, secrets);
  await database.db.insert(connections).values({ id, schoolId: school, provider, kind: "server_to_server", ...sealed });
  return id;
}

async function row(id: string) {
  const [r] = await database.db.select().from(connections).where(eq(connections.id, id));
  return r;
}

beforeAll(async () => {
  database = await freshDatabase();
  const [s] = await database.db.insert(organizations).values({ kind: "school", name: "THCS Thử", code: "99901" }).returning({ id: organizations.id });
  const [s2] = await database.db.insert(organizations).values({ kind: "school", name: "THCS Thử 2", code: "99902" }).returning({ id: organizations.id });
  schoolId = s.id;
  school2 = s2.id;
});

afterAll(async () => {
  await database?.drop();
});

describe("rotate-secret-key", () => {
  it("re-encrypts every row under the new key, once, and records it", async () => {
    const zoom = await addConnection("zoom", OLD, { clientSecret: "zoom-secret", webhookSecret: "hook" });
    const google = await addConnection("google", OLD, { refreshToken: "1//refresh" }, school2);
    const result = await rotateSecretKey(database.db, OLD, NEW);
    expect(result).toEqual({ reencrypted: 2, alreadyCurrent: 0, keyId: deriveKey(NEW).id });
    const z = await row(zoom);
    expect(z.secretsKeyId).toBe(deriveKey(NEW).id);
    expect(openSecrets(deriveKey(NEW), zoom, "zoom", z.secrets, z.secretsKeyId)).toEqual({ clientSecret: "zoom-secret", webhookSecret: "hook" });
    expect(() => openSecrets(deriveKey(OLD), zoom, "zoom", z.secrets, null)).toThrow(/do not open/);
    const g = await row(google);
    expect(openSecrets(deriveKey(NEW), google, "google", g.secrets, g.secretsKeyId)).toEqual({ refreshToken: "1//refresh" });
    const audit = await database.db.select().from(connectionAudit).where(eq(connectionAudit.action, "rotate_key"));
    expect(audit.map((a) => a.connectionId).sort()).toEqual([zoom, google].sort());
    expect(JSON.stringify(audit)).not.toContain("zoom-secret");

    // Again: everything is already current, nothing is rewritten.
    const again = await rotateSecretKey(database.db, OLD, NEW);
    expect(again).toEqual({ reencrypted: 0, alreadyCurrent: 2, keyId: deriveKey(NEW).id });
    expect((await row(zoom)).secrets).toBe(z.secrets);
  });

  it("stops without changing anything when a row is under a third key", async () => {
    await database.db.delete(connections);
    const a = await addConnection("zoom", OLD, { clientSecret: "a" });
    const b = await addConnection("google", OTHER, { clientSecret: "b" }, school2);
    const before = await row(a);
    await expect(rotateSecretKey(database.db, OLD, NEW)).rejects.toThrow(RotationError);
    await expect(rotateSecretKey(database.db, OLD, NEW)).rejects.toThrow(new RegExp(`${b}.*nothing was changed`));
    expect(await row(a)).toEqual(before);
  });

  it("refuses the same key as old and new", async () => {
    await expect(rotateSecretKey(database.db, NEW, NEW)).rejects.toThrow(/nothing to rotate/);
  });
});
