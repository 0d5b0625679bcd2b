import { describe, expect, it } from 'vitest';
import type { Backend, Candidate } from '../../src/core/backend.js';
import { capacity, pickByHash, type HashPick } from '../../src/routing/bounded-load.js';
import { HashRing } from '../../src/routing/hash-ring.js';
import { backends, seededKeys } from '../fixtures/routing-keys.js';

type Load = Record<string, number | { live: number; healthy?: boolean; state?: Backend['state'] }>;

/** Candidates for every backend, with the given live counts (0 when absent). */
function candidatesOf(members: readonly Backend[], load: Load): Candidate[] {
  return members.map((backend) => {
    const entry = load[backend.id] ?? 0;
    const spec = typeof entry === 'number' ? { live: entry } : entry;
    return {
      backend: { ...backend, state: spec.state ?? backend.state },
      liveConnections: spec.live,
      healthy: spec.healthy ?? true,
    };
  });
}

// The walk orders below are pinned by fixtures/hash-ring-picks.json (rings three-equal and
// five-weighted); the first test restates them so that each table row can be read on its own.
const equal = backends('app-1', 'app-2', 'app-3');
const equalRing = HashRing.build(equal);
const weighted = backends(['ws-a', 1], ['ws-b', 2], ['ws-c', 1], ['ws-d', 3], ['ws-e', 1]);
const weightedRing = HashRing.build(weighted);

describe('pickByHash', () => {
  it('walks the rings used below in the pinned orders', () => {
    expect([...equalRing.walk('1')]).toEqual(['app-2', 'app-1', 'app-3']);
    expect([...weightedRing.walk('1')]).toEqual(['ws-b', 'ws-d', 'ws-a', 'ws-c', 'ws-e']);
  });

  // Equal weights, n = 3: cap = ceil(F × (L + 1) / 3) with L the live connections in total.
  it.each<[string, Load, number | undefined, HashPick]>([
    ['idle fleet: the owner', {}, 1.25, { backendId: 'app-2', route: 'hash' }],
    ['no factor: the owner however loaded', { 'app-2': 100 }, undefined, { backendId: 'app-2', route: 'hash' }],
    [
      'owner at cap - 1 (L=4, cap 3, 2+1 ≤ 3)',
      { 'app-2': 2, 'app-1': 1, 'app-3': 1 },
      1.25,
      { backendId: 'app-2', route: 'hash' },
    ],
    [
      'owner full (L=3, cap 2, 3+1 > 2): next on the ring',
      { 'app-2': 3 },
      1.25,
      { backendId: 'app-1', route: 'hash-overflow' },
    ],
    ['owner full (L=4, cap 3)', { 'app-2': 4 }, 1.25, { backendId: 'app-1', route: 'hash-overflow' }],
    [
      'owner and next full (L=8, cap 4): third',
      { 'app-2': 4, 'app-1': 4 },
      1.25,
      { backendId: 'app-3', route: 'hash-overflow' },
    ],
    [
      'balanced load (L=9, cap 5): the owner',
      { 'app-2': 3, 'app-1': 3, 'app-3': 3 },
      1.25,
      { backendId: 'app-2', route: 'hash' },
    ],
    ['F=2, owner at cap - 1 (L=3, cap 3)', { 'app-2': 2, 'app-1': 1 }, 2, { backendId: 'app-2', route: 'hash' }],
    ['F=2, owner full (L=3, cap 3, 3+1 > 3)', { 'app-2': 3 }, 2, { backendId: 'app-1', route: 'hash-overflow' }],
    ['F=2, owner full (L=4, cap 4)', { 'app-2': 4 }, 2, { backendId: 'app-1', route: 'hash-overflow' }],
  ])('equal weights, key "1": %s', (_, load, balanceFactor, expected) => {
    const options = balanceFactor === undefined ? {} : { balanceFactor };
    expect(pickByHash(equalRing, '1', candidatesOf(equal, load), options)).toEqual(expected);
  });

  // Weights a1 b2 c1 d3 e1, W = 8: cap = ceil(1.25 × (L + 1) × w / 8).
  it.each<[string, Load, HashPick]>([
    [
      'owner ws-b (w2) full (L=5, cap 2): ws-d (w3, cap 3)',
      { 'ws-b': 5 },
      { backendId: 'ws-d', route: 'hash-overflow' },
    ],
    ['ws-b at cap - 1 (L=8, cap 3)', { 'ws-b': 2, 'ws-d': 6 }, { backendId: 'ws-b', route: 'hash' }],
    [
      'same load 3: ws-b (cap 3) is full, heavier ws-d (cap 4) is not',
      { 'ws-b': 3, 'ws-d': 3 },
      { backendId: 'ws-d', route: 'hash-overflow' },
    ],
  ])('weighted, key "1": %s', (_, load, expected) => {
    expect(pickByHash(weightedRing, '1', candidatesOf(weighted, load), { balanceFactor: 1.25 })).toEqual(expected);
  });

  it.each<[string, Load, HashPick | undefined]>([
    [
      'unhealthy owner: next, still route hash',
      { 'app-2': { live: 0, healthy: false } },
      { backendId: 'app-1', route: 'hash' },
    ],
    [
      'draining owner: next, still route hash',
      { 'app-2': { live: 0, state: 'draining' } },
      { backendId: 'app-1', route: 'hash' },
    ],
    // Only app-1 and app-3 count: L = 2 (not 102), n = 2, cap = ceil(1.25 × 3 / 2) = 2.
    [
      'unhealthy load is not counted',
      { 'app-2': { live: 100, healthy: false }, 'app-1': 2 },
      { backendId: 'app-3', route: 'hash-overflow' },
    ],
    [
      'nothing eligible',
      {
        'app-1': { live: 0, healthy: false },
        'app-2': { live: 0, state: 'draining' },
        'app-3': { live: 0, healthy: false },
      },
      undefined,
    ],
  ])('eligibility: %s', (_, load, expected) => {
    expect(pickByHash(equalRing, '1', candidatesOf(equal, load), { balanceFactor: 1.25 })).toEqual(expected);
  });

  it('skips ring members missing from the candidates and ignores candidates missing from the ring', () => {
    const candidates = candidatesOf(backends('app-1', 'app-3', 'app-9'), {});
    expect(pickByHash(equalRing, '1', candidates)).toEqual({ backendId: 'app-1', route: 'hash' });
    expect(pickByHash(equalRing, '1', [])).toBeUndefined();
    expect(pickByHash(HashRing.build([]), '1', candidatesOf(equal, {}))).toBeUndefined();
  });

  it('on a stale ring, picks what a ring rebuilt without the ineligible member picks', () => {
    const five = backends('b1', 'b2', 'b3', 'b4', 'b5');
    const stale = HashRing.build(five);
    const rebuilt = HashRing.build(five.filter((backend) => backend.id !== 'b2'));
    const candidates = candidatesOf(five, { b2: { live: 0, healthy: false } });
    for (const key of seededKeys(2_000)) {
      expect(pickByHash(stale, key, candidates)).toEqual({ backendId: rebuilt.lookup(key), route: 'hash' });
    }
  });

  it.each([1, 1.004, 0.5, 0, -2, Number.NaN, Number.POSITIVE_INFINITY])('rejects balanceFactor %d', (balanceFactor) => {
    expect(() => pickByHash(equalRing, '1', candidatesOf(equal, {}), { balanceFactor })).toThrow(RangeError);
  });
});

