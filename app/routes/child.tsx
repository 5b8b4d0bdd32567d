import { Link, useLoaderData } from "react-router";
import type { Route } from "./+types/child";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { childOverview } from "../services/families.server.ts";
import { displayGrade } from "../services/grades.ts";
import { subjectName } from "../lib/curriculum.ts";
import { formatDateTime } from "../lib/vn.ts";
import { useLocale, useT } from "../i18n/index.ts";

export async function loader({ request, context, params }: Route.LoaderArgs) {
  const actor = requireRole(request, context, "parent");
  return childOverview(getDb(), actor, params.studentId);
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
      <div className="grid grid-2">
        <section className="card" aria-labelledby="grades">
          <h2 id="grades">{t("parent.grades")}</h2>
          {data.graded.length === 0 ? <p className="muted">{t("parent.noGrades")}</p> : null}
          <ul className="list">
            {data.graded.map((g) => (
              <li key={g.assignmentId}>
                <div className="row">
                  <span>{g.title}</span>
                  <span className="grade">{displayGrade(g.scale, g, g.maxPoints, locale)}</span>
                </div>
                <div className="muted">
                  {where(g)}
                  {g.gradedAt ? ` · ${formatDateTime(g.gradedAt, locale)}` : ""}
                </div>
                {g.comment ? <p>“{g.comment}”</p> : null}
              </li>
            ))}
          </ul>
        </section>
        <section className="card" aria-labelledby="missing">
          <h2 id="missing">{t("parent.missing")}</h2>
          {data.missing.length === 0 ? <p className="muted">{t("parent.noMissing")}</p> : null}
          <ul className="list">
            {data.missing.map((m) => (
              <li key={m.assignmentId}>
                {m.title} <span className="badge badge-err">{t("assignment.missing")}</span>
                <div className="muted">
                  {where(m)} · {t("assignment.dueIn", { date: formatDateTime(m.dueAt, locale) })}
                </div>
              </li>
            ))}
          </ul>
        </section>
        <section className="card" aria-labelledby="upcoming">
          <h2 id="upcoming">{t("parent.upcoming")}</h2>
          {data.upcoming.length === 0 ? <p className="muted">{t("parent.noUpcoming")}</p> : null}
          <ul className="list">
            {data.upcoming.map((m) => (
              <li key={m.assignmentId}>
                {m.title}
                <div className="muted">
                  {where(m)} · {t("assignment.dueIn", { date: formatDateTime(m.dueAt, locale) })}
                </div>
              </li>
            ))}
          </ul>
        </section>
        <section className="card" aria-labelledby="submitted">
          <h2 id="submitted">{t("parent.submitted")}</h2>
          {data.submitted.length === 0 ? <p className="muted">{t("parent.noSubmitted")}</p> : null}
          <ul className="list">
            {data.submitted.map((m) => (
              <li key={m.assignmentId}>
                {m.title} {m.late ? <span className="badge badge-warn">{t("common.late")}</span> : null}
                <div className="muted">
                  {where(m)} · {m.submittedAt ? t("assignment.submittedAt", { date: formatDateTime(m.submittedAt, locale) }) : ""}
                </div>
              </li>
            ))}
          </ul>
        </section>
      </div>
      <section className="card" aria-labelledby="classes">
        <h2 id="classes">{t("parent.classes")}</h2>
        <ul className="list">
          {data.classes.map((c) => (
            <li key={c.id}>
              {subjectName(c.subject, locale)} {c.name}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

export const meta: Route.MetaFunction = ({ data }) => [{ title: data ? `${data.child.fullName} · Lớp Số` : "Lớp Số" }];
