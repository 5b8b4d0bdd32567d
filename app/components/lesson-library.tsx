import { Form } from "react-router";
import { useT } from "../i18n/index.ts";
import { Notice } from "./forms.tsx";
import { ResourceSummary, type ResourceView } from "./library-resource.tsx";

export type LessonLibraryData = {
  attached: ResourceView[];
  q: string;
  found: { hits: ResourceView[]; total: number; estimated: boolean } | null;
  failed: boolean;
  notice: "attached" | "detached" | null;
} | null;

/**
 * The lesson editor's library panel: the resources attached to the lesson (each with "Gỡ"), and a
 * search of the library whose results each have "Gắn vào bài". A new lesson is saved first.
 */
export function LessonLibrary({ data }: { data: LessonLibraryData }) {
  const t = useT();
  const attachedIds = new Set(data?.attached.map((r) => r.id) ?? []);
  return (
    <section className="card lesson-resources" id="library" aria-labelledby="lesson-library-title">
      <h2 id="lesson-library-title">{t("library.lessonResources")}</h2>
      {!data ? (
        <p className="muted">{t("library.saveFirst")}</p>
      ) : (
        <>
          {data.notice ? <Notice>{t(data.notice === "attached" ? "library.attachedOk" : "library.detachedOk")}</Notice> : null}
          <p className="muted">{t("library.lessonResourcesHint")}</p>
          {data.attached.length === 0 ? (
            <p className="muted" data-testid="lesson-resources-none">
              {t("library.noneAttached")}
            </p>
          ) : (
            <ul className="list" data-testid="lesson-resources">
              {data.attached.map((r) => (
                <li key={r.id}>
                  <ResourceSummary resource={r} />
                  <Form method="post" preventScrollReset>
                    <input type="hidden" name="resourceId" value={r.id} />
                    <button type="submit" name="intent" value="detach-resource" aria-label={t("library.detachLabel", { title: r.title })}>
                      {t("library.detach")}
                    </button>
                  </Form>
                </li>
              ))}
            </ul>
          )}
          {/* A router form: the editor stays on the page, with whatever the teacher has typed. */}
          <Form method="get" role="search" className="library-search" preventScrollReset>
            <label htmlFor="lesson-library-q">{t("library.findForLesson")}</label>
            <div className="search-row">
              <input id="lesson-library-q" type="search" name="libq" defaultValue={data.q} maxLength={200} aria-describedby="lesson-library-hint" />
              <button type="submit">{t("library.search")}</button>
            </div>
            <p id="lesson-library-hint" className="muted">
              {t("library.searchHint")}
            </p>
          </Form>
          {data.failed ? (
            <p className="banner banner-error" role="alert">
              {t("library.error")}
            </p>
          ) : null}
          {data.found && data.found.hits.length === 0 ? <p className="muted">{t("library.empty")}</p> : null}
          {data.found && data.found.hits.length > 0 ? (
            <ul className="list" data-testid="lesson-library-results">
              {data.found.hits.map((r) => (
                <li key={r.id} data-testid="lesson-library-hit">
                  <ResourceSummary resource={r} />
                  {attachedIds.has(r.id) ? (
                    <span className="badge badge-ok">{t("library.attached")}</span>
                  ) : (
                    <Form method="post" preventScrollReset>
                      <input type="hidden" name="resourceId" value={r.id} />
                      <button type="submit" name="intent" value="attach-resource" aria-label={t("library.attachLabel", { title: r.title })}>
                        {t("library.attach")}
                      </button>
                    </Form>
                  )}
                </li>
              ))}
            </ul>
          ) : null}
        </>
      )}
    </section>
  );
}
