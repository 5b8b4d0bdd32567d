import { Form, redirect, useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/lesson-delete";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { deleteLesson, getLessonForRemoval } from "../services/lessons.server.ts";
import { useT } from "../i18n/index.ts";
import { readForm } from "./_form.server.ts";
import { pageTitle } from "../lib/meta.ts";
import { withdrawPush } from "../services/sync/push.server.ts";

/** The confirmation step is a page of its own, so it works without JavaScript. */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  return { classId: params.classId, lesson: await getLessonForRemoval(getDb(), actor, params.classId, params.lessonId) };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  await readForm(request, context);
  await deleteLesson(getDb(), actor, params.classId, params.lessonId);
  // Its copies on Classroom / Teams are removed by the course-push job.
  await withdrawPush(getDb(), "lesson", params.lessonId);
  throw redirect(`/classes/${params.classId}?removed=lesson`);
}

export default function RemoveLesson() {
  const { classId, lesson } = useLoaderData<typeof loader>();
  const t = useT();
  return (
    <div className="narrow">
      <section className="card" aria-labelledby="remove-title">
        <h1 id="remove-title">{t("lesson.deleteTitle", { title: lesson.title })}</h1>
        <p>{t("lesson.deleteDetail", { n: lesson.attachments.length })}</p>
        {lesson.attachments.length > 0 ? (
          <ul>
            {lesson.attachments.map((f) => (
              <li key={f.id}>{f.filename}</li>
            ))}
          </ul>
        ) : null}
        <Form method="post" className="actions">
          <button type="submit" className="danger">
            {t("lesson.deleteConfirm")}
          </button>
          <Link to={`/classes/${classId}/lessons/${lesson.id}/edit`}>{t("common.cancel")}</Link>
        </Form>
      </section>
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "lesson.delete");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
