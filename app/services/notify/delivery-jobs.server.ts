/**
 * The delivery's background jobs: one pg-boss queue per outside channel — notify-deliver-email,
 * -push, -zalo, -sms — each draining its channel every minute (and whenever something sends a
 * job to its queue, e.g. the fan-out right after queuing immediate messages), so a slow or failing
 * channel never delays the others. A channel that is not configured leaves its messages queued.
 */
import type { Database } from "../../../db/client.server.ts";
import type { ExternalChannel } from "../../../db/schema/notify.ts";
import { env } from "../../env.server.ts";
import { drainChannel } from "./delivery.server.ts";
import { EXTERNAL_CHANNELS } from "./channels.server.ts";

export const DELIVERY_QUEUES: Record<ExternalChannel, string> = {
  email: "notify-deliver-email",
  push: "notify-deliver-push",
  zalo: "notify-deliver-zalo",
  sms: "notify-deliver-sms",
};

/** The public address for links in messages: APP_URL, or this host in development. */
export function publicBaseUrl(): string {
  const e = env();
  return e.APP_URL ?? `http://localhost:${e.PORT}`;
}

/** One run of a channel's delivery job: what is due, for up to 50 s, with unsubscribe links. */
export async function deliverDue(database: Database, channel: ExternalChannel) {
  return drainChannel(database, channel, { baseUrl: publicBaseUrl(), secretKey: env().SECRET_KEY, budgetMs: 50_000 });
}

export function deliveryJobs() {
  return EXTERNAL_CHANNELS.map((channel) => ({
    name: DELIVERY_QUEUES[channel],
    cron: "* * * * *",
    async run(database: Database) {
      return { ...(await deliverDue(database, channel)) };
    },
  }));
}
