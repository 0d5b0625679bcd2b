import ConsistentHash from 'consistent-hash';
import type { Backend } from '../core/backend.js';
import { hashKey } from './murmur3.js';
import { RING_RANGE, ringKey } from './ring-key.js';
import { memberPoints, placePoints, pointCount } from './ring-points.js';

/*
 * A consistent-hash ring (Karger et al., 1997) whose placement is a pure function of the
 * membership, so every node and every worker computes the same ring and routes a key to the same
 * backend. The ring is the `consistent-hash` package, wrapped as DESIGN.md "Dependencies"
 * prescribes, because left to itself it is neither deterministic nor uniform:
 * - it draws control points with Math.random(): here every point is given (`add(node, n,
 *   points)`), from SHA-1 of `id#j` (ring-points.ts);
 * - a point added twice belongs to whichever node was added last: here duplicates are dropped
 *   before adding, the backend whose id sorts first keeping the point, over a membership sorted
 *   by id, so the order in which the registry lists the backends never matters;
 * - its lookup hashes keys with a 24-bit PJW hash that clusters similar keys: here it is given
 *   MurmurHash3 of the key, written so that PJW passes it through unchanged, with a range in
 *   which its `(h << 5) % range` is exact (ring-key.ts).
 * The package does the lookup. The walk (the owner, then the next distinct backends in ring
 * order: bounded-load overflow and failover) continues from the point it found: each control
 * point is added as its own node, named by its rank in ring order, so `get` answers with the
 * rank and the walk reads the owners of the following ranks. The package's own `get(name, n)`
 * allocates per call and scans with `indexOf`: O(n²) for a full failover order.
 */

/**
 * An immutable consistent-hash ring over backend ids. Build it once per change of membership or
 * weights: the build is O(points log points), a lookup O(log points), a walk O(points) at worst.
 * Health and draining need no rebuild: a walk skips members the caller leaves out, and that
 * picks exactly what a ring built without them would (consistent hashing hands a missing
 * member's keys to its successors).
 */
export class HashRing {
  /** Member ids sorted by UTF-16 code unit order (never locale order, which varies by host). */
  readonly members: readonly string[];
  /** Each member's points, so a rebuild can reuse them. */
  readonly #pointsById: ReadonlyMap<string, Uint32Array>;
  /** Member index of each point, in ring order (shadowed duplicates after their owner). */
  readonly #owners: Uint32Array;
  /** The package's ring: control point → the rank in `#owners` of its first owner. */
  readonly #ring: ConsistentHash<number>;
  /** The walks' seen-set: member m was met by the current walk when `#seen[m] === #stamp`. */
  readonly #seen: Uint32Array;
  #stamp = 0;

  private constructor(members: string[], perMember: readonly Uint32Array[]) {
    this.members = members;
    this.#pointsById = new Map(members.map((id, index) => [id, perMember[index]!]));
    const { points, owners } = placePoints(perMember);
    this.#owners = owners;
    this.#ring = new ConsistentHash<number>({ range: RING_RANGE });
    for (let rank = 0; rank < points.length; rank++) {
      if (rank === 0 || points[rank] !== points[rank - 1]) this.#ring.add(rank, 1, [points[rank]!]);
    }
    // The package sorts its points on the first lookup: do it now, not on a request.
    this.#ring.get(ringKey(0));
    this.#seen = new Uint32Array(members.length);
  }

  /**
   * Builds the ring from a membership, in any order. A backend of weight `w` gets `160 × w`
   * points (ring-points.ts); backends with a weight ≤ 0 get none. Passing the `previous` ring
   * reuses the points of members whose weight did not change, so adding one backend to 300
   * costs 160 SHA-1s, not 100,000. Throws on duplicate ids, which the registry (keyed by id)
   * cannot produce.
   */
  static build(backends: readonly Backend[], previous?: HashRing): HashRing {
    const weightById = new Map<string, number>();
    for (const backend of backends) {
      if (backend.weight <= 0) continue;
      if (weightById.has(backend.id))
        throw new Error(`duplicate backend id ${JSON.stringify(backend.id)} in hash ring membership`);
      weightById.set(backend.id, backend.weight);
    }
    const members = [...weightById.keys()].sort(compareCodeUnits);
    const perMember = members.map((id) => {
      const weight = weightById.get(id)!;
      const known = previous === undefined ? undefined : previous.#reusablePoints(id, weight);
      return known ?? memberPoints(id, weight);
    });
    return new HashRing(members, perMember);
  }

