import { data, Form, useActionData, useLoaderData } from "react-router";
import type { Route } from "./+types/unsubscribe";
import { getDb } from "../../db/client.server.ts";
import { env } from "../env.server.ts";
import { applyUnsubscribe, readUnsubscribeToken, unsubscribeRecipient } from "../services/notify/unsubscribe.server.ts";
import { useT, type MessageKey } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";

/**
 * /unsubscribe/<token> — from the link in a message, without signing in. GET shows what it will
 * stop and a button; POST (the button, or a mail provider's RFC 8058 one-click
 * `List-Unsubscribe=One-Click`) records it. The signed token alone decides whose choice and which
 * kind it is; a tampered or foreign one gets 400 and changes nothing.
 */
type View =
  | { state: "invalid" | "gone" }
  | { state: "ask" | "already" | "done"; name: string; channel: string; kind: string };

async function view(token: string): Promise<View> {
  const target = readUnsubscribeToken(env().SECRET_KEY, token);
  if (!target) return { state: "invalid" };
  const who = await unsubscribeRecipient(getDb(), target);
  if (!who) return { state: "gone" };
  return { state: who.alreadyOff ? "already" : "ask", name: who.name, channel: target.channel, kind: target.kind };
}

export async function loader({ params }: Route.LoaderArgs) {
  const v = await view((params["*"] ?? ""));
  return v.state === "invalid" || v.state === "gone" ? data(v, { status: v.state === "invalid" ? 400 : 404 }) : v;
}

/** The body is only `List-Unsubscribe=One-Click` or the button: a few bytes are plenty. */
const MAX_BODY = 8 * 1024;

export async function action({ request, params }: Route.ActionArgs) {
  if (Number(request.headers.get("content-length") ?? "0") > MAX_BODY) throw data({ message: "request_too_large" }, { status: 413 });
  const body = await request.text();
  if (body.length > MAX_BODY) throw data({ message: "request_too_large" }, { status: 413 });
  const target = readUnsubscribeToken(env().SECRET_KEY, (params["*"] ?? ""));
  if (!target) return data({ state: "invalid" } as View, { status: 400 });
  const who = await unsubscribeRecipient(getDb(), target);
  if (!who || !(await applyUnsubscribe(getDb(), target))) return data({ state: "gone" } as View, { status: 404 });
  return { state: "done", name: who.name, channel: target.channel, kind: target.kind } as View;
}

export default function Unsubscribe() {
  const loaded = useLoaderData<typeof loader>() as View;
  const acted = useActionData<typeof action>() as View | undefined;
  const v = acted ?? loaded;
  const t = useT();
  if (!("name" in v)) {
    return (
      <div className="narrow">
        <section className="card">
          <h1>{t("unsubscribe.title")}</h1>
          <p className="banner banner-error" role="alert" data-testid="unsubscribe-invalid">
            {t(v.state === "invalid" ? "unsubscribe.invalid" : "unsubscribe.gone")}
          </p>
          <p className="muted">{t("unsubscribe.settingsHint")}</p>
        </section>
      </div>
    );
  }
  const vars = { what: t(`unsubscribe.kinds.${v.kind}` as MessageKey), channel: t(`unsubscribe.channels.${v.channel}` as MessageKey) };
  return (
    <div className="narrow">
      <meta name="referrer" content="no-referrer" />
      <section className="card">
        <h1>{t("unsubscribe.title")}</h1>
        {
          <>
            <p>{t("unsubscribe.forWhom", { name: v.name })}</p>
            {v.state === "done" ? (
              <p className="banner" role="status" data-testid="unsubscribe-done">
                {t("unsubscribe.done", vars)}
              </p>
            ) : v.state === "already" ? (
              <p className="banner" data-testid="unsubscribe-already">
                {t("unsubscribe.already", vars)}
              </p>
            ) : (
              <Form method="post">
                <p data-testid="unsubscribe-what">{t("unsubscribe.what", vars)}</p>
                <input type="hidden" name="List-Unsubscribe" value="One-Click" />
                <button type="submit" className="primary">
                  {t("unsubscribe.confirm")}
                </button>
              </Form>
            )}
            <p className="muted">{t("unsubscribe.settingsHint")}</p>
          </>
        }
      </section>
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "unsubscribe.title");
