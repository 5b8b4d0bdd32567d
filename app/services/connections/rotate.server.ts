/**
 * Moving every connection's secrets from an old SECRET_KEY to the current one, in one
 * transaction: either every row opens under the new key afterwards, or nothing changed. Rows
 * already under the new key are left as they are (running it twice is harmless); a row under a
 * third key stops the whole rotation, naming the row.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { connectionAudit, connections } from "../../../db/schema/index.ts";
import { deriveKey, openSecrets, sealSecrets, SecretsError } from "./secrets.server.ts";

export type RotationResult = { reencrypted: number; alreadyCurrent: number; keyId: string };

export class RotationError extends Error {}

export async function rotateSecretKey(db: Db, oldSecretKey: string, newSecretKey: string): Promise<RotationResult> {
  const oldKey = deriveKey(oldSecretKey);
  const newKey = deriveKey(newSecretKey);
  if (oldKey.id === newKey.id) throw new RotationError("The old key is the current SECRET_KEY: nothing to rotate.");
  return db.transaction(async (tx) => {
    // Rows are locked so that a token refresh running meanwhile waits and then writes under the new key.
    const rows = await tx
      .select({ id: connections.id, provider: connections.provider, schoolId: connections.schoolId, secrets: connections.secrets, keyId: connections.secretsKeyId })
      .from(connections)
      .for("update");
    let reencrypted = 0;
    let alreadyCurrent = 0;
    for (const row of rows) {
      if (!row.secrets) continue;
      if (row.keyId === newKey.id) {
        alreadyCurrent++;
        continue;
      }
      if (row.keyId && row.keyId !== oldKey.id) {
        throw new RotationError(`Connection ${row.id} is under key ${row.keyId}, neither the old key (${oldKey.id}) nor the new one (${newKey.id}); nothing was changed.`);
      }
      let plain;
      try {
        plain = openSecrets(oldKey, row.id, row.provider, row.secrets, row.keyId);
      } catch (e) {
        if (e instanceof SecretsError) throw new RotationError(`${e.message}; nothing was changed.`);
        throw e;
      }
      const sealed = sealSecrets(newKey, row.id, row.provider, plain);
      await tx.update(connections).set({ secrets: sealed.secrets, secretsKeyId: sealed.secretsKeyId }).where(eq(connections.id, row.id));
      await tx.insert(connectionAudit).values({
        schoolId: row.schoolId,
        connectionId: row.id,
        provider: row.provider,
        action: "rotate_key",
        detail: { from: oldKey.id, to: newKey.id },
        address: "cli",
      });
      reencrypted++;
    }
    return { reencrypted, alreadyCurrent, keyId: newKey.id };
  });
}
