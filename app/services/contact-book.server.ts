/**
 * The electronic contact book (sổ liên lạc điện tử): one conversation per student between the
 * student's parents and the school. Who is in it:
 * - the student's parents (parent_links), always;
 * - the homeroom teacher of a group the student is in, always;
 * - a subject teacher of one of the student's classes: may read and write; joins the thread (a
 *   thread_participants row) when they write or a parent asks them to;
 * - an admin of the student's school (school_admin): may read and write.
 * Students do not see it. Anyone else gets "not found", whatever id they guess.
 *
 * The thread is created with its first message (unique student_id, insert … on conflict). Every
 * message writes its event in the same transaction: `note.posted` for a teacher's note about the
 * student, `thread.message` for a reply; the fan-out turns them into the other side's news.
 */
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { json, selectRows, type Db, type DbOrTx, type Tx } from "../../db/client.server.ts";
import { attachments, threadMessages, threadParticipants, threads } from "../../db/schema/index.ts";
import { orgIdsWithRole, type Actor } from "../auth/actor.server.ts";
import { forbidden, isId, notFound } from "../auth/guards.server.ts";
import { nfc, searchFold } from "../lib/vn.ts";
import { MAX_MESSAGE_CHARS } from "../lib/contact-book.ts";
import { recordEvents } from "./events.server.ts";
import { checkFiles, MAX_ATTACHED_BYTES, stageFiles, transactionWithFiles, type StagedFile } from "./files.server.ts";
import { fail, ok, type Result } from "./result.ts";

/** Which side of the conversation a person writes from. */
export type Side = "parent" | "teacher" | "school_admin";

/** How much of a message an event (and so a notification) carries. */
const EXCERPT_CHARS = 160;

export function excerpt(text: string, max = EXCERPT_CHARS): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

export type ThreadAccess = {
  side: Side;
  student: { id: string; fullName: string };
  schoolId: string;
  threadId: string | null;
  /** The actor is in the thread: a parent, the homeroom teacher, a joined teacher or an admin. */
  inThread: boolean;
  /** A subject teacher who has not joined yet. */
  canJoin: boolean;
  deactivated: boolean;
};

/**
 * What the actor may do with a student's thread, or "not found": the student must be theirs (a
 * parent's child; a student of a class they teach or a group they are the homeroom teacher of;
 * a student of a school they administer).
 */
export async function requireThreadAccess(db: DbOrTx, actor: Actor, studentId: unknown): Promise<ThreadAccess> {
  if (!isId(studentId)) throw notFound();
  const adminSchools = orgIdsWithRole(actor, "school_admin");
  const [row] = await selectRows<{
    id: string;
    fullName: string;
    schoolId: string | null;
    parent: boolean;
    teaches: boolean;
    homeroom: boolean;
    admin: boolean;
    threadId: string | null;
    participant: boolean;
    deactivated: boolean;
  }>(
    db,
    sql`
    select u.id, u.full_name as "fullName",
      (select m.org_id from memberships m where m.user_id = u.id and m.role = 'student' order by m.created_at limit 1) as "schoolId",
      exists (select 1 from parent_links pl where pl.parent_id = ${actor.id} and pl.student_id = u.id) as parent,
      exists (select 1 from class_members t join class_members s on s.class_id = t.class_id and s.role = 'student' and s.user_id = u.id
              where t.user_id = ${actor.id} and t.role = 'teacher') as teaches,
      exists (select 1 from class_groups g join class_group_members gm on gm.group_id = g.id
              where g.homeroom_teacher_id = ${actor.id} and gm.student_id = u.id) as homeroom,
      exists (select 1 from memberships m where m.user_id = u.id and m.role = 'student'
              and m.org_id = any(${adminSchools.length ? sql`array[${sql.join(adminSchools.map((s) => sql`${s}::uuid`), sql`, `)}]` : sql`array[]::uuid[]`})) as admin,
      (select t.id from threads t where t.student_id = u.id) as "threadId",
      exists (select 1 from threads t join thread_participants p on p.thread_id = t.id where t.student_id = u.id and p.user_id = ${actor.id}) as participant,
      (select me.deactivated_at is not null from users me where me.id = ${actor.id}) as deactivated
    from users u where u.id = ${studentId}
    and exists (select 1 from memberships m where m.user_id = u.id and m.role = 'student')`,
  );
  if (!row || !row.schoolId) throw notFound();
  const side: Side | null = row.parent ? "parent" : row.teaches || row.homeroom ? "teacher" : row.admin ? "school_admin" : null;
  if (!side) throw notFound();
  const inThread = side === "parent" || side === "school_admin" || row.homeroom || row.participant;
  return {
    side,
    student: { id: row.id, fullName: row.fullName },
    schoolId: row.schoolId,
    threadId: row.threadId,
    inThread,
    canJoin: side === "teacher" && !inThread,
    deactivated: Boolean(row.deactivated),
  };
}

