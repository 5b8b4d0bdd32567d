/**
 * The scheduled refresh of idle grants: every connection a person granted whose refresh token has
 * not been used for 30 days is refreshed once, well inside Microsoft's 90-day idle limit; one that
 * the provider refuses turns "needs reconnect" (with its admins' notice) now, not in September.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { connections } from "../../../db/schema/index.ts";
import { isIntegrationError } from "../../../integrations/errors.ts";
import { grantRefresh } from "./grants.server.ts";
import { refreshIdle } from "./tokens.server.ts";

export const IDLE_DAYS = 30;

export async function refreshIdleGrants(db: Db, now = new Date()): Promise<{ refreshed: number; needsReconnect: number; failed: number }> {
  const idleBefore = new Date(now.getTime() - IDLE_DAYS * 86_400_000);
  const due = await db
    .select({ id: connections.id })
    .from(connections)
    .where(
      and(
        eq(connections.kind, "oauth_user"),
        inArray(connections.status, ["connected", "error"]),
        sql`coalesce(${connections.refreshedAt}, ${connections.connectedAt}, ${connections.createdAt}) < ${idleBefore.toISOString()}::timestamptz`,
      ),
    );
  const result = { refreshed: 0, needsReconnect: 0, failed: 0 };
  for (const row of due) {
    try {
      await refreshIdle(db, row.id, grantRefresh, idleBefore);
      result.refreshed++;
    } catch (e) {
      if (isIntegrationError(e) && e.code === "reauth_required") result.needsReconnect++;
      else result.failed++;
    }
  }
  return result;
}
