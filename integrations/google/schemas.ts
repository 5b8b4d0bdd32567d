import { z } from "zod";

/** `{error:{code,message,status}}`, Google's JSON error. */
export const GoogleApiError = z.object({ error: z.object({ code: z.number(), message: z.string(), status: z.string().optional() }) });
