import { Form, redirect, useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/assignment-delete";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { getAssignmentForRemoval, removeAssignment } from "../services/assignments.server.ts";
import { useT } from "../i18n/index.ts";
import { readForm } from "./_form.server.ts";
import { pageTitle } from "../lib/meta.ts";
import { withdrawPush } from "../services/sync/push.server.ts";

/** The confirmation step is a page of its own, so it works without JavaScript. */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  return getAssignmentForRemoval(getDb(), actor, params.classId, params.assignmentId);
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  await readForm(request, context);
  const { archived } = await removeAssignment(getDb(), actor, params.classId, params.assignmentId);
  // Its copies on Classroom / Teams are removed by the course-push job.
  await withdrawPush(getDb(), "assignment", params.assignmentId);
  throw redirect(`/classes/${params.classId}?removed=${archived ? "assignment-archived" : "assignment-deleted"}`);
}

export default function RemoveAssignment() {
  const a = useLoaderData<typeof loader>();
  const t = useT();
  const archive = a.submissions > 0;
  return (
    <div className="narrow">
      <section className="card" aria-labelledby="remove-title">
        <h1 id="remove-title">{t("assignment.removeTitle", { title: a.title })}</h1>
        <p>{archive ? t("assignment.removeArchive", { n: a.submissions }) : t("assignment.removeDelete")}</p>
        <Form method="post" className="actions">
          <button type="submit" className="danger">
            {t(archive ? "assignment.removeConfirmArchive" : "assignment.removeConfirmDelete")}
          </button>
          <Link to={`/assignments/${a.id}/submissions`}>{t("common.cancel")}</Link>
        </Form>
      </section>
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "assignment.remove");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