/** The student's thread, created if it is not there yet: two first messages at once make one. */
export async function ensureThread(tx: DbOrTx, studentId: string, schoolId: string): Promise<string> {
  const [made] = await tx.insert(threads).values({ studentId, schoolId }).onConflictDoNothing({ target: threads.studentId }).returning({ id: threads.id });
  if (made) return made.id;
  const [existing] = await tx.select({ id: threads.id }).from(threads).where(eq(threads.studentId, studentId));
  return existing.id;
}

const MessageSchema = z.object({
  intent: z.enum(["message", "note"]).default("message"),
  body: z
    .string()
    .default("")
    .transform((v) => nfc(v).trim())
    .pipe(z.string().min(1, "contactBook.errors.bodyRequired").max(MAX_MESSAGE_CHARS, "contactBook.errors.bodyLong")),
});

function fieldErrors(issues: { path: PropertyKey[]; message: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of issues) {
    const field = String(i.path[0] ?? "form");
    out[field] ??= i.message.startsWith("contactBook.") ? i.message : "errors.invalid";
  }
  return out;
}

/**
 * Write in a student's thread: a reply (`intent: "message"`, anyone in it) or a teacher's note
 * about the student (`intent: "note"`, teachers only). Files go with the message under the lesson
 * attachments' limits; a refused file refuses the whole message (nothing is stored), so what the
 * writer meant to send is never half sent.
 */
export async function postMessage(
  db: Db,
  actor: Actor,
  studentId: unknown,
  raw: unknown,
  files: File[] = [],
): Promise<Result<{ threadId: string; messageId: string; kind: "message" | "note" }>> {
  const access = await requireThreadAccess(db, actor, studentId);
  if (access.deactivated) throw forbidden();
  const parsed = MessageSchema.safeParse(raw);
  if (!parsed.success) return fail(fieldErrors(parsed.error.issues));
  const { intent, body } = parsed.data;
  if (intent === "note" && access.side !== "teacher") throw forbidden();
  const problem = await checkFiles(files);
  if (problem) return fail({ files: `errors.file_${problem.reason}` });
  if (files.reduce((n, f) => n + f.size, 0) > MAX_ATTACHED_BYTES) return fail({ files: "contactBook.errors.filesTotal" });

  const staged = await stageFiles(files);
  const value = await transactionWithFiles(db, staged, async (tx) => {
    const now = new Date();
    const threadId = await ensureThread(tx, access.student.id, access.schoolId);
    const [m] = await tx
      .insert(threadMessages)
      .values({ threadId, authorId: actor.id, kind: intent, body, createdAt: now })
      .returning({ id: threadMessages.id });
    await attachToMessage(tx, m.id, actor.id, staged);
    await tx.update(threads).set({ lastMessageAt: now }).where(eq(threads.id, threadId));
    // Writing joins the thread and marks everything up to one's own message as read.
    await markReadTx(tx, threadId, actor.id, now);
    const payload = { threadId, messageId: m.id, authorId: actor.id, authorName: actor.fullName, excerpt: excerpt(body) };
    await recordEvents(tx, [
      intent === "note"
        ? { type: "note.posted", schoolId: access.schoolId, studentId: access.student.id, actorId: actor.id, subjectId: m.id, payload }
        : {
            type: "thread.message",
            schoolId: access.schoolId,
            studentId: access.student.id,
            actorId: actor.id,
            subjectId: m.id,
            payload: { ...payload, authorRole: access.side },
          },
    ]);
    return { threadId, messageId: m.id, kind: intent };
  });
  return ok(value);
}

