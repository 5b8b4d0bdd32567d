import { useLoaderData } from "react-router";
import type { Route } from "./+types/library";
import { getDb } from "../../db/client.server.ts";
import { requireActor } from "../auth/guards.server.ts";
import { Link } from "../components/link.tsx";
import { ResourceSummary } from "../components/library-resource.tsx";
import { useLocale, useT, type MessageKey } from "../i18n/index.ts";
import { subjectName } from "../lib/curriculum.ts";
import { formatNumber } from "../lib/vn.ts";
import { pageTitle } from "../lib/meta.ts";
import { libraryHref, libraryQuery } from "../lib/library-query.ts";
import { searchLibrary } from "../services/library/search.server.ts";

/** Every signed-in person of the province may search the library. */
export async function loader({ url, context }: Route.LoaderArgs) {
  requireActor(url, context);
  const query = libraryQuery(url.searchParams);
  try {
    return { query, result: await searchLibrary(getDb(), query), failed: false };
  } catch (error) {
    console.error("library search failed", error);
    return { query, result: null, failed: true };
  }
}

type Facets = NonNullable<Awaited<ReturnType<typeof loader>>["result"]>["facets"];
const FACET_ORDER = ["subject", "grade", "type", "language", "licence", "source"] as const;
type FacetKey = (typeof FACET_ORDER)[number];

export default function Library() {
  const { query, result, failed } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const n = (v: number) => formatNumber(v, locale, 0);
  const filtered = FACET_ORDER.some((k) => (query[k] ?? []).length > 0);
  const label = (facet: FacetKey, value: string, fallback?: string) => {
    if (facet === "subject") return subjectName(value, locale);
    if (facet === "grade") return t("library.grade", { n: value });
    if (facet === "language" && (value === "vi" || value === "en")) return t(`library.language.${value}` as MessageKey);
    return fallback ?? value;
  };
  return (
    <div className="library">
      <h1>{t("library.title")}</h1>
      <p className="muted">{t("library.intro")}</p>
      <form method="get" action="/library" role="search" className="card library-search">
        <label htmlFor="library-q">{t("library.searchLabel")}</label>
        <div className="search-row">
          <input id="library-q" type="search" name="q" defaultValue={query.q} maxLength={200} aria-describedby="library-q-hint" enterKeyHint="search" />
          <button type="submit" className="primary">
            {t("library.search")}
          </button>
        </div>
        <p id="library-q-hint" className="muted">
          {t("library.searchHint")}
        </p>
        {/* The filters chosen stay with a new search. */}
        {FACET_ORDER.flatMap((k) => (query[k] ?? []).map((v) => <input key={`${k}:${v}`} type="hidden" name={k} value={String(v)} />))}
      </form>
      {failed || !result ? (
        <p className="banner banner-error" role="alert" data-testid="library-error">
          {t("library.error")}
        </p>
      ) : (
        <div className="library-body">
          <aside className="library-facets">
            <details open className="card">
              <summary>
                <h2>{t("library.filters")}</h2>
              </summary>
              <form method="get" action="/library">
                {query.q ? <input type="hidden" name="q" value={query.q} /> : null}
                {FACET_ORDER.map((facet) => (
                  <FacetBox key={facet} facet={facet} values={result.facets[facet]} chosen={(query[facet] ?? []).map(String)} label={label} n={n} />
                ))}
                <div className="actions">
                  <button type="submit">{t("library.apply")}</button>
                  {filtered ? <Link to={libraryHref(query, { subject: [], grade: [], type: [], language: [], licence: [], source: [], page: 1 })}>{t("library.clear")}</Link> : null}
                </div>
                {result.estimated ? <p className="muted">{t("library.estimated")}</p> : null}
              </form>
            </details>
          </aside>
          <section className="library-results" aria-labelledby="library-results-title">
            <h2 id="library-results-title" aria-live="polite" data-testid="library-total">
              {t(result.estimated ? "library.resultsAbout" : "library.results", { n: n(result.total) })}
              {query.q ? ` ${t("library.resultsFor", { q: query.q })}` : ""}
            </h2>
            {result.corrections.map((c) => (
              <p key={c.from} className="banner banner-ok" role="status" data-testid="library-correction">
                {t("library.corrected", { from: c.from, to: c.to })}
              </p>
            ))}
            {result.relaxed ? <p className="banner banner-ok" role="status">{t("library.relaxed")}</p> : null}
            {result.hits.length === 0 ? (
              <p className="card muted" data-testid="library-empty">
                {query.q || filtered ? t("library.empty") : t("library.emptyLibrary")}
              </p>
            ) : (
              <ol className="list card" data-testid="library-results" start={(result.page - 1) * 20 + 1}>
                {result.hits.map((hit) => (
                  <li key={hit.id} data-testid="library-hit">
                    <ResourceSummary resource={hit} />
                    {hit.description ? <p className="resource-description">{hit.description}</p> : null}
                  </li>
                ))}
              </ol>
            )}
            {result.total > result.pages * 20 && result.page === result.pages ? <p className="muted">{t("library.bestOnly", { n: n(result.pages * 20) })}</p> : null}
            {result.pages > 1 ? (
              <nav className="pager actions" aria-label={t("library.pages")}>
                {result.page > 1 ? (
                  <Link className="button" to={libraryHref(query, { page: result.page - 1 })} rel="prev">
                    ← {t("library.prev")}
                  </Link>
                ) : (
                  <span />
                )}
                <span className="muted">{t("library.pageOf", { page: n(result.page), pages: n(result.pages) })}</span>
                {result.page < result.pages ? (
                  <Link className="button" to={libraryHref(query, { page: result.page + 1 })} rel="next">
                    {t("library.next")} →
                  </Link>
                ) : (
                  <span />
                )}
              </nav>
            ) : null}
          </section>
        </div>
      )}
    </div>
  );
}

function FacetBox({
  facet,
  values,
  chosen,
  label,
  n,
}: {
  facet: FacetKey;
  values: Facets[FacetKey];
  chosen: string[];
  label: (facet: FacetKey, value: string, fallback?: string) => string;
  n: (v: number) => string;
}) {
  const t = useT();
  // A chosen value stays listed (to be unticked) even when no result has it any more.
  const shown = [...values];
  for (const c of chosen) if (!shown.some((v) => v.value === c)) shown.push({ value: c, count: 0 });
  if (shown.length === 0) return null;
  return (
    <fieldset className="facet" data-testid={`facet-${facet}`}>
      <legend>{t(`library.facet.${facet}` as MessageKey)}</legend>
      <ul className="facet-values">
        {shown.map((v) => {
          const id = `f-${facet}-${v.value}`.replace(/[^\w-]/g, "_");
          return (
            <li key={v.value}>
              <input type="checkbox" id={id} name={facet} value={v.value} defaultChecked={chosen.includes(v.value)} />
              <label htmlFor={id}>
                {label(facet, v.value, v.label)} <span className="facet-count">({n(v.count)})</span>
              </label>
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "library.title");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
