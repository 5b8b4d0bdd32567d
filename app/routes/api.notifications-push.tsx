import { data, redirect } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/api.notifications-push";
import { getDb } from "../../db/client.server.ts";
import { requireActor } from "../auth/guards.server.ts";
import { subscribe, unsubscribe } from "../services/push-subscriptions.server.ts";
import { formObject, readForm } from "./_form.server.ts";

/** A subscription is three short strings: no form to this action needs more than 4 kB. */
const PUSH_LIMIT = { maxBytes: 4 * 1024, maxFields: 8 };

export async function loader() {
  throw redirect("/account/notifications");
}

/**
 * The settings page's Web Push calls: `subscribe` stores this browser's subscription (endpoint,
 * keys.p256dh, keys.auth), `unsubscribe` removes one of the person's own, by endpoint (the
 * browser) or id (the device list, which works without JavaScript and is redirected back).
 */
export async function action({ request, url, context }: Route.ActionArgs) {
  const actor = requireActor(url, context);
  const form = formObject(await readForm(request, context, PUSH_LIMIT));
  const db = getDb();
  if (form.intent === "subscribe") {
    const result = await subscribe(db, actor.id, { endpoint: form.endpoint, p256dh: form.p256dh, auth: form.auth, userAgent: request.headers.get("user-agent") ?? "" });
    if (!result.ok) return data({ ok: false as const, errors: result.errors }, { status: 400 });
    return { ok: true as const, id: result.value.id, outcome: result.value.outcome };
  }
  if (form.intent === "unsubscribe") {
    const id = z.uuid().safeParse(form.id);
    const removed = await unsubscribe(db, actor.id, id.success ? { id: id.data } : { endpoint: form.endpoint });
    if (form.back === "1") throw redirect(`/account/notifications?${removed ? "removed=1" : ""}`);
    return data({ ok: removed }, { status: removed ? 200 : 404 });
  }
  return data({ ok: false as const, errors: { intent: "errors.invalid" } }, { status: 400 });
}
