import { useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/today";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { sessionsOfClasses, studentClassIds } from "../services/live-sessions.server.ts";
import { SessionList } from "../components/session-list.tsx";
import { studentToday } from "../services/timeline.server.ts";
import { displayGrade } from "../services/grades.ts";
import { subjectName } from "../lib/curriculum.ts";
import { formatDateTime } from "../lib/vn.ts";
import { useLocale, useT } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";
import { ListCard } from "../components/list-card.tsx";

export async function loader({ url, context }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "student");
  const db = getDb();
  const now = new Date();
  const [today, sessions] = await Promise.all([
    studentToday(db, actor),
    studentClassIds(db, actor.id).then((ids) => sessionsOfClasses(db, ids, { from: new Date(now.getTime() - 2 * 3_600_000), to: new Date(now.getTime() + 7 * 86_400_000) }, now)),
  ]);
  return { name: actor.fullName.split(" ").pop(), ...today, sessions };
}

export default function Today() {
  const data = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const cls = (c: { className: string; subject: string }) => `${subjectName(c.subject, locale)} ${c.className}`;
  // Work not yet handed in, as "due soon" and "upcoming" show it.
  const openWork = (a: (typeof data.dueSoon)[number]) => (
    <>
      <Link to={`/assignments/${a.id}`}>{a.title}</Link>
      <div className="muted">
        {cls(a)} · {t("today.due", { date: formatDateTime(a.dueAt) })}
      </div>
    </>
  );
  return (
    <>
      <h1>{t("today.greeting", { name: data.name ?? "" })}</h1>
      {data.classes.length > 0 ? (
        <p className="muted">
          {t("today.olderHint")} <a href="#my-classes">{t("today.olderLink")}</a>.
        </p>
      ) : null}
      {data.classes.length === 0 ? (
        <section className="card">
          <p>{t("today.noClasses")}</p>
          <Link className="button primary" to="/join">
            {t("nav.join")}
          </Link>
        </section>
      ) : null}
      {data.classes.length > 0 ? <SessionList items={data.sessions} canJoin /> : null}
      <div className="grid grid-2">
        <ListCard id="overdue" title={t("today.overdue")} empty={t("today.nothingOverdue")} items={data.overdue} keyOf={(a) => a.id}>
          {(a) => (
            <>
              <Link to={`/assignments/${a.id}`}>{a.title}</Link> <span className="badge badge-err">{t("assignment.overdue")}</span>
              <div className="muted">
                {cls(a)} · {t("today.due", { date: formatDateTime(a.dueAt) })}
              </div>
            </>
          )}
        </ListCard>
        <ListCard id="due-soon" title={t("today.dueSoon")} empty={t("today.nothingDue")} items={data.dueSoon} keyOf={(a) => a.id}>
          {openWork}
        </ListCard>
        <ListCard id="upcoming" title={t("today.upcoming")} empty={t("today.nothingUpcoming")} items={data.upcoming} keyOf={(a) => a.id}>
          {openWork}
        </ListCard>
        <ListCard id="new-lessons" title={t("today.newLessons")} empty={t("today.nothingNew")} items={data.newLessons} keyOf={(l) => l.id}>
          {(l) => (
            <>
              <Link to={`/lessons/${l.id}`}>{l.title}</Link>
              <div className="muted">
                {cls(l)} · {l.publishedAt ? formatDateTime(l.publishedAt) : ""}
              </div>
            </>
          )}
        </ListCard>
        <ListCard id="grades" title={t("today.recentGrades")} empty={t("today.noGrades")} items={data.recentGrades} keyOf={(g) => g.assignmentId}>
          {(g) => (
            <>
              <div className="row">
                <Link to={`/assignments/${g.assignmentId}`}>{g.title}</Link>
                <span className="grade">{displayGrade(g.scale, g, g.maxPoints, locale)}</span>
              </div>
              <div className="muted">{cls(g)}</div>
              {g.comment ? <p>{g.comment}</p> : null}
            </>
          )}
        </ListCard>
      </div>
      {data.classes.length > 0 ? (
        <section className="card" aria-labelledby="my-classes">
          <h2 id="my-classes">{t("today.myClasses")}</h2>
          <p className="muted">{t("today.classesHint")}</p>
          <ul className="list">
            {data.classes.map((c) => (
              <li key={c.id}>
                <Link to={`/my/classes/${c.id}`}>
                  {subjectName(c.subject, locale)} {c.name}
                </Link>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "today.title");
