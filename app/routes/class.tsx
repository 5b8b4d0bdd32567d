import { Form, useActionData, useLoaderData, useSearchParams } from "react-router";
import { z } from "zod";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/class";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { classPage, getClassForTeacher, regenerateJoinCode } from "../services/classes.server.ts";
import { sessionsOfClasses } from "../services/live-sessions.server.ts";
import { SessionList } from "../components/session-list.tsx";
import { setLessonStatus } from "../services/lessons.server.ts";
import { formatSchoolYear, subjectName } from "../lib/curriculum.ts";
import { formatDateTime } from "../lib/vn.ts";
import { useLocale, useT } from "../i18n/index.ts";
import { Notice } from "../components/forms.tsx";
import { badRequest, formObject, readForm } from "./_form.server.ts";
import { withdrawPush } from "../services/sync/push.server.ts";
import { platformLinks } from "../services/sync/teacher-links.server.ts";
import { PlatformLinks } from "../components/platform-links.tsx";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const page = await classPage(db, actor, params.classId);
  const now = new Date();
  const sessions = await sessionsOfClasses(db, [page.class.id], { from: new Date(now.getTime() - 2 * 3_600_000), to: new Date(now.getTime() + 7 * 86_400_000) }, now);
  const platforms = (await platformLinks(db, "course", [page.class.id]))[page.class.id] ?? [];
  return { ...page, sessions, platforms };
}

/**
 * "new-code" only asks: the old code stops working for every student who has not joined yet, so
 * the code is replaced only by the confirming "regenerate-confirm" sent from that question.
 */
const ClassAction = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("new-code") }),
  z.object({ intent: z.literal("regenerate-confirm") }),
  z.object({ intent: z.literal("publish"), lessonId: z.string().default("") }),
  z.object({ intent: z.literal("unpublish"), lessonId: z.string().default("") }),
]);

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const parsed = ClassAction.safeParse(formObject(await readForm(request, context)));
  if (!parsed.success) throw badRequest({ message: "bad_request" });
  const form = parsed.data;
  const db = getDb();
  if (form.intent === "new-code") {
    await getClassForTeacher(db, actor, params.classId);
    return { joinCode: "confirm" as const };
  }
  if (form.intent === "regenerate-confirm") {
    await regenerateJoinCode(db, actor, params.classId);
    return { joinCode: "replaced" as const };
  }
  await setLessonStatus(db, actor, params.classId, form.lessonId, form.intent === "publish");
  // Taken back to draft: its copies on Classroom / Teams are removed by the course-push job.
  if (form.intent !== "publish") await withdrawPush(db, "lesson", form.lessonId);
  return null;
}

