/**
 * The course-sync jobs: `course-sync-due` (every minute) sends one `course-sync` job per
 * connection that is due — asked for ("Đồng bộ ngay"), left unfinished by a crash, past a rate
 * limit's wait, or on its schedule — with the connection as pg-boss `singletonKey`, so a
 * connection is never synced twice at once; `course-sync` runs (or resumes) it.
 */
import type PgBoss from "pg-boss";
import type { Database } from "../../../db/client.server.ts";
import { dueConnections, syncConnection } from "./course-sync.server.ts";

export const COURSE_SYNC_QUEUE = "course-sync";

export function courseSyncJobs() {
  return [
    {
      name: "course-sync-due",
      cron: "* * * * *",
      async run(database: Database, _data: unknown, boss?: PgBoss) {
        const due = await dueConnections(database.db);
        for (const connectionId of due) {
          await boss?.send(COURSE_SYNC_QUEUE, { connectionId }, { singletonKey: connectionId, retryLimit: 0 });
        }
        return { due: due.length };
      },
    },
    {
      name: COURSE_SYNC_QUEUE,
      policy: "stately" as const,
      async run(database: Database, data: unknown) {
        const connectionId = (data as { connectionId?: string } | null)?.connectionId;
        if (!connectionId) return { skipped: true };
        const out = await syncConnection(database.db, connectionId);
        return { connectionId, status: out?.status ?? "not_syncable" };
      },
    },
  ];
}
