import { afterEach, vi } from "vitest";

// An error logged during a test is a bug unless the test says it expects one.
const calls: unknown[][] = [];
const original = console.error;
console.error = (...args: unknown[]) => {
  calls.push(args);
  original(...args);
};

afterEach(() => {
  if (calls.length > 0) {
    const first = calls.map((c) => c.map(String).join(" ")).join("\n");
    calls.length = 0;
    throw new Error(`console.error was called during the test:\n${first}`);
  }
});

export function expectConsoleErrors() {
  return {
    take() {
      const taken = calls.splice(0, calls.length);
      return taken;
    },
  };
}

export { vi };
