import { z } from "zod";

/** `POST /oauth/token` (account_credentials): no refresh token; a new token is asked for when this one ends. */
export const TokenReply = z.object({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().int().positive(),
  scope: z.string().optional(),
  api_url: z.string().optional(),
});

/** `GET /users/me`: ids normalised to strings (Zoom's ids are numbers in some replies). */
export const Me = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  email: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  display_name: z.string().optional(),
  account_id: z.union([z.string(), z.number()]).transform(String).optional(),
});

/** Zoom's error bodies: REST `{code, message}`, OAuth `{reason, error}`. */
export const RestError = z.object({ code: z.union([z.number(), z.string()]).transform(String), message: z.string().optional().default("") });
export const OAuthError = z.object({ error: z.string(), reason: z.string().optional(), error_description: z.string().optional() });
