import type { Writable } from "node:stream";
import { renderToPipeableStream } from "react-dom/server";
import { isRouteErrorResponse, RouterContextProvider, ServerRouter, type EntryContext, type HandleErrorFunction } from "react-router";
import { NonceProvider } from "./components/nonce.tsx";
import { RequestLocaleContext } from "./components/request-locale.tsx";
import { localeContext, nonceContext } from "./context.ts";
import { newNonce } from "./auth/request.server.ts";
import { oauthOrigins } from "./services/connections/oauth.server.ts";

export const streamTimeout = 5_000;

const renderedDocuments = new WeakMap<RouterContextProvider, { response: Response; body: Buffer }>();

/**
 * The rendered document (uncompressed HTML) for the response React Router returned, if this entry
 * rendered it: the HTTP front (app/server/http.ts) compresses and writes these bytes itself. Any
 * other response (a redirect, one built by React Router) carries its own body.
 */
export function renderedDocument(context: RouterContextProvider, response: Response): Buffer | undefined {
  const rendered = renderedDocuments.get(context);
  return rendered?.response === response ? rendered.body : undefined;
}

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  routerContext: EntryContext,
  loadContext: RouterContextProvider,
) {
  // The root middleware sets the nonce for every page; one is made here should a document ever be
  // rendered without it, so that the policy never carries an empty nonce that blocks the scripts.
  const nonce = loadContext.get(nonceContext) || newNonce();
  responseHeaders.set("Content-Security-Policy", contentSecurityPolicy(nonce));
  // Pages here have no deferred data, so the whole document is rendered, then sent in one write
  // with a Content-Length: far fewer system calls than streaming React's many small chunks.
  return new Promise<Response>((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    // React writes the finished document here in one go (see onAllReady): a plain collector, not a
    // stream.Writable, whose bookkeeping cost more per page than the copying itself.
    const sink = {
      write(chunk: Uint8Array | string) {
        chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
        return true;
      },
      end() {
        clearTimeout(timer);
        const body = Buffer.concat(chunks);
        responseHeaders.set("Content-Type", "text/html; charset=utf-8");
        // The bytes travel beside the Response (see renderedDocument), and the HTTP front compresses
        // and writes them: a body stream only for the front to read them back would cost more.
        const response = new Response(null, { headers: responseHeaders, status: responseStatusCode });
        renderedDocuments.set(loadContext, { response, body });
        resolve(response);
      },
      destroy(error?: unknown) {
        clearTimeout(timer);
        reject(error ?? new Error("rendering stopped"));
      },
      // React listens for "drain", "error" and "close"; nothing here emits them.
      on() {
        return sink;
      },
    };
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RequestLocaleContext.Provider value={loadContext.get(localeContext)}>
          <ServerRouter context={routerContext} url={request.url} nonce={nonce} />
        </RequestLocaleContext.Provider>
      </NonceProvider>,
      {
        nonce,
        onAllReady() {
          pipe(sink as unknown as Writable);
        },
        onShellError(error: unknown) {
          clearTimeout(timer);
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          console.error(error);
        },
      },
    );
    const timer = setTimeout(abort, streamTimeout + 1000);
  });
}

/**
 * Log every unexpected server error (a 500). React Router's default logs them too, except when
 * NODE_ENV is "test" — which hid from the integration tests the 500s they are meant to catch.
 * Its own 4xx (no route matches a scanner's URL, no action on a route) are not server faults.
 */
export const handleError: HandleErrorFunction = (error, { request }) => {
  if (request.signal.aborted) return;
  if (isRouteErrorResponse(error) && error.status < 500) return;
  const inner = isRouteErrorResponse(error) ? (error as { error?: unknown }).error : undefined;
  console.error(inner ?? error);
};

export function contentSecurityPolicy(nonce: string) {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    // Images only from the hub itself: a lesson must not tell another site who read it.
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    // The Web Push service worker (/sw.js) is the hub's own script.
    "worker-src 'self'",
    "frame-ancestors 'none'",
    // Starting a sign-in or a connection posts a form that redirects to the provider's sign-in page.
    `form-action 'self' ${oauthOrigins().join(" ")}`,
    "base-uri 'self'",
    "object-src 'none'",
  ].join("; ");
}

/**
 * The per-request context, created by the same copy of react-router that the build uses (the
 * server entry and test harness may load another copy, and middleware checks the class).
 */
export function createLoadContext() {
  return new RouterContextProvider();
}