async function attachToMessage(tx: Tx, messageId: string, ownerId: string, staged: StagedFile[]) {
  if (staged.length === 0) return;
  await tx
    .insert(attachments)
    .values(staged.map((s) => ({ messageId, ownerId, filename: s.filename, contentType: s.contentType, size: s.size, storageKey: s.key })));
}

async function markReadTx(tx: DbOrTx, threadId: string, userId: string, at: Date) {
  await tx
    .insert(threadParticipants)
    .values({ threadId, userId, lastReadAt: at })
    .onConflictDoUpdate({
      target: [threadParticipants.threadId, threadParticipants.userId],
      set: { lastReadAt: sql`greatest(${threadParticipants.lastReadAt}, excluded.last_read_at)` },
    });
}

/**
 * A parent asks a subject teacher of one of the child's classes to join the thread. Anyone else
 * named (a teacher of another class or school, a parent, a made-up id) is "not found".
 */
export async function inviteTeacher(db: Db, actor: Actor, studentId: unknown, teacherId: unknown): Promise<{ fullName: string }> {
  const access = await requireThreadAccess(db, actor, studentId);
  if (access.side !== "parent") throw forbidden();
  if (access.deactivated) throw forbidden();
  if (!isId(teacherId)) throw notFound();
  const [teacher] = await selectRows<{ fullName: string }>(
    db,
    sql`select u.full_name as "fullName" from users u
        where u.id = ${teacherId} and exists (
          select 1 from class_members t join class_members s on s.class_id = t.class_id and s.role = 'student' and s.user_id = ${access.student.id}
          where t.user_id = u.id and t.role = 'teacher')`,
  );
  if (!teacher) throw notFound();
  await db.transaction(async (tx) => {
    const threadId = await ensureThread(tx, access.student.id, access.schoolId);
    await tx.insert(threadParticipants).values({ threadId, userId: teacherId }).onConflictDoNothing();
  });
  return teacher;
}

export type ThreadMessageView = {
  id: string;
  kind: "message" | "note" | "announcement";
  body: string;
  createdAt: string;
  authorId: string;
  authorName: string;
  authorSide: Side;
  files: { id: string; filename: string; size: number }[];
  /** Who on the other side has read up to this message (only on each side's latest message). */
  seenBy: { name: string; side: Side }[] | null;
};

/**
 * A thread as its reader sees it, oldest message first, with read receipts; opening it moves the
 * reader's read position (when they are in it).
 */
