import * as crypto from 'node:crypto';
import { RING_RANGE } from './ring-key.js';

/** Points per unit of weight: 160, as in ketama and NGINX's `hash ... consistent`. */
export const POINTS_PER_WEIGHT = 160;

/** Member index is packed under the point in one float64 sort key, so at most 2^20 members. */
export const MAX_MEMBERS = 1 << 20;

/** Shift from SHA-1's 32-bit prefix to the ring's 29-bit range. */
const RANGE_SHIFT = 32 - Math.log2(RING_RANGE);

/** Number of ring points for a weight: proportional, at least one for any positive weight. */
export function pointCount(weight: number): number {
  return Math.max(1, Math.round(POINTS_PER_WEIGHT * weight));
}

/**
 * Ring position of a backend's j-th point: the first 4 bytes of SHA-1(`${id}#${j}`) in UTF-8, read
 * as a big-endian unsigned integer, shifted down to the package's range [0, 2^29) (the top 29
 * bits). SHA-1 is only a well-mixed, universally available function here, not a security
 * measure. It runs once per point per build, and a rebuild reuses the points of members that stay.
 */
export function ringPoint(id: string, index: number): number {
  return Number.parseInt(sha1Hex(`${id}#${index}`).slice(0, 8), 16) >>> RANGE_SHIFT;
}

/** A member's points, in index order: 160 per unit of weight (DESIGN.md's recipe). */
export function memberPoints(id: string, weight: number): Uint32Array {
  const points = new Uint32Array(pointCount(weight));
  for (let j = 0; j < points.length; j++) points[j] = ringPoint(id, j);
  return points;
}

/**
 * `crypto.hash` (Node ≥ 20.12) is about 3× faster than `createHash` for one-shot digests, which
 * matters for the ~100k points of a 300-backend ring. Older Node 20 lines fall back. The digest
 * is the same either way.
 */
const sha1Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha1', text, 'hex')
    : (text) => crypto.createHash('sha1').update(text, 'utf8').digest('hex');

/** Every member's points in ring order, with the index of the member that owns each. */
export interface PlacedPoints {
  readonly points: Uint32Array;
  readonly owners: Uint32Array;
}

/**
 * Merges the members' points into one ascending list. Members are indexed in id order, and
 * points at the same position (29-bit SHA-1 prefixes collide about ten times on a 100,000-point
 * ring) are ordered by member index: the backend whose id sorts first owns the position, the
 * others follow it in the walk. The package would let the last node added own a duplicated
 * point, which depends on the order of `add` calls; this order depends on the membership only,
 * so every process builds the same ring. Keeping the shadowed duplicates in the walk is what
 * makes skipping an ineligible owner pick exactly what a ring built without it would.
 */
export function placePoints(perMember: readonly Uint32Array[]): PlacedPoints {
  if (perMember.length > MAX_MEMBERS) throw new RangeError(`a hash ring holds at most ${MAX_MEMBERS} backends`);
  // Sort key = point × 2^20 + member index, exact below 2^53: equal points sort by member.
  const sorted = new Float64Array(perMember.reduce((sum, list) => sum + list.length, 0));
  let at = 0;
  perMember.forEach((list, index) => {
    for (const point of list) sorted[at++] = point * MAX_MEMBERS + index;
  });
  sorted.sort();
  const points = new Uint32Array(sorted.length);
  const owners = new Uint32Array(sorted.length);
  for (let rank = 0; rank < sorted.length; rank++) {
    points[rank] = Math.floor(sorted[rank]! / MAX_MEMBERS);
    owners[rank] = sorted[rank]! % MAX_MEMBERS;
  }
  return { points, owners };
}
