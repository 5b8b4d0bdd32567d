import { z } from "zod";

/** `GET /organization`: the tenant's profile (only what the hub shows). */
export const OrganizationList = z.object({
  value: z
    .array(
      z.object({
        id: z.string(),
        displayName: z.string().nullable().optional(),
        verifiedDomains: z.array(z.object({ name: z.string(), isDefault: z.boolean().optional() })).optional().default([]),
      }),
    )
    .min(1, "no organization in the reply"),
});

/** `GET /me` with a delegated token: the signed-in person. */
export const GraphMe = z.object({ id: z.string(), displayName: z.string().nullish(), mail: z.string().nullish(), userPrincipalName: z.string().nullish() });