export async function openThread(db: Db, actor: Actor, studentId: unknown) {
  const access = await requireThreadAccess(db, actor, studentId);
  const sid = access.student.id;
  const [row] = await selectRows<{ messages: unknown; readers: unknown; homeroom: unknown; teachers: unknown; lastReadAt: string | null }>(
    db,
    sql`
    with th as (select id from threads where student_id = ${sid}),
    parents as (select pl.parent_id as id from parent_links pl where pl.student_id = ${sid}),
    homeroom as (select g.homeroom_teacher_id as id from class_groups g join class_group_members gm on gm.group_id = g.id
                 where gm.student_id = ${sid} and g.homeroom_teacher_id is not null),
    teaching as (select distinct t.user_id as id from class_members t join class_members s on s.class_id = t.class_id and s.role = 'student' and s.user_id = ${sid}
                 where t.role = 'teacher')
    select
      (select coalesce(json_agg(x order by x."createdAt", x.id), '[]') from (
        select m.id, m.kind, m.body, m.created_at as "createdAt", m.author_id as "authorId", u.full_name as "authorName",
          case when m.author_id in (select id from parents) then 'parent'
               when m.author_id in (select id from homeroom) or m.author_id in (select id from teaching) then 'teacher'
               else 'school_admin' end as "authorSide",
          (select coalesce(json_agg(json_build_object('id', a.id, 'filename', a.filename, 'size', a.size) order by a.created_at), '[]')
           from attachments a where a.message_id = m.id) as files
        from thread_messages m join users u on u.id = m.author_id
        where m.thread_id = (select id from th)) x) as messages,
      (select coalesce(json_agg(x), '[]') from (
        select p.user_id as id, u.full_name as name, p.last_read_at as "lastReadAt",
          case when p.user_id in (select id from parents) then 'parent'
               when p.user_id in (select id from homeroom) or p.user_id in (select id from teaching) then 'teacher'
               else 'school_admin' end as side
        from thread_participants p join users u on u.id = p.user_id
        where p.thread_id = (select id from th)) x) as readers,
      (select coalesce(json_agg(x), '[]') from (select distinct u.id, u.full_name as "fullName" from homeroom h join users u on u.id = h.id) x) as homeroom,
      (select coalesce(json_agg(x order by x."fullName"), '[]') from (
        select u.id, u.full_name as "fullName",
          exists (select 1 from thread_participants p where p.thread_id = (select id from th) and p.user_id = u.id) as joined,
          (select coalesce(json_agg(json_build_object('name', c.name, 'subject', c.subject) order by c.subject), '[]') from classes c
           join class_members t on t.class_id = c.id and t.user_id = u.id and t.role = 'teacher'
           join class_members s on s.class_id = c.id and s.user_id = ${sid} and s.role = 'student') as classes
        from teaching tc join users u on u.id = tc.id
        where u.id not in (select id from homeroom)) x) as teachers,
      (select p.last_read_at from thread_participants p where p.thread_id = (select id from th) and p.user_id = ${actor.id}) as "lastReadAt"
  `,
  );
  type Raw = Omit<ThreadMessageView, "seenBy">;
  const raw = json<Raw[]>(row.messages);
  const readers = json<{ id: string; name: string; lastReadAt: string | null; side: Side }[]>(row.readers);
  const staffSide = (s: Side) => (s === "parent" ? "parent" : "staff");
  // Read receipts on each side's latest message: who of the other side has read that far.
  const latest = new Map<string, string>();
  for (const m of raw) latest.set(staffSide(m.authorSide), m.id);
  const messages: ThreadMessageView[] = raw.map((m) => {
    if (latest.get(staffSide(m.authorSide)) !== m.id) return { ...m, seenBy: null };
    const at = new Date(m.createdAt).getTime();
    const seen = readers
      .filter((r) => staffSide(r.side) !== staffSide(m.authorSide) && r.lastReadAt && new Date(r.lastReadAt).getTime() >= at)
      .map((r) => ({ name: r.name, side: r.side }));
    return { ...m, seenBy: seen.length ? seen : null };
  });
  const previousRead = row.lastReadAt;
  if (access.threadId && access.inThread) await markReadTx(db, access.threadId, actor.id, new Date());
  return {
    student: access.student,
    side: access.side,
    inThread: access.inThread,
    canJoin: access.canJoin,
    messages,
    /** Messages after this moment were new to the reader when the page was opened. */
    newSince: access.inThread ? previousRead : null,
    homeroom: json<{ id: string; fullName: string }[]>(row.homeroom),
    teachers: json<{ id: string; fullName: string; joined: boolean; classes: unknown }[]>(row.teachers).map((x) => ({ ...x, classes: json<{ name: string; subject: string }[]>(x.classes) })),
    parents: readers.filter((r) => r.side === "parent").map((r) => r.name),
  };
}

// ---------------------------------------------------------------------------------------------
// Lists

export type ThreadListItem = {
  studentId: string;
  fullName: string;
  threadId: string | null;
  unread: number;
  lastAt: string | null;
  lastBody: string | null;
  lastAuthor: string | null;
  homeroom: boolean;
  groupName: string | null;
};

