import { Form, useActionData, useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/class-passwords";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { getClassForTeacher } from "../services/classes.server.ts";
import { studentsWithParents } from "../services/families.server.ts";
import { resetPasswordInClass } from "../services/recovery.server.ts";
import { subjectName } from "../lib/curriculum.ts";
import { Notice } from "../components/forms.tsx";
import { useLocale, useT } from "../i18n/index.ts";
import { formObject, readForm } from "./_form.server.ts";
import { pageTitle } from "../lib/meta.ts";

/** A teacher resets the password of a student of the class: a temporary one, shown once. */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const cls = await getClassForTeacher(db, actor, params.classId);
  const students = await studentsWithParents(db, cls.id);
  return { class: cls, students: students.map(({ id, fullName }) => ({ id, fullName })) };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const cls = await getClassForTeacher(db, actor, params.classId);
  const { studentId } = formObject(await readForm(request, context));
  return resetPasswordInClass(db, actor, cls.id, studentId);
}

export default function ClassPasswords() {
  const { class: cls, students } = useLoaderData<typeof loader>();
  const reset = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  return (
    <>
      <p>
        <Link to={`/classes/${cls.id}`}>
          ← {subjectName(cls.subject, locale)} {cls.name}
        </Link>
      </p>
      <h1>{t("recovery.studentsTitle")}</h1>
      <p>{t("recovery.studentsHelp")}</p>
      {reset ? (
        <Notice>
          <span data-testid="temporary-password">{t("recovery.resetDone", { name: reset.fullName, login: reset.login, password: reset.password })}</span>
        </Notice>
      ) : null}
      <ul className="list card">
        {students.map((s) => (
          <li key={s.id} className="row">
            <strong>{s.fullName}</strong>
            <Form method="post">
              <button type="submit" name="studentId" value={s.id} aria-label={`${t("recovery.resetPassword")}: ${s.fullName}`}>
                {t("recovery.resetPassword")}
              </button>
            </Form>
          </li>
        ))}
      </ul>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "recovery.studentsTitle");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
