import { isRouteErrorResponse, useRouteError } from "react-router";
import { useRootData } from "../root.tsx";
import { translate } from "../i18n/index.ts";
import { usePageLocale } from "./request-locale.tsx";

/**
 * What went wrong, in the reader's language, and the way back to their home page. The root's
 * boundary draws it inside the frame. Pages with an action also show it from a boundary of their
 * own (`PageErrorBoundary`): React Router loads only the routes above the boundary that shows an
 * action's error, so with the page's own boundary that includes the root — the person and their
 * menu stay on screen when an action is refused (403/404), when a form arrives unreadable (400),
 * or when an upload is too large to read (413).
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
      const refusal = error.data as { size?: string; errors?: { files?: string } } | null;
      detail = t(refusal?.errors?.files === "errors.too_many_fields" ? "errors.too_many_fields" : "errors.request_too_large", { size: refusal?.size ?? "" });
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

/** A page's own error boundary: the error inside the frame, with the menu (see ErrorCard). */
export function PageErrorBoundary() {
  // From the hook, not a prop: React Router passes props only to a module's own ErrorBoundary.
  return <ErrorCard error={useRouteError()} />;
}