  #reusablePoints(id: string, weight: number): Uint32Array | undefined {
    const known = this.#pointsById.get(id);
    return known?.length === pointCount(weight) ? known : undefined;
  }

  /** Number of points on the ring (for metrics and tests). */
  get pointCount(): number {
    return this.#owners.length;
  }

  /** Whether a backend id is on the ring. */
  has(id: string): boolean {
    return this.#pointsById.has(id);
  }

  /** The backend id that owns a key, or undefined on an empty ring. */
  lookup(key: string): string | undefined {
    const rank = this.#ring.get(ringKey(hashKey(key)));
    return rank === null ? undefined : this.members[this.#owners[rank]!];
  }

  /**
   * The distinct member ids in ring order from the key's point onwards: the owner first, then
   * the overflow and failover order. A fresh array: the routers use `walkInto`.
   */
  walk(key: string): string[] {
    const order: string[] = [];
    this.walkInto(key, this.members, this.members.length, order);
    return order;
  }

  /**
   * The walk of `walk` over `items`, aligned with `members`: appends `items[m]` to `out` for each
   * distinct member m in ring order from the key's point, skipping members whose item is
   * undefined, until `wanted` items are out. Allocates nothing: the seen-set is a stamp array
   * owned by the ring, which is safe because the walk is synchronous.
   */
  walkInto<T>(key: string, items: readonly (T | undefined)[], wanted: number, out: T[]): void {
    const start = this.#ring.get(ringKey(hashKey(key)));
    if (start === null) return;
    const owners = this.#owners;
    const seen = this.#seen;
    const stamp = this.#nextStamp();
    let found = 0;
    for (let step = 0, rank = start; step < owners.length && found < wanted; step++) {
      const owner = owners[rank]!;
      if (seen[owner] !== stamp) {
        seen[owner] = stamp;
        const item = items[owner];
        if (item !== undefined) {
          found++;
          out.push(item);
        }
      }
      rank = rank + 1 === owners.length ? 0 : rank + 1;
    }
  }

  /**
   * The first item of `walkInto`'s walk that `accept` takes (every item without it), or
   * undefined when none of the `count` defined items does: the pick of a decision, without the
   * order after it. `accept` sees each item once, in walk order.
   */
  firstOf<T>(
    key: string,
    items: readonly (T | undefined)[],
    count: number,
    accept?: (item: T) => boolean,
  ): T | undefined {
    if (count === 0) return undefined;
    const start = this.#ring.get(ringKey(hashKey(key)));
    if (start === null) return undefined;
    const owners = this.#owners;
    const first = items[owners[start]!];
    // The owner of the key's point: all a plain hash decision reads, no seen-set needed.
    if (first !== undefined && (accept === undefined || accept(first))) return first;
    const seen = this.#seen;
    const stamp = this.#nextStamp();
    let found = 0;
    for (let step = 0, rank = start; step < owners.length && found < count; step++) {
      const owner = owners[rank]!;
      if (seen[owner] !== stamp) {
        seen[owner] = stamp;
        const item = items[owner];
        if (item !== undefined) {
          found++;
          if (step > 0 && (accept === undefined || accept(item))) return item;
        }
      }
      rank = rank + 1 === owners.length ? 0 : rank + 1;
    }
    return undefined;
  }

  #nextStamp(): number {
    if (this.#stamp === 0xffffffff) {
      this.#seen.fill(0);
      this.#stamp = 0;
    }
    return ++this.#stamp;
  }
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
