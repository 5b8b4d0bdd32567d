/** "Hôm nay": one timeline of every class a student is in. */
import { sql } from "drizzle-orm";
import { json, selectRows, type Db } from "../../db/client.server.ts";
import type { Actor } from "../auth/actor.server.ts";
import type { Level, Scale } from "./grades.ts";

type ClassRef = { className: string; subject: string };
export type TodayData = {
  classes: { id: string; name: string; subject: string }[];
  newLessons: ({ id: string; title: string; publishedAt: string } & ClassRef)[];
  dueSoon: ({ id: string; title: string; dueAt: string } & ClassRef)[];
  upcoming: ({ id: string; title: string; dueAt: string } & ClassRef)[];
  overdue: ({ id: string; title: string; dueAt: string } & ClassRef)[];
  recentGrades: ({
    assignmentId: string;
    title: string;
    scale: Scale;
    maxPoints: string | number | null;
    score: string | number | null;
    level: Level | null;
    comment: string | null;
    gradedAt: string;
  } & ClassRef)[];
};

/**
 * Everything on the page in one round trip: the student's classes, lessons published in the last
 * 7 days, open work due within 7 days, open work due later ("Sắp tới"), overdue work (last 60
 * days), and grades of the last 14 days. Older items are on each class's page (class-work.server.ts).
 */
export async function studentToday(db: Db, actor: Actor, now = new Date()): Promise<TodayData> {
  const at = now.toISOString();
  const [row] = await selectRows<Record<keyof TodayData, unknown>>(
    db,
    sql`
    with my as (
      select c.id, c.name, c.subject
      from class_members cm join classes c on c.id = cm.class_id
      where cm.user_id = ${actor.id} and cm.role = 'student' and c.archived_at is null
    ), open_work as (
      select a.id, a.title, a.due_at as "dueAt", my.name as "className", my.subject
      from assignments a
      join my on my.id = a.class_id
      left join submissions s on s.assignment_id = a.id and s.student_id = ${actor.id}
      where a.archived_at is null
        and a.due_at > ${at}::timestamptz - interval '60 days'
        and (s.id is null or s.status = 'missing')
    )
    select
      (select coalesce(json_agg(json_build_object('id', id, 'name', name, 'subject', subject) order by name, subject), '[]') from my) as classes,
      (select coalesce(json_agg(x), '[]') from (
        select l.id, l.title, l.published_at as "publishedAt", my.name as "className", my.subject
        from lessons l join my on my.id = l.class_id
        where l.status = 'published' and l.published_at > ${at}::timestamptz - interval '7 days'
        order by l.published_at desc limit 20) x) as "newLessons",
      (select coalesce(json_agg(x), '[]') from (
        select * from open_work where "dueAt" > ${at}::timestamptz and "dueAt" < ${at}::timestamptz + interval '7 days'
        order by "dueAt" asc limit 20) x) as "dueSoon",
      (select coalesce(json_agg(x), '[]') from (
        select * from open_work where "dueAt" >= ${at}::timestamptz + interval '7 days' order by "dueAt" asc limit 20) x) as upcoming,
      (select coalesce(json_agg(x), '[]') from (
        select * from open_work where "dueAt" <= ${at}::timestamptz order by "dueAt" desc limit 20) x) as overdue,
      (select coalesce(json_agg(x), '[]') from (
        select a.id as "assignmentId", a.title, my.name as "className", my.subject, a.scale, a.max_points as "maxPoints",
               s.score, s.level, s.comment, s.graded_at as "gradedAt"
        from submissions s
        join assignments a on a.id = s.assignment_id
        join my on my.id = a.class_id
        where s.student_id = ${actor.id} and s.status = 'graded' and a.archived_at is null and s.graded_at > ${at}::timestamptz - interval '14 days'
        order by s.graded_at desc limit 10) x) as "recentGrades"
  `,
  );
  return {
    classes: json(row.classes),
    newLessons: json(row.newLessons),
    dueSoon: json(row.dueSoon),
    upcoming: json(row.upcoming),
    overdue: json(row.overdue),
    recentGrades: json(row.recentGrades),
  };
}
