import * as crypto from 'node:crypto';
import type { Backend } from '../core/backend.js';

/*
 * A consistent-hash ring (Karger et al., 1997) whose placement is a pure function of the
 * membership, so every node and every worker computes the same ring and routes a key to the same
 * backend.
 *
 * Why this does not delegate to the `consistent-hash` package (1.2.2), although the package
 * takes explicit points through `add(node, n, points)`: its lookup hashes the key with a 24-bit
 * PJW hash, shifts it left by 5 and reduces it modulo its `range` (default 100003), and there is
 * no option to change that.
 * - The points must live in that range. With 100003 slots, 300 backends of 160 points collide
 *   on many slots, and the colliding points shadow one another.
 * - Widening the range makes short keys cluster. Measured with 5 backends and range 2^29:
 *   the keys "1".."10000" land on 2 backends (1000 and 9000 keys).
 * - At the default range, five equal backends get shares between -14 % and +14 % of the
 *   average.
 * - `get(key, n)` allocates an array and scans it with `indexOf`, and the walk below has to be
 *   lazy. A lazy walk would need the package's private `_keys`/`_keyMap`.
 * So the ring here is a sorted Uint32Array searched by bisection: a few dozen lines we control.
 */

/** Points per unit of weight: 160, as in ketama and NGINX's `hash ... consistent`. */
export const POINTS_PER_WEIGHT = 160;

/** Member index is packed under the point in one float64 sort key, so at most 2^20 members. */
const MAX_MEMBERS = 1 << 20;

/**
 * An immutable consistent-hash ring over backend ids. Build it once per change of the routable
 * set (membership, weight, state or health): the build is O(points log points), lookups are
 * O(log points).
 */
export class HashRing {
  /** Member ids sorted by UTF-16 code unit order (never locale order, which varies by host). */
  readonly members: readonly string[];
  readonly #points: Uint32Array;
  readonly #owners: Uint32Array;
  readonly #ids: ReadonlySet<string>;

  private constructor(members: string[], points: Uint32Array, owners: Uint32Array) {
    this.members = members;
    this.#points = points;
    this.#owners = owners;
    this.#ids = new Set(members);
  }

  /**
   * Builds the ring from a membership, in any order. A backend of weight `w` gets `160 × w`
   * points, and point `j` is the first 4 bytes (big-endian) of SHA-1(`${id}#${j}`). Backends
   * with a weight ≤ 0 get no points. The caller passes the backends that may take new sessions
   * (healthy and active) and rebuilds when that set changes. Passing the `previous` ring reuses
   * the points of members whose weight did not change, so a health flap costs a sort instead of
   * thousands of SHA-1s. Throws on duplicate ids, which the registry (keyed by id) cannot produce.
   */
  static build(backends: readonly Backend[], previous?: HashRing): HashRing {
    const weighted = backends.filter((backend) => backend.weight > 0);
    const members = weighted.map((backend) => backend.id).sort(compareCodeUnits);
    assertDistinct(members);
    if (members.length > MAX_MEMBERS) throw new RangeError(`a hash ring holds at most ${MAX_MEMBERS} backends`);
    const weightById = new Map(weighted.map((backend) => [backend.id, backend.weight]));
    const reusable = previous === undefined ? undefined : previous.#pointsById();
    const perMember = members.map((id) => {
      const count = pointCount(weightById.get(id)!);
      const known = reusable?.get(id);
      return known?.length === count ? known : Array.from({ length: count }, (_, j) => ringPoint(id, j));
    });
    // Sort key = point × 2^20 + member index (exact below 2^53): equal points, which SHA-1
    // prefixes produce now and then, are ordered by id, so the lowest id owns the point.
    const sorted = new Float64Array(perMember.reduce((sum, list) => sum + list.length, 0));
    let at = 0;
    perMember.forEach((list, index) => {
      for (const point of list) sorted[at++] = point * MAX_MEMBERS + index;
    });
    sorted.sort();
    const points = new Uint32Array(sorted.length);
    const owners = new Uint32Array(sorted.length);
    for (let k = 0; k < sorted.length; k++) {
      points[k] = Math.floor(sorted[k]! / MAX_MEMBERS);
      owners[k] = sorted[k]! % MAX_MEMBERS;
    }
    return new HashRing(members, points, owners);
  }

