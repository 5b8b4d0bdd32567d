import { useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/announcements";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { listAnnouncements, type AnnouncementView } from "../services/announcements.server.ts";
import { Notice } from "../components/forms.tsx";
import { subjectName } from "../lib/curriculum.ts";
import { formatDateTime } from "../lib/vn.ts";
import { useLocale, useT } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";

/** Announcements: those for a parent's children (their classes and schools), and those one wrote. */
export async function loader({ url, context }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "parent", "teacher", "school_admin");
  return { ...(await listAnnouncements(getDb(), actor)), sent: url.searchParams.get("sent") === "1" };
}

function AnnouncementList({ items, label }: { items: AnnouncementView[]; label: string }) {
  const t = useT();
  const locale = useLocale();
  if (items.length === 0) return <p className="card muted">{t("announcements.none")}</p>;
  return (
    <ul className="list" aria-label={label}>
      {items.map((a) => (
        <li key={a.id} className="card announcement" data-title={a.title}>
          <h3>
            {a.title} {a.urgent ? <span className="badge badge-err">{t("announcements.urgentBadge")}</span> : null}
          </h3>
          <p className="muted">
            {a.className ? `${t("announcements.toClass", { name: a.className })}${a.subject ? ` · ${subjectName(a.subject, locale)}` : ""}` : `${t("announcements.toSchool")} · ${a.schoolName}`}
            {" · "}
            {a.authorName} · <time dateTime={a.createdAt}>{formatDateTime(a.createdAt)}</time>
          </p>
          <p className="message-body">{a.body}</p>
        </li>
      ))}
    </ul>
  );
}

export default function Announcements() {
  const { written, forChildren, canWrite, sent } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <>
      <p>
        <Link to="/contact-book">← {t("contactBook.title")}</Link>
      </p>
      <div className="row">
        <h1>{t("announcements.title")}</h1>
        {canWrite ? (
          <Link className="button" to="/announcements/new">
            {t("announcements.write")}
          </Link>
        ) : null}
      </div>
      <p className="muted">{t("announcements.intro")}</p>
      {sent ? <Notice>{t("announcements.sent")}</Notice> : null}
      {forChildren.length > 0 || !canWrite ? (
        <section aria-labelledby="an-children">
          <h2 id="an-children">{t("announcements.forChildren")}</h2>
          <AnnouncementList items={forChildren} label={t("announcements.forChildren")} />
        </section>
      ) : null}
      {canWrite ? (
        <section aria-labelledby="an-written">
          <h2 id="an-written">{t("announcements.written")}</h2>
          <AnnouncementList items={written} label={t("announcements.written")} />
        </section>
      ) : null}
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "announcements.title");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
