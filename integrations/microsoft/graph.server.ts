/**
 * The Graph client (@microsoft/microsoft-graph-client) over the hub's HTTP layer: its middleware
 * chain is one middleware of ours that adds the token and sends the request through
 * `providerFetch` (our retries, shared budgets and call counting; the client's own retry handler
 * is not in the chain), so the same code reaches Graph or a local fake over plain http.
 */
import { Client, GraphError as GraphClientError, type Context, type Middleware } from "@microsoft/microsoft-graph-client";
import { IntegrationError } from "../errors.ts";
import { retryAfterDate } from "../channels/http.server.ts";
import { providerFetch, type FetchCall } from "../http/fetch.server.ts";
import type { MicrosoftConfig } from "./config.ts";

class HubTransport implements Middleware {
  /** What our HTTP layer threw (a spent budget, a network failure): the client keeps only its message. */
  thrown: IntegrationError | undefined;

  constructor(
    private readonly token: string,
    private readonly call: FetchCall,
  ) {}

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === "string" ? context.request : context.request.url;
    const headers = new Headers(context.options?.headers);
    headers.set("authorization", `Bearer ${this.token}`);
    headers.set("accept", "application/json");
    try {
      context.response = await providerFetch(this.call)(url, { ...context.options, headers });
    } catch (e) {
      if (e instanceof IntegrationError) this.thrown = e;
      throw e;
    }
  }
}

export function graphClient(cfg: MicrosoftConfig, token: string, call: FetchCall): Client {
  return graphSession(cfg, token, call).client;
}

function graphSession(cfg: MicrosoftConfig, token: string, call: FetchCall) {
  const u = new URL(cfg.graphUrl);
  const version = u.pathname.replace(/^\/|\/$/g, "") || "v1.0";
  const transport = new HubTransport(token, call);
  return { transport, client: Client.initWithMiddleware({ middleware: transport, baseUrl: `${u.origin}/`, defaultVersion: version }) };
}

/** One or more Graph requests with a client of their own; any failure comes out as our error. */
export async function graphCall<T>(cfg: MicrosoftConfig, token: string, call: FetchCall, run: (client: Client) => Promise<T>): Promise<T> {
  const { transport, client } = graphSession(cfg, token, call);
  try {
    return await run(client);
  } catch (e) {
    throw transport.thrown ?? graphClientError(e, call.operation);
  }
}

/** A Graph failure as our error (the client throws its GraphError with the status and Graph's code). */
export function graphClientError(e: unknown, operation: string): IntegrationError {
  if (e instanceof IntegrationError) return e;
  if (!(e instanceof GraphClientError) || e.statusCode <= 0) {
    return new IntegrationError({ code: "transient", provider: "microsoft", operation, providerMessage: (e as Error)?.message ?? String(e), cause: e });
  }
  const base = { provider: "microsoft", operation, status: e.statusCode, providerCode: e.code ?? undefined, providerMessage: e.message, cause: e };
  if (e.statusCode === 429 || e.statusCode === 503) {
    const retryAt = retryAfterDate(e.headers?.get("retry-after") ?? undefined, new Date());
    if (e.statusCode === 429 || retryAt) return new IntegrationError({ ...base, code: "rate_limited", retryAt: retryAt ?? new Date(Date.now() + 30_000), budget: "burst" });
  }
  if (e.statusCode === 401) return new IntegrationError({ ...base, code: "reauth_required" });
  if (e.statusCode === 404) return new IntegrationError({ ...base, code: "not_found" });
  if (e.statusCode >= 500) return new IntegrationError({ ...base, code: "transient" });
  return new IntegrationError({ ...base, code: "rejected" });
}
