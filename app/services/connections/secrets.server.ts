/**
 * Connection secrets at rest: AES-256-GCM under a key derived from SECRET_KEY by HKDF-SHA256 with
 * a purpose label. The associated data is the connection's id and provider, so a ciphertext copied
 * to another row does not open. Each stored value carries the id of the key it is under (the first
 * 8 bytes of a SHA-256 of the derived key, hex), so `rotate-secret-key` can tell old from new.
 *
 * Stored form: `v1.<nonce b64url>.<ciphertext b64url>.<tag b64url>`.
 */
import crypto from "node:crypto";

const PURPOSE = "lopso/connections/secrets/v1";

export type ConnectionSecrets = {
  clientSecret?: string;
  webhookSecret?: string;
  accessToken?: string;
  refreshToken?: string;
};

export type SecretKey = { id: string; key: Buffer };

/** The connection-secrets key derived from a SECRET_KEY value. */
export function deriveKey(secretKey: string): SecretKey {
  const key = Buffer.from(crypto.hkdfSync("sha256", Buffer.from(secretKey, "utf8"), Buffer.alloc(0), PURPOSE, 32));
  const id = crypto.createHash("sha256").update(key).digest("hex").slice(0, 16);
  return { id, key };
}

function aad(connectionId: string, provider: string): Buffer {
  return Buffer.from(`${connectionId}|${provider}`, "utf8");
}

export function sealSecrets(key: SecretKey, connectionId: string, provider: string, secrets: ConnectionSecrets): { secrets: string; secretsKeyId: string } {
  const nonce = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key.key, nonce);
  cipher.setAAD(aad(connectionId, provider));
  const ct = Buffer.concat([cipher.update(JSON.stringify(secrets), "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return { secrets: ["v1", nonce.toString("base64url"), ct.toString("base64url"), tag.toString("base64url")].join("."), secretsKeyId: key.id };
}

export class SecretsError extends Error {}

export function openSecrets(key: SecretKey, connectionId: string, provider: string, stored: string | null, storedKeyId: string | null): ConnectionSecrets {
  if (!stored) return {};
  if (storedKeyId && storedKeyId !== key.id) {
    throw new SecretsError(`connection ${connectionId}: secrets are under key ${storedKeyId}, not the current SECRET_KEY (${key.id}); run rotate-secret-key`);
  }
  const [v, nonce, ct, tag] = stored.split(".");
  if (v !== "v1" || !nonce || ct === undefined || !tag) throw new SecretsError(`connection ${connectionId}: unreadable secrets`);
  try {
    const decipher = crypto.createDecipheriv("aes-256-gcm", key.key, Buffer.from(nonce, "base64url"));
    decipher.setAAD(aad(connectionId, provider));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    const plain = Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
    return JSON.parse(plain) as ConnectionSecrets;
  } catch {
    throw new SecretsError(`connection ${connectionId}: secrets do not open with this key (wrong SECRET_KEY or moved ciphertext)`);
  }
}
