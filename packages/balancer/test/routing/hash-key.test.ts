import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { extractHashKey, parseHashKeySpec, queryParam, type HashKeySpec } from '../../src/routing/hash-key.js';

describe('parseHashKeySpec', () => {
  it.each<[string, HashKeySpec]>([
    ['ip', { source: 'ip' }],
    ['  ip  ', { source: 'ip' }],
    ['header:X-User-Id', { source: 'header', name: 'x-user-id' }],
    ['header:authorization', { source: 'header', name: 'authorization' }],
    ['query:room', { source: 'query', name: 'room' }],
    ['query:Room_ID', { source: 'query', name: 'Room_ID' }],
    ['query:ünï', { source: 'query', name: 'ünï' }],
    ['cookie:session', { source: 'cookie', name: 'session' }],
    ['cookie:JSESSIONID', { source: 'cookie', name: 'JSESSIONID' }],
  ])('parses %j', (text, expected) => {
    expect(parseHashKeySpec(text)).toEqual(expected);
  });

  it.each<[string, RegExp]>([
    ['', /^expected ip, header:NAME, query:NAME or cookie:NAME, got ""$/],
    ['IP', /^expected ip, header:NAME, query:NAME or cookie:NAME, got "IP"$/],
    ['uri', /^expected ip, header:NAME, query:NAME or cookie:NAME, got "uri"$/],
    ['path:x', /^expected ip, header:NAME, query:NAME or cookie:NAME, got "path:x"$/],
    ['ip:1', /^expected ip, header:NAME, query:NAME or cookie:NAME/],
    ['header', /^expected header:NAME with NAME an HTTP header name such as X-User-Id, got "header"$/],
    ['header:', /^expected header:NAME with NAME an HTTP header name/],
    ['header:X User', /^expected header:NAME with NAME an HTTP header name/],
    ['header:X-User:1', /^expected header:NAME with NAME an HTTP header name/],
    ['query:', /^expected query:NAME with NAME a query parameter name such as room, got "query:"$/],
    ['query:a&b', /^expected query:NAME/],
    ['query:a=b', /^expected query:NAME/],
    ['cookie:', /^expected cookie:NAME with NAME a cookie name such as session, got "cookie:"$/],
    ['cookie:a;b', /^expected cookie:NAME/],
  ])('rejects %j with a message saying what was expected', (text, message) => {
    expect(() => parseHashKeySpec(text)).toThrow(message);
  });
});

