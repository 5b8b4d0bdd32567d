/** "Hôm nay": one timeline of every class a student is in. */
import { and, asc, desc, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client.server.ts";
import { assignments, classes, classMembers, lessons, submissions } from "../../db/schema/index.ts";
import type { Actor } from "../auth/actor.server.ts";

const DAY = 24 * 3600 * 1000;

export async function studentToday(db: Db, actor: Actor, now = new Date()) {
  const myClasses = await db
    .select({ id: classes.id, name: classes.name, subject: classes.subject })
    .from(classMembers)
    .innerJoin(classes, eq(classes.id, classMembers.classId))
    .where(and(eq(classMembers.userId, actor.id), eq(classMembers.role, "student")))
    .orderBy(asc(classes.name), asc(classes.subject));
  const ids = myClasses.map((c) => c.id);
  if (ids.length === 0) return { classes: [], newLessons: [], dueSoon: [], overdue: [], recentGrades: [] };

  const openWork = (range: ReturnType<typeof and>) =>
    db
      .select({
        id: assignments.id,
        title: assignments.title,
        dueAt: assignments.dueAt,
        className: classes.name,
        subject: classes.subject,
      })
      .from(assignments)
      .innerJoin(classes, eq(classes.id, assignments.classId))
      .leftJoin(submissions, and(eq(submissions.assignmentId, assignments.id), eq(submissions.studentId, actor.id)))
      .where(and(inArray(assignments.classId, ids), range, or(isNull(submissions.id), eq(submissions.status, "missing"))));

  const [newLessons, dueSoon, overdue, recentGrades] = await Promise.all([
    db
      .select({ id: lessons.id, title: lessons.title, publishedAt: lessons.publishedAt, className: classes.name, subject: classes.subject })
      .from(lessons)
      .innerJoin(classes, eq(classes.id, lessons.classId))
      .where(and(inArray(lessons.classId, ids), eq(lessons.status, "published"), gt(lessons.publishedAt, new Date(now.getTime() - 7 * DAY))))
      .orderBy(desc(lessons.publishedAt))
      .limit(20),
    openWork(and(gt(assignments.dueAt, now), lt(assignments.dueAt, new Date(now.getTime() + 7 * DAY)))).orderBy(asc(assignments.dueAt)).limit(20),
    openWork(and(lt(assignments.dueAt, now), gt(assignments.dueAt, new Date(now.getTime() - 60 * DAY)))).orderBy(desc(assignments.dueAt)).limit(20),
    db
      .select({
        assignmentId: assignments.id,
        title: assignments.title,
        className: classes.name,
        subject: classes.subject,
        scale: assignments.scale,
        maxPoints: assignments.maxPoints,
        score: submissions.score,
        level: submissions.level,
        comment: submissions.comment,
        gradedAt: submissions.gradedAt,
      })
      .from(submissions)
      .innerJoin(assignments, eq(assignments.id, submissions.assignmentId))
      .innerJoin(classes, eq(classes.id, assignments.classId))
      .where(and(eq(submissions.studentId, actor.id), eq(submissions.status, "graded"), gt(submissions.gradedAt, new Date(now.getTime() - 14 * DAY))))
      .orderBy(desc(submissions.gradedAt))
      .limit(10),
  ]);
  return { classes: myClasses, newLessons, dueSoon, overdue, recentGrades };
}

export { sql };