/** `in thread` and unread counts: messages after the person's read position, not their own. */
const unreadFor = (userId: string, counted: ReturnType<typeof sql>) => sql`
  case when t.id is null or not (${counted}) then 0 else (
    select count(*)::int from thread_messages m
    where m.thread_id = t.id and m.author_id <> ${userId}
      and m.created_at > coalesce((select p.last_read_at from thread_participants p where p.thread_id = t.id and p.user_id = ${userId}), '-infinity'::timestamptz)
  ) end`;

const lastMessage = sql`
  (select json_build_object('at', m.created_at, 'body', m.body, 'author', au.full_name) from thread_messages m join users au on au.id = m.author_id
   where m.thread_id = t.id order by m.created_at desc, m.id desc limit 1)`;

type ListRow = { studentId: string; fullName: string; threadId: string | null; unread: number; last: unknown; homeroom: boolean; groupName: string | null; teachers?: unknown };

function toItem(r: ListRow): ThreadListItem & { teachers: string[] } {
  const last = json<{ at: string; body: string; author: string } | null>(r.last);
  return {
    studentId: r.studentId,
    fullName: r.fullName,
    threadId: r.threadId,
    unread: Number(r.unread),
    lastAt: last?.at ?? null,
    lastBody: last ? excerpt(last.body, 120) : null,
    lastAuthor: last?.author ?? null,
    homeroom: Boolean(r.homeroom),
    groupName: r.groupName,
    teachers: json<string[] | null>(r.teachers ?? null) ?? [],
  };
}

/** A parent's children with their threads: unread count, last message, who is in it. */
export async function parentThreads(db: Db, actor: Actor) {
  const rows = await selectRows<ListRow>(
    db,
    sql`
    select s.id as "studentId", s.full_name as "fullName", t.id as "threadId",
      ${unreadFor(actor.id, sql`true`)} as unread, ${lastMessage} as last, false as homeroom,
      (select g.name from class_groups g join class_group_members gm on gm.group_id = g.id where gm.student_id = s.id order by g.school_year desc limit 1) as "groupName",
      (select coalesce(json_agg(distinct u.full_name), '[]') from users u where u.id in (
         select g.homeroom_teacher_id from class_groups g join class_group_members gm on gm.group_id = g.id where gm.student_id = s.id
         union select p.user_id from thread_participants p where p.thread_id = t.id
           and p.user_id not in (select parent_id from parent_links where student_id = s.id)
           and exists (select 1 from memberships mm where mm.user_id = p.user_id and mm.role = 'teacher'))) as teachers
    from parent_links pl join users s on s.id = pl.student_id
    left join threads t on t.student_id = s.id
    where pl.parent_id = ${actor.id}
      and exists (select 1 from memberships m where m.user_id = s.id and m.role = 'student')
    order by s.sort_key, s.id`,
  );
  return rows.map(toItem);
}

const ListQuery = z.object({
  q: z.string().max(100).optional().default(""),
  class: z.string().optional().default(""),
});

/**
 * A teacher's threads: every student of their classes and homeroom groups, unread first, then
 * their homeroom students, then the latest conversation. Filter by one class (or homeroom group)
 * of theirs; search by the student's name without tones. A subject teacher who has not joined a
 * thread sees no unread count for it (they are not told of its messages).
 */
