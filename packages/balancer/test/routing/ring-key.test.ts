import ConsistentHash from 'consistent-hash';
import { describe, expect, it } from 'vitest';
import { HashRing } from '../../src/routing/hash-ring.js';
import { hashKey } from '../../src/routing/murmur3.js';
import { RING_RANGE, keyPosition, ringKey } from '../../src/routing/ring-key.js';
import { backends, seededKeys, shares } from '../fixtures/routing-keys.js';

/** A package ring whose only points are `points`, node i at points[i]. */
function packageRing(points: readonly number[]): ConsistentHash<number> {
  const ring = new ConsistentHash<number>({ range: RING_RANGE });
  points.forEach((point, node) => ring.add(node, 1, [point]));
  return ring;
}

describe('the key the package looks up', () => {
  it('is six characters of 4 bits each, the top 24 bits of the hash', () => {
    expect(ringKey(0xfedcba98)).toBe('\x0f\x0e\x0d\x0c\x0b\x0a');
    expect(ringKey(0)).toHaveLength(6);
  });

  // The package's lookup is the first point at or after the key's position: a point exactly at
  // keyPosition(h) owns the key, and one a unit below it does not. So the package places keys
  // exactly where keyPosition says, without folding or overflow.
  it.each(seededKeys(200).map((key) => [key, hashKey(key)] as const))('places %j at keyPosition', (_, hash) => {
    const position = keyPosition(hash);
    expect(position % 32).toBe(0);
    expect(position).toBeLessThan(RING_RANGE);
    const atOrAfter = position === 0 ? 1 : position - 1;
    expect(packageRing([atOrAfter, position, position + 1]).get(ringKey(hash))).toBe(position === 0 ? 0 : 1);
  });

  it('reaches the top of the range and wraps past the last point', () => {
    expect(keyPosition(0xffffffff)).toBe(RING_RANGE - 32);
    expect(packageRing([5, RING_RANGE - 33]).get(ringKey(0xffffffff))).toBe(0);
  });
});

describe('spread of short, similar keys (the package’s own hash clusters them)', () => {
  it('gives each of 5 backends its average share ±15 % of the keys "1".."10000"', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => String(i + 1));
    const counts = shares(HashRing.build(backends('b1', 'b2', 'b3', 'b4', 'b5')), keys);
    expect(counts.size).toBe(5);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThanOrEqual(2000 * 0.85);
      expect(count).toBeLessThanOrEqual(2000 * 1.15);
    }
  });

  it('gives every one of 300 backends some of 100,000 keys', () => {
    const ids = Array.from({ length: 300 }, (_, i) => `backend-${i}`);
    const counts = shares(HashRing.build(backends(...ids)), seededKeys(100_000));
    expect(counts.size).toBe(300);
    for (const count of counts.values()) expect(count).toBeGreaterThan(333 * 0.5);
  });
});
