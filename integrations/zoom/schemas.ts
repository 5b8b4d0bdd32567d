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

/** A meeting's number: a JSON number in some events, a string in others (and beyond 2^31). */
const ZoomId = z.union([z.string(), z.number()]).transform(String);

/** `endpoint.url_validation`: Zoom asks us to prove we hold the secret token (on setup, then every 72 h). */
export const UrlValidationEvent = z.object({
  event: z.literal("endpoint.url_validation"),
  event_ts: z.number().optional(),
  payload: z.object({ plainToken: z.string().min(1) }),
});

/**
 * Every other event: `{ event, event_ts (epoch ms), payload: { account_id, object } }`. Only what
 * the hub relies on is checked; the whole body is kept as received.
 */
export const WebhookEvent = z.object({
  event: z.string().min(1),
  event_ts: z.number().int().nonnegative().max(8.64e15),
  payload: z.object({
    account_id: z.string().min(1),
    object: z.object({
      id: ZoomId.optional(),
      uuid: z.string().optional(),
      participant: z
        .object({ user_id: ZoomId.optional(), id: z.string().optional(), participant_uuid: z.string().optional() })
        .optional(),
    }),
  }),
});
export type WebhookEvent = z.infer<typeof WebhookEvent>;

// ---------------------------------------------------------------------------------------------
// Meetings (replies parsed with `parseJsonExact`, so an int64 id arrives as a string or a number
// below 2^53 — either way it leaves as a string).

/** An occurrence of a fixed-time series: `occurrence_id` is its start in epoch milliseconds. */
export const ZoomOccurrence = z.object({
  occurrence_id: ZoomId,
  start_time: z.string().min(1),
  duration: z.number().int().optional(),
  status: z.string().optional(),
});

/** `POST /users/{id}/meetings` (201) and `GET /meetings/{id}` (200). */
export const ZoomMeeting = z.object({
  id: ZoomId,
  uuid: z.string().optional(),
  host_id: z.string().optional(),
  topic: z.string().optional(),
  type: z.number().int(),
  start_time: z.string().optional(),
  duration: z.number().int().optional(),
  timezone: z.string().optional(),
  agenda: z.string().optional(),
  join_url: z.string().min(1),
  start_url: z.string().optional(),
  password: z.string().optional(),
  occurrences: z.array(ZoomOccurrence).optional(),
});
export type ZoomMeeting = z.infer<typeof ZoomMeeting>;

/** `GET /users/{id}/meetings`: one page of a host's meetings. */
export const ZoomMeetingList = z.object({
  next_page_token: z.string().optional().default(""),
  total_records: z.number().int().optional(),
  meetings: z
    .array(
      z.object({
        id: ZoomId,
        uuid: z.string().optional(),
        topic: z.string().optional(),
        type: z.number().int().optional(),
        start_time: z.string().optional(),
        agenda: z.string().optional(),
        join_url: z.string().optional(),
      }),
    )
    .default([]),
});

/** `GET /past_meetings/{id}/instances`: the ended sessions of a meeting (a series has one per class held). */
export const ZoomPastInstances = z.object({
  meetings: z.array(z.object({ uuid: z.string().min(1), start_time: z.string().min(1) })).default([]),
});

/** `GET /past_meetings/{id}/participants`: one page; an empty `next_page_token` is the last. */
export const ZoomParticipants = z.object({
  next_page_token: z.string().optional().default(""),
  total_records: z.number().int().optional(),
  participants: z
    .array(
      z.object({
        id: z.string().optional(),
        user_id: ZoomId.optional(),
        registrant_id: z.string().optional(),
        name: z.string().optional(),
        user_email: z.string().optional(),
        join_time: z.string().min(1),
        leave_time: z.string().optional(),
        duration: z.number().optional(),
      }),
    )
    .default([]),
});
