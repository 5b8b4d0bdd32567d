import { describe, expect, it } from "vitest";
import { backoffDelayMs, nextAttemptAt } from "./backoff.ts";

const policy = { baseMs: 1000, capMs: 10_000 };

describe("retry backoff", () => {
  it("doubles its ceiling per attempt up to the cap, jittered below it", () => {
    expect(backoffDelayMs(1, policy, () => 0.999)).toBe(999);
    expect(backoffDelayMs(3, policy, () => 0.999)).toBe(3996);
    expect(backoffDelayMs(30, policy, () => 0.999)).toBe(9990);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    for (let i = 0; i < 100; i++) expect(backoffDelayMs(2, policy)).toBeLessThan(2000);
  });

  it("never comes back before the channel's own retry time", () => {
    const now = new Date("2026-12-02T00:00:00Z");
    expect(nextAttemptAt(now, 1, undefined, policy, () => 0.5).toISOString()).toBe("2026-12-02T00:00:00.500Z");
    expect(nextAttemptAt(now, 1, new Date("2026-12-02T00:05:00Z"), policy, () => 0.5).toISOString()).toBe("2026-12-02T00:05:00.000Z");
  });
});
