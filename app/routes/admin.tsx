import { useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/admin";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { schoolsOverview } from "../services/schools.server.ts";
import { useT } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";

export async function loader({ url, context }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "school_admin", "province_admin");
  return { schools: await schoolsOverview(getDb(), actor) };
}

export default function Admin() {
  const { schools } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <>
      <h1>{t("admin.title")}</h1>
      <p className="actions">
        <Link className="button" to="/admin/repositories">
          {t("repositories.title")}
        </Link>
      </p>
      <ul className="grid grid-2 list">
        {schools.map((s) => (
          <li key={s.id} className="card">
            <h2>{s.name}</h2>
            <p className="muted">
              {t("admin.code")}: {s.code}
            </p>
            <p>{t("admin.counts", { teachers: s.teachers, students: s.students, parents: s.parents, classes: s.classes })}</p>
            <p className="actions">
              <Link className="button" to={`/admin/schools/${s.id}/users`}>
                {t("admin.users")}
              </Link>
              <Link className="button" to={`/admin/schools/${s.id}/classes`}>
                {t("admin.classes")}
              </Link>
              <Link className="button" to={`/admin/schools/${s.id}/import`}>
                {t("nav.import")}
              </Link>
              <Link className="button" to={`/admin/schools/${s.id}/notifications`}>
                {t("notifyUi.health.title")}
              </Link>
              <Link className="button" to={`/admin/schools/${s.id}/connections`}>
                {t("connections.title")}
              </Link>
              <Link className="button" to={`/admin/schools/${s.id}/roster`}>
                {t("roster.menu")}
              </Link>
            </p>
          </li>
        ))}
      </ul>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "admin.title");
