import { classroom } from "@googleapis/classroom";
import { providerFetch, type FetchCall } from "../http/fetch.server.ts";
import { CLASSROOM_ROOT, type GoogleConfig } from "./config.ts";
import { googleError } from "./errors.ts";

export type CallOptions = Pick<FetchCall, "onAttempt" | "budget">;

/** The Classroom client over the hub's HTTP layer (its own retries off), authorised by one token. */
export function classroomClient(cfg: GoogleConfig, accessToken: string, operation: string, opts: CallOptions = {}) {
  return classroom({
    version: "v1",
    rootUrl: cfg.apiRoot ?? CLASSROOM_ROOT,
    headers: { authorization: `Bearer ${accessToken}` },
    retry: false,
    fetchImplementation: providerFetch({ provider: "google", operation, idempotent: true, ...opts }),
  });
}

/** `courses.list` with pageSize 1: the cheapest call that proves the Classroom grant works. */
export async function countVisibleCourses(cfg: GoogleConfig, accessToken: string, opts: CallOptions = {}): Promise<{ any: boolean }> {
  const operation = "courses.list";
  try {
    const res = await classroomClient(cfg, accessToken, operation, opts).courses.list({ pageSize: 1 });
    return { any: (res.data.courses ?? []).length > 0 };
  } catch (e) {
    throw googleError(e, operation);
  }
}
