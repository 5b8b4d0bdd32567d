import { Form, redirect, useLoaderData } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/notifications";
import { getDb } from "../../db/client.server.ts";
import { notFound, requireActor } from "../auth/guards.server.ts";
import { listInbox, markAllRead, markRead } from "../services/notify-inbox.server.ts";
import { Link } from "../components/link.tsx";
import { useT } from "../i18n/index.ts";
import { formatDateTime } from "../lib/vn.ts";
import { pageTitle } from "../lib/meta.ts";
import { formObject, readForm } from "./_form.server.ts";

/** An item id: a positive whole number (the inbox's keyset). */
const ItemId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const Query = z.object({ before: ItemId.optional().catch(undefined) });
const ActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("read"), id: ItemId, before: ItemId.optional().catch(undefined) }),
  z.object({ intent: z.literal("readAll"), upTo: ItemId.optional().catch(undefined), before: ItemId.optional().catch(undefined) }),
]);

export async function loader({ url, context }: Route.LoaderArgs) {
  const actor = requireActor(url, context);
  const { before } = Query.parse(Object.fromEntries(url.searchParams));
  const page = await listInbox(getDb(), actor.id, { before });
  return { ...page, before: before ?? null, unread: actor.unread ?? 0 };
}

export async function action({ request, url, context }: Route.ActionArgs) {
  const actor = requireActor(url, context);
  const parsed = ActionSchema.safeParse(formObject(await readForm(request, context)));
  if (!parsed.success) throw notFound();
  const db = getDb();
  const back = parsed.data.before ? `/notifications?before=${parsed.data.before}` : "/notifications";
  if (parsed.data.intent === "read") {
    const { found } = await markRead(db, actor.id, parsed.data.id);
    if (!found) throw notFound();
    throw redirect(back);
  }
  await markAllRead(db, actor.id, parsed.data.upTo);
  throw redirect(back);
}

export default function Inbox() {
  const { items, nextBefore, before, unread } = useLoaderData<typeof loader>();
  const t = useT();
  const newest = items[0]?.id;
  return (
    <section className="card">
      <div className="actions" style={{ justifyContent: "space-between" }}>
        <h1>{t("notifyUi.inbox.title")}</h1>
        <Link to="/account/notifications">{t("notifyUi.inbox.settingsLink")}</Link>
      </div>
      {unread > 0 && newest ? (
        <Form method="post">
          <input type="hidden" name="intent" value="readAll" />
          {/* The first page's newest item: what came in after the page was drawn stays unread. */}
          {before === null ? <input type="hidden" name="upTo" value={newest} /> : null}
          {before !== null ? <input type="hidden" name="before" value={before} /> : null}
          <button type="submit">{t("notifyUi.inbox.readAll")}</button>
        </Form>
      ) : null}
      {items.length === 0 ? (
        <p className="muted" data-testid="inbox-empty">
          {before === null ? t("notifyUi.inbox.empty") : t("notifyUi.inbox.noMore")}
        </p>
      ) : (
        <ul className="list inbox" data-testid="inbox">
          {items.map((item) => (
            <li key={item.id} className={item.read ? undefined : "unread"} data-testid="inbox-item" data-read={item.read ? "1" : "0"}>
              <p className="item-title">
                {item.read ? null : <span className="visually-hidden">{`${t("notifyUi.inbox.unreadLabel")} `}</span>}
                {item.link ? <Link to={`/notifications/open?id=${item.id}`}>{item.title}</Link> : item.title}
              </p>
              {item.body ? <p>{item.body}</p> : null}
              <p className="muted">
                {item.studentName ? `${item.studentName} · ` : ""}
                <time dateTime={item.createdAt}>{formatDateTime(item.createdAt)}</time>
              </p>
              {item.read ? null : (
                <Form method="post">
                  <input type="hidden" name="intent" value="read" />
                  <input type="hidden" name="id" value={item.id} />
                  {before !== null ? <input type="hidden" name="before" value={before} /> : null}
                  <button type="submit" className="link-button" aria-label={t("notifyUi.inbox.markReadNamed", { title: item.title })}>
                    {t("notifyUi.inbox.markRead")}
                  </button>
                </Form>
              )}
            </li>
          ))}
        </ul>
      )}
      <nav className="actions" aria-label={t("notifyUi.inbox.pages")}>
        {before !== null ? <Link to="/notifications">{t("notifyUi.inbox.newest")}</Link> : null}
        {nextBefore ? (
          <Link to={`/notifications?before=${nextBefore}`} rel="next">
            {t("notifyUi.inbox.older")}
          </Link>
        ) : null}
      </nav>
    </section>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "notifyUi.inbox.title");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";

