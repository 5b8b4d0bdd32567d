import type { Route } from "./+types/not-found";
import { notFound } from "../auth/guards.server.ts";
import { pageTitle } from "../lib/meta.ts";

/**
 * Every URL that names no page. React Router runs no middleware and no loader when nothing
 * matches a URL, so such a page would have neither the person (their menu, their language) nor
 * the CSP nonce the root middleware sets. This catch-all route matches instead: the root runs as
 * for any page, and the 404 is shown inside the frame by this route's boundary.
 */
export async function loader(): Promise<never> {
  throw notFound();
}

export async function action(): Promise<never> {
  throw notFound();
}

/** Never drawn, as the loader always throws: the route's boundary draws the page. */
export default function NotFound() {
  return null;
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "errors.not_found_title");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
