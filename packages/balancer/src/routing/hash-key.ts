import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import { readCookie } from './sticky-cookie.js';

/**
 * Where `hash` stickiness reads a request's key (`--hash-key`). Header names are stored in
 * lower case, because Node lower-cases incoming header names. Query and cookie names are
 * case-sensitive and kept as written.
 */
export type HashKeySpec =
  | { readonly source: 'ip' }
  | { readonly source: 'header'; readonly name: string }
  | { readonly source: 'query'; readonly name: string }
  | { readonly source: 'cookie'; readonly name: string };

/** The parts of a request a hash key can come from (an `IncomingMessage` has them all). */
export interface HashKeyRequest {
  /** Client address, already resolved through trusted proxies by the caller if it does that. */
  readonly remoteAddress: string;
  readonly headers: IncomingHttpHeaders;
  /** The request target as received, e.g. `/chat?room=42`. */
  readonly url: string;
}

const expectedForms = 'expected ip, header:NAME, query:NAME or cookie:NAME';

/** RFC 9110 §5.6.2 token: what header names and (RFC 6265 §4.1.1) cookie names are made of. */
const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a `--hash-key` value: `ip`, `header:NAME`, `query:NAME` or `cookie:NAME`. Throws an
 * Error whose message says what was expected and what was given, without a field name, so that
 * config validation can prefix the field.
 */
export function parseHashKeySpec(text: string): HashKeySpec {
  const trimmed = text.trim();
  if (trimmed === 'ip') return { source: 'ip' };
  const colon = trimmed.indexOf(':');
  const source = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const name = colon < 0 ? '' : trimmed.slice(colon + 1);
  switch (source) {
    case 'header':
      if (!tokenPattern.test(name))
        throw nameError(text, 'header:NAME with NAME an HTTP header name such as X-User-Id');
      return { source, name: name.toLowerCase() };
    case 'cookie':
      if (!tokenPattern.test(name)) throw nameError(text, 'cookie:NAME with NAME a cookie name such as session');
      return { source, name };
    case 'query':
      // `&`, `=` and `#` delimit the query, so a name containing them could never match.
      if (name === '' || /[&=#\s]/.test(name))
        throw nameError(text, 'query:NAME with NAME a query parameter name such as room');
      return { source, name };
    default:
      throw new Error(`${expectedForms}, got ${JSON.stringify(text)}`);
  }
}

function nameError(text: string, expected: string): Error {
  return new Error(`expected ${expected}, got ${JSON.stringify(text)}`);
}

/**
 * Reads the hash key of a request, or undefined when the request has none. An empty value
 * counts as none: hashing "" would put every such client on one backend. The caller then falls
 * back to its non-sticky choice.
 */
export function extractHashKey(spec: HashKeySpec, request: HashKeyRequest): string | undefined {
  switch (spec.source) {
    case 'ip':
      return nonEmpty(unmapIPv4(request.remoteAddress));
    case 'header':
      return nonEmpty(headerValue(request.headers, spec.name)?.trim());
    case 'query':
      return nonEmpty(queryParam(request.url, spec.name));
    case 'cookie':
      return nonEmpty(readCookie(headerValue(request.headers, 'cookie'), spec.name));
  }
}

/**
 * `::ffff:10.0.0.1` and `10.0.0.1` are the same client, seen through a dual-stack listener or
 * an IPv4 one. Both must hash alike.
 */
function unmapIPv4(address: string): string {
  return /^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(address) ? address.slice(7) : address;
}

/**
 * A header by lower-case name. Node lower-cases names and joins repeated headers with ", ",
 * except `set-cookie`, which stays an array. A hand-built headers object may use other casings,
 * so on a miss the names are compared case-insensitively.
 */
function headerValue(headers: IncomingHttpHeaders, lowerName: string): string | undefined {
  // Own properties only: `constructor` and `__proto__` are valid header names, and a plain
  // headers object (Node's included) inherits both from Object.prototype.
  let value = Object.hasOwn(headers, lowerName) ? headers[lowerName] : undefined;
  if (value === undefined) {
    const found = Object.keys(headers).find((name) => name.toLowerCase() === lowerName);
    value = found === undefined ? undefined : headers[found];
  }
  if (Array.isArray(value)) return value.join(lowerName === 'cookie' ? '; ' : ', ');
  return value;
}

/**
 * The first value of a query parameter in a request target, decoded as
 * application/x-www-form-urlencoded (like `URLSearchParams.get`), without building a URL.
 * Malformed percent-escapes are kept as written instead of throwing.
 */
export function queryParam(target: string, name: string): string | undefined {
  const question = target.indexOf('?');
  if (question < 0) return undefined;
  const hash = target.indexOf('#', question);
  const end = hash < 0 ? target.length : hash;
  // The next "=" is searched for only once it is behind us (none left: the end), so that a
  // target of many parameters without "=" is read in linear time, not quadratic.
  let eq = -1;
  for (let start = question + 1; start < end;) {
    let amp = target.indexOf('&', start);
    if (amp < 0 || amp > end) amp = end;
    if (eq < start) eq = target.indexOf('=', start);
    if (eq < 0) eq = target.length;
    const split = eq < amp ? eq : amp;
    if (formDecode(target.slice(start, split)) === name) {
      return split < amp ? formDecode(target.slice(split + 1, amp)) : '';
    }
    start = amp + 1;
  }
  return undefined;
}

/** Runs of percent-escapes: each run must hold whole UTF-8 characters. */
const escapeRuns = /(?:%[0-9A-Fa-f]{2})+/g;
const strayPercent = /%(?![0-9A-Fa-f]{2})/;

/**
 * `decodeURIComponent` after `+` → space, or the spaced text as written when that would throw (a
 * stray `%`, escapes that are not UTF-8). Decoded without the exception, which cost a throw per
 * parameter: a 16 KiB target of `%&` took 60 ms.
 */
function formDecode(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  const spaced = text.replaceAll('+', ' ');
  if (strayPercent.test(spaced)) return spaced;
  let utf8 = true;
  const decoded = spaced.replace(escapeRuns, (run) => {
    const bytes = Buffer.from(run.replaceAll('%', ''), 'hex');
    utf8 &&= isUtf8(bytes);
    return bytes.toString('utf8');
  });
  return utf8 ? decoded : spaced;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
