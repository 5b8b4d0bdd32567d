/**
 * "Kiểm tra kết nối": one cheap real call for a connection, whatever its provider, with the
 * result recorded on the row and in the audit trail.
 */
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../../../db/client.server.ts";
import { connections, organizations, users, type Connection } from "../../../db/schema/index.ts";
import { testMicrosoftConnection } from "./microsoft.server.ts";
import { testZoomConnection } from "./zoom.server.ts";
import { testGoogleConnection } from "./google.server.ts";
import { revokeGrant } from "./grants.server.ts";
import { testGrantConnection } from "./teacher.server.ts";
import { audit, schoolByCode, type Actor, type CheckResult } from "./store.server.ts";
import { forgetZoomWebhookTarget } from "./zoom-webhook.server.ts";

export async function testConnection(db: Db, row: Connection, actor: Actor): Promise<CheckResult> {
  if (row.kind === "oauth_user" && row.provider !== "google") return testGrantConnection(db, row, actor);
  switch (row.provider) {
    case "microsoft":
      return testMicrosoftConnection(db, row, actor);
    case "zoom":
      return testZoomConnection(db, row, actor);
    case "google":
      return testGoogleConnection(db, row, actor);
  }
}

/**
 * Disconnect: revoke a person's grant at the provider where it offers revocation (Google, Zoom;
 * Entra ID has no revocation endpoint, and app credentials are withdrawn in the providers'
 * consoles), then delete the row with its
 * sealed secrets. What was brought in through it stays; the audit trail keeps the event.
 */
export async function disconnect(db: Db, row: Connection, actor: Actor): Promise<{ revoked: "revoked" | "unsupported" | "failed" }> {
  const revoked = await revokeGrant(db, row);
  await db.transaction(async (tx) => {
    await tx.delete(connections).where(eq(connections.id, row.id));
    await audit(tx, { schoolId: row.schoolId, connectionId: row.id, provider: row.provider }, "disconnect", actor, "ok", { revoked });
  });
  forgetZoomWebhookTarget(row.id);
  return { revoked };
}

/** A connection of this school (its own or a teacher's), or null. */
export async function schoolConnection(db: Db, schoolId: string, id: string): Promise<Connection | null> {
  const [row] = await db.select().from(connections).where(and(eq(connections.id, id), eq(connections.schoolId, schoolId)));
  return row ?? null;
}

/** A connection by id (the CLI), or null. */
export async function connectionById(db: Db, id: string): Promise<Connection | null> {
  const [row] = await db.select().from(connections).where(eq(connections.id, id));
  return row ?? null;
}

/** Every connection (or one school's), by school code and provider, for the operator's list. */
export async function listConnections(db: Db, schoolCode?: string) {
  const school = schoolCode ? await schoolByCode(db, schoolCode) : null;
  return db
    .select({
      id: connections.id,
      schoolCode: organizations.code,
      provider: connections.provider,
      teacher: users.fullName,
      status: connections.status,
      statusReason: connections.statusReason,
      accountName: connections.accountName,
      lastOkAt: connections.lastOkAt,
    })
    .from(connections)
    .innerJoin(organizations, eq(organizations.id, connections.schoolId))
    .leftJoin(users, eq(users.id, connections.teacherId))
    .where(school ? eq(connections.schoolId, school.id) : undefined)
    .orderBy(asc(organizations.code), asc(connections.provider), asc(connections.createdAt));
}
