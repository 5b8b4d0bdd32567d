import { isRouteErrorResponse } from "react-router";
import { useRootData } from "../root.tsx";
import { translate } from "../i18n/index.ts";
import { usePageLocale } from "./request-locale.tsx";

/**
 * What went wrong, in the reader's language, and the way back to their home page. The root's
 * boundary draws it inside the frame. Pages that take uploads also show it from a boundary of their
 * own: their action can fail before the form is read (413 Too Large), and React Router loads only
 * the routes above the boundary that shows an action's error — with the page's own boundary that
 * includes the root (the person, the menu). Other pages leave errors to the root's boundary, which
 * costs nothing per render.
 */
export function ErrorCard({ error }: { error: unknown }) {
  const root = useRootData();
  const locale = usePageLocale(root?.locale);
  const t = (k: string, vars?: Record<string, string | number>) => translate(locale, k, vars);
  let title = t("errors.page_title");
  let detail = t("errors.page_detail");
  if (isRouteErrorResponse(error)) {
    if (error.status === 400) {
      title = t("errors.bad_request_title");
      detail = t("errors.bad_request_detail");
    } else if (error.status === 413) {
      title = t("errors.too_large_title");
      detail = t("errors.request_too_large", { mb: Number((error.data as { mb?: number } | null)?.mb) || 55 });
    } else if (error.status === 404) {
      title = t("errors.not_found_title");
      detail = t("errors.not_found_detail");
    } else if (error.status === 403) {
      title = t("errors.forbidden_title");
      detail = t("errors.forbidden_detail");
    }
  }
  return (
    <section className="card" role="alert">
      <h1>{title}</h1>
      <p>{detail}</p>
      <p>
        <a href={root?.user?.home ?? "/"}>{t("errors.go_home")}</a>
      </p>
    </section>
  );
}
