import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HashRing } from '../../src/routing/hash-ring.js';
import { hashKey } from '../../src/routing/murmur3.js';
import { POINTS_PER_WEIGHT, placePoints, ringPoint } from '../../src/routing/ring-points.js';
import { backends, mapping, seededKeys, shares } from '../fixtures/routing-keys.js';

interface PicksFixture {
  keyHashes: Record<string, number>;
  points: { id: string; index: number; point: number }[];
  rings: {
    name: string;
    backends: { id: string; weight: number }[];
    picks: Record<string, string>;
    walks: Record<string, string[]>;
  }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/hash-ring-picks.json', import.meta.url), 'utf8'),
) as PicksFixture;

function buildFixtureRing(members: { id: string; weight: number }[]): HashRing {
  return HashRing.build(members.map((m) => ({ ...m, url: 'http://unused', state: 'active' as const })));
}

describe('hash ring placement (pinned by fixtures/hash-ring-picks.json)', () => {
  it.each(Object.entries(fixture.keyHashes))('hashes key %j to %d', (key, hash) => {
    expect(hashKey(key)).toBe(hash);
  });

  it.each(fixture.points)('places point $index of $id at $point', ({ id, index, point }) => {
    expect(ringPoint(id, index)).toBe(point);
  });

  describe.each(fixture.rings)('ring $name', ({ backends: members, picks, walks }) => {
    const ring = buildFixtureRing(members);

    it.each(Object.entries(picks))('routes %j to %s', (key, expected) => {
      expect(ring.lookup(key)).toBe(expected);
    });

    it.each(Object.entries(walks))('walks from %j in order %j', (key, expected) => {
      expect(ring.walk(key)).toEqual(expected);
    });

    it('gives the same picks whatever the membership order', () => {
      const reversed = buildFixtureRing([...members].reverse());
      for (const [key, expected] of Object.entries(picks)) expect(reversed.lookup(key)).toBe(expected);
    });
  });
});

describe('ring points', () => {
  it.each(['app-1', 'α', 'backend/1', '😀'])('are the top 29 bits of SHA-1(id#j) for %j', (id) => {
    for (const j of [0, 1, 2, 159, 319]) {
      const prefix = createHash('sha1').update(`${id}#${j}`, 'utf8').digest().readUInt32BE(0);
      expect(ringPoint(id, j)).toBe(prefix >>> 3);
    }
  });

  it('orders equal points by member index: the id that sorts first owns the position', () => {
    const placed = placePoints([Uint32Array.of(9, 5), Uint32Array.of(5, 7), Uint32Array.of(1)]);
    expect([...placed.points]).toEqual([1, 5, 5, 7, 9]);
    expect([...placed.owners]).toEqual([2, 0, 1, 1, 0]);
  });
});

describe('key hash', () => {
  // Published MurmurHash3_x86_32 vectors, seed 0 (SMHasher; Python mmh3 gives the same values).
  it.each([
    ['', 0],
    ['hello', 0x248bfa47],
    ['The quick brown fox jumps over the lazy dog', 0x2e4ff723],
  ])('is MurmurHash3 x86_32: %j → %d', (key, expected) => {
    expect(hashKey(key)).toBe(expected);
  });

  // Computed by an independent Python implementation over the UTF-8 bytes. 341 and 342 units
  // straddle the switch from the reused scratch buffer to a one-off buffer.
  it.each([
    ['ünïcödé', 2069557956],
    ['😀', 3199479546],
    ['a'.repeat(341), 3912695803],
    ['a'.repeat(342), 3377438026],
    ['é'.repeat(500), 583844246],
  ])('hashes the UTF-8 bytes of non-ASCII and long keys: %s', (key, expected) => {
    expect(hashKey(key)).toBe(expected);
  });
});

