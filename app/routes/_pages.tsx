/**
 * The frame every page sits in. Its error boundary is what makes an error page keep the menu:
 * when a page's action fails, React Router loads the data of the routes above the boundary that
 * shows the error — with this boundary, that includes the root (the signed-in person, the menu).
 */
import { Outlet } from "react-router";
import type { Route } from "./+types/_pages";
import { ErrorCard } from "../components/error-card.tsx";

export default function Pages() {
  return <Outlet />;
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  return <ErrorCard error={error} />;
}
