import { useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/child";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { sessionsOfClasses, studentClassIds } from "../services/live-sessions.server.ts";
import { childAttendance } from "../services/attendance.server.ts";
import { SessionList } from "../components/session-list.tsx";
import { childOverview } from "../services/families.server.ts";
import { displayGrade } from "../services/grades.ts";
import { subjectName } from "../lib/curriculum.ts";
import { formatDateTime } from "../lib/vn.ts";
import { useLocale, useT } from "../i18n/index.ts";
import { ListCard } from "../components/list-card.tsx";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "parent");
  const db = getDb();
  const overview = await childOverview(db, actor, params.studentId);
  const now = new Date();
  const [sessions, attendance] = await Promise.all([
    studentClassIds(db, overview.child.id).then((ids) => sessionsOfClasses(db, ids, { from: new Date(now.getTime() - 2 * 3_600_000), to: new Date(now.getTime() + 7 * 86_400_000) }, now)),
    childAttendance(db, overview.child.id),
  ]);
  return { ...overview, sessions, attendance };
}

export default function Child() {
  const data = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const where = (w: { subject: string; className: string }) => `${subjectName(w.subject, locale)} ${w.className}`;
  return (
    <>
      <p>
        <Link to="/children">← {t("parent.title")}</Link>
      </p>
      <h1>{data.child.fullName}</h1>
      <p>
        <Link className="button" to={`/contact-book/${data.child.id}`}>
          {t("contactBook.openFor", { name: data.child.fullName })}
        </Link>
      </p>
      <SessionList items={data.sessions} canJoin={false} />
      {data.attendance.length ? (
        <section className="card" aria-labelledby="child-attendance">
          <h2 id="child-attendance">{t("attendance.childTitle")}</h2>
          <ul className="list" data-testid="child-attendance">
            {data.attendance.map((a) => (
              <li key={`${a.sessionId}:${String(a.at)}`} className="row" data-status={a.status}>
                <span>
                  {a.title} · {formatDateTime(a.at)}
                </span>
                <strong>
                  {t(`attendance.statuses.${a.status}`)}
                  {a.status !== "absent" ? ` (${t("sessions.minutes", { n: a.minutes })})` : ""}
                </strong>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <div className="grid grid-2">
        <ListCard id="grades" title={t("parent.grades")} empty={t("parent.noGrades")} items={data.graded} keyOf={(g) => g.assignmentId}>
          {(g) => (
            <>
              <div className="row">
                <span>{g.title}</span>
                <span className="grade">{displayGrade(g.scale, g, g.maxPoints, locale)}</span>
              </div>
              <div className="muted">
                {where(g)}
                {g.gradedAt ? ` · ${formatDateTime(g.gradedAt)}` : ""}
              </div>
              {g.comment ? <p>“{g.comment}”</p> : null}
            </>
          )}
        </ListCard>
        <ListCard id="missing" title={t("parent.missing")} empty={t("parent.noMissing")} items={data.missing} keyOf={(m) => m.assignmentId}>
          {(m) => (
            <>
              {m.title} <span className="badge badge-err">{t("assignment.missing")}</span>
              <div className="muted">
                {where(m)} · {t("assignment.dueIn", { date: formatDateTime(m.dueAt) })}
              </div>
            </>
          )}
        </ListCard>
        <ListCard id="upcoming" title={t("parent.upcoming")} empty={t("parent.noUpcoming")} items={data.upcoming} keyOf={(m) => m.assignmentId}>
          {(m) => (
            <>
              {m.title}
              <div className="muted">
                {where(m)} · {t("assignment.dueIn", { date: formatDateTime(m.dueAt) })}
              </div>
            </>
          )}
        </ListCard>
        <ListCard id="submitted" title={t("parent.submitted")} empty={t("parent.noSubmitted")} items={data.submitted} keyOf={(m) => m.assignmentId}>
          {(m) => (
            <>
              {m.title} {m.late ? <span className="badge badge-warn">{t("common.late")}</span> : null}
              <div className="muted">
                {where(m)} · {m.submittedAt ? t("assignment.submittedAt", { date: formatDateTime(m.submittedAt) }) : ""}
              </div>
            </>
          )}
        </ListCard>
      </div>
      <ListCard id="classes" title={t("parent.classes")} empty={t("common.none")} items={data.classes} keyOf={(c) => c.id}>
        {(c) => (
          <Link to={`/children/${data.child.id}/classes/${c.id}`}>
            {subjectName(c.subject, locale)} {c.name}
          </Link>
        )}
      </ListCard>
    </>
  );
}

export const meta: Route.MetaFunction = ({ data }) => [{ title: data ? `${data.child.fullName} · Lớp Số` : "Lớp Số" }];
