/**
 * Which `MeetingProvider` makes a session's meeting on each platform, with the hub's token source
 * and shared budgets; null while a platform's provider is not available.
 */
import type { Db } from "../../db/client.server.ts";
import type { Connection, SessionPlatform } from "../../db/schema/index.ts";
import type { ConnectionRef, MeetingProvider } from "../../integrations/ports.ts";
import { createMeetMeetings } from "../../integrations/google/meet.server.ts";
import { pgRateBudgets } from "./connections/budgets.server.ts";
import { googleConfig } from "./connections/google.server.ts";
import { tokenSource } from "./connections/token-source.server.ts";

export function meetingProvider(db: Db, platform: Exclude<SessionPlatform, "link">): MeetingProvider | null {
  const deps = { tokens: tokenSource(db), budgets: pgRateBudgets(db) };
  switch (platform) {
    case "google":
      return createMeetMeetings({ config: googleConfig(), ...deps });
    default:
      return null;
  }
}

export function refOf(c: Pick<Connection, "id" | "provider" | "externalAccount" | "clientId">): ConnectionRef {
  return { id: c.id, provider: c.provider, externalAccount: c.externalAccount, clientId: c.clientId };
}
