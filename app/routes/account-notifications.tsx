import { Form, redirect, useActionData, useLoaderData } from "react-router";
import { z } from "zod";
import type { Route } from "./+types/account-notifications";
import { getDb } from "../../db/client.server.ts";
import { DELIVERY_MODES, NEWS_KINDS, type ExternalChannel, type NewsKind } from "../../db/schema/index.ts";
import { DEFAULT_MODES } from "../lib/notify-defaults.ts";
import { requireActor } from "../auth/guards.server.ts";
import { configuredChannels, vapidPublicKey } from "../services/notify-channels.server.ts";
import { loadSettings, reenableChannel, saveSettings, type ChannelState } from "../services/notify-settings.server.ts";
import { PushControl } from "../components/push-control.tsx";
import { Field, Notice, Select } from "../components/forms.tsx";
import { Link } from "../components/link.tsx";
import { useT, type MessageKey } from "../i18n/index.ts";
import { formatDateTime, formatPhone } from "../lib/vn.ts";
import { pageTitle } from "../lib/meta.ts";
import { badRequest, formObject, readForm } from "./_form.server.ts";

/** Up to ten children × six kinds of news, the channels and the times: within one ordinary form. */
const SETTINGS_LIMIT = { maxBytes: 64 * 1024, maxFields: 120 };
const Reenable = z.enum(["email", "push", "zalo", "sms"]);

export async function loader({ url, context }: Route.LoaderArgs) {
  const actor = requireActor(url, context);
  const view = await loadSettings(getDb(), actor, configuredChannels());
  return {
    ...view,
    channels: view.channels.map((c) => ("address" in c && c.address && c.channel !== "email" ? { ...c, address: formatPhone(c.address) } : c)),
    publicKey: vapidPublicKey(),
    saved: url.searchParams.has("saved"),
    reenabled: url.searchParams.get("reenabled"),
    removed: url.searchParams.has("removed"),
  };
}

export async function action({ request, url, context }: Route.ActionArgs) {
  const actor = requireActor(url, context);
  const form = formObject(await readForm(request, context, SETTINGS_LIMIT));
  const db = getDb();
  if (form.reenable !== undefined) {
    const channel = Reenable.safeParse(form.reenable);
    if (!channel.success) return badRequest({ errors: { form: "errors.invalid" } as Record<string, string>, values: form });
    await reenableChannel(db, actor.id, channel.data);
    throw redirect(`/account/notifications?reenabled=${channel.data}`);
  }
  const result = await saveSettings(db, actor, form, configuredChannels());
  if (!result.ok) return badRequest({ errors: result.errors, values: form });
  throw redirect("/account/notifications?saved=1");
}

