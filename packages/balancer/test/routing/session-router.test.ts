import { describe, expect, it } from 'vitest';
import { BackendPool } from '../../src/routing/backend-pool.js';
import type { CandidateOrder } from '../../src/routing/candidate-order.js';
import { parseHashKeySpec } from '../../src/routing/hash-key.js';
import { SessionRouter, type RoutingRequest } from '../../src/routing/session-router.js';
import { createCookieCodec } from '../../src/routing/sticky-cookie.js';

const codec = createCookieCodec({ secrets: ['unit-test-secret-0123456789'] });
const backends = ['a', 'b', 'c'].map((id) => ({
  id,
  url: `http://127.0.0.1:1${id.charCodeAt(0)}`,
  weight: 1,
  state: 'active' as const,
}));

function pool(states: Partial<Record<string, 'active' | 'draining'>> = {}): BackendPool {
  const result = new BackendPool();
  result.setBackends(backends.map((backend) => ({ ...backend, state: states[backend.id] ?? 'active' })));
  return result;
}
const request = (headers: Record<string, string> = {}, url = '/'): RoutingRequest => ({
  clientAddress: '10.0.0.1',
  headers,
  url,
});
const cookie = (id: string): Record<string, string> => ({ cookie: `other=1; mooring=${codec.encode(id)}` });
const ids = (order: CandidateOrder): string[] => order.toArray().map((candidate) => candidate.backend.id);

describe('SessionRouter, cookie mode', () => {
  const cookieRouter = (p: BackendPool) =>
    new SessionRouter(p, 'least-connections', { mode: 'cookie', cookieName: 'mooring', codec });

  it.each([
    {
      name: 'no cookie: balanced choice, cookie issued',
      headers: {},
      states: {},
      route: 'balance',
      first: 'a',
      issue: true,
    },
    {
      name: 'valid cookie: pinned, no new cookie',
      headers: cookie('b'),
      states: {},
      route: 'cookie',
      first: 'b',
      issue: false,
    },
    {
      name: 'cookie naming a draining backend: re-pinned',
      headers: cookie('b'),
      states: { b: 'draining' as const },
      route: 'cookie-repinned',
      first: 'a',
      issue: true,
    },
    {
      name: 'cookie naming an unknown backend: re-pinned',
      headers: cookie('zz'),
      states: {},
      route: 'cookie-repinned',
      first: 'a',
      issue: true,
    },
    {
      name: 'tampered cookie: re-pinned',
      headers: { cookie: `mooring=${codec.encode('b').slice(0, -3)}abc` },
      states: {},
      route: 'cookie-repinned',
      first: 'a',
      issue: true,
    },
  ])('$name', ({ headers, states, route, first, issue }) => {
    const decision = cookieRouter(pool(states)).route(request(headers));
    expect({ route: decision.route, first: decision.order.first?.backend.id, issue: decision.issueCookie }).toEqual({
      route,
      first,
      issue,
    });
    expect(decision.cookieMode).toBe(true);
  });

  it('lists the other eligible backends after the pinned one, for failover', () => {
    expect(ids(cookieRouter(pool({ c: 'draining' })).route(request(cookie('b'))).order)).toEqual(['b', 'a']);
  });

  it('re-pins a cookie naming a backend the shared health check holds down', () => {
    const p = pool();
    p.setUnhealthy(new Set(['b']));
    expect(cookieRouter(p).route(request(cookie('b'))).route).toBe('cookie-repinned');
  });
});

describe('SessionRouter, cookie mode during a rebalance', () => {
  const cookieRouter = (p: BackendPool) =>
    new SessionRouter(p, 'least-connections', { mode: 'cookie', cookieName: 'mooring', codec });
  /** a holds 10, b 2, c 0: a is above its share of 13 (⌈13 / 3⌉ = 5), b is not. */
  function loaded(rebalancing: boolean): BackendPool {
    const p = pool();
    p.setClusterCounts(
      new Map([
        ['a', 10],
        ['b', 2],
      ]),
      new Map(),
    );
    p.setRebalancing(rebalancing);
    return p;
  }
  const handshake = (id: string): RoutingRequest => ({ ...request(cookie(id)), upgrade: true });

  it("re-pins a handshake's cookie naming a backend above its share, to the least loaded", () => {
    const decision = cookieRouter(loaded(true)).route(handshake('a'));
    expect([decision.route, decision.order.first?.backend.id, decision.issueCookie]).toEqual([
      'cookie-repinned',
      'c',
      true,
    ]);
  });

  it('honours a cookie naming a backend within its share, a plain request, and any cookie when not held', () => {
    expect(cookieRouter(loaded(true)).route(handshake('b')).route).toBe('cookie');
    expect(cookieRouter(loaded(true)).route(request(cookie('a'))).route).toBe('cookie');
    expect(cookieRouter(loaded(false)).route(handshake('a')).route).toBe('cookie');
  });
});

describe('SessionRouter, hash mode', () => {
  const hashRouter = (p: BackendPool, key = 'query:room', balanceFactor?: number) =>
    new SessionRouter(p, 'least-connections', { mode: 'hash', key: parseHashKeySpec(key), balanceFactor });

  it('sends a key to the same backend every time, and fails over along the ring', () => {
    const router = hashRouter(pool());
    const first = router.route(request({}, '/?room=lobby'));
    expect(first.route).toBe('hash');
    for (let i = 0; i < 10; i++) expect(ids(router.route(request({}, '/?room=lobby')).order)).toEqual(ids(first.order));
    expect(new Set(ids(first.order)).size).toBe(3);
  });

  it('moves a key off a draining backend to its successor on the ring, keeping the rest', () => {
    const before = ids(hashRouter(pool()).route(request({}, '/?room=lobby')).order);
    const after = ids(hashRouter(pool({ [before[0]!]: 'draining' })).route(request({}, '/?room=lobby')).order);
    expect(after).toEqual(before.slice(1));
  });

  it('falls back to the balancer without the key', () => {
    expect(hashRouter(pool()).route(request()).route).toBe('fallback');
  });
});
