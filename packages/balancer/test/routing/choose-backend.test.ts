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