describe('bounded load guarantees', () => {
  it('keeps a hot key within ceil(F × m / n) per backend while placing m sessions', () => {
    const five = backends('b1', 'b2', 'b3', 'b4', 'b5');
    const ring = HashRing.build(five);
    const live = new Map(five.map((backend) => [backend.id, 0]));
    for (let placed = 0; placed < 1_000; placed++) {
      const candidates = five.map((backend) => ({ backend, liveConnections: live.get(backend.id)!, healthy: true }));
      const pick = pickByHash(ring, 'the-hot-room', candidates, { balanceFactor: 1.25 })!;
      live.set(pick.backendId, live.get(pick.backendId)! + 1);
    }
    expect(Math.max(...live.values())).toBeLessThanOrEqual(Math.ceil((1.25 * 1_000) / 5));
    // The owner fills up to its cap first, then its ring successors, in walk order.
    expect(live.get(ring.lookup('the-hot-room')!)).toBe(Math.max(...live.values()));
  });

  it('always finds a backend with room, under any load', () => {
    let seed = 7;
    const random = (limit: number): number => (seed = (seed * 48271) % 2147483647) % limit;
    for (const key of seededKeys(500)) {
      const load: Load = Object.fromEntries(weighted.map((backend) => [backend.id, random(50)]));
      const candidates = candidatesOf(weighted, load);
      const totalLive = candidates.reduce((sum, candidate) => sum + candidate.liveConnections, 0);
      const pick = pickByHash(weightedRing, key, candidates, { balanceFactor: 1.1 });
      expect(pick).toBeDefined();
      const chosen = candidates.find((candidate) => candidate.backend.id === pick!.backendId)!;
      expect(chosen.liveConnections + 1).toBeLessThanOrEqual(capacity(110, totalLive, chosen.backend.weight, 8));
    }
  });
});

describe('capacity', () => {
  it.each([
    [125, 4, 1, 3, 3], // ceil(1.25 × 5 / 3) = ceil(2.08)
    [125, 0, 1, 300, 1], // never 0
    [110, 9, 1, 1, 11], // in floating point 1.1 × 10 = 11.000000000000002 would give 12
    [150, 9, 2, 5, 6], // weighted: ceil(1.5 × 10 × 2 / 5)
    [200, 99, 1, 4, 50],
  ])('capacity(F=%d/100, L=%d, w=%d, W=%d) = %d', (percent, totalLive, weight, totalWeight, expected) => {
    expect(capacity(percent, totalLive, weight, totalWeight)).toBe(expected);
  });
});
