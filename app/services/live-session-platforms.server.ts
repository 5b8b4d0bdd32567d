/**
 * Which `MeetingProvider` makes a session's meeting on each platform, with the hub's token source
 * and shared budgets; null while a platform's provider is not available.
 */
import type { Db } from "../../db/client.server.ts";
import type { Connection, SessionPlatform } from "../../db/schema/index.ts";
import type { ConnectionRef, MeetingProvider } from "../../integrations/ports.ts";
import { createMeetMeetings } from "../../integrations/google/meet.server.ts";
import { createTeamsMeetings } from "../../integrations/microsoft/meetings.server.ts";
import { createZoomMeetings } from "../../integrations/zoom/meetings.server.ts";
import { zoomConfig } from "./connections/zoom.server.ts";
import { microsoftConfig } from "./connections/microsoft.server.ts";
import { pgRateBudgets } from "./connections/budgets.server.ts";
import { googleConfig } from "./connections/google.server.ts";
import { tokenSource } from "./connections/token-source.server.ts";

/**
 * `host`: the teacher's address, for a school's application connection (Teams meetings are made
 * on a user's behalf: a delegated grant acts as its own user, an app as the named one).
 */
export function meetingProvider(db: Db, platform: Exclude<SessionPlatform, "link">, host?: { connection: Pick<Connection, "kind">; email: string | null }): MeetingProvider | null {
  const deps = { tokens: tokenSource(db), budgets: pgRateBudgets(db) };
  switch (platform) {
    case "google":
      return createMeetMeetings({ config: googleConfig(), ...deps });
    case "microsoft":
      return createTeamsMeetings({
        config: microsoftConfig(),
        ...deps,
        hostUserId: () => (host?.connection.kind === "server_to_server" ? (host.email ?? undefined) : undefined),
      });
    case "zoom":
      return createZoomMeetings({ config: zoomConfig(), ...deps });
  }
}

export function refOf(c: Pick<Connection, "id" | "provider" | "externalAccount" | "clientId">): ConnectionRef {
  return { id: c.id, provider: c.provider, externalAccount: c.externalAccount, clientId: c.clientId };
}
