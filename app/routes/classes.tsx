import { useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/classes";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { listTeacherClasses } from "../services/classes.server.ts";
import { listHomeroomGroups } from "../services/groups.server.ts";
import { formatSchoolYear, subjectName, termOf } from "../lib/curriculum.ts";
import { useLocale, useT } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";

export async function loader({ url, context }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const [classes, homeroom] = await Promise.all([listTeacherClasses(db, actor), listHomeroomGroups(db, actor)]);
  return { classes: classes.filter((c) => !c.archived), archived: classes.filter((c) => c.archived), homeroom, term: termOf(new Date()) };
}

export default function Classes() {
  const { classes, archived, homeroom, term } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  return (
    <>
      <h1>{t("classes.title")}</h1>
      {homeroom.length > 0 ? (
        <section className="card" aria-labelledby="homeroom">
          <h2 id="homeroom">{t("groups.homeroom")}</h2>
          <ul className="list">
            {homeroom.map((g) => (
              <li key={g.id}>
                <Link to={`/groups/${g.id}`}>{t("groups.pageTitle", { name: g.name })}</Link>
                <span className="muted">
                  {" "}
                  · {t("common.schoolYear")} {formatSchoolYear(g.schoolYear)} · {t("common.students", { n: g.students })}
                </span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {classes.length === 0 && homeroom.length === 0 ? <p className="card">{t("classes.empty")}</p> : null}
      {classes.length > 0 ? (
        // A plain GET form: the browser downloads the workbook, the page stays.
        <form method="get" action="/classes/gradebook.xlsx" className="card" aria-labelledby="export-all">
          <h2 id="export-all">{t("gradebook.exportAll")}</h2>
          <p className="hint">{t("gradebook.exportAllHint")}</p>
          <div className="inline-choices">
            <label>
              {t("assignment.term")}{" "}
              <select name="term" defaultValue={String(term)}>
                <option value="1">{t("gradebook.term1")}</option>
                <option value="2">{t("gradebook.term2")}</option>
              </select>
            </label>
            <button type="submit">{t("gradebook.exportAll")}</button>
          </div>
        </form>
      ) : null}
      <ul className="grid grid-3 list">
        {classes.map((c) => (
          <li key={c.id} className="card">
            <h2>
              <Link to={`/classes/${c.id}`}>
                {subjectName(c.subject, locale)} {c.name}
              </Link>
            </h2>
            <p className="muted">
              {c.schoolName} · {t("common.schoolYear")} {formatSchoolYear(c.schoolYear)}
            </p>
            <p>
              {t("common.students", { n: c.students })}
              {c.toGrade > 0 ? (
                <>
                  {" · "}
                  <span className="badge badge-warn">{t("classes.toGrade", { n: c.toGrade })}</span>
                </>
              ) : null}
            </p>
          </li>
        ))}
      </ul>
      {archived.length > 0 ? (
        <section className="card" aria-labelledby="archived">
          <h2 id="archived">{t("classes.archivedTitle")}</h2>
          <p className="hint">{t("classes.archivedHint")}</p>
          <ul className="list" data-testid="archived-classes">
            {archived.map((c) => (
              <li key={c.id}>
                <Link to={`/classes/${c.id}`}>
                  {subjectName(c.subject, locale)} {c.name}
                </Link>
                <span className="muted">
                  {" "}
                  · {c.schoolName} · {t("common.schoolYear")} {formatSchoolYear(c.schoolYear)}
                </span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "classes.title");
