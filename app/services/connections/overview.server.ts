/**
 * What the "Kết nối" page shows of a school's connections: state, account, last good call, who
 * connected it and when, the teachers' own connections, and the audit trail. Never a secret: the
 * ciphertext column is not even selected.
 */
import { desc, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../../db/client.server.ts";
import { connectionAudit, connections, PROVIDERS, users, type ConnectionStatus, type ProviderName } from "../../../db/schema/index.ts";
import { GOOGLE_SCHOOL_SCOPES, type GoogleScopeName } from "../../../integrations/google/config.ts";

export type ConnectionView = {
  id: string;
  provider: ProviderName;
  kind: string;
  status: ConnectionStatus;
  statusReason: string | null;
  statusMessage: string | null;
  externalAccount: string | null;
  accountName: string | null;
  clientId: string | null;
  lastOkAt: string | null;
  lastErrorAt: string | null;
  connectedAt: string | null;
  connectedBy: string | null;
  teacher: string | null;
  /**
   * A connected Google grant's scopes that the hub asks for now and the grant lacks (a capability
   * added since it was given, such as reading Forms quizzes): its admin is asked to grant more.
   */
  missingScopes: GoogleScopeName[];
};

const columns = {
  id: connections.id,
  provider: connections.provider,
  kind: connections.kind,
  status: connections.status,
  statusReason: connections.statusReason,
  statusMessage: connections.statusMessage,
  externalAccount: connections.externalAccount,
  accountName: connections.accountName,
  clientId: connections.clientId,
  lastOkAt: connections.lastOkAt,
  lastErrorAt: connections.lastErrorAt,
  connectedAt: connections.connectedAt,
  connectedBy: connections.connectedBy,
  teacherId: connections.teacherId,
  scopes: connections.scopes,
};

export async function schoolConnections(db: DbOrTx, schoolId: string) {
  const rows = await db.select(columns).from(connections).where(eq(connections.schoolId, schoolId));
  const people = [...new Set(rows.flatMap((r) => [r.connectedBy, r.teacherId]).filter((x): x is string => !!x))];
  const named = people.length ? await db.select({ id: users.id, fullName: users.fullName }).from(users).where(inArray(users.id, people)) : [];
  const names = new Map(named.map((u) => [u.id, u.fullName]));
  const view = (r: (typeof rows)[number]): ConnectionView => ({
    id: r.id,
    provider: r.provider,
    kind: r.kind,
    status: r.status,
    statusReason: r.statusReason,
    statusMessage: r.statusMessage,
    externalAccount: r.externalAccount,
    accountName: r.accountName,
    clientId: r.clientId,
    lastOkAt: r.lastOkAt?.toISOString() ?? null,
    lastErrorAt: r.lastErrorAt?.toISOString() ?? null,
    connectedAt: r.connectedAt?.toISOString() ?? null,
    connectedBy: r.connectedBy ? (names.get(r.connectedBy) ?? null) : null,
    teacher: r.teacherId ? (names.get(r.teacherId) ?? null) : null,
    missingScopes:
      r.provider === "google" && r.status === "connected"
        ? GOOGLE_SCHOOL_SCOPES.filter((s) => !r.scopes.includes(s.scope) && (r.teacherId === null || s.name !== "guardians")).map((s) => s.name)
        : [],
  });
  const school = Object.fromEntries(PROVIDERS.map((p) => [p, null])) as Record<ProviderName, ConnectionView | null>;
  for (const r of rows) if (!r.teacherId) school[r.provider] = view(r);
  const teachers = rows.filter((r) => r.teacherId).map(view);
  teachers.sort((a, b) => (a.teacher ?? "").localeCompare(b.teacher ?? "", "vi") || a.provider.localeCompare(b.provider));
  return { school, teachers };
}

export type AuditView = { id: number; at: string; provider: ProviderName; action: string; outcome: string; actor: string | null; address: string | null };

/** The school's audit trail, newest first. */
export async function schoolAudit(db: DbOrTx, schoolId: string, limit = 30): Promise<AuditView[]> {
  const rows = await db
    .select({
      id: connectionAudit.id,
      at: connectionAudit.at,
      provider: connectionAudit.provider,
      action: connectionAudit.action,
      outcome: connectionAudit.outcome,
      actor: users.fullName,
      address: connectionAudit.address,
    })
    .from(connectionAudit)
    .leftJoin(users, eq(users.id, connectionAudit.actorId))
    .where(eq(connectionAudit.schoolId, schoolId))
    .orderBy(desc(connectionAudit.id))
    .limit(limit);
  return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
}
