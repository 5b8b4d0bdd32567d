import type { Dictionary } from "./vi.ts";
import { vi } from "./vi.ts";

/** English. Same keys as vi.ts. */
export const en: Dictionary = vi;
