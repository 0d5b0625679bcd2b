import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeRedisTarget, parseRedisUrl, redactRedisUrl, type RedisTarget } from '../../src/config/redis-url.js';

const target = (text: string): RedisTarget => {
  const parsed = parseRedisUrl(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.reason}`);
  return parsed.target;
};
const reason = (text: string): string => {
  const parsed = parseRedisUrl(text);
  if (parsed.ok) throw new Error(`${text} parsed`);
  return parsed.reason;
};

describe('parseRedisUrl', () => {
  it.each<[string, RedisTarget]>([
    ['redis://127.0.0.1:6380', { kind: 'standalone', tls: false, endpoint: { host: '127.0.0.1', port: 6380 }, db: 0 }],
    ['redis://test', { kind: 'standalone', tls: false, endpoint: { host: 'test', port: 6379 }, db: 0 }],
    [
      'rediss://app:s%40cret@redis.example.com:6390/3',
      {
        kind: 'standalone',
        tls: true,
        endpoint: { host: 'redis.example.com', port: 6390 },
        db: 3,
        username: 'app',
        password: 's@cret',
      },
    ],
    [
      'redis://:only-password@[::1]:7000/',
      { kind: 'standalone', tls: false, endpoint: { host: '::1', port: 7000 }, db: 0, password: 'only-password' },
    ],
    [
      'redis+sentinel://10.0.0.1:26379,10.0.0.2,sentinel-3:26381/mymaster',
      {
        kind: 'sentinel',
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '10.0.0.2', port: 26379 },
          { host: 'sentinel-3', port: 26381 },
        ],
        masterName: 'mymaster',
        db: 0,
      },
    ],
    [
      'redis+sentinel://u:p@h:1/cache.main/2',
      {
        kind: 'sentinel',
        sentinels: [{ host: 'h', port: 1 }],
        masterName: 'cache.main',
        db: 2,
        username: 'u',
        password: 'p',
      },
    ],
    [
      'REDIS+CLUSTER://:pw@n1:7000,n2:7001',
      {
        kind: 'cluster',
        nodes: [
          { host: 'n1', port: 7000 },
          { host: 'n2', port: 7001 },
        ],
        password: 'pw',
      },
    ],
  ])('parses %s', (text, expected) => {
    expect(target(text)).toEqual(expected);
  });

  it.each([
    ['localhost:6379', /^expected a redis:\/\/ URL$/],
    ['http://127.0.0.1:6379', /^expected a redis:\/\/ URL$/],
    ['redis://', /expected a host/],
    ['redis://a:1,b:2', /takes one host/],
    ['redis://h:0', /port from 1 to 65535/],
    ['redis://h:65536', /port from 1 to 65535/],
    ['redis://h:-1', /port from 1 to 65535/],
    ['redis://h:6379x', /port from 1 to 65535/],
    ['redis://h:6379/x', /database number/],
    ['redis://h:6379/1/2', /database number/],
    ['redis://h?db=1', /no query or fragment/],
    ['redis://h#frag', /no query or fragment/],
    ['redis://h h', /without spaces/],
    ['redis://h\u0000', /control characters/],
    ['redis://::1:6379', /host name or address/],
    ['redis://[zz::1]:6379', /host name or address/],
    ['redis://-h:1', /host name or address/],
    ['redis://h,:1', /host name or address/],
    ['redis://u:%ZZ@h', /password in the Redis URL has an invalid %-escape/],
    ['redis+sentinel://h:26379', /master name/],
    ['redis+sentinel://h:26379/', /master name/],
    ['redis+sentinel://h:26379/my master', /without spaces/],
    ['redis+sentinel://h:26379/m$ster', /master name/],
    ['redis+sentinel://h:26379/m/1/2', /nothing more/],
    ['redis+cluster://h:7000/0', /no path/],
    [`redis://${'a'.repeat(5000)}`, /at most 4096/],
    [`redis+cluster://${Array.from({ length: 65 }, (_, i) => `h${i}:1`).join(',')}`, /at most 64 hosts/],
  ])('refuses %j', (text, expected) => {
    expect(reason(text)).toMatch(expected);
  });

  it('never echoes a password in a reason', () => {
    for (const text of ['redis://u:hunter2@h:99999', 'redis+sentinel://u:hunter2@h', 'redis+cluster://:hunter2@h/1']) {
      expect(reason(text)).not.toContain('hunter2');
    }
  });

  it('neither throws nor hangs on any input (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const parsed = parseRedisUrl(`redis+cluster://${text}`);
        expect(typeof parsed.ok).toBe('boolean');
        expect(typeof parseRedisUrl(text).ok).toBe('boolean');
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('redactRedisUrl and describeRedisTarget', () => {
  it.each([
    ['redis://:secret@h:6380/2', 'redis://:***@h:6380/2'],
    ['redis://user:secret@h:6380', 'redis://user:***@h:6380'],
    ['redis://h:6380', 'redis://h:6380'],
    ['rediss://h', 'rediss://h:6379'],
    ['redis+sentinel://u:secret@a:1,b/m', 'redis+sentinel://u:***@a:1,b:26379/m'],
    ['redis+cluster://:secret@[::1]:7000', 'redis+cluster://:***@[::1]:7000'],
    // Unparseable: still no password, whatever follows it.
    ['redis://u:secret@h:99999', 'redis://u:***@h:99999'],
    ['redis://u:sec/ret@h:99999', 'redis://u:***@h:99999'],
    ['not a url', 'not a url'],
  ])('redacts %s', (text, expected) => {
    expect(redactRedisUrl(text)).toBe(expected);
  });

  it('never shows a password it was given (fast-check)', () => {
    const password = fc.string({ minLength: 6, maxLength: 40 }).filter((text) => !/[@]/.test(text));
    const scheme = fc.constantFrom('redis', 'rediss', 'redis+sentinel', 'redis+cluster');
    fc.assert(
      fc.property(scheme, password, fc.string({ maxLength: 30 }), (kind, secret, tail) => {
        // A host that spells the password (found: password and host both "String") shows it as the host.
        fc.pre(!tail.includes(secret) && !tail.includes(encodeURIComponent(secret)));
        const text = `${kind}://user:${encodeURIComponent(secret)}@${tail}`;
        const shown = redactRedisUrl(text);
        expect(shown).not.toContain(encodeURIComponent(secret));
        expect(shown).not.toContain(`:${secret}@`);
      }),
      { numRuns: 1_000 },
    );
  });

  it('describes a target the way it parses again', () => {
    for (const text of ['rediss://u:p@h:1/3', 'redis+sentinel://a:1,b:2/m/1', 'redis+cluster://a:1,[::1]:2']) {
      const shown = describeRedisTarget(target(text)).replace('***', 'p');
      expect(target(shown)).toEqual(target(text));
    }
  });
});
