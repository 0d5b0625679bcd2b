import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

/*
 * The value of the `cookie` stickiness cookie: `v1.<base64url(backend id)>.<base64url(mac)>`,
 * where mac is HMAC-SHA256(secret, "mooring-sticky:v1.<base64url(id)>") truncated to 16 bytes.
 * - It names the backend by its id and never by its URL, so clients learn no internal address.
 *   The id is only encoded, not encrypted: anyone can read it, so backend ids should not be
 *   addresses either.
 * - Every node holds the shared secrets, so each node accepts every other node's cookie.
 * - A 128-bit MAC is half of HMAC-SHA256's output, the truncation RFC 2104 §5 recommends as
 *   the minimum. A forged cookie passes with probability 2^-128 per try.
 * - Base64url and "." are RFC 6265 §4.1.1 cookie-octets, so the value needs no quoting.
 */

const version = 'v1';
const macBytes = 16;
const macChars = 22; // base64url of 16 bytes, unpadded
/** Longer values are rejected before any decoding, which bounds the work per request. */
const maxValueLength = 1024;
/** `v1.<id>.<mac>`: base64url without padding in both parts, a 16-byte MAC. */
const valuePattern = new RegExp(`^${version}\\.([A-Za-z0-9_-]+)\\.([A-Za-z0-9_-]{${macChars}})$`);

/** Outcome of reading a cookie value: the backend it names, or why it cannot be trusted. */
export type DecodedCookie =
  | {
      readonly backendId: string;
      /** Verified by a secret other than the first: re-issue the cookie so rotation can end. */
      readonly resign: boolean;
    }
  | { readonly error: 'malformed' | 'bad-signature' };

/** Signs and verifies sticky cookie values. */
export interface CookieCodec {
  /** The cookie value naming `backendId`, signed with the first secret. */
  encode(backendId: string): string;
  /** Verifies a value against every secret. Never throws, whatever the input. */
  decode(value: string): DecodedCookie;
}

/** Options of `createCookieCodec`. */
export interface CookieCodecOptions {
  /** The first secret signs; all of them verify. */
  readonly secrets: readonly string[];
  /** Verified values remembered, to skip the HMAC on repeat visits (default 4096; 0: none). */
  readonly cacheSize?: number;
}

/**
 * Creates a codec. The first secret signs and all of them verify, which lets operators rotate
 * secrets across the fleet: first add the new secret in second place everywhere, then move it
 * first, then drop the old one once its cookies have expired or been re-issued.
 *
 * An HMAC through node:crypto costs a few µs, mostly per-call setup, and the same cookie comes
 * back on every request of a session. So values that verified are memoized: a hit costs one map
 * lookup. The memo does not change any result, because the secrets are fixed for the codec's
 * life. Only verified values are kept, so forged values cannot fill it. When it is full it is
 * cleared, which is cheaper than LRU bookkeeping and costs one HMAC per live session afterwards.
 */
export function createCookieCodec(options: CookieCodecOptions): CookieCodec {
  if (options.secrets.length === 0) throw new Error('expected at least one cookie secret');
  if (options.secrets.some((secret) => secret === '')) throw new Error('expected non-empty cookie secrets');
  const keys = options.secrets.map((secret) => createSecretKey(Buffer.from(secret, 'utf8')));
  const cacheSize = options.cacheSize ?? 4096;
  const verified = new Map<string, DecodedCookie>();
  return {
    encode: (backendId) => encodeValue(keys[0]!, backendId),
    decode: (value) => {
      const known = verified.get(value);
      if (known !== undefined) return known;
      const result = decodeValue(keys, value);
      if ('backendId' in result && cacheSize > 0) {
        if (verified.size >= cacheSize) verified.clear();
        verified.set(value, result);
      }
      return result;
    },
  };
}

function encodeValue(key: KeyObject, backendId: string): string {
  if (backendId === '') throw new Error('expected a non-empty backend id');
  const idPart = Buffer.from(backendId, 'utf8').toString('base64url');
  return `${version}.${idPart}.${mac(key, idPart).toString('base64url')}`;
}

const malformed: DecodedCookie = Object.freeze({ error: 'malformed' });
const badSignature: DecodedCookie = Object.freeze({ error: 'bad-signature' });

function decodeValue(keys: readonly KeyObject[], value: string): DecodedCookie {
  if (typeof value !== 'string' || value.length > maxValueLength) return malformed;
  const match = valuePattern.exec(value);
  if (match === null) return malformed;
  const idPart = match[1]!;
  const id = canonicalBase64url(idPart);
  const given = canonicalBase64url(match[2]!);
  if (id === undefined || given === undefined) return malformed;
  const backendId = id.toString('utf8');
  // Invalid UTF-8 would decode to U+FFFD and name a different id than the one signed.
  if (!Buffer.from(backendId, 'utf8').equals(id)) return malformed;
  for (let index = 0; index < keys.length; index++) {
    if (timingSafeEqual(mac(keys[index]!, idPart), given)) return Object.freeze({ backendId, resign: index > 0 });
  }
  return badSignature;
}

