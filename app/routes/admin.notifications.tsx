import { useLoaderData } from "react-router";
import type { Route } from "./+types/admin.notifications";
import { deliveryHealth, HEALTH_DAYS as DAYS_SHOWN, REACH_DAYS as REACH_WINDOW } from "../services/delivery-health.server.ts";
import { listAdministeredSchools } from "../services/users.server.ts";
import { Link } from "../components/link.tsx";
import { useLocale, useT, type MessageKey } from "../i18n/index.ts";
import { formatNumber } from "../lib/vn.ts";
import { pageTitle } from "../lib/meta.ts";
import { requireSchoolAdmin } from "./_admin.server.ts";

/** A school's delivery health: its admins, and the province's (who may switch to another school). */
export async function loader({ url, context, params }: Route.LoaderArgs) {
  const { actor, db, school } = await requireSchoolAdmin(url, context, params.schoolId);
  const [health, schools] = await Promise.all([deliveryHealth(db, school.id), listAdministeredSchools(db, actor)]);
  return { school: { id: school.id, name: school.name }, schools: schools.map((s) => ({ id: s.id, name: s.name })), health, healthDays: DAYS_SHOWN, reachDays: REACH_WINDOW };
}

export default function DeliveryHealthPage() {
  const { school, schools, health, healthDays: HEALTH_DAYS, reachDays: REACH_DAYS } = useLoaderData<typeof loader>();
  const t = useT();
  const locale = useLocale();
  const pct = health.reach.share === null ? "—" : `${formatNumber(Math.round(health.reach.share * 1000) / 10, locale)}%`;
  return (
    <>
      <h1>{t("notifyUi.health.title")}</h1>
      <p className="muted">{school.name}</p>
      {schools.length > 1 ? (
        <form method="get" action="/admin/notifications" className="actions">
          <label htmlFor="health-school">{t("notifyUi.health.pickSchool")}</label>
          <select id="health-school" name="school" defaultValue={school.id}>
            {schools.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
          <button type="submit">{t("notifyUi.health.show")}</button>
        </form>
      ) : null}
      <section className="card" aria-labelledby="reach-title">
        <h2 id="reach-title">{t("notifyUi.health.reachTitle", { days: REACH_DAYS })}</h2>
        <p className="big" data-testid="reach-share">
          <strong>{pct}</strong> — {t("notifyUi.health.reachCount", { reached: health.reach.reached, students: health.reach.students })}
        </p>
        <p className="muted">{t("notifyUi.health.reachHelp", { days: REACH_DAYS })}</p>
      </section>
      <section className="card" aria-labelledby="days-title">
        <h2 id="days-title">{t("notifyUi.health.daysTitle", { days: HEALTH_DAYS })}</h2>
        <p data-testid="health-totals">
          {t("notifyUi.health.totals", { sent: health.totals.sent, delivered: health.totals.delivered, failed: health.totals.failed, unsubscribed: health.totals.unsubscribed })}
        </p>
        {health.days.length === 0 ? (
          <p className="muted">{t("notifyUi.health.empty")}</p>
        ) : (
          <div className="table-wrap">
            <table className="health" data-testid="health-table">
              <caption className="visually-hidden">{t("notifyUi.health.daysTitle", { days: HEALTH_DAYS })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("notifyUi.health.day")}</th>
                  <th scope="col">{t("notifyUi.health.channel")}</th>
                  <th scope="col">{t("notifyUi.health.sent")}</th>
                  <th scope="col">{t("notifyUi.health.delivered")}</th>
                  <th scope="col">{t("notifyUi.health.failed")}</th>
                  <th scope="col">{t("notifyUi.health.unsubscribed")}</th>
                </tr>
              </thead>
              <tbody>
                {health.days.map((d) => (
                  <tr key={`${d.day}:${d.channel}`} data-testid="health-row" data-day={d.day} data-channel={d.channel}>
                    <th scope="row">{`${d.day.slice(8, 10)}/${d.day.slice(5, 7)}`}</th>
                    <td>{t(`notifyUi.channel.${d.channel}`)}</td>
                    <td data-col="sent">{d.sent}</td>
                    <td data-col="delivered">{d.delivered}</td>
                    <td data-col="failed">
                      {d.failed}
                      {d.failures.length > 0 ? (
                        <span className="muted" data-testid="failure-reasons">
                          {" "}
                          ({d.failures.map((f) => `${t(`notifyUi.failure.${knownFailure(f.reason)}` as MessageKey)}: ${f.n}`).join(", ")})
                        </span>
                      ) : null}
                    </td>
                    <td data-col="unsubscribed">{d.unsubscribed}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <p>
        <Link to="/admin">{t("common.back")}</Link>
      </p>
    </>
  );
}

const FAILURES = ["invalid_address", "unsubscribed", "blocked", "not_on_zalo", "bounced", "too_long", "quota", "rejected", "expired_subscription", "transient", "rate_limited", "not_configured"];
const knownFailure = (reason: string) => (FAILURES.includes(reason) ? reason : "unknown");

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "notifyUi.health.title");
