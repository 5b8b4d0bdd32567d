/**
 * Graph calls for a connection, as the platform providers make them: the connection's token from
 * the `TokenSource`, the tenant's shared budget, and a 401 on a token we thought fresh expiring
 * that token (by version) and re-sending once. Page links from Graph are followed as given.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { IntegrationError } from "../errors.ts";
import { withConnectionToken } from "../http/token-retry.server.ts";
import type { ProviderCall } from "../http/request.server.ts";
import type { ConnectionRef, RateBudgets, TokenSource } from "../ports.ts";
import type { MicrosoftConfig } from "./config.ts";
import { graphClient, graphClientError } from "./graph.server.ts";
import { graphBudget } from "./index.server.ts";

export type GraphSenderDeps = {
  config: MicrosoftConfig;
  tokens: TokenSource;
  budgets?: RateBudgets;
  onAttempt?: ProviderCall["onAttempt"];
};

export type GraphCallKind = { operation: string; idempotent: boolean };

export function graphContract(operation: string, message?: string) {
  return new IntegrationError({ code: "contract", provider: "microsoft", operation, providerMessage: message });
}

export function graphSender(deps: GraphSenderDeps) {
  async function send<T>(conn: ConnectionRef, call: GraphCallKind, fn: (client: Client) => Promise<T>): Promise<T> {
    const fetchCall = {
      provider: "microsoft",
      operation: call.operation,
      idempotent: call.idempotent,
      onAttempt: deps.onAttempt,
      budget: deps.budgets && conn.externalAccount ? graphBudget(deps.budgets, conn.externalAccount) : undefined,
    };
    return withConnectionToken(deps.tokens, conn, (token) => fn(graphClient(deps.config, token, fetchCall)), (e) => graphClientError(e, call.operation));
  }

  const root = deps.config.graphUrl.replace(/\/$/, "");

  /**
   * A page link from Graph, as the Graph client takes it: absolute over https (the client keeps
   * its host); a local http fake's link relative to the configured base (the client recognises
   * https hosts only). A link elsewhere over http is refused.
   */
  function pageLink(link: string, operation: string): string {
    if (link.startsWith("https://")) return link;
    if (link.startsWith(`${root}/`)) return link.slice(root.length);
    throw graphContract(operation, `unexpected page link ${link.slice(0, 80)}`);
  }

  /** A path under the base as an absolute address (a cursor callers can keep). */
  const absolute = (path: string) => (/^https?:\/\//.test(path) ? path : `${root}${path}`);

  return { send, pageLink, absolute };
}
