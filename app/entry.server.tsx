import { Writable } from "node:stream";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";
import { renderToPipeableStream } from "react-dom/server";
import { isRouteErrorResponse, RouterContextProvider, ServerRouter, type EntryContext, type HandleErrorFunction } from "react-router";
import { NonceProvider } from "./components/nonce.tsx";
import { RequestLocaleContext } from "./components/request-locale.tsx";
import { localeContext, nonceContext } from "./context.ts";

export const streamTimeout = 5_000;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  routerContext: EntryContext,
  loadContext: RouterContextProvider,
) {
  const nonce = loadContext.get(nonceContext);
  responseHeaders.set("Content-Security-Policy", contentSecurityPolicy(nonce));
  // Pages here have no deferred data, so the whole document is rendered, then sent in one write
  // with a Content-Length: far fewer system calls than streaming React's many small chunks.
  return new Promise<Response>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
      final(done) {
        clearTimeout(timer);
        const body = encode(Buffer.concat(chunks), request.headers.get("accept-encoding") ?? "", responseHeaders);
        responseHeaders.set("Content-Type", "text/html; charset=utf-8");
        responseHeaders.set("Content-Length", String(body.length));
        resolve(new Response(new Uint8Array(body), { headers: responseHeaders, status: responseStatusCode }));
        done();
      },
    });
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RequestLocaleContext.Provider value={loadContext.get(localeContext)}>
          <ServerRouter context={routerContext} url={request.url} nonce={nonce} />
        </RequestLocaleContext.Provider>
      </NonceProvider>,
      {
        nonce,
        onAllReady() {
          pipe(sink);
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
 * Compress the finished document in one synchronous call (brotli quality 2 or gzip level 1: fast,
 * and a 15 kB page becomes ~6 kB) — much cheaper than a compression stream per response.
 */
function encode(html: Buffer, acceptEncoding: string, headers: Headers): Buffer {
  headers.append("Vary", "Accept-Encoding");
  if (html.length < 1024) return html;
  const accepts = (name: string) => new RegExp(`(^|,)\\s*${name}\\s*(;\\s*q=(?!0(\\.0*)?\\s*($|,))[0-9.]+)?\\s*($|,)`).test(acceptEncoding);
  if (accepts("br")) {
    headers.set("Content-Encoding", "br");
    return brotliCompressSync(html, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 2 } });
  }
  if (accepts("gzip")) {
    headers.set("Content-Encoding", "gzip");
    return gzipSync(html, { level: 1 });
  }
  return html;
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
    "img-src 'self' data: https:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
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
