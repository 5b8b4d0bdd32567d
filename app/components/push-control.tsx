import { useEffect, useState } from "react";
import { useRevalidator } from "react-router";
import { useT } from "../i18n/index.ts";

type State = "checking" | "unsupported" | "denied" | "off" | "on" | "busy" | "error";

/** The VAPID public key (base64url) as the bytes `applicationServerKey` takes. */
function keyBytes(base64url: string): Uint8Array {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  const raw = atob(base64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

async function post(body: Record<string, string>) {
  const res = await fetch("/api/notifications/push", { method: "POST", body: new URLSearchParams(body), headers: { accept: "application/json" } });
  return res.ok;
}

/**
 * Web Push for this browser, added once the page runs in a browser that has a PushManager: the
 * button registers the service worker (/sw.js, scope /), subscribes with the hub's public key and
 * hands the subscription to the hub; or unsubscribes the browser and removes it from the hub.
 * Without JavaScript or push support nothing is shown here (the device list still works).
 */
export function PushControl({ publicKey }: { publicKey: string }) {
  const t = useT();
  const revalidator = useRevalidator();
  const [state, setState] = useState<State>("checking");

  useEffect(() => {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return setState("unsupported");
    if (Notification.permission === "denied") return setState("denied");
    navigator.serviceWorker
      .getRegistration("/")
      .then((reg) => reg?.pushManager.getSubscription())
      .then((sub) => setState(sub ? "on" : "off"))
      .catch(() => setState("off"));
  }, []);

  async function turnOn() {
    setState("busy");
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") return setState(permission === "denied" ? "denied" : "off");
      await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      const reg = await navigator.serviceWorker.ready;
      const sub = (await reg.pushManager.getSubscription()) ?? (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) as BufferSource }));
      const json = sub.toJSON();
      const saved = await post({ intent: "subscribe", endpoint: sub.endpoint, p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" });
      setState(saved ? "on" : "error");
      if (saved) void revalidator.revalidate();
    } catch {
      setState("error");
    }
  }

  async function turnOff() {
    setState("busy");
    try {
      const reg = await navigator.serviceWorker.getRegistration("/");
      const sub = await reg?.pushManager.getSubscription();
      if (sub) {
        await post({ intent: "unsubscribe", endpoint: sub.endpoint });
        await sub.unsubscribe();
      }
      setState("off");
      void revalidator.revalidate();
    } catch {
      setState("error");
    }
  }

  if (state === "checking" || state === "unsupported") return null;
  return (
    <div className="actions" data-testid="push-control">
      {state === "denied" ? <p className="muted">{t("notifyUi.push.denied")}</p> : null}
      {state === "error" ? (
        <p className="error" role="alert">
          {t("notifyUi.push.failed")}
        </p>
      ) : null}
      {state === "on" ? (
        <button type="button" onClick={turnOff}>
          {t("notifyUi.push.turnOff")}
        </button>
      ) : state !== "denied" ? (
        <button type="button" className="primary" onClick={turnOn} disabled={state === "busy"} aria-busy={state === "busy" || undefined}>
          {t("notifyUi.push.turnOn")}
        </button>
      ) : null}
    </div>
  );
}
