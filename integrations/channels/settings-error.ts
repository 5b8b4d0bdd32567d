/** A channel setting that is present but wrong; the message names the environment variable. */
import type { z } from "zod";

export class ChannelConfigError extends Error {}

/** Lines of "  NAME: message" for a failed parse, naming our variables rather than the fields. */
export function configIssues(error: z.ZodError, names: Record<string, string>): string {
  return error.issues.map((i) => `  ${names[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`).join("\n");
}
