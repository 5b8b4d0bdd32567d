import { useState } from "react";
import { Form, useActionData, useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/admin.classes";
import { z } from "zod";
import { createClass, listSchoolClasses, listSchoolTeachers } from "../services/classes.server.ts";
import { createGroup, groupForCodeQuestion, listSchoolGroups, regenerateGroupCode, setHomeroomTeacher } from "../services/groups.server.ts";
import { currentSchoolYear, formatSchoolYear, subjectName, subjectsForGrade } from "../lib/curriculum.ts";
import { Field, FormError, Notice, Select } from "../components/forms.tsx";
import { useLocale, useT } from "../i18n/index.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";
import { requireSchoolAdmin } from "./_admin.server.ts";
import { pageTitle } from "../lib/meta.ts";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const { actor, db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const [classes, groups, teachers] = await Promise.all([
    listSchoolClasses(db, actor, school.id),
    listSchoolGroups(db, actor, school.id),
    listSchoolTeachers(db, actor, school.id),
  ]);
  return { school, classes, groups, teachers, schoolYear: currentSchoolYear() };
}

/**
 * A form without an intent creates a subject class (as it always has). The class-group forms say
 * what they do; "group-new-code" only asks, and the code is replaced by the confirming
 * "group-code-confirm" sent from that question (the old code stops working at once).
 */
const Intent = z.enum(["create-class", "create-group", "set-homeroom", "group-new-code", "group-code-confirm"]).catch("create-class");

type Outcome = {
  form: "class" | "group" | "homeroom" | "code";
  errors: Record<string, string>;
  values: Record<string, string> | null;
  created: string | null;
  groupId?: string;
  done?: "saved" | "confirm" | "replaced";
};

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const { actor, db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const fields = formObject(await readForm(request, context));
  const none = {} as Record<string, string>;
  switch (Intent.parse(fields.intent ?? "create-class")) {
    case "create-group": {
      const result = await createGroup(db, actor, school.id, fields);
      if (!result.ok) return badRequest<Outcome>({ form: "group", errors: result.errors, values: fields, created: null });
      return { form: "group", errors: none, values: null, created: result.value.name } satisfies Outcome;
    }
    case "set-homeroom": {
      const result = await setHomeroomTeacher(db, actor, school.id, fields);
      if (!result.ok) return badRequest<Outcome>({ form: "homeroom", errors: result.errors, values: fields, created: null, groupId: fields.groupId });
      return { form: "homeroom", errors: none, values: null, created: null, groupId: result.value.groupId, done: "saved" } satisfies Outcome;
    }
    case "group-new-code": {
      const g = await groupForCodeQuestion(db, actor, school.id, fields.groupId);
      return { form: "code", errors: none, values: null, created: null, groupId: g.id, done: "confirm" } satisfies Outcome;
    }
    case "group-code-confirm": {
      const g = await regenerateGroupCode(db, actor, school.id, fields.groupId);
      return { form: "code", errors: none, values: null, created: null, groupId: g.groupId, done: "replaced" } satisfies Outcome;
    }
    default: {
      const result = await createClass(db, actor, school.id, fields);
      if (!result.ok) return badRequest<Outcome>({ form: "class", errors: result.errors, values: fields, created: null });
      return { form: "class", errors: none, values: null, created: fields.name?.toUpperCase() ?? "" } satisfies Outcome;
    }
  }
}

const DEFAULT_GRADE: Record<string, number> = { tieu_hoc: 1, thcs: 6, thpt: 10, lien_cap: 1 };

export default function AdminClasses() {
  const { school, classes, groups, teachers, schoolYear } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as Outcome | undefined;
  const t = useT();
  const locale = useLocale();
  const classResult = result?.form === "class" ? result : undefined;
  const groupResult = result?.form === "group" ? result : undefined;
  const v = classResult?.values;
  const gv = groupResult?.values;
  const initialGrade = DEFAULT_GRADE[school.level ?? "thcs"] ?? 6;
  const [grade, setGrade] = useState(Number(v?.grade ?? initialGrade));
  const [groupGrade, setGroupGrade] = useState(Number(gv?.grade ?? initialGrade));
  const grades = school.level === "tieu_hoc" ? [1, 2, 3, 4, 5] : school.level === "thcs" ? [6, 7, 8, 9] : school.level === "thpt" ? [10, 11, 12] : Array.from({ length: 12 }, (_, i) => i + 1);
  const gradeOptions = grades.map((g) => ({ value: String(g), label: t("common.grade", { grade: g }) }));
  const teacherOptions = [{ value: "", label: t("admin.noTeacher") }, ...teachers.map((x) => ({ value: x.id, label: x.fullName }))];
  return (
    <>
      <p>
        <Link to="/admin">← {t("admin.title")}</Link>
      </p>
      <h1>
        {t("admin.classes")} — {school.name}
      </h1>
      <div className="grid grid-2">
        <section className="card" aria-labelledby="new-group">
          <h2 id="new-group">{t("groups.newGroup")}</h2>
          <p className="muted">{t("groups.newGroupHelp")}</p>
          {groupResult?.created ? <Notice>{t("groups.groupCreated", { name: groupResult.created })}</Notice> : null}
          {groupResult && Object.keys(groupResult.errors).length ? <FormError message="common.errorSummary" /> : null}
          <Form method="post" noValidate>
            <input type="hidden" name="intent" value="create-group" />
            <Select
              label={t("common.gradeLabel")}
              name="grade"
              value={String(groupGrade)}
              onChange={(e) => setGroupGrade(Number(e.target.value))}
              options={gradeOptions}
              error={groupResult?.errors.grade}
            />
            <Field label={t("admin.className")} name="name" required defaultValue={gv?.name ?? `${groupGrade}A1`} error={groupResult?.errors.name} />
            <Field label={t("common.schoolYear")} name="schoolYear" required defaultValue={gv?.schoolYear ?? schoolYear} pattern="\d{4}-\d{4}" error={groupResult?.errors.schoolYear} />
            <button type="submit" className="primary">
              {t("groups.newGroup")}
            </button>
          </Form>
        </section>
        <section className="card" aria-labelledby="new-class">
          <h2 id="new-class">{t("admin.newClass")}</h2>
          <p className="muted">{t("groups.newClassHelp")}</p>
          {classResult?.created ? <Notice>{t("admin.classCreated", { name: classResult.created })}</Notice> : null}
          {classResult && Object.keys(classResult.errors).length ? <FormError message="common.errorSummary" /> : null}
          <Form method="post" noValidate>
            <Select
              label={t("common.gradeLabel")}
              name="grade"
              value={String(grade)}
              onChange={(e) => setGrade(Number(e.target.value))}
              options={gradeOptions}
              error={classResult?.errors.grade}
            />
            <Field label={t("admin.className")} name="name" required defaultValue={v?.name ?? `${grade}A1`} error={classResult?.errors.name} />
            <Select
              label={t("common.subject")}
              name="subject"
              defaultValue={v?.subject}
              options={subjectsForGrade(grade).map((s) => ({ value: s.code, label: s[locale] }))}
              error={classResult?.errors.subject}
            />
            <Field label={t("common.schoolYear")} name="schoolYear" required defaultValue={v?.schoolYear ?? schoolYear} pattern="\d{4}-\d{4}" error={classResult?.errors.schoolYear} />
            <Select label={t("admin.teacher")} name="teacherId" defaultValue={v?.teacherId ?? ""} options={teacherOptions} error={classResult?.errors.teacherId} />
            <button type="submit" className="primary">
              {t("admin.newClass")}
            </button>
          </Form>
        </section>
      </div>
      <section className="card" aria-labelledby="group-list">
        <h2 id="group-list">
          {t("groups.title")} ({groups.length})
        </h2>
        {groups.length === 0 ? <p className="muted">{t("groups.none")}</p> : null}
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("common.className")}</th>
                <th scope="col">{t("groups.homeroomTeacher")}</th>
                <th scope="col">{t("groups.subjects")}</th>
                <th scope="col">{t("groups.joinCode")}</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => {
                const mine = result?.groupId === g.id ? result : undefined;
                return (
                  <tr key={g.id} data-group={g.name}>
                    <td>
                      <Link to={`/groups/${g.id}`}>{g.name}</Link>
                      <div className="muted">
                        {formatSchoolYear(g.schoolYear)} · {t("common.students", { n: g.students })}
                      </div>
                    </td>
                    <td>
                      <Form method="post" noValidate>
                        <input type="hidden" name="intent" value="set-homeroom" />
                        <input type="hidden" name="groupId" value={g.id} />
                        <Select
                          label={t("groups.homeroomOf", { name: g.name })}
                          name="teacherId"
                          defaultValue={mine?.form === "homeroom" && mine.values ? (mine.values.teacherId ?? "") : (g.homeroomTeacherId ?? "")}
                          options={teacherOptions}
                          error={mine?.form === "homeroom" ? mine.errors.teacherId : undefined}
                        />
                        <button type="submit">{t("groups.setHomeroom")}</button>
                      </Form>
                      {mine?.form === "homeroom" && mine.done === "saved" ? <Notice>{t("groups.homeroomSaved", { name: g.name })}</Notice> : null}
                    </td>
                    <td>{g.subjects.length ? g.subjects.map((s) => subjectName(s, locale)).join(", ") : "—"}</td>
                    <td>
                      <code data-testid="group-code">{g.joinCode}</code>
                      {mine?.form === "code" && mine.done === "replaced" ? <Notice>{t("classes.newCodeDone")}</Notice> : null}
                      {mine?.form === "code" && mine.done === "confirm" ? (
                        <div className="confirm" role="group" aria-labelledby={`new-code-${g.id}`}>
                          <h3 id={`new-code-${g.id}`}>{t("classes.newCodeQuestion")}</h3>
                          <p role="alert">{t("groups.newCodeWarning", { code: g.joinCode, name: g.name })}</p>
                          <div className="actions">
                            <Form method="post">
                              <input type="hidden" name="groupId" value={g.id} />
                              <button type="submit" name="intent" value="group-code-confirm" className="primary">
                                {t("classes.newCodeConfirm")}
                              </button>
                            </Form>
                            <Link to={`/admin/schools/${school.id}/classes`}>{t("classes.newCodeKeep")}</Link>
                          </div>
                        </div>
                      ) : (
                        <Form method="post">
                          <input type="hidden" name="intent" value="group-new-code" />
                          <input type="hidden" name="groupId" value={g.id} />
                          <button type="submit" aria-label={`${t("classes.newCode")}: ${g.name}`}>
                            {t("classes.newCode")}
                          </button>
                        </Form>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
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
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "admin.classes");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
