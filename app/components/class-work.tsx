/** A class's assignments and published lessons, newest first, each assignment with its status as text. */
import { Link } from "./link.tsx";
import { displayGrade } from "../services/grades.ts";
import { formatDateTime } from "../lib/vn.ts";
import { useLocale, useT } from "../i18n/index.ts";
import type { ClassWork, WorkStatus } from "../services/class-work.server.ts";

const BADGE: Record<WorkStatus, string> = {
  graded: "badge badge-ok",
  submitted: "badge",
  overdue: "badge badge-err",
  open: "badge badge-warn",
};

/**
 * `assignmentHref` is given where the reader may open an assignment (the student); a parent reads
 * the titles, statuses, grades and comments here.
 */
export function ClassWorkLists({
  lessons,
  assignments,
  assignmentHref,
}: Pick<ClassWork, "lessons" | "assignments"> & { assignmentHref?: (id: string) => string }) {
  const t = useT();
  return (
    <div className="grid grid-2">
      <section className="card" aria-labelledby="class-assignments">
        <h2 id="class-assignments">
          {t("classWork.assignments")} ({assignments.length})
        </h2>
        {assignments.length === 0 ? <p className="muted">{t("classWork.noAssignments")}</p> : null}
        <AssignmentStatusList assignments={assignments} assignmentHref={assignmentHref} />
      </section>
      <section className="card" aria-labelledby="class-lessons">
        <h2 id="class-lessons">
          {t("classWork.lessons")} ({lessons.length})
        </h2>
        {lessons.length === 0 ? <p className="muted">{t("classWork.noLessons")}</p> : null}
        <ul className="list">
          {lessons.map((l) => (
            <li key={l.id}>
              <Link to={`/lessons/${l.id}`}>{l.title}</Link>
              <div className="muted">{t("classWork.published", { date: formatDateTime(l.publishedAt) })}</div>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

/**
 * A class's assignments, each with one student's status as text, grade and the teacher's comment:
 * on the student's and the parent's class pages, and per subject on the homeroom teacher's page of
 * a student.
 */
export function AssignmentStatusList({ assignments, assignmentHref }: Pick<ClassWork, "assignments"> & { assignmentHref?: (id: string) => string }) {
  const t = useT();
  const locale = useLocale();
  return (
    <ul className="list">
      {assignments.map((a) => {
        const grade = a.status === "graded" ? displayGrade(a.scale, a, a.maxPoints, locale) : "";
        return (
          <li key={a.id} data-status={a.status}>
            <div className="row">
              {assignmentHref ? <Link to={assignmentHref(a.id)}>{a.title}</Link> : <span>{a.title}</span>}
              {grade ? <span className="grade">{t("classWork.grade", { grade })}</span> : null}
            </div>
            <div className="muted">
              <span className={BADGE[a.status]}>{t(`classWork.status.${a.status}`)}</span>
              {a.late ? (
                <>
                  {" "}
                  <span className="badge badge-warn">{t("classWork.late")}</span>
                </>
              ) : null}{" "}
              · {t("classWork.due", { date: formatDateTime(a.dueAt) })}
            </div>
            {a.comment ? <p>“{a.comment}”</p> : null}
          </li>
        );
      })}
    </ul>
  );
}
