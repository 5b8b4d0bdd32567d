import { describe, expect, it } from "vitest";
import { newNonce } from "./request.server.ts";

describe("newNonce", () => {
  it("gives every page its own 16 random bytes, across refills of the pool", () => {
    const nonces = Array.from({ length: 1000 }, () => newNonce()); // ≈ 4 pools
    expect(new Set(nonces).size).toBe(nonces.length);
    for (const n of nonces) expect(Buffer.from(n, "base64")).toHaveLength(16);
    // Not a counter: bytes differ throughout, not only at the end.
    const firstBytes = new Set(nonces.map((n) => Buffer.from(n, "base64")[0]));
    expect(firstBytes.size).toBeGreaterThan(100);
  });
});
