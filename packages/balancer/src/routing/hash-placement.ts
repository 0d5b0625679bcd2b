import type { Candidate } from '../core/backend.js';
import { capacity, type HashRoute } from './bounded-load.js';
import { CandidateOrder } from './candidate-order.js';
import { HashRing } from './hash-ring.js';
import type { PoolEntry } from './pool-entry.js';
import type { RoutableSet } from './routable-set.js';

/**
 * Hash-mode placement for one generation of a pool: the ring, built from the membership (and
 * rebuilt only when ids or weights change), and the eligible entries aligned with its members
 * (rebuilt on any change of the eligible set). A decision walks the ring up to its pick; the
 * failover order is the same walk continued, done only when a failover asks for it.
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
  /** The bounded-load terms of `place`'s walk, and how many full backends it passed over. */
  #walkLive = 0;
  #walkFactor = 0;
  #passedOver = 0;

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
   * Places `key` and says how: the pick is the first eligible backend in ring order from the
   * key's point; with `factorPercent` (bounded load, Mirrokni et al.), the first that is not full.
   * Only the walk up to the pick is done now. The failover order, the backends the pick passed
   * over in ring order then the rest of the ring, is the same walk, done again only when a
   * failover asks (`rank`). Returns undefined when no backend is eligible.
   */
  place(key: string, factorPercent: number | undefined): HashOrder | undefined {
    const eligible = this.#eligible.length;
    if (factorPercent === undefined) {
      const owner = this.ring.firstOf(key, this.#items, eligible);
      return owner === undefined ? undefined : new HashOrder(this, key, 0, owner, 'hash');
    }
    this.#walkLive = this.#totalLive();
    this.#walkFactor = factorPercent;
    this.#passedOver = 0;
    const pick = this.ring.firstOf(key, this.#items, eligible, this.#hasRoom);
    // No pick with room is unreachable: the caps sum to more than the live total (`capacity`).
    if (pick === undefined) return undefined;
    const at = this.#passedOver;
    return new HashOrder(this, key, at, pick, at === 0 ? 'hash' : 'hash-overflow');
  }

  /**
   * The whole order of a placement whose pick was the `at`-th eligible backend of the key's
   * walk: the pick, then the walk without it (the backends passed over first, in ring order).
   */
  rank(key: string, at: number): Candidate[] {
    const order: Candidate[] = [];
    this.ring.walkInto(key, this.#items, this.#eligible.length, order);
    if (at > 0) {
      const pick = order[at]!;
      order.copyWithin(1, 0, at);
      order[0] = pick;
    }
    return order;
  }

  /** Whether a backend has room under the bounded load of the walk in progress; counts the full ones. */
  readonly #hasRoom = (candidate: Candidate): boolean => {
    const full = this.#isFull(candidate, this.#walkLive, this.#walkFactor);
    if (full) this.#passedOver++;
    return !full;
  };

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

/** A hash decision's order: the placement of its generation, its key and where its pick was. */
export class HashOrder extends CandidateOrder {
  /** `hash-overflow` when bounded load passed over the key's owner. */
  readonly route: HashRoute;
  readonly #placement: HashPlacement;
  readonly #key: string;
  readonly #at: number;

  constructor(placement: HashPlacement, key: string, at: number, pick: Candidate, route: HashRoute) {
    super(pick);
    this.route = route;
    this.#placement = placement;
    this.#key = key;
    this.#at = at;
  }

  protected rank(): readonly Candidate[] {
    return this.#placement.rank(this.#key, this.#at);
  }
}
