import { redirect } from "react-router";
import type { Route } from "./+types/lang";
import { getDb } from "../../db/client.server.ts";
import { getActor } from "../auth/guards.server.ts";
import { isLocale } from "../i18n/index.ts";
import { setLocale } from "../services/users.server.ts";
import { safeNext, readForm } from "./_form.server.ts";
import { BODY_LIMITS } from "../server/limits.ts";

export async function loader() {
  throw redirect("/");
}

/** Switch language: remembered in a cookie for a year, and on the account when signed in. */
export async function action({ request, context }: Route.ActionArgs) {
  const form = await readForm(request, context, BODY_LIMITS.anonymous);
  const lang = form.get("lang");
  if (!isLocale(lang)) throw redirect(safeNext(form.get("next"), "/"));
  const actor = getActor(context);
  if (actor) await setLocale(getDb(), actor.id, lang);
  throw redirect(safeNext(form.get("next"), "/"), {
    headers: { "Set-Cookie": `lang=${lang}; Path=/; Max-Age=31536000; SameSite=Lax` },
  });
}
