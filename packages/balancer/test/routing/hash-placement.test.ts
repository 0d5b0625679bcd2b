import { describe, expect, it } from 'vitest';
import type { Backend, Candidate } from '../../src/core/backend.js';
import { BackendPool } from '../../src/routing/backend-pool.js';
import { pickByHash } from '../../src/routing/bounded-load.js';
import { HashPlacement } from '../../src/routing/hash-placement.js';
import { HashRing } from '../../src/routing/hash-ring.js';
import { hashKey } from '../../src/routing/murmur3.js';
import { keyPosition } from '../../src/routing/ring-key.js';
import { ringPoint } from '../../src/routing/ring-points.js';
import { backends, seededKeys } from '../fixtures/routing-keys.js';

const ids = (order: readonly Candidate[]): string[] => order.map((candidate) => candidate.backend.id);

function poolOf(members: readonly Backend[], live: (id: string) => number = () => 0): BackendPool {
  const pool = new BackendPool({ now: () => 0 });
  pool.setBackends(members);
  for (const backend of members) for (let n = live(backend.id); n > 0; n--) pool.acquire(backend.id);
  return pool;
}

function place(placement: HashPlacement, key: string, factorPercent?: number) {
  const order = placement.place(key, factorPercent);
  return { order: order?.toArray() ?? [], route: order?.route };
}

describe('HashPlacement', () => {
  const weighted = backends('a', ['b', 2], 'c', ['d', 3], 'e', 'f');

  it('picks what pickByHash picks and lists the rest in ring order, under random loads', () => {
    let seed = 11;
    const random = (limit: number): number => (seed = (seed * 48271) % 2147483647) % limit;
    for (const key of seededKeys(300)) {
      const pool = poolOf(weighted, () => random(40));
      const placement = HashPlacement.of(pool.routable());
      const { order, route } = place(placement, key, 125);
      const spec = pickByHash(placement.ring, key, pool.candidates(), { balanceFactor: 1.25 })!;
      expect({ first: order[0]!.backend.id, route }).toEqual({ first: spec.backendId, route: spec.route });
      const walk = placement.ring.walk(key);
      expect(ids(order)).toEqual([spec.backendId, ...walk.filter((id) => id !== spec.backendId)]);
    }
  });

  it('without bounded load, is the ring walk itself, route hash', () => {
    const placement = HashPlacement.of(poolOf(weighted, () => 100).routable());
    for (const key of seededKeys(100)) {
      const { order, route } = place(placement, key);
      expect(route).toBe('hash');
      expect(ids(order)).toEqual(placement.ring.walk(key));
    }
  });

  it('skips draining and unhealthy backends without rebuilding the ring, as a ring without them would', () => {
    const pool = poolOf(weighted);
    const before = HashPlacement.of(pool.routable());
    pool.setBackends(weighted.map((backend) => (backend.id === 'd' ? { ...backend, state: 'draining' } : backend)));
    pool.setUnhealthy(new Set(['b']));
    const after = HashPlacement.of(pool.routable(), before);
    expect(after).not.toBe(before);
    expect(after.ring).toBe(before.ring);
    const without = HashRing.build(weighted.filter((backend) => backend.id !== 'd' && backend.id !== 'b'));
    for (const key of seededKeys(2_000)) expect(ids(place(after, key).order)).toEqual(without.walk(key));
  });

  it('rebuilds the ring when a weight changes, and is reused while nothing changes', () => {
    const pool = poolOf(weighted);
    const first = HashPlacement.of(pool.routable());
    pool.acquire('a');
    expect(HashPlacement.of(pool.routable(), first)).toBe(first);
    pool.setBackends(weighted.map((backend) => (backend.id === 'a' ? { ...backend, weight: 4 } : backend)));
    expect(HashPlacement.of(pool.routable(), first).ring).not.toBe(first.ring);
  });

  it('places nothing when no backend is eligible', () => {
    const pool = poolOf(backends('a', 'b'));
    pool.setBackends(backends('a', 'b').map((backend) => ({ ...backend, state: 'draining' as const })));
    expect(place(HashPlacement.of(pool.routable()), 'k', 125)).toEqual({ order: [], route: undefined });
  });

  // 'c-85' point 153 and 'c-255' point 25 share one position. 'c-255' sorts first and owns it;
  // 'c-85' follows it there in the walk, so with 'c-255' draining a key just before that
  // position goes to 'c-85', as it does on a ring built without 'c-255'.
  it('hands a shared point to the next owner when its first owner is skipped', () => {
    const shared = ringPoint('c-85', 153);
    expect(ringPoint('c-255', 25)).toBe(shared);
    const members = backends('c-85', 'c-255');
    const points = ['c-85', 'c-255'].flatMap((id) => Array.from({ length: 160 }, (_, j) => ringPoint(id, j)));
    const below = Math.max(...points.filter((point) => point < shared));
    const key = seededKeys(20_000).find((k) => keyPosition(hashKey(k)) > below && keyPosition(hashKey(k)) <= shared)!;
    expect(key).toBeDefined();
    expect(HashRing.build(members).walk(key)).toEqual(['c-255', 'c-85']);
    const pool = poolOf(members);
    pool.setBackends([members[0]!, { ...members[1]!, state: 'draining' }]);
    expect(ids(place(HashPlacement.of(pool.routable()), key).order)).toEqual(['c-85']);
    expect(HashRing.build([members[0]!]).lookup(key)).toBe('c-85');
  });
});
