import { Form, useActionData, useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/class-families";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { getClassForTeacher } from "../services/classes.server.ts";
import { issueLinkCode, studentsWithParents } from "../services/families.server.ts";
import { subjectName } from "../lib/curriculum.ts";
import { formatDate } from "../lib/vn.ts";
import { CodeChoices, Notice } from "../components/forms.tsx";
import { useLocale, useT } from "../i18n/index.ts";
import { formObject, readForm } from "./_form.server.ts";
import { pageTitle } from "../lib/meta.ts";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const cls = await getClassForTeacher(db, actor, params.classId);
  return { class: cls, students: await studentsWithParents(db, cls.id) };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  await getClassForTeacher(db, actor, params.classId);
  const { studentId, uses, days } = formObject(await readForm(request, context));
  const issued = await issueLinkCode(db, actor, studentId ?? "", { uses, days });
  return { studentId, ...issued };
}

export default function Families() {
  const { class: cls, students } = useLoaderData<typeof loader>();
  const issued = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const name = students.find((s) => s.id === issued?.studentId)?.fullName ?? "";
  return (
    <>
      <p>
        <Link to={`/classes/${cls.id}`}>
          ← {subjectName(cls.subject, locale)} {cls.name}
        </Link>
      </p>
      <h1>{t("classes.parentCodeIssue")}</h1>
      {issued ? (
        <Notice>
          <span data-testid="link-code">{t("classes.parentCodeIssued", { name, code: issued.code, date: formatDate(issued.expiresAt), uses: issued.uses })}</span>
        </Notice>
      ) : null}
      {/* One form: the choices below apply to the code of whichever pupil's button is pressed. */}
      <Form method="post" className="card">
        <CodeChoices />
        <ul className="list">
          {students.map((s) => (
            <li key={s.id} className="row">
              <div>
                <strong>{s.fullName}</strong>
                <div className="muted">{t("classes.parentsLinked", { n: s.parents })}</div>
              </div>
              <button type="submit" name="studentId" value={s.id} aria-label={`${t("classes.parentCode")}: ${s.fullName}`}>
                {t("classes.parentCode")}
              </button>
            </li>
          ))}
        </ul>
      </Form>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "classes.parentCode");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