  /** Each member's points, regrouped from the sorted arrays (for `build(…, previous)`). */
  #pointsById(): Map<string, number[]> {
    const grouped = this.members.map((): number[] => []);
    for (let k = 0; k < this.#points.length; k++) grouped[this.#owners[k]!]!.push(this.#points[k]!);
    return new Map(this.members.map((id, index) => [id, grouped[index]!]));
  }

  /** Number of points on the ring (for metrics and tests). */
  get pointCount(): number {
    return this.#points.length;
  }

  /** Whether a backend id is on the ring (a caller can tell a stale ring by it). */
  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** The backend id that owns a key, or undefined on an empty ring. O(log points). */
  lookup(key: string): string | undefined {
    if (this.#points.length === 0) return undefined;
    return this.members[this.#owners[this.#start(hashKey(key))]!];
  }

  /**
   * The distinct member ids in ring order from the key's point onwards: the owner first, then
   * the failover / bounded-load overflow order. Lazy: a caller that stops after the first id
   * never pays for the rest of the walk or for its seen-set.
   */
  *walk(key: string): Generator<string, void, undefined> {
    const total = this.#points.length;
    if (total === 0) return;
    const start = this.#start(hashKey(key));
    const first = this.#owners[start]!;
    yield this.members[first]!;
    const memberCount = this.members.length;
    if (memberCount === 1) return;
    // The seen-set is only paid for by callers that go past the owner.
    const seen = new Uint8Array(memberCount);
    seen[first] = 1;
    let found = 1;
    for (let step = 1; step < total && found < memberCount; step++) {
      const owner = this.#owners[(start + step) % total]!;
      if (seen[owner] === 0) {
        seen[owner] = 1;
        found++;
        yield this.members[owner]!;
      }
    }
  }

  /** Index of the first point ≥ hash, wrapping to 0 past the last point (the ring closes). */
  #start(hash: number): number {
    const points = this.#points;
    let low = 0;
    let high = points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (points[mid]! < hash) low = mid + 1;
      else high = mid;
    }
    return low === points.length ? 0 : low;
  }
}

/** Number of ring points for a weight: proportional, at least one for any positive weight. */
export function pointCount(weight: number): number {
  return Math.max(1, Math.round(POINTS_PER_WEIGHT * weight));
}

/**
 * Ring position of a backend's j-th point: the first 4 bytes of SHA-1(`${id}#${j}`) in UTF-8,
 * read as a big-endian unsigned integer. SHA-1 is only a well-mixed, universally available
 * function here, not a security measure. It runs once per point per build.
 */
export function ringPoint(id: string, index: number): number {
  return Number.parseInt(sha1Hex(`${id}#${index}`).slice(0, 8), 16);
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

/**
 * Keys up to 341 UTF-16 units (≤ 1023 UTF-8 bytes) are encoded into this reused buffer instead of
 * a fresh one. JS runs one call at a time, so nothing else can touch it mid-call. Longer keys get
 * their own buffer, so one huge header cannot pin a huge scratch for the life of the worker.
 */
const scratch = new Uint8Array(1024);
const encoder = new TextEncoder();

/**
 * Ring position of a request key: MurmurHash3 x86 32-bit (Appleby), seed 0, over the key's
 * UTF-8 bytes. It runs on every routing decision, so it must be cheap: it costs tens of ns in
 * JS, while SHA-1 through node:crypto costs several hundred. It is a standard function, so other
 * tools can reproduce a mapping (Python: `mmh3.hash(key, 0, signed=False)`). Not keyed: the
 * client can choose its key and so its backend either way, and bounded load limits the harm.
 */
export function hashKey(key: string): number {
  if (key.length * 3 > scratch.length) {
    const bytes = Buffer.from(key, 'utf8');
    return murmur3(bytes, bytes.length);
  }
  const { written } = encoder.encodeInto(key, scratch);
  return murmur3(scratch, written);
}

function murmur3(bytes: Uint8Array, length: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, c2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = bytes[blocks]!;
    if (tail >= 2) k ^= bytes[blocks + 1]! << 8;
    if (tail === 3) k ^= bytes[blocks + 2]! << 16;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, c2);
  }
  return fmix32(h ^ length);
}

/** Murmur3's finalizer: every input bit affects every output bit (avalanche). */
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function assertDistinct(sortedIds: readonly string[]): void {
  for (let i = 1; i < sortedIds.length; i++) {
    if (sortedIds[i] === sortedIds[i - 1]) {
      throw new Error(`duplicate backend id ${JSON.stringify(sortedIds[i])} in hash ring membership`);
    }
  }
}
