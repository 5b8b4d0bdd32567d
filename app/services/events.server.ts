import type { DbOrTx } from "../../db/client.server.ts";
import { events, type EventType } from "../../db/schema/index.ts";

export type NewEvent = {
  type: EventType;
  schoolId: string;
  classId?: string | null;
  studentId?: string | null;
  actorId?: string | null;
  subjectId: string;
  payload?: Record<string, unknown>;
};

/**
 * Write facts to the outbox. Call it with the transaction that causes the fact, so the fact and its
 * event commit together or not at all. Facts that happen once (a lesson's first publication, a new
 * assignment, a missing submission) are deduplicated by a unique index.
 */
export async function recordEvents(tx: DbOrTx, list: NewEvent[]) {
  if (list.length === 0) return;
  await tx
    .insert(events)
    .values(list.map((e) => ({ ...e, payload: e.payload ?? {} })))
    .onConflictDoNothing();
}
