import { Form, useActionData, useLoaderData } from "react-router";
import { z } from "zod";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/group-student";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { groupStudent, requireGroupAccess } from "../services/groups.server.ts";
import { issueLinkCode } from "../services/families.server.ts";
import { resetPasswordInGroup } from "../services/recovery.server.ts";
import { AssignmentStatusList } from "../components/class-work.tsx";
import { CodeChoices, Notice } from "../components/forms.tsx";
import { subjectName } from "../lib/curriculum.ts";
import { formatDate, formatPhone } from "../lib/vn.ts";
import { useLocale, useT } from "../i18n/index.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";

const ROLES = ["teacher", "school_admin", "province_admin"] as const;

/**
 * One student of a class group across all subjects, with the families, for the homeroom teacher
 * (and the school's admins): every subject class's assignments with status, grade and comment.
 */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, ...ROLES);
  return groupStudent(getDb(), actor, params.groupId, params.studentId);
}

const StudentAction = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("parent-code"), uses: z.string().optional(), days: z.string().optional() }),
  z.object({ intent: z.literal("reset-password") }),
]);

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, ...ROLES);
  const db = getDb();
  // The group first: someone who may not see it learns nothing of the form they sent.
  await requireGroupAccess(db, actor, params.groupId);
  const parsed = StudentAction.safeParse(formObject(await readForm(request, context)));
  if (!parsed.success) throw badRequest({ message: "bad_request" });
  if (parsed.data.intent === "reset-password") {
    const reset = await resetPasswordInGroup(db, actor, params.groupId, params.studentId);
    return { reset, code: null };
  }
  // Only a student of this group: the group page is not a way to reach other students.
  await groupStudent(db, actor, params.groupId, params.studentId);
  const code = await issueLinkCode(db, actor, params.studentId, { uses: parsed.data.uses, days: parsed.data.days });
  return { reset: null, code };
}

export default function GroupStudent() {
  const { group, student, work, families } = useLoaderData<typeof loader>();
  const done = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  return (
    <>
      <p>
        <Link to={`/groups/${group.id}`}>← {t("groups.pageTitle", { name: group.name })}</Link>
      </p>
      <h1>{student.fullName}</h1>
      <p className="muted">
        {t("groups.pageTitle", { name: group.name })}
        {student.email ? ` · ${student.email}` : ""}
        {student.phone ? ` · ${formatPhone(student.phone)}` : ""}
      </p>
      <p>
        <Link className="button" to={`/contact-book/${student.id}`}>
          {t("contactBook.openFor", { name: student.fullName })}
        </Link>
      </p>
      {done?.code ? (
        <Notice>
          <span data-testid="link-code">
            {t("classes.parentCodeIssued", { name: student.fullName, code: done.code.code, date: formatDate(done.code.expiresAt), uses: done.code.uses })}
          </span>
        </Notice>
      ) : null}
      {done?.reset ? (
        <Notice>
          <span data-testid="temporary-password">{t("recovery.resetDone", { name: done.reset.fullName, login: done.reset.login, password: done.reset.password })}</span>
        </Notice>
      ) : null}
      <div className="grid grid-2">
        <section className="card" aria-labelledby="families">
          <h2 id="families">
            {t("groups.families")} ({families.length})
          </h2>
          {families.length === 0 ? <p className="muted">{t("groups.noFamilies")}</p> : null}
          <ul className="list">
            {families.map((f) => (
              <li key={f.id} data-parent={f.fullName}>
                <strong>{f.fullName}</strong>
                <div>
                  {f.phone ? <a href={`tel:${f.phone}`}>{formatPhone(f.phone)}</a> : null}
                  {f.phone && f.email ? " · " : null}
                  {f.email ? <a href={`mailto:${f.email}`}>{f.email}</a> : null}
                </div>
              </li>
            ))}
          </ul>
          <Form method="post">
            <input type="hidden" name="intent" value="parent-code" />
            <CodeChoices />
            <button type="submit">{t("classes.parentCodeIssue")}</button>
          </Form>
        </section>
        <section className="card" aria-labelledby="password">
          <h2 id="password">{t("recovery.resetPassword")}</h2>
          <p>{t("recovery.studentsHelp")}</p>
          <Form method="post">
            <button type="submit" name="intent" value="reset-password" aria-label={`${t("recovery.resetPassword")}: ${student.fullName}`}>
              {t("recovery.resetPassword")}
            </button>
          </Form>
        </section>
      </div>
      <h2>{t("groups.allSubjects")}</h2>
      {work.length === 0 ? <p className="card muted">{t("groups.noSubjectClasses")}</p> : null}
      <div className="grid grid-2">
        {work.map((w) => (
          <section key={w.class.id} className="card" aria-labelledby={`subject-${w.class.id}`} data-subject={w.class.subject}>
            <h3 id={`subject-${w.class.id}`}>
              {subjectName(w.class.subject, locale)} ({w.assignments.length})
            </h3>
            {w.class.teachers ? <p className="muted">{t("classWork.teachers", { names: w.class.teachers })}</p> : null}
            {w.assignments.length === 0 ? <p className="muted">{t("classWork.noAssignments")}</p> : null}
            <AssignmentStatusList assignments={w.assignments} />
          </section>
        ))}
      </div>
    </>
  );
}

export const meta: Route.MetaFunction = ({ data }) => [{ title: data ? `${data.student.fullName} · ${data.group.name} · Lớp Số` : "Lớp Số" }];

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
