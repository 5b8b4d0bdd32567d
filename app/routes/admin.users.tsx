import { Form, useActionData, useLoaderData } from "react-router";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/admin.users";
import { createSchoolUser } from "../services/users.server.ts";
import { PeopleQuerySchema, schoolClassOptions, searchSchoolPeople, type PersonClass } from "../services/people.server.ts";
import { formatDate, formatNumber, formatPhone } from "../lib/vn.ts";
import { SUBJECTS, subjectName } from "../lib/curriculum.ts";
import { issueLinkCode } from "../services/families.server.ts";
import { Field, FormError, Notice, Select } from "../components/forms.tsx";
import { useLocale, useT } from "../i18n/index.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";
import { resetPasswordInSchool } from "../services/recovery.server.ts";
import { requireSchoolAdmin } from "./_admin.server.ts";
import { pageTitle } from "../lib/meta.ts";

const LIST_ROLES = ["school_admin", "teacher", "student", "parent"] as const;

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const { actor, db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const query = PeopleQuerySchema.parse(Object.fromEntries(url.searchParams));
  const classOptions = await schoolClassOptions(db, school.id);
  // A class that is not one of this school's is no filter at all.
  if (query.classId && !classOptions.some((c) => c.id === query.classId)) query.classId = undefined;
  const result = await searchSchoolPeople(db, actor, school.id, query);
  return {
    school,
    me: actor.id,
    query: { q: query.q ?? "", role: query.role ?? "", classId: query.classId ?? "", status: query.status ?? "" },
    classOptions: classOptions.map((c) => ({ id: c.id, name: c.name, subject: c.subject })),
    ...result,
    people: result.people.map((p) => ({ ...p, phone: p.phone ? formatPhone(p.phone) : null })),
  };
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
  const created = { id: result.value.id, name: fields.fullName ?? "", login: fields.email || fields.phone || "", password: result.value.password };
  return { errors: {} as Record<string, string>, values: null, created, issued: null, reset: null };
}

/** "6A1 (Toán, Ngữ văn) · 7A2 (KHTN)": a person's classes by class name, subjects in the programme's order. */
function compactClasses(list: PersonClass[], locale: "vi" | "en"): string {
  const order = (code: string) => SUBJECTS.findIndex((s) => s.code === code);
  const byName = new Map<string, string[]>();
  for (const c of list) byName.set(c.name, [...(byName.get(c.name) ?? []), c.subject]);
  return [...byName]
    .map(([name, subjects]) => `${name} (${subjects.sort((x, y) => order(x) - order(y)).map((s) => subjectName(s, locale)).join(", ")})`)
    .join(" · ");
}

/** The list's address with the same filters, on another page. */
function pageHref(query: Record<string, string>, page: number) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  if (page > 1) params.set("page", String(page));
  const s = params.toString();
  return s ? `?${s}` : "?";
}

export default function AdminUsers() {
  const { school, people, query, classOptions, total, page, pages, pageSize, me } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const v = result?.values;
  const issuedFor = people.find((u) => u.id === result?.issued?.studentId)?.fullName ?? "";
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  const filtered = Boolean(query.q || query.role || query.classId || query.status);
  return (
    <>
      <p>
        <Link to="/admin">← {t("admin.title")}</Link>
      </p>
      <h1>
        {t("admin.users")} — {school.name}
      </h1>
      <section className="card" aria-labelledby="user-list">
        <h2 id="user-list">{t("people.listTitle")}</h2>
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
        <Form method="get" className="filters" role="search" aria-label={t("people.searchLabel")}>
          <div className="field filter-q">
            <label htmlFor="people-q">{t("people.search")}</label>
            <input id="people-q" name="q" type="search" defaultValue={query.q} aria-describedby="people-q-hint" />
            <p id="people-q-hint" className="hint">
              {t("people.searchHint")}
            </p>
          </div>
          <div className="field">
            <label htmlFor="people-role">{t("common.role")}</label>
            <select id="people-role" name="role" defaultValue={query.role}>
              <option value="">{t("admin.all")}</option>
              {LIST_ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`roles.${r}`)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="people-class">{t("common.className")}</label>
            <select id="people-class" name="classId" defaultValue={query.classId}>
              <option value="">{t("admin.all")}</option>
              {classOptions.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} · {subjectName(c.subject, locale)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="people-status">{t("common.status")}</label>
            <select id="people-status" name="status" defaultValue={query.status}>
              <option value="">{t("admin.all")}</option>
              <option value="active">{t("people.active")}</option>
              <option value="deactivated">{t("people.deactivated")}</option>
            </select>
          </div>
          <div className="filter-submit">
            <button type="submit" className="primary">
              {t("people.searchSubmit")}
            </button>
            {filtered ? (
              <Link to="?" className="button">
                {t("people.clear")}
              </Link>
            ) : null}
          </div>
        </Form>
        <p className="muted" role="status" data-testid="people-count">
          {people.length === 0 ? t("people.none") : t("people.range", { from: formatNumber(from, locale, 0), to: formatNumber(to, locale, 0), total: formatNumber(total, locale, 0) })}
        </p>
        {people.length ? (
          <div className="table-wrap">
            <table className="cards people">
              <thead>
                <tr>
                  <th scope="col">{t("common.name")}</th>
                  <th scope="col">{t("common.role")}</th>
                  <th scope="col">{t("people.classes")}</th>
                  <th scope="col">
                    {t("common.email")} / {t("common.phone")}
                  </th>
                  <th scope="col">{t("common.status")}</th>
                  <th scope="col">{t("common.actions")}</th>
                </tr>
              </thead>
              <tbody>
                {people.map((u) => (
                  <tr key={u.id} data-testid="person-row">
                    <td data-label={t("common.name")}>
                      <Link to={`/admin/schools/${school.id}/users/${u.id}`}>{u.fullName}</Link>
                    </td>
                    <td data-label={t("common.role")}>{u.roles.map((r) => t(`roles.${r}`)).join(", ")}</td>
                    <td data-label={t("people.classes")}>{u.classes.length ? compactClasses(u.classes, locale) : <span className="muted">—</span>}</td>
                    <td data-label={`${t("common.email")} / ${t("common.phone")}`} className="contact">
                      {[u.email, u.phone].filter(Boolean).join(" · ")}
                    </td>
                    <td data-label={t("common.status")}>
                      {u.deactivated ? <span className="badge badge-err">{t("people.deactivated")}</span> : <span className="muted">{t("people.active")}</span>}
                    </td>
                    <td data-label={t("common.actions")}>
                      <div className="actions">
                        {u.roles.includes("student") && !u.deactivated ? (
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
        ) : null}
        {pages > 1 ? (
          <nav className="pager actions" aria-label={t("people.pages")}>
            {page > 1 ? (
              <Link className="button" to={pageHref(query, page - 1)} rel="prev">
                ← {t("people.prev")}
              </Link>
            ) : null}
            <span className="muted">{t("people.pageOf", { page: formatNumber(page, locale, 0), pages: formatNumber(pages, locale, 0) })}</span>
            {page < pages ? (
              <Link className="button" to={pageHref(query, page + 1)} rel="next">
                {t("people.next")} →
              </Link>
            ) : null}
          </nav>
        ) : null}
      </section>
      <section className="card narrow-card" aria-labelledby="new-user">
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
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "admin.users");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
