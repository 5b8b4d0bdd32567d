import { Form, useActionData, useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/admin.users";
import { createSchoolUser, listSchoolUsers } from "../services/users.server.ts";
import { ROLES } from "../../db/schema/index.ts";
import { formatDate, formatPhone } from "../lib/vn.ts";
import { issueLinkCode } from "../services/families.server.ts";
import { Field, FormError, Notice, Select } from "../components/forms.tsx";
import { useT } from "../i18n/index.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";
import { resetPasswordInSchool } from "../services/recovery.server.ts";
import { requireSchoolAdmin } from "./_admin.server.ts";
import { pageTitle } from "../lib/meta.ts";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const { actor, db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const role = url.searchParams.get("role");
  const filter = ROLES.find((r) => r === role);
  const users = await listSchoolUsers(db, actor, school.id, { role: filter });
  return { school, me: actor.id, role: filter ?? "", users: users.map((u) => ({ ...u, phone: u.phone ? formatPhone(u.phone) : null })) };
}

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const { actor, db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const fields = formObject(await readForm(request, context));
  if (fields.intent === "link-code") {
    const issued = await issueLinkCode(db, actor, fields.studentId ?? "", fields);
    return { errors: {} as Record<string, string>, values: null, created: null, issued: { ...issued, studentId: fields.studentId }, reset: null };
  }
  if (fields.intent === "reset-password") {
    const reset = await resetPasswordInSchool(db, actor, school.id, fields.userId);
    return { errors: {} as Record<string, string>, values: null, created: null, issued: null, reset };
  }
  const result = await createSchoolUser(db, actor, school.id, fields);
  if (!result.ok) {
    const { fullName, email, phone, role } = fields;
    return badRequest({ errors: result.errors, values: { fullName, email, phone, role } as Record<string, string | undefined>, created: null, issued: null, reset: null });
  }
  // The temporary password is shown in this response only; the database keeps its hash.
  const created = { name: fields.fullName ?? "", login: fields.email || fields.phone || "", password: result.value.password };
  return { errors: {} as Record<string, string>, values: null, created, issued: null, reset: null };
}

export default function AdminUsers() {
  const { school, users, role, me } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const v = result?.values;
  const issuedFor = users.find((u) => u.id === result?.issued?.studentId)?.fullName ?? "";
  return (
    <>
      <p>
        <Link to="/admin">← {t("admin.title")}</Link>
      </p>
      <h1>
        {t("admin.users")} — {school.name}
      </h1>
      <div className="grid grid-2">
        <section className="card" aria-labelledby="new-user">
          <h2 id="new-user">{t("admin.newUser")}</h2>
          {result?.created ? (
            <Notice>
              <span data-testid="temporary-password">{t("admin.userCreatedPassword", result.created)}</span>
            </Notice>
          ) : null}
          {result?.errors && Object.keys(result.errors).length ? <FormError message="common.errorSummary" /> : null}
          <Form method="post" noValidate key={result?.created?.password ?? "form"}>
            <Field label={t("common.name")} name="fullName" required defaultValue={v?.fullName} error={result?.errors?.fullName} />
            <Field label={t("common.email")} name="email" type="email" defaultValue={v?.email} error={result?.errors?.email} />
            <Field label={t("common.phone")} name="phone" type="tel" defaultValue={v?.phone} error={result?.errors?.phone} />
            <Select
              label={t("common.role")}
              name="role"
              defaultValue={v?.role ?? "student"}
              options={(["teacher", "student", "parent"] as const).map((r) => ({ value: r, label: t(`roles.${r}`) }))}
              error={result?.errors?.role}
            />
            <p className="muted">{t("admin.passwordGenerated")}</p>
            <button type="submit" className="primary">
              {t("admin.newUser")}
            </button>
          </Form>
        </section>
        <section className="card" aria-labelledby="user-list">
          <h2 id="user-list">
            {t("admin.users")} ({users.length})
          </h2>
          {result?.reset ? (
            <Notice>
              <span data-testid="temporary-password">{t("recovery.resetDone", { name: result.reset.fullName, login: result.reset.login, password: result.reset.password })}</span>
            </Notice>
          ) : null}
          {result?.issued ? (
            <Notice>
              <span data-testid="link-code">
                {t("classes.parentCodeIssued", { name: issuedFor, code: result.issued.code, date: formatDate(result.issued.expiresAt), uses: result.issued.uses })}
              </span>
            </Notice>
          ) : null}
          <Form method="get" className="actions">
            <label htmlFor="role-filter">{t("common.role")}</label>
            <select id="role-filter" name="role" defaultValue={role} style={{ width: "auto" }}>
              <option value="">{t("admin.all")}</option>
              {(["school_admin", "teacher", "student", "parent"] as const).map((r) => (
                <option key={r} value={r}>
                  {t(`roles.${r}`)}
                </option>
              ))}
            </select>
            <button type="submit">OK</button>
          </Form>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("common.name")}</th>
                  <th scope="col">{t("common.role")}</th>
                  <th scope="col">{t("common.email")} / {t("common.phone")}</th>
                  <th scope="col">{t("common.actions")}</th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.id + u.role}>
                    <td>{u.fullName}</td>
                    <td>{t(`roles.${u.role}`)}</td>
                    <td>{[u.email, u.phone].filter(Boolean).join(" · ")}</td>
                    <td>
                      <div className="actions">
                        {u.role === "student" ? (
                          <Form method="post">
                            <input type="hidden" name="intent" value="link-code" />
                            <input type="hidden" name="studentId" value={u.id} />
                            <button type="submit" aria-label={`${t("classes.parentCode")}: ${u.fullName}`}>
                              {t("classes.parentCode")}
                            </button>
                          </Form>
                        ) : null}
                        {u.id !== me ? (
                          <Form method="post">
                            <input type="hidden" name="intent" value="reset-password" />
                            <input type="hidden" name="userId" value={u.id} />
                            <button type="submit" aria-label={`${t("recovery.resetPassword")}: ${u.fullName}`}>
                              {t("recovery.resetPassword")}
                            </button>
                          </Form>
                        ) : null}
                      </div>
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

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "admin.users");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
