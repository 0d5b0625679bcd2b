import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1: headers that describe one connection and must not be forwarded. */
const hopByHopHeaders = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'];

/**
 * Headers a `Connection` list can never remove. Content-Length and Transfer-Encoding frame the
 * body (RFC 9112 §6): dropping one because the client named it would send the body unframed and
 * let the backend parse it as a request of its own (request smuggling). Host routes the request.
 */
const neverListed = new Set(['content-length', 'transfer-encoding', 'host']);

/**
 * Removes the client connection's own headers before an HTTP request goes to a backend. Without
 * this, a client's `Connection: close` would close the pooled keep-alive connection to the
 * backend after every request. Headers named in `Connection` are removed too, except the
 * framing headers and Host, and X-Forwarded-* (Mooring sets those itself).
 */
export function stripHopByHopHeaders(headers: IncomingHttpHeaders): void {
  const listed = headers.connection;
  if (typeof listed === 'string') {
    for (const name of listed.split(',')) {
      const header = name.trim().toLowerCase();
      if (header !== '' && !neverListed.has(header) && !header.startsWith('x-forwarded-')) delete headers[header];
    }
  }
  for (const name of hopByHopHeaders) delete headers[name];
}
