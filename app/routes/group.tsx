import { useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/group";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { groupPage } from "../services/groups.server.ts";
import { formatSchoolYear, subjectName } from "../lib/curriculum.ts";
import { useLocale, useT } from "../i18n/index.ts";

/** A class group as its homeroom teacher (or the school's admin) sees it: every student, every subject. */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher", "school_admin", "province_admin");
  return groupPage(getDb(), actor, params.groupId);
}

export default function GroupPage() {
  const { group, subjects, students, back } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  return (
    <>
      <p>
        <Link to={back}>← {t(back === "/classes" ? "nav.classes" : "admin.classes")}</Link>
      </p>
      <h1>{t("groups.pageTitle", { name: group.name })}</h1>
      <p className="muted">
        {group.school} · {t("common.schoolYear")} {formatSchoolYear(group.schoolYear)} · {t("groups.homeroomTeacher")}:{" "}
        {group.homeroomTeacher ?? t("admin.noTeacher")}
      </p>
      <div className="grid grid-2">
        <section className="card" aria-labelledby="group-code">
          <h2 id="group-code">{t("groups.joinCode")}</h2>
          <p className="code" data-testid="group-code">
            {group.joinCode}
          </p>
          <p className="muted">{t("groups.joinCodeHint")}</p>
        </section>
        <section className="card" aria-labelledby="group-subjects">
          <h2 id="group-subjects">
            {t("groups.subjects")} ({subjects.length})
          </h2>
          {subjects.length === 0 ? <p className="muted">{t("groups.noSubjects")}</p> : null}
          <ul className="list">
            {subjects.map((s) => (
              <li key={s.id}>
                {subjectName(s.subject, locale)}
                <span className="muted"> · {s.teachers ?? t("admin.noTeacher")}</span>
              </li>
            ))}
          </ul>
        </section>
      </div>
      <section className="card" aria-labelledby="group-students">
        <h2 id="group-students">
          {t("classes.roster")} ({students.length})
        </h2>
        {students.length === 0 ? <p className="muted">{t("classes.noStudents")}</p> : null}
        {students.length > 0 ? <p id="counts-help" className="muted">{t("groups.countsCaption")}</p> : null}
        {students.length > 0 ? (
          <div className="table-wrap">
            <table aria-labelledby="group-students" aria-describedby="counts-help">
              <thead>
                <tr>
                  <th scope="col">{t("common.name")}</th>
                  <th scope="col">{t("common.subject")}</th>
                  <th scope="col">{t("groups.handedIn")}</th>
                  <th scope="col">{t("groups.missing")}</th>
                  <th scope="col">{t("groups.late")}</th>
                  <th scope="col">{t("groups.graded")}</th>
                </tr>
              </thead>
              {students.map((s, i) => {
                const span = Math.max(1, s.subjects.length);
                const name = (
                  <th scope="rowgroup" rowSpan={span}>
                    {i + 1}. <Link to={`/groups/${group.id}/students/${s.id}`}>{s.fullName}</Link>
                  </th>
                );
                return (
                  <tbody key={s.id} data-student={s.fullName}>
                    {s.subjects.length === 0 ? (
                      <tr>
                        {name}
                        <td colSpan={5} className="muted">
                          {t("groups.noSubjectClasses")}
                        </td>
                      </tr>
                    ) : (
                      s.subjects.map((c, j) => (
                        <tr key={c.classId} data-subject={c.subject}>
                          {j === 0 ? name : null}
                          <td>{subjectName(c.subject, locale)}</td>
                          <td>{c.handedIn}</td>
                          <td>{c.missing > 0 ? <span className="badge badge-err">{c.missing}</span> : c.missing}</td>
                          <td>{c.late > 0 ? <span className="badge badge-warn">{c.late}</span> : c.late}</td>
                          <td>{c.graded}</td>
                        </tr>
                      ))
                    )}
                  </tbody>
                );
              })}
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}

export const meta: Route.MetaFunction = ({ data }) => [{ title: data ? `${data.group.name} · Lớp Số` : "Lớp Số" }];

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
