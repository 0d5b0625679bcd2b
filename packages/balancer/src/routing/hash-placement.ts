import type { Candidate } from '../core/backend.js';
import { capacity, type HashRoute } from './bounded-load.js';
import { HashRing } from './hash-ring.js';
import type { PoolEntry } from './pool-entry.js';
import type { RoutableSet } from './routable-set.js';

/**
 * Hash-mode placement for one generation of a pool: the ring, built from the membership (and
 * rebuilt only when ids or weights change), and the eligible entries aligned with its members
 * (rebuilt on any change of the eligible set). A decision is one walk of the ring that yields
 * both the pick and the failover order, and allocates only that order.
 */
export class HashPlacement {
  readonly generation: number;
  readonly membership: number;
  readonly ring: HashRing;
  /** The eligible entry of each ring member, or undefined: the walk skips those. */
  readonly #items: readonly (PoolEntry | undefined)[];
  /** The entries of `#items`, for the bounded-load totals. */
  readonly #eligible: readonly PoolEntry[];
  readonly #totalWeight: number;

  private constructor(view: RoutableSet, ring: HashRing) {
    this.generation = view.generation;
    this.membership = view.membership;
    this.ring = ring;
    this.#items = ring.members.map((id) => view.eligibleById.get(id));
    this.#eligible = this.#items.filter((entry) => entry !== undefined);
    this.#totalWeight = this.#eligible.reduce((sum, entry) => sum + entry.backend.weight, 0);
  }

  /** The placement of `view`, reusing `previous`'s ring (or its points) where it can. */
  static of(view: RoutableSet, previous?: HashPlacement): HashPlacement {
    if (previous?.generation === view.generation) return previous;
    const ring =
      previous?.membership === view.membership
        ? previous.ring
        : HashRing.build(
            view.all.map((entry) => entry.backend),
            previous?.ring,
          );
    return new HashPlacement(view, ring);
  }

  /**
   * Appends the eligible backends in ring order from the key's point to `order`, the pick first,
   * and says how the pick was made. With `factorPercent` (bounded load, Mirrokni et al.), the pick
   * is the first backend that is not full, and the ones it passed over follow it in ring order,
   * so that one walk serves both. Returns undefined when no backend is eligible.
   */
  place(key: string, factorPercent: number | undefined, order: Candidate[]): HashRoute | undefined {
    this.ring.walkInto(key, this.#items, this.#eligible.length, order);
    if (order.length === 0) return undefined;
    if (factorPercent === undefined) return 'hash';
    const live = this.#totalLive();
    let at = 0;
    while (at < order.length && this.#isFull(order[at]!, live, factorPercent)) at++;
    if (at === 0) return 'hash';
    if (at === order.length) {
      // Unreachable: the caps sum to more than the live total (see `capacity`).
      order.length = 0;
      return undefined;
    }
    const pick = order[at]!;
    order.copyWithin(1, 0, at);
    order[0] = pick;
    return 'hash-overflow';
  }

  /** Live connections over the eligible ring members: they change with every session. */
  #totalLive(): number {
    let live = 0;
    for (const entry of this.#eligible) live += entry.liveConnections;
    return live;
  }

  /** Full when one more connection would exceed its cap (bounded-load.ts `capacity`). */
  #isFull(candidate: Candidate, totalLive: number, factorPercent: number): boolean {
    return (
      candidate.liveConnections + 1 > capacity(factorPercent, totalLive, candidate.backend.weight, this.#totalWeight)
    );
  }
}
