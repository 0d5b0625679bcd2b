import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1: headers that describe one connection and must not be forwarded. */
const hopByHopHeaders = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'];

/**
 * Removes the client connection's own headers before an HTTP request goes to a backend. Without
 * this, a client's `Connection: close` would close the pooled keep-alive connection to the
 * backend after every request. Headers named in `Connection` are removed too.
 */
export function stripHopByHopHeaders(headers: IncomingHttpHeaders): void {
  const listed = headers.connection;
  if (typeof listed === 'string') {
    for (const name of listed.split(',')) {
      const header = name.trim().toLowerCase();
      if (header !== '' && !header.startsWith('x-forwarded-')) delete headers[header];
    }
  }
  for (const name of hopByHopHeaders) delete headers[name];
}
