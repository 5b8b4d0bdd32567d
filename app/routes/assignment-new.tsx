import { useState } from "react";
import { Form, redirect, useActionData, useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/assignment-new";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { getClassForTeacher } from "../services/classes.server.ts";
import { createAssignment } from "../services/assignments.server.ts";
import { filesFrom } from "../services/files.server.ts";
import { levelOfGrade, subjectName, termOf } from "../lib/curriculum.ts";
import { parseLocalDateTime, toLocalDateTimeInput } from "../lib/vn.ts";
import { Field, FormError, Select } from "../components/forms.tsx";
import { DueAndAssessmentFields, InstructionsField } from "../components/assignment-fields.tsx";
import { useLocale, useT } from "../i18n/index.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";
import { BODY_LIMITS } from "../server/limits.ts";
import { pageTitle } from "../lib/meta.ts";
import { pushState, requestPush } from "../services/sync/push.server.ts";
import { CoursePushField } from "../components/course-push.tsx";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const cls = await getClassForTeacher(getDb(), actor, params.classId);
  const push = await pushState(getDb(), params.classId, "assignment", null);
  // A week from now at 21:00 Vietnam time is a sensible default deadline.
  const due = new Date(Date.now() + 7 * 24 * 3600 * 1000);
  const defaultDue = toLocalDateTimeInput(due).slice(0, 11) + "21:00";
  // A gradebook column (?assessment=midterm&term=2) opens the form already tagged.
  const assessment = url.searchParams.get("assessment");
  const term = url.searchParams.get("term");
  return {
    class: cls,
    defaultDue,
    defaultScale: levelOfGrade(cls.grade) === "tieu_hoc" ? "primary_levels" : "ten_point",
    defaultAssessment: assessment === "midterm" || assessment === "final" ? assessment : "regular",
    defaultTerm: term === "1" || term === "2" ? term : String(termOf(parseLocalDateTime(defaultDue) ?? due)),
    termChosen: term === "1" || term === "2",
    push,
  };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const form = await readForm(request, context, BODY_LIMITS.upload);
  const fields = formObject(form);
  const result = await createAssignment(getDb(), actor, params.classId, fields, filesFrom(form, "files"));
  if (!result.ok) return badRequest({ errors: result.errors, values: fields });
  await requestPush(getDb(), actor, { classId: params.classId, kind: "assignment", itemId: result.value.id, post: fields.pushToPlatforms === "on" });
  throw redirect(`/assignments/${result.value.id}/submissions?created=1`);
}

export default function NewAssignment() {
  const { class: cls, defaultDue, defaultScale, defaultAssessment, defaultTerm, termChosen, push } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const [scale, setScale] = useState(result?.values?.scale ?? defaultScale);
  const v = result?.values;
  return (
    <div className="narrow">
      <p>
        <Link to={`/classes/${cls.id}`}>
          ← {subjectName(cls.subject, locale)} {cls.name}
        </Link>
      </p>
      <section className="card">
        <h1>{t("assignment.newTitle")}</h1>
        {result?.errors ? <FormError message="common.errorSummary" /> : null}
        <Form method="post" encType="multipart/form-data" noValidate>
          <Field label={t("assignment.title")} name="title" required defaultValue={v?.title} error={result?.errors?.title} />
          <InstructionsField defaultValue={v?.instructionsMd} error={result?.errors?.instructionsMd} />
          <DueAndAssessmentFields
            due={v?.dueAt ?? defaultDue}
            assessment={v?.assessment ?? defaultAssessment}
            term={v?.term ?? defaultTerm}
            termChosen={Boolean(v?.term) || termChosen}
            errors={result?.errors}
          />
          <Select
            label={t("assignment.scale")}
            name="scale"
            value={scale}
            onChange={(e) => setScale(e.target.value)}
            options={(["ten_point", "primary_levels", "pass_fail", "points"] as const).map((s) => ({ value: s, label: t(`assignment.scales.${s}`) }))}
            error={result?.errors?.scale}
          />
          {scale === "points" ? (
            <Field label={t("assignment.maxPoints")} name="maxPoints" type="number" min={0.01} max={1000} step="0.01" defaultValue={v?.maxPoints ?? "100"} error={result?.errors?.maxPoints} />
          ) : null}
          <Field label={t("assignment.attachments")} hint={t("assignment.attachHint")} name="files" type="file" multiple error={result?.errors?.files} />
          <CoursePushField view={push} />
          <button type="submit" className="primary">
            {t("assignment.create")}
          </button>
        </Form>
      </section>
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "assignment.newTitle");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
