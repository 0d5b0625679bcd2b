import { describe, expect, it } from 'vitest';
import {
  createCookieCodec,
  generateSecret,
  readCookie,
  serializeSetCookie,
  type SetCookieAttributes,
} from '../../src/routing/sticky-cookie.js';

const secret = 'first-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const codec = createCookieCodec({ secrets: [secret] });

/** RFC 6265 §4.1.1 cookie-octet. */
const cookieOctets = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/;

describe('cookie codec', () => {
  it.each(['app-1', 'a', 'backend/with.dots_and-dashes', 'ünïcödé', '😀', 'x'.repeat(200)])('round-trips %j', (id) => {
    const value = codec.encode(id);
    expect(value).toMatch(cookieOctets);
    expect(codec.decode(value)).toEqual({ backendId: id, resign: false });
  });

  it('is deterministic for one secret, so every node issues the same value', () => {
    expect(createCookieCodec({ secrets: [secret] }).encode('app-1')).toBe(codec.encode('app-1'));
  });

  it('never carries the backend URL, host or port', () => {
    // Ids are opaque names; the URL only lives in the registry.
    const value = codec.encode('chat-7');
    for (const fragment of ['127.0.0.1', '3001', 'http', 'localhost', 'chat-7']) expect(value).not.toContain(fragment);
    expect(value).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  });

  const valid = codec.encode('app-1');
  const [, idPart, macPart] = valid.split('.') as [string, string, string];
  const flip = (text: string, at: number): string =>
    text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);

  it.each<[string, string, 'malformed' | 'bad-signature']>([
    [
      'another id with the original MAC',
      `v1.${Buffer.from('app-2').toString('base64url')}.${macPart}`,
      'bad-signature',
    ],
    ['one MAC character changed', `v1.${idPart}.${flip(macPart, 3)}`, 'bad-signature'],
    ['MAC of another value', `v1.${idPart}.${codec.encode('app-2').split('.')[2]}`, 'bad-signature'],
    ['signed with another secret', createCookieCodec({ secrets: ['someone-else'] }).encode('app-1'), 'bad-signature'],
    ['truncated MAC', valid.slice(0, -1), 'malformed'],
    ['truncated to the id', `v1.${idPart}`, 'malformed'],
    ['MAC too long', `${valid}AA`, 'malformed'],
    ['empty', '', 'malformed'],
    ['garbage', 'hello world', 'malformed'],
    ['non-base64 id', `v1.app-1!.${macPart}`, 'malformed'],
    ['non-base64 MAC', `v1.${idPart}.${macPart.slice(0, -1)}*`, 'malformed'],
    ['padded base64', `v1.${idPart}=.${macPart}`, 'malformed'],
    [
      'non-canonical trailing bits',
      `v1.${idPart.slice(0, -1)}${idPart.endsWith('x') ? 'y' : 'x'}.${macPart}`,
      'malformed',
    ],
    ['empty id', `v1..${macPart}`, 'malformed'],
    ['unknown version', `v2.${idPart}.${macPart}`, 'malformed'],
    ['extra part', `${valid}.x`, 'malformed'],
    ['a URL', 'http://127.0.0.1:3001', 'malformed'],
    ['invalid UTF-8 id', `v1.${Buffer.from([0xff, 0xfe]).toString('base64url')}.${macPart}`, 'malformed'],
    ['oversized', `v1.${'A'.repeat(5000)}.${macPart}`, 'malformed'],
  ])('reports %s as %s, without throwing', (_, value, error) => {
    expect(codec.decode(value)).toEqual({ error });
  });

  it('returns an error for values that are not strings at all', () => {
    expect(codec.decode(undefined as unknown as string)).toEqual({ error: 'malformed' });
  });

  it('verifies a cookie signed with an older secret still in the list, and asks to re-sign it', () => {
    const old = createCookieCodec({ secrets: ['old-secret'] }).encode('app-3');
    const rotated = createCookieCodec({ secrets: ['new-secret', 'old-secret'] });
    expect(rotated.decode(old)).toEqual({ backendId: 'app-3', resign: true });
    expect(rotated.decode(rotated.encode('app-3'))).toEqual({ backendId: 'app-3', resign: false });
    expect(rotated.encode('app-3')).not.toBe(old);
    expect(createCookieCodec({ secrets: ['new-secret'] }).decode(old)).toEqual({ error: 'bad-signature' });
  });

  it.each([0, 1, 4096])('decodes the same with a memo of %d values', (cacheSize) => {
    const memoized = createCookieCodec({ secrets: ['new', 'old'], cacheSize });
    const old = createCookieCodec({ secrets: ['old'] });
    const values = ['a', 'b', 'c'].flatMap((id) => [memoized.encode(id), old.encode(id)]);
    for (let round = 0; round < 3; round++) {
      values.forEach((value, index) => {
        expect(memoized.decode(value)).toEqual({ backendId: ['a', 'b', 'c'][index >> 1], resign: index % 2 === 1 });
      });
      expect(memoized.decode(`${values[0]!.slice(0, -2)}AA`)).toEqual({ error: 'bad-signature' });
    }
  });

  it('refuses an empty secret list, an empty secret and an empty id', () => {
    expect(() => createCookieCodec({ secrets: [] })).toThrow(/at least one cookie secret/);
    expect(() => createCookieCodec({ secrets: ['ok', ''] })).toThrow(/non-empty/);
    expect(() => codec.encode('')).toThrow(/non-empty backend id/);
  });
});

