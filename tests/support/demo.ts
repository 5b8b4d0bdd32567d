/** Find demo rows by their natural keys (school code, class name, email, title). */
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client.server.ts";
import { assignments, classes, lessons, organizations, users } from "../../db/schema/index.ts";
import { firstId } from "./db.ts";

export function demoLookup(db: Db) {
  return {
    school: (code: string) => firstId(db.select({ id: organizations.id }).from(organizations).where(eq(organizations.code, code))),
    class: (name: string, subject?: string) =>
      firstId(db.select({ id: classes.id }).from(classes).where(subject ? and(eq(classes.name, name), eq(classes.subject, subject)) : eq(classes.name, name))),
    user: (email: string) => firstId(db.select({ id: users.id }).from(users).where(eq(users.email, email))),
    assignment: (title: string) => firstId(db.select({ id: assignments.id }).from(assignments).where(eq(assignments.title, title))),
    lesson: (title: string) => firstId(db.select({ id: lessons.id }).from(lessons).where(eq(lessons.title, title))),
  };
}
