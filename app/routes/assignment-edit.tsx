import { useState } from "react";
import { Form, redirect, useActionData, useLoaderData, useSearchParams } from "react-router";
import { Link } from "../components/link.tsx";
import { AttachedFiles } from "../components/attached-files.tsx";
import type { Route } from "./+types/assignment-edit";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { getAssignmentForEditing, removeAssignmentFile, updateAssignment } from "../services/assignments.server.ts";
import { filesFrom } from "../services/files.server.ts";
import { toLocalDateTimeInput } from "../lib/vn.ts";
import { Field, FormError, Notice, Select } from "../components/forms.tsx";
import { DueAndAssessmentFields, InstructionsField } from "../components/assignment-fields.tsx";
import { useT } from "../i18n/index.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";
import { BODY_LIMITS } from "../server/limits.ts";
import { pageTitle } from "../lib/meta.ts";
import { pushState, requestPush } from "../services/sync/push.server.ts";
import { CoursePushField } from "../components/course-push.tsx";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const a = await getAssignmentForEditing(getDb(), actor, params.classId, params.assignmentId);
  return {
    push: await pushState(getDb(), params.classId, "assignment", a.id),
    assignment: {
      id: a.id,
      classId: a.classId,
      title: a.title,
      instructionsMd: a.instructionsMd,
      dueAt: toLocalDateTimeInput(a.dueAt),
      scale: a.scale,
      maxPoints: a.maxPoints === null ? "" : String(Number(a.maxPoints)),
      assessment: a.assessment,
      term: String(a.term),
      className: a.className,
      attachments: a.attachments,
      gradedCount: a.gradedCount,
    },
  };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const db = getDb();
  const form = await readForm(request, context, BODY_LIMITS.upload);
  const fields = formObject(form);
  if (fields.intent === "remove-file") {
    await removeAssignmentFile(db, actor, params.classId, params.assignmentId, fields.attachmentId ?? "");
    return { errors: {} as Record<string, string>, values: null };
  }
  const result = await updateAssignment(db, actor, params.classId, params.assignmentId, fields, filesFrom(form, "files"));
  if (!result.ok) return badRequest({ errors: result.errors, values: fields });
  await requestPush(db, actor, { classId: params.classId, kind: "assignment", itemId: result.value.id, post: fields.pushToPlatforms === "on" });
  throw redirect(`/assignments/${result.value.id}/submissions?saved=1`);
}

export default function EditAssignment() {
  const { assignment: a, push } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const t = useT();
  const v = result?.values;
  const [scale, setScale] = useState(v?.scale ?? a.scale);
  const locked = a.gradedCount > 0;
  return (
    <div className="narrow">
      <p>
        <Link to={`/assignments/${a.id}/submissions`}>← {a.title}</Link>
      </p>
      <section className="card">
        <h1>{t("assignment.editTitle")}</h1>
        {params.get("saved") ? <Notice>{t("assignment.saved")}</Notice> : null}
        {result?.errors && Object.keys(result.errors).length > 0 ? <FormError message="common.errorSummary" /> : null}
        <p className="muted">{t("assignment.submittedKept")}</p>
        <Form method="post" encType="multipart/form-data" noValidate>
          <Field label={t("assignment.title")} name="title" required defaultValue={v?.title ?? a.title} error={result?.errors?.title} />
          <InstructionsField defaultValue={v?.instructionsMd ?? a.instructionsMd} error={result?.errors?.instructionsMd} />
          <DueAndAssessmentFields due={v?.dueAt ?? a.dueAt} assessment={v?.assessment ?? a.assessment} term={v?.term ?? a.term} termChosen errors={result?.errors} />
          <Select
            label={t("assignment.scale")}
            hint={locked ? t("assignment.scaleLocked") : undefined}
            name="scale"
            value={scale}
            onChange={(e) => setScale(e.target.value as typeof scale)}
            options={(["ten_point", "primary_levels", "pass_fail", "points"] as const).map((s) => ({ value: s, label: t(`assignment.scales.${s}`) }))}
            error={result?.errors?.scale}
          />
          {scale === "points" ? (
            <Field label={t("assignment.maxPoints")} name="maxPoints" type="number" min={0.01} max={1000} step="0.01" defaultValue={v?.maxPoints ?? (a.maxPoints || "100")} error={result?.errors?.maxPoints} />
          ) : null}
          <Field label={t("assignment.attachments")} hint={t("assignment.attachHint")} name="files" type="file" multiple error={result?.errors?.files} />
          <CoursePushField view={push} />
          <div className="actions">
            <button type="submit" className="primary">
              {t("assignment.save")}
            </button>
            <Link to={`/classes/${a.classId}/assignments/${a.id}/delete`}>{t("assignment.remove")}</Link>
          </div>
        </Form>
      </section>
      {a.attachments.length > 0 ? (
        <section className="card">
          <h2>{t("assignment.attachments")}</h2>
          <AttachedFiles files={a.attachments} removeLabel={t("assignment.removeFile")} />
        </section>
      ) : null}
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "assignment.editTitle");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
