import { subjectName } from "../lib/curriculum.ts";
import { useLocale, useT } from "../i18n/index.ts";

export type ResourceSourceView = { kind: "repository" | "school"; id: string; name: string; identifier: string | null };
export type ResourceView = {
  id: string;
  title: string;
  url: string | null;
  licence: string | null;
  subject: string | null;
  grades: number[];
  resourceType: string | null;
  sources: ResourceSourceView[];
};

/** A library resource's title (a link to it), then its subject and grades, type, source(s) and licence. */
export function ResourceSummary({ resource, headingLevel = 3 }: { resource: ResourceView; headingLevel?: 2 | 3 }) {
  const t = useT();
  const locale = useLocale();
  const Heading = headingLevel === 2 ? "h2" : "h3";
  const sources = resource.sources.map((s) => (s.kind === "school" ? t("library.openLessonOf", { school: s.name }) : s.name));
  const about = [
    resource.subject ? subjectName(resource.subject, locale) : null,
    resource.grades.length ? t("library.grades", { list: resource.grades.join(", ") }) : null,
    resource.resourceType,
  ].filter(Boolean);
  return (
    <>
      <Heading className="item-title resource-title">
        {resource.url ? (
          <a href={resource.url} target="_blank" rel="noopener noreferrer" data-testid="resource-link">
            {resource.title}
          </a>
        ) : (
          resource.title
        )}
      </Heading>
      {about.length ? <p className="muted">{about.join(" · ")}</p> : null}
      <p className="muted">
        {sources.length ? t("library.sources", { list: sources.join("; ") }) : null}
        {sources.length ? " · " : null}
        {resource.licence ? t("library.licence", { licence: resource.licence }) : t("library.noLicence")}
      </p>
    </>
  );
}