export default function NotificationSettings() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const errors = result?.errors ?? {};
  const values = result?.values;
  const value = (name: string, fallback: string) => values?.[name] ?? fallback;
  const modeOptions = (isDefaultMode: string) =>
    DELIVERY_MODES.map((m) => ({ value: m, label: m === isDefaultMode ? t("notifyUi.settings.defaultMode", { mode: t(`notifyUi.mode.${m}`) }) : t(`notifyUi.mode.${m}`) }));
  return (
    <div className="narrow">
      <section className="card">
        <h1>{t("notifyUi.settings.title")}</h1>
        <p className="actions">
          <Link to="/notifications">{t("notifyUi.settings.inboxLink")}</Link>
          <Link to="/account">{t("nav.account")}</Link>
        </p>
        {data.saved ? <Notice>{t("common.saved")}</Notice> : null}
        {data.reenabled ? <Notice>{t("notifyUi.settings.reenabled", { channel: t(`notifyUi.channel.${data.reenabled as ExternalChannel}`) })}</Notice> : null}
        {data.removed ? <Notice>{t("notifyUi.push.removed")}</Notice> : null}
        {Object.keys(errors).length > 0 ? (
          <p className="banner banner-error" role="alert">
            {t("common.errorSummary")}
          </p>
        ) : null}
        <Form method="post" noValidate className="prefs" data-testid="settings-form">
          {data.isParent ? (
            <>
              <h2>{t("notifyUi.settings.newsTitle")}</h2>
              <p className="muted">{t("notifyUi.settings.newsHelp")}</p>
              {data.children.length === 0 ? (
                <p className="muted">
                  {t("notifyUi.settings.noChildren")} <Link to="/children/link">{t("notifyUi.settings.linkChild")}</Link>
                </p>
              ) : null}
              {data.children.map((child) => (
                <fieldset key={child.id} data-testid="child-prefs">
                  <legend>{child.fullName}</legend>
                  {NEWS_KINDS.map((kind) => {
                    const current = data.modes[child.id][kind];
                    const name = `pref.${child.id}.${kind}`;
                    return (
                      <div className="pref-row" key={kind}>
                        <Select
                          label={t(`notifyUi.kind.${kind}`)}
                          name={name}
                          options={modeOptions(defaultModeOf(kind))}
                          defaultValue={value(name, current.mode)}
                          error={errors[name]}
                        />
                      </div>
                    );
                  })}
                </fieldset>
              ))}
            </>
          ) : null}
          {data.replyMode ? (
            <>
              <h2>{t("notifyUi.settings.repliesTitle")}</h2>
              <Select
                label={t("notifyUi.settings.replyMode")}
                name="replyMode"
                options={modeOptions(defaultModeOf("teacher_note"))}
                defaultValue={value("replyMode", data.replyMode.mode)}
                error={errors.replyMode}
              />
            </>
          ) : null}

          <h2>{t("notifyUi.settings.channelsTitle")}</h2>
          <div className="channel">
            <strong>{t("notifyUi.channel.inapp")}</strong> — {t("notifyUi.settings.inappAlways")}
          </div>
          {data.channels.map((c) => (
            <ChannelRow key={c.channel} state={c as ChannelState} checked={values ? values[`channel.${c.channel}`] === "on" : undefined} />
          ))}

          <h2>{t("notifyUi.settings.timesTitle")}</h2>
          <p className="muted">{t("notifyUi.settings.quietHelp")}</p>
          <div className="actions">
            <Field label={t("notifyUi.settings.quietStart")} name="quietStart" type="time" defaultValue={value("quietStart", data.quietStart)} error={errors.quietStart} />
            <Field label={t("notifyUi.settings.quietEnd")} name="quietEnd" type="time" defaultValue={value("quietEnd", data.quietEnd)} error={errors.quietEnd} />
          </div>
          <Field label={t("notifyUi.settings.digestAt")} name="digestAt" type="time" defaultValue={value("digestAt", data.digestAt)} error={errors.digestAt} />
          <Select
            label={t("notifyUi.settings.weeklyDay")}
            name="weeklyDay"
            options={[1, 2, 3, 4, 5, 6, 0].map((d) => ({ value: String(d), label: t(`notifyUi.weekday.${d}` as MessageKey) }))}
            defaultValue={value("weeklyDay", String(data.weeklyDay))}
            error={errors.weeklyDay}
          />
          <Select
            label={t("notifyUi.settings.locale")}
            name="locale"
            hint={t("notifyUi.settings.localeHelp")}
            options={[
              { value: "vi", label: "Tiếng Việt" },
              { value: "en", label: "English" },
            ]}
            defaultValue={value("locale", data.locale)}
            error={errors.locale}
          />
          <button type="submit" className="primary">
            {t("common.save")}
          </button>
        </Form>
      </section>

      <section className="card" aria-labelledby="push-title">
        <h2 id="push-title">{t("notifyUi.channel.push")}</h2>
        {data.publicKey ? (
          <>
            <p className="muted">{t("notifyUi.push.help")}</p>
            <PushControl publicKey={data.publicKey} />
            <h3>{t("notifyUi.push.devices")}</h3>
            {data.devices.length === 0 ? (
              <p className="muted" data-testid="no-devices">
                {t("notifyUi.push.noDevices")}
              </p>
            ) : (
              <ul className="list" data-testid="devices">
                {data.devices.map((d) => (
                  <li key={d.id} className="actions" style={{ justifyContent: "space-between" }}>
                    <span>
                      {deviceName(d.userAgent) ?? t("notifyUi.push.unknownDevice")}
                      <span className="muted"> · {t("notifyUi.push.since", { at: formatDateTime(d.createdAt) })}</span>
                    </span>
                    <form method="post" action="/api/notifications/push">
                      <input type="hidden" name="intent" value="unsubscribe" />
                      <input type="hidden" name="id" value={d.id} />
                      <input type="hidden" name="back" value="1" />
                      <button type="submit" className="link-button">
                        {t("notifyUi.push.remove")}
                      </button>
                    </form>
                  </li>
                ))}
              </ul>
            )}
          </>
        ) : (
          <p data-testid="push-not-configured">{t("notifyUi.notConfigured.push")}</p>
        )}
      </section>
    </div>
  );
}

