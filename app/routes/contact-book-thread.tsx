import { Form, redirect, useActionData, useLoaderData, useNavigation } from "react-router";
import { z } from "zod";
import { Link } from "../components/link.tsx";
import type { Route } from "./+types/contact-book-thread";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { inviteTeacher, openThread, postMessage } from "../services/contact-book.server.ts";
import { MAX_MESSAGE_CHARS, messageTime } from "../lib/contact-book.ts";
import { filesFrom } from "../services/files.server.ts";
import { Field, Notice, TextArea } from "../components/forms.tsx";
import { formatBytes } from "../server/limits.ts";
import { translate, useLocale, useT, type Locale } from "../i18n/index.ts";
import { subjectName } from "../lib/curriculum.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";
import { BODY_LIMITS } from "../server/limits.ts";

const ROLES = ["parent", "teacher", "school_admin"] as const;

/** One student's contact book: the messages, who is in it, the reply form; opening it marks it read. */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, ...ROLES);
  const thread = await openThread(getDb(), actor, params.studentId);
  const sent = url.searchParams.get("sent");
  return { ...thread, sent: sent === "note" || sent === "message" ? sent : null, invited: url.searchParams.get("invited") };
}

const Intent = z.object({ intent: z.enum(["message", "note", "invite"]).default("message"), teacherId: z.string().optional() });

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, ...ROLES);
  const db = getDb();
  const form = await readForm(request, context, BODY_LIMITS.upload);
  const fields = formObject(form);
  const intent = Intent.safeParse(fields);
  if (!intent.success) throw badRequest({ message: "bad_request" });
  if (intent.data.intent === "invite") {
    const teacher = await inviteTeacher(db, actor, params.studentId, intent.data.teacherId);
    throw redirect(`/contact-book/${params.studentId}?invited=${encodeURIComponent(teacher.fullName)}`);
  }
  const result = await postMessage(db, actor, params.studentId, fields, filesFrom(form, "files"));
  if (!result.ok) return badRequest({ errors: result.errors, body: fields.body ?? "", intent: intent.data.intent });
  throw redirect(`/contact-book/${params.studentId}?sent=${result.value.kind}#m-${result.value.messageId}`);
}

