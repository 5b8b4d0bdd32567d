/**
 * A `fetch` for the providers' own client libraries (@googleapis/*), so that their calls go
 * through the one HTTP layer: its timeouts, retries, shared budgets and call counting. The
 * libraries' own retries are turned off where they are created.
 */
import { providerRequest, type ProviderCall } from "./request.server.ts";

export type FetchCall = Omit<ProviderCall, "method" | "url" | "headers" | "body">;

export function providerFetch(call: FetchCall): typeof fetch {
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.toString() : input.url;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const body = init?.body;
    if (body !== undefined && body !== null && typeof body !== "string") throw new TypeError(`${call.operation}: only text bodies are sent`);
    const res = await providerRequest({ ...call, method: (init?.method ?? "GET").toUpperCase() as ProviderCall["method"], url, headers, body: body ?? undefined });
    const out = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(", ") : v);
    return new Response(res.status === 204 || res.status === 304 ? null : res.text, { status: res.status, headers: out });
  };
}
