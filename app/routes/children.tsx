import { useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/children";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { listChildren } from "../services/families.server.ts";
import { useT } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";

export async function loader({ url, context }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "parent");
  return { children: await listChildren(getDb(), actor) };
}

export default function Children() {
  const { children } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <>
      <div className="row">
        <h1>{t("parent.title")}</h1>
        <Link className="button" to="/children/link">
          {t("parent.link")}
        </Link>
      </div>
      {children.length === 0 ? <p className="card">{t("parent.empty")}</p> : null}
      <ul className="grid grid-2 list">
        {children.map((c) => (
          <li key={c.id} className="card">
            <h2>
              <Link to={`/children/${c.id}`}>{c.fullName}</Link>
            </h2>
            {c.schoolName ? <p className="muted">{c.schoolName}</p> : null}
            <p className="actions">
              <span className={c.missing > 0 ? "badge badge-err" : "badge badge-ok"}>{t("parent.missingCount", { n: c.missing })}</span>
              <span className="badge">{t("parent.recentGradesCount", { n: c.recentGrades })}</span>
            </p>
            <Link to={`/children/${c.id}`}>{t("parent.view")}</Link>
          </li>
        ))}
      </ul>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "parent.title");
