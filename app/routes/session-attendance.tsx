/**
 * Điểm danh (attendance) of one occurrence, for the class's teachers: each student's status and
 * minutes, the people the platform reported whom the hub could not be sure of — to confirm, never
 * assigned silently — and a correction for any row.
 */
import { data, Form, useLoaderData } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/session-attendance";
import { getDb } from "../../db/client.server.ts";
import { requireRole } from "../auth/guards.server.ts";
import { attendanceForTeacher, confirmParticipant, correctAttendance } from "../services/attendance.server.ts";
import { ATTENDANCE_STATUSES } from "../../db/schema/index.ts";
import { formatDateTime } from "../lib/vn.ts";
import { Link } from "../components/link.tsx";
import { useT } from "../i18n/index.ts";
import { pageTitle } from "../lib/meta.ts";
import { formObject, readForm } from "./_form.server.ts";

function occurrenceOf(url: URL): Date {
  const at = z.iso.datetime().safeParse(url.searchParams.get("at"));
  if (!at.success) throw data({ message: "not_found" }, { status: 404 });
  return new Date(at.data);
}

export async function loader({ url, context, params }: Route.LoaderArgs) {
  const actor = requireRole(url, context, "teacher");
  const view = await attendanceForTeacher(getDb(), actor, params.sessionId, occurrenceOf(url));
  return {
    session: { id: view.session.id, title: view.session.title, platform: view.session.platform },
    occurrence: view.occurrence,
    rows: view.rows,
    toConfirm: view.toConfirm,
    at: view.occurrence.originalStart.toISOString(),
  };
}

const Action = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("confirm"), personKey: z.string().min(1).max(300), studentId: z.uuid() }),
  z.object({ intent: z.literal("correct"), studentId: z.uuid(), status: z.enum(ATTENDANCE_STATUSES) }),
]);

export async function action({ request, url, context, params }: Route.ActionArgs) {
  const actor = requireRole(url, context, "teacher");
  const at = occurrenceOf(url);
  const parsed = Action.safeParse(formObject(await readForm(request, context)));
  if (!parsed.success) throw data({ message: "bad_request" }, { status: 400 });
  const db = getDb();
  const a = parsed.data;
  if (a.intent === "confirm") await confirmParticipant(db, actor, params.sessionId, at, a.personKey, a.studentId);
  else await correctAttendance(db, actor, params.sessionId, at, a.studentId, a.status);
  return { done: a.intent };
}

export default function AttendancePage() {
  const { session, occurrence, rows, toConfirm } = useLoaderData<typeof loader>();
  const t = useT();
  const nameOf = new Map(rows.map((r) => [r.studentId, r.fullName]));
  return (
    <>
      <p>
        <Link to={`/sessions/${session.id}`}>← {session.title}</Link>
      </p>
      <h1>{t("attendance.title", { when: formatDateTime(occurrence.startsAt) })}</h1>
      {toConfirm.length ? (
        <section className="card" aria-labelledby="confirm-title" data-testid="to-confirm">
          <h2 id="confirm-title">{t("attendance.confirmTitle")}</h2>
          <p className="muted">{t("attendance.confirmHint")}</p>
          <ul className="list">
            {toConfirm.map((p) => (
              <li key={p.personKey} className="row">
                <span>
                  <strong>{p.displayName || p.email || p.personKey}</strong>
                  {p.email ? <span className="muted"> ({p.email})</span> : null}
                </span>
                <Form method="post" className="inline">
                  <input type="hidden" name="intent" value="confirm" />
                  <input type="hidden" name="personKey" value={p.personKey} />
                  <label>
                    <span className="visually-hidden">{t("attendance.whoIs", { name: p.displayName })}</span>
                    <select name="studentId" defaultValue={p.suggestions.length === 1 ? p.suggestions[0] : ""} required>
                      <option value="" disabled>
                        {t("attendance.choose")}
                      </option>
                      {p.suggestions.map((id) => (
                        <option key={id} value={id}>
                          {nameOf.get(id)} · {t("attendance.suggested")}
                        </option>
                      ))}
                      {rows
                        .filter((r) => !p.suggestions.includes(r.studentId))
                        .map((r) => (
                          <option key={r.studentId} value={r.studentId}>
                            {r.fullName}
                          </option>
                        ))}
                    </select>
                  </label>
                  <button type="submit">{t("attendance.confirm")}</button>
                </Form>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section className="card">
        <div className="table-wrap">
          <table data-testid="attendance">
            <caption className="visually-hidden">{t("attendance.tableCaption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("attendance.student")}</th>
                <th scope="col">{t("attendance.status")}</th>
                <th scope="col">{t("attendance.minutes")}</th>
                <th scope="col">{t("attendance.correct")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.studentId} data-status={r.status}>
                  <th scope="row">{r.fullName}</th>
                  <td>
                    {t(`attendance.statuses.${r.status}`)}
                    {r.source === "teacher" ? <span className="muted"> · {t("attendance.byTeacher")}</span> : null}
                  </td>
                  <td>{r.minutes}</td>
                  <td>
                    <Form method="post" className="inline">
                      <input type="hidden" name="intent" value="correct" />
                      <input type="hidden" name="studentId" value={r.studentId} />
                      <label>
                        <span className="visually-hidden">{t("attendance.correctFor", { name: r.fullName })}</span>
                        <select name="status" defaultValue={r.status}>
                          {ATTENDANCE_STATUSES.map((st) => (
                            <option key={st} value={st}>
                              {t(`attendance.statuses.${st}`)}
                            </option>
                          ))}
                        </select>
                      </label>
                      <button type="submit">{t("common.save")}</button>
                    </Form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "attendance.pageTitle");
export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
