import { redirect } from "react-router";
import type { Route } from "./+types/home";
import { getActor } from "../auth/guards.server.ts";
import { homePath } from "../auth/actor.server.ts";
import { pageTitleAndDescription } from "../lib/meta.ts";

export async function loader({ context }: Route.LoaderArgs) {
  const actor = getActor(context);
  throw redirect(actor ? homePath(actor) : "/login");
}

export default function Home() {
  return null;
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitleAndDescription(matches, "app.tagline");
