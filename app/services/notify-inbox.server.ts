/**
 * The in-app inbox ("Thông báo"): the signed-in person's items, newest first, a page at a time
 * (keyset on id), and marking them read. Every query is scoped by the person's id.
 */
import { and, desc, eq, isNull, lt, lte, sql, type AnyColumn } from "drizzle-orm";
import type { Db } from "../../db/client.server.ts";
import { notifications, users } from "../../db/schema/index.ts";

export const INBOX_PAGE_SIZE = 20;
/** The menu's badge counts up to this many unread items, then shows "9+". */
export const UNREAD_CAP = 9;

export type InboxItem = {
  id: number;
  title: string;
  body: string;
  link: string | null;
  kind: string;
  studentName: string | null;
  createdAt: string;
  read: boolean;
};

export async function listInbox(db: Db, userId: string, opts: { before?: number; limit?: number } = {}) {
  const limit = opts.limit ?? INBOX_PAGE_SIZE;
  const rows = await db
    .select({
      id: notifications.id,
      title: notifications.title,
      body: notifications.body,
      link: notifications.link,
      kind: notifications.kind,
      studentName: users.fullName,
      createdAt: notifications.createdAt,
      readAt: notifications.readAt,
    })
    .from(notifications)
    .leftJoin(users, eq(users.id, notifications.studentId))
    .where(and(eq(notifications.userId, userId), opts.before ? lt(notifications.id, opts.before) : undefined))
    .orderBy(desc(notifications.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const items: InboxItem[] = page.map((r) => ({
    id: r.id,
    title: r.title,
    body: r.body,
    link: r.link,
    kind: r.kind,
    studentName: r.studentName,
    createdAt: r.createdAt.toISOString(),
    read: r.readAt !== null,
  }));
  return { items, nextBefore: rows.length > limit ? page[page.length - 1].id : null };
}

/** Mark one of the person's items read; its link (null when it is not theirs or has none). */
export async function markRead(db: Db, userId: string, id: number): Promise<{ found: boolean; link: string | null }> {
  const [row] = await db
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
    .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
    .returning({ link: notifications.link });
  return { found: Boolean(row), link: row?.link ?? null };
}

/**
 * Mark every unread item read, up to the newest one the page showed (`upTo`): an item that came
 * in while the person read the list stays unread.
 */
export async function markAllRead(db: Db, userId: string, upTo?: number): Promise<number> {
  const rows = await db
    .update(notifications)
    .set({ readAt: sql`now()` })
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt), upTo ? lte(notifications.id, upTo) : undefined))
    .returning({ id: notifications.id });
  return rows.length;
}

/**
 * The menu's unread count as SQL for the session lookup (one round trip per page): at most
 * UNREAD_CAP + 1 rows of the partial index `notifications_unread_idx` are read.
 */
export const unreadCountSql = (userIdColumn: AnyColumn) =>
  sql<number>`(select count(*)::int from (select 1 from ${notifications} n where n.user_id = ${userIdColumn} and n.read_at is null limit ${sql.raw(String(UNREAD_CAP + 1))}) unread)`;