export async function teacherThreads(db: Db, actor: Actor, raw: unknown, limit = 200) {
  const query = ListQuery.safeParse(raw);
  const q = query.success ? searchFold(query.data.q) : "";
  const filter = query.success && isId(query.data.class) ? query.data.class : null;
  const [opts] = await selectRows<{ classes: unknown; groups: unknown }>(
    db,
    sql`select
      (select coalesce(json_agg(x order by x.name, x.subject), '[]') from (
        select c.id, c.name, c.subject from class_members t join classes c on c.id = t.class_id where t.user_id = ${actor.id} and t.role = 'teacher') x) as classes,
      (select coalesce(json_agg(x order by x.name), '[]') from (
        select g.id, g.name from class_groups g where g.homeroom_teacher_id = ${actor.id}) x) as groups`,
  );
  const classes = json<{ id: string; name: string; subject: string }[]>(opts.classes);
  const groups = json<{ id: string; name: string }[]>(opts.groups);
  const byClass = filter && classes.some((c) => c.id === filter) ? filter : null;
  const byGroup = filter && !byClass && groups.some((g) => g.id === filter) ? filter : null;
  const rows = await selectRows<ListRow>(
    db,
    sql`
    with mine as (
      select s.user_id as id from class_members t join class_members s on s.class_id = t.class_id and s.role = 'student'
      where t.user_id = ${actor.id} and t.role = 'teacher' ${byClass ? sql`and t.class_id = ${byClass}` : byGroup ? sql`and false` : sql``}
      union
      select gm.student_id from class_groups g join class_group_members gm on gm.group_id = g.id
      where g.homeroom_teacher_id = ${actor.id} ${byGroup ? sql`and g.id = ${byGroup}` : byClass ? sql`and false` : sql``}
    ), st as (
      select u.id, u.full_name, u.sort_key,
        exists (select 1 from class_groups g join class_group_members gm on gm.group_id = g.id where g.homeroom_teacher_id = ${actor.id} and gm.student_id = u.id) as homeroom
      from mine join users u on u.id = mine.id
      where true ${q ? sql`and u.search_name like ${"%" + q.replace(/[%_\\]/g, "\\$&") + "%"}` : sql``}
    )
    select x."studentId", x."fullName", x."threadId", x.unread, x.homeroom, x."groupName", x.last from (
      select st.id as "studentId", st.full_name as "fullName", t.id as "threadId", st.sort_key, t.last_message_at,
        ${unreadFor(actor.id, sql`st.homeroom or exists (select 1 from thread_participants p where p.thread_id = t.id and p.user_id = ${actor.id})`)} as unread,
        st.homeroom, ${lastMessage} as last,
        (select g.name from class_groups g join class_group_members gm on gm.group_id = g.id where gm.student_id = st.id order by g.school_year desc limit 1) as "groupName"
      from st left join threads t on t.student_id = st.id
    ) x
    order by x.unread > 0 desc, x.homeroom desc, x.last_message_at desc nulls last, x.sort_key, x."studentId"
    limit ${limit}`,
  );
  return {
    items: rows.map(toItem),
    classes,
    groups,
    query: { q: query.success ? query.data.q : "", class: byClass ?? byGroup ?? "" },
  };
}

/** A school admin's threads: the school's conversations, latest first, searchable by name. */
export async function adminThreads(db: Db, actor: Actor, raw: unknown, limit = 100) {
  const schools = orgIdsWithRole(actor, "school_admin");
  const query = ListQuery.safeParse(raw);
  const q = query.success ? searchFold(query.data.q) : "";
  if (schools.length === 0) return [];
  const rows = await selectRows<ListRow>(
    db,
    sql`
    select u.id as "studentId", u.full_name as "fullName", t.id as "threadId",
      ${unreadFor(actor.id, sql`true`)} as unread, ${lastMessage} as last, false as homeroom,
      (select g.name from class_groups g join class_group_members gm on gm.group_id = g.id where gm.student_id = u.id order by g.school_year desc limit 1) as "groupName"
    from threads t join users u on u.id = t.student_id
    where t.school_id in (${sql.join(schools.map((s) => sql`${s}::uuid`), sql`, `)})
      and exists (select 1 from memberships m where m.user_id = u.id and m.role = 'student' and m.org_id = t.school_id)
      ${q ? sql`and u.search_name like ${"%" + q.replace(/[%_\\]/g, "\\$&") + "%"}` : sql``}
    order by t.last_message_at desc nulls last, u.sort_key
    limit ${limit}`,
  );
  return rows.map(toItem);
}

/** The message an attachment belongs to, for the download check: its thread's student. */
export async function requireMessageReader(db: Db, actor: Actor, messageId: string) {
  const [m] = await db
    .select({ studentId: threads.studentId })
    .from(threadMessages)
    .innerJoin(threads, eq(threads.id, threadMessages.threadId))
    .where(and(eq(threadMessages.id, messageId)));
  if (!m) throw notFound();
  await requireThreadAccess(db, actor, m.studentId);
}
