import { Form, redirect, useActionData, useLoaderData } from "react-router";
import type { Route } from "./+types/admin.user";
import { Link } from "../components/link.tsx";
import { Field, FormError, Notice } from "../components/forms.tsx";
import { useLocale, useT, type MessageKey } from "../i18n/index.ts";
import { formatDateTime, formatPhone } from "../lib/vn.ts";
import { formatSchoolYear, subjectName } from "../lib/curriculum.ts";
import { pageTitle } from "../lib/meta.ts";
import { deactivatePerson, personForAdmin, personFormValues, reactivatePerson, requirePerson, updatePerson } from "../services/people.server.ts";
import { resetPasswordInSchool } from "../services/recovery.server.ts";
import { requireSchoolAdmin } from "./_admin.server.ts";
import { badRequest, formObject, readForm, stripNul } from "./_form.server.ts";

const DONE = ["saved", "deactivated", "reactivated"] as const;

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const { actor, db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const view = await personForAdmin(db, actor, school.id, params.userId);
  const done = DONE.find((d) => d === url.searchParams.get("done")) ?? null;
  return {
    school,
    isMe: view.person.id === actor.id,
    done,
    person: { ...view.person, phoneText: view.person.phone ? formatPhone(view.person.phone) : "" },
    classRole: view.classRole,
    classIds: view.classes.map((c) => c.id),
    options: view.options,
  };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const { actor, db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const form = await readForm(request, context);
  const fields = formObject(form);
  const here = `/admin/schools/${school.id}/users/${params.userId}`;
  switch (fields.intent) {
    case "save": {
      const classIds = form.getAll("classId").filter((v): v is string => typeof v === "string").map(stripNul);
      const values = personFormValues(fields, classIds);
      const result = await updatePerson(db, actor, school.id, params.userId, values);
      if (!result.ok) return badRequest({ kind: "save" as const, errors: result.errors, vars: result.vars ?? {}, values, reset: null });
      throw redirect(`${here}?done=saved`);
    }
    case "reset-password": {
      const reset = await resetPasswordInSchool(db, actor, school.id, params.userId);
      return { kind: "reset" as const, errors: {} as Record<string, string>, vars: {}, values: null, reset };
    }
    case "deactivate": {
      // The question first; the account is locked only by the confirming "deactivate-confirm".
      const person = await requirePerson(db, actor, school.id, params.userId);
      if (person.id === actor.id) return badRequest({ kind: "state" as const, errors: { form: "errors.deactivate_self" }, vars: {}, values: null, reset: null });
      return { kind: "confirm" as const, errors: {} as Record<string, string>, vars: {}, values: null, reset: null };
    }
    case "deactivate-confirm": {
      const result = await deactivatePerson(db, actor, school.id, params.userId);
      if (!result.ok) return badRequest({ kind: "state" as const, errors: result.errors, vars: {}, values: null, reset: null });
      throw redirect(`${here}?done=deactivated`);
    }
    case "reactivate": {
      await reactivatePerson(db, actor, school.id, params.userId);
      throw redirect(`${here}?done=reactivated`);
    }
    default:
      // Whatever else is posted names nothing here; the person must still be one of the school's.
      await requirePerson(db, actor, school.id, params.userId);
      return badRequest({ kind: "state" as const, errors: { form: "errors.invalid" }, vars: {}, values: null, reset: null });
  }
}

export default function AdminUser() {
  const { school, person, classRole, classIds, options, isMe, done } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const errors = (result?.errors ?? {}) as Record<string, string | undefined>;
  const vars = (result?.vars ?? {}) as Record<string, Record<string, string>>;
  const v = result?.values;
  const checked = new Set(v ? v.classIds : classIds);
  // The school's classes grouped by class and year: "6A1 (2026–2027): Toán, Ngữ văn…".
  const groups = new Map<string, typeof options>();
  for (const c of options) {
    const key = `${c.name} ${c.schoolYear}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const deactivated = Boolean(person.deactivatedAt);
  return (
    <>
      <p>
        <Link to={`/admin/schools/${school.id}/users`}>← {t("admin.users")} — {school.name}</Link>
      </p>
      <h1>
        {person.fullName} {deactivated ? <span className="badge badge-err">{t("people.deactivated")}</span> : null}
      </h1>
      <p className="muted">{person.roles.map((r) => t(`roles.${r}`)).join(", ")}</p>
      {done ? <Notice>{t(`people.done.${done}` as MessageKey, { name: person.fullName })}</Notice> : null}
      {errors.form ? <FormError message={errors.form} /> : null}
      <div className="grid grid-2">
        <section className="card" aria-labelledby="person-edit">
          <h2 id="person-edit">{t("people.editTitle")}</h2>
          {result?.kind === "save" ? <FormError message="common.errorSummary" /> : null}
          <Form method="post" noValidate>
            <input type="hidden" name="intent" value="save" />
            <Field label={t("common.name")} name="fullName" required defaultValue={v?.fullName ?? person.fullName} error={errors.fullName} autoComplete="off" />
            <Field label={t("common.email")} name="email" type="email" defaultValue={v?.email ?? person.email ?? ""} error={errors.email} errorVars={vars.email} autoComplete="off" />
            <Field
              label={t("common.phone")}
              name="phone"
              type="tel"
              hint={t("people.phoneHint")}
              defaultValue={v?.phone ?? person.phoneText}
              error={errors.phone}
              errorVars={vars.phone}
              autoComplete="off"
            />
            <Field label={t("people.birthDate")} name="birthDate" type="date" defaultValue={v?.birthDate ?? person.birthDate ?? ""} error={errors.birthDate} />
            {classRole ? (
              <fieldset className="class-picker" aria-describedby={errors.classIds ? "class-error" : "class-hint"}>
                <legend>{classRole === "student" ? t("people.classesStudent") : t("people.classesTeacher")}</legend>
                <p id="class-hint" className="hint">
                  {classRole === "student" ? t("people.classesStudentHint") : t("people.classesTeacherHint")}
                </p>
                {errors.classIds ? (
                  <p id="class-error" className="error" role="alert">
                    {t(errors.classIds as MessageKey)}
                  </p>
                ) : null}
                {options.length === 0 ? <p className="muted">{t("people.noClasses")}</p> : null}
                {[...groups].map(([key, list]) => (
                  <div key={key} className="class-group" role="group" aria-label={`${list[0].name} (${formatSchoolYear(list[0].schoolYear)})`}>
                    <p className="class-group-name">
                      {list[0].name} <span className="muted">({formatSchoolYear(list[0].schoolYear)})</span>
                    </p>
                    <div className="checks">
                      {list.map((c) => (
                        <label key={c.id} className="check">
                          <input type="checkbox" name="classId" value={c.id} defaultChecked={checked.has(c.id)} /> {subjectName(c.subject, locale)}
                        </label>
                      ))}
                    </div>
                  </div>
                ))}
              </fieldset>
            ) : null}
            <button type="submit" className="primary">
              {t("common.save")}
            </button>
          </Form>
        </section>
        <div>
          <section className="card" aria-labelledby="person-password">
            <h2 id="person-password">{t("recovery.resetPassword")}</h2>
            {result?.reset ? (
              <Notice>
                <span data-testid="temporary-password">{t("recovery.resetDone", { name: result.reset.fullName, login: result.reset.login, password: result.reset.password })}</span>
              </Notice>
            ) : null}
            {isMe ? (
              <p className="muted">{t("people.ownAccount")}</p>
            ) : (
              <Form method="post">
                <p className="hint">{deactivated ? t("people.resetWhileDeactivated") : t("people.resetHint")}</p>
                <input type="hidden" name="intent" value="reset-password" />
                <button type="submit">{t("recovery.resetPassword")}</button>
              </Form>
            )}
          </section>
          <section className="card" aria-labelledby="person-status">
            <h2 id="person-status">{t("people.statusTitle")}</h2>
            {deactivated ? (
              <>
                <p>{t("people.deactivatedSince", { date: formatDateTime(person.deactivatedAt!) })}</p>
                <Form method="post">
                  <input type="hidden" name="intent" value="reactivate" />
                  <button type="submit" className="primary">
                    {t("people.reactivate")}
                  </button>
                </Form>
              </>
            ) : isMe ? (
              <p className="muted">{t("errors.deactivate_self")}</p>
            ) : result?.kind === "confirm" ? (
              <div className="confirm" role="group" aria-labelledby="deactivate-question">
                <h3 id="deactivate-question">{t("people.deactivateQuestion", { name: person.fullName })}</h3>
                <p>{t("people.deactivateDetail")}</p>
                <Form method="post" className="actions">
                  <button type="submit" name="intent" value="deactivate-confirm" className="danger">
                    {t("people.deactivateConfirm")}
                  </button>
                  <Link className="button" to={`/admin/schools/${school.id}/users/${person.id}`}>
                    {t("common.cancel")}
                  </Link>
                </Form>
              </div>
            ) : (
              <Form method="post">
                <p className="hint">{t("people.deactivateHint")}</p>
                <input type="hidden" name="intent" value="deactivate" />
                <button type="submit">{t("people.deactivate")}</button>
              </Form>
            )}
          </section>
        </div>
      </div>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "people.personTitle");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
