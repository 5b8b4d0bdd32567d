import { Form, useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/contact-book";
import { getDb } from "../../db/client.server.ts";
import { hasRole } from "../auth/actor.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { adminThreads, parentThreads, teacherThreads, type ThreadListItem } from "../services/contact-book.server.ts";
import { subjectName } from "../lib/curriculum.ts";
import { messageTime } from "../lib/contact-book.ts";
import { useLocale, useT } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";

/**
 * "Sổ liên lạc": a parent's children's threads; a teacher's students (unread first, homeroom
 * students next), filtered by class and searched by name; a school admin's school threads.
 * Students do not see the contact book.
 */
export async function loader({ url, context }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "parent", "teacher", "school_admin");
  const db = getDb();
  const query = Object.fromEntries(url.searchParams);
  return {
    children: hasRole(actor, "parent") ? await parentThreads(db, actor) : null,
    teacher: hasRole(actor, "teacher") ? await teacherThreads(db, actor, query) : null,
    school: hasRole(actor, "school_admin") ? await adminThreads(db, actor, query) : null,
    q: typeof query.q === "string" ? query.q : "",
  };
}

function Item({ item, showTeachers }: { item: ThreadListItem & { teachers: string[] }; showTeachers?: boolean }) {
  const t = useT();
  return (
    <li className="card" data-student={item.fullName} data-unread={item.unread}>
      <div className="row">
        <h3>
          <Link to={`/contact-book/${item.studentId}`} aria-label={t("contactBook.openFor", { name: item.fullName })}>
            {item.fullName}
          </Link>
        </h3>
        <span>
          {item.homeroom ? <span className="badge">{t("contactBook.homeroomBadge")}</span> : null}{" "}
          {item.unread > 0 ? (
            <span className="badge badge-warn" data-testid="unread">
              {t("contactBook.unread", { n: item.unread })}
            </span>
          ) : null}
        </span>
      </div>
      {item.groupName ? <p className="muted">{item.groupName}</p> : null}
      {item.lastBody ? (
        <p>
          <strong>{item.lastAuthor}</strong>: {item.lastBody} <span className="muted">· {item.lastAt ? messageTime(item.lastAt) : ""}</span>
        </p>
      ) : (
        <p className="muted">{t("contactBook.noMessagesShort")}</p>
      )}
      {showTeachers && item.teachers.length > 0 ? <p className="muted">{t("contactBook.with", { names: item.teachers.join(", ") })}</p> : null}
    </li>
  );
}

export default function ContactBook() {
  const { children, teacher, school, q } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  return (
    <>
      <div className="row">
        <h1>{t("contactBook.title")}</h1>
        <Link className="button" to="/announcements">
          {t("contactBook.announcementsLink")}
        </Link>
      </div>
      <p className="muted">{t("contactBook.intro")}</p>
      {children ? (
        <section aria-labelledby="cb-children">
          <h2 id="cb-children">{t("contactBook.childrenTitle")}</h2>
          {children.length === 0 ? <p className="card">{t("contactBook.noChildren")}</p> : null}
          <ul className="list grid grid-2">
            {children.map((c) => (
              <Item key={c.studentId} item={c} showTeachers />
            ))}
          </ul>
        </section>
      ) : null}
      {teacher ? (
        <section aria-labelledby="cb-students">
          <h2 id="cb-students">{t("contactBook.studentsTitle")}</h2>
          <Form method="get" className="filters" role="search" aria-label={t("contactBook.search")}>
            <div className="field filter-q">
              <label htmlFor="cb-q">{t("contactBook.search")}</label>
              <input id="cb-q" name="q" type="search" defaultValue={teacher.query.q} maxLength={100} />
            </div>
            <div className="field">
              <label htmlFor="cb-class">{t("contactBook.classFilter")}</label>
              <select id="cb-class" name="class" defaultValue={teacher.query.class}>
                <option value="">{t("contactBook.allClasses")}</option>
                {teacher.groups.map((g) => (
                  <option key={g.id} value={g.id}>
                    {t("contactBook.homeroomGroup", { name: g.name })}
                  </option>
                ))}
                {teacher.classes.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} · {subjectName(c.subject, locale)}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit">{t("contactBook.filter")}</button>
          </Form>
          {teacher.items.length === 0 ? <p className="card">{t("contactBook.noStudents")}</p> : null}
          <ul className="list grid grid-2" aria-label={t("contactBook.studentsTitle")}>
            {teacher.items.map((c) => (
              <Item key={c.studentId} item={c} />
            ))}
          </ul>
        </section>
      ) : null}
      {school ? (
        <section aria-labelledby="cb-school">
          <h2 id="cb-school">{t("contactBook.schoolTitle")}</h2>
          {!teacher ? (
            <Form method="get" className="filters" role="search" aria-label={t("contactBook.search")}>
              <div className="field filter-q">
                <label htmlFor="cb-school-q">{t("contactBook.search")}</label>
                <input id="cb-school-q" name="q" type="search" defaultValue={q} maxLength={100} />
              </div>
              <button type="submit">{t("contactBook.filter")}</button>
            </Form>
          ) : null}
          {school.length === 0 ? <p className="card">{t("contactBook.noThreads")}</p> : null}
          <ul className="list grid grid-2">
            {school.map((c) => (
              <Item key={c.studentId} item={c} />
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "contactBook.title");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