export default function ContactBookThread() {
  const data = useLoaderData<typeof loader>();
  const failed = useActionData<typeof action>();
  const navigation = useNavigation();
  const t = useT();
  const locale = useLocale();
  const staff = data.side !== "parent";
  const sideName = (side: "parent" | "teacher" | "school_admin") => t(`contactBook.sides.${side}`);
  const newSince = data.newSince ? new Date(data.newSince).getTime() : null;
  const canInvite = data.side === "parent" && data.teachers.some((x) => !x.joined);
  return (
    <>
      <p>
        <Link to="/contact-book">← {t("contactBook.title")}</Link>
      </p>
      <h1>{t("contactBook.threadTitle", { name: data.student.fullName })}</h1>
      {data.sent ? <Notice>{t(data.sent === "note" ? "contactBook.noteSent" : "contactBook.sent")}</Notice> : null}
      {data.invited ? <Notice>{t("contactBook.invited", { name: data.invited })}</Notice> : null}
      <section className="card" aria-labelledby="cb-people">
        <h2 id="cb-people">{t("contactBook.inThread")}</h2>
        <p>{data.homeroom.length ? t("contactBook.homeroomTeacher", { name: data.homeroom.map((h) => h.fullName).join(", ") }) : t("contactBook.noHomeroom")}</p>
        {data.parents.length ? <p>{t("contactBook.parents", { names: data.parents.join(", ") })}</p> : null}
        {data.teachers.length ? (
          <>
            <h3>{t("contactBook.subjectTeachers")}</h3>
            <ul className="list">
              {data.teachers.map((x) => (
                <li key={x.id}>
                  {x.fullName}
                  {x.classes.length ? <span className="muted"> · {x.classes.map((k) => `${subjectName(k.subject, locale)} ${k.name}`).join(", ")}</span> : null}
                  {x.joined ? <span className="badge badge-ok">{t("contactBook.joined")}</span> : null}
                </li>
              ))}
            </ul>
          </>
        ) : null}
        {canInvite ? (
          <Form method="post" className="filters">
            <input type="hidden" name="intent" value="invite" />
            <div className="field">
              <label htmlFor="cb-invite">{t("contactBook.invite")}</label>
              <p className="hint" id="cb-invite-hint">
                {t("contactBook.inviteHelp")}
              </p>
              <select id="cb-invite" name="teacherId" aria-describedby="cb-invite-hint">
                {data.teachers
                  .filter((x) => !x.joined)
                  .map((x) => (
                    <option key={x.id} value={x.id}>
                      {x.fullName}
                    </option>
                  ))}
              </select>
            </div>
            <button type="submit">{t("contactBook.invite")}</button>
          </Form>
        ) : null}
        {data.canJoin ? <p className="muted">{t("contactBook.notJoined")}</p> : null}
      </section>

      <section aria-labelledby="cb-messages">
        <h2 id="cb-messages">{t("contactBook.messages")}</h2>
        {data.messages.length === 0 ? <p className="card muted">{t("contactBook.noMessages")}</p> : null}
        <ol className="list thread">
          {data.messages.map((m) => (
            <li key={m.id} id={`m-${m.id}`} className={`card message message-${m.kind} message-${m.authorSide}`} data-kind={m.kind}>
              <p className="muted">
                <strong>{m.authorName}</strong> · {sideName(m.authorSide)} · <time dateTime={m.createdAt}>{messageTime(m.createdAt)}</time>
                {m.kind === "note" ? <span className="badge badge-warn">{t("contactBook.kindNote")}</span> : null}
                {m.kind === "announcement" ? <span className="badge">{t("contactBook.kindAnnouncement")}</span> : null}
                {newSince !== null && new Date(m.createdAt).getTime() > newSince && m.authorSide !== data.side ? <span className="badge badge-ok">{t("contactBook.newBadge")}</span> : null}
              </p>
              <p className="message-body">{m.body}</p>
              {m.files.length > 0 ? (
                <ul aria-label={t("contactBook.files")}>
                  {m.files.map((f) => (
                    <li key={f.id}>
                      <a href={`/files/${f.id}`} download>
                        {f.filename}
                      </a>{" "}
                      <span className="muted">({formatBytes(f.size)})</span>
                    </li>
                  ))}
                </ul>
              ) : null}
              {m.seenBy ? (
                <p className="muted seen" data-testid="seen">
                  {staff
                    ? t("contactBook.seenBy", { names: m.seenBy.map((s) => (s.side === "parent" ? `${sideName("parent")} ${s.name}` : s.name)).join(", ") })
                    : t("contactBook.seen")}
                </p>
              ) : null}
            </li>
          ))}
        </ol>
      </section>

      <section className="card" aria-labelledby="cb-reply">
        <h2 id="cb-reply">{t("contactBook.reply")}</h2>
        <Form method="post" encType="multipart/form-data" noValidate key={data.messages.length}>
          <TextArea
            label={t("contactBook.body")}
            hint={t("contactBook.bodyHint")}
            name="body"
            rows={4}
            maxLength={MAX_MESSAGE_CHARS}
            defaultValue={failed?.body ?? ""}
            error={failed?.errors?.body}
          />
          <Field label={t("contactBook.attach")} name="files" type="file" multiple error={failed?.errors?.files} />
          <p className="actions">
            <button type="submit" name="intent" value="message" className="primary" disabled={navigation.state === "submitting"}>
              {t("contactBook.send")}
            </button>
            {data.side === "teacher" ? (
              <button type="submit" name="intent" value="note" disabled={navigation.state === "submitting"}>
                {t("contactBook.sendNote")}
              </button>
            ) : null}
          </p>
          {data.side === "teacher" ? <p className="hint">{t("contactBook.noteHelp")}</p> : null}
        </Form>
      </section>
    </>
  );
}

export const meta: Route.MetaFunction = ({ data, matches }) => {
  const locale = (matches.find((m) => m?.id === "root")?.data as { locale?: Locale } | undefined)?.locale ?? "vi";
  return [{ title: data ? `${data.student.fullName} · ${translate(locale, "contactBook.title")} · Lớp Số` : "Lớp Số" }];
};

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