export default function ClassPage() {
  const data = useLoaderData<typeof loader>();
  const done = useActionData<typeof action>();
  const [params] = useSearchParams();
  const t = useT();
  const locale = useLocale();
  const { class: c, students } = data;
  const removed = params.get("removed");
  const active = data.assignments.filter((a) => !a.archivedAt);
  const archived = data.assignments.filter((a) => a.archivedAt);
  return (
    <>
      <p>
        <Link to="/classes">← {t("nav.classes")}</Link>
      </p>
      <h1>
        {subjectName(c.subject, locale)} {c.name}
      </h1>
      {c.archived ? (
        <p className="banner" role="status" data-testid="class-archived">
          {t("classes.archivedBanner")}
        </p>
      ) : null}
      {removed ? (
        <Notice>
          {t(removed === "lesson" ? "classes.removedLesson" : removed === "assignment-archived" ? "classes.removedArchived" : "classes.removedDeleted")}
        </Notice>
      ) : null}
      <p className="muted">
        {t("common.grade", { grade: c.grade })} · {t("common.schoolYear")} {formatSchoolYear(c.schoolYear)}
      </p>
      <PlatformLinks links={data.platforms} />
      <p className="actions">
        <Link className="button" to={`/classes/${c.id}/gradebook`}>
          {t("classes.gradebook")}
        </Link>{" "}
        <Link className="button" to={`/classes/${c.id}/sessions/new`} data-testid="schedule-session">
          {t("sessions.schedule")}
        </Link>{" "}
        <Link to={`/classes/${c.id}/platforms`}>{t("platformLinks.manage")}</Link>
      </p>
      <SessionList items={data.sessions} canJoin />
      <div className="grid grid-2">
        <section className="card" aria-labelledby="join-code">
          <h2 id="join-code">{t("classes.joinCode")}</h2>
          <p className="code" data-testid="join-code">
            {c.joinCode}
          </p>
          <p className="muted">{t("classes.joinCodeHint")}</p>
          {done?.joinCode === "replaced" ? <Notice>{t("classes.newCodeDone")}</Notice> : null}
          {done?.joinCode === "confirm" ? (
            <div className="confirm" role="group" aria-labelledby="new-code-question">
              <h3 id="new-code-question">{t("classes.newCodeQuestion")}</h3>
              <p role="alert">{t("classes.newCodeWarning", { code: c.joinCode })}</p>
              <div className="actions">
                <Form method="post">
                  <button type="submit" name="intent" value="regenerate-confirm" className="primary">
                    {t("classes.newCodeConfirm")}
                  </button>
                </Form>
                <Link to={`/classes/${c.id}`}>{t("classes.newCodeKeep")}</Link>
              </div>
            </div>
          ) : (
            <div className="actions">
              <Form method="post">
                <input type="hidden" name="intent" value="new-code" />
                <button type="submit">{t("classes.newCode")}</button>
              </Form>
              <Link to={`/classes/${c.id}/families`}>{t("classes.parentCodeIssue")}</Link>
              <Link to={`/classes/${c.id}/passwords`}>{t("recovery.studentsTitle")}</Link>
            </div>
          )}
        </section>
        <section className="card" aria-labelledby="roster">
          <h2 id="roster">
            {t("classes.roster")} ({students.length})
          </h2>
          {students.length === 0 ? <p className="muted">{t("classes.noStudents")}</p> : null}
          <ol>
            {students.map((s) => (
              <li key={s.id}>{s.fullName}</li>
            ))}
          </ol>
        </section>
        <section className="card" aria-labelledby="lessons">
          <div className="row">
            <h2 id="lessons">{t("classes.lessons")}</h2>
            <Link className="button primary" to={`/classes/${c.id}/lessons/new`}>
              {t("classes.newLesson")}
            </Link>
          </div>
          <p className="muted">
            <a href={`/classes/${c.id}/cartridge.imscc`} download>{t("cartridge.export")}</a> · <Link to={`/classes/${c.id}/import-cartridge`}>{t("cartridge.import")}</Link>
          </p>
          {data.lessons.length === 0 ? <p className="muted">{t("classes.noLessons")}</p> : null}
          <ul className="list">
            {data.lessons.map((l) => (
              <li key={l.id} className="row">
                <div>
                  <Link to={`/lessons/${l.id}`}>{l.title}</Link>{" "}
                  <span className={l.status === "published" ? "badge badge-ok" : "badge"}>
                    {t(l.status === "published" ? "classes.published" : "classes.draft")}
                  </span>
                  {l.publishedAt && l.status === "published" ? (
                    <div className="muted">{t("lesson.publishedAt", { date: formatDateTime(l.publishedAt) })}</div>
                  ) : null}
                </div>
                <div className="actions">
                  <Link to={`/classes/${c.id}/lessons/${l.id}/edit`}>{t("lesson.edit")}</Link>
                  <Link to={`/classes/${c.id}/lessons/${l.id}/delete`}>{t("common.delete")}</Link>
                  <Form method="post">
                    <input type="hidden" name="lessonId" value={l.id} />
                    <input type="hidden" name="intent" value={l.status === "published" ? "unpublish" : "publish"} />
                    <button type="submit">{t(l.status === "published" ? "lesson.unpublish" : "lesson.publish")}</button>
                  </Form>
                </div>
              </li>
            ))}
          </ul>
        </section>
        <section className="card" aria-labelledby="assignments">
          <div className="row">
            <h2 id="assignments">{t("classes.assignments")}</h2>
            <Link className="button primary" to={`/classes/${c.id}/assignments/new`}>
              {t("classes.newAssignment")}
            </Link>
          </div>
          {active.length === 0 ? <p className="muted">{t("classes.noAssignments")}</p> : null}
          <ul className="list">
            {active.map((a) => (
              <li key={a.id} className="row">
                <div>
                  <Link to={`/assignments/${a.id}/submissions`}>{a.title}</Link>
                  <div className="muted">
                    {t("assignment.dueIn", { date: formatDateTime(a.dueAt) })} ·{" "}
                    {t("classes.submittedCount", { submitted: a.submitted, total: students.length, graded: a.graded })}
                  </div>
                </div>
                <div className="actions">
                  <Link to={`/classes/${c.id}/assignments/${a.id}/edit`}>{t("lesson.edit")}</Link>
                </div>
              </li>
            ))}
          </ul>
        </section>
        {archived.length > 0 ? (
          <section className="card" aria-labelledby="archived">
            <h2 id="archived">{t("classes.archived")}</h2>
            <ul className="list">
              {archived.map((a) => (
                <li key={a.id}>
                  <Link to={`/assignments/${a.id}/submissions`}>{a.title}</Link>
                  <div className="muted">
                    {t("assignment.dueIn", { date: formatDateTime(a.dueAt) })} ·{" "}
                    {t("classes.submittedCount", { submitted: a.submitted, total: students.length, graded: a.graded })}
                  </div>
                </li>
              ))}
            </ul>
          </section>
        ) : null}
      </div>
    </>
  );
}

export const meta: Route.MetaFunction = ({ data }) => [
  { title: data ? `${subjectName(data.class.subject)} ${data.class.name} · Lớp Số` : "Lớp Số" },
];

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
