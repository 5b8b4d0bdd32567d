/** The hub's VAPID key pair: generated once into DATA_DIR when unset, like the secret key. */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pushConfigFromEnv } from "../integrations/channels/webpush/config.ts";
import { ConfigError, parseEnv } from "./env.server.ts";

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "lopso-vapid-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("VAPID keys", () => {
  it("are generated into DATA_DIR/vapid.json (0600) on first start and read back afterwards", () => {
    const dir = tempDir();
    const first = parseEnv({ DATA_DIR: dir, SECRET_KEY: "x".repeat(32) });
    const file = path.join(dir, "vapid.json");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(first.VAPID_PUBLIC_KEY, "base64url")).toHaveLength(65);
    expect(Buffer.from(first.VAPID_PRIVATE_KEY, "base64url")).toHaveLength(32);
    const again = parseEnv({ DATA_DIR: dir, SECRET_KEY: "x".repeat(32) });
    expect(again.VAPID_PUBLIC_KEY).toBe(first.VAPID_PUBLIC_KEY);
    expect(again.VAPID_PRIVATE_KEY).toBe(first.VAPID_PRIVATE_KEY);
    // The pair is a real P-256 pair: a signature by the private key verifies with the public point.
    const point = Buffer.from(first.VAPID_PUBLIC_KEY, "base64url");
    const jwk = { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33).toString("base64url") };
    const priv = crypto.createPrivateKey({ key: { ...jwk, d: first.VAPID_PRIVATE_KEY }, format: "jwk" });
    const sig = crypto.sign("sha256", Buffer.from("lopso"), priv);
    expect(crypto.verify("sha256", Buffer.from("lopso"), crypto.createPublicKey({ key: jwk, format: "jwk" }), sig)).toBe(true);
    // And the channel accepts it.
    expect(pushConfigFromEnv({ VAPID_PUBLIC_KEY: first.VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: first.VAPID_PRIVATE_KEY })).not.toBeNull();
  });

  it("configured keys are used as they are and nothing is written", () => {
    const dir = tempDir();
    const keys = { VAPID_PUBLIC_KEY: "BO5CD4EwAIR1clNoH7V7hmQVGSuBZA4b7NNoc1QV7y9KiI7T83hfdiBqsv4hjSwKvmLZqoy6fvQHVzQp4yutMWs", VAPID_PRIVATE_KEY: "y4GLKVPqCB_Y8yVmdrc49If5ow04aKUzCuobK-XEEQE" };
    const env = parseEnv({ DATA_DIR: dir, SECRET_KEY: "x".repeat(32), ...keys });
    expect(env.VAPID_PUBLIC_KEY).toBe(keys.VAPID_PUBLIC_KEY);
    expect(fs.existsSync(path.join(dir, "vapid.json"))).toBe(false);
  });

  it("one key without the other, or a malformed one, stops the start with the variable's name", () => {
    const dir = tempDir();
    expect(() => parseEnv({ DATA_DIR: dir, SECRET_KEY: "x".repeat(32), VAPID_PUBLIC_KEY: "BO5CD4EwAIR1clNoH7V7hmQVGSuBZA4b7NNoc1QV7y9KiI7T83hfdiBqsv4hjSwKvmLZqoy6fvQHVzQp4yutMWs" })).toThrow(/both or neither/);
    expect(() => parseEnv({ DATA_DIR: dir, SECRET_KEY: "x".repeat(32), VAPID_PUBLIC_KEY: "abc", VAPID_PRIVATE_KEY: "def" })).toThrow(ConfigError);
    expect(() => parseEnv({ DATA_DIR: dir, SECRET_KEY: "x".repeat(32), VAPID_PUBLIC_KEY: "abc", VAPID_PRIVATE_KEY: "def" })).toThrow(/VAPID_PUBLIC_KEY/);
  });
});
