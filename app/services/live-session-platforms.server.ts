/**
 * Which `MeetingProvider` makes a session's meeting on each platform, given the hub's token
 * source; null while a platform's provider is not available.
 */
import type { Db } from "../../db/client.server.ts";
import type { Connection, SessionPlatform } from "../../db/schema/index.ts";
import type { ConnectionRef, MeetingProvider } from "../../integrations/ports.ts";

export function meetingProvider(_db: Db, platform: Exclude<SessionPlatform, "link">): MeetingProvider | null {
  void platform;
  return null;
}

export function refOf(c: Pick<Connection, "id" | "provider" | "externalAccount" | "clientId">): ConnectionRef {
  return { id: c.id, provider: c.provider, externalAccount: c.externalAccount, clientId: c.clientId };
}