describe('extractHashKey', () => {
  const request = (overrides: { remoteAddress?: string; headers?: IncomingHttpHeaders; url?: string }) => ({
    remoteAddress: overrides.remoteAddress ?? '203.0.113.9',
    headers: overrides.headers ?? {},
    url: overrides.url ?? '/',
  });

  it.each<[string, string, Parameters<typeof request>[0], string | undefined]>([
    ['ip', 'ip', {}, '203.0.113.9'],
    ['IPv4-mapped IPv6 as plain IPv4', 'ip', { remoteAddress: '::ffff:203.0.113.9' }, '203.0.113.9'],
    ['IPv6 kept', 'ip', { remoteAddress: '2001:db8::1' }, '2001:db8::1'],
    ['no address', 'ip', { remoteAddress: '' }, undefined],
    ['header, any case in the spec', 'header:X-User-Id', { headers: { 'x-user-id': 'u-42' } }, 'u-42'],
    ['header, other casing in a hand-built object', 'header:x-user-id', { headers: { 'X-User-Id': 'u-42' } }, 'u-42'],
    ['header trimmed', 'header:x-user-id', { headers: { 'x-user-id': '  u-42 ' } }, 'u-42'],
    ['header missing', 'header:x-user-id', { headers: { other: 'x' } }, undefined],
    ['header empty', 'header:x-user-id', { headers: { 'x-user-id': '' } }, undefined],
    ['header blank', 'header:x-user-id', { headers: { 'x-user-id': '   ' } }, undefined],
    ['header repeated (array)', 'header:x-tag', { headers: { 'x-tag': ['a', 'b'] } }, 'a, b'],
    // Caught by the property tests: these names used to read Object.prototype and throw a TypeError.
    ['header named constructor, missing', 'header:constructor', {}, undefined],
    ['header named __proto__, missing', 'header:__proto__', {}, undefined],
    ['header named constructor, present', 'header:constructor', { headers: { constructor: 'c-1' } }, 'c-1'],
    ['query', 'query:room', { url: '/chat?room=lobby' }, 'lobby'],
    ['query, not the first parameter', 'query:room', { url: '/chat?a=1&room=lobby&b=2' }, 'lobby'],
    ['query, first occurrence', 'query:room', { url: '/chat?room=a&room=b' }, 'a'],
    ['query, percent- and plus-decoded', 'query:room', { url: '/chat?room=caf%C3%A9+bar' }, 'café bar'],
    ['query, encoded name', 'query:room/id', { url: '/chat?room%2Fid=7' }, '7'],
    ['query, malformed escape kept', 'query:room', { url: '/chat?room=100%' }, '100%'],
    ['query, escape of invalid UTF-8 kept', 'query:room', { url: '/chat?room=caf%E9+1' }, 'caf%E9 1'],
    ['query, fragment ignored', 'query:room', { url: '/chat?room=a#room=b' }, 'a'],
    ['query, prefix of another name', 'query:room', { url: '/chat?rooms=a&xroom=b' }, undefined],
    ['query, empty value', 'query:room', { url: '/chat?room=&x=1' }, undefined],
    ['query, no value', 'query:room', { url: '/chat?room' }, undefined],
    ['query, no query', 'query:room', { url: '/chat' }, undefined],
    ['query, only in the path', 'query:room', { url: '/room=a' }, undefined],
    ['cookie', 'cookie:session', { headers: { cookie: 'a=1; session=s-9; b=2' } }, 's-9'],
    ['cookie, quoted', 'cookie:session', { headers: { cookie: 'session="s-9"' } }, 's-9'],
    ['cookie, empty', 'cookie:session', { headers: { cookie: 'session=' } }, undefined],
    ['cookie, missing', 'cookie:session', { headers: { cookie: 'other=1' } }, undefined],
    ['cookie, no Cookie header', 'cookie:session', {}, undefined],
    ['cookie, malformed header', 'cookie:session', { headers: { cookie: ';;;==;' } }, undefined],
  ])('%s', (_, spec, overrides, expected) => {
    expect(extractHashKey(parseHashKeySpec(spec), request(overrides))).toBe(expected);
  });
});

describe('queryParam', () => {
  it('reads 1 MiB targets of parameters without "=" (once a quadratic scan) or with broken escapes', () => {
    const target = `/?${'&'.repeat(1 << 20)}room=lobby`;
    expect(queryParam(target, 'room')).toBe('lobby');
    expect(queryParam(`/?${'x&'.repeat(1 << 19)}`, 'room')).toBeUndefined();
    // Broken escapes in every parameter: each used to cost a thrown URIError (3 s for 1 MiB).
    expect(queryParam(`/?${'%&'.repeat(1 << 19)}room=lobby`, 'room')).toBe('lobby');
  });

  it('agrees with URLSearchParams.get on well-formed targets', () => {
    const targets = [
      '/?a=1&b=2&a=3',
      '/p?x=%2F%3F&y=a+b',
      '/?=v&a',
      '/?a=&a=2',
      '/?%61=decoded-name',
      '/?a=%F0%9F%98%80',
    ];
    for (const target of targets) {
      const params = new URL(target, 'http://host').searchParams;
      for (const name of ['a', 'b', 'x', 'y', '']) expect(queryParam(target, name) ?? null).toBe(params.get(name));
    }
  });
});
