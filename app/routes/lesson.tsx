import { useLoaderData } from "react-router";
import { useRef } from "react";
import { mathLinks } from "../lib/math-styles.ts";
import { useHideBrokenImages } from "../components/broken-images.tsx";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/lesson";
import { getDb } from "../../db/client.server.ts";
import { getActor, requireActor } from "../auth/guards.server.ts";
import { getLessonForReader, isOpenToVisitors } from "../services/lessons.server.ts";
import { subjectName } from "../lib/curriculum.ts";
import { formatDateTime } from "../lib/vn.ts";
import { useLocale, useT } from "../i18n/index.ts";
import { LicenceBadge } from "../components/open-licence.tsx";
import { resourcesOfLesson } from "../services/library/lesson-resources.server.ts";
import { ResourceSummary } from "../components/library-resource.tsx";

export async function loader({ url, context, params }: Route.LoaderArgs) {
  // A visitor who is not signed in reads an open lesson (the province's /oai links here); any other
  // lesson asks them to sign in first.
  const actor = getActor(context);
  if (!actor && !(await isOpenToVisitors(getDb(), { lessonId: params.lessonId }))) requireActor(url, context);
  const lesson = await getLessonForReader(getDb(), actor, params.lessonId);
  return { ...lesson, resources: await resourcesOfLesson(getDb(), lesson.id) };
}

function size(bytes: number) {
  return bytes > 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

export default function LessonPage() {
  const lesson = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const prose = useRef<HTMLDivElement>(null);
  useHideBrokenImages(prose, lesson.bodyHtml);
  return (
    <article className="card">
      <p className="muted">
        {subjectName(lesson.subject, locale)} {lesson.className}
        {lesson.publishedAt ? ` · ${t("lesson.publishedAt", { date: formatDateTime(lesson.publishedAt) })}` : ""}
        {lesson.status === "draft" ? (
          <>
            {" "}
            <span className="badge">{t("classes.draft")}</span>
          </>
        ) : null}
      </p>
      <h1>{lesson.title}</h1>
      <LicenceBadge licence={lesson.licence} />
      <div className="prose" ref={prose} dangerouslySetInnerHTML={{ __html: lesson.bodyHtml }} />
      {lesson.attachments.length > 0 ? (
        <section aria-labelledby="files">
          <h2 id="files">{t("common.files")}</h2>
          <ul>
            {lesson.attachments.map((a) => (
              <li key={a.id}>
                <a href={`/files/${a.id}`} download>
                  {a.filename}
                </a>{" "}
                <span className="muted">({size(a.size)})</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {lesson.resources.length > 0 ? (
        <section aria-labelledby="lesson-resources" data-testid="lesson-resources">
          <h2 id="lesson-resources">{t("library.lessonResources")}</h2>
          <ul className="list">
            {lesson.resources.map((r) => (
              <li key={r.id}>
                <ResourceSummary resource={r} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {lesson.canEdit ? (
        <p>
          <Link to={`/classes/${lesson.classId}/lessons/${lesson.id}/edit`}>{t("lesson.edit")}</Link>
        </p>
      ) : null}
    </article>
  );
}

export const links: Route.LinksFunction = mathLinks;

export const meta: Route.MetaFunction = ({ data }) => [{ title: data ? `${data.title} · Lớp Số` : "Lớp Số" }];