describe('generateSecret', () => {
  it('returns 32 random bytes as base64url', () => {
    const first = generateSecret();
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(first, 'base64url')).toHaveLength(32);
    expect(generateSecret()).not.toBe(first);
  });
});

describe('serializeSetCookie', () => {
  const base: SetCookieAttributes = { name: 'mooring', path: '/', httpOnly: true, secure: false };

  it.each<[string, SetCookieAttributes, string]>([
    ['minimal', base, 'mooring=VALUE; Path=/; HttpOnly'],
    [
      'every attribute',
      { ...base, domain: 'example.com', secure: true, sameSite: 'None', maxAgeSeconds: 3600 },
      'mooring=VALUE; Path=/; Domain=example.com; Max-Age=3600; HttpOnly; Secure; SameSite=None',
    ],
    ['Lax, not HttpOnly', { ...base, httpOnly: false, sameSite: 'Lax' }, 'mooring=VALUE; Path=/; SameSite=Lax'],
    ['expire now', { ...base, maxAgeSeconds: 0 }, 'mooring=VALUE; Path=/; Max-Age=0; HttpOnly'],
  ])('%s', (_, attrs, expected) => {
    expect(serializeSetCookie('VALUE', attrs)).toBe(expected);
  });

  it('serializes a codec value unquoted', () => {
    const value = codec.encode('app-1');
    expect(serializeSetCookie(value, base)).toBe(`mooring=${value}; Path=/; HttpOnly`);
  });

  it.each<[string, string, Partial<SetCookieAttributes>, RegExp]>([
    ['name with a space', 'v', { name: 'moor ing' }, /not an RFC 6265 token/],
    ['value with a semicolon', 'a;b', {}, /cookie-octet/],
    ['value with a space', 'a b', {}, /cookie-octet/],
    ['relative path', 'v', { path: 'app' }, /must start with \//],
    ['path with a semicolon', 'v', { path: '/a;Domain=evil' }, /must start with \//],
    ['domain with a semicolon', 'v', { domain: 'a.com;x' }, /not a host name/],
    ['fractional Max-Age', 'v', { maxAgeSeconds: 1.5 }, /whole number/],
    ['SameSite=None without Secure', 'v', { sameSite: 'None', secure: false }, /requires Secure/],
  ])('refuses %s', (_, value, attrs, message) => {
    expect(() => serializeSetCookie(value, { ...base, ...attrs })).toThrow(message);
  });
});

describe('readCookie', () => {
  it.each<[string | undefined, string, string | undefined]>([
    ['mooring=abc', 'mooring', 'abc'],
    ['a=1; mooring=abc; b=2', 'mooring', 'abc'],
    ['a=1;mooring=abc;b=2', 'mooring', 'abc'],
    ['  a=1 ;   mooring = abc  ; b=2', 'mooring', 'abc'],
    ['mooring="abc"', 'mooring', 'abc'],
    ['mooring=first; mooring=second', 'mooring', 'first'],
    ['xmooring=1; mooringx=2', 'mooring', undefined],
    ['a=1; b=2', 'mooring', undefined],
    ['mooring=', 'mooring', ''],
    ['mooring=a=b', 'mooring', 'a=b'],
    ['garbage; ;;=; mooring=ok', 'mooring', 'ok'],
    [';;;', 'mooring', undefined],
    ['', 'mooring', undefined],
    [undefined, 'mooring', undefined],
    ['Mooring=abc', 'mooring', undefined],
  ])('reads %j for %s → %j', (header, name, expected) => {
    expect(readCookie(header, name)).toBe(expected);
  });

  it('returns undefined for a header that is not a string', () => {
    expect(readCookie(['mooring=abc'] as unknown as string, 'mooring')).toBeUndefined();
  });

  it('reads a 1 MiB header of pieces without "=" (once a quadratic scan) and the cookie after them', () => {
    // maxHeaderSize allows 1 MiB heads; the scan used to search for "=" again from every piece.
    expect(readCookie(`${';'.repeat(1 << 20)}mooring=abc`, 'mooring')).toBe('abc');
    expect(readCookie('a;'.repeat(1 << 19), 'mooring')).toBeUndefined();
  });
});