describe('HashRing', () => {
  it('gives each backend 160 points per unit of weight', () => {
    expect(HashRing.build(backends('a', 'b', ['c', 3])).pointCount).toBe(5 * POINTS_PER_WEIGHT);
  });

  it('sorts members by code unit order, not locale order', () => {
    expect(HashRing.build(backends('b', 'B', 'a', 'é')).members).toEqual(['B', 'a', 'b', 'é']);
  });

  it('is empty without backends, and leaves out backends of weight 0', () => {
    expect(HashRing.build([]).lookup('k')).toBeUndefined();
    expect([...HashRing.build([]).walk('k')]).toEqual([]);
    expect(HashRing.build(backends(['zero', 0], 'one')).members).toEqual(['one']);
  });

  it('knows its members', () => {
    const ring = HashRing.build(backends('a', 'b'));
    expect(ring.has('a')).toBe(true);
    expect(ring.has('c')).toBe(false);
  });

  it('refuses duplicate ids', () => {
    expect(() => HashRing.build(backends('a', 'b', 'a'))).toThrow(/duplicate backend id "a"/);
  });

  it('walks every member exactly once, owner first', () => {
    const ring = HashRing.build(backends('a', 'b', 'c', 'd', 'e', 'f', 'g'));
    for (const key of seededKeys(200)) {
      const order = [...ring.walk(key)];
      expect(order[0]).toBe(ring.lookup(key));
      expect([...order].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    }
  });

  it('walks into a caller’s array, skipping members left out and stopping at the count wanted', () => {
    const ring = HashRing.build(backends('a', 'b', 'c', 'd', 'e'));
    for (const key of seededKeys(200)) {
      const full = ring.walk(key);
      const items = ring.members.map((id) => (id === 'c' ? undefined : id.toUpperCase()));
      const out: string[] = ['first'];
      ring.walkInto(key, items, 2, out);
      expect(out).toEqual([
        'first',
        ...full
          .filter((id) => id !== 'c')
          .slice(0, 2)
          .map((id) => id.toUpperCase()),
      ]);
    }
  });
  it('finds the first item of the walk that is taken, each item asked once in walk order', () => {
    const ring = HashRing.build(backends('a', 'b', 'c', 'd', 'e'));
    for (const [index, key] of seededKeys(200).entries()) {
      const items = ring.members.map((id) => (id === 'c' ? undefined : id.toUpperCase()));
      const walk = ring.walk(key).filter((id) => id !== 'c');
      expect(ring.firstOf(key, items, 4)).toBe(walk[0]!.toUpperCase());
      const refused = new Set(walk.slice(0, index % 5)); // the first 0 to 4 of the walk are full
      const asked: string[] = [];
      const taken = ring.firstOf(key, items, 4, (item) => {
        asked.push(item);
        return !refused.has(item.toLowerCase());
      });
      const expected = walk.find((id) => !refused.has(id));
      expect(taken).toBe(expected?.toUpperCase());
      expect(asked).toEqual(walk.slice(0, Math.min(refused.size + 1, 4)).map((id) => id.toUpperCase()));
    }
    expect(
      ring.firstOf(
        'k',
        ring.members.map(() => undefined),
        0,
      ),
    ).toBeUndefined();
  });
});

describe('independence from the order of the membership (DESIGN.md: 0 of 100,000 keys disagree)', () => {
  const keys = seededKeys(100_000);

  it.each([5, 30, 300])('two build orders disagree on 0 of 100,000 keys at %d backends', (count) => {
    const members = backends(
      ...Array.from({ length: count }, (_, i): [string, number] => [`backend-${i}`, 1 + ((i * 7) % 3)]),
    );
    const shuffled = [...members].sort((a, b) => hashKey(a.id) - hashKey(b.id));
    expect(shuffled.map((backend) => backend.id)).not.toEqual(members.map((backend) => backend.id));
    const forward = HashRing.build(members);
    const other = HashRing.build(shuffled);
    let disagreements = 0;
    for (const key of keys) if (forward.lookup(key) !== other.lookup(key)) disagreements++;
    expect(disagreements).toBe(0);
    for (const key of keys.slice(0, 300)) expect(other.walk(key)).toEqual(forward.walk(key));
  });
});

describe('HashRing.build with the previous ring', () => {
  const keys = seededKeys(2_000);
  const start = backends('a', ['b', 2], 'c', 'd');

  it.each<[string, ReturnType<typeof backends>]>([
    ['unchanged', start],
    ['a member removed', start.filter((backend) => backend.id !== 'c')],
    ['a member added', [...start, ...backends('e')]],
    ['a weight changed', backends('a', ['b', 3], 'c', 'd')],
    ['everything replaced', backends('x', 'y')],
  ])('builds the same ring as from scratch: %s', (_, next) => {
    const reused = HashRing.build(next, HashRing.build(start));
    const fresh = HashRing.build(next);
    expect(reused.members).toEqual(fresh.members);
    expect(reused.pointCount).toBe(fresh.pointCount);
    expect(mapping(reused, keys)).toEqual(mapping(fresh, keys));
    for (const key of keys.slice(0, 100)) expect(reused.walk(key)).toEqual(fresh.walk(key));
  });
});

describe('traffic shares over 10,000 keys', () => {
  const keys = seededKeys(10_000);

  it('gives each of 5 equal backends its average share ±15 %', () => {
    const counts = shares(
      HashRing.build(backends('backend-1', 'backend-2', 'backend-3', 'backend-4', 'backend-5')),
      keys,
    );
    expect(counts.size).toBe(5);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThanOrEqual(2000 * 0.85);
      expect(count).toBeLessThanOrEqual(2000 * 1.15);
    }
  });

  it('gives a weight-2 backend twice the share of a weight-1 backend, ±15 %', () => {
    const counts = shares(HashRing.build(backends('w1-a', 'w1-b', 'w1-c', ['w2', 2])), keys);
    const perWeightOne = ((counts.get('w1-a') ?? 0) + (counts.get('w1-b') ?? 0) + (counts.get('w1-c') ?? 0)) / 3;
    const ratio = (counts.get('w2') ?? 0) / perWeightOne;
    expect(ratio).toBeGreaterThanOrEqual(2 * 0.85);
    expect(ratio).toBeLessThanOrEqual(2 * 1.15);
  });
});

describe('membership changes move few keys', () => {
  const keys = seededKeys(10_000);
  const five = backends('backend-1', 'backend-2', 'backend-3', 'backend-4', 'backend-5');
  const before = mapping(HashRing.build(five), keys);

  it('removing 1 of 5 backends moves only the keys it owned', () => {
    const after = mapping(HashRing.build(five.filter((backend) => backend.id !== 'backend-3')), keys);
    let moved = 0;
    for (const key of keys) {
      if (before.get(key) === 'backend-3') {
        expect(after.get(key)).not.toBe('backend-3');
        moved++;
      } else {
        expect(after.get(key)).toBe(before.get(key));
      }
    }
    expect(moved).toBeGreaterThan(0);
  });

  it('adding a 6th backend moves at most 1/6 + 3 % of keys, all to the new one', () => {
    const after = mapping(HashRing.build([...five, ...backends('backend-6')]), keys);
    const moved = keys.filter((key) => after.get(key) !== before.get(key));
    for (const key of moved) expect(after.get(key)).toBe('backend-6');
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.length / keys.length).toBeLessThanOrEqual(1 / 6 + 0.03);
  });
});
