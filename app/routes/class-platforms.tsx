import { Form, useActionData, useLoaderData } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/class-platforms";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { linkableCourses, linkCourse } from "../services/sync/teacher-links.server.ts";
import { subjectName } from "../lib/curriculum.ts";
import { Link } from "../components/link.tsx";
import { Notice } from "../components/forms.tsx";
import { useLocale, useT, type MessageKey } from "../i18n/index.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";
import { pageTitle } from "../lib/meta.ts";

/**
 * A teacher links their hub class to one of their own courses on Google Classroom or Teams (the
 * school's connection lists the courses the teacher teaches there, by their email).
 */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const page = await linkableCourses(getDb(), actor, params.classId);
  return {
    class: { id: page.class.id, name: page.class.name, subject: page.class.subject },
    email: actor.email,
    sources: page.sources,
  };
}

const LinkForm = z.object({ connectionId: z.uuid(), courseId: z.string().min(1).max(200) });

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const parsed = LinkForm.safeParse(formObject(await readForm(request, context)));
  if (!parsed.success) return badRequest({ ok: false as const, error: "not_your_course" as const, code: undefined as string | undefined, course: null as string | null });
  const r = await linkCourse(getDb(), actor, params.classId, parsed.data.connectionId, parsed.data.courseId);
  if (!r.ok) return badRequest({ ok: false as const, error: r.error, code: r.code, course: null });
  return { ok: true as const, error: null, code: undefined, course: r.name };
}

const PROBLEMS = ["no_email", "not_a_teacher", "reauth_required", "rate_limited", "transient"];

export default function ClassPlatforms() {
  const { class: c, email, sources } = useLoaderData<typeof loader>();
  const done = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  return (
    <>
      <p>
        <Link to={`/classes/${c.id}`}>
          ← {subjectName(c.subject, locale)} {c.name}
        </Link>
      </p>
      <h1>{t("platformLinks.title")}</h1>
      <p>{t("platformLinks.intro", { class: c.name })}</p>
      {done?.ok ? <Notice>{t("platformLinks.done", { course: done.course ?? "" })}</Notice> : null}
      {done && !done.ok ? (
        <p className="error" role="alert">
          {t(`platformLinks.error.${done.error}` as MessageKey, { code: done.code ?? "" })}
        </p>
      ) : null}
      {sources.length === 0 ? <p className="muted">{t("platformLinks.none")}</p> : null}
      {sources.map((s) => {
        const platform = t(`platformLinks.platform.${s.provider}`);
        return (
          <section key={s.connectionId} className="card" aria-labelledby={`src-${s.connectionId}`}>
            <h2 id={`src-${s.connectionId}`}>{s.accountName ? t("platformLinks.account", { platform, account: s.accountName }) : platform}</h2>
            {s.problem ? (
              <p className="error" role="alert">
                {t(`platformLinks.problem.${PROBLEMS.includes(s.problem) ? s.problem : "other"}` as MessageKey, { code: s.problem })}
              </p>
            ) : s.courses.length === 0 ? (
              <p className="muted">{t("platformLinks.noCourses", { platform, email: email ?? "" })}</p>
            ) : (
              <ul className="list">
                {s.courses.map((course) => (
                  <li key={course.externalId} className="row">
                    <div>
                      {course.webUrl ? (
                        <a href={course.webUrl} target="_blank" rel="noreferrer noopener">
                          {course.name}
                        </a>
                      ) : (
                        course.name
                      )}
                      {course.section ? <span className="muted"> · {course.section}</span> : null}
                    </div>
                    {course.linkedTo ? (
                      <span className="badge" data-testid="linked">
                        {course.linkedTo.classId === c.id ? t("platformLinks.linkedHere") : t("platformLinks.linkedElsewhere", { class: course.linkedTo.name })}
                      </span>
                    ) : (
                      <Form method="post">
                        <input type="hidden" name="connectionId" value={s.connectionId} />
                        <input type="hidden" name="courseId" value={course.externalId} />
                        <button type="submit" aria-label={`${t("platformLinks.link")}: ${course.name}`}>
                          {t("platformLinks.link")}
                        </button>
                      </Form>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
        );
      })}
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "platformLinks.title");
export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
