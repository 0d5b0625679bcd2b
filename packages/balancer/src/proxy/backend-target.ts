import { isIP } from 'node:net';
import { parse as parseLegacyUrl, type UrlWithStringQuery } from 'node:url';
import type { Backend } from '../core/backend.js';

/** Where a backend's sockets go: its URL read once, not on every handshake. */
export interface BackendEndpoint {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  /** SNI for `https://` backends named by a host name; none for an IP address. */
  readonly servername: string | undefined;
  /** `host:port` as the URL wrote it, for messages. */
  readonly display: string;
}

/** A backend's URL parsed for each use: the socket's endpoint and http-proxy's `target`. */
export interface BackendTarget {
  readonly endpoint: BackendEndpoint;
  /**
   * The form http-proxy turns a string `target` into (`url.parse`) on every call: handing it the
   * parsed object skips that, with exactly the same outgoing request.
   */
  readonly proxyTarget: UrlWithStringQuery;
}

/** Per Backend object: a membership change brings new objects, so a changed URL is parsed anew. */
const targets = new WeakMap<Backend, BackendTarget>();

export function backendTarget(backend: Backend): BackendTarget {
  let target = targets.get(backend);
  if (!target) {
    target = parseTarget(backend.url);
    targets.set(backend, target);
  }
  return target;
}

function parseTarget(url: string): BackendTarget {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const secure = parsed.protocol === 'https:';
  return {
    endpoint: {
      host,
      port: Number(parsed.port || (secure ? 443 : 80)),
      secure,
      servername: secure && !isIP(host) ? host : undefined,
      display: parsed.host,
    },
    proxyTarget: parseLegacyUrl(url),
  };
}
