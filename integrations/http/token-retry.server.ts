import { isIntegrationError, type IntegrationError } from "../errors.ts";
import type { ConnectionRef, TokenSource } from "../ports.ts";

/**
 * One provider call with the connection's token: a 401 on a token we thought fresh expires that
 * token (by its version, so a newer one stored meanwhile is kept) and the call is sent once more.
 * `toError` maps whatever the provider's client threw to our error.
 */
export async function withConnectionToken<T>(tokens: TokenSource, conn: ConnectionRef, run: (token: string) => Promise<T>, toError: (e: unknown) => IntegrationError): Promise<T> {
  const attempt = async () => {
    const { token, version } = await tokens.accessToken(conn);
    try {
      return await run(token);
    } catch (e) {
      throw Object.assign(toError(e), { tokenVersion: version });
    }
  };
  try {
    return await attempt();
  } catch (e) {
    if (!(isIntegrationError(e) && e.status === 401)) throw e;
    await tokens.rejected(conn, (e as IntegrationError & { tokenVersion: number }).tokenVersion);
    return attempt();
  }
}
