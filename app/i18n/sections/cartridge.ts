/** Messages of one part of the hub, Vietnamese and English with the same keys (spread into vi.ts and en.ts). */
export const vi = {};

export const en: typeof vi = {};
