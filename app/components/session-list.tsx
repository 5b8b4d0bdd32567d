/**
 * The week's live sessions: each occurrence with its classes, platform and time, and "Tham gia"
 * while it is open (10 minutes before its start until its end) for those who may join.
 */
import { Link } from "./link.tsx";
import { useT } from "../i18n/index.ts";
import { formatDateTime } from "../lib/vn.ts";

export type SessionItem = { id: string; title: string; platform: "zoom" | "google" | "microsoft" | "link"; classNames: string[]; startsAt: string | Date; cancelled: boolean; open: boolean };

export function SessionList({ items, canJoin, titleId = "sessions-week" }: { items: SessionItem[]; canJoin: boolean; titleId?: string }) {
  const t = useT();
  return (
    <section className="card" aria-labelledby={titleId} data-testid="sessions-week">
      <h2 id={titleId}>{t("sessions.weekTitle")}</h2>
      {items.length === 0 ? (
        <p className="muted">{t("sessions.none")}</p>
      ) : (
        <ul className="list">
          {items.map((s) => (
            <li key={`${s.id}:${String(s.startsAt)}`} className="row" data-testid="session-item">
              <div>
                <Link to={`/sessions/${s.id}`}>{s.title}</Link>
                <div className="muted">
                  {formatDateTime(s.startsAt)} · {t(`sessions.platform.${s.platform}`)} · {s.classNames.join(", ")}
                  {s.cancelled ? <strong> — {t("sessions.cancelledMark")}</strong> : null}
                </div>
              </div>
              {canJoin && s.open ? (
                <a className="button primary" href={`/sessions/${s.id}/join`} data-testid="join">
                  {t("sessions.join")}
                </a>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
