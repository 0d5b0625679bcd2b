import type { IncomingHttpHeaders } from 'node:http';

/**
 * The request headers to hand http-proxy so that the backend receives them in the client's
 * order. http-proxy 1.18.1 copies `req.headers` into the outgoing request with `util._extend`,
 * which walks the keys backwards: without this Host would arrive last, and a backend that keeps
 * only its first N headers would drop it. Pinned by test/e2e/request-framing.test.ts.
 */
export function headersInClientOrder(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const names = Object.keys(headers);
  const reversed: IncomingHttpHeaders = {};
  for (let i = names.length - 1; i >= 0; i--) reversed[names[i]!] = headers[names[i]!];
  return reversed;
}