/** "Chrome trên Android" is more than a person needs; the browser and system names are enough. */
function deviceName(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const browser = /Edg\//.test(userAgent) ? "Edge" : /Firefox\//.test(userAgent) ? "Firefox" : /Chrome\//.test(userAgent) ? "Chrome" : /Safari\//.test(userAgent) ? "Safari" : null;
  const system = /Android/.test(userAgent) ? "Android" : /iPhone|iPad/.test(userAgent) ? "iOS" : /Windows/.test(userAgent) ? "Windows" : /Mac OS/.test(userAgent) ? "macOS" : /Linux/.test(userAgent) ? "Linux" : null;
  return [browser, system].filter(Boolean).join(" · ") || null;
}

const defaultModeOf = (kind: NewsKind) => DEFAULT_MODES[kind];

function ChannelRow({ state, checked }: { state: ChannelState; checked?: boolean }) {
  const t = useT();
  const name = t(`notifyUi.channel.${state.channel}`);
  if (state.channel === "push" && state.state !== "disabled") {
    // Push follows the browsers subscribed below.
    return (
      <div className="channel" data-testid="channel-push" data-state={state.state}>
        <strong>{name}</strong> — {state.state === "not_configured" ? t(`notifyUi.notConfigured.${state.channel}`) : state.state === "on" ? t("notifyUi.push.onHere") : t("notifyUi.push.offHere")}
      </div>
    );
  }
  if (state.state === "not_configured") {
    return (
      <div className="channel" data-testid={`channel-${state.channel}`} data-state="not_configured">
        <strong>{name}</strong> — {t(`notifyUi.notConfigured.${state.channel}`)}
      </div>
    );
  }
  if (state.state === "no_address") {
    return (
      <div className="channel" data-testid={`channel-${state.channel}`} data-state="no_address">
        <strong>{name}</strong> — {t(state.channel === "email" ? "notifyUi.settings.noEmail" : "notifyUi.settings.noPhone")}
      </div>
    );
  }
  if (state.state === "disabled") {
    const known = ["invalid_address", "bounced", "not_on_zalo", "blocked", "unsubscribed", "expired_subscription"].includes(state.reason);
    return (
      <div className="channel" data-testid={`channel-${state.channel}`} data-state="disabled">
        <p className="banner banner-error" role="status">
          <strong>{name}</strong>
          {state.address ? ` (${state.address})` : ""}: {t(`notifyUi.reason.${known ? state.reason : "other"}` as MessageKey, { channel: name })}
          {state.disabledAt ? <span className="muted"> · {formatDateTime(state.disabledAt)}</span> : null}
        </p>
        <button type="submit" name="reenable" value={state.channel}>
          {t("notifyUi.settings.reenable", { channel: name })}
        </button>
      </div>
    );
  }
  const id = `channel-${state.channel}-switch`;
  return (
    <div className="channel" data-testid={`channel-${state.channel}`} data-state={state.state}>
      <input type="checkbox" id={id} name={`channel.${state.channel}`} value="on" defaultChecked={checked ?? state.state === "on"} />{" "}
      <label htmlFor={id}>
        {t("notifyUi.settings.channelOn", { channel: name })}
        {state.address ? <span className="muted"> ({state.address})</span> : null}
      </label>
    </div>
  );
}

export const meta: Route.MetaFunction = ({ matches }) => pageTitle(matches, "notifyUi.settings.title");

export { PageErrorBoundary as ErrorBoundary } from "../components/error-card.tsx";
