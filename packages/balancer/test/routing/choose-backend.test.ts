import { describe, expect, it } from 'vitest';
import type { Candidate } from '../../src/core/backend.js';
import { rankCandidates } from '../../src/routing/choose-backend.js';

function candidate(
  id: string,
  live = 0,
  extra: { weight?: number; healthy?: boolean; state?: 'active' | 'draining' } = {},
): Candidate {
  return {
    backend: { id, url: `http://127.0.0.1/${id}`, weight: extra.weight ?? 1, state: extra.state ?? 'active' },
    liveConnections: live,
    healthy: extra.healthy ?? true,
  };
}
const ids = (list: Candidate[]): string[] => list.map((entry) => entry.backend.id);

describe('rankCandidates: least-connections', () => {
  it.each([
    {
      name: 'fewest live first',
      pool: [candidate('a', 3), candidate('b', 1), candidate('c', 2)],
      rotation: 0,
      expected: ['b', 'c', 'a'],
    },
    {
      name: 'weight divides load',
      pool: [candidate('a', 2, { weight: 2 }), candidate('b', 2)],
      rotation: 0,
      expected: ['a', 'b'],
    },
    {
      name: 'ties broken by rotation 0',
      pool: [candidate('a'), candidate('b'), candidate('c')],
      rotation: 0,
      expected: ['a', 'b', 'c'],
    },
    {
      name: 'ties broken by rotation 1',
      pool: [candidate('a'), candidate('b'), candidate('c')],
      rotation: 1,
      expected: ['b', 'c', 'a'],
    },
    {
      name: 'ties broken by rotation 5',
      pool: [candidate('c'), candidate('a'), candidate('b')],
      rotation: 5,
      expected: ['c', 'a', 'b'],
    },
    {
      name: 'unhealthy left out',
      pool: [candidate('a', 0, { healthy: false }), candidate('b', 9)],
      rotation: 0,
      expected: ['b'],
    },
    {
      name: 'draining left out',
      pool: [candidate('a', 0, { state: 'draining' }), candidate('b', 9)],
      rotation: 0,
      expected: ['b'],
    },
    { name: 'nothing eligible', pool: [candidate('a', 0, { healthy: false })], rotation: 0, expected: [] },
  ])('$name', ({ pool, rotation, expected }) => {
    expect(ids(rankCandidates(pool, 'least-connections', rotation))).toEqual(expected);
  });

  it('does not depend on the order candidates are given in', () => {
    const forward = [candidate('a', 1), candidate('b', 1), candidate('c', 0)];
    expect(ids(rankCandidates(forward, 'least-connections', 2))).toEqual(
      ids(rankCandidates([...forward].reverse(), 'least-connections', 2)),
    );
  });
});

describe('rankCandidates: round-robin', () => {
  it('visits every backend in turn, weighted', () => {
    const pool = [candidate('a', 0, { weight: 2 }), candidate('b'), candidate('c')];
    const firsts = Array.from(
      { length: 8 },
      (_, rotation) => rankCandidates(pool, 'round-robin', rotation)[0]!.backend.id,
    );
    expect(firsts).toEqual(['a', 'b', 'c', 'a', 'a', 'b', 'c', 'a']);
  });

  it('lists every eligible backend once, for failover', () => {
    const pool = [candidate('a', 0, { weight: 3 }), candidate('b')];
    expect(ids(rankCandidates(pool, 'round-robin', 0))).toEqual(['a', 'b']);
    expect(ids(rankCandidates(pool, 'round-robin', 1))).toEqual(['b', 'a']);
  });

  it('spreads sessions by weight over a full cycle', () => {
    const pool = [candidate('a', 0, { weight: 2 }), candidate('b')];
    const counts = new Map<string, number>();
    for (let rotation = 0; rotation < 300; rotation++) {
      const id = rankCandidates(pool, 'round-robin', rotation)[0]!.backend.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(counts.get('a')).toBe(200);
    expect(counts.get('b')).toBe(100);
  });
});

/** The ranking as first written (sort by id, then by load and turn; cycle scan with includes). */
function reference(pool: Candidate[], policy: 'least-connections' | 'round-robin', rotation: number): string[] {
  const sorted = pool
    .filter((c) => c.healthy && c.backend.state === 'active')
    .sort((a, b) => (a.backend.id < b.backend.id ? -1 : 1));
  if (sorted.length <= 1) return ids(sorted);
  if (policy === 'least-connections') {
    const offset = rotation % sorted.length;
    const turns = sorted.map((c, index) => ({ c, turn: (index - offset + sorted.length) % sorted.length }));
    const load = (c: Candidate): number => c.liveConnections / c.backend.weight;
    turns.sort((a, b) => load(a.c) - load(b.c) || a.turn - b.turn);
    return ids(turns.map((entry) => entry.c));
  }
  const cycle: Candidate[] = [];
  const rounds = Math.max(...sorted.map((c) => c.backend.weight));
  for (let round = 0; round < rounds; round++) for (const c of sorted) if (c.backend.weight > round) cycle.push(c);
  const order: Candidate[] = [];
  for (let step = 0; step < cycle.length && order.length < sorted.length; step++) {
    const c = cycle[((rotation % cycle.length) + step) % cycle.length]!;
    if (!order.includes(c)) order.push(c);
  }
  return ids(order);
}

describe('rankCandidates against the reference ranking', () => {
  it.each(['least-connections', 'round-robin'] as const)('%s: same order for random pools of 1–60', (policy) => {
    let seed = 5;
    const random = (limit: number): number => (seed = (seed * 48271) % 2147483647) % limit;
    for (let trial = 0; trial < 400; trial++) {
      const size = 1 + random(60);
      const pool = Array.from({ length: size }, (_, i) =>
        candidate(`b${random(1000)}-${i}`, random(6), {
          weight: 1 + random(4),
          healthy: random(10) > 0,
          state: random(10) > 0 ? 'active' : 'draining',
        }),
      );
      const rotation = random(1000);
      expect(ids(rankCandidates(pool, policy, rotation))).toEqual(reference(pool, policy, rotation));
    }
  });
});
