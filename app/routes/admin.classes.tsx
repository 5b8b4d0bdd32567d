import { useState } from "react";
import { Form, useActionData, useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/admin.classes";
import { createClass, listSchoolClasses, listSchoolTeachers } from "../services/classes.server.ts";
import { currentSchoolYear, formatSchoolYear, subjectName, subjectsForGrade } from "../lib/curriculum.ts";
import { Field, FormError, Notice, Select } from "../components/forms.tsx";
import { useLocale, useT } from "../i18n/index.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";
import { requireSchoolAdmin } from "./_admin.server.ts";
import { pageTitle } from "../lib/meta.ts";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const { actor, db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const [classes, teachers] = await Promise.all([listSchoolClasses(db, actor, school.id), listSchoolTeachers(db, actor, school.id)]);
  return { school, classes, teachers, schoolYear: currentSchoolYear() };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const { actor, db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const fields = formObject(await readForm(request, context));
  const result = await createClass(db, actor, school.id, fields);
  if (!result.ok) return badRequest({ errors: result.errors, values: fields, created: null as string | null });
  return { errors: {} as Record<string, string>, values: null, created: fields.name?.toUpperCase() ?? "" };
}

const DEFAULT_GRADE: Record<string, number> = { tieu_hoc: 1, thcs: 6, thpt: 10, lien_cap: 1 };

export default function AdminClasses() {
  const { school, classes, teachers, schoolYear } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const v = result?.values;
  const [grade, setGrade] = useState(Number(v?.grade ?? DEFAULT_GRADE[school.level ?? "thcs"] ?? 6));
  const grades = school.level === "tieu_hoc" ? [1, 2, 3, 4, 5] : school.level === "thcs" ? [6, 7, 8, 9] : school.level === "thpt" ? [10, 11, 12] : Array.from({ length: 12 }, (_, i) => i + 1);
  return (
    <>
      <p>
        <Link to="/admin">← {t("admin.title")}</Link>
      </p>
      <h1>
        {t("admin.classes")} — {school.name}
      </h1>
      <div className="grid grid-2">
        <section className="card" aria-labelledby="new-class">
          <h2 id="new-class">{t("admin.newClass")}</h2>
          {result?.created ? <Notice>{t("admin.classCreated", { name: result.created })}</Notice> : null}
          {result?.errors && Object.keys(result.errors).length ? <FormError message="common.errorSummary" /> : null}
          <Form method="post" noValidate>
            <Select
              label={t("common.gradeLabel")}
              name="grade"
              value={String(grade)}
              onChange={(e) => setGrade(Number(e.target.value))}
              options={grades.map((g) => ({ value: String(g), label: t("common.grade", { grade: g }) }))}
              error={result?.errors?.grade}
            />
            <Field label={t("admin.className")} name="name" required defaultValue={v?.name ?? `${grade}A1`} error={result?.errors?.name} />
            <Select
              label={t("common.subject")}
              name="subject"
              defaultValue={v?.subject}
              options={subjectsForGrade(grade).map((s) => ({ value: s.code, label: s[locale] }))}
              error={result?.errors?.subject}
            />
            <Field label={t("common.schoolYear")} name="schoolYear" required defaultValue={v?.schoolYear ?? schoolYear} pattern="\d{4}-\d{4}" error={result?.errors?.schoolYear} />
            <Select
              label={t("admin.teacher")}
              name="teacherId"
              defaultValue={v?.teacherId ?? ""}
              options={[{ value: "", label: t("admin.noTeacher") }, ...teachers.map((x) => ({ value: x.id, label: x.fullName }))]}
              error={result?.errors?.teacherId}
            />
            <button type="submit" className="primary">
              {t("admin.newClass")}
            </button>
          </Form>
        </section>
        <section className="card" aria-labelledby="class-list">
          <h2 id="class-list">
            {t("admin.classes")} ({classes.length})
          </h2>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("common.className")}</th>
                  <th scope="col">{t("common.subject")}</th>
                  <th scope="col">{t("admin.teacher")}</th>
                  <th scope="col">{t("classes.joinCode")}</th>
                </tr>
              </thead>
              <tbody>
                {classes.map((c) => (
                  <tr key={c.id}>
                    <td>
                      {c.name}
                      <div className="muted">
                        {formatSchoolYear(c.schoolYear)} · {t("common.students", { n: c.students })}
                      </div>
                    </td>
                    <td>{subjectName(c.subject, locale)}</td>
                    <td>{c.teachers ?? "—"}</td>
                    <td>
                      <code>{c.joinCode}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      </div>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "admin.classes");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
