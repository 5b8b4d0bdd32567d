import { useT, type MessageKey } from "../i18n/index.ts";

type Provider = "google" | "microsoft";

/** What the loaders give (`pushState` in app/services/sync/push.server.ts). */
export type CoursePushView = {
  targets: { provider: Provider; source: string }[];
  pushes: { provider: Provider; wanted: "posted" | "removed"; status: "pending" | "posted" | "removed" | "failed"; webUrl: string | null; errorCode: string | null; errorMessage: string | null }[];
  posted: boolean;
};

const REASONS = ["not_connected", "reauth_required", "rate_limited", "transient", "rejected", "not_found", "ambiguous_write", "contract"];

/** The provider's error in plain words (a permission refusal named as such). */
function useReason() {
  const t = useT();
  return (code: string | null, message: string | null) => {
    const m = message ?? "";
    if (code === "rejected" && /permission|forbidden|denied|insufficient/i.test(m)) return t("coursePush.reason.permission", { message: m });
    const key = REASONS.includes(code ?? "") ? code! : "transient";
    return t(`coursePush.reason.${key}` as MessageKey, { message: m });
  };
}

/**
 * The opt-in "Đăng lên Google Classroom / Teams" checkbox of the lesson and assignment editors,
 * with each platform's state for this item; nothing when the class is linked to no course.
 */
export function CoursePushField({ view, hint }: { view: CoursePushView; hint?: string }) {
  const t = useT();
  const reason = useReason();
  if (view.targets.length === 0) return null;
  const courses = [...new Set(view.targets.map((x) => t(`coursePush.platform.${x.provider}`)))].join(", ");
  return (
    <fieldset className="course-push" data-testid="course-push">
      <legend>{t("coursePush.legend")}</legend>
      <label className="check">
        <input type="checkbox" name="pushToPlatforms" value="on" defaultChecked={view.posted} /> {t("coursePush.checkbox")}
      </label>
      <p className="hint">
        {t("coursePush.checkboxHint", { courses })}
        {hint ? ` ${hint}` : ""}
      </p>
      {view.pushes.length > 0 ? (
        <ul className="push-states" aria-live="polite">
          {view.pushes.map((p, i) => {
            const platform = t(`coursePush.platform.${p.provider}`);
            const removing = p.wanted === "removed";
            let text: string;
            if (p.status === "posted") text = t("coursePush.state.posted", { platform });
            else if (p.status === "removed") text = t("coursePush.state.removed", { platform });
            else if (p.status === "failed") text = t(removing ? "coursePush.state.removeFailed" : "coursePush.state.failed", { platform, reason: reason(p.errorCode, p.errorMessage) });
            else text = `${t(removing ? "coursePush.state.removing" : "coursePush.state.pending", { platform })}${p.errorCode ? ` ${t("coursePush.state.retrying", { reason: reason(p.errorCode, p.errorMessage) })}` : ""}`;
            return (
              <li key={i} data-push-status={p.status}>
                {text}
                {p.webUrl ? (
                  <>
                    {" "}
                    <a href={p.webUrl} target="_blank" rel="noopener noreferrer">
                      {t("coursePush.open", { platform })}
                    </a>
                  </>
                ) : null}
              </li>
            );
          })}
        </ul>
      ) : null}
    </fieldset>
  );
}
