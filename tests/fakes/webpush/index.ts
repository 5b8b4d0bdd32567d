export * from "./server.ts";
export * from "./crypto.ts";
