import type { MooringConfig } from '../config/schema.js';
import { parseHashKeySpec } from '../routing/hash-key.js';
import type { StickyOptions } from '../routing/session-router.js';
import { createCookieCodec, serializeSetCookie, type SetCookieAttributes } from '../routing/sticky-cookie.js';

/**
 * Turns the validated configuration into the router's sticky options and the `Set-Cookie`
 * builder. The secret is always present here: the primary generates one when none is set.
 */
export function createStickyOptions(config: Readonly<MooringConfig>): {
  options: StickyOptions;
  setCookie: (backendId: string) => string;
} {
  if (config.sticky === 'hash') {
    const balanceFactor = config.hashBalanceFactor > 0 ? config.hashBalanceFactor : undefined;
    return { options: { mode: 'hash', key: parseHashKeySpec(config.hashKey), balanceFactor }, setCookie: noCookie };
  }
  if (config.sticky === 'none' || !config.cookieSecret) return { options: { mode: 'none' }, setCookie: noCookie };
  const codec = createCookieCodec({ secrets: [config.cookieSecret, ...config.previousCookieSecrets] });
  const attributes: SetCookieAttributes = {
    name: config.cookieName,
    path: config.cookiePath,
    domain: config.cookieDomain,
    httpOnly: config.cookieHttpOnly,
    secure: config.cookieSecure,
    sameSite: config.cookieSameSite,
    maxAgeSeconds: config.cookieMaxAge === undefined ? undefined : Math.floor(config.cookieMaxAge / 1000),
  };
  // Serialize once per backend id: the value only changes when the secret does.
  const cache = new Map<string, string>();
  const setCookie = (backendId: string): string => {
    let header = cache.get(backendId);
    if (header === undefined) {
      header = serializeSetCookie(codec.encode(backendId), attributes);
      if (cache.size > 10_000) cache.clear();
      cache.set(backendId, header);
    }
    return header;
  };
  return { options: { mode: 'cookie', cookieName: config.cookieName, codec }, setCookie };
}

function noCookie(): string {
  throw new Error('sticky cookies are off');
}
