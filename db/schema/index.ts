export * from "./orgs.ts";
export * from "./users.ts";
export * from "./classes.ts";
export * from "./events.ts";
export * from "./notify.ts";
export * from "./channel-tokens.ts";
export * from "./connections.ts";
export * from "./provider-events.ts";
