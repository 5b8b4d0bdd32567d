/*
 * Lớp Số's service worker: shows a Web Push notification sent by the hub and, when the person
 * taps it, focuses a tab already on that page or opens it. The payload is the JSON the hub's push
 * channel sends: { title, body, url } (also accepted: { subject, text, link } and data.url).
 */
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

/** Only pages of this hub are opened: anything else leads to the inbox. */
function samePage(url) {
  try {
    const u = new URL(url || "/notifications", self.location.origin);
    return u.origin === self.location.origin ? u.href : new URL("/notifications", self.location.origin).href;
  } catch (e) {
    return new URL("/notifications", self.location.origin).href;
  }
}

self.addEventListener("push", (event) => {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch (e) {
    payload = { body: event.data ? event.data.text() : "" };
  }
  const title = payload.title || payload.subject || "Lớp Số";
  const url = samePage(payload.url || payload.link || (payload.data && payload.data.url));
  event.waitUntil(
    self.registration.showNotification(title, {
      body: payload.body || payload.text || "",
      icon: "/favicon.svg",
      badge: "/favicon.svg",
      tag: payload.tag || undefined,
      lang: payload.lang || undefined,
      data: { url },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = samePage(event.notification.data && event.notification.data.url);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const w of windows) {
        if (w.url === url && "focus" in w) return w.focus();
      }
      for (const w of windows) {
        if ("navigate" in w && new URL(w.url).origin === self.location.origin) return w.navigate(url).then((c) => (c ? c.focus() : self.clients.openWindow(url)));
      }
      return self.clients.openWindow(url);
    }),
  );
});