/** HMAC over a version tag and the encoded id, with a context prefix so the secret is used for nothing else. */
function mac(key: KeyObject, idPart: string): Buffer {
  return createHmac('sha256', key).update(`mooring-sticky:${version}.${idPart}`).digest().subarray(0, macBytes);
}

/**
 * Decodes base64url only when it is canonical. Node's decoder is lenient and ignores unused
 * trailing bits, so several texts would otherwise verify as one cookie.
 */
function canonicalBase64url(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.length > 0 && bytes.toString('base64url') === text ? bytes : undefined;
}

/** A fresh secret (32 random bytes, base64url) for a node started without `--cookie-secret`. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Attributes of the sticky cookie (RFC 6265 §4.1; SameSite from RFC 6265bis). */
export interface SetCookieAttributes {
  readonly name: string;
  readonly path: string;
  readonly domain?: string;
  readonly httpOnly: boolean;
  readonly secure: boolean;
  readonly sameSite?: 'Strict' | 'Lax' | 'None';
  /** Lifetime in whole seconds; absent: a session cookie, gone when the browser closes. */
  readonly maxAgeSeconds?: number;
}

const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const cookieOctetsPattern = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const pathPattern = /^\/[\x20-\x3A\x3C-\x7E]*$/;
const domainPattern = /^\.?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/**
 * A `Set-Cookie` header value. Throws on attributes a browser would reject or misread: a name
 * that is not a token, a value with characters outside cookie-octet, a path or domain with
 * separators, a non-integer Max-Age, or `SameSite=None` without `Secure` (the storage model of
 * RFC 6265bis has browsers ignore such a cookie). The attributes come from validated config, so
 * this fails at startup.
 */
export function serializeSetCookie(value: string, attrs: SetCookieAttributes): string {
  assertCookieAttributes(value, attrs);
  const parts = [`${attrs.name}=${value}`, `Path=${attrs.path}`];
  if (attrs.domain !== undefined) parts.push(`Domain=${attrs.domain}`);
  if (attrs.maxAgeSeconds !== undefined) parts.push(`Max-Age=${attrs.maxAgeSeconds}`);
  if (attrs.httpOnly) parts.push('HttpOnly');
  if (attrs.secure) parts.push('Secure');
  if (attrs.sameSite !== undefined) parts.push(`SameSite=${attrs.sameSite}`);
  return parts.join('; ');
}

function assertCookieAttributes(value: string, attrs: SetCookieAttributes): void {
  const quote = JSON.stringify;
  if (!tokenPattern.test(attrs.name)) throw new Error(`cookie name ${quote(attrs.name)} is not an RFC 6265 token`);
  if (!cookieOctetsPattern.test(value)) throw new Error('cookie value has characters outside RFC 6265 cookie-octet');
  if (!pathPattern.test(attrs.path)) {
    throw new Error(`cookie path ${quote(attrs.path)} must start with / and hold no ; or control characters`);
  }
  if (attrs.domain !== undefined && !domainPattern.test(attrs.domain)) {
    throw new Error(`cookie domain ${quote(attrs.domain)} is not a host name`);
  }
  if (attrs.maxAgeSeconds !== undefined && !Number.isSafeInteger(attrs.maxAgeSeconds)) {
    throw new Error(`cookie Max-Age must be a whole number of seconds, got ${attrs.maxAgeSeconds}`);
  }
  if (attrs.sameSite === 'None' && !attrs.secure)
    throw new Error('SameSite=None requires Secure, or browsers ignore the cookie');
}

/**
 * The value of the first cookie called `name` in a `Cookie` header, or undefined. Pairs are
 * `;`-separated with optional whitespace (RFC 6265 §5.4), a value may be double-quoted, and
 * pieces without `=` are skipped. The first match wins, because browsers list the
 * most specific path first. Never throws.
 */
export function readCookie(cookieHeader: string | undefined, name: string): string | undefined {
  if (typeof cookieHeader !== 'string') return undefined;
  // The next "=" is searched for only once it is behind us: searching from every piece made a
  // header of many pieces without "=" quadratic (1 MiB of ";" took seconds, and maxHeaderSize
  // allows 1 MiB).
  let eq = -1;
  for (let start = 0; start < cookieHeader.length;) {
    let end = cookieHeader.indexOf(';', start);
    if (end < 0) end = cookieHeader.length;
    if (eq < start) eq = cookieHeader.indexOf('=', start);
    if (eq < 0) return undefined;
    if (eq < end && cookieHeader.slice(start, eq).trim() === name) {
      return unquote(cookieHeader.slice(eq + 1, end).trim());
    }
    start = end + 1;
  }
  return undefined;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
