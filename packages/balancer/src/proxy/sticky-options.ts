import type { MooringConfig } from '../config/schema.js';
import { parseHashKeySpec } from '../routing/hash-key.js';
import type { StickyOptions } from '../routing/session-router.js';
import { createCookieCodec, serializeSetCookie, type SetCookieAttributes } from '../routing/sticky-cookie.js';

/** The `Set-Cookie` value pinning a client to a backend, for a response sent over TLS or not. */
export type StickyCookie = (backendId: string, overTls: boolean) => string;

/**
 * Turns the validated configuration into the router's sticky options and the `Set-Cookie`
 * builder. The secret is always present here: the primary generates one when none is set.
 */
export function createStickyOptions(config: Readonly<MooringConfig>): {
  options: StickyOptions;
  setCookie: StickyCookie;
} {
  if (config.sticky === 'hash') {
    const balanceFactor = config.hashBalanceFactor > 0 ? config.hashBalanceFactor : undefined;
    return { options: { mode: 'hash', key: parseHashKeySpec(config.hashKey), balanceFactor }, setCookie: noCookie };
  }
  if (config.sticky === 'none' || !config.cookieSecret) return { options: { mode: 'none' }, setCookie: noCookie };
  const codec = createCookieCodec({ secrets: [config.cookieSecret, ...config.previousCookieSecrets] });
  const attributes = (overTls: boolean): SetCookieAttributes => ({
    name: config.cookieName,
    path: config.cookiePath,
    domain: config.cookieDomain,
    httpOnly: config.cookieHttpOnly,
    // `auto`: a cookie set over TLS is marked Secure, one set over plaintext could not be sent back.
    secure: config.cookieSecure === 'auto' ? overTls : config.cookieSecure,
    sameSite: config.cookieSameSite,
    maxAgeSeconds: config.cookieMaxAge === undefined ? undefined : Math.floor(config.cookieMaxAge / 1000),
  });
  const plain = attributes(false);
  const secure = attributes(true);
  // Serialize once per backend id and transport: the value only changes when the secret does.
  const cache = new Map<string, string>();
  const setCookie: StickyCookie = (backendId, overTls) => {
    const key = `${overTls ? 's' : 'p'}${backendId}`;
    let header = cache.get(key);
    if (header === undefined) {
      header = serializeSetCookie(codec.encode(backendId), overTls ? secure : plain);
      if (cache.size > 10_000) cache.clear();
      cache.set(key, header);
    }
    return header;
  };
  return { options: { mode: 'cookie', cookieName: config.cookieName, codec }, setCookie };
}

function noCookie(): string {
  throw new Error('sticky cookies are off');
}
